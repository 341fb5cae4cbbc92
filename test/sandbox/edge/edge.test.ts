import { describe, expect, it } from 'vitest';
import { AdminInputError } from '../../../src/sandbox/edge/admin-input.ts';
import { parseClockCommand, SandboxClock } from '../../../src/sandbox/edge/clock.ts';
import { RequestCounters } from '../../../src/sandbox/edge/counters.ts';
import { FaultRegistry, faultResponse, parseFaultRule } from '../../../src/sandbox/edge/faults.ts';
import { identifyRequest, serviceFromAuthorization } from '../../../src/sandbox/edge/identify.ts';
import { upstreamHeaders } from '../../../src/sandbox/edge/proxy.ts';

const auth = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=testing/20250131/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;

describe('request identification', () => {
  it.each([
    ['dynamodb', 'DynamoDB_20120810.PutItem', 'PutItem'],
    ['events', 'AWSEvents.PutEvents', 'PutEvents'],
    ['sqs', 'AmazonSQS.SendMessage', 'SendMessage'],
    ['ssm', 'AmazonSSM.GetParameter', 'GetParameter'],
    ['ecr', 'AmazonEC2ContainerRegistry_V20150921.DescribeImages', 'DescribeImages'],
  ])('names %s and its action from the credential scope and X-Amz-Target %s', (service, target, action) => {
    // Prepare
    const headers = { authorization: auth(service), 'x-amz-target': target };
    // Act
    const identity = identifyRequest('POST', '/', headers, Buffer.from('{}'));
    // Assess
    expect(identity).toMatchObject({ service, action, protocol: 'json', target });
  });

  it('takes the action of a query-protocol request from the form body', () => {
    const body = Buffer.from(
      'Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At',
    );
    const identity = identifyRequest(
      'POST',
      '/',
      { authorization: auth('sns'), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    );
    expect(identity).toEqual({ service: 'sns', action: 'Publish', protocol: 'query' });
  });

  it('takes the action from the query string of a GET request', () => {
    const identity = identifyRequest(
      'GET',
      '/?Action=ListQueues&Version=2012-11-05',
      { authorization: auth('sqs') },
      Buffer.alloc(0),
    );
    expect(identity).toMatchObject({ service: 'sqs', action: 'ListQueues', protocol: 'query' });
  });

  it('names an unsigned request by its X-Amz-Target prefix', () => {
    const identity = identifyRequest(
      'POST',
      '/',
      { 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      Buffer.alloc(0),
    );
    expect(identity).toMatchObject({ service: 'dynamodb', action: 'GetItem' });
  });

  it('names a REST request by method and first path segment', () => {
    const identity = identifyRequest(
      'DELETE',
      '/2015-03-31/functions/f',
      { authorization: auth('lambda') },
      Buffer.alloc(0),
    );
    expect(identity).toEqual({ service: 'lambda', action: 'DELETE /2015-03-31', protocol: 'rest' });
  });

  it.each([
    ['lambda', 'GET', '/2015-03-31/functions/?MaxItems=50', 'ListFunctions'],
    ['lambda', 'GET', '/2015-03-31/functions/f/versions?MaxItems=50', 'ListVersionsByFunction'],
    ['lambda', 'GET', '/2015-03-31/functions/f?Qualifier=3', 'GetFunction'],
    ['inspector2', 'POST', '/coverage/list', 'ListCoverage'],
  ])('names a %s REST request %s %s by its API action', (service, method, url, action) => {
    const identity = identifyRequest(method, url, { authorization: auth(service) }, Buffer.alloc(0));
    expect(identity).toEqual({ service, action, protocol: 'rest' });
  });

  it('returns no service for a header that is not SigV4', () => {
    expect(serviceFromAuthorization('Bearer abc')).toBeUndefined();
    expect(serviceFromAuthorization(undefined)).toBeUndefined();
  });
});

describe('request counters', () => {
  it('counts per service and action and zeroes on clear', () => {
    const counters = new RequestCounters();
    counters.record('ecr', 'DescribeImages');
    counters.record('ecr', 'DescribeImages');
    counters.record('dynamodb', 'PutItem');
    expect(counters.snapshot()).toEqual({ dynamodb: { PutItem: 1 }, ecr: { DescribeImages: 2 } });
    counters.clear();
    expect(counters.snapshot()).toEqual({});
  });
});

describe('sandbox clock', () => {
  it('is set, advanced and reset to real time', () => {
    const clock = new SandboxClock();
    clock.set(new Date('2030-01-01T00:00:00Z'));
    expect(Math.abs(clock.now().getTime() - Date.parse('2030-01-01T00:00:00Z'))).toBeLessThan(1000);
    clock.advance(3600);
    expect(Math.abs(clock.now().getTime() - Date.parse('2030-01-01T01:00:00Z'))).toBeLessThan(1000);
    clock.reset();
    expect(Math.abs(clock.now().getTime() - Date.now())).toBeLessThan(50);
    expect(clock.shifted).toBe(false);
  });

  it.each([
    [{ now: '2025-01-31T12:00:00Z' }, 'set'],
    [{ advanceSeconds: -30 }, 'advance'],
    [{ reset: true }, 'reset'],
  ])('accepts %j', (body, kind) => {
    expect(parseClockCommand(body).kind).toBe(kind);
  });

  it.each([
    [{ now: 'yesterday' }, '"now"'],
    [{ now: 12 }, '"now"'],
    [{ advanceSeconds: 'ten' }, '"advanceSeconds"'],
    [{ reset: false }, '"reset"'],
    [{}, 'one of'],
    [{ now: '2025-01-01T00:00:00Z', reset: true }, 'only one'],
    [[], 'JSON object'],
  ])('rejects %j with a message naming %s', (body, named) => {
    expect(() => parseClockCommand(body)).toThrow(AdminInputError);
    expect(() => parseClockCommand(body)).toThrow(named);
  });
});

describe('fault rules', () => {
  it('defaults rate to 1 and status to 400 for an error code', () => {
    const rule = parseFaultRule({ service: 'ecr', error: 'ThrottlingException' });
    expect(rule).toMatchObject({ service: 'ecr', rate: 1, status: 400, error: 'ThrottlingException' });
    expect(rule.action).toBeUndefined();
  });

  it('derives the error code from a status', () => {
    expect(parseFaultRule({ service: 'dynamodb', status: 503 })).toMatchObject({
      error: 'ServiceUnavailable',
      status: 503,
    });
  });

  it.each([
    [{ error: 'X' }, '"service"'],
    [{ service: 'ecr' }, '"error"'],
    [{ service: 'ecr', error: 'X', rate: 2 }, '"rate"'],
    [{ service: 'ecr', status: 200 }, '"status"'],
    [{ service: 'ecr', error: 'X', action: '' }, '"action"'],
  ])('rejects %j naming %s', (body, named) => {
    expect(() => parseFaultRule(body)).toThrow(named);
  });

  it('matches by service, and by action when one is given', () => {
    const faults = new FaultRegistry();
    faults.add(parseFaultRule({ service: 'ecr', action: 'BatchDeleteImage', error: 'ThrottlingException' }));
    expect(faults.pick('ecr', 'BatchDeleteImage')).toBeDefined();
    expect(faults.pick('ecr', 'PutImage')).toBeUndefined();
    expect(faults.pick('sns', 'BatchDeleteImage')).toBeUndefined();
    faults.add(parseFaultRule({ service: 'sns', status: 500 }));
    expect(faults.pick('sns', 'Publish')?.status).toBe(500);
  });

  it('fires with the configured probability', () => {
    const faults = new FaultRegistry();
    faults.add(parseFaultRule({ service: 'ecr', error: 'X', rate: 0.2 }));
    expect(faults.pick('ecr', 'PutImage', () => 0.1)).toBeDefined();
    expect(faults.pick('ecr', 'PutImage', () => 0.3)).toBeUndefined();
  });

  it('answers a JSON-protocol request with __type and message', () => {
    const rule = parseFaultRule({ service: 'ecr', error: 'ThrottlingException', message: 'slow down' });
    const response = faultResponse(
      rule,
      { service: 'ecr', action: 'PutImage', protocol: 'json' },
      'application/x-amz-json-1.1',
    );
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(response.body)).toEqual({ __type: 'ThrottlingException', message: 'slow down' });
  });

  it('adds x-amzn-query-error for awsQueryCompatible SQS', () => {
    const rule = parseFaultRule({ service: 'sqs', status: 503 });
    const response = faultResponse(
      rule,
      { service: 'sqs', action: 'SendMessage', protocol: 'json' },
      undefined,
      true,
    );
    expect(response.headers['x-amzn-query-error']).toBe('ServiceUnavailable;Receiver');
  });

  it('answers a query-protocol request with an ErrorResponse document', () => {
    const rule = parseFaultRule({ service: 'sns', error: 'Throttled', message: 'a < b' });
    const response = faultResponse(rule, { service: 'sns', action: 'Publish', protocol: 'query' }, undefined);
    expect(response.headers['content-type']).toBe('text/xml');
    expect(response.body).toMatch(
      /^<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>Throttled<\/Code><Message>a &#60; b<\/Message><\/Error><RequestId>[0-9a-f-]+<\/RequestId><\/ErrorResponse>$/,
    );
  });
});

describe('proxy headers', () => {
  it('drops hop-by-hop headers and sets the buffered length', () => {
    const headers = upstreamHeaders(
      {
        host: 'h',
        connection: 'keep-alive',
        'transfer-encoding': 'chunked',
        expect: '100-continue',
        'x-amz-target': 't',
      },
      5,
    );
    expect(headers).toEqual({ host: 'h', 'x-amz-target': 't', 'content-length': 5 });
  });
});
