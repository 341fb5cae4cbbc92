import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.ts';
import { applicationRepositories } from '../../src/shared/environments.ts';

function problemsOf(text: string) {
  try {
    parseConfig(text, 'test.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('fills in dev -> staging -> prod with approval on prod when environments are omitted', () => {
    const config = parseConfig('version: 1\napplications: [{ name: shop }]\n');

    expect(config.environments.map((e) => [e.name, e.requiresApproval])).toEqual([
      ['dev', false],
      ['staging', false],
      ['prod', true],
    ]);
    expect(
      applicationRepositories(config.environments, config.applications).map((r) => r.repositoryName),
    ).toEqual(['shop-dev', 'shop-staging', 'shop-prod']);
  });

  it('accepts the example sentinel.config.yml shipped in the repository', async () => {
    const config = await loadConfig('sentinel.config.yml');

    expect(config.applications.map((a) => a.name)).toEqual(['orders-api', 'web-frontend']);
    expect(config.environments.find((e) => e.name === 'prod')?.requiresApproval).toBe(true);
  });

  it.each([
    ['a missing version', 'applications: []\n', 'version', 1],
    [
      'a wrong type with its path',
      'version: 1\nenvironments:\n  - name: dev\n  - name: 42\n',
      'environments[1].name',
      4,
    ],
    [
      'a misspelt key by its own name',
      'version: 1\nenvironments:\n  - name: dev\n    requiresAproval: true\n',
      'environments[0].requiresAproval',
      4,
    ],
    [
      'a duplicate environment',
      'version: 1\nenvironments: [{ name: dev }, { name: dev }]\n',
      'environments[1].name',
      2,
    ],
    [
      'a template without {app}',
      'version: 1\nenvironments: [{ name: dev, repositoryTemplate: fixed }]\n',
      'environments[0].repositoryTemplate',
      2,
    ],
    [
      'an application that makes an invalid repository name',
      'version: 1\napplications: [{ name: Shop }]\n',
      'applications[0].name',
      2,
    ],
    [
      'a group without repositories',
      'version: 1\nrepositoryGroups:\n  - name: g\n    repositories: []\n',
      'repositoryGroups[0].repositories',
      4,
    ],
  ])('rejects %s, naming the key path and line', (_what, text, path, line) => {
    const problems = problemsOf(text);

    expect(problems).toContainEqual(expect.objectContaining({ path, line }));
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('version: 1\nenvironments: [\n  - name: dev\n');

    expect(problems[0]?.path).toBe('(yaml)');
    expect(problems[0]?.line).toBeGreaterThan(0);
  });

  it('reports an empty file as needing a mapping', () => {
    expect(problemsOf('')[0]?.message).toMatch(/mapping/);
  });

  it('names a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-config-'));
    await writeFile(join(dir, 'present.yml'), 'version: 1\n');

    await expect(loadConfig(join(dir, 'absent.yml'))).rejects.toThrow(/absent\.yml[\s\S]*file not found/);
    await expect(loadConfig(join(dir, 'present.yml'))).resolves.toMatchObject({ version: 1 });
  });
});
