/** How environments map to repositories: the pure naming rules shared by config checks, the demo and promotions. */

/** The part of an environment these rules need. */
export interface EnvironmentNaming {
  name: string;
  repositoryTemplate: string;
}

/** The repository holding `app` in environment `env`: the template with `{app}` and `{env}` filled in. */
export function repositoryName(env: EnvironmentNaming, app: string): string {
  return env.repositoryTemplate.replaceAll('{app}', app).replaceAll('{env}', env.name);
}

/** Every repository the configured applications occupy, in environment (promotion) order. */
export function applicationRepositories(
  environments: readonly EnvironmentNaming[],
  applications: readonly { name: string }[],
): Array<{ application: string; environment: string; repositoryName: string }> {
  return environments.flatMap((env) =>
    applications.map((app) => ({
      application: app.name,
      environment: env.name,
      repositoryName: repositoryName(env, app.name),
    })),
  );
}
