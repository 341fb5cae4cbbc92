import { describe, expect, it } from 'vitest';
import { complianceSettingsFor, registryDesiredFor } from '../../src/compliance/config-schema.ts';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.ts';

function problemsOf(text: string) {
  try {
    parseConfig(text, 'test.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => [p.path, p.message]);
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

const withGroups = (compliance: string) =>
  `version: 1\nrepositoryGroups: [{ name: services, repositories: ["svc-*"] }]\ncompliance:\n${compliance}`;

describe('compliance configuration', () => {
  it('is optional: no section means no check', () => {
    const config = parseConfig('version: 1\n');

    expect(complianceSettingsFor(config.compliance, undefined)).toEqual({});
    expect(registryDesiredFor(config.compliance)).toEqual({});
  });

  it('fills in defaults (mode audit, scan on push, both lifecycle caps)', () => {
    const config = parseConfig(withGroups('  defaults: { scanning: {}, lifecyclePolicy: {} }\n'));

    expect(complianceSettingsFor(config.compliance, undefined)).toEqual({
      scanning: { frequency: 'SCAN_ON_PUSH', mode: 'audit' },
      lifecyclePolicy: { capUntagged: true, capTagged: true, mode: 'audit' },
    });
  });

  it('lets a group replace a default entry whole, or turn it off with false', () => {
    const config = parseConfig(
      withGroups(
        [
          '  defaults:',
          '    encryption: { type: AES256, mode: enforce }',
          '    scanning: { frequency: SCAN_ON_PUSH }',
          '  groups:',
          '    services: { encryption: { type: KMS }, scanning: false }',
          '',
        ].join('\n'),
      ),
    );

    expect(complianceSettingsFor(config.compliance, 'services')).toEqual({
      encryption: { type: 'KMS', mode: 'audit' },
    });
    expect(complianceSettingsFor(config.compliance, undefined).encryption).toEqual({
      type: 'AES256',
      mode: 'enforce',
    });
  });

  it('accepts the example sentinel.config.yml with its compliance section', async () => {
    const config = await loadConfig('sentinel.config.yml');

    const services = complianceSettingsFor(config.compliance, 'services');
    expect(services.tagMutability).toEqual({ mutability: 'IMMUTABLE', mode: 'audit' });
    expect(services.lifecyclePolicy?.template).toEqual(config.cleanup.defaults.policy);
  });

  it.each([
    [
      'a mode that is not audit or enforce',
      '  defaults: { encryption: { type: AES256, mode: fix } }\n',
      'compliance.defaults.encryption.mode',
    ],
    [
      'a misspelt check',
      '  defaults: { tagMutabilty: { mutability: IMMUTABLE } }\n',
      'compliance.defaults.tagMutabilty',
    ],
    [
      'an unknown mutability',
      '  defaults: { tagMutability: { mutability: FROZEN } }\n',
      'compliance.defaults.tagMutability.mutability',
    ],
    [
      'exclusions without a *_WITH_EXCLUSION mode',
      '  defaults: { tagMutability: { mutability: IMMUTABLE, exclusionFilters: [latest] } }\n',
      'compliance.defaults.tagMutability.exclusionFilters',
    ],
    [
      'more than 5 exclusion filters',
      '  defaults: { tagMutability: { mutability: IMMUTABLE_WITH_EXCLUSION, exclusionFilters: [a, b, c, d, e, f] } }\n',
      'compliance.defaults.tagMutability.exclusionFilters',
    ],
    [
      'continuous scanning with BASIC',
      '  defaults: { scanning: { frequency: CONTINUOUS_SCAN, scanType: BASIC } }\n',
      'compliance.defaults.scanning.scanType',
    ],
    [
      'a KMS alias instead of a key ARN',
      '  defaults: { encryption: { type: KMS, kmsKey: alias/ecr } }\n',
      'compliance.defaults.encryption.kmsKey',
    ],
    [
      'an invalid lifecycle template, at the rule field',
      '  defaults: { lifecyclePolicy: { template: { rules: [{ rulePriority: 1, selection: { tagStatus: untagged, countType: imageCountMoreThan, countNumber: 0 }, action: { type: expire } }] } } }\n',
      'compliance.defaults.lifecyclePolicy.template.rules[0].selection.countNumber',
    ],
    [
      'a lifecycle template that fails the check it enforces',
      '  defaults: { lifecyclePolicy: { template: { rules: [{ rulePriority: 1, selection: { tagStatus: untagged, countType: imageCountMoreThan, countNumber: 1 }, action: { type: expire } }] } } }\n',
      'compliance.defaults.lifecyclePolicy.template',
    ],
    [
      'an allowlisted account that is not an account id',
      '  defaults: { repositoryPolicy: { allowedAccounts: ["12345"] } }\n',
      'compliance.defaults.repositoryPolicy.allowedAccounts[0]',
    ],
    [
      'a tag value for a key that is not required',
      '  defaults: { resourceTags: { required: [team], values: { owner: me } } }\n',
      'compliance.defaults.resourceTags.values.owner',
    ],
    ['a group that does not exist', '  groups: { nope: { scanning: false } }\n', 'compliance.groups.nope'],
    [
      'a replication destination without a Region',
      '  registry: { replication: { rules: [{ destinations: [{ region: Ireland, registryId: "222222222222" }] }] } }\n',
      'compliance.registry.replication.rules[0].destinations[0].region',
    ],
    [
      'a creation template for a group that does not exist',
      '  registry: { creationTemplates: { templates: [{ prefix: svc-, group: nope }] } }\n',
      'compliance.registry.creationTemplates.templates[0].group',
    ],
  ])('rejects %s, naming the field', (_what, section, path) => {
    expect(problemsOf(withGroups(section)).map(([p]) => p)).toContain(path);
  });

  it('explains why a lifecycle template is refused', () => {
    const problems = problemsOf(
      withGroups(
        '  defaults: { lifecyclePolicy: { template: { rules: [{ rulePriority: 1, selection: { tagStatus: tagged, tagPrefixList: [v], countType: imageCountMoreThan, countNumber: 3 }, action: { type: expire } }] } } }\n',
      ),
    );

    expect(problems).toEqual([
      [
        'compliance.defaults.lifecyclePolicy.template',
        'enforce would put a policy that fails this check: untagged images are not capped (no rule selects untagged images); tagged images are not all capped (no rule selects every tagged image (tagStatus any, or tagPatternList ["*"]): tags matching no filter are kept forever)',
      ],
    ]);
  });
});
