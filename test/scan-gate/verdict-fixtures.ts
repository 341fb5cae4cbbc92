import type { ScanException } from '../../src/scan-gate/domain/exceptions.ts';
import type { Finding } from '../../src/scan-gate/domain/findings.ts';
import type { EffectivePolicy } from '../../src/scan-gate/domain/policy.ts';
import { type EvaluateInput, evaluate, type Verdict } from '../../src/scan-gate/domain/verdict.ts';

/** Test builders shared by the verdict and alert tests. */

export const DIGEST = 'sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5ab12cd34ef';

export function finding(id: string, severity: string, over: Partial<Finding> = {}): Finding {
  return {
    id,
    severity,
    package: 'openssl',
    installedVersion: '3.0.1',
    fixedVersion: '3.0.2',
    fixAvailable: true,
    title: `${id} in openssl`,
    link: `https://nvd.nist.gov/vuln/detail/${id}`,
    ...over,
  };
}

/** `n` findings of one severity, ids `CVE-2024-<start>`… */
export function findings(n: number, severity: string, start = 1000, over: Partial<Finding> = {}): Finding[] {
  return Array.from({ length: n }, (_, i) => finding(`CVE-2024-${start + i}`, severity, over));
}

export function policy(over: Partial<EffectivePolicy> = {}): EffectivePolicy {
  return {
    thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 10 },
    fixableOnly: false,
    enforcement: 'notify',
    untagTags: [],
    alertOn: 'change',
    source: {},
    ...over,
  };
}

export function exception(cve: string, over: Partial<ScanException> = {}): ScanException {
  return {
    cve,
    repositories: ['orders-api-*'],
    expires: '2027-01-31',
    owner: 'alice@example.com',
    reason: 'not reachable',
    ticket: 'SEC-12',
    ...over,
  };
}

export const NOW = new Date('2026-06-01T12:00:00Z');

export function input(over: Partial<EvaluateInput> = {}): EvaluateInput {
  return {
    repositoryName: 'orders-api-prod',
    imageDigest: DIGEST,
    imageTags: ['v1.2.3', 'latest'],
    scanStatus: 'COMPLETE',
    findings: [],
    policy: policy(),
    exceptions: [],
    now: NOW,
    ...over,
  };
}

export function verdictOf(over: Partial<EvaluateInput> = {}): Verdict {
  return evaluate(input(over));
}

/** A failing image used across alert rendering tests: 2 CRITICAL + 5 HIGH, one excepted CVE, one expired. */
export function failingVerdict(): Verdict {
  return verdictOf({
    repositoryName: 'my-web-app',
    imageTags: ['v1.2.3'],
    findings: [
      ...findings(2, 'CRITICAL', 1000),
      ...findings(5, 'HIGH', 2000),
      finding('CVE-2024-1234', 'CRITICAL'),
    ],
    exceptions: [
      exception('CVE-2024-1234', { repositories: ['my-web-*'] }),
      exception('CVE-2024-2000', { repositories: ['*'], expires: '2026-05-01', owner: 'bob@example.com' }),
    ],
  });
}
