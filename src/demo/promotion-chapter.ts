import { BatchGetImageCommand, ECRClient } from '@aws-sdk/client-ecr';
import type { SentinelConfig } from '../config/schema.ts';
import { formatResult, type StatusRow, statusRows, statusTable } from '../promotion/cli-format.ts';
import { callerIdentity, composePromotions } from '../promotion/compose.ts';
import { PromotionConflictError } from '../promotion/errors.ts';
import { PromotionRequestError, type PromotionResult } from '../promotion/promote.ts';
import { systemClock } from '../shared/clock.ts';
import { repositoryName } from '../shared/environments.ts';

/** The two people of the chapter: one requests, the other approves (four eyes). */
export const REQUESTER = 'alice';
export const APPROVER = 'bob';

/** One command of the chapter, as a person would type it, and how it ended. */
export interface ChapterStep {
  command: string;
  /** The promotion as the use case returned it. */
  result?: PromotionResult;
  /** What the use case refused with instead (e.g. the requester approving their own promotion). */
  error?: { type: string; message: string };
}

/** One hop to the next environment: the request and, when it waited for approval, the two approvals. */
export interface ChapterHop {
  from: string;
  to: string;
  request: ChapterStep;
  /** The requester approving their own promotion: refused. */
  selfApproval?: ChapterStep;
  /** A second person approving it: copied. */
  approval?: ChapterStep;
}

/** What the promotion chapter did, for printing as text or JSON. */
export interface PromotionChapter {
  app: string;
  version: string;
  /** The digest as pushed into the first environment. */
  digest: string;
  hops: ChapterHop[];
  /** `status APP`: what runs where, from the promotion records. */
  status: { app: string; environments: StatusRow[] };
  /** What ECR holds under `version` in each environment's repository (null: nothing). */
  held: Array<{ environment: string; repositoryName: string; imageDigest: string | null }>;
  /** A promotion the gate refused with the target's policy (an image within the source's limits or not). */
  refusal?: ChapterStep;
  /** The alerts about this chapter's promotions, as delivered. */
  alerts: {
    email: Array<{ to: string; subject: string }>;
    slack: number;
    /** The approve command the pending approval's email showed. */
    approveCommand?: string;
  };
}

const CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

/**
 * The promotion chapter on the demo's sandbox: `image` (in the first environment, scanned clean) goes through
 * every environment in order as {@link REQUESTER}; a hop that needs approval is approved by its requester
 * (refused) and then by {@link APPROVER}. Then `status`, and optionally `refused` (an image of the first
 * environment) promoted once to show the gate judging with the target's policy.
 */
export async function runPromotionChapter(options: {
  endpoint: string;
  region: string;
  config: SentinelConfig;
  tableName: string;
  alertsTopicArn: string | undefined;
  image: { app: string; version: string; digest: string };
  refused?: { app: string; version: string };
  /** Wait for the runtime to run what the chapter's events and alerts caused (notify-slack). */
  idle: () => Promise<void>;
  outbox: () => Promise<{
    email: Array<{ to: string; subject: string; message: string }>;
    slack: Array<{ payload: unknown }>;
  }>;
}): Promise<PromotionChapter> {
  const { config, image } = options;
  const base = { region: options.region, endpoint: options.endpoint, credentials: CREDENTIALS };
  const caller = await callerIdentity(base);
  const composed = composePromotions({
    config,
    base,
    home: { accountId: caller.accountId, region: options.region },
    tableName: options.tableName,
    alertsTopicArn: options.alertsTopicArn,
    clock: systemClock,
    warn: (message) => process.stderr.write(`ecr-sentinel demo: warning: ${message}\n`),
  });
  const ecr = new ECRClient(base);
  try {
    const { useCases, store } = composed;
    const hops: ChapterHop[] = [];
    const environments = config.environments.map((e) => e.name);
    for (let i = 1; i < environments.length; i++) {
      const from = environments[i - 1] ?? '';
      const to = environments[i] ?? '';
      const request = await step(`promote ${image.app} ${image.version} ${to} --by ${REQUESTER}`, () =>
        useCases.promote({ app: image.app, version: image.version, to, by: REQUESTER }),
      );
      const hop: ChapterHop = { from, to, request };
      hops.push(hop);
      const pending = request.result?.outcome === 'pending-approval' ? request.result.promotion : undefined;
      if (pending) {
        hop.selfApproval = await step(`approve ${pending.id} --by ${REQUESTER}`, () =>
          useCases.approve(pending.id, REQUESTER),
        );
        hop.approval = await step(`approve ${pending.id} --by ${APPROVER}`, () =>
          useCases.approve(pending.id, APPROVER),
        );
      }
      if (hop.approval?.result?.outcome !== 'completed' && request.result?.outcome !== 'completed') break;
    }

    const releases = await store.releases(image.app);
    const status = { app: image.app, environments: statusRows(config, image.app, releases) };
    const held: PromotionChapter['held'] = [];
    for (const env of config.environments) {
      const name = repositoryName(env, image.app);
      const out = await ecr
        .send(new BatchGetImageCommand({ repositoryName: name, imageIds: [{ imageTag: image.version }] }))
        .catch(() => undefined);
      held.push({
        environment: env.name,
        repositoryName: name,
        imageDigest: out?.images?.[0]?.imageId?.imageDigest ?? null,
      });
    }

    const second = environments[1];
    const refused = options.refused;
    const refusal =
      refused && second
        ? await step(`promote ${refused.app} ${refused.version} ${second} --by ${REQUESTER}`, () =>
            useCases.promote({ app: refused.app, version: refused.version, to: second, by: REQUESTER }),
          )
        : undefined;

    // The alerts about these promotions: by email from the SNS topic, and through notify-slack to Slack.
    await options.idle();
    const ids = [...hops.map((h) => h.request), ...(refusal ? [refusal] : [])]
      .map((s) => s.result?.promotion.id)
      .filter((id): id is string => id !== undefined);
    const about = (text: string) => ids.some((id) => text.includes(id));
    const outbox = await options.outbox();
    const email = outbox.email.filter((m) => about(m.message));
    const pendingId = hops.find((h) => h.selfApproval)?.request.result?.promotion.id;
    const approveCommand = email
      .filter((m) => pendingId !== undefined && m.message.includes(pendingId))
      .flatMap((m) => m.message.split('\n'))
      .map((line) => /(?:npx )?ecr-sentinel approve \S+ --by .*$/.exec(line.trim())?.[0])
      .find((command) => command !== undefined);

    return {
      app: image.app,
      version: image.version,
      digest: image.digest,
      hops,
      status,
      held,
      ...(refusal ? { refusal } : {}),
      alerts: {
        email: email.map(({ to, subject }) => ({ to, subject })),
        slack: outbox.slack.filter((m) => about(JSON.stringify(m.payload))).length,
        ...(approveCommand ? { approveCommand } : {}),
      },
    };
  } finally {
    ecr.destroy();
    composed.destroy();
  }
}

/** Run one use case call; a refusal it throws (a conflict, a bad request) is the step's error. */
async function step(command: string, call: () => Promise<PromotionResult>): Promise<ChapterStep> {
  try {
    return { command, result: await call() };
  } catch (error) {
    if (!(error instanceof PromotionConflictError || error instanceof PromotionRequestError)) throw error;
    return { command, error: { type: error.name, message: error.message } };
  }
}

/** The chapter as text: each command as typed, then what the CLI prints for it (the CLI's own renderings). */
export function formatPromotionChapter(chapter: PromotionChapter, firstEnvironment?: string): string {
  const route = [...chapter.hops.slice(0, 1).map((h) => h.from), ...chapter.hops.map((h) => h.to)];
  const out: string[] = [
    '',
    `Promotions: ${chapter.app} ${chapter.version} ${route.join(' → ')} (by digest, each gated by the target's policy)`,
  ];
  const show = (s: ChapterStep | undefined, title = '') => {
    if (!s) return;
    out.push(title, `  $ ecr-sentinel ${s.command}`);
    const text = s.result ? formatResult(s.result) : `ecr-sentinel: ${s.error?.message ?? 'no result'}\n`;
    for (const line of text.trimEnd().split('\n')) out.push(`  ${line}`);
  };
  for (const hop of chapter.hops) {
    show(hop.request);
    if (hop.selfApproval && chapter.alerts.approveCommand)
      out.push(`  the alert emailed says the same: ${chapter.alerts.approveCommand}`);
    show(hop.selfApproval);
    show(hop.approval);
  }
  out.push('', `  $ ecr-sentinel status ${chapter.app}`);
  for (const line of statusTable(chapter.app, chapter.status.environments, firstEnvironment)
    .trimEnd()
    .split('\n'))
    out.push(`  ${line}`);
  const same = chapter.held.filter((h) => h.imageDigest === chapter.digest).map((h) => h.environment);
  out.push(
    `  ECR holds ${chapter.version} as the same digest in ${same.length} of ${chapter.held.length} environments (${same.join(', ')})`,
  );
  show(chapter.refusal, "\n  The gate judges the image's scan with the target's policy:");
  out.push(
    '',
    `  Promotion alerts sent: ${chapter.alerts.email.length} email, ${chapter.alerts.slack} Slack`,
    ...chapter.alerts.email.map((m) => `    email to ${m.to}: ${m.subject}`),
    '',
  );
  return out.join('\n');
}
