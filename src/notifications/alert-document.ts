import * as z from 'zod';
import type { AlertKind } from '../scan-gate/domain/alerting.ts';
import type { AlertDocument } from './alert-text.ts';

/**
 * zod schemas of the JSON alert document (`alertDocument()`), as subscribers (notify-slack) read it from an SNS
 * message. Lenient where the producer is (unknown severities, optional finding fields), strict on what a
 * rendering needs. Extra keys are allowed: a newer producer may add some.
 */

const alertKind = z.enum([
  'new',
  'changed',
  'resolved',
  'repeat',
  'unchanged',
]) satisfies z.ZodType<AlertKind>;
const status = z.enum(['PASS', 'FAIL', 'ERROR']);
const counts = z.record(z.string(), z.number().int().min(0));

const findingSchema = z.looseObject({
  id: z.string().min(1),
  severity: z.string().min(1),
  package: z.string().optional(),
  installedVersion: z.string().optional(),
  fixedVersion: z.string().optional(),
  fixAvailable: z.boolean().optional(),
  title: z.string().optional(),
  link: z.string().optional(),
});

const exceptionNoteSchema = z.looseObject({
  cve: z.string(),
  owner: z.string(),
  expires: z.string(),
  ticket: z.string().optional(),
});

export const alertDocumentSchema = z.looseObject({
  type: z.literal('ecr-sentinel.scan-verdict'),
  version: z.literal(1),
  kind: alertKind,
  subject: z.string().min(1),
  status,
  reason: z.string(),
  repositoryName: z.string().min(1),
  imageDigest: z.string().min(1),
  imageTags: z.array(z.string()),
  scanStatus: z.string(),
  accountId: z.string(),
  region: z.string(),
  consoleUrl: z.string(),
  worstSeverity: z.string(),
  countsBefore: counts,
  countsAfter: counts,
  thresholds: counts,
  fixableOnly: z.boolean(),
  exceeded: z.array(
    z.looseObject({ severity: z.string(), count: z.number().int(), limit: z.number().int() }),
  ),
  blocking: z.looseObject({
    count: z.number().int().min(0),
    ids: z.array(z.string()),
    idsTruncated: z.boolean(),
    details: z.array(findingSchema),
  }),
  exceptionsApplied: z.array(exceptionNoteSchema),
  exceptionsExpired: z.array(exceptionNoteSchema),
  policyHash: z.string(),
  evaluatedAt: z.string(),
}) satisfies z.ZodType<AlertDocument>;

/** What `snsMessageJson` sends instead of the document when even the compact alert exceeds 256 KiB. */
export const truncatedAlertDocumentSchema = z.looseObject({
  type: z.literal('ecr-sentinel.scan-verdict'),
  version: z.literal(1),
  truncated: z.literal(true),
  kind: alertKind,
  status,
  repositoryName: z.string().min(1),
  imageDigest: z.string().min(1),
  consoleUrl: z.string(),
});

/** Either form; `truncated: true` tells them apart. */
export const anyAlertDocumentSchema = z.union([truncatedAlertDocumentSchema, alertDocumentSchema]);

export type TruncatedAlertDocument = z.output<typeof truncatedAlertDocumentSchema>;
export type AnyAlertDocument = z.output<typeof anyAlertDocumentSchema>;
