import type { LifecycleImage } from './lifecycle-evaluate.ts';

/**
 * What cleanup knows of one image of a repository: the lifecycle engine's view plus what a plan reports
 * (size, media types) and what structure protection needs (the subject of a referrer).
 */
export interface RepositoryImage extends LifecycleImage {
  /** `imageSizeInBytes` as DescribeImages reports it (layers shared with other images are counted again). */
  readonly sizeBytes: number;
  /** `imageManifestMediaType`. */
  readonly manifestMediaType?: string;
  /** `artifactMediaType`: a referrer's kind (signature, SBOM…), the config media type otherwise. */
  readonly artifactMediaType?: string;
  /** For a referrer (signature, SBOM, attestation): the digest of the image it is about (`subjectManifestDigest`). */
  readonly subjectDigest?: string;
}

/**
 * Something outside the repository that needs an image: a running ECS task, a service's deployment, a Lambda
 * version, Inspector's in-use record, a promotion. A tag is resolved to the digest that carries it now.
 */
export interface ImageUse {
  readonly repositoryName: string;
  /** The registry (account) of the image reference; absent when it is the account cleanup runs in. */
  readonly registryId?: string;
  readonly digest?: string;
  readonly tag?: string;
  /** Human reason, reported with the protected image, e.g. `ECS task arn:… (cluster prod) runs it`. */
  readonly reason: string;
}

/**
 * A signal that could not be read (access denied, throttled past retries). Cleanup never acts on doubt: the
 * repositories it names (all, when `repositoryName` is absent) are skipped and reported.
 */
export interface SignalDoubt {
  /** The signal's name, e.g. `ecs`, `lambda`, `inspector`, `promotions`. */
  readonly signal: string;
  readonly repositoryName?: string;
  readonly reason: string;
}

/** What one protection signal found. */
export interface SignalReport {
  readonly uses: readonly ImageUse[];
  readonly doubts: readonly SignalDoubt[];
}
