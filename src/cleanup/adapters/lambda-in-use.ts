import {
  GetFunctionCommand,
  type LambdaClient,
  paginateListFunctions,
  paginateListVersionsByFunction,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import type { IamPermissions } from '../../shared/iam.ts';
import { type CleanedRegistry, imageUseOf, parseEcrImageUri, usesOf } from '../domain/image-uri.ts';
import type { ImageUse, ProtectionSignal, SignalDoubt } from '../ports.ts';
import { doubtOf } from './signal-doubt.ts';

const SIGNAL = 'lambda';

/** ListFunctions and ListVersionsByFunction return at most 50 items a page. */
const PAGE = 50;

/**
 * What {@link lambdaInUse} calls: ListFunctions has no resource type; ListVersionsByFunction and GetFunction act
 * on the function (a qualified ARN is authorised as its function).
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
 */
export const lambdaInUsePermissions: IamPermissions = [
  { actions: ['lambda:ListFunctions'], resource: '*' },
  { actions: ['lambda:ListVersionsByFunction', 'lambda:GetFunction'], resource: 'lambda-function' },
];

/** What {@link lambdaInUse} needs besides the client. */
export interface LambdaInUseOptions {
  /** The account and Region being cleaned: only ECR images of that Region count. */
  readonly registry: CleanedRegistry;
}

/**
 * The `lambda` protection signal: the image of every version of every container-image function. Each published
 * version keeps the image it was published with, and every alias points at versions (one, or two while it
 * shifts traffic), so reading `$LATEST` and every published version covers every alias too.
 *
 * GetFunction answers `Code.ImageUri` (as given, often by tag) and `Code.ResolvedImageUri` (the digest Lambda
 * resolved the tag to when the code was set): the resolved one is what the function runs, whatever the tag
 * names now, so it wins when present.
 *
 * moto 5.2.1 diverges: its `ResolvedImageUri` carries the sha256 of the ImageUri *text*, not of the image's
 * manifest, and is malformed (`repo@sha256@sha256:…`) when ImageUri names a digest. A malformed ResolvedImageUri
 * is not an ECR reference, so the ImageUri is used then; against moto a tag reference yields moto's digest.
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCodeLocation.html
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html
 */
export function lambdaInUse(lambda: LambdaClient, options: LambdaInUseOptions): ProtectionSignal {
  const { registry } = options;
  return {
    name: SIGNAL,
    async read({ repositories }) {
      const uses: ImageUse[] = [];
      const doubts: SignalDoubt[] = [];
      const functions: string[] = [];
      try {
        for await (const page of paginateListFunctions({ client: lambda, pageSize: PAGE }, {})) {
          for (const fn of page.Functions ?? []) {
            if (fn.PackageType === 'Image' && fn.FunctionName !== undefined) functions.push(fn.FunctionName);
          }
        }
      } catch (error) {
        doubts.push(doubtOf(SIGNAL, 'the Lambda functions (ListFunctions)', error));
      }

      for (const functionName of functions) {
        try {
          const versions: string[] = [];
          const pages = paginateListVersionsByFunction(
            { client: lambda, pageSize: PAGE },
            { FunctionName: functionName },
          );
          for await (const page of pages) {
            for (const version of page.Versions ?? []) {
              if (version.Version !== undefined) versions.push(version.Version);
            }
          }
          for (const version of versions) {
            const out = await lambda.send(
              new GetFunctionCommand({ FunctionName: functionName, Qualifier: version }),
            );
            const code = out.Code;
            const resolved =
              code?.ResolvedImageUri !== undefined && parseEcrImageUri(code.ResolvedImageUri) !== undefined
                ? code.ResolvedImageUri
                : code?.ImageUri;
            if (resolved === undefined) continue;
            const use = imageUseOf(
              resolved,
              registry,
              `Lambda function ${functionName} version ${version} runs it`,
            );
            if (use) uses.push(use);
          }
        } catch (error) {
          // Deleted since it was listed: a function that no longer exists runs nothing.
          if (error instanceof ResourceNotFoundException) continue;
          doubts.push(doubtOf(SIGNAL, `the versions of Lambda function ${functionName}`, error));
        }
      }
      return { uses: usesOf(uses, repositories), doubts };
    },
  };
}
