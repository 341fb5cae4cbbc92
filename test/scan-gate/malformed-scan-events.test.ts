import { readFileSync } from 'node:fs';
import type { Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { scanCompletedEventSchema } from '../../src/scan-gate/events.ts';
import { parseEvent } from '../../src/shared/lambda/parse-event.ts';
import { basicScanEvent, enhancedScanEvent, malformedScanEvents } from './malformed-scan-events.ts';

/** The hostile scan-event corpus through on-scan-completed's parse-event step, as the handler runs it. */

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const basic = basicScanEvent({ repositoryName: 'team/web-dev', imageDigest: DIGEST });
const enhanced = enhancedScanEvent({ repositoryName: 'team/web-dev', imageDigest: DIGEST });

/** What parse-event makes of `event`: undefined when accepted, else the error message. */
async function refusal(event: unknown): Promise<string | undefined> {
  const request = { event } as unknown as Request<unknown, unknown, Error, Context>;
  try {
    await parseEvent(scanCompletedEventSchema).before?.(request as never);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function sample(file: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../events/aws/${file}`, import.meta.url), 'utf8'));
}

describe('the malformed scan event corpus', () => {
  const corpus = malformedScanEvents(basic, enhanced);

  it('refuses every variant, naming the field', async () => {
    const outcomes = await Promise.all(
      corpus.map(async (variant) => ({ ...variant, refusal: await refusal(variant.event) })),
    );

    const accepted = outcomes.filter((o) => o.refusal === undefined).map((o) => o.name);
    const unnamed = outcomes
      .filter((o) => o.refusal !== undefined && !o.refusal.includes(`${o.field}: `))
      .map((o) => `${o.name}: ${o.refusal?.slice(0, 300)}`);
    expect(corpus.length).toBeGreaterThan(140);
    expect(accepted).toEqual([]);
    expect(unnamed).toEqual([]);
  });

  it.each([
    ['the genuine basic event', basic],
    ['the genuine enhanced event', enhanced],
    ['AWS sample ecr-image-scan-basic.json', sample('ecr-image-scan-basic.json')],
    ['AWS sample inspector2-scan-ecr.json', sample('inspector2-scan-ecr.json')],
    [
      'AWS sample inspector2-scan-ecr-inspector-guide.json',
      sample('inspector2-scan-ecr-inspector-guide.json'),
    ],
    [
      'a basic event of a FAILED scan',
      basicScanEvent({ repositoryName: 'web', imageDigest: DIGEST, status: 'FAILED', imageTags: [] }),
    ],
    [
      'an ARN of another partition',
      enhancedScanEvent({ repositoryName: 'app', imageDigest: DIGEST, region: 'cn-north-1' }),
    ],
  ])('accepts %s', async (_case, event) => {
    expect(await refusal(event)).toBeUndefined();
  });
});
