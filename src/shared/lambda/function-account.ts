import { ACCOUNT_ID_PATTERN } from '../ecr/names.ts';

/**
 * The account a function runs in, from its ARN (`context.invokedFunctionArn`,
 * `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`): the environment doesn't say, and an STS call at cold
 * start would cost time and a permission. Throws when the ARN holds no account id.
 */
export function functionAccount(invokedFunctionArn: string): string {
  const accountId = invokedFunctionArn.split(':')[4] ?? '';
  if (!ACCOUNT_ID_PATTERN.test(accountId))
    throw new Error(`cannot tell this function's account from its ARN ${invokedFunctionArn}`);
  return accountId;
}

/** Where a deployed function runs, as its alerts name it (console links, the stage in the subject). */
export interface FunctionWhere {
  readonly accountId: string;
  readonly region: string;
  readonly stage?: string;
}

/**
 * {@link FunctionWhere} of this function: the account from its ARN, the Region and the stage (SENTINEL_STAGE) the
 * caller read from its environment; no stage key when there is none.
 */
export function functionWhere(
  invokedFunctionArn: string,
  region: string,
  stage: string | undefined,
): FunctionWhere {
  return { accountId: functionAccount(invokedFunctionArn), region, ...(stage ? { stage } : {}) };
}
