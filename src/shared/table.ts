/**
 * The single DynamoDB table (serverless.yml `SentinelTable`: string keys `pk` and `sk`, one overloaded global
 * secondary index `gsi1` on `gsi1pk`/`gsi1sk`, projecting everything): every
 * entity's key prefixes and access patterns in one place, and the key builders adapters use. A new entity
 * takes prefixes no other entity uses (test/shared/table.test.ts checks). Keys are stored data: changing a
 * prefix orphans every item written with the old one.
 *
 * | entity (owner)             | pk                              | sk                   |
 * |----------------------------|---------------------------------|----------------------|
 * | image (inventory)          | `REPO#<repository>`             | `IMAGE#<digest>`     |
 * | verdict (scan-gate)        | `VERDICT#<repository>#<digest>` | `LATEST`             |
 * | verdict history (scan-gate)| `VERDICT#<repository>#<digest>` | `EVAL#<scanTime>#<id>` |
 * | alert claim (scan-gate)    | `VERDICT#<repository>#<digest>` | `ALERT#<id>[#<what>]`  |
 * | promotion (promotion)      | `PROMOTION#<id>`                | `RECORD`, `BY_APP`, `BY_DIGEST` |
 * | open request (promotion)   | `PROMOTION#REQUEST#<app>#<env>#<digest>` | `REQUEST`   |
 * | release (promotion)        | `RELEASE#<app>`                 | `ENV#<environment>`  |
 * | cleanup run (cleanup)      | `CLEANUP#<runId>`               | `RUN`                |
 * | cleanup outcome (cleanup)  | `CLEANUP#<runId>`               | `REPO#<repository>`  |
 * | removed image (cleanup)    | `CLEANUP#<runId>`               | `IMAGE#<repository>#<digest>` |
 * | cleanup notice (cleanup)   | `CLEANUPNOTICE#<repository>`    | `NOTICE`, `DIGESTS#<nnnn>` |
 * | compliance status (compliance) | `COMPLIANCE#<subject>`      | `STATUS#<check>[#<item>]` |
 * | remediation (compliance)   | `COMPLIANCE#<subject>`          | `FIX#<trigger>#<check>[#<item>]` |
 * | compliance alert claim (compliance) | `COMPLIANCE#<subject>` | `ALERT#<trigger>`    |
 *
 * Verdicts have a partition per image rather than items in the inventory's `REPO#<repository>` partition:
 * a repository's inventory query stays free of verdicts, and a busy repository's writes spread out. Neither a
 * repository name nor a digest can contain `#`, so every key is unambiguous. `<id>` is an evaluation's
 * identity (scan-gate's `evaluationId`): the same evaluation of the same scan always has the same one, so a
 * redelivered event overwrites its history item instead of adding one, and its copies contend for one alert
 * claim. `<scanTime>` (when the scan finished) keeps history in scan order.
 *
 * A promotion is three copies of one record in its own partition, written together in every transaction
 * that changes it, each indexed in `gsi1` for one listing (newest first: `gsi1sk` is `<requestedAt>#<id>`):
 * `RECORD` under `PROMOTIONS#ALL`, `BY_APP` under `PROMOTIONS#APP#<app>`, `BY_DIGEST` under
 * `PROMOTIONS#DIGEST#<digest>`. A promotion id (a ULID) never contains `#`, so the open-request lock's
 * partition is never a promotion's. Only one index: CloudFormation adds one GSI per table update.
 *
 * A cleanup run is one partition: the run item (the count of repositories still without an outcome, the
 * summary claim, running totals), one outcome per repository and one item per image it removed. Everything a
 * run writes is read back by run (its report, its audit), so a run's partition answers both with one Query
 * each; listing removed images by repository across runs is not asked for (a run's images of one repository
 * are `begins_with(sk, IMAGE#<repository>#)`). The run item sits in `gsi1` under `CLEANUPS#ALL`, sorted by
 * `<startedAt>#<runId>`, for a newest-first listing of runs. Cleanup items are audit records: each carries
 * {@link TABLE_TTL}'s attribute, set when written to its retention (cleanup's records: 90 days by default).
 *
 * A repository's pending advance notice (cleanup.noticeDays) is one partition: the `NOTICE` header (run, dates,
 * bytes, how many digest chunks) and the announced digests in chunks of a few thousand (`DIGESTS#0000`…), since a
 * repository may announce more digests than one 400 KB item holds. It expires a month after its deletion day.
 *
 * Compliance keeps one partition per subject: a repository (`<subject>` is its name) or the registry
 * (`@registry:<registryId>`; `@` is in no repository name). `STATUS#` holds each check's last known status, so an
 * alert goes out once per change, not on every sweep: the write that changes it is conditional, and only the
 * invocation whose write changed it alerts. `FIX#` records each remediation once per trigger (a CloudTrail event
 * id or a sweep run id), so a redelivered event records nothing twice; each is also in `gsi1` under
 * `COMPLIANCE#REMEDIATIONS` by `<at>#…`, newest first read backwards. `ALERT#<trigger>` claims the one alert a
 * trigger sends about the subject, so a retry after a failed publish sends it, and a concurrent copy does not.
 */

/** One entity (or family of items sharing a partition) in the table. */
export interface TableEntity {
  /** The capability whose adapter reads and writes these items. */
  owner: string;
  /** Every partition key of the entity starts with this. */
  pkPrefix: string;
  /** Sort keys (or their prefixes) by what they hold; none while reserved. */
  sk: Readonly<Record<string, string>>;
  /** How the items are written and read; none while reserved. */
  accessPatterns: readonly string[];
}

export const TABLE_ENTITIES = {
  image: {
    owner: 'inventory',
    pkPrefix: 'REPO#',
    sk: { image: 'IMAGE#' },
    accessPatterns: ['record a pushed image: UpdateItem by repository and digest (tags only grow)'],
  },
  verdict: {
    owner: 'scan-gate',
    pkPrefix: 'VERDICT#',
    sk: { latest: 'LATEST', history: 'EVAL#', alertClaim: 'ALERT#' },
    accessPatterns: [
      "an image's latest verdict: GetItem sk LATEST (consistent read)",
      'store an evaluation: BatchWriteItem of LATEST and EVAL#<scanTime>#<id> (the same evaluation: same item)',
      "an image's evaluations, oldest scan first: Query begins_with(sk, EVAL#)",
      'claim the alert of an evaluation: UpdateItem ALERT#<id> if absent, or unpublished and its lease expired',
      'record the claimed alert published, or give the claim up: UpdateItem ALERT#<id> (conditional on owner)',
      'every evaluation of every image (the report): Scan filtered on pk VERDICT# and sk LATEST or EVAL#',
    ],
  },
  promotion: {
    owner: 'promotion',
    pkPrefix: 'PROMOTION#',
    sk: { record: 'RECORD', byApp: 'BY_APP', byDigest: 'BY_DIGEST', request: 'REQUEST' },
    accessPatterns: [
      'create: TransactWriteItems of RECORD, BY_APP, BY_DIGEST (if absent) and, while open, the REQUEST lock (if absent)',
      'change status: TransactWriteItems of the three copies, RECORD conditional on the expected status',
      'one promotion: GetItem RECORD by id (consistent read)',
      'the open or completed promotion of a request: GetItem of its REQUEST lock, then its RECORD',
      'every promotion, of an app, or of a digest, newest first: Query gsi1 PROMOTIONS#ALL|APP#<app>|DIGEST#<digest>',
    ],
  },
  release: {
    owner: 'promotion',
    pkPrefix: 'RELEASE#',
    sk: { environment: 'ENV#' },
    accessPatterns: [
      'what runs where: Query RELEASE#<app> (one item per environment)',
      'record a completed promotion: Put ENV#<environment> in the completing transaction',
    ],
  },
  cleanup: {
    owner: 'cleanup',
    pkPrefix: 'CLEANUP#',
    sk: { run: 'RUN', outcome: 'REPO#', removed: 'IMAGE#' },
    accessPatterns: [
      'start a run: PutItem RUN if absent (remaining = repositoryCount)',
      "record a repository's outcome once: TransactWriteItems of Put REPO#<repository> if absent and Update RUN remaining - 1 if > 0",
      'how many repositories remain: GetItem RUN (consistent read)',
      'claim the summary once: UpdateItem RUN if summaryClaimed is absent and remaining = 0',
      'record removed images: BatchWriteItem of IMAGE#<repository>#<digest> (the same image again: same item)',
      "a run's report: GetItem RUN, then Query begins_with(sk, REPO#)",
      "a run's removed images, all or of one repository: Query begins_with(sk, IMAGE#[<repository>#])",
      'runs, newest first: Query gsi1 CLEANUPS#ALL backwards',
    ],
  },
  cleanupNotice: {
    owner: 'cleanup',
    pkPrefix: 'CLEANUPNOTICE#',
    sk: { header: 'NOTICE', digests: 'DIGESTS#' },
    accessPatterns: [
      "a repository's pending notice: Query CLEANUPNOTICE#<repository> (header and digest chunks)",
      'record a notice: BatchWriteItem of the header and the chunks, then delete chunks left from a longer one',
      'clear a notice: Query its keys, BatchWriteItem deletes',
    ],
  },
  compliance: {
    owner: 'compliance',
    pkPrefix: 'COMPLIANCE#',
    sk: { status: 'STATUS#', remediation: 'FIX#', alertClaim: 'ALERT#' },
    accessPatterns: [
      "record a check's status: UpdateItem STATUS#<check> if absent, different, or its alert unsent and its lease expired (ALL_OLD)",
      "a subject's statuses: Query begins_with(sk, STATUS#)",
      'record a remediation once per trigger: PutItem FIX#<trigger>#<check> if absent, or failed and now applied',
      'remediations, newest first: Query gsi1 COMPLIANCE#REMEDIATIONS backwards',
      'claim the alert of a trigger: PutItem ALERT#<trigger> if absent; take over an unsent one whose lease expired',
      'record the claimed alert sent: UpdateItem ALERT#<trigger>',
    ],
  },
} as const satisfies Readonly<Record<string, TableEntity>>;

/** The primary key of one item. */
export interface TableKey {
  pk: string;
  sk: string;
}

/** The table's one global secondary index (overloaded: each entity puts its own listings in it). */
export const TABLE_INDEX = { name: 'gsi1', pk: 'gsi1pk', sk: 'gsi1sk' } as const;

/**
 * The table's time to live (serverless.yml `TimeToLiveSpecification`): an item whose `attribute` holds a Number of
 * epoch seconds in the past is deleted by DynamoDB, typically within a few days, and may still be read until then.
 * Not `ttl`, a reserved word that every expression would have to escape; not `expiresAt`, which promotions already
 * store as an ISO string.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
 */
export const TABLE_TTL = { attribute: 'ttlEpochSeconds' } as const;

/** The {@link TABLE_TTL} attribute of an item kept `days` days from `now`. */
export function expiresAfter(now: Date, days: number): { [TABLE_TTL.attribute]: number } {
  return { [TABLE_TTL.attribute]: Math.floor(now.getTime() / 1000) + Math.round(days * 86_400) };
}

const { image, verdict, promotion, release, cleanup, cleanupNotice, compliance } = TABLE_ENTITIES;

/** An image record of the inventory: one partition per repository, one item per digest. */
export function imageKey(repositoryName: string, imageDigest: string): TableKey {
  return { pk: `${image.pkPrefix}${repositoryName}`, sk: `${image.sk.image}${imageDigest}` };
}

/** The verdicts of one image: its latest evaluation and every evaluation as history. */
export const verdictKeys = {
  partition: (repositoryName: string, imageDigest: string): string =>
    `${verdict.pkPrefix}${repositoryName}#${imageDigest}`,
  latest: (repositoryName: string, imageDigest: string): TableKey => ({
    pk: verdictKeys.partition(repositoryName, imageDigest),
    sk: verdict.sk.latest,
  }),
  /** One evaluation: `scanTime` orders the history, `evaluationId` makes a repeated evaluation one item. */
  history: (
    repositoryName: string,
    imageDigest: string,
    scanTime: string,
    evaluationId: string,
  ): TableKey => ({
    pk: verdictKeys.partition(repositoryName, imageDigest),
    sk: `${verdict.sk.history}${scanTime}#${evaluationId}`,
  }),
  /** What every history item's sk begins with (for a Query). */
  historyPrefix: verdict.sk.history,
  /**
   * The claim on the one alert about an evaluation; `what` tells apart several alerts about one evaluation
   * (e.g. `ENFORCEMENT` for a failed enforcement).
   */
  alertClaim: (
    repositoryName: string,
    imageDigest: string,
    evaluationId: string,
    what?: string,
  ): TableKey => ({
    pk: verdictKeys.partition(repositoryName, imageDigest),
    sk: `${verdict.sk.alertClaim}${evaluationId}${what === undefined ? '' : `#${what}`}`,
  }),
};

/** The items of one promotion, its open-request lock, and its listings in {@link TABLE_INDEX}. */
export const promotionKeys = {
  record: (id: string): TableKey => ({ pk: `${promotion.pkPrefix}${id}`, sk: promotion.sk.record }),
  byApp: (id: string): TableKey => ({ pk: `${promotion.pkPrefix}${id}`, sk: promotion.sk.byApp }),
  byDigest: (id: string): TableKey => ({ pk: `${promotion.pkPrefix}${id}`, sk: promotion.sk.byDigest }),
  /** Held while a promotion of `digest` of `app` into `environment` is open or completed. */
  request: (app: string, environment: string, digest: string): TableKey => ({
    pk: `${promotion.pkPrefix}REQUEST#${app}#${environment}#${digest}`,
    sk: promotion.sk.request,
  }),
  /** `gsi1pk` of each listing. */
  listing: {
    all: 'PROMOTIONS#ALL',
    app: (app: string) => `PROMOTIONS#APP#${app}`,
    digest: (digest: string) => `PROMOTIONS#DIGEST#${digest}`,
  },
  /** `gsi1sk`: newest first when read backwards. */
  listingSort: (requestedAt: string, id: string): string => `${requestedAt}#${id}`,
};

/** What runs where: one item per application and environment, the digest promoted there last. */
export const releaseKeys = {
  partition: (app: string): string => `${release.pkPrefix}${app}`,
  environment: (app: string, environment: string): TableKey => ({
    pk: releaseKeys.partition(app),
    sk: `${release.sk.environment}${environment}`,
  }),
  environmentPrefix: release.sk.environment,
};

/** The items of one cleanup run (its partition) and its listing in {@link TABLE_INDEX}. */
export const cleanupKeys = {
  partition: (runId: string): string => `${cleanup.pkPrefix}${runId}`,
  run: (runId: string): TableKey => ({ pk: cleanupKeys.partition(runId), sk: cleanup.sk.run }),
  outcome: (runId: string, repositoryName: string): TableKey => ({
    pk: cleanupKeys.partition(runId),
    sk: `${cleanup.sk.outcome}${repositoryName}`,
  }),
  /** What every outcome item's sk begins with (for a Query). */
  outcomePrefix: cleanup.sk.outcome,
  removed: (runId: string, repositoryName: string, digest: string): TableKey => ({
    pk: cleanupKeys.partition(runId),
    sk: `${cleanup.sk.removed}${repositoryName}#${digest}`,
  }),
  /** What removed-image items' sk begins with: every one of the run, or those of one repository. */
  removedPrefix: (repositoryName?: string): string =>
    repositoryName === undefined ? cleanup.sk.removed : `${cleanup.sk.removed}${repositoryName}#`,
  /** `gsi1pk` of the run listing. */
  listing: 'CLEANUPS#ALL',
  /** `gsi1sk`: newest first when read backwards. */
  listingSort: (startedAt: string, runId: string): string => `${startedAt}#${runId}`,
};

/** A repository's pending cleanup notice: its header and its chunks of announced digests. */
export const cleanupNoticeKeys = {
  partition: (repositoryName: string): string => `${cleanupNotice.pkPrefix}${repositoryName}`,
  header: (repositoryName: string): TableKey => ({
    pk: cleanupNoticeKeys.partition(repositoryName),
    sk: cleanupNotice.sk.header,
  }),
  digests: (repositoryName: string, chunk: number): TableKey => ({
    pk: cleanupNoticeKeys.partition(repositoryName),
    sk: `${cleanupNotice.sk.digests}${String(chunk).padStart(4, '0')}`,
  }),
};

/**
 * The compliance records of one subject: a repository, or the registry. `check` is a control id, with the item
 * for registry findings (`creation-templates#services/`).
 */
export const complianceKeys = {
  /** The partition of a repository (its name) or of the registry (`@registry:<registryId>`). */
  partition: (subject: string): string => `${compliance.pkPrefix}${subject}`,
  registrySubject: (registryId: string): string => `@registry:${registryId}`,
  status: (subject: string, check: string): TableKey => ({
    pk: complianceKeys.partition(subject),
    sk: `${compliance.sk.status}${check}`,
  }),
  statusPrefix: compliance.sk.status,
  remediation: (subject: string, trigger: string, check: string): TableKey => ({
    pk: complianceKeys.partition(subject),
    sk: `${compliance.sk.remediation}${trigger}#${check}`,
  }),
  remediationPrefix: compliance.sk.remediation,
  alertClaim: (subject: string, trigger: string): TableKey => ({
    pk: complianceKeys.partition(subject),
    sk: `${compliance.sk.alertClaim}${trigger}`,
  }),
  /** `gsi1pk` of the remediation listing. */
  remediationListing: 'COMPLIANCE#REMEDIATIONS',
  /** `gsi1sk`: newest first when read backwards. */
  remediationListingSort: (at: string, subject: string, trigger: string, check: string): string =>
    `${at}#${subject}#${trigger}#${check}`,
};
