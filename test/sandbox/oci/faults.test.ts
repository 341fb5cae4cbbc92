import { describe, expect, it } from 'vitest';
import { FaultRegistry, parseFaultRule } from '../../../src/sandbox/edge/faults.ts';
import { faultActions, faultReply, ociFaultCode } from '../../../src/sandbox/oci/faults.ts';
import type { Route } from '../../../src/sandbox/oci/paths.ts';

/** Which ECR actions a registry API request is failed by, and what a fired fault answers. */
const blob: Route = { kind: 'blob', name: 'app', digest: 'sha256:00' };
const uploads: Route = { kind: 'uploads', name: 'app' };
const upload: Route = { kind: 'upload', name: 'app', id: 'u1' };
const manifest: Route = { kind: 'manifest', name: 'app', reference: 'v1' };
const none = new URLSearchParams();

describe('the ECR actions a registry API request is faulted by (the IAM mapping)', () => {
  it.each([
    [{ kind: 'base' } as Route, 'GET', none, []],
    [blob, 'HEAD', none, ['BatchCheckLayerAvailability']],
    [blob, 'GET', none, ['GetDownloadUrlForLayer']],
    [uploads, 'POST', none, ['InitiateLayerUpload']],
    [
      uploads,
      'POST',
      new URLSearchParams('digest=sha256:00'),
      ['InitiateLayerUpload', 'UploadLayerPart', 'CompleteLayerUpload'],
    ],
    [
      uploads,
      'POST',
      new URLSearchParams('mount=sha256:00&from=other'),
      ['InitiateLayerUpload', 'GetDownloadUrlForLayer'],
    ],
    [upload, 'PATCH', none, ['UploadLayerPart']],
    [upload, 'PUT', none, ['UploadLayerPart', 'CompleteLayerUpload']],
    [manifest, 'PUT', none, ['PutImage']],
    [manifest, 'GET', none, ['BatchGetImage']],
    [manifest, 'DELETE', none, ['BatchDeleteImage']],
    [{ kind: 'tags', name: 'app' } as Route, 'GET', none, ['ListImages']],
  ])('%j %s %s → %j', (route, method, query, expected) => {
    expect(faultActions(route, method, query)).toEqual(expected);
  });

  it('counts a request of several actions once per rule, and fails it when a rule names any of them', () => {
    const faults = new FaultRegistry();
    const complete = faults.add(
      parseFaultRule({ service: 'ecr', action: 'CompleteLayerUpload', status: 503 }),
    );
    const all = faults.add(parseFaultRule({ service: 'ecr', status: 500, rate: 0 }));
    expect(faults.pick('ecr', ['UploadLayerPart', 'CompleteLayerUpload'])?.id).toBe(complete.id);
    expect(faults.pick('ecr', ['UploadLayerPart'])).toBeUndefined();
    expect(faults.list().map((r) => [r.id, r.seen, r.fired])).toEqual([
      [complete.id, 1, 1],
      [all.id, 2, 0],
    ]);
  });
});

describe('the answer of a fired fault', () => {
  it.each([
    [{ status: 429, error: 'TooManyRequestsException' }, 'TOOMANYREQUESTS'],
    [{ status: 400, error: 'ThrottlingException' }, 'TOOMANYREQUESTS'],
    [{ status: 503, error: 'ServiceUnavailable' }, 'UNAVAILABLE'],
    [{ status: 500, error: 'InternalFailure' }, 'UNKNOWN'],
    [{ status: 502, error: 'BadGateway' }, 'UNKNOWN'],
    [{ status: 403, error: 'AccessDeniedException' }, 'DENIED'],
    [{ status: 400, error: 'BLOB_UPLOAD_INVALID' }, 'BLOB_UPLOAD_INVALID'],
    [{ status: 400, error: 'ValidationException' }, 'UNKNOWN'],
  ])('%j answers %s', (fault, code) => {
    expect(ociFaultCode(fault)).toBe(code);
  });

  it('keeps the rule’s status and message, says when to retry a throttle, and names the fault and actions', () => {
    const reply = faultReply(
      { status: 429, error: 'ThrottlingException', message: 'Rate exceeded' },
      ['UploadLayerPart'],
      '/v2/app/blobs/uploads/u1',
    );
    expect(reply.status).toBe(429);
    expect(reply.headers).toMatchObject({
      'content-type': 'application/json',
      'retry-after': '1',
      'docker-distribution-api-version': 'registry/2.0',
    });
    expect(JSON.parse(String(reply.body))).toEqual({
      errors: [
        {
          code: 'TOOMANYREQUESTS',
          message: 'Rate exceeded',
          detail: { fault: 'ThrottlingException', actions: ['UploadLayerPart'] },
        },
      ],
    });
  });
});
