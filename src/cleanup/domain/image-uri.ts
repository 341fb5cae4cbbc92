/**
 * Image references as ECS task definitions, running tasks and Lambda functions name them: a registry host, a
 * repository and a tag or a digest. Pure: cleanup's protection signals parse each reference here once.
 */
import {
  ACCOUNT_ID_PATTERN,
  IMAGE_DIGEST_PATTERN,
  IMAGE_TAG_PATTERN,
  REPOSITORY_NAME_PATTERN,
} from '../../shared/ecr/names.ts';
import type { ImageUse } from './images.ts';

/** One image of an Amazon ECR private registry, as a reference names it. */
export interface EcrImageReference {
  /** The registry: the account id of the host name. */
  readonly registryId: string;
  readonly region: string;
  readonly repositoryName: string;
  /** Present when the reference pins a digest (`repo@sha256:…`, also `repo:tag@sha256:…`, where the digest wins). */
  readonly digest?: string;
  /** Present when the reference names no digest; `latest` when it names neither, as docker does. */
  readonly tag?: string;
}

/**
 * The host of a private registry: `<account>.dkr.ecr.<region>.amazonaws.com`, its FIPS form
 * (`dkr.ecr-fips`), China's `.amazonaws.com.cn`, and the dual-stack `<account>.dkr-ecr.<region>.on.aws`.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html
 * @see https://docs.aws.amazon.com/general/latest/gr/ecr.html
 */
const ECR_HOST =
  /^(\d{12})\.(?:dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|dkr-ecr(?:-fips)?\.([a-z0-9-]+)\.on\.aws)$/;

/**
 * Parse an image reference; undefined when it is not an image of an ECR private registry (Docker Hub, ECR
 * Public, another registry) or is malformed. A reference without tag or digest means `latest`.
 */
export function parseEcrImageUri(uri: string): EcrImageReference | undefined {
  const slash = uri.indexOf('/');
  if (slash <= 0) return undefined;
  const host = ECR_HOST.exec(uri.slice(0, slash).toLowerCase());
  const registryId = host?.[1];
  const region = host?.[2] ?? host?.[3];
  if (registryId === undefined || region === undefined || !ACCOUNT_ID_PATTERN.test(registryId))
    return undefined;
  let rest = uri.slice(slash + 1);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!IMAGE_DIGEST_PATTERN.test(digest)) return undefined;
  }
  // A tag follows the last ':' of the last path segment (a registry port would sit in the host, not here).
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const repositoryName = tag === undefined ? rest : rest.slice(0, colon);
  if (!REPOSITORY_NAME_PATTERN.test(repositoryName)) return undefined;
  if (tag !== undefined && !IMAGE_TAG_PATTERN.test(tag)) return undefined;
  if (digest !== undefined) return { registryId, region, repositoryName, digest };
  return { registryId, region, repositoryName, tag: tag ?? 'latest' };
}

/** The account and Region cleanup runs in. */
export interface CleanedRegistry {
  readonly accountId: string;
  readonly region: string;
}

/**
 * The {@link ImageUse} an image reference makes, or undefined when the reference does not name an ECR image of
 * the Region being cleaned. An image of another account's registry in that Region is kept with its `registryId`
 * (the caller decides whether that registry is one it cleans); one of the cleaned account has none.
 */
export function imageUseOf(uri: string, registry: CleanedRegistry, reason: string): ImageUse | undefined {
  const reference = parseEcrImageUri(uri);
  if (reference === undefined || reference.region !== registry.region) return undefined;
  return {
    repositoryName: reference.repositoryName,
    ...(reference.registryId === registry.accountId ? {} : { registryId: reference.registryId }),
    ...(reference.digest === undefined ? {} : { digest: reference.digest }),
    ...(reference.tag === undefined ? {} : { tag: reference.tag }),
    reason,
  };
}

/**
 * The uses of the repositories asked about (every use when none are named), each reported once: the same
 * image, registry and reason found twice (a task definition behind two services' deployments) counts once.
 */
export function usesOf(uses: readonly ImageUse[], repositories: readonly string[]): ImageUse[] {
  const wanted = new Set(repositories);
  const seen = new Set<string>();
  const kept: ImageUse[] = [];
  for (const use of uses) {
    if (wanted.size > 0 && !wanted.has(use.repositoryName)) continue;
    const key = JSON.stringify([use.registryId, use.repositoryName, use.digest, use.tag, use.reason]);
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(use);
  }
  return kept;
}
