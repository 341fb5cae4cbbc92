import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaInUse } from '../../src/cleanup/adapters/lambda-in-use.ts';
import type { SignalReport } from '../../src/cleanup/ports.ts';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/server.ts';
import { LAMBDA_LISTINGS, pageLikeAws } from '../support/aws-paging.ts';
import { createRole } from '../support/moto-iam.ts';
import { admin, awsClientConfig, uniqueName } from '../support/sandbox.ts';

/**
 * The Lambda signal against moto's Lambda in the shared sandbox: container-image functions with published
 * versions and an alias, read back by the adapter. moto answers every listing in one page, so the client pages
 * like AWS (test/support/aws-paging.ts) with two items a page.
 */

const REGION = 'us-east-1';
const registry = { accountId: SANDBOX_ACCOUNT_ID, region: REGION };
const host = `${SANDBOX_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;
const digest = (c: string) => `sha256:${c.repeat(64)}`;

const lambda = new LambdaClient(awsClientConfig());
const calls = pageLikeAws(lambda, LAMBDA_LISTINGS);

const repository = uniqueName('api');
const pinned = uniqueName('pinned');
const tagged = uniqueName('tagged');
const role = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/${uniqueName('lambda')}`;

beforeAll(async () => {
  await createRole(role);
  // `pinned`: version 1 runs D1, version 2 runs D2 (alias `live`), $LATEST runs D3 (not published) — on AWS.
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: pinned,
      PackageType: 'Image',
      Role: role,
      Code: { ImageUri: `${host}/${repository}@${digest('1')}` },
      Publish: true,
    }),
  );
  await lambda.send(
    new UpdateFunctionCodeCommand({
      FunctionName: pinned,
      ImageUri: `${host}/${repository}@${digest('2')}`,
      Publish: true,
    }),
  );
  await lambda.send(new CreateAliasCommand({ FunctionName: pinned, Name: 'live', FunctionVersion: '2' }));
  await lambda.send(
    new UpdateFunctionCodeCommand({ FunctionName: pinned, ImageUri: `${host}/${repository}@${digest('3')}` }),
  );
  // `tagged`: named by tag; Lambda resolved it to a digest when the code was set.
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: tagged,
      PackageType: 'Image',
      Role: role,
      Code: { ImageUri: `${host}/${repository}:stable` },
    }),
  );
  // A third function, of another repository: three functions take two pages, and its use is left out.
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: uniqueName('other'),
      PackageType: 'Image',
      Role: role,
      Code: { ImageUri: `${host}/${uniqueName('other')}:v1` },
    }),
  );
});

afterAll(() => {
  lambda.destroy();
});

describe('the Lambda protection signal', () => {
  it('protects the image of every version of every image function, by the digest Lambda resolved', async () => {
    // Prepare
    const signal = lambdaInUse(lambda, { registry });
    calls.clear();
    const resolved = (
      await lambda.send(new GetFunctionCommand({ FunctionName: tagged, Qualifier: '$LATEST' }))
    ).Code?.ResolvedImageUri as string;

    // Act
    const report = await signal.read({ repositories: [repository], now: new Date() });

    // Assess
    expect(report.doubts).toEqual([]);
    const byFunction = (name: string) =>
      report.uses
        .filter((u) => u.reason.startsWith(`Lambda function ${name} `))
        .map((u) => [u.reason.slice(`Lambda function ${name} `.length), u.digest ?? `tag ${u.tag}`])
        .sort();
    // One use per version, each with that version's own image as GetFunction answers it. (moto 5.2.1 shares one
    // code record between $LATEST and the versions published from it, so all three answer D3 here; AWS keeps
    // D1 and D2 for versions 1 and 2.)
    const expected = [];
    for (const version of ['$LATEST', '1', '2']) {
      const code = (await lambda.send(new GetFunctionCommand({ FunctionName: pinned, Qualifier: version })))
        .Code;
      const uri = code?.ImageUri as string;
      expected.push([`version ${version} runs it`, uri.slice(uri.indexOf('@') + 1)]);
    }
    expect(byFunction(pinned)).toEqual(expected);
    expect(expected.map(([, d]) => d)).toContain(digest('3'));
    // The digest Lambda resolved, not the tag (which may have moved since).
    expect(byFunction(tagged)).toEqual([
      ['version $LATEST runs it', resolved.slice(resolved.indexOf('@') + 1)],
    ]);
    expect(report.uses.every((u) => u.repositoryName === repository)).toBe(true);
    // Every listing was read past its first page (pages of two).
    expect(calls.count('ListVersionsByFunctionCommand', (input) => input.FunctionName === pinned)).toBe(2);
    expect(calls.count('ListFunctionsCommand')).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['AccessDeniedException', 'ListFunctions', undefined],
    ['ThrottlingException', 'GetFunction', 'the versions of Lambda function'],
    ['AccessDeniedException', 'ListVersionsByFunction', 'the versions of Lambda function'],
  ])('reports a doubt, not a throw, when Lambda answers %s to %s', async (error, action, reading) => {
    // Prepare
    const signal = lambdaInUse(lambda, { registry });
    const rule = (await admin('POST', '/faults', { service: 'lambda', action, error, times: 1 })).body as {
      id: string;
    };

    // Act
    let report: SignalReport;
    try {
      report = await signal.read({ repositories: [repository], now: new Date() });
    } finally {
      await admin('DELETE', `/faults/${rule.id}`);
    }

    // Assess
    expect(report.doubts).toHaveLength(1);
    expect(report.doubts[0]).toMatchObject({ signal: 'lambda' });
    expect(report.doubts[0]?.reason).toContain(error);
    if (reading) expect(report.doubts[0]?.reason).toContain(reading);
  });
});
