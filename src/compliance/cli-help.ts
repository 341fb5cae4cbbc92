/** The `--help` text of `audit` (cli.ts): constants, so `--help` loads nothing else. */
import { AWS_ACCESS_HELP } from '../shared/cli-options.ts';

export const AUDIT_HELP = `
What is checked, per repository (each check only where the config turns it on):
  scanning            the registry's scanning rules cover the repository with the required frequency
                      (SCAN_ON_PUSH or CONTINUOUS_SCAN) and scan type (BASIC or ENHANCED)
  tag-mutability      MUTABLE, IMMUTABLE or *_WITH_EXCLUSION with exactly the allowed exclusion filters
  encryption          AES256 or KMS, with the required key (fixed at creation: the fix is to recreate)
  lifecycle-policy    present, valid, and it caps untagged images and every tagged image by count or age
                      (judged by what the rules do, with cleanup's lifecycle engine, not by the text)
  repository-policy   no Allow to Principal "*" without a restricting condition; other accounts only from
                      allowedAccounts
  resource-tags       the required tags present, with allowed values
and of the registry: replication rules equal the desired ones (replication), repository creation templates
exist for the configured prefixes with their group's settings (creation-templates).

The desired state comes from the \`compliance:\` section of the configuration (--config, default
sentinel.config.yml): \`compliance.defaults\`, replaced check by check by the repository's group
(\`compliance.groups.G\`, groups from \`repositoryGroups\`; \`false\` turns a check off), and
\`compliance.registry\`. \`ecr-sentinel config validate\` checks it.

Read-only unless --enforce: audit reads ECR (DescribeRepositories, GetLifecyclePolicy, GetRepositoryPolicy,
ListTagsForResource, BatchGetRepositoryScanningConfiguration, DescribeRegistry, GetRegistryScanningConfiguration,
DescribeRepositoryCreationTemplates) and changes nothing. A read that fails (access denied, throttled past
retries) makes the checks that need it "unknown", with the reason: never drift.

--enforce: fixes the drift of checks whose mode is enforce (\`mode: enforce\` in the config; audit is the
default) where a fix exists: the repository added to the registry's scanning rule
(PutRegistryScanningConfiguration), tag mutability (PutImageTagMutability), the group's lifecycle policy
template (PutLifecyclePolicy), offending repository policy statements removed, the others kept
(SetRepositoryPolicy; DeleteRepositoryPolicy when every statement offends: the policy, never the repository),
required tags with configured values (TagResource), replication (PutReplicationConfiguration) and creation
templates (Create/UpdateRepositoryCreationTemplate). Encryption can't change after creation: never fixed, its
drift stays with the fix to do by hand. Nothing deletes a repository or an image. Each action is recorded with
the state before and after, applied or failed with its error (one failure doesn't stop the others); then the
touched repositories are read back and audited again: a fixed drift shows as "fixed", what remains as DRIFT.

Output: a table of repositories × checks (pass, DRIFT, fixed, unknown, - when off), the registry's items, then
each drift with the expected and actual state and the fix, and each unknown with its error; with --enforce,
first each action (before -> after, or its error). --json prints the audit report: { "generatedAt",
"registryId", "repositories": [ { "repositoryName", "group", "findings": [ { "controlId", "status": "pass" |
"drift" | "fixed" | "unknown", "expected", "actual", "fix", "error", … } ] } ], "registry": [ findings ],
"summary": { "pass", "drift", "fixed", "unknown", … } }, and with --enforce "enforcement": { "actions": [ {
"controlId", "action", "repositoryNames", "input", "before", "after", "outcome": "applied" | "failed", "error" }
], "skipped": [ { "controlId", "subject", "reason" } ] }.

Exit codes: 0 every check passes; 1 drift (even if some checks are unknown); 2 a check could not be read (no
drift found), bad usage (a bad --repository, a repository that does not exist, an invalid or missing config, no
compliance checks configured) or an AWS error. With --enforce they say the state afterwards: 0 every check
passes or was fixed, 1 drift remains (a failed action's, an audit-mode check's, one enforce can't fix).

--stack STAGE: audits ecr-sentinel's own deployed stack (ecr-sentinel-STAGE) instead, read-only, against what
deploys it: every alarm deploy/alarms.cjs generates from serverless.yml (each function's Errors, each dead-letter
and onFailure queue's depth; metric, threshold, alarm and OK actions to the alerts topic) and every function's
role granting exactly the actions serverless.yml declares for it (and on "*" only those declared so), with no
managed policy attached. Reads CloudFormation ListStackResources, CloudWatch DescribeAlarms, IAM
ListRolePolicies, GetRolePolicy and ListAttachedRolePolicies. Per item pass, DRIFT (with each difference and
the fix: deploy the stack again) or unknown (a read that failed); same exit codes; --json prints { "generatedAt",
"stackName", "findings": [ { "check": "alarm" | "role", "item", "status", "expected", "actual", "fix",
"details", "error" } ], "summary" }. No --repository or --enforce with it.

${AWS_ACCESS_HELP}

Examples:
  ecr-sentinel audit
  ecr-sentinel audit --repository orders-api-prod --json
  ecr-sentinel audit --enforce
  ecr-sentinel audit --stack prod`;

/** The `--help` text of `repo ensure` (cli.ts). */
export const REPO_ENSURE_HELP = `
The step a pipeline runs before its first push, instead of a build script's create-repository calls.

The repository's group (repositoryGroups, first match) gives its desired state, from the \`compliance:\` section
of the configuration (--config, default sentinel.config.yml), as \`audit\` checks it.

A repository that does not exist is created compliant by construction: CreateRepository with the group's tag
mutability (and exclusion filters), encryption, scan on push and the required tags whose value the config gives
(resourceTags.values); then what CreateRepository can't set: the group's lifecycle policy template
(PutLifecyclePolicy) and, when the group needs continuous or enhanced scanning, the registry's scanning rule.
An existing repository is brought to the desired state by the same fixes as \`audit --enforce\`, for every
check whatever its mode (naming the repository is the request). Nothing is deleted; encryption drift on an
existing repository can't be fixed and is reported. A repository that already complies is left alone: "already
compliant", no write call.

Output: what was created, each action (before -> after, or its error) and the repository's checks afterwards.
--json: { "repositoryName", "group", "created": { CreateRepository input } | null, "alreadyCompliant",
"actions": [ … as audit --enforce ], "skipped": [ … ], "findings": [ … ], "summary": { … } }.

Exit codes: 0 the repository complies; 1 drift remains (encryption of an existing repository, a failed action,
a fix the config can't give such as a tag without a value); 2 a bad NAME (ECR's repository name rules), an
invalid or missing config, no compliance checks configured, a check that could not be read, or an AWS error.

${AWS_ACCESS_HELP}

Examples:
  ecr-sentinel repo ensure orders-api-dev
  ecr-sentinel repo ensure services/payments --config sentinel.config.yml --json`;
