import { describe, expect, it } from 'vitest';
import { exposureWarning } from '../../../src/cli/commands/sandbox.ts';
import {
  hostnameOf,
  isAllowedHost,
  isLoopbackAddress,
  nonJsonRefusal,
  refusal,
} from '../../../src/sandbox/edge/guard.ts';

describe('Host check (DNS rebinding)', () => {
  it.each([
    ['127.0.0.1:4566', '127.0.0.1'],
    ['localhost:4566', 'localhost'],
    ['LOCALHOST', 'localhost'],
    ['localhost.:4566', 'localhost'],
    ['[::1]:4566', '::1'],
    ['Example.COM:80', 'example.com'],
  ])('reads the host name of %s as %s', (header, name) => {
    expect(hostnameOf(header)).toBe(name);
  });

  it.each([
    ['127.0.0.1:4566', '127.0.0.1'],
    ['localhost:4566', '127.0.0.1'],
    ['bucket.localhost:4566', '127.0.0.1'],
    ['[::1]:4566', '127.0.0.1'],
    ['192.168.1.20:4566', '0.0.0.0'],
    ['sandbox.lan:4566', 'sandbox.lan'],
    ['localhost:14566', '127.0.0.1'],
  ])('lets Host %s reach a sandbox bound to %s', (host, bound) => {
    expect(isAllowedHost(host, bound)).toBe(true);
  });

  it.each([
    ['attacker.example:4566', '127.0.0.1'],
    ['127.0.0.1.attacker.example:4566', '127.0.0.1'],
    ['localhost.attacker.example', '127.0.0.1'],
    ['sandbox.lan:4566', '0.0.0.0'],
    ['', '127.0.0.1'],
    [':4566', '127.0.0.1'],
  ])('refuses Host %s on a sandbox bound to %s', (host, bound) => {
    expect(isAllowedHost(host, bound)).toBe(false);
  });
});

describe('who may send a request', () => {
  it.each([
    ['an SDK call (Host only)', { host: '127.0.0.1:4566' }],
    ['a request without Host (HTTP/1.0)', {}],
    ['a same-origin page', { host: 'localhost:4566', origin: 'http://localhost:4566' }],
    ['a same-origin fetch', { host: '127.0.0.1:4566', 'sec-fetch-site': 'same-origin' }],
    ['a typed-in URL', { host: '127.0.0.1:4566', 'sec-fetch-site': 'none' }],
  ])('lets through %s', (_case, headers) => {
    expect(refusal(headers, '127.0.0.1')).toBeUndefined();
  });

  it.each([
    ['a rebound page', { host: 'attacker.example:4566', origin: 'http://attacker.example:4566' }, 'Host'],
    ['another origin', { host: '127.0.0.1:4566', origin: 'https://attacker.example' }, 'Origin'],
    ['another port of localhost', { host: 'localhost:4566', origin: 'http://localhost:3000' }, 'Origin'],
    ['an opaque origin', { host: '127.0.0.1:4566', origin: 'null' }, 'Origin'],
    [
      'an <img> from another site',
      { host: '127.0.0.1:4566', 'sec-fetch-site': 'cross-site' },
      'Sec-Fetch-Site',
    ],
    ['a page of the same site', { host: 'localhost:4566', 'sec-fetch-site': 'same-site' }, 'Sec-Fetch-Site'],
  ])('refuses %s, naming the %s header', (_case, headers, named) => {
    expect(refusal(headers, '127.0.0.1')).toContain(`${named} "`);
  });
});

describe('admin POSTs must be JSON', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON'])(
    'accepts content-type %s',
    (type) => {
      expect(nonJsonRefusal('POST', '/_sandbox/reset', type)).toBeUndefined();
    },
  );

  it.each([
    ['text/plain;charset=UTF-8', '"text/plain;charset=UTF-8"'],
    ['application/x-www-form-urlencoded', '"application/x-www-form-urlencoded"'],
    ['multipart/form-data; boundary=x', '"multipart/form-data; boundary=x"'],
    [undefined, 'none'],
  ])('refuses content-type %s, naming the header', (type, shown) => {
    expect(nonJsonRefusal('POST', '/_sandbox/reset', type)).toBe(
      `POST /_sandbox/reset needs the header "content-type: application/json" (got ${shown})`,
    );
  });

  it('asks nothing of GET and DELETE', () => {
    expect(nonJsonRefusal('GET', '/_sandbox/health', undefined)).toBeUndefined();
    expect(nonJsonRefusal('DELETE', '/_sandbox/faults', undefined)).toBeUndefined();
  });
});

describe('listening beyond this machine', () => {
  it.each(['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]'])('treats %s as loopback', (host) => {
    expect(isLoopbackAddress(host)).toBe(true);
    expect(exposureWarning(host, 4566)).toBeUndefined();
  });

  it.each(['0.0.0.0', '::', '192.168.1.20', 'sandbox.lan'])('warns when listening on %s', (host) => {
    expect(isLoopbackAddress(host)).toBe(false);
    expect(exposureWarning(host, 4566)).toMatch(
      new RegExp(
        `^sandbox: warning: listening on ${host.replace(/\./g, '\\.')}, which is not a loopback address`,
      ),
    );
  });
});
