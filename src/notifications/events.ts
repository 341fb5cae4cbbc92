import * as z from 'zod';
import { anyAlertDocumentSchema } from './alert-document.ts';

/**
 * The SNS event a subscriber Lambda (notify-slack) gets for one alert (a scan verdict, a promotion, a cleanup). With
 * `MessageStructure: json`, each protocol gets its own key's value: a Lambda subscriber the `lambda` key's as
 * `Sns.Message`, an SQS queue the `sqs` key's. Both are the same JSON alert document, and either is accepted. A
 * message published without `MessageStructure` arrives as the whole `{default, email, sqs, lambda}` object: its
 * `lambda` (or `sqs`) document is used.
 * Lenient about envelope fields SNS adds (URLs, signatures), strict about the document.
 */

/** `Sns.Message` text → the alert document it carries (either form). */
const alertMessageSchema = z
  .string()
  .transform((text, ctx) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON alert document, got text that is not JSON' });
      return z.NEVER;
    }
    if (typeof parsed === 'object' && parsed !== null && !('type' in parsed)) {
      const envelope = parsed as { lambda?: unknown; sqs?: unknown };
      const inner = typeof envelope.lambda === 'string' ? envelope.lambda : envelope.sqs;
      if (typeof inner === 'string') {
        try {
          return JSON.parse(inner) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'the lambda/sqs key of the message is not JSON' });
          return z.NEVER;
        }
      }
    }
    return parsed;
  })
  .pipe(anyAlertDocumentSchema);

export const snsAlertRecordSchema = z.looseObject({
  EventSource: z.literal('aws:sns'),
  Sns: z.looseObject({
    MessageId: z.string().min(1),
    TopicArn: z.string().min(1),
    Subject: z.string().nullish(),
    Timestamp: z.string().optional(),
    Message: alertMessageSchema,
  }),
});

/** SNS invokes a function with exactly one record. */
export const snsAlertEventSchema = z.looseObject({
  Records: z.array(snsAlertRecordSchema).length(1, 'expected exactly one SNS record'),
});

export type SnsAlertEvent = z.output<typeof snsAlertEventSchema>;
