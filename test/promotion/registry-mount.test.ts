import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registryEndpoint } from '../../src/promotion/adapters/registry-mount.ts';

/** The registry API endpoint follows the ECR client's own endpoint resolution: the one place it is decided. */
describe('registryEndpoint', () => {
  const saved = { all: process.env.AWS_ENDPOINT_URL, ecr: process.env.AWS_ENDPOINT_URL_ECR };
  beforeEach(() => {
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_ECR;
  });
  afterEach(() => {
    for (const [name, value] of [
      ['AWS_ENDPOINT_URL', saved.all],
      ['AWS_ENDPOINT_URL_ECR', saved.ecr],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const endpointOf = async (config: ECRClientConfig, env?: string) => {
    if (env !== undefined) process.env.AWS_ENDPOINT_URL = env;
    const ecr = new ECRClient({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, ...config });
    try {
      return await registryEndpoint(ecr, '111122223333');
    } finally {
      ecr.destroy();
    }
  };

  it.each([
    ['us-east-1', 'https://111122223333.dkr.ecr.us-east-1.amazonaws.com'],
    ['eu-central-2', 'https://111122223333.dkr.ecr.eu-central-2.amazonaws.com'],
    ['cn-north-1', 'https://111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn'],
  ])("is AWS's registry host in %s", async (region, url) => {
    expect(await endpointOf({ region })).toEqual({ url });
  });

  it('is the sandbox endpoint given to the client, the registry named by Host', async () => {
    expect(await endpointOf({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' })).toEqual({
      url: 'http://127.0.0.1:4566',
      host: '111122223333.dkr.ecr.us-east-1.localhost:4566',
    });
  });

  it('is the sandbox endpoint AWS_ENDPOINT_URL names (as a function in the sandbox runtime gets it)', async () => {
    expect(await endpointOf({ region: 'eu-west-1' }, 'http://localhost:45123')).toEqual({
      url: 'http://localhost:45123',
      host: '111122223333.dkr.ecr.eu-west-1.localhost:45123',
    });
  });

  it("keeps AWS's registry name behind a custom endpoint that is not local (a VPC endpoint)", async () => {
    const endpoint = 'https://vpce-0abc.api.ecr.us-east-1.vpce.amazonaws.com';
    expect(await endpointOf({ region: 'us-east-1', endpoint })).toEqual({
      url: 'https://111122223333.dkr.ecr.us-east-1.amazonaws.com',
    });
  });
});
