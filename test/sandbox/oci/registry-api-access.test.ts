import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeEmulator, sha256 } from '../ecr/fixtures.ts';
import { makeRegistry } from './api.ts';

/**
 * Who may use the registry API (`/v2/…`), over the real emulator in-process: ECR's auth (tokens, expiry, which
 * registry), IAM for the token's principal, create on push from a template, and the account settings.
 */

const LAYER = Buffer.from('layer-bytes-0123456789');

let r: Awaited<ReturnType<typeof makeRegistry>>;
beforeEach(async () => {
  r = await makeRegistry();
  await r.ok('CreateRepository', { repositoryName: 'team/app' });
});

describe('auth as ECR does it', () => {
  it('asks for Basic credentials with a WWW-Authenticate challenge and the UNAUTHORIZED body', async () => {
    // Act
    const response = await r.send('GET', '/v2/', { auth: false });
    // Assess
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
    );
    expect(r.errorCode(response)).toBe('UNAUTHORIZED');
  });

  it('lets in user AWS with the token GetAuthorizationToken handed out', async () => {
    const response = await r.send('GET', '/v2/');
    expect([response.status, response.json]).toEqual([200, {}]);
    expect(response.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it.each([
    ['a wrong password', () => r.basic('AWS', 'not-a-token')],
    ['another user name', () => r.basic('admin', r.password)],
    ['a bearer token', () => `Bearer ${r.password}`],
  ])('refuses %s with 401', async (_name, auth) => {
    const response = await r.send('GET', '/v2/team/app/tags/list', { auth: auth() });
    expect([response.status, r.errorCode(response)]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('refuses a token once its 12 hours have passed on the sandbox clock', async () => {
    // Prepare
    const { authorizationData } = await r.ok('GetAuthorizationToken');
    expect(authorizationData[0].expiresAt).toBe(r.clock.now().getTime() / 1000 + 12 * 3600);
    // Act
    r.clock.advance(12 * 3600 * 1000);
    const response = await r.send('GET', '/v2/');
    // Assess
    expect([response.status, r.errorCode(response)]).toEqual([403, 'DENIED']);
    expect(response.text).toContain('Your authorization token has expired');
  });

  it('serves the registry of the account and Region the Host names in ECR’s form', async () => {
    const elsewhere = await r.send('GET', '/v2/team/app/tags/list', {
      headers: { host: '123456789012.dkr.ecr.eu-west-1.localhost:4566' },
    });
    const otherAccount = await r.send('GET', '/v2/', {
      headers: { host: '210987654321.dkr.ecr.us-east-1.amazonaws.com' },
    });
    expect([elsewhere.status, r.errorCode(elsewhere)]).toEqual([404, 'NAME_UNKNOWN']);
    // Logging in to another account's registry needs only a token; what it may then do, its policies say.
    expect(otherAccount.status).toBe(200);
  });
});

describe('another account’s registry', () => {
  const OTHER = '210987654321';
  const otherHost = { host: `${OTHER}.dkr.ecr.us-east-1.amazonaws.com` };
  const asOther = { accountId: OTHER, region: 'us-east-1' };
  const serveAsOther = async (action: string, input: unknown) => {
    const response = await r.emulator.serve(action, JSON.stringify(input), asOther);
    expect(response.status).toBe(200);
  };

  it('refuses a pull the repository policy does not grant, naming the repository, and serves it once granted', async () => {
    // Prepare
    await serveAsOther('CreateRepository', { repositoryName: 'shared/app' });
    // Act
    const refused = await r.send('GET', '/v2/shared/app/tags/list', { headers: otherHost });
    await serveAsOther('SetRepositoryPolicy', {
      repositoryName: 'shared/app',
      policyText: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'pull',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:root' },
            Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:ListImages'],
          },
        ],
      }),
    });
    const granted = await r.send('GET', '/v2/shared/app/tags/list', { headers: otherHost });
    const push = await r.send('POST', '/v2/shared/app/blobs/uploads/', { headers: otherHost });
    // Assess
    expect([refused.status, r.errorCode(refused)]).toEqual([403, 'DENIED']);
    expect(refused.text).toContain(`arn:aws:ecr:us-east-1:${OTHER}:repository/shared/app`);
    expect(refused.text).toContain('ecr:ListImages');
    expect([granted.status, granted.json]).toEqual([200, { name: 'shared/app', tags: [] }]);
    expect([push.status, r.errorCode(push)]).toEqual([403, 'DENIED']);
  });

  it('answers NAME_UNKNOWN for a repository the other registry does not have, as the ECR API does', async () => {
    const response = await r.send('GET', '/v2/nowhere/app/tags/list', { headers: otherHost });
    expect([response.status, r.errorCode(response)]).toEqual([404, 'NAME_UNKNOWN']);
    expect(response.text).toContain(`registry with id '${OTHER}'`);
  });
});

describe('create on push', () => {
  it('creates a repository a CREATE_ON_PUSH template covers, with the template’s settings', async () => {
    // Prepare
    await r.ok('CreateRepositoryCreationTemplate', {
      prefix: 'auto',
      appliedFor: ['CREATE_ON_PUSH'],
      imageTagMutability: 'IMMUTABLE',
      resourceTags: [{ Key: 'team', Value: 'platform' }],
    });
    // Act
    const response = await r.send('POST', `/v2/auto/service/blobs/uploads/?digest=${sha256(LAYER)}`, {
      body: LAYER,
    });
    // Assess
    expect(response.status).toBe(201);
    const { repositories } = await r.ok('DescribeRepositories', { repositoryNames: ['auto/service'] });
    expect(repositories[0]).toMatchObject({
      repositoryName: 'auto/service',
      imageTagMutability: 'IMMUTABLE',
    });
    const tags = await r.ok('ListTagsForResource', { resourceArn: repositories[0].repositoryArn });
    expect(tags.tags).toEqual([{ Key: 'team', Value: 'platform' }]);
  });
});

describe('account settings', () => {
  it('answers each setting’s default until it is put, and validates names and values', async () => {
    expect(await r.ok('GetAccountSetting', { name: 'BASIC_SCAN_TYPE_VERSION' })).toEqual({
      name: 'BASIC_SCAN_TYPE_VERSION',
      value: 'AWS_NATIVE',
    });
    expect(await r.ok('GetAccountSetting', { name: 'REGISTRY_POLICY_SCOPE' })).toEqual({
      name: 'REGISTRY_POLICY_SCOPE',
      value: 'V2',
    });
    expect(await r.ok('PutAccountSetting', { name: 'BLOB_MOUNTING', value: 'ENABLED' })).toEqual({
      name: 'BLOB_MOUNTING',
      value: 'ENABLED',
    });
    expect((await r.ok('GetAccountSetting', { name: 'BLOB_MOUNTING' })).value).toBe('ENABLED');
    expect((await r.fail('PutAccountSetting', { name: 'BLOB_MOUNTING', value: 'YES' })).type).toBe(
      'InvalidParameterException',
    );
    expect((await r.fail('GetAccountSetting', { name: 'NO_SUCH_SETTING' })).type).toBe(
      'InvalidParameterException',
    );
    expect((await r.fail('GetAccountSetting', {})).type).toBe('ValidationException');
  });
});

describe('IAM for the token’s principal', () => {
  it('checks each request’s ECR action on the repository, and refuses with 403 DENIED and IAM’s message', async () => {
    // Prepare
    const asked: string[] = [];
    const pullOnly = (principal: string, action: string, resource: string) => {
      asked.push(`${principal} ${action} ${resource}`);
      return ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'].includes(action)
        ? undefined
        : `User: ${principal} is not authorized to perform: ${action} on resource: ${resource}`;
    };
    // Act
    const push = await r.send('POST', '/v2/team/app/blobs/uploads/', { authorize: pullOnly });
    const pull = await r.send('GET', '/v2/team/app/manifests/latest', { authorize: pullOnly });
    // Assess
    expect([push.status, r.errorCode(push)]).toEqual([403, 'DENIED']);
    expect(push.text).toContain('ecr:InitiateLayerUpload');
    expect([pull.status, r.errorCode(pull)]).toEqual([404, 'MANIFEST_UNKNOWN']);
    expect(asked).toEqual([
      'arn:aws:iam::123456789012:root ecr:InitiateLayerUpload arn:aws:ecr:us-east-1:123456789012:repository/team/app',
      'arn:aws:iam::123456789012:root ecr:BatchGetImage arn:aws:ecr:us-east-1:123456789012:repository/team/app',
    ]);
  });

  it('needs ecr:CreateRepository to create a repository on push', async () => {
    await r.ok('CreateRepositoryCreationTemplate', { prefix: 'auto', appliedFor: ['CREATE_ON_PUSH'] });
    const noCreate = (_p: string, action: string) =>
      action === 'ecr:CreateRepository' ? 'not allowed' : undefined;
    const response = await r.send('POST', '/v2/auto/denied/blobs/uploads/', { authorize: noCreate });
    expect([response.status, r.errorCode(response)]).toEqual([403, 'DENIED']);
    expect((await r.fail('DescribeRepositories', { repositoryNames: ['auto/denied'] })).type).toBe(
      'RepositoryNotFoundException',
    );
  });
});

describe('account settings in the state file', () => {
  it('keeps a setting across a restart with --state-dir', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'account-settings-'));
    try {
      const first = await makeEmulator({ stateDir: dir });
      await first.ok('PutAccountSetting', { name: 'BLOB_MOUNTING', value: 'ENABLED' });
      await first.emulator.close();
      // Act
      const second = await makeEmulator({ stateDir: dir });
      // Assess
      expect(await second.ok('GetAccountSetting', { name: 'BLOB_MOUNTING' })).toEqual({
        name: 'BLOB_MOUNTING',
        value: 'ENABLED',
      });
      await second.emulator.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
