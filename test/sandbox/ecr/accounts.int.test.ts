import { createHash } from 'node:crypto';
import {
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  SetRepositoryPolicyCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountClientConfig, accountCredentials } from '../../support/accounts.ts';
import { type ClientSettings, eventQueue } from '../../support/event-queue.ts';
import { eventually } from '../../support/eventually.ts';
import { admin, awsClientConfig, sandboxUrl, uniqueName } from '../../support/sandbox.ts';

// Accounts and Regions are separate registries on the shared sandbox: every test uses names of its own.
const SOURCE = '111111111111';
const TARGET = '222222222222';
const HOME = '123456789012';

const sha256 = (data: string | Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const CONFIG = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}';

function manifest(layer: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: CONFIG.length,
      digest: sha256(CONFIG),
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: layer.length,
        digest: sha256(layer),
      },
    ],
  });
}

/** Upload the config and `layer` into `repositoryName` and push an image of them as `tag`. */
async function pushImage(
  ecr: ECRClient,
  repositoryName: string,
  layer: string,
  tag: string,
): Promise<string> {
  for (const data of [CONFIG, layer]) {
    const bytes = Buffer.from(data);
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    await ecr.send(
      new UploadLayerPartCommand({
        repositoryName,
        uploadId,
        partFirstByte: 0,
        partLastByte: bytes.length - 1,
        layerPartBlob: bytes,
      }),
    );
    await ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(bytes)] }),
    );
  }
  const pushed = await ecr.send(
    new PutImageCommand({ repositoryName, imageManifest: manifest(layer), imageTag: tag }),
  );
  return pushed.image?.imageId?.imageDigest as string;
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: { name: string; message: string }) => error,
  );
}

let source: AccountClientConfig;
let target: AccountClientConfig;
const clients: Array<{ destroy(): void }> = [];
function ecrOf(config: object): ECRClient {
  const client = new ECRClient(config);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  source = await accountCredentials(sandboxUrl(), SOURCE, { roleName: 'x' });
  target = await accountCredentials(sandboxUrl(), TARGET, { roleName: 'promoter' });
});

afterAll(() => {
  for (const client of clients) client.destroy();
});

describe('registries per account and Region', () => {
  it('answers GetCallerIdentity with the assumed role’s account, through the sandbox', async () => {
    const sts = new STSClient(source);
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(SOURCE);
    expect(identity.Arn).toBe(`arn:aws:sts::${SOURCE}:assumed-role/x/sandbox-test`);
    sts.destroy();
  });

  it('keeps a repository of one account invisible to another, both ways', async () => {
    // Prepare
    const theirs = uniqueName('theirs');
    const ours = uniqueName('ours');
    const sourceEcr = ecrOf(source);
    const homeEcr = ecrOf(awsClientConfig());
    // Act
    const created = await sourceEcr.send(new CreateRepositoryCommand({ repositoryName: theirs }));
    await homeEcr.send(new CreateRepositoryCommand({ repositoryName: ours }));
    // Assess
    expect(created.repository).toMatchObject({
      registryId: SOURCE,
      repositoryArn: `arn:aws:ecr:us-east-1:${SOURCE}:repository/${theirs}`,
      repositoryUri: `${SOURCE}.dkr.ecr.us-east-1.amazonaws.com/${theirs}`,
    });
    const homeMiss = await failure(
      homeEcr.send(new DescribeRepositoriesCommand({ repositoryNames: [theirs] })),
    );
    const sourceMiss = await failure(
      sourceEcr.send(new DescribeRepositoriesCommand({ repositoryNames: [ours] })),
    );
    expect(homeMiss.name).toBe('RepositoryNotFoundException');
    expect(sourceMiss.name).toBe('RepositoryNotFoundException');
    expect(sourceMiss.message).toContain(`registry with id '${SOURCE}'`);
    const listed = async (ecr: ECRClient) =>
      ((await ecr.send(new DescribeRepositoriesCommand({ maxResults: 1000 }))).repositories ?? []).map(
        (r) => r.repositoryName,
      );
    expect(await listed(sourceEcr)).toContain(theirs);
    expect(await listed(sourceEcr)).not.toContain(ours);
    expect(await listed(homeEcr)).toContain(ours);
    expect(await listed(homeEcr)).not.toContain(theirs);
  });

  it('keeps one name in two accounts and two Regions as four distinct repositories', async () => {
    // Prepare
    const name = uniqueName('same');
    const configs = {
      [`${SOURCE}/us-east-1`]: source,
      [`${SOURCE}/eu-west-1`]: { ...source, region: 'eu-west-1' },
      [`${HOME}/us-east-1`]: awsClientConfig(),
      [`${HOME}/eu-west-1`]: { ...awsClientConfig(), region: 'eu-west-1' },
    };
    // Act
    const created: Record<string, unknown> = {};
    for (const [key, config] of Object.entries(configs)) {
      created[key] = (
        await ecrOf(config).send(new CreateRepositoryCommand({ repositoryName: name }))
      ).repository;
    }
    await pushImage(ecrOf(configs[`${SOURCE}/eu-west-1`]), name, 'only-in-source-eu-west-1', 'v1');
    // Assess
    for (const [key, config] of Object.entries(configs)) {
      const [account, region] = key.split('/');
      expect(created[key]).toMatchObject({
        registryId: account,
        repositoryArn: `arn:aws:ecr:${region}:${account}:repository/${name}`,
        repositoryUri: `${account}.dkr.ecr.${region}.amazonaws.com/${name}`,
      });
      const images = await ecrOf(config).send(new DescribeImagesCommand({ repositoryName: name }));
      expect(images.imageDetails?.length).toBe(key === `${SOURCE}/eu-west-1` ? 1 : 0);
      expect(images.imageDetails?.every((d) => d.registryId === account)).toBe(true);
    }
  });
});

describe('the admin API with registries', () => {
  it('stores findings for the registry a findings entry names', async () => {
    // Prepare
    const repositoryName = uniqueName('scanned');
    const ecr = ecrOf(source);
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
    );
    const stored = await admin('POST', 'findings', {
      registryId: SOURCE,
      region: 'us-east-1',
      repositoryName,
      imageTag: 'v1',
      findings: [{ name: 'CVE-2026-0001', severity: 'CRITICAL' }],
    });
    // Act
    const imageDigest = await pushImage(ecr, repositoryName, 'scanned-layer', 'v1');
    // Assess
    expect(stored.status).toBe(201);
    const findings = await eventually(
      () => ecr.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest } })),
      (answer) => answer.imageScanStatus?.status === 'COMPLETE',
    );
    expect(findings.registryId).toBe(SOURCE);
    expect(findings.imageScanFindings?.findings?.map((f) => f.name)).toEqual(['CVE-2026-0001']);
  });

  it.each([
    [{ registryId: '1111' }, '"registryId" must be a 12-digit account id'],
    [{ registryId: SOURCE, region: 'mars' }, '"region" must be a Region such as "us-east-1"'],
  ])('refuses a findings entry with %j', async (where, message) => {
    const answer = await admin('POST', 'findings', {
      ...where,
      repositoryName: 'any-repo',
      imageTag: 'v1',
      findings: [],
    });
    expect(answer).toEqual({ status: 400, body: { message } });
  });
});

describe('cross-account access through registryId', () => {
  const repositoryName = uniqueName('shared');
  let digest: string;

  beforeAll(async () => {
    await ecrOf(target).send(new CreateRepositoryCommand({ repositoryName }));
    digest = await pushImage(ecrOf(target), repositoryName, 'target-layer-bytes', 'v1');
  });

  it('refuses another account without a repository policy, as ECR does', async () => {
    const denied = await failure(
      ecrOf(source).send(new DescribeImagesCommand({ registryId: TARGET, repositoryName })),
    );
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toBe(
      `User: arn:aws:sts::${SOURCE}:assumed-role/x/sandbox-test is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-1:${TARGET}:repository/${repositoryName} because no resource-based policy allows the ecr:DescribeImages action`,
    );
  });

  it('allows the actions the repository policy grants the caller’s account, and only those', async () => {
    // Prepare
    const pull = ['ecr:BatchGetImage', 'ecr:DescribeImages', 'ecr:GetDownloadUrlForLayer'];
    await ecrOf(target).send(
      new SetRepositoryPolicyCommand({
        repositoryName,
        policyText: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SOURCE}:root` }, Action: pull }],
        }),
      }),
    );
    const ecr = ecrOf(source);
    // Act
    const described = await ecr.send(new DescribeImagesCommand({ registryId: TARGET, repositoryName }));
    const got = await ecr.send(
      new BatchGetImageCommand({ registryId: TARGET, repositoryName, imageIds: [{ imageTag: 'v1' }] }),
    );
    const push = await failure(
      ecr.send(
        new PutImageCommand({
          registryId: TARGET,
          repositoryName,
          imageManifest: manifest('x'),
          imageTag: 'v2',
        }),
      ),
    );
    const listAll = await failure(ecr.send(new DescribeRepositoriesCommand({ registryId: TARGET })));
    const create = await failure(
      ecr.send(new CreateRepositoryCommand({ registryId: TARGET, repositoryName: uniqueName('nope') })),
    );
    // Assess
    expect(described.imageDetails?.map((d) => [d.registryId, d.imageDigest])).toEqual([[TARGET, digest]]);
    expect(got.images?.[0]?.imageId?.imageDigest).toBe(digest);
    expect(push.name).toBe('AccessDeniedException');
    expect(push.message).toContain('ecr:PutImage');
    expect(listAll.name).toBe('AccessDeniedException');
    expect(create.name).toBe('AccessDeniedException');
    // The home account is not granted anything.
    const home = await failure(
      ecrOf(awsClientConfig()).send(new DescribeImagesCommand({ registryId: TARGET, repositoryName })),
    );
    expect(home.name).toBe('AccessDeniedException');
  });

  it('hands out download URLs of the other registry that download its bytes', async () => {
    // Prepare: the same repository name in the source account holds other bytes
    const layer = 'source-layer-bytes';
    await ecrOf(source).send(new CreateRepositoryCommand({ repositoryName }));
    await pushImage(ecrOf(source), repositoryName, layer, 'v1');
    // Act
    const theirs = await ecrOf(source).send(
      new GetDownloadUrlForLayerCommand({
        registryId: TARGET,
        repositoryName,
        layerDigest: sha256('target-layer-bytes'),
      }),
    );
    const own = await ecrOf(source).send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: sha256(layer) }),
    );
    // Assess
    expect(theirs.downloadUrl).toContain(`registry=${TARGET}&region=us-east-1`);
    expect(await (await fetch(theirs.downloadUrl as string)).text()).toBe('target-layer-bytes');
    expect(await (await fetch(own.downloadUrl as string)).text()).toBe(layer);
    const wrongRegistry = new URL(theirs.downloadUrl as string);
    wrongRegistry.searchParams.set('registry', SOURCE);
    expect((await fetch(wrongRegistry)).status).toBe(404);
  });
});

describe('events of another account’s registry', () => {
  /** A queue in `config`'s account and Region that receives the image action and scan events of its default bus. */
  const imageEventQueue = (config: ClientSettings, name: string) =>
    // Not the CloudTrail records of the calls (CreateRepository's would take one of the events counted below).
    eventQueue(config, name, { source: ['aws.ecr'], 'detail-type': ['ECR Image Action', 'ECR Image Scan'] });

  it('go to that account’s default bus in the registry’s Region, with its account, Region and ARNs', async () => {
    // Prepare
    const west = { ...source, region: 'eu-west-1' };
    const queue = await imageEventQueue(west, uniqueName('events'));
    const homeQueue = await imageEventQueue(awsClientConfig(), uniqueName('home-events'));
    const repositoryName = uniqueName('evented');
    const ecr = ecrOf(west);
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
    );
    // Act
    const digest = await pushImage(ecr, repositoryName, 'evented-layer', 'v1');
    // Assess
    const events = await queue.read({ until: (got) => got.length >= 2, timeoutMs: 10_000 });
    const push = events.find((e) => e['detail-type'] === 'ECR Image Action');
    const scan = events.find((e) => e['detail-type'] === 'ECR Image Scan');
    expect(push).toMatchObject({
      account: SOURCE,
      region: 'eu-west-1',
      resources: [],
      detail: { 'repository-name': repositoryName, 'image-digest': digest, 'action-type': 'PUSH' },
    });
    expect(scan).toMatchObject({
      account: SOURCE,
      region: 'eu-west-1',
      resources: [`arn:aws:ecr:eu-west-1:${SOURCE}:repository/${repositoryName}`],
    });
    // Nothing of it reaches the home account's bus.
    const leaked = (await homeQueue.read({ until: () => false, timeoutMs: 1500 })).filter(
      (e) => e.detail['repository-name'] === repositoryName,
    );
    expect(leaked).toEqual([]);
    queue.close();
    homeQueue.close();
  });
});
