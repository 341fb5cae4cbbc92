/**
 * The `--help` texts of the promotion commands (cli.ts): the flow, the exit codes, AWS access, examples; and the
 * listing limits they state.
 */
import { AWS_ACCESS_HELP } from '../shared/cli-options.ts';

/** --limit bounds and default for `promotions`. */
export const LIMIT_MAX = 1000;
export const LIMIT_DEFAULT = 20;

/** What `promotions --env` reads before filtering by target environment (the store lists by app or digest). */
export const ENV_FILTER_WINDOW = LIMIT_MAX;

/** How promotion commands reach AWS and their records. */
export const PROMOTION_ACCESS_HELP = `${AWS_ACCESS_HELP}
Records live in the single table ecr-sentinel-STAGE (--stage, --table).`;

export const PROMOTE_HELP = `
How a promotion runs (the same use case as the deployed promoteImage function):
  1. VERSION (a tag) is resolved to its digest in APP's repository of the source environment: the one before
     ENV in the configured order, or --from (an earlier one only when promotion.allowSkip is true).
  2. Gate, fail closed: the digest's newest completed scan is judged with the TARGET repository's policy
     (thresholds, exceptions). No scan, a failed or too old scan (promotion.maxScanAgeDays), or FAIL: refused.
  3. Approval: when ENV has requiresApproval, the promotion waits (PENDING_APPROVAL) for a second person:
     ecr-sentinel approve ID --by NAME (or reject). Nothing is copied before.
  4. Copy by digest into the target repository (created compliant when missing): only the blobs it lacks,
     then the exact manifest with VERSION as its tag. The command returns once the image is there.
  With --wait SECONDS a promotion waiting for approval is followed until someone approves it (and the image is
  copied), rejects it, or it expires: one line per status change, then the result.
  The same request while one is open or completed answers that promotion; nothing is done twice.

Exit codes: 0 completed or pending approval, 1 refused by the gate, rejected, expired or a conflict (the
target's immutable tag is held by another digest), 2 bad usage (unknown environment or tag, invalid option),
an AWS error (including a failed copy: run the command again, only what is missing is copied) or --wait ran
out with the promotion still pending.

${PROMOTION_ACCESS_HELP}

With --json the promotion record is printed; errors are printed as {"error": {"type", "message"}}.

Examples:
  ecr-sentinel promote orders-api 1.4.2 staging
  ecr-sentinel promote orders-api 1.4.2 prod --by alice@example.com
  ecr-sentinel promote orders-api 1.4.2 prod --from dev      (needs promotion.allowSkip: true)
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 ecr-sentinel promote orders-api 1.4.2 staging --json`;

export const APPROVE_HELP = `
Approves a promotion pending approval and copies the image into the target; returns when it is there. The
requester can't approve their own promotion (four eyes); a pending approval expires after
promotion.approvalTtlHours.

Exit codes: 0 approved and copied, 1 not allowed (the requester, not pending, expired, another decision came
first), 2 bad usage (unknown id) or an AWS error (including a failed copy).

${PROMOTION_ACCESS_HELP}

Examples:
  ecr-sentinel approve 01JD2W8Q4N6X3K7M9P5R2T8V4Y --by bob@example.com
  ecr-sentinel approve 01JD2W8Q4N6X3K7M9P5R2T8V4Y --by bob@example.com --json`;

export const REJECT_HELP = `
Rejects a promotion pending approval (its requester may withdraw it this way); nothing is copied, and a new
request for the same image makes a new promotion.

Exit codes: 0 rejected, 1 not allowed (not pending, expired, another decision came first), 2 bad usage or an
AWS error.

${PROMOTION_ACCESS_HELP}

Example:
  ecr-sentinel reject 01JD2W8Q4N6X3K7M9P5R2T8V4Y --by bob@example.com --reason "wait for the 1.4.3 fix"`;

export const LIST_HELP = `
Newest first. --app and --digest each read one listing; --env keeps the promotions INTO that environment
(of the newest ${ENV_FILTER_WINDOW} of the listing).

Exit codes: 0 listed (possibly nothing), 2 bad usage or an AWS error.

${PROMOTION_ACCESS_HELP}

Examples:
  ecr-sentinel promotions --app orders-api
  ecr-sentinel promotions --app orders-api --env prod --limit 5 --json
  ecr-sentinel promotions --digest sha256:…`;

export const STATUS_HELP = `
What runs where: for each configured environment in order, the version and digest APP's last completed
promotion put there, its gate verdict, when and by whom (the approver, or the requester when no approval was
needed). The first environment gets images by push, not by promotion.

Exit codes: 0, 2 bad usage or an AWS error.

${PROMOTION_ACCESS_HELP}

Examples:
  ecr-sentinel status orders-api
  ecr-sentinel status orders-api --json`;
