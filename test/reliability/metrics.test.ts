import { describe, expect, it } from 'vitest';
import {
  findingsBySeverity,
  OTHER_SEVERITY,
  repositoryGroupDimension,
  severityDimension,
  UNGROUPED,
} from '../../src/shared/lambda/observability.ts';
import { completeCounts } from '../../src/shared/severity.ts';

const GROUPS = [
  { name: 'services', repositories: ['orders-api-*'] },
  { name: 'tools', repositories: ['tools/*'] },
];

describe('metric dimensions stay a closed set', () => {
  it.each([
    ['orders-api-prod', 'services'],
    ['tools/linter', 'tools'],
    ['someone-elses-repo', UNGROUPED],
  ])('puts repository %s in group %s', (repositoryName, group) => {
    expect(repositoryGroupDimension(GROUPS, repositoryName)).toBe(group);
  });

  it.each([
    ['CRITICAL', 'CRITICAL'],
    ['UNTRIAGED', 'UNTRIAGED'],
    ['SEVERE-ISH', OTHER_SEVERITY],
  ])('names severity %s as %s', (severity, dimension) => {
    expect(severityDimension(severity)).toBe(dimension);
  });

  it('counts findings per severity present, unknown severities summed under OTHER', () => {
    const counts = completeCounts({ CRITICAL: 2, LOW: 0, WEIRD: 3, STRANGE: 1, TOTAL: 9 });

    const points = findingsBySeverity(counts, 'services');

    expect(points).toEqual([
      { name: 'Findings', value: 2, dimensions: { RepositoryGroup: 'services', Severity: 'CRITICAL' } },
      { name: 'Findings', value: 4, dimensions: { RepositoryGroup: 'services', Severity: OTHER_SEVERITY } },
    ]);
  });
});
