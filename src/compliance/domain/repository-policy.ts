import * as z from 'zod';
import {
  drift,
  type Finding,
  modeSchema,
  pass,
  type RepositoryControl,
  repositorySubject,
} from './control.ts';
import { analyseResourcePolicy } from './iam-policy.ts';

/**
 * Repository policy: no Allow to `Principal: "*"` (or NotPrincipal) without a condition restricting the caller,
 * and cross-account principals only from an allowlist. Enforce removes the offending statements
 * (SetRepositoryPolicy with the rest, or DeleteRepositoryPolicy when nothing else remains).
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html
 */

export const repositoryPolicySettingsSchema = z.strictObject({
  /** Accounts besides the repository's own that statements may name. */
  allowedAccounts: z
    .array(z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id, e.g. "123456789012"'))
    .default([]),
  mode: modeSchema,
});
export type RepositoryPolicySettings = z.output<typeof repositoryPolicySettingsSchema>;

export const repositoryPolicyControl: RepositoryControl<RepositoryPolicySettings> = {
  id: 'repository-policy',
  title: 'The repository policy is not public and names only allowed accounts',
  scope: 'repository',
  check({ repository, desired }): Finding {
    const subject = repositorySubject(repository);
    const allowed = [repository.registryId, ...desired.allowedAccounts];
    const expected = `no public statement; accounts only from ${allowed.join(', ')}`;
    const text = repository.repositoryPolicyText;
    if (text === undefined)
      return pass('repository-policy', subject, desired.mode, expected, 'no repository policy');
    const analysis = analyseResourcePolicy(text, {
      ownAccount: repository.registryId,
      allowedAccounts: desired.allowedAccounts,
    });
    if (!analysis.ok)
      return drift('repository-policy', subject, desired.mode, {
        expected,
        actual: `a policy that can't be read: ${analysis.problem}`,
        fix: 'replace the repository policy by hand',
      });
    if (analysis.offending.length === 0)
      return pass('repository-policy', subject, desired.mode, expected, 'no offending statement');

    const labels = analysis.offending.map((o) => o.label);
    const details = analysis.offending.map((o) => `${o.label}: ${o.reasons.join('; ')}`);
    const repositoryName = repository.repositoryName;
    return drift('repository-policy', subject, desired.mode, {
      expected,
      actual: `offending statement${labels.length === 1 ? '' : 's'}: ${labels.join(', ')}`,
      details,
      fix:
        analysis.remainingText === undefined
          ? `remove the policy: every statement offends (DeleteRepositoryPolicy)`
          : `remove ${labels.join(', ')} from the policy (SetRepositoryPolicy with the remaining statements)`,
      remediation:
        analysis.remainingText === undefined
          ? { action: 'DeleteRepositoryPolicy', input: { repositoryName }, before: text, after: null }
          : {
              action: 'SetRepositoryPolicy',
              input: { repositoryName, policyText: analysis.remainingText },
              before: text,
              after: analysis.remainingText,
            },
    });
  },
};
