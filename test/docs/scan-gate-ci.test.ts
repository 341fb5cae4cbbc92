import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/main.ts';
import type { IamPermission, IamPermissions } from '../../src/shared/iam.ts';
import { localExportsOf, reachFrom } from '../deploy/code-reach.ts';
import { PROJECT_ROOT } from '../support/cli.ts';

/**
 * README, The scan gate in CI: the IAM policy a CI job's role needs to run `ecr-sentinel scan-gate`, and the
 * example jobs. The policy is what the gate's code declares — the `…Permissions` of every adapter export
 * `scanGateCommand` reaches (src/shared/iam.ts, read as test/deploy/iam.int.test.ts reads a handler's), so an
 * adapter wired into the gate changes the expected policy without anyone listing it here — less what the gate
 * never does: write. The README shows each file verbatim.
 */

const POLICY_FILE = 'docs/scan-gate-ci-policy.json';
const COMMAND_FILE = 'src/scan-gate/cli-actions.ts';
const WORKFLOWS = ['docs/ci/github-actions.yml', 'docs/ci/gitlab-ci.yml'];

const read = (file: string) => readFileSync(join(PROJECT_ROOT, file), 'utf8');
const version = (JSON.parse(read('package.json')) as { version: string }).version;

/**
 * The resource each kind of src/shared/iam.ts is granted on in the policy (placeholders to replace): any
 * repository (the gate is given one on its command line), the deployed stage's table, and `"*"`.
 */
const RESOURCE_IN_POLICY: Partial<Record<IamPermission['resource'], string>> = {
  'ecr-repository': 'arn:aws:ecr:REGION:ACCOUNT_ID:repository/*',
  'sentinel-table': 'arn:aws:dynamodb:REGION:ACCOUNT_ID:table/ecr-sentinel-STAGE',
  '*': '*',
};

/** IAM actions that only read (as their names say, the convention every AWS service follows). */
const isRead = (action: string) => /^[a-z0-9-]+:(Describe|Get|List|BatchGet|Query|Scan)/.test(action);

/** The permissions declared by what `scanGateCommand` reaches, each with where it is declared (read once). */
function gateDeclarations(): Promise<{ at: string; permission: IamPermission }[]> {
  declarations ??= collectGateDeclarations();
  return declarations;
}

let declarations: Promise<{ at: string; permission: IamPermission }[]> | undefined;

async function collectGateDeclarations(): Promise<{ at: string; permission: IamPermission }[]> {
  // The command's module as its own entry: its declarations run when it is called, so name it at the top level.
  const reach = reachFrom(COMMAND_FILE, (file) =>
    file === COMMAND_FILE ? `${read(file)}\nscanGateCommand;\n` : read(file),
  );
  const found: { at: string; permission: IamPermission }[] = [];
  for (const { file, name } of reach.exports) {
    const declaration = `${name}Permissions`;
    if (!localExportsOf(file).includes(declaration)) continue;
    const module = (await import(pathToFileURL(join(PROJECT_ROOT, file)).href)) as Record<string, unknown>;
    for (const permission of module[declaration] as IamPermissions) {
      found.push({ at: `${file}#${declaration}`, permission });
    }
  }
  return found;
}

/** resource → sorted actions. */
function byResource(grants: { resource: string; action: string }[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const { resource, action } of grants) result[resource] = [...(result[resource] ?? []), action];
  for (const actions of Object.values(result)) actions.sort();
  return result;
}

/** Every string a parsed YAML document holds (the commands a CI job runs among them). */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

describe('the scan gate’s CI policy (docs/scan-gate-ci-policy.json)', () => {
  it('grants exactly the reads the gate’s adapters declare, on the resources they name', async () => {
    // Prepare
    const declarations = await gateDeclarations();
    const policy = JSON.parse(read(POLICY_FILE)) as { Version: string; Statement: Statement[] };
    const expected = declarations.flatMap(({ at, permission }) =>
      permission.actions.filter(isRead).map((action) => {
        const resource = RESOURCE_IN_POLICY[permission.resource];
        if (!resource)
          throw new Error(`${at}: add the resource ${permission.resource} to RESOURCE_IN_POLICY`);
        return { resource, action };
      }),
    );

    // Act
    const granted = policy.Statement.flatMap((statement) =>
      [statement.Action]
        .flat()
        .flatMap((action) => [statement.Resource].flat().map((resource) => ({ resource, action }))),
    );

    // Assess
    expect(policy.Version).toBe('2012-10-17');
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Condition).toBeUndefined();
    }
    expect(byResource(granted)).toEqual(
      byResource([...new Map(expected.map((g) => [`${g.resource} ${g.action}`, g])).values()]),
    );
  });

  it('leaves out only the verdict store’s writes, which the gate never calls (a role that could would forge a PASS)', async () => {
    // Act
    const writes = (await gateDeclarations()).flatMap(({ at, permission }) =>
      permission.actions.filter((action) => !isRead(action)).map((action) => `${action} @ ${at}`),
    );

    // Assess: a new write reached from the gate must be decided on here, not dropped from the policy unseen.
    expect(writes.sort()).toEqual([
      'dynamodb:BatchWriteItem @ src/scan-gate/adapters/dynamodb-verdicts.ts#dynamoVerdictsPermissions',
      'dynamodb:UpdateItem @ src/scan-gate/adapters/dynamodb-verdicts.ts#dynamoVerdictsPermissions',
    ]);
    expect(read(COMMAND_FILE)).not.toMatch(/\.(save|claim|published|release)\(/);
  });

  it('is shown in the README as it is', () => {
    expect(read('README.md')).toContain(read(POLICY_FILE).trim());
  });
});

describe('the example CI jobs (docs/ci)', () => {
  it.each(WORKFLOWS)(
    '%s parses as YAML and gates with the CLI’s own options, pinned to this version',
    (file) => {
      // Prepare
      const text = read(file);
      const gate = buildProgram().commands.find((command) => command.name() === 'scan-gate');
      const options = new Set(gate?.options.map((option) => option.long));

      // Act
      const commands = stringsOf(parse(text)).filter((line) =>
        /\becr-sentinel(@\S+)?\s+scan-gate\s/.test(line),
      );

      // Assess
      expect(commands.length).toBeGreaterThan(0);
      for (const command of commands) {
        const words = command.slice(command.indexOf('scan-gate')).split(/\s+/);
        expect(words).toEqual(expect.arrayContaining(['--repository', '--tag', '--wait']));
        expect(words.filter((word) => word.startsWith('--') && !options.has(word))).toEqual([]);
      }
      const pinned = text.match(/ecr-sentinel@[^\s"']+/g) ?? [];
      expect(pinned.length).toBeGreaterThan(0);
      expect(new Set(pinned)).toEqual(new Set([`ecr-sentinel@${version}`]));
      expect(read('README.md')).toContain(text.trim());
    },
  );

  it('assumes the role through OIDC on GitHub Actions', () => {
    // Act
    const workflow = parse(read(WORKFLOWS[0] ?? '')) as {
      permissions: Record<string, string>;
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, string>; run?: string }[] }>;
    };

    // Assess
    expect(workflow.permissions['id-token']).toBe('write');
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const credentials = steps.find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(credentials?.with?.['role-to-assume']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    // Credentials before the gate runs.
    expect(steps.indexOf(credentials ?? {})).toBeLessThan(
      steps.findIndex((step) => step.run?.includes('scan-gate')),
    );
  });
});
