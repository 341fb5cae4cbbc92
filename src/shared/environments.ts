/** How environments map to repositories: the pure naming rules shared by config checks, the demo and promotions. */
import * as z from 'zod';
import { REPOSITORY_NAME_PATTERN } from './ecr/names.ts';

/** An environment's name: what `{env}` becomes in repository names, and what people type (`promote APP V prod`). */
export const environmentNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,29}$/, 'expected a lower-case name of letters, digits and dashes (max 30)');

/** An application's name: what `{app}` becomes in repository names. */
export const applicationNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(REPOSITORY_NAME_PATTERN, 'expected a valid ECR repository name part (lower case, digits, . _ - /)');

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
