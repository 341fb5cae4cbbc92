// The roles promoteImage may assume, from sentinel.config.yml `environments[].roleArn`, for serverless.yml:
//
//   Action: [sts:AssumeRole]
//   Resource: ${file(./deploy/promotion-roles.cjs):roleArns}
//
// Called like alert-subscriptions.cjs (synchronously, by the Serverless Framework and by the local runtime).
'use strict';

const { fail, readConfig } = require('./config-file.cjs');

/**
 * Named when no environment has a role: IAM needs a resource, and this role exists in no account (the account id
 * 000000000000 is never issued), so the grant allows nothing.
 */
const NO_ROLE = 'arn:aws:iam::000000000000:role/ecr-sentinel-no-promotion-role';

module.exports = function promotionRoles() {
  const { file, config } = readConfig();
  const environments = Array.isArray(config.environments) ? config.environments : [];
  const roleArns = [];
  environments.forEach((environment, index) => {
    const roleArn = environment && typeof environment === 'object' ? environment.roleArn : undefined;
    if (roleArn === undefined || roleArn === null) return;
    // Only the shape this file relies on: `config validate` holds the ARN's rules.
    if (typeof roleArn !== 'string') {
      fail(file, `environments[${index}].roleArn: expected an IAM role ARN, got ${JSON.stringify(roleArn)}`);
    }
    if (!roleArns.includes(roleArn)) roleArns.push(roleArn);
  });
  return { roleArns: roleArns.length > 0 ? roleArns : [NO_ROLE] };
};
