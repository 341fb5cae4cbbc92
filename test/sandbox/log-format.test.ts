import { describe, expect, it } from 'vitest';
import { parseLogFormat } from '../../src/cli/commands/sandbox.ts';
import { formatFunctionLine } from '../../src/sandbox/runtime/log-format.ts';

/** Lines as Powertools Logger and Metrics print them in a function (captured from the pinned versions). */
const CONTEXT = {
  service: 'ecr-sentinel',
  cold_start: false,
  function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:ecr-sentinel-dev-onScanCompleted',
  function_memory_size: 256,
  function_name: 'ecr-sentinel-dev-onScanCompleted',
  function_request_id: 'req-1',
  sampling_rate: 0,
  xray_trace_id: 'Root=1-abc',
};
const INFO = JSON.stringify({
  level: 'INFO',
  message: 'scan event handled',
  timestamp: '2026-11-28T07:30:30.460Z',
  ...CONTEXT,
  eventId: 'e1',
  outcome: 'judged',
  status: 'PASS',
  reason: 'within thresholds',
  untagged: [],
});
const ERROR = JSON.stringify({
  level: 'ERROR',
  message: 'scan event failed',
  timestamp: '2026-11-28T07:30:31.001Z',
  ...CONTEXT,
  error: {
    name: 'ThrottlingException',
    location: 'x.ts:6',
    message: 'Rate exceeded',
    stack: 'ThrottlingException: …',
  },
});
const EMF = JSON.stringify({
  _aws: {
    Timestamp: Date.parse('2026-11-28T07:30:30.472Z'),
    CloudWatchMetrics: [
      {
        Namespace: 'EcrSentinel',
        Dimensions: [['service', 'RepositoryGroup']],
        Metrics: [
          { Name: 'ImagesScanned', Unit: 'Count' },
          { Name: 'Verdicts', Unit: 'Count' },
        ],
      },
    ],
  },
  service: 'on-scan-completed',
  RepositoryGroup: 'services',
  ImagesScanned: 1,
  Verdicts: 1,
});
const now = () => new Date('2026-11-28T08:00:00.000Z');

describe('function log lines, pretty', () => {
  const pretty = (line: string) => formatFunctionLine('onScanCompleted', line, { format: 'pretty', now });

  it('prints a Powertools line as time, function, level, message and its own keys, without the context keys', () => {
    expect(pretty(INFO)).toBe(
      '07:30:30.460 onScanCompleted INFO  scan event handled eventId=e1 outcome=judged status=PASS reason="within thresholds" untagged=[]',
    );
  });

  it('prints an error as its name and message, not its stack', () => {
    expect(pretty(ERROR)).toBe(
      '07:30:31.001 onScanCompleted ERROR scan event failed error="ThrottlingException: Rate exceeded"',
    );
  });

  it('prints an EMF metrics line as its metrics and dimensions', () => {
    expect(pretty(EMF)).toBe(
      '07:30:30.472 onScanCompleted METRIC ImagesScanned=1 Verdicts=1 (service=on-scan-completed RepositoryGroup=services)',
    );
  });

  it.each([
    'START RequestId: r1 Version: $LATEST',
    'REPORT RequestId: r1 Duration: 12.00 ms Memory Size: 256 MB',
    'plain console text {not json',
  ])('keeps any other line (%s) whole, after the time and the function', (line) => {
    expect(pretty(line)).toBe(`08:00:00.000 onScanCompleted ${line}`);
  });

  it('cuts a long value and colours the level and function only when asked', () => {
    const long = JSON.stringify({
      level: 'WARN',
      message: 'm',
      timestamp: '2026-11-28T07:30:30.460Z',
      big: 'x'.repeat(500),
    });
    const line = pretty(long);
    expect(line.length).toBeLessThan(260);
    expect(line).toMatch(/big=x+…$/);
    expect(line).not.toContain('\u001b[');
    const coloured = formatFunctionLine('f', long, { format: 'pretty', color: true, now });
    expect(coloured).toContain('\u001b[33mWARN \u001b[0m');
  });
});

describe('function log lines, json', () => {
  it.each([INFO, EMF, 'START RequestId: r1 Version: $LATEST'])(
    'prints the line exactly as the function printed it, after the function name',
    (line) => {
      expect(formatFunctionLine('onScanCompleted', line, { format: 'json' })).toBe(
        `[onScanCompleted] ${line}`,
      );
    },
  );
});

describe('--log-format', () => {
  it.each([
    [undefined, true, 'pretty'],
    [undefined, false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
    [' JSON ', true, 'json'],
  ] as const)('%j with stderr a terminal: %s → %s', (value, terminal, format) => {
    expect(parseLogFormat(value, terminal)).toBe(format);
  });

  it('refuses another format, naming the choices', () => {
    expect(parseLogFormat('xml', true)).toEqual({
      error: '--log-format must be one of pretty, json, got "xml"',
    });
  });
});
