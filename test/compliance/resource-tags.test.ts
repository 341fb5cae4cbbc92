import { describe, expect, it } from 'vitest';
import {
  resourceTagsControl,
  resourceTagsSettingsSchema,
} from '../../src/compliance/domain/resource-tags.ts';
import type { ResourceTag } from '../../src/compliance/domain/state.ts';
import { registry, repository } from './state.ts';

const settings = resourceTagsSettingsSchema.parse({
  required: ['team', 'cost-center'],
  allowedValues: { 'cost-center': ['1000', '2000'] },
  values: { team: 'platform', 'cost-center': '1000' },
  mode: 'enforce',
});

function check(tags: ResourceTag[], desired = settings) {
  return resourceTagsControl.check({ repository: repository({ tags }), registry: registry(), desired });
}

describe('resource tags control', () => {
  it('passes when every required tag is present with an allowed value', () => {
    const finding = check([
      { Key: 'team', Value: 'payments' },
      { Key: 'cost-center', Value: '2000' },
      { Key: 'other', Value: 'x' },
    ]);

    expect(finding.status).toBe('pass');
  });

  it('reports a missing tag and a value not allowed, and fixes both with TagResource', () => {
    const finding = check([{ Key: 'cost-center', Value: '9999' }]);

    expect(finding).toMatchObject({ status: 'drift', fixable: true });
    expect(finding.details).toEqual(['team is missing', 'cost-center=9999 is not one of 1000, 2000']);
    expect(finding.remediation).toEqual({
      action: 'TagResource',
      input: {
        resourceArn: 'arn:aws:ecr:eu-west-1:111111111111:repository/orders-api-prod',
        tags: [
          { Key: 'team', Value: 'platform' },
          { Key: 'cost-center', Value: '1000' },
        ],
      },
      before: { team: null, 'cost-center': '9999' },
      after: { team: 'platform', 'cost-center': '1000' },
    });
  });

  it('is not fixable when the config gives no value for a missing tag', () => {
    const finding = check(
      [],
      resourceTagsSettingsSchema.parse({ required: ['team', 'owner'], values: { team: 't' } }),
    );

    expect(finding).toMatchObject({ status: 'drift', fixable: false });
    expect(finding.fix).toMatch(/no value configured to set for owner/);
  });
});
