import type {
  DescribeImageScanFindingsResponse,
  EnhancedImageScanFinding,
  ImageScanFinding,
} from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import {
  fromBasicFinding,
  fromDescribeImageScanFindings,
  fromEnhancedFinding,
} from '../../src/scan-gate/adapters/ecr-findings-mapping.ts';

const basic: ImageScanFinding = {
  name: 'CVE-2019-5188',
  description: 'A code execution vulnerability exists in the directory rehashing functionality of E2fsprogs.',
  uri: 'https://security-tracker.debian.org/tracker/CVE-2019-5188',
  severity: 'MEDIUM',
  attributes: [
    { key: 'package_version', value: '1.44.5-1+deb10u2' },
    { key: 'package_name', value: 'e2fsprogs' },
    { key: 'CVSS2_VECTOR', value: 'AV:L/AC:L/Au:N/C:P/I:P/A:P' },
    { key: 'CVSS2_SCORE', value: '4.6' },
  ],
};

const enhanced: EnhancedImageScanFinding = {
  awsAccountId: '123456789012',
  description:
    'In libssh2 v1.9.0 and earlier versions, the SSH_MSG_DISCONNECT logic has an integer overflow.',
  findingArn: 'arn:aws:inspector2:us-east-2:123456789012:finding/be674aaddd0f75ac632055EXAMPLE',
  packageVulnerabilityDetails: {
    referenceUrls: ['https://access.redhat.com/errata/RHSA-2020:3915'],
    source: 'REDHAT_CVE',
    sourceUrl: 'https://access.redhat.com/security/cve/CVE-2019-17498',
    vulnerabilityId: 'CVE-2019-17498',
    vulnerablePackages: [
      { name: 'libssh2', version: '1.4.3', release: '12.amzn2.2', fixedInVersion: '0:1.4.3-12.amzn2.2.3' },
    ],
  },
  remediation: { recommendation: { text: 'Update all packages in the vulnerable packages section.' } },
  severity: 'MEDIUM',
  status: 'ACTIVE',
  title: 'CVE-2019-17498 - libssh2',
  type: 'PACKAGE_VULNERABILITY',
  fixAvailable: 'YES',
};

describe('ECR scan findings normalisation', () => {
  it('maps a basic finding: CVE from name, package from attributes, fix unknown', () => {
    expect(fromBasicFinding(basic)).toEqual({
      id: 'CVE-2019-5188',
      severity: 'MEDIUM',
      package: 'e2fsprogs',
      installedVersion: '1.44.5-1+deb10u2',
      fixedVersion: undefined,
      fixAvailable: undefined,
      title: basic.description,
      link: 'https://security-tracker.debian.org/tracker/CVE-2019-5188',
    });
  });

  it('maps an enhanced finding: vulnerability id, package versions, fix and advisory link', () => {
    expect(fromEnhancedFinding(enhanced)).toEqual({
      id: 'CVE-2019-17498',
      severity: 'MEDIUM',
      package: 'libssh2',
      installedVersion: '1.4.3',
      fixedVersion: '0:1.4.3-12.amzn2.2.3',
      fixAvailable: true,
      title: 'CVE-2019-17498 - libssh2',
      link: 'https://access.redhat.com/security/cve/CVE-2019-17498',
    });
  });

  it.each([
    ['YES', '1.2', true],
    ['PARTIAL', '1.2', true],
    ['NO', undefined, false],
    [undefined, '1.2', true],
    [undefined, undefined, undefined],
  ])('reads Inspector fixAvailable %s (fixed in %s) as %s', (fixAvailable, fixedInVersion, expected) => {
    const finding = fromEnhancedFinding({
      ...enhanced,
      fixAvailable,
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-1',
        vulnerablePackages: [{ name: 'p', version: '1.0', fixedInVersion }],
      },
    });

    expect(finding.fixAvailable).toBe(expected);
  });

  it.each([
    ['a basic finding without severity', () => fromBasicFinding({ name: 'CVE-1' }).severity, 'UNDEFINED'],
    [
      'a basic UNDEFINED finding',
      () => fromBasicFinding({ name: 'CVE-1', severity: 'UNDEFINED' }).severity,
      'UNDEFINED',
    ],
    [
      'an Inspector UNTRIAGED finding',
      () => fromEnhancedFinding({ ...enhanced, severity: 'UNTRIAGED' }).severity,
      'UNTRIAGED',
    ],
    [
      'an enhanced finding without a vulnerability id (title instead)',
      () => fromEnhancedFinding({ ...enhanced, packageVulnerabilityDetails: {} }).id,
      'CVE-2019-17498 - libssh2',
    ],
    ['an empty basic finding', () => fromBasicFinding({}).id, 'UNKNOWN'],
    [
      'the link of an enhanced finding with only a remediation URL',
      () =>
        fromEnhancedFinding({ title: 'x', remediation: { recommendation: { url: 'https://fix.example/x' } } })
          .link,
      'https://fix.example/x',
    ],
    [
      'the link of an enhanced finding with only reference URLs',
      () =>
        fromEnhancedFinding({ packageVulnerabilityDetails: { referenceUrls: ['', 'https://ref.example'] } })
          .link,
      'https://ref.example',
    ],
  ])('keeps %s', (_case, act, expected) => {
    expect(act()).toBe(expected);
  });

  it('joins several vulnerable packages in order and treats NotAvailable as no fixed version', () => {
    const finding = fromEnhancedFinding({
      ...enhanced,
      fixAvailable: 'PARTIAL',
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2',
        vulnerablePackages: [
          { name: 'a', version: '1', fixedInVersion: '2' },
          { name: 'b', version: '3', fixedInVersion: 'NotAvailable' },
        ],
      },
    });

    expect(finding).toMatchObject({
      package: 'a, b',
      installedVersion: '1, 3',
      fixedVersion: '2, ?',
      fixAvailable: true,
    });
  });

  it('reads status and findings across pages, basic and enhanced alike', () => {
    const pages: DescribeImageScanFindingsResponse[] = [
      { imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findings: [basic] } },
      {
        imageScanStatus: { status: 'ACTIVE', description: 'continuous' },
        imageScanFindings: { enhancedFindings: [enhanced] },
      },
    ];

    const result = fromDescribeImageScanFindings(pages);

    expect(result.scanStatus).toBe('ACTIVE');
    expect(result.scanStatusDescription).toBe('continuous');
    expect(result.findings.map((f) => f.id)).toEqual(['CVE-2019-5188', 'CVE-2019-17498']);
  });

  it('reports an UNKNOWN status when the response has none', () => {
    expect(fromDescribeImageScanFindings([{}]).scanStatus).toBe('UNKNOWN');
    expect(fromDescribeImageScanFindings([]).findings).toEqual([]);
  });
});
