import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EcrCaller, EventEntry, RegistryRef } from '../../../src/sandbox/contracts.ts';
import { repositoryPolicyVerdict } from '../../../src/sandbox/ecr/access.ts';
import { createEcrEmulator } from '../../../src/sandbox/ecr/index.ts';
import { dockerManifest, FakeClock, sha256, sleep } from './fixtures.ts';

const HOME: EcrCaller = { accountId: '123456789012', region: 'us-east-1' };
const SOURCE: EcrCaller = {
  accountId: '111111111111',
  region: 'us-east-1',
  principalArn: 'arn:aws:sts::111111111111:assumed-role/x/session',
};
const SOURCE_WEST: EcrCaller = { ...SOURCE, region: 'eu-west-1' };
const TARGET: EcrCaller = { accountId: '222222222222', region: 'us-east-1' };
const CONFIG = '{"architecture":"amd64","os":"linux"}';

/** An emulator whose calls name their caller, collecting events with the registry that emitted them. */
async function makeRegistries(stateDir?: string) {
  const events: Array<{ entry: EventEntry; origin: RegistryRef | undefined }> = [];
  const emulator = await createEcrEmulator({
    clock: new FakeClock(),
    accountId: HOME.accountId,
    region: HOME.region,
    publicUrl: () => 'http://127.0.0.1:4566',
    emit: (entries, origin) => {
      for (const entry of entries) events.push({ entry, origin });
    },
    scanDelayMs: 5,
    ...(stateDir === undefined ? {} : { stateDir }),
  });
  async function call(caller: EcrCaller, action: string, input: unknown = {}) {
    const response = await emulator.serve(action, JSON.stringify(input), caller);
    // biome-ignore lint/suspicious/noExplicitAny: test helper returns loosely typed JSON
    return { status: response.status, body: JSON.parse(String(response.body)) as any };
  }
  // biome-ignore lint/suspicious/noExplicitAny: test helper returns loosely typed JSON
  async function ok(caller: EcrCaller, action: string, input: unknown = {}): Promise<any> {
    const response = await call(caller, action, input);
    if (response.status !== 200) throw new Error(`${action} failed: ${JSON.stringify(response.body)}`);
    return response.body;
  }
  async function fail(caller: EcrCaller, action: string, input: unknown = {}) {
    const response = await call(caller, action, input);
    if (response.status === 200) throw new Error(`${action} unexpectedly succeeded`);
    return { type: response.body.__type as string, message: response.body.message as string };
  }
  async function upload(caller: EcrCaller, repositoryName: string, data: string): Promise<string> {
    const { uploadId } = await ok(caller, 'InitiateLayerUpload', { repositoryName });
    const bytes = Buffer.from(data);
    await ok(caller, 'UploadLayerPart', {
      repositoryName,
      uploadId,
      partFirstByte: 0,
      partLastByte: bytes.length - 1,
      layerPartBlob: bytes.toString('base64'),
    });
    await ok(caller, 'CompleteLayerUpload', { repositoryName, uploadId, layerDigests: [sha256(bytes)] });
    return sha256(bytes);
  }
  /** A repository holding one image (config + `layer`) tagged `tag`; returns the image digest. */
  async function repoWithImage(caller: EcrCaller, repositoryName: string, layer: string, tag = 'v1') {
    await ok(caller, 'CreateRepository', { repositoryName });
    await upload(caller, repositoryName, CONFIG);
    const layerDigest = await upload(caller, repositoryName, layer);
    const manifest = dockerManifest(sha256(CONFIG), CONFIG.length, [
      { digest: layerDigest, size: layer.length },
    ]);
    const put = await ok(caller, 'PutImage', { repositoryName, imageManifest: manifest, imageTag: tag });
    return put.image.imageId.imageDigest as string;
  }
  return { emulator, events, call, ok, fail, upload, repoWithImage };
}

type Registries = Awaited<ReturnType<typeof makeRegistries>>;
let t: Registries;
beforeEach(async () => {
  t = await makeRegistries();
});
afterEach(async () => {
  await t.emulator.close();
});

const names = async (caller: EcrCaller) =>
  (await t.ok(caller, 'DescribeRepositories')).repositories.map(
    (r: { repositoryName: string }) => r.repositoryName,
  );

describe('a registry per account and Region', () => {
  it('keeps repositories, settings and events apart, with the registry’s account and Region in ARNs', async () => {
    // Act
    const created = await t.ok(SOURCE_WEST, 'CreateRepository', {
      repositoryName: 'app',
      encryptionConfiguration: { encryptionType: 'KMS' },
    });
    await t.repoWithImage(SOURCE, 'app', 'source-layer');
    await t.ok(SOURCE, 'PutRegistryScanningConfiguration', { scanType: 'ENHANCED', rules: [] });
    // Assess
    expect(created.repository).toMatchObject({
      registryId: SOURCE.accountId,
      repositoryArn: 'arn:aws:ecr:eu-west-1:111111111111:repository/app',
      repositoryUri: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/app',
      encryptionConfiguration: { kmsKey: 'arn:aws:kms:eu-west-1:111111111111:alias/aws/ecr' },
    });
    expect(await names(HOME)).toEqual([]);
    expect(await names(SOURCE)).toEqual(['app']);
    expect(await names(SOURCE_WEST)).toEqual(['app']);
    expect((await t.ok(SOURCE_WEST, 'DescribeImages', { repositoryName: 'app' })).imageDetails).toEqual([]);
    expect(t.emulator.scanType(SOURCE)).toBe('ENHANCED');
    expect(t.emulator.scanType(SOURCE_WEST)).toBe('BASIC');
    expect(t.emulator.scanType()).toBe('BASIC');
    const push = t.events.find((e) => e.entry.DetailType === 'ECR Image Action');
    expect(push?.origin).toEqual({ accountId: SOURCE.accountId, region: SOURCE.region });
  });

  it('resolves an unsigned call (no caller) to the sandbox’s registry', async () => {
    await t.emulator.serve('CreateRepository', JSON.stringify({ repositoryName: 'home' }));
    expect(await names(HOME)).toEqual(['home']);
    expect(await names(SOURCE)).toEqual([]);
  });

  it('scans with the findings catalogue and emits scan events of the registry that holds the image', async () => {
    // Prepare
    await t.ok(SOURCE, 'CreateRepository', {
      repositoryName: 'scanned',
      imageScanningConfiguration: { scanOnPush: true },
    });
    t.emulator.setFindings(
      { repositoryName: 'scanned', imageTag: 'v1', findings: [{ name: 'CVE-1', severity: 'HIGH' }] },
      SOURCE,
    );
    // Act
    await t.upload(SOURCE, 'scanned', CONFIG);
    const layer = await t.upload(SOURCE, 'scanned', 'scanned-layer');
    await t.ok(SOURCE, 'PutImage', {
      repositoryName: 'scanned',
      imageManifest: dockerManifest(sha256(CONFIG), CONFIG.length, [{ digest: layer, size: 13 }]),
      imageTag: 'v1',
    });
    await sleep(30);
    // Assess
    const scan = t.events.find((e) => e.entry.DetailType === 'ECR Image Scan');
    expect(scan?.origin).toEqual({ accountId: SOURCE.accountId, region: SOURCE.region });
    expect(scan?.entry.Resources).toEqual(['arn:aws:ecr:us-east-1:111111111111:repository/scanned']);
    expect(JSON.parse(scan?.entry.Detail ?? '{}')['finding-severity-counts']).toEqual({ HIGH: 1 });
  });

  it('reads blobs of the registry it is asked for', async () => {
    await t.repoWithImage(SOURCE, 'app', 'source-bytes');
    await t.repoWithImage(TARGET, 'app', 'target-bytes');
    expect(t.emulator.readBlob('app', sha256('source-bytes'), SOURCE)?.toString()).toBe('source-bytes');
    expect(t.emulator.readBlob('app', sha256('source-bytes'), TARGET)).toBeUndefined();
    expect(t.emulator.readBlob('app', sha256('target-bytes'), TARGET)?.toString()).toBe('target-bytes');
    expect(t.emulator.readBlob('app', sha256('target-bytes'))).toBeUndefined();
  });

  it('reset empties every registry', async () => {
    await t.repoWithImage(SOURCE, 'app', 'source-bytes');
    await t.ok(HOME, 'CreateRepository', { repositoryName: 'home' });
    await t.ok(TARGET, 'PutRegistryScanningConfiguration', { scanType: 'ENHANCED', rules: [] });
    t.emulator.reset();
    expect(await names(SOURCE)).toEqual([]);
    expect(await names(HOME)).toEqual([]);
    expect(t.emulator.readBlob('app', sha256('source-bytes'), SOURCE)).toBeUndefined();
    expect(t.emulator.scanType(TARGET)).toBe('BASIC');
  });
});

describe('cross-account access', () => {
  const grant = (statement: Record<string, unknown>) =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });

  it('refuses without a policy, names a missing repository as not found, and allows what a policy grants', async () => {
    // Prepare
    const digest = await t.repoWithImage(TARGET, 'shared', 'shared-bytes');
    const describe = { registryId: TARGET.accountId, repositoryName: 'shared' };
    // Act
    const before = await t.fail(SOURCE, 'DescribeImages', describe);
    const missing = await t.fail(SOURCE, 'DescribeImages', { ...describe, repositoryName: 'missing' });
    await t.ok(TARGET, 'SetRepositoryPolicy', {
      repositoryName: 'shared',
      policyText: grant({
        Principal: { AWS: SOURCE.accountId },
        Action: ['ecr:Describe*', 'ecr:GetDownloadUrlForLayer'],
      }),
    });
    const after = await t.ok(SOURCE, 'DescribeImages', describe);
    const url = await t.ok(SOURCE, 'GetDownloadUrlForLayer', {
      ...describe,
      layerDigest: sha256('shared-bytes'),
    });
    const put = await t.fail(SOURCE, 'BatchDeleteImage', { ...describe, imageIds: [{ imageTag: 'v1' }] });
    const otherRegion = await t.fail(SOURCE_WEST, 'DescribeImages', describe);
    // Assess
    expect(before).toEqual({
      type: 'AccessDeniedException',
      message:
        'User: arn:aws:sts::111111111111:assumed-role/x/session is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-1:222222222222:repository/shared because no resource-based policy allows the ecr:DescribeImages action',
    });
    expect(missing.type).toBe('RepositoryNotFoundException');
    expect(after.imageDetails.map((d: { imageDigest: string }) => d.imageDigest)).toEqual([digest]);
    expect(url.downloadUrl).toBe(
      `http://127.0.0.1:4566/_sandbox/ecr/blob?repository=shared&digest=${encodeURIComponent(sha256('shared-bytes'))}&registry=222222222222&region=us-east-1`,
    );
    expect(put.type).toBe('AccessDeniedException');
    // A registry is one Region: the policy of the us-east-1 repository says nothing in eu-west-1.
    expect(otherRegion.type).toBe('RepositoryNotFoundException');
  });

  it('refuses registry-level calls on another account’s registry', async () => {
    await t.ok(TARGET, 'CreateRepository', { repositoryName: 'shared' });
    await t.ok(TARGET, 'SetRepositoryPolicy', {
      repositoryName: 'shared',
      policyText: grant({ Principal: '*', Action: 'ecr:*' }),
    });
    for (const [action, input] of [
      ['DescribeRepositories', {}],
      ['CreateRepository', { repositoryName: 'new-one' }],
      ['PutRegistryScanningConfiguration', { scanType: 'ENHANCED' }],
    ] as const) {
      expect((await t.fail(SOURCE, action, { registryId: TARGET.accountId, ...input })).type).toBe(
        'AccessDeniedException',
      );
    }
    expect(await names(TARGET)).toEqual(['shared']);
    expect(t.emulator.scanType(TARGET)).toBe('BASIC');
    // Named repositories are judged by their policies.
    const named = await t.ok(SOURCE, 'DescribeRepositories', {
      registryId: TARGET.accountId,
      repositoryNames: ['shared'],
    });
    expect(named.repositories[0].repositoryArn).toBe('arn:aws:ecr:us-east-1:222222222222:repository/shared');
  });

  it('judges resource-ARN actions (tags) by the ARN’s account', async () => {
    const { repository } = await t.ok(TARGET, 'CreateRepository', {
      repositoryName: 'tagged',
      tags: [{ Key: 'team', Value: 'core' }],
    });
    const denied = await t.fail(SOURCE, 'ListTagsForResource', { resourceArn: repository.repositoryArn });
    await t.ok(TARGET, 'SetRepositoryPolicy', {
      repositoryName: 'tagged',
      policyText: grant({
        Principal: { AWS: `arn:aws:iam::${SOURCE.accountId}:root` },
        Action: 'ecr:ListTagsForResource',
      }),
    });
    const allowed = await t.ok(SOURCE, 'ListTagsForResource', { resourceArn: repository.repositoryArn });
    expect(denied.type).toBe('AccessDeniedException');
    expect(allowed.tags).toEqual([{ Key: 'team', Value: 'core' }]);
  });
});

describe('repository policy verdicts', () => {
  const ARN = 'arn:aws:ecr:us-east-1:222222222222:repository/shared';
  const policy = (statements: Array<Record<string, unknown>>) =>
    JSON.stringify({ Version: '2012-10-17', Statement: statements });

  it.each([
    ['"*"', '*', 'allow'],
    ['{"AWS":"*"}', { AWS: '*' }, 'allow'],
    ['the account id', { AWS: '111111111111' }, 'allow'],
    ['the account root', { AWS: 'arn:aws:iam::111111111111:root' }, 'allow'],
    [
      'the caller’s role',
      { AWS: ['arn:aws:iam::333333333333:root', 'arn:aws:iam::111111111111:role/x'] },
      'allow',
    ],
    ['another role of the account', { AWS: 'arn:aws:iam::111111111111:role/y' }, 'implicit-deny'],
    ['another account', { AWS: '333333333333' }, 'implicit-deny'],
    ['a service', { Service: 'lambda.amazonaws.com' }, 'implicit-deny'],
  ])('a Principal of %s decides %s', (_what, principal, verdict) => {
    const text = policy([{ Effect: 'Allow', Principal: principal, Action: 'ecr:BatchGetImage' }]);
    expect(repositoryPolicyVerdict(text, SOURCE, 'BatchGetImage', ARN)).toBe(verdict);
  });

  it.each([
    ['ecr:*', 'PutImage', 'allow'],
    ['ecr:batch*', 'BatchGetImage', 'allow'],
    ['ecr:BatchGetImage', 'PutImage', 'implicit-deny'],
  ])('an Action of %s decides %s: %s', (action, requested, verdict) => {
    const text = policy([{ Effect: 'Allow', Principal: '*', Action: action }]);
    expect(repositoryPolicyVerdict(text, SOURCE, requested, ARN)).toBe(verdict);
  });

  it('lets an explicit Deny win, and judges a policy it cannot read as allowing nothing', () => {
    const text = policy([
      { Effect: 'Allow', Principal: '*', Action: 'ecr:*' },
      {
        Sid: 'NoDeletes',
        Effect: 'Deny',
        Principal: { AWS: '111111111111' },
        Action: 'ecr:BatchDeleteImage',
      },
    ]);
    expect(repositoryPolicyVerdict(text, SOURCE, 'BatchDeleteImage', ARN)).toBe('explicit-deny');
    expect(repositoryPolicyVerdict(text, TARGET, 'BatchDeleteImage', ARN)).toBe('allow');
    expect(
      repositoryPolicyVerdict(
        '{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"ecr:*"}]}',
        SOURCE,
        'PutImage',
        ARN,
      ),
    ).toBe('implicit-deny');
    expect(repositoryPolicyVerdict(undefined, SOURCE, 'PutImage', ARN)).toBe('implicit-deny');
  });

  it('evaluates conditions on the caller’s account', () => {
    const text = policy([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 'ecr:BatchGetImage',
        Condition: { StringEquals: { 'aws:PrincipalAccount': '111111111111' } },
      },
    ]);
    expect(repositoryPolicyVerdict(text, SOURCE, 'BatchGetImage', ARN)).toBe('allow');
    expect(
      repositoryPolicyVerdict(text, { accountId: '333333333333', region: 'us-east-1' }, 'BatchGetImage', ARN),
    ).toBe('implicit-deny');
  });
});

describe('persistence', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-registries-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves every registry and loads them back apart', async () => {
    // Prepare
    const first = await makeRegistries(dir);
    const sourceDigest = await first.repoWithImage(SOURCE, 'app', 'source-bytes');
    const westDigest = await first.repoWithImage(SOURCE_WEST, 'app', 'west-bytes', 'v2');
    await first.ok(HOME, 'CreateRepository', { repositoryName: 'home' });
    await first.ok(SOURCE_WEST, 'PutRegistryScanningConfiguration', { scanType: 'ENHANCED', rules: [] });
    first.emulator.setFindings({ repositoryName: 'app', imageTag: 'v2', findings: [] }, SOURCE_WEST);
    await first.emulator.close();
    // Act
    const second = await makeRegistries(dir);
    // Assess
    const described = async (caller: EcrCaller) =>
      (await second.ok(caller, 'DescribeImages', { repositoryName: 'app' })).imageDetails.map(
        (d: { imageDigest: string; imageTags: string[]; registryId: string }) => [
          d.registryId,
          d.imageDigest,
          d.imageTags,
        ],
      );
    expect(await described(SOURCE)).toEqual([[SOURCE.accountId, sourceDigest, ['v1']]]);
    expect(await described(SOURCE_WEST)).toEqual([[SOURCE.accountId, westDigest, ['v2']]]);
    expect(
      (await second.ok(HOME, 'DescribeRepositories')).repositories.map(
        (r: { repositoryName: string }) => r.repositoryName,
      ),
    ).toEqual(['home']);
    expect(second.emulator.readBlob('app', sha256('west-bytes'), SOURCE_WEST)?.toString()).toBe('west-bytes');
    expect(second.emulator.readBlob('app', sha256('west-bytes'), SOURCE)).toBeUndefined();
    expect(second.emulator.scanType(SOURCE_WEST)).toBe('ENHANCED');
    expect(second.emulator.scanType(SOURCE)).toBe('BASIC');
    await second.emulator.close();
  });

  it('loads a state directory of the single-registry format as the sandbox’s registry', async () => {
    // Prepare: what the emulator wrote before registries per account and Region
    await mkdir(join(dir, 'blobs'), { recursive: true });
    await writeFile(
      join(dir, 'ecr-state.json'),
      JSON.stringify({
        version: 1,
        settings: { scanType: 'ENHANCED', scanningRules: [], replicationRules: [] },
        catalogue: [],
        repositories: [
          {
            name: 'legacy',
            createdAt: 1_700_000_000_000,
            imageTagMutability: 'MUTABLE',
            exclusionFilters: [],
            scanOnPush: false,
            encryption: { encryptionType: 'AES256' },
            resourceTags: [],
            blobs: [],
            nextImageSeq: 1,
            images: [],
          },
        ],
      }),
    );
    // Act
    const loaded = await makeRegistries(dir);
    // Assess
    const home = (await loaded.ok(HOME, 'DescribeRepositories')).repositories;
    expect(home.map((r: { repositoryArn: string }) => r.repositoryArn)).toEqual([
      'arn:aws:ecr:us-east-1:123456789012:repository/legacy',
    ]);
    expect(loaded.emulator.scanType()).toBe('ENHANCED');
    await loaded.emulator.flush();
    const saved = JSON.parse(await readFile(join(dir, 'ecr-state.json'), 'utf8'));
    expect(saved.version).toBe(2);
    expect(saved.registries.map((r: RegistryRef) => [r.accountId, r.region])).toEqual([
      [HOME.accountId, HOME.region],
    ]);
    await loaded.emulator.close();
  });
});
