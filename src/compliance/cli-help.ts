/** The `--help` text of `audit` (cli.ts): commander-free constants, so `--help` loads nothing else. */

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

Read-only: audit reads ECR (DescribeRepositories, GetLifecyclePolicy, GetRepositoryPolicy, ListTagsForResource,
BatchGetRepositoryScanningConfiguration, DescribeRegistry, GetRegistryScanningConfiguration,
DescribeRepositoryCreationTemplates) and changes nothing. A read that fails (access denied, throttled past
retries) makes the checks that need it "unknown", with the reason: never drift.

Output: a table of repositories × checks (pass, DRIFT, unknown, - when off), the registry's items, then each
drift with the expected and actual state and the fix, and each unknown with its error. --json prints the audit
report: { "generatedAt", "registryId", "repositories": [ { "repositoryName", "group", "findings": [
{ "controlId", "status": "pass" | "drift" | "unknown", "expected", "actual", "fix", "error", … } ] } ],
"registry": [ findings ], "summary": { "pass", "drift", "unknown", … } }.

Exit codes: 0 every check passes; 1 drift (even if some checks are unknown); 2 a check could not be read
(no drift found), bad usage (a bad --repository, a repository that does not exist, an invalid or missing
config, no compliance checks configured) or an AWS error.

AWS access as usual (credentials, AWS_PROFILE, AWS_REGION); --endpoint-url (or AWS_ENDPOINT_URL) for the
local sandbox, e.g. http://127.0.0.1:4566.

Examples:
  ecr-sentinel audit
  ecr-sentinel audit --repository orders-api-prod --json`;
