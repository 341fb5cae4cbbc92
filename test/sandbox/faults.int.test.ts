import { createHash } from 'node:crypto';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { adminRequest } from '../support/admin.ts';
import { awsClientConfig } from '../support/sandbox.ts';

// Fault rules are global to a sandbox: this file runs its own.
let sandbox: Sandbox;
const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  // biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON answers
  adminRequest(sandbox.url, method, path, body) as Promise<{ status: number; body: any }>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, quiet: true, scanDelayMs: 20 });
});

afterAll(async () => {
  await sandbox?.stop();
});

beforeEach(async () => {
  await call('DELETE', 'faults');
});

const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: { name: string }) => error.name,
  );

describe('faults that count requests, through the AWS SDK', () => {
  it('fails only the 3rd UploadLayerPart, and the upload goes on when it is sent again', async () => {
    // Prepare
    const ecr = new ECRClient(awsClientConfig(sandbox.url));
    const repositoryName = 'nth-fault';
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const added = await call('POST', 'faults', {
      service: 'ecr',
      action: 'UploadLayerPart',
      error: 'ThrottlingException',
      nth: 3,
    });
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const parts = [
      Buffer.alloc(5 * 1024 * 1024, 1),
      Buffer.alloc(5 * 1024 * 1024, 2),
      Buffer.from('the last part'),
    ];
    const whole = Buffer.concat(parts);
    // Act
    const results: string[] = [];
    let offset = 0;
    for (const part of parts) {
      const send = () =>
        ecr.send(
          new UploadLayerPartCommand({
            repositoryName,
            uploadId,
            partFirstByte: offset,
            partLastByte: offset + part.length - 1,
            layerPartBlob: part,
          }),
        );
      let result = await outcome(send());
      results.push(result);
      if (result !== 'ok') {
        result = await outcome(send());
        results.push(result);
      }
      offset += part.length;
    }
    const completed = await ecr.send(
      new CompleteLayerUploadCommand({
        repositoryName,
        uploadId,
        layerDigests: [`sha256:${createHash('sha256').update(whole).digest('hex')}`],
      }),
    );
    // Assess
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ nth: 3, seen: 0, fired: 0 });
    expect(results).toEqual(['ok', 'ok', 'ThrottlingException', 'ok']);
    expect(completed.layerDigest).toMatch(/^sha256:/);
    expect((await call('GET', 'faults')).body.faults).toEqual([
      expect.objectContaining({ id: added.body.id, nth: 3, seen: 4, fired: 1 }),
    ]);
    ecr.destroy();
  });

  it('fails the first N matching requests with times, then lets them through', async () => {
    // Prepare
    const sqs = new SQSClient(awsClientConfig(sandbox.url));
    const ecr = new ECRClient(awsClientConfig(sandbox.url));
    await call('POST', 'faults', {
      service: 'sqs',
      action: 'ListQueues',
      error: 'RequestThrottled',
      times: 2,
    });
    await call('POST', 'faults', { service: 'ecr', status: 503, nth: 2, times: 2 });
    // Act
    const queues = [];
    for (let n = 0; n < 4; n++) queues.push(await outcome(sqs.send(new ListQueuesCommand({}))));
    const repositories = [];
    for (let n = 0; n < 5; n++)
      repositories.push(await outcome(ecr.send(new DescribeRepositoriesCommand({}))));
    // Assess
    expect(queues).toEqual(['RequestThrottled', 'RequestThrottled', 'ok', 'ok']);
    expect(repositories).toEqual(['ok', 'ServiceUnavailable', 'ServiceUnavailable', 'ok', 'ok']);
    expect(
      (await call('GET', 'faults')).body.faults.map((r: { seen: number; fired: number }) => [
        r.seen,
        r.fired,
      ]),
    ).toEqual([
      [4, 2],
      [5, 2],
    ]);
    sqs.destroy();
    ecr.destroy();
  });

  it('answers 400 naming nth or times when they are not positive integers', async () => {
    const nth = await call('POST', 'faults', { service: 'ecr', error: 'X', nth: 0 });
    const times = await call('POST', 'faults', { service: 'ecr', error: 'X', times: 'twice' });
    expect(nth).toEqual({ status: 400, body: { message: '"nth" must be a positive integer, got 0' } });
    expect(times).toEqual({
      status: 400,
      body: { message: '"times" must be a positive integer, got "twice"' },
    });
    expect((await call('GET', 'faults')).body.faults).toEqual([]);
  });
});
