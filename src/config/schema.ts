import * as z from 'zod';
import { checkCleanupReferences, cleanupConfigShape } from '../cleanup/config-schema.ts';
import { checkComplianceReferences, complianceConfigShape } from '../compliance/config-schema.ts';
import { promotionConfigShape } from '../promotion/config-schema.ts';
import { checkScanPolicyReferences, scanPolicyConfigShape } from '../scan-gate/config-schema.ts';
import { REPOSITORY_NAME_PATTERN } from '../shared/ecr/names.ts';
import { applicationNameSchema, environmentNameSchema, repositoryName } from '../shared/environments.ts';

/**
 * The schema of `sentinel.config.yml`, the one file users edit. Objects are strict so a misspelt key is an
 * error that names it instead of a setting silently ignored.
 */

const ACCOUNT_ID_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

const environmentName = environmentNameSchema;
const applicationName = applicationNameSchema;

/** ECR-style wildcard: `*` matches any run of characters. */
const wildcard = z.string().min(1).max(256);

const environmentSchema = z.strictObject({
  name: environmentName,
  /** How a repository of this environment is named; `{app}` and `{env}` are replaced. */
  repositoryTemplate: z
    .string()
    .refine((t) => t.includes('{app}'), 'expected a template that contains {app}, e.g. "{app}-{env}"')
    .default('{app}-{env}'),
  /** Promotion into this environment needs a second person's approval. */
  requiresApproval: z.boolean().default(false),
  /** The account its repositories live in (default: the account ecr-sentinel is deployed in). */
  accountId: z
    .string()
    .regex(ACCOUNT_ID_PATTERN, 'expected a 12-digit AWS account id, e.g. "123456789012"')
    .optional(),
  /** The Region its repositories live in (default: the Region ecr-sentinel is deployed in). */
  region: z.string().regex(REGION_PATTERN, 'expected an AWS Region such as eu-west-1').optional(),
  /** The role promotions assume to write there (another account's environments need one). */
  roleArn: z
    .string()
    .regex(ROLE_ARN_PATTERN, 'expected an IAM role ARN such as arn:aws:iam::123456789012:role/ecr-promoter')
    .optional(),
});

const applicationSchema = z.strictObject({
  name: applicationName,
});

const repositoryGroupSchema = z.strictObject({
  name: z.string().min(1),
  /** Repository names or wildcards (`*`); a repository belongs to the first group that matches it. */
  repositories: z.array(wildcard).min(1),
});

/** The defaults the issue asks for: dev → staging → prod, prod needs approval. */
export const DEFAULT_ENVIRONMENTS = [
  { name: 'dev', repositoryTemplate: '{app}-{env}', requiresApproval: false },
  { name: 'staging', repositoryTemplate: '{app}-{env}', requiresApproval: false },
  { name: 'prod', repositoryTemplate: '{app}-{env}', requiresApproval: true },
];

export const sentinelConfigSchema = z
  .strictObject({
    version: z.literal(1, { error: 'expected 1 (the only configuration version so far)' }),
    /** Promotion order: an image moves from each environment to the next. */
    environments: z.array(environmentSchema).min(1).default(DEFAULT_ENVIRONMENTS),
    applications: z.array(applicationSchema).default([]),
    repositoryGroups: z.array(repositoryGroupSchema).default([]),
    /** Scan gate thresholds, CVE exceptions and alert destinations (see scan-policy-schema.ts). */
    ...scanPolicyConfigShape,
    /** Promotion rules (src/promotion/config-schema.ts). */
    ...promotionConfigShape,
    /** Cleanup rules and protections (src/cleanup/config-schema.ts). */
    ...cleanupConfigShape,
    /** The desired state of repositories and the registry (src/compliance/config-schema.ts). */
    ...complianceConfigShape,
  })
  .superRefine((config, ctx) => {
    checkScanPolicyReferences(config, ctx);
    checkCleanupReferences(config, ctx);
    checkComplianceReferences(config, ctx);
    reportDuplicates(
      config.environments.map((e) => e.name),
      ['environments'],
      'environment',
      ctx,
    );
    reportDuplicates(
      config.applications.map((a) => a.name),
      ['applications'],
      'application',
      ctx,
    );
    reportDuplicates(
      config.repositoryGroups.map((g) => g.name),
      ['repositoryGroups'],
      'repository group',
      ctx,
    );
    config.environments.forEach((env, index) => {
      // The role is assumed in the environment's account: one that names another account is a typo waiting.
      const roleAccount = env.roleArn?.split(':')[4];
      if (roleAccount !== undefined && env.accountId !== undefined && roleAccount !== env.accountId) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', index, 'roleArn'],
          message: `names account ${roleAccount}, but the environment is in account ${env.accountId}`,
        });
      }
    });
    config.applications.forEach((app, appIndex) => {
      for (const env of config.environments) {
        const name = repositoryName(env, app.name);
        if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME_PATTERN.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['applications', appIndex, 'name'],
            message: `gives repository name "${name}" in environment ${env.name}, which ECR does not accept`,
          });
        }
      }
    });
  });

function reportDuplicates(names: string[], path: string[], what: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (seen.has(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, index, 'name'],
        message: `duplicate ${what} "${name}"`,
      });
    }
    seen.add(name);
  });
}

/** A validated configuration, defaults filled in. */
export type SentinelConfig = z.output<typeof sentinelConfigSchema>;
export type EnvironmentConfig = SentinelConfig['environments'][number];
