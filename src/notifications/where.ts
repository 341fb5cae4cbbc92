import { escapeMrkdwn, oneLine, truncateEnd } from './text.ts';

/**
 * Where an alert comes from — the account, Region and deployment stage of the function that sent it — said the
 * same way in every email and Slack post (scan, promotion, cleanup, compliance): several stages and accounts
 * may share one topic or channel, and the reader must tell them apart at a glance.
 */

export interface AlertWhere {
  accountId: string;
  region: string;
  /** The deployment stage (`dev`, `prod`…) when the producer knows it. */
  stage?: string | undefined;
}

/** Account ids and Regions are short when real; a stage is a name nobody bounds. */
const ID_MAX = 100;
const STAGE_MAX = 100;

function parts(where: AlertWhere): string[] {
  const cut = (s: string, max: number) => truncateEnd(oneLine(s), max);
  return [
    cut(where.accountId, ID_MAX),
    cut(where.region, ID_MAX),
    ...(where.stage ? [`stage ${cut(where.stage, STAGE_MAX)}`] : []),
  ];
}

/**
 * The email line: `Account:      123456789012, eu-west-1, stage prod`, its label padded to `labelWidth` to line up
 * with the email's other labels.
 */
export function whereEmailLine(where: AlertWhere, labelWidth = 14): string {
  return `${'Account:'.padEnd(labelWidth)}${parts(where).join(', ')}`;
}

/** The Slack mrkdwn (escaped): `Account 123456789012 · eu-west-1 · stage prod`. */
export function whereMrkdwn(where: AlertWhere): string {
  return escapeMrkdwn(`Account ${parts(where).join(' · ')}`);
}
