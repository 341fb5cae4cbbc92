import { describe, expect, it } from 'vitest';
import { SARIF_SCHEMA_URI, sarifLog } from '../../src/scan-gate/domain/sarif.ts';
import { SARIF_SCHEMA, sarifSchemaErrors } from './sarif-schema.ts';
import { DIGEST, failingVerdict, finding, verdictOf } from './verdict-fixtures.ts';

const ARTIFACT = `123456789012.dkr.ecr.us-east-1.amazonaws.com/my-web-app@${DIGEST}`;

type Log = {
  runs: {
    tool: { driver: { name: string; version: string; rules: Record<string, unknown>[] } };
    results: Record<string, unknown>[];
    properties: Record<string, unknown>;
    invocations: { executionSuccessful: boolean }[];
  }[];
};

describe('scan-gate SARIF', () => {
  it('validates against the official SARIF 2.1.0 schema', () => {
    expect(SARIF_SCHEMA.title).toBe('Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema');
    const verdict = failingVerdict();
    const all = [
      ...verdict.blocking.details,
      finding('CVE-2024-1234', 'CRITICAL'),
      finding('CVE-2024-7777', 'LOW', { link: 'not a url' }),
    ];

    const log = sarifLog({
      report: {
        outcome: 'FAIL',
        repositoryName: 'my-web-app',
        imageDigest: DIGEST,
        source: 'evaluated',
        verdict,
      },
      findings: all,
      cvss: new Map([['CVE-2024-1000', 9.8]]),
      toolVersion: '0.1.0',
      artifactUri: ARTIFACT,
    });

    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(log).toMatchObject({ $schema: SARIF_SCHEMA_URI, version: '2.1.0' });
  });

  it('names the tool, has a rule per CVE with its link and CVSS, and levels by how each finding stands', () => {
    const verdict = failingVerdict();

    const log = sarifLog({
      report: { outcome: 'FAIL', repositoryName: 'my-web-app', imageDigest: DIGEST, verdict },
      findings: [
        ...verdict.blocking.details,
        finding('CVE-2024-1234', 'CRITICAL'),
        finding('CVE-2024-9', 'LOW'),
      ],
      cvss: new Map([['CVE-2024-1000', 9.8]]),
      toolVersion: '0.1.0',
      artifactUri: ARTIFACT,
    }) as Log;

    const run = log.runs[0];
    expect(run?.tool.driver).toMatchObject({ name: 'ecr-sentinel', version: '0.1.0' });
    expect(run?.tool.driver.rules[0]).toEqual({
      id: 'CVE-2024-1000',
      shortDescription: { text: 'CVE-2024-1000 in openssl' },
      fullDescription: { text: 'CVE-2024-1000 in openssl' },
      helpUri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-1000',
      properties: { tags: ['security', 'vulnerability', 'CRITICAL'], 'security-severity': '9.8' },
    });
    // Where the scanner gave no CVSS score there is none.
    expect(run?.tool.driver.rules[1]?.properties).not.toHaveProperty('security-severity');
    const byId = new Map(run?.results.map((r) => [r.ruleId, r]));
    expect(byId.get('CVE-2024-1000')).toMatchObject({
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: ARTIFACT } } }],
      properties: { standing: 'blocking', fixedVersion: '3.0.2' },
    });
    expect(byId.get('CVE-2024-1234')).toMatchObject({
      level: 'warning',
      suppressions: [
        { kind: 'external', justification: 'exception owned by alice@example.com until 2027-01-31 (SEC-12)' },
      ],
      properties: { standing: 'excepted' },
    });
    expect(byId.get('CVE-2024-9')).toMatchObject({ level: 'note', properties: { standing: 'allowed' } });
    expect(run?.properties).toMatchObject({
      verdict: 'FAIL',
      reason: verdict.reason,
      blocking: verdict.blocking.ids,
    });
    expect(run?.invocations).toEqual([{ executionSuccessful: true }]);
  });

  it('lists a blocking CVE of a stored verdict even when the scan findings are not at hand', () => {
    const verdict = verdictOf({ findings: [finding('CVE-2024-1', 'CRITICAL')] });

    const log = sarifLog({
      report: { outcome: 'FAIL', repositoryName: 'r', imageDigest: DIGEST, source: 'stored', verdict },
      findings: [],
      cvss: new Map(),
      toolVersion: '0.1.0',
      artifactUri: `r@${DIGEST}`,
    }) as Log;

    expect(log.runs[0]?.results.map((r) => [r.ruleId, r.level])).toEqual([['CVE-2024-1', 'error']]);
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it('says why in a valid log without results when the image could not be judged', () => {
    const log = sarifLog({
      report: { outcome: 'ERROR', repositoryName: 'r', imageDigest: DIGEST, message: 'no scan started: …' },
      findings: [],
      cvss: new Map(),
      toolVersion: '0.1.0',
      artifactUri: `r@${DIGEST}`,
    }) as Log;

    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(log.runs[0]?.results).toEqual([]);
    expect(log.runs[0]?.invocations[0]?.executionSuccessful).toBe(false);
    expect(log.runs[0]?.properties).toMatchObject({ verdict: 'ERROR', message: 'no scan started: …' });
  });

  it('is caught by the schema check when it breaks the schema', () => {
    expect(sarifSchemaErrors({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toEqual([
      "/runs/0/tool/driver: must have required property 'name'",
    ]);
  });
});
