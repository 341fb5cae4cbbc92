import { describe, expect, it } from 'vitest';
import { gateFormat } from '../../src/scan-gate/domain/ci-gate.ts';
import { expectScan } from '../../src/scan-gate/domain/scan-expectation.ts';
import type { ScanSettings } from '../../src/shared/ecr/scan-settings.ts';
import { DIGEST } from './verdict-fixtures.ts';

const basic = (over: Partial<ScanSettings> = {}): ScanSettings => ({
  repositoryScanOnPush: false,
  registryScanType: 'BASIC',
  registryRules: [],
  ...over,
});
const rule = (scanFrequency: string, ...repositoryFilters: string[]) => ({
  scanFrequency,
  repositoryFilters,
});

describe('whether a scan of a never-scanned image is coming', () => {
  const request = { repositoryName: 'shop-dev', imageDigest: DIGEST, pipelineStartsScans: false };

  it.each([
    ['scan on push on the repository', basic({ repositoryScanOnPush: true }), 'scan on push is on'],
    [
      'a basic SCAN_ON_PUSH rule matching it',
      basic({ registryRules: [rule('SCAN_ON_PUSH', 'other-*', 'shop-*')] }),
      'a registry scanning rule scans it on push',
    ],
    [
      'an enhanced CONTINUOUS_SCAN rule matching it',
      basic({ registryScanType: 'ENHANCED', registryRules: [rule('CONTINUOUS_SCAN', '*-dev')] }),
      'Amazon Inspector scans it (CONTINUOUS_SCAN rule)',
    ],
    [
      'an enhanced SCAN_ON_PUSH rule matching it',
      basic({ registryScanType: 'ENHANCED', registryRules: [rule('SCAN_ON_PUSH', '*')] }),
      'Amazon Inspector scans it (SCAN_ON_PUSH rule)',
    ],
  ])('is coming with %s', (_, coverage, why) => {
    expect(expectScan(coverage, request)).toEqual({ coming: true, why });
  });

  it('is coming when the deployed pipeline starts one (basic scanning)', () => {
    expect(expectScan(basic(), { ...request, pipelineStartsScans: true })).toEqual({
      coming: true,
      why: 'on-image-pushed starts one',
    });
  });

  it.each([
    ['nothing scans on push', basic()],
    ['only a MANUAL rule matches', basic({ registryRules: [rule('MANUAL', '*')] })],
    [
      'the SCAN_ON_PUSH rule matches other repositories',
      basic({ registryRules: [rule('SCAN_ON_PUSH', 'prod-*')] }),
    ],
    // Basic scanning has no continuous scanning: such a rule does not scan a push.
    ['a CONTINUOUS_SCAN rule under basic scanning', basic({ registryRules: [rule('CONTINUOUS_SCAN', '*')] })],
  ])('is not coming when %s, and says what to run', (_, coverage) => {
    expect(expectScan(coverage, request)).toEqual({
      coming: false,
      message: `no scan started: enable scan on push or run aws ecr start-image-scan --repository-name shop-dev --image-id imageDigest=${DIGEST}`,
    });
  });

  it.each([
    ['the repository scans on push', basic({ registryScanType: 'ENHANCED', repositoryScanOnPush: true })],
    ['the pipeline is deployed', basic({ registryScanType: 'ENHANCED' })],
    [
      'only a MANUAL rule matches',
      basic({ registryScanType: 'ENHANCED', registryRules: [rule('MANUAL', '*')] }),
    ],
  ])(
    'with enhanced scanning, is not coming unless a rule covers the repository, even when %s',
    (_, coverage) => {
      const answer = expectScan(coverage, { ...request, pipelineStartsScans: true });

      expect(answer.coming).toBe(false);
      expect(answer).toMatchObject({
        message: expect.stringMatching(/^no scan started: enhanced scanning .* none covers shop-dev/),
      });
    },
  );
});

describe('--format and --json', () => {
  it.each([
    [{}, { format: 'text' }],
    [{ json: true }, { format: 'json' }],
    [{ format: 'sarif' }, { format: 'sarif' }],
    [{ format: 'json', json: true }, { format: 'json' }],
    [{ format: 'sarif', json: true }, { problem: '--json and --format sarif disagree: give one of them' }],
    [{ format: 'xml' }, { problem: '--format: expected one of text, json, sarif, got "xml"' }],
  ])('%j gives %j', (options, expected) => {
    expect(gateFormat(options)).toEqual(expected);
  });
});
