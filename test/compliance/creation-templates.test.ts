import { describe, expect, it } from 'vitest';
import { complianceSettingsFor, registryDesiredFor } from '../../src/compliance/config-schema.ts';
import { creationTemplatesControl } from '../../src/compliance/domain/creation-templates.ts';
import type { RepositoryCreationTemplate } from '../../src/compliance/domain/state.ts';
import { parseConfig } from '../../src/config/load.ts';
import { policyText, registry, taggedAll, UNTAGGED_14_DAYS } from './state.ts';

const KEY = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const config = parseConfig(`
version: 1
repositoryGroups:
  - { name: services, repositories: ["services/*"] }
compliance:
  defaults:
    encryption: { type: AES256 }
    resourceTags: { required: [team], values: { team: platform } }
  groups:
    services:
      tagMutability: { mutability: IMMUTABLE }
      encryption: { type: KMS, kmsKey: "${KEY}" }
      lifecyclePolicy:
        template:
          rules:
            - { rulePriority: 1, selection: { tagStatus: untagged, countType: sinceImagePushed, countUnit: days, countNumber: 14 }, action: { type: expire } }
            - { rulePriority: 2, selection: { tagStatus: tagged, tagPatternList: ["*"], countType: imageCountMoreThan, countNumber: 10 }, action: { type: expire } }
  registry:
    creationTemplates:
      mode: enforce
      templates: [{ prefix: services/, group: services }]
`);

const desired = registryDesiredFor(config.compliance).creationTemplates;
if (desired === undefined) throw new Error('expected creation templates in the test config');

const compliant: RepositoryCreationTemplate = {
  prefix: 'services/',
  appliedFor: ['CREATE_ON_PUSH', 'REPLICATION'],
  imageTagMutability: 'IMMUTABLE',
  encryptionConfiguration: { encryptionType: 'KMS', kmsKey: KEY },
  lifecyclePolicy: policyText(UNTAGGED_14_DAYS, taggedAll(2, 50)),
  resourceTags: [{ Key: 'team', Value: 'payments' }],
};

describe('creation templates control', () => {
  it('resolves each template to its group’s settings (group entries replace the defaults’)', () => {
    expect(desired.templates[0]?.settings).toEqual(complianceSettingsFor(config.compliance, 'services'));
    expect(desired.templates[0]?.settings.encryption?.type).toBe('KMS');
    expect(desired.templates[0]?.appliedFor).toEqual(['CREATE_ON_PUSH']);
  });

  it('passes a template that carries the group’s settings (a different policy that caps is fine)', () => {
    const [finding] = creationTemplatesControl.check({
      registry: registry({ creationTemplates: [compliant] }),
      desired,
    });

    expect(finding).toMatchObject({ status: 'pass', subject: { item: 'creation template services/' } });
  });

  it('proposes creating a missing template with the group’s settings', () => {
    const [finding] = creationTemplatesControl.check({ registry: registry(), desired });

    expect(finding).toMatchObject({ status: 'drift', fixable: true, actual: 'no template' });
    expect(finding?.remediation).toMatchObject({
      action: 'CreateRepositoryCreationTemplate',
      input: {
        prefix: 'services/',
        appliedFor: ['CREATE_ON_PUSH'],
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: KEY },
        resourceTags: [{ Key: 'team', Value: 'platform' }],
      },
      before: null,
    });
  });

  it('names each setting a template lacks and updates it, keeping its other tags', () => {
    const drifted: RepositoryCreationTemplate = {
      ...compliant,
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: 'MUTABLE',
      encryptionConfiguration: { encryptionType: 'AES256' },
      lifecyclePolicy: policyText(UNTAGGED_14_DAYS),
      resourceTags: [{ Key: 'owner', Value: 'x' }],
    };

    const [finding] = creationTemplatesControl.check({
      registry: registry({ creationTemplates: [drifted] }),
      desired,
    });

    expect(finding?.details).toEqual([
      'not applied for CREATE_ON_PUSH',
      'tag mutability MUTABLE, expected IMMUTABLE',
      `encryption AES256, expected KMS with key ${KEY}`,
      expect.stringMatching(/^lifecycle policy: tagged images are not all capped/),
      'resource tags: team is missing',
    ]);
    expect(finding?.remediation?.action).toBe('UpdateRepositoryCreationTemplate');
    expect(finding?.remediation?.input).toMatchObject({
      appliedFor: ['PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'],
      resourceTags: [
        { Key: 'owner', Value: 'x' },
        { Key: 'team', Value: 'platform' },
      ],
    });
  });
});
