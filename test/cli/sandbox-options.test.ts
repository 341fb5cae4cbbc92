import { describe, expect, it } from 'vitest';
import { parseHost, parsePort } from '../../src/cli/commands/sandbox.ts';

describe('sandbox command options', () => {
  it.each([
    ['4566', 4566],
    ['1', 1],
    ['65535', 65535],
  ])('accepts port %s', (value, port) => expect(parsePort(value)).toBe(port));

  it.each(['0', '99999', 'abc', '-1', '45.6'])('rejects port %s', (value) => {
    expect(parsePort(value)).toEqual(expect.stringContaining('--port'));
  });

  it.each(['127.0.0.1', '0.0.0.0', '::1', '[::1]', 'localhost', 'my-host.local'])(
    'accepts host %s',
    (value) => {
      expect(typeof parseHost(value)).toBe('string');
    },
  );

  it.each(['not a host', 'http://x', '-bad', ''])('rejects host %j', (value) => {
    expect(parseHost(value)).toEqual({ error: expect.stringContaining('--host') });
  });
});
