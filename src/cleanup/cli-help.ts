/** The `--help` texts of `cleanup plan` and `cleanup apply` (cli.ts). */
import { AWS_ACCESS_HELP } from '../shared/cli-options.ts';

const HOW = `How a plan is made, per repository:
  1. The lifecycle policy: --policy FILE, else the repository group's cleanup policy in the config
     (cleanup.groups.G.policy, else cleanup.defaults.policy), else the repository's own (GetLifecyclePolicy).
     It is evaluated with ECR's semantics (every rule sees every image, priority order, index children held).
  2. Protections keep what the policy would take, each with its reason: running in ECS (tasks, services'
     deployments, the newest task-definition revisions), Lambda image functions (every version), Inspector's
     in-use data (EKS and more), promoted images (each environment's current digest and the previous ones),
     images younger than minAgeDays, tags matching keepTagPatterns; children of kept indexes and referrers
     (signatures, SBOMs) of kept images. A referrer whose subject expires goes with it.
  3. A signal that can't be read (access denied, throttled) skips the repository: never cleaned on doubt.
     More deletions than cleanup.maxDeletions (images or percent per repository) refuses the repository.
Sizes are ECR's imageSizeInBytes (layers shared between images count once per image); dollars at
cleanup.pricePerGbMonth (default 0.10 USD per GB-month, GB = 2^30 bytes).`;

const ACCESS = `${AWS_ACCESS_HELP}
Promotion records come from the table ecr-sentinel-STAGE (--stage, --table).`;

export const PLAN_HELP = `
${HOW}

Offline: with --snapshot FILE (the JSON \`aws ecr describe-images --repository-name R\` prints; one file per
repository) and a policy from --policy or the config, nothing is read from AWS and no credentials are needed.
Running images and promotions are then unknown: only age, tags and structure protect (said on the first line),
and when a snapshot holds an index every untagged image is kept (DescribeImages doesn't list index children).

--json prints GetLifecyclePolicyPreview's field names plus bytes and dollars:
  { "previewResults": [ { "repositoryName", "imageDigest", "imageTags", "imagePushedAt", "imageSizeInBytes",
    "action": { "type": "EXPIRE" | "TRANSITION" }, "appliedRulePriority" } ],
    "protected": [ { …, "reason" } ], "repositories": [ … ],
    "summary": { "expiringImageTotalCount", "bytesReclaimed", "monthlySavingsUsd" } }

Exit codes: 0 the plan was made; 2 bad usage, an unreadable file or an AWS error.

${ACCESS}

Examples:
  ecr-sentinel cleanup plan
  ecr-sentinel cleanup plan --repository orders-api-dev --now 2026-12-01T00:00:00Z
  aws ecr describe-images --repository-name orders-api-dev > orders-api-dev.json
  ecr-sentinel cleanup plan --snapshot orders-api-dev.json --policy file://policy.json --json
`;

export const APPLY_HELP = `
${HOW}

apply makes the same plan from the registry, prints it, asks for confirmation when run on a terminal (--yes
skips the question; without a terminal it does not ask), then deletes with BatchDeleteImage (at most 100
images per call, indexes and referrers before what they point to; per-image failures retried once, then
reported) and moves TRANSITION images to archive. Skipped and refused repositories are left alone.

Exit codes: 0 everything planned was removed; 1 a repository was skipped or refused, an image could not be
removed, or the question was answered no; 2 bad usage or an AWS error.

${ACCESS}

Examples:
  ecr-sentinel cleanup apply --repository orders-api-dev
  ecr-sentinel cleanup apply --yes --json
`;
