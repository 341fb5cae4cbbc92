import { describe, expect, it } from 'vitest';
import {
  environmentOf,
  type PolicyConfig,
  policyFor,
  templateToRegExp,
} from '../../src/scan-gate/domain/policy.ts';

const config: PolicyConfig = {
  environments: [
    { name: 'dev', repositoryTemplate: '{app}-{env}' },
    { name: 'staging', repositoryTemplate: '{app}-{env}' },
    { name: 'prod', repositoryTemplate: 'prod/{app}' },
  ],
  repositoryGroups: [
    { name: 'services', repositories: ['orders-api-*', 'prod/orders-api'] },
    { name: 'everything', repositories: ['*'] },
  ],
  scanGate: {
    defaults: {
      thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 10 },
      fixableOnly: false,
      enforcement: 'notify',
      alertOn: 'change',
    },
    groups: { services: { thresholds: { HIGH: 2 }, alertOn: 'always' } },
    environments: {
      prod: {
        thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 0 },
        enforcement: 'untag',
        untagTags: ['latest', 'latest'],
      },
      dev: { thresholds: { MEDIUM: null }, fixableOnly: true },
    },
  },
};

describe('scan policy resolution', () => {
  it.each([
    [
      'defaults only (a group without settings, no environment)',
      'tools',
      {
        thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 10 },
        fixableOnly: false,
        enforcement: 'notify',
        untagTags: [],
        alertOn: 'change',
      },
      { group: 'everything', environment: undefined, application: undefined },
    ],
    [
      'defaults ← the first matching group (services, not everything)',
      'orders-api-staging',
      {
        thresholds: { CRITICAL: 0, HIGH: 2, MEDIUM: 10 },
        fixableOnly: false,
        enforcement: 'notify',
        untagTags: [],
        alertOn: 'always',
      },
      { group: 'services', environment: 'staging', application: 'orders-api' },
    ],
    [
      'defaults ← group ← environment that lifts a limit with null',
      'orders-api-dev',
      {
        thresholds: { CRITICAL: 0, HIGH: 2 },
        fixableOnly: true,
        enforcement: 'notify',
        untagTags: [],
        alertOn: 'always',
      },
      { group: 'services', environment: 'dev', application: 'orders-api' },
    ],
    [
      'the environment overrides the group, per severity',
      'prod/orders-api',
      {
        thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 0 },
        fixableOnly: false,
        enforcement: 'untag',
        untagTags: ['latest'],
        alertOn: 'always',
      },
      { group: 'services', environment: 'prod', application: 'orders-api' },
    ],
    [
      'a group without settings adds nothing to the environment',
      'billing-dev',
      {
        thresholds: { CRITICAL: 0, HIGH: 0 },
        fixableOnly: true,
        enforcement: 'notify',
        untagTags: [],
        alertOn: 'change',
      },
      { group: 'everything', environment: 'dev', application: 'billing' },
    ],
  ])('%s: %s', (_case, repositoryName, expected, source) => {
    const policy = policyFor(config, repositoryName);

    expect(policy).toEqual({ ...expected, source });
  });

  it('uses built-in thresholds (CRITICAL 0, HIGH 0) when the defaults give none', () => {
    const policy = policyFor(
      { environments: [], repositoryGroups: [], scanGate: { defaults: {}, groups: {}, environments: {} } },
      'x',
    );

    expect(policy).toMatchObject({
      thresholds: { CRITICAL: 0, HIGH: 0 },
      enforcement: 'notify',
      alertOn: 'change',
    });
  });

  it.each([
    ['{app}-{env}', 'prod', 'orders-api-prod', 'orders-api'],
    ['{app}-{env}', 'prod', 'orders-api-production', undefined],
    ['{app}-{env}', 'prod', '-prod', undefined],
    ['{env}/{app}', 'dev', 'dev/team/app', 'team/app'],
    ['{app}.{env}', 'dev', 'appxdev', undefined],
    ['{app}/{env}/{app}', 'dev', 'web/dev/web', 'web'],
    ['{app}/{env}/{app}', 'dev', 'web/dev/api', undefined],
  ])('template %s for %s matches %s as application %s', (template, env, name, app) => {
    expect(templateToRegExp(template, env).exec(name)?.groups?.app).toBe(app);
  });

  it('prefers the more specific template when several environments produce the name', () => {
    const environments = [
      { name: 'prod', repositoryTemplate: '{app}' },
      { name: 'dev', repositoryTemplate: '{app}-{env}' },
    ];

    expect(environmentOf(environments, 'shop-dev')).toEqual({ environment: 'dev', application: 'shop' });
    expect(environmentOf(environments, 'shop')).toEqual({ environment: 'prod', application: 'shop' });
  });
});
