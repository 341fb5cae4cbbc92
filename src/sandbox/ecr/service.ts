import { randomUUID } from 'node:crypto';
import type {
  BatchCheckLayerAvailabilityResponse,
  BatchDeleteImageResponse,
  BatchGetImageResponse,
  CompleteLayerUploadResponse,
  CreateRepositoryResponse,
  DeleteLifecyclePolicyResponse,
  DeleteRepositoryPolicyResponse,
  DeleteRepositoryResponse,
  DescribeImageScanFindingsResponse,
  DescribeImagesResponse,
  DescribeRegistryResponse,
  DescribeRepositoriesResponse,
  GetAuthorizationTokenResponse,
  GetDownloadUrlForLayerResponse,
  GetLifecyclePolicyResponse,
  GetRegistryScanningConfigurationResponse,
  GetRepositoryPolicyResponse,
  ImageDetail,
  ImageFailure,
  ImageIdentifier,
  ImageScanStatus,
  InitiateLayerUploadResponse,
  ListImagesResponse,
  ListTagsForResourceResponse,
  PutImageResponse,
  PutImageScanningConfigurationResponse,
  PutImageTagMutabilityResponse,
  PutLifecyclePolicyResponse,
  PutRegistryScanningConfigurationResponse,
  PutReplicationConfigurationResponse,
  Repository,
  SetRepositoryPolicyResponse,
  StartImageScanResponse,
  UploadLayerPartResponse,
} from '@aws-sdk/client-ecr';
import { wildcardMatch } from '../../shared/wildcard.ts';
import { blobUrl, type EcrEmulatorOptions, type EventEntry } from '../contracts.ts';
import { isDigest, sha256Digest } from './digest.ts';
import { EcrError, invalidParameter, parseJsonParameter } from './errors.ts';
import { basicScanEvent, imageActionEvent, inspectorScanEvent } from './events.ts';
import { validateLifecyclePolicy } from './lifecycle.ts';
import { parseManifest } from './manifest.ts';
import { decodeToken, encodeToken } from './pagination.ts';
import {
  basicFinding,
  enhancedFinding,
  enhancedSeverityCounts,
  inspectorEventCounts,
  parseCatalogueEntry,
  severityCounts,
} from './scanner.ts';
import {
  catalogueKey,
  catalogueKeyOf,
  type ExclusionFilter,
  type ImageRecord,
  type RegistryState,
  type RepositoryRecord,
  type ScanningRule,
  type ScanTypeValue,
  type TagMutability,
} from './state.ts';
import {
  enumOf,
  type ImageId,
  type Input,
  imageIdOf,
  isImageTag,
  maxResultsOf,
  optionalArray,
  optionalBoolean,
  optionalObject,
  optionalString,
  REPOSITORY_FILTER_PATTERN,
  registryIdOf,
  repositoryNameOf,
  requiredString,
  TAG_FILTER_PATTERN,
  validateImageId,
  validateImageTag,
  validateRepositoryName,
  wildcardFilters,
} from './validation.ts';
import { seconds, type Wire } from './wire.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const MIN_PART_BYTES = 5 * 1024 * 1024;
const PART_SIZE = 10 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MUTABILITIES: readonly TagMutability[] = [
  'MUTABLE',
  'IMMUTABLE',
  'IMMUTABLE_WITH_EXCLUSION',
  'MUTABLE_WITH_EXCLUSION',
];
const TAG_STATUSES = ['TAGGED', 'UNTAGGED', 'ANY'] as const;
type TagStatus = (typeof TAG_STATUSES)[number];

const SCAN_DESCRIPTIONS: Record<string, string> = {
  IN_PROGRESS: 'The scan is in progress.',
  COMPLETE: 'The scan was completed successfully.',
  ACTIVE: 'Continuous scan is selected for image.',
  FAILED: 'The scan failed.',
  UNSUPPORTED_IMAGE: 'UnsupportedImageError: The operating system and/or package manager are not supported.',
  FINDINGS_UNAVAILABLE: 'Findings are unavailable for this image.',
};

/** An operation: decoded request in, wire-shaped response out (or an {@link EcrError}). */
export type Operation = (input: Input) => unknown;

/**
 * ECR behaviour, one method per action, over {@link RegistryState}. Behaviour follows the ECR API reference
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/) and the SDK model's documented errors.
 */
export class EcrService {
  private readonly scanTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly options: EcrEmulatorOptions,
    readonly state: RegistryState,
    private readonly changed: () => void,
  ) {}

  /** The dispatch table: X-Amz-Target action name → operation. */
  operations(): Record<string, Operation> {
    return {
      CreateRepository: (i) => this.createRepository(i),
      DescribeRepositories: (i) => this.describeRepositories(i),
      DeleteRepository: (i) => this.deleteRepository(i),
      PutImage: (i) => this.putImage(i),
      BatchGetImage: (i) => this.batchGetImage(i),
      DescribeImages: (i) => this.describeImages(i),
      ListImages: (i) => this.listImages(i),
      BatchDeleteImage: (i) => this.batchDeleteImage(i),
      BatchCheckLayerAvailability: (i) => this.batchCheckLayerAvailability(i),
      InitiateLayerUpload: (i) => this.initiateLayerUpload(i),
      UploadLayerPart: (i) => this.uploadLayerPart(i),
      CompleteLayerUpload: (i) => this.completeLayerUpload(i),
      GetDownloadUrlForLayer: (i) => this.getDownloadUrlForLayer(i),
      GetAuthorizationToken: (i) => this.getAuthorizationToken(i),
      PutLifecyclePolicy: (i) => this.putLifecyclePolicy(i),
      GetLifecyclePolicy: (i) => this.getLifecyclePolicy(i),
      DeleteLifecyclePolicy: (i) => this.deleteLifecyclePolicy(i),
      PutImageTagMutability: (i) => this.putImageTagMutability(i),
      PutImageScanningConfiguration: (i) => this.putImageScanningConfiguration(i),
      PutRegistryScanningConfiguration: (i) => this.putRegistryScanningConfiguration(i),
      GetRegistryScanningConfiguration: (i) => this.getRegistryScanningConfiguration(i),
      SetRepositoryPolicy: (i) => this.setRepositoryPolicy(i),
      GetRepositoryPolicy: (i) => this.getRepositoryPolicy(i),
      DeleteRepositoryPolicy: (i) => this.deleteRepositoryPolicy(i),
      PutReplicationConfiguration: (i) => this.putReplicationConfiguration(i),
      DescribeRegistry: (i) => this.describeRegistry(i),
      StartImageScan: (i) => this.startImageScan(i),
      DescribeImageScanFindings: (i) => this.describeImageScanFindings(i),
      TagResource: (i) => this.tagResource(i),
      UntagResource: (i) => this.untagResource(i),
      ListTagsForResource: (i) => this.listTagsForResource(i),
    };
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  private get accountId(): string {
    return this.options.accountId;
  }

  private nowMs(): number {
    return this.options.clock.now().getTime();
  }

  private emit(entries: EventEntry[]): void {
    if (entries.length === 0) return;
    try {
      this.options.emit(entries);
    } catch {
      // Fire and forget: ECR emits events best effort, and a failing bus must never fail the API call.
    }
  }

  repositoryArn(name: string): string {
    return `arn:aws:ecr:${this.options.region}:${this.accountId}:repository/${name}`;
  }

  private repositoryNotFound(name: string, registryId = this.accountId): EcrError {
    return new EcrError(
      'RepositoryNotFoundException',
      `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
    );
  }

  /** The repository a request names, in the registry it addresses. */
  private repoOf(input: Input): RepositoryRecord {
    const registryId = registryIdOf(input, this.accountId);
    const name = repositoryNameOf(input);
    const repo = registryId === this.accountId ? this.state.repos.get(name) : undefined;
    if (!repo) throw this.repositoryNotFound(name, registryId);
    return repo;
  }

  private repositoryShape(repo: RepositoryRecord): Wire<Repository> {
    const shape: Wire<Repository> = {
      repositoryArn: this.repositoryArn(repo.name),
      registryId: this.accountId,
      repositoryName: repo.name,
      repositoryUri: `${this.accountId}.dkr.ecr.${this.options.region}.amazonaws.com/${repo.name}`,
      createdAt: seconds(repo.createdAt),
      imageTagMutability: repo.imageTagMutability,
      imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
      encryptionConfiguration: { ...repo.encryption } as Wire<Repository>['encryptionConfiguration'],
    };
    if (repo.exclusionFilters.length > 0) shape.imageTagMutabilityExclusionFilters = repo.exclusionFilters;
    return shape;
  }

  private imageIdText(id: ImageId): string {
    return `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;
  }

  private imageNotFound(repo: RepositoryRecord, id: ImageId): EcrError {
    return new EcrError(
      'ImageNotFoundException',
      `The image with imageId ${this.imageIdText(id)} does not exist within the repository with name '${repo.name}' in the registry with id '${this.accountId}'`,
    );
  }

  /** Resolve an identifier that must name one existing image (operations that throw). */
  private findImage(repo: RepositoryRecord, id: ImageId): ImageRecord {
    validateImageId(id);
    const digest = id.imageTag !== undefined ? repo.tagIndex.get(id.imageTag) : id.imageDigest;
    const image = digest === undefined ? undefined : repo.images.get(digest);
    if (!image || (id.imageDigest !== undefined && id.imageDigest !== image.digest))
      throw this.imageNotFound(repo, id);
    return image;
  }

  /** Resolve an identifier inside a batch: failures are returned, never thrown. */
  private lookupForBatch(repo: RepositoryRecord, id: ImageId): ImageRecord | Wire<ImageFailure> {
    const failure = (failureCode: string, failureReason: string): Wire<ImageFailure> => ({
      imageId: id,
      failureCode: failureCode as ImageFailure['failureCode'],
      failureReason,
    });
    if (id.imageDigest === undefined && id.imageTag === undefined) {
      return failure('MissingDigestAndTag', 'Invalid request: Both digest and tag cannot be null');
    }
    if (id.imageDigest !== undefined && !isDigest(id.imageDigest)) {
      return failure('InvalidImageDigest', 'Invalid image digest');
    }
    if (id.imageTag !== undefined && !isImageTag(id.imageTag))
      return failure('InvalidImageTag', 'Invalid image tag');
    if (id.imageTag !== undefined) {
      const digest = repo.tagIndex.get(id.imageTag);
      if (digest === undefined) return failure('ImageNotFound', 'Requested image not found');
      if (id.imageDigest !== undefined && id.imageDigest !== digest) {
        return failure('ImageTagDoesNotMatchDigest', 'Invalid request: tag and digest do not match');
      }
      return repo.images.get(digest) ?? failure('ImageNotFound', 'Requested image not found');
    }
    return repo.images.get(id.imageDigest as string) ?? failure('ImageNotFound', 'Requested image not found');
  }

  private imageIdsOf(input: Input, min: number, max: number): ImageId[] {
    const raw = optionalArray(input, 'imageIds');
    if (raw === undefined)
      throw invalidParameter(
        "Invalid parameter at 'imageIds' failed to satisfy constraint: 'must not be null'",
      );
    if (raw.length < min || raw.length > max) {
      throw invalidParameter(
        `Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to ${max} and greater than or equal to ${min}'`,
      );
    }
    return raw.map((item, index) => imageIdOf(item, `imageIds[${index}]`));
  }

  private isTagImmutable(repo: RepositoryRecord, tag: string): boolean {
    const matches = () => repo.exclusionFilters.some((f) => wildcardMatch(f.filter, tag));
    switch (repo.imageTagMutability) {
      case 'MUTABLE':
        return false;
      case 'IMMUTABLE':
        return true;
      case 'IMMUTABLE_WITH_EXCLUSION':
        return !matches();
      case 'MUTABLE_WITH_EXCLUSION':
        return matches();
    }
  }

  private mutabilityOf(input: Input): {
    imageTagMutability: TagMutability;
    exclusionFilters: ExclusionFilter[];
  } {
    const imageTagMutability =
      input.imageTagMutability === undefined || input.imageTagMutability === null
        ? 'MUTABLE'
        : enumOf(input.imageTagMutability, 'imageTagMutability', MUTABILITIES);
    const rawFilters = input.imageTagMutabilityExclusionFilters;
    const withExclusion = imageTagMutability.endsWith('_WITH_EXCLUSION');
    const hasFilters = Array.isArray(rawFilters) && rawFilters.length > 0;
    if (withExclusion && !hasFilters) {
      throw invalidParameter(
        `Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'required when imageTagMutability is ${imageTagMutability}'`,
      );
    }
    if (!withExclusion && hasFilters) {
      throw invalidParameter(
        `Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'only allowed when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION'`,
      );
    }
    const exclusionFilters = withExclusion
      ? wildcardFilters(rawFilters, 'imageTagMutabilityExclusionFilters', 5, TAG_FILTER_PATTERN)
      : [];
    return { imageTagMutability, exclusionFilters };
  }

  private resourceTagsOf(value: unknown, field: string): Array<[string, string]> {
    if (!Array.isArray(value))
      throw invalidParameter(
        `Invalid parameter at '${field}' failed to satisfy constraint: 'must be a list'`,
      );
    return value.map((item, index) => {
      const raw = item as Input | null;
      const key = raw?.Key;
      const tagValue = raw?.Value ?? '';
      if (typeof key !== 'string' || key.length < 1 || key.length > 128 || key.startsWith('aws:')) {
        throw new EcrError(
          'InvalidTagParameterException',
          `Invalid parameter at '${field}[${index}].Key': a tag key must be 1-128 characters and not start with 'aws:'`,
        );
      }
      if (typeof tagValue !== 'string' || tagValue.length > 256) {
        throw new EcrError(
          'InvalidTagParameterException',
          `Invalid parameter at '${field}[${index}].Value': a tag value must be at most 256 characters`,
        );
      }
      return [key, tagValue];
    });
  }

  private applyResourceTags(repo: RepositoryRecord, tags: Array<[string, string]>): void {
    const merged = new Map(repo.resourceTags);
    for (const [key, value] of tags) merged.set(key, value);
    if (merged.size > 50) {
      throw new EcrError(
        'TooManyTagsException',
        'The list of tags on the repository is over the limit. The maximum number of tags that can be applied to a repository is 50.',
      );
    }
    repo.resourceTags = merged;
  }

  // ---- repositories ----------------------------------------------------------------------------------

  createRepository(input: Input): Wire<CreateRepositoryResponse> {
    const registryId = registryIdOf(input, this.accountId);
    const name = repositoryNameOf(input);
    const mutability = this.mutabilityOf(input);
    const scanOnPush =
      optionalBoolean(optionalObject(input, 'imageScanningConfiguration') ?? {}, 'scanOnPush') ?? false;
    const encryptionInput = optionalObject(input, 'encryptionConfiguration');
    const encryption: RepositoryRecord['encryption'] = { encryptionType: 'AES256' };
    if (encryptionInput) {
      encryption.encryptionType = enumOf(
        encryptionInput.encryptionType,
        'encryptionConfiguration.encryptionType',
        ['AES256', 'KMS', 'KMS_DSSE'],
      );
      const kmsKey = optionalString(encryptionInput, 'kmsKey');
      if (kmsKey !== undefined && encryption.encryptionType === 'AES256') {
        throw invalidParameter(
          "Invalid parameter at 'encryptionConfiguration.kmsKey' failed to satisfy constraint: 'kmsKey is only valid with KMS encryption'",
        );
      }
      if (encryption.encryptionType !== 'AES256') {
        // Without a key ECR uses the AWS managed key for ECR.
        encryption.kmsKey = kmsKey ?? `arn:aws:kms:${this.options.region}:${this.accountId}:alias/aws/ecr`;
      }
    }
    const tags =
      input.tags === undefined || input.tags === null ? [] : this.resourceTagsOf(input.tags, 'tags');
    if (registryId !== this.accountId) throw this.repositoryNotFound(name, registryId);
    if (this.state.repos.has(name)) {
      throw new EcrError(
        'RepositoryAlreadyExistsException',
        `The repository with name '${name}' already exists in the registry with id '${this.accountId}'`,
      );
    }
    const repo = this.state.newRepository({
      name,
      createdAt: this.nowMs(),
      ...mutability,
      scanOnPush,
      encryption,
      resourceTags: new Map(),
    });
    try {
      this.applyResourceTags(repo, tags);
    } catch (error) {
      this.state.removeRepository(repo);
      throw error;
    }
    return { repository: this.repositoryShape(repo) };
  }

  describeRepositories(input: Input): Wire<DescribeRepositoriesResponse> {
    const registryId = registryIdOf(input, this.accountId);
    const names = optionalArray(input, 'repositoryNames');
    if (names !== undefined) {
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw invalidParameter(
          'Invalid parameter: repositoryNames cannot be used together with maxResults or nextToken',
        );
      }
      if (names.length < 1 || names.length > 100) {
        throw invalidParameter(
          "Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length between 1 and 100'",
        );
      }
      return {
        repositories: names.map((raw, index) => {
          if (typeof raw !== 'string')
            throw invalidParameter(
              `Invalid parameter at 'repositoryNames[${index}]' failed to satisfy constraint: 'must be a string'`,
            );
          const name = validateRepositoryName(raw, `repositoryNames[${index}]`);
          const repo = registryId === this.accountId ? this.state.repos.get(name) : undefined;
          if (!repo) throw this.repositoryNotFound(name, registryId);
          return this.repositoryShape(repo);
        }),
      };
    }
    const maxResults = maxResultsOf(input);
    if (registryId !== this.accountId) return { repositories: [] };
    const scope = 'repos';
    const start =
      input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
    const repositories: Wire<Repository>[] = [];
    let nextToken: string | undefined;
    for (const repo of this.state.repoOrder) {
      if (repo.deleted || repo.seq < start) continue;
      if (repositories.length === maxResults) {
        nextToken = encodeToken({ scope, seq: repo.seq, sub: 0 });
        break;
      }
      repositories.push(this.repositoryShape(repo));
    }
    return nextToken === undefined ? { repositories } : { repositories, nextToken };
  }

  deleteRepository(input: Input): Wire<DeleteRepositoryResponse> {
    const repo = this.repoOf(input);
    const force = optionalBoolean(input, 'force') ?? false;
    if (repo.images.size > 0 && !force) {
      throw new EcrError(
        'RepositoryNotEmptyException',
        `The repository with name '${repo.name}' in registry with id '${this.accountId}' cannot be deleted because it still contains images`,
      );
    }
    const shape = this.repositoryShape(repo);
    for (const [id, upload] of this.state.uploads)
      if (upload.repositoryName === repo.name) this.state.uploads.delete(id);
    this.state.removeRepository(repo);
    return { repository: shape };
  }

  // ---- images ------------------------------------------------------------------------------------------

  putImage(input: Input): Wire<PutImageResponse> {
    const repo = this.repoOf(input);
    const manifest = requiredString(input, 'imageManifest');
    if (manifest.length === 0 || Buffer.byteLength(manifest, 'utf8') > MAX_MANIFEST_BYTES) {
      throw invalidParameter(
        "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length between 1 and 4194304'",
      );
    }
    const tag = optionalString(input, 'imageTag');
    if (tag !== undefined) validateImageTag(tag);
    const givenDigest = optionalString(input, 'imageDigest');
    if (givenDigest !== undefined && !isDigest(givenDigest)) {
      throw invalidParameter(
        "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'must be a valid digest'",
      );
    }
    const declaredMediaType = optionalString(input, 'imageManifestMediaType');
    // The digest is over the exact bytes received: the manifest is never re-serialised.
    const digest = sha256Digest(manifest);
    if (givenDigest !== undefined && givenDigest !== digest) {
      throw new EcrError(
        'ImageDigestDoesNotMatchException',
        `The specified image digest '${givenDigest}' does not match the digest '${digest}' calculated for the manifest`,
      );
    }
    const parsed = parseManifest(manifest, declaredMediaType);

    const existing = repo.images.get(digest);
    if (existing && (tag === undefined || existing.tags.includes(tag))) {
      throw new EcrError(
        'ImageAlreadyExistsException',
        `Image with digest '${digest}' and tag '${tag ?? 'null'}' already exists in the repository with name '${repo.name}' in registry with id '${this.accountId}'`,
      );
    }
    const holderDigest = tag === undefined ? undefined : repo.tagIndex.get(tag);
    if (
      tag !== undefined &&
      holderDigest !== undefined &&
      holderDigest !== digest &&
      this.isTagImmutable(repo, tag)
    ) {
      throw new EcrError(
        'ImageTagAlreadyExistsException',
        `The image tag '${tag}' already exists in the '${repo.name}' repository and cannot be overwritten because the tag is immutable.`,
      );
    }

    let image = existing;
    if (!image) {
      const missing = parsed.blobs.filter((blob) => !repo.blobs.has(blob.digest)).map((blob) => blob.digest);
      if (missing.length > 0) {
        throw new EcrError(
          'LayersNotFoundException',
          `Layers with digests '[${missing.join(', ')}]' required for pushing image into repository with name '${repo.name}' in the registry with id '${this.accountId}' do not exist`,
        );
      }
      let size = parsed.layerBytes;
      if (parsed.kind === 'index') {
        const missingChildren = parsed.children.filter((child) => !repo.images.has(child));
        if (missingChildren.length > 0) {
          throw new EcrError(
            'ReferencedImagesNotFoundException',
            `Manifest list references images that do not exist in the repository with name '${repo.name}': [${missingChildren.join(', ')}]`,
          );
        }
        // The SDK model: "If the image is a manifest list, this will be the max size of all manifests in the list."
        size = parsed.children.reduce((max, child) => Math.max(max, repo.images.get(child)?.size ?? 0), 0);
      }
      image = this.state.insertImage(repo, {
        digest,
        manifest,
        mediaType: parsed.mediaType,
        ...(parsed.artifactMediaType !== undefined ? { artifactMediaType: parsed.artifactMediaType } : {}),
        ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
        children: parsed.children,
        blobs: parsed.blobs.map((blob) => blob.digest),
        size,
        tags: [],
        pushedAt: this.nowMs(),
      });
    }
    if (tag !== undefined) {
      // A moved tag leaves its previous image untagged, not deleted: that is where untagged images come from.
      const holder = holderDigest === undefined ? undefined : repo.images.get(holderDigest);
      if (holder && holder !== image) holder.tags = holder.tags.filter((t) => t !== tag);
      image.tags.push(tag);
      repo.tagIndex.set(tag, digest);
    }
    this.emit([imageActionEvent('PUSH', repo.name, digest, tag, this.options.clock.now())]);
    if (!existing && parsed.kind === 'manifest') {
      const scanType = this.scanOnPushType(repo);
      if (scanType) this.startScan(repo, image, scanType);
    }
    const imageId: ImageIdentifier = { imageDigest: digest };
    if (tag !== undefined) imageId.imageTag = tag;
    return {
      image: {
        registryId: this.accountId,
        repositoryName: repo.name,
        imageId,
        imageManifest: manifest,
        imageManifestMediaType: parsed.mediaType,
      },
    };
  }

  batchGetImage(input: Input): Wire<BatchGetImageResponse> {
    const repo = this.repoOf(input);
    const ids = this.imageIdsOf(input, 1, 100);
    const accepted = optionalArray(input, 'acceptedMediaTypes');
    const now = this.nowMs();
    const images: NonNullable<Wire<BatchGetImageResponse>['images']> = [];
    const failures: Wire<ImageFailure>[] = [];
    for (const id of ids) {
      const found = this.lookupForBatch(repo, id);
      if (!('digest' in found)) {
        failures.push(found);
        continue;
      }
      if (accepted !== undefined && accepted.length > 0 && !accepted.includes(found.mediaType)) {
        failures.push({
          imageId: id,
          failureCode: 'ImageNotFound',
          failureReason: `Requested image has media type ${found.mediaType}, which is not in acceptedMediaTypes`,
        });
        continue;
      }
      found.lastPulledAt = now;
      images.push({
        registryId: this.accountId,
        repositoryName: repo.name,
        imageId: {
          imageDigest: found.digest,
          ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
        },
        imageManifest: found.manifest,
        imageManifestMediaType: found.mediaType,
      });
    }
    return { images, failures };
  }

  private imageDetail(repo: RepositoryRecord, image: ImageRecord): Wire<ImageDetail> {
    const detail: Wire<ImageDetail> = {
      registryId: this.accountId,
      repositoryName: repo.name,
      imageDigest: image.digest,
    };
    if (image.tags.length > 0) detail.imageTags = [...image.tags];
    detail.imageSizeInBytes = image.size;
    detail.imagePushedAt = seconds(image.pushedAt);
    const scan = image.scan;
    if (scan) {
      detail.imageScanStatus = {
        status: scan.status,
        description: scan.description,
      } as Wire<ImageScanStatus>;
      if (scan.completedAt !== undefined && (scan.status === 'COMPLETE' || scan.status === 'ACTIVE')) {
        detail.imageScanFindingsSummary = {
          imageScanCompletedAt: seconds(scan.completedAt),
          vulnerabilitySourceUpdatedAt: seconds(scan.completedAt),
          findingSeverityCounts:
            scan.type === 'ENHANCED' ? enhancedSeverityCounts(scan.findings) : severityCounts(scan.findings),
        };
      }
    }
    detail.imageManifestMediaType = image.mediaType;
    if (image.artifactMediaType !== undefined) detail.artifactMediaType = image.artifactMediaType;
    if (image.lastPulledAt !== undefined) detail.lastRecordedPullTime = seconds(image.lastPulledAt);
    if (image.subject !== undefined) detail.subjectManifestDigest = image.subject;
    detail.imageStatus = 'ACTIVE';
    return detail;
  }

  private tagStatusOf(input: Input): TagStatus {
    const filter = optionalObject(input, 'filter');
    if (!filter || filter.tagStatus === undefined || filter.tagStatus === null) return 'ANY';
    return enumOf(filter.tagStatus, 'filter.tagStatus', TAG_STATUSES);
  }

  private static matchesTagStatus(image: ImageRecord, status: TagStatus): boolean {
    return status === 'ANY' || (status === 'TAGGED') === image.tags.length > 0;
  }

  describeImages(input: Input): Wire<DescribeImagesResponse> {
    const repo = this.repoOf(input);
    const tagStatus = this.tagStatusOf(input);
    if (input.imageIds !== undefined && input.imageIds !== null) {
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw invalidParameter(
          'Invalid parameter: imageIds cannot be used together with maxResults or nextToken',
        );
      }
      const ids = this.imageIdsOf(input, 1, 100);
      const seen = new Set<string>();
      const imageDetails: Wire<ImageDetail>[] = [];
      for (const id of ids) {
        const image = this.findImage(repo, id);
        if (seen.has(image.digest)) continue;
        seen.add(image.digest);
        imageDetails.push(this.imageDetail(repo, image));
      }
      return { imageDetails };
    }
    const maxResults = maxResultsOf(input);
    const scope = `images:${repo.name}:${repo.seq}:${tagStatus}`;
    const start =
      input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
    const imageDetails: Wire<ImageDetail>[] = [];
    let nextToken: string | undefined;
    for (const image of this.state.imagesFrom(repo, start)) {
      if (!EcrService.matchesTagStatus(image, tagStatus)) continue;
      if (imageDetails.length === maxResults) {
        nextToken = encodeToken({ scope, seq: image.seq, sub: 0 });
        break;
      }
      imageDetails.push(this.imageDetail(repo, image));
    }
    return nextToken === undefined ? { imageDetails } : { imageDetails, nextToken };
  }

  listImages(input: Input): Wire<ListImagesResponse> {
    const repo = this.repoOf(input);
    const tagStatus = this.tagStatusOf(input);
    const maxResults = maxResultsOf(input);
    const scope = `list:${repo.name}:${repo.seq}:${tagStatus}`;
    const cursor =
      input.nextToken === undefined || input.nextToken === null
        ? { seq: 0, sub: 0 }
        : decodeToken(input.nextToken, scope);
    const imageIds: ImageIdentifier[] = [];
    let nextToken: string | undefined;
    outer: for (const image of this.state.imagesFrom(repo, cursor.seq)) {
      if (!EcrService.matchesTagStatus(image, tagStatus)) continue;
      // One entry per tag; an untagged image is one digest-only entry.
      const count = Math.max(1, image.tags.length);
      for (let sub = image.seq === cursor.seq ? cursor.sub : 0; sub < count; sub++) {
        if (imageIds.length === maxResults) {
          nextToken = encodeToken({ scope, seq: image.seq, sub });
          break outer;
        }
        const tag = image.tags[sub];
        imageIds.push(
          tag === undefined ? { imageDigest: image.digest } : { imageDigest: image.digest, imageTag: tag },
        );
      }
    }
    return nextToken === undefined ? { imageIds } : { imageIds, nextToken };
  }

  batchDeleteImage(input: Input): Wire<BatchDeleteImageResponse> {
    const repo = this.repoOf(input);
    const ids = this.imageIdsOf(input, 1, 100);
    const deleted: ImageIdentifier[] = [];
    const failures: Wire<ImageFailure>[] = [];
    const events: EventEntry[] = [];
    const time = this.options.clock.now();
    // Items apply in request order, so a parent listed before its children frees them within one call.
    for (const id of ids) {
      const found = this.lookupForBatch(repo, id);
      if (!('digest' in found)) {
        failures.push(found);
        continue;
      }
      const removesImage = id.imageTag === undefined || found.tags.length <= 1;
      if (removesImage && repo.referencedBy.has(found.digest)) {
        failures.push({
          imageId: id,
          failureCode: 'ImageReferencedByManifestList',
          failureReason: 'Requested image is referenced by a manifest list',
        });
        continue;
      }
      if (id.imageTag !== undefined && !removesImage) {
        const tag = id.imageTag;
        found.tags = found.tags.filter((t) => t !== tag);
        repo.tagIndex.delete(tag);
        deleted.push({ imageDigest: found.digest, imageTag: tag });
        events.push(imageActionEvent('DELETE', repo.name, found.digest, tag, time));
        continue;
      }
      if (found.tags.length === 0) {
        deleted.push({ imageDigest: found.digest });
        events.push(imageActionEvent('DELETE', repo.name, found.digest, undefined, time));
      }
      for (const tag of found.tags) {
        deleted.push({ imageDigest: found.digest, imageTag: tag });
        events.push(imageActionEvent('DELETE', repo.name, found.digest, tag, time));
      }
      this.state.deleteImage(repo, found);
    }
    this.emit(events);
    return { imageIds: deleted, failures };
  }

  // ---- layers ------------------------------------------------------------------------------------------

  batchCheckLayerAvailability(input: Input): Wire<BatchCheckLayerAvailabilityResponse> {
    const repo = this.repoOf(input);
    const digests = optionalArray(input, 'layerDigests');
    if (digests === undefined || digests.length < 1 || digests.length > 100) {
      throw invalidParameter(
        "Invalid parameter at 'layerDigests' failed to satisfy constraint: 'Member must have length between 1 and 100'",
      );
    }
    const layers: NonNullable<Wire<BatchCheckLayerAvailabilityResponse>['layers']> = [];
    const failures: NonNullable<Wire<BatchCheckLayerAvailabilityResponse>['failures']> = [];
    for (const digest of digests) {
      if (!isDigest(digest)) {
        failures.push({
          layerDigest: String(digest),
          failureCode: 'InvalidLayerDigest',
          failureReason: 'Invalid layer digest',
        });
        continue;
      }
      const stored = repo.blobs.has(digest) ? this.state.blobs.get(digest) : undefined;
      if (!stored) {
        failures.push({
          layerDigest: digest,
          failureCode: 'MissingLayerDigest',
          failureReason: 'Could not find layer',
        });
        continue;
      }
      layers.push({ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: stored.data.length });
    }
    return { layers, failures };
  }

  initiateLayerUpload(input: Input): Wire<InitiateLayerUploadResponse> {
    const repo = this.repoOf(input);
    const id = randomUUID();
    this.state.uploads.set(id, { id, repositoryName: repo.name, parts: [], received: 0 });
    return { uploadId: id, partSize: PART_SIZE };
  }

  private uploadOf(repo: RepositoryRecord, input: Input) {
    const uploadId = requiredString(input, 'uploadId');
    const upload = this.state.uploads.get(uploadId);
    if (!upload || upload.repositoryName !== repo.name) {
      throw new EcrError(
        'UploadNotFoundException',
        `The upload with id '${uploadId}' does not exist in the repository with name '${repo.name}' in the registry with id '${this.accountId}'`,
      );
    }
    return upload;
  }

  uploadLayerPart(input: Input): Wire<UploadLayerPartResponse> {
    const repo = this.repoOf(input);
    const upload = this.uploadOf(repo, input);
    const first = input.partFirstByte;
    const last = input.partLastByte;
    const blob = requiredString(input, 'layerPartBlob');
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) {
      throw invalidParameter(
        "Invalid parameter at 'partFirstByte/partLastByte' failed to satisfy constraint: 'must be non-negative integers'",
      );
    }
    const data = Buffer.from(blob, 'base64');
    // Parts must continue exactly where the last one ended, and the range must describe the bytes sent.
    if (first !== upload.received || last !== (first as number) + data.length - 1) {
      throw new EcrError(
        'InvalidLayerPartException',
        `The layer part with range ${String(first)}-${String(last)} is not valid for upload '${upload.id}': the next part must start at byte ${upload.received} and cover the ${data.length} bytes sent`,
        {
          extra: {
            registryId: this.accountId,
            repositoryName: repo.name,
            uploadId: upload.id,
            lastValidByteReceived: upload.received - 1,
          },
        },
      );
    }
    upload.parts.push(data);
    upload.received += data.length;
    return {
      registryId: this.accountId,
      repositoryName: repo.name,
      uploadId: upload.id,
      lastByteReceived: last as number,
    };
  }

  completeLayerUpload(input: Input): Wire<CompleteLayerUploadResponse> {
    const repo = this.repoOf(input);
    const upload = this.uploadOf(repo, input);
    const digests = optionalArray(input, 'layerDigests');
    if (digests === undefined || digests.length < 1 || digests.length > 100) {
      throw invalidParameter(
        "Invalid parameter at 'layerDigests' failed to satisfy constraint: 'Member must have length between 1 and 100'",
      );
    }
    for (const [index, digest] of digests.entries()) {
      if (!isDigest(digest))
        throw invalidParameter(
          `Invalid parameter at 'layerDigests[${index}]' failed to satisfy constraint: 'must be a valid digest'`,
        );
    }
    this.state.uploads.delete(upload.id);
    if (upload.parts.length === 0 || upload.received === 0) {
      throw new EcrError('EmptyUploadException', `The upload with id '${upload.id}' contains no layer parts`);
    }
    const tooSmall = upload.parts.slice(0, -1).findIndex((part) => part.length < MIN_PART_BYTES);
    if (tooSmall >= 0) {
      throw new EcrError(
        'LayerPartTooSmallException',
        `Layer part ${tooSmall + 1} of upload '${upload.id}' is smaller than the 5 MiB minimum for all parts but the last`,
      );
    }
    const data =
      upload.parts.length === 1 ? (upload.parts[0] as Buffer) : Buffer.concat(upload.parts, upload.received);
    const digest = sha256Digest(data);
    if (!digests.includes(digest)) {
      throw new EcrError(
        'InvalidLayerException',
        `The layer digest calculated for the upload with id '${upload.id}' (${digest}) does not match the expected digest '${digests.join(', ')}'`,
      );
    }
    if (repo.blobs.has(digest)) {
      throw new EcrError(
        'LayerAlreadyExistsException',
        `The layer with digest '${digest}' already exists in the repository with name '${repo.name}' in the registry with id '${this.accountId}'`,
      );
    }
    this.state.addBlobToRepository(repo, digest, data);
    return {
      registryId: this.accountId,
      repositoryName: repo.name,
      uploadId: upload.id,
      layerDigest: digest,
    };
  }

  getDownloadUrlForLayer(input: Input): Wire<GetDownloadUrlForLayerResponse> {
    const repo = this.repoOf(input);
    const digest = requiredString(input, 'layerDigest');
    if (!isDigest(digest))
      throw invalidParameter(
        "Invalid parameter at 'layerDigest' failed to satisfy constraint: 'must be a valid digest'",
      );
    const uses = repo.blobs.get(digest);
    if (uses === undefined) {
      throw new EcrError(
        'LayersNotFoundException',
        `The layer with digest '${digest}' does not exist in the repository with name '${repo.name}' in the registry with id '${this.accountId}'`,
      );
    }
    if (uses === 0) {
      throw new EcrError(
        'LayerInaccessibleException',
        `The layer with digest '${digest}' is not accessible because it is not associated with an image`,
      );
    }
    return { downloadUrl: blobUrl(this.options.publicUrl(), repo.name, digest), layerDigest: digest };
  }

  /** Bytes of a blob the repository holds (served by the edge at the download URL). */
  readBlob(repositoryName: string, digest: string): Buffer | undefined {
    const repo = this.state.repos.get(repositoryName);
    if (!repo?.blobs.has(digest)) return undefined;
    return this.state.blobs.get(digest)?.data;
  }

  getAuthorizationToken(_input: Input): Wire<GetAuthorizationTokenResponse> {
    const now = this.nowMs();
    const token = Buffer.from(
      JSON.stringify({ sandbox: true, account: this.accountId, issuedAt: now }),
      'utf8',
    ).toString('base64');
    return {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${token}`, 'utf8').toString('base64'),
          // ECR tokens are valid for 12 hours.
          expiresAt: seconds(now + 12 * 60 * 60 * 1000),
          proxyEndpoint: this.options.publicUrl(),
        },
      ],
    };
  }

  // ---- policies and settings --------------------------------------------------------------------------

  putLifecyclePolicy(input: Input): Wire<PutLifecyclePolicyResponse> {
    const repo = this.repoOf(input);
    const text = requiredString(input, 'lifecyclePolicyText');
    validateLifecyclePolicy(text);
    repo.lifecyclePolicy = { text };
    return { registryId: this.accountId, repositoryName: repo.name, lifecyclePolicyText: text };
  }

  private lifecycleOf(repo: RepositoryRecord): NonNullable<RepositoryRecord['lifecyclePolicy']> {
    if (!repo.lifecyclePolicy) {
      throw new EcrError(
        'LifecyclePolicyNotFoundException',
        `Lifecycle policy does not exist for the repository with name '${repo.name}' in the registry with id '${this.accountId}'`,
      );
    }
    return repo.lifecyclePolicy;
  }

  getLifecyclePolicy(input: Input): Wire<GetLifecyclePolicyResponse> {
    const repo = this.repoOf(input);
    const policy = this.lifecycleOf(repo);
    return {
      registryId: this.accountId,
      repositoryName: repo.name,
      lifecyclePolicyText: policy.text,
      ...(policy.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: seconds(policy.lastEvaluatedAt) } : {}),
    };
  }

  deleteLifecyclePolicy(input: Input): Wire<DeleteLifecyclePolicyResponse> {
    const repo = this.repoOf(input);
    const policy = this.lifecycleOf(repo);
    delete repo.lifecyclePolicy;
    return {
      registryId: this.accountId,
      repositoryName: repo.name,
      lifecyclePolicyText: policy.text,
      ...(policy.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: seconds(policy.lastEvaluatedAt) } : {}),
    };
  }

  putImageTagMutability(input: Input): Wire<PutImageTagMutabilityResponse> {
    const repo = this.repoOf(input);
    if (input.imageTagMutability === undefined || input.imageTagMutability === null) {
      throw invalidParameter(
        "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'must not be null'",
      );
    }
    const mutability = this.mutabilityOf(input);
    repo.imageTagMutability = mutability.imageTagMutability;
    repo.exclusionFilters = mutability.exclusionFilters;
    return {
      registryId: this.accountId,
      repositoryName: repo.name,
      imageTagMutability: repo.imageTagMutability,
      ...(repo.exclusionFilters.length > 0
        ? { imageTagMutabilityExclusionFilters: repo.exclusionFilters }
        : {}),
    };
  }

  putImageScanningConfiguration(input: Input): Wire<PutImageScanningConfigurationResponse> {
    const repo = this.repoOf(input);
    const config = optionalObject(input, 'imageScanningConfiguration');
    if (!config)
      throw invalidParameter(
        "Invalid parameter at 'imageScanningConfiguration' failed to satisfy constraint: 'must not be null'",
      );
    repo.scanOnPush = optionalBoolean(config, 'scanOnPush') ?? false;
    return {
      registryId: this.accountId,
      repositoryName: repo.name,
      imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
    };
  }

  putRegistryScanningConfiguration(input: Input): Wire<PutRegistryScanningConfigurationResponse> {
    const scanType =
      input.scanType === undefined || input.scanType === null
        ? this.state.settings.scanType
        : enumOf(input.scanType, 'scanType', ['BASIC', 'ENHANCED'] as const);
    const rawRules = optionalArray(input, 'rules') ?? [];
    if (rawRules.length > 2)
      throw invalidParameter(
        "Invalid parameter at 'rules' failed to satisfy constraint: 'Member must have length less than or equal to 2'",
      );
    const rules: ScanningRule[] = rawRules.map((raw, index) => {
      const rule = (raw ?? {}) as Input;
      const scanFrequency = enumOf(rule.scanFrequency, `rules[${index}].scanFrequency`, [
        'SCAN_ON_PUSH',
        'CONTINUOUS_SCAN',
        'MANUAL',
      ] as const);
      if (scanType === 'BASIC' && scanFrequency === 'CONTINUOUS_SCAN') {
        throw invalidParameter(
          `Invalid parameter at 'rules[${index}].scanFrequency' failed to satisfy constraint: 'CONTINUOUS_SCAN requires scanType ENHANCED'`,
        );
      }
      const repositoryFilters = wildcardFilters(
        rule.repositoryFilters ?? [],
        `rules[${index}].repositoryFilters`,
        100,
        REPOSITORY_FILTER_PATTERN,
      );
      if (repositoryFilters.length === 0) {
        throw invalidParameter(
          `Invalid parameter at 'rules[${index}].repositoryFilters' failed to satisfy constraint: 'Member must have length greater than or equal to 1'`,
        );
      }
      return { scanFrequency, repositoryFilters };
    });
    this.state.settings.scanType = scanType;
    this.state.settings.scanningRules = rules;
    return { registryScanningConfiguration: { scanType, rules } };
  }

  getRegistryScanningConfiguration(_input: Input): Wire<GetRegistryScanningConfigurationResponse> {
    return {
      registryId: this.accountId,
      scanningConfiguration: {
        scanType: this.state.settings.scanType,
        rules: this.state.settings.scanningRules,
      },
    };
  }

  setRepositoryPolicy(input: Input): Wire<SetRepositoryPolicyResponse> {
    const repo = this.repoOf(input);
    const text = requiredString(input, 'policyText');
    const policy = parseJsonParameter(
      text,
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
    );
    const statement = (policy as { Statement?: unknown } | null)?.Statement;
    if (typeof policy !== 'object' || policy === null || statement === undefined) {
      throw invalidParameter(
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
      );
    }
    repo.policyText = text;
    return { registryId: this.accountId, repositoryName: repo.name, policyText: text };
  }

  private policyOf(repo: RepositoryRecord): string {
    if (repo.policyText === undefined) {
      throw new EcrError(
        'RepositoryPolicyNotFoundException',
        `Repository policy does not exist for the repository with name '${repo.name}' in the registry with id '${this.accountId}'`,
      );
    }
    return repo.policyText;
  }

  getRepositoryPolicy(input: Input): Wire<GetRepositoryPolicyResponse> {
    const repo = this.repoOf(input);
    return { registryId: this.accountId, repositoryName: repo.name, policyText: this.policyOf(repo) };
  }

  deleteRepositoryPolicy(input: Input): Wire<DeleteRepositoryPolicyResponse> {
    const repo = this.repoOf(input);
    const policyText = this.policyOf(repo);
    delete repo.policyText;
    return { registryId: this.accountId, repositoryName: repo.name, policyText };
  }

  putReplicationConfiguration(input: Input): Wire<PutReplicationConfigurationResponse> {
    const config = optionalObject(input, 'replicationConfiguration');
    const rules = config ? optionalArray(config, 'rules') : undefined;
    if (!config || rules === undefined) {
      throw invalidParameter(
        "Invalid parameter at 'replicationConfiguration.rules' failed to satisfy constraint: 'must not be null'",
      );
    }
    if (rules.length > 10)
      throw invalidParameter(
        "Invalid parameter at 'replicationConfiguration.rules' failed to satisfy constraint: 'Member must have length less than or equal to 10'",
      );
    rules.forEach((rule, index) => {
      const destinations = (rule as Input | null)?.destinations;
      if (!Array.isArray(destinations) || destinations.length < 1 || destinations.length > 100) {
        throw invalidParameter(
          `Invalid parameter at 'replicationConfiguration.rules[${index}].destinations' failed to satisfy constraint: 'Member must have length between 1 and 100'`,
        );
      }
      destinations.forEach((destination, d) => {
        const raw = (destination ?? {}) as Input;
        if (
          typeof raw.region !== 'string' ||
          typeof raw.registryId !== 'string' ||
          !/^[0-9]{12}$/.test(raw.registryId)
        ) {
          throw invalidParameter(
            `Invalid parameter at 'replicationConfiguration.rules[${index}].destinations[${d}]' failed to satisfy constraint: 'region and a 12-digit registryId are required'`,
          );
        }
      });
    });
    this.state.settings.replicationRules = rules;
    return {
      replicationConfiguration: {
        rules,
      } as Wire<PutReplicationConfigurationResponse>['replicationConfiguration'],
    };
  }

  describeRegistry(_input: Input): Wire<DescribeRegistryResponse> {
    return {
      registryId: this.accountId,
      replicationConfiguration: {
        rules: this.state.settings.replicationRules,
      } as Wire<DescribeRegistryResponse>['replicationConfiguration'],
    };
  }

  // ---- scanning ----------------------------------------------------------------------------------------

  /** Which scan (if any) a push into `repo` starts, from the registry and repository settings. */
  private scanOnPushType(repo: RepositoryRecord): ScanTypeValue | undefined {
    const { scanType, scanningRules } = this.state.settings;
    const ruleMatches = scanningRules.some(
      (rule) =>
        rule.scanFrequency !== 'MANUAL' &&
        rule.repositoryFilters.some((f) => wildcardMatch(f.filter, repo.name)),
    );
    // Inspector scans only repositories an enhanced rule covers; the repository's own scanOnPush no longer
    // applies (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html).
    if (scanType === 'ENHANCED') return ruleMatches ? 'ENHANCED' : undefined;
    return repo.scanOnPush || ruleMatches ? 'BASIC' : undefined;
  }

  private startScan(repo: RepositoryRecord, image: ImageRecord, type: ScanTypeValue): void {
    const now = this.nowMs();
    image.scan = {
      type,
      status: 'IN_PROGRESS',
      description: SCAN_DESCRIPTIONS.IN_PROGRESS as string,
      startedAt: now,
      findings: [],
    };
    if (type === 'BASIC') image.lastBasicScanAt = now;
    this.scheduleScanCompletion(repo, image);
  }

  /** Arm the timer that completes an in-progress scan (also used for scans found in-progress at load). */
  scheduleScanCompletion(repo: RepositoryRecord, image: ImageRecord): void {
    const scan = image.scan;
    const timer = setTimeout(() => {
      this.scanTimers.delete(timer);
      if (image.deleted || repo.deleted || image.scan !== scan) return;
      this.completeScan(repo, image);
    }, this.options.scanDelayMs);
    timer.unref?.();
    this.scanTimers.add(timer);
  }

  private completeScan(repo: RepositoryRecord, image: ImageRecord): void {
    const scan = image.scan;
    if (!scan) return;
    const entry =
      this.state.catalogue.get(catalogueKey(repo.name, { imageDigest: image.digest })) ??
      image.tags
        .map((tag) => this.state.catalogue.get(catalogueKey(repo.name, { imageTag: tag })))
        .find((e) => e !== undefined);
    const outcome = entry?.status ?? 'COMPLETE';
    const time = this.options.clock.now();
    scan.completedAt = time.getTime();
    scan.findings = outcome === 'COMPLETE' ? (entry?.findings ?? []) : [];
    scan.status = outcome === 'COMPLETE' && scan.type === 'ENHANCED' ? 'ACTIVE' : outcome;
    scan.description = SCAN_DESCRIPTIONS[scan.status] ?? scan.status;
    const repositoryArn = this.repositoryArn(repo.name);
    if (scan.type === 'BASIC') {
      this.emit([
        basicScanEvent({
          repositoryArn,
          repositoryName: repo.name,
          imageDigest: image.digest,
          imageTags: [...image.tags],
          status: outcome,
          counts: severityCounts(scan.findings),
          time,
        }),
      ]);
    } else {
      // Inspector reports a finished first scan as INITIAL_SCAN_COMPLETE; failures are passed through by name.
      this.emit([
        inspectorScanEvent({
          repositoryArn,
          imageDigest: image.digest,
          imageTags: [...image.tags],
          status: outcome === 'COMPLETE' ? 'INITIAL_SCAN_COMPLETE' : outcome,
          counts: inspectorEventCounts(scan.findings),
          time,
        }),
      ]);
    }
    this.changed();
  }

  startImageScan(input: Input): Wire<StartImageScanResponse> {
    const repo = this.repoOf(input);
    const id = imageIdOf(input.imageId);
    const image = this.findImage(repo, id);
    if (image.children.length > 0 || image.mediaType.includes('list') || image.mediaType.includes('index')) {
      throw new EcrError(
        'UnsupportedImageTypeException',
        'The image is of a type that cannot be scanned: manifest lists and image indexes are not scanned',
      );
    }
    const type = this.state.settings.scanType;
    const now = this.nowMs();
    if (type === 'BASIC' && image.lastBasicScanAt !== undefined && now - image.lastBasicScanAt < DAY_MS) {
      throw new EcrError(
        'LimitExceededException',
        'The scan quota per image has been exceeded. Wait and try again.',
      );
    }
    this.startScan(repo, image, type);
    return {
      registryId: this.accountId,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
      imageScanStatus: { status: 'IN_PROGRESS', description: SCAN_DESCRIPTIONS.IN_PROGRESS as string },
    };
  }

  describeImageScanFindings(input: Input): Wire<DescribeImageScanFindingsResponse> {
    const repo = this.repoOf(input);
    const id = imageIdOf(input.imageId);
    const image = this.findImage(repo, id);
    const maxResults = maxResultsOf(input, 1000, 100);
    const scan = image.scan;
    if (!scan) {
      throw new EcrError(
        'ScanNotFoundException',
        `Image scan does not exist for the image with '${this.imageIdText(id)}' in the repository with name '${repo.name}' in the registry with id '${this.accountId}'`,
      );
    }
    const scope = `findings:${repo.name}:${image.digest}:${scan.completedAt ?? 0}`;
    const offset =
      input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
    const response: Wire<DescribeImageScanFindingsResponse> = {
      registryId: this.accountId,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
      imageScanStatus: { status: scan.status, description: scan.description } as Wire<ImageScanStatus>,
    };
    if (scan.completedAt === undefined || (scan.status !== 'COMPLETE' && scan.status !== 'ACTIVE'))
      return response;
    const page = scan.findings.slice(offset, offset + maxResults);
    const findings: NonNullable<Wire<DescribeImageScanFindingsResponse>['imageScanFindings']> = {
      imageScanCompletedAt: seconds(scan.completedAt),
      vulnerabilitySourceUpdatedAt: seconds(scan.completedAt),
    };
    if (scan.type === 'ENHANCED') {
      findings.findingSeverityCounts = enhancedSeverityCounts(scan.findings);
      findings.enhancedFindings = page.map((finding) =>
        enhancedFinding(finding, {
          accountId: this.accountId,
          region: this.options.region,
          repositoryName: repo.name,
          image,
          scan,
        }),
      );
    } else {
      findings.findingSeverityCounts = severityCounts(scan.findings);
      findings.findings = page.map(basicFinding);
    }
    response.imageScanFindings = findings;
    if (offset + maxResults < scan.findings.length) {
      response.nextToken = encodeToken({ scope, seq: offset + maxResults, sub: 0 });
    }
    return response;
  }

  /** Validate and store a findings catalogue entry (what the next scan of that image reports). */
  setFindings(value: unknown): void {
    const entry = parseCatalogueEntry(value);
    this.state.catalogue.set(catalogueKeyOf(entry), entry);
    this.changed();
  }

  cancelScans(): void {
    for (const timer of this.scanTimers) clearTimeout(timer);
    this.scanTimers.clear();
  }

  /** Re-arm scans that were in progress when state was saved. */
  resumeScans(): void {
    for (const repo of this.state.repos.values()) {
      for (const image of repo.images.values()) {
        if (image.scan?.status === 'IN_PROGRESS') this.scheduleScanCompletion(repo, image);
      }
    }
  }

  // ---- resource tags -----------------------------------------------------------------------------------

  private repoOfArn(input: Input): RepositoryRecord {
    const arn = requiredString(input, 'resourceArn');
    const match = /^arn:aws[a-z-]*:ecr:([a-z0-9-]+):([0-9]{12}):repository\/(.+)$/.exec(arn);
    if (!match)
      throw invalidParameter(
        `Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid resource ARN ${arn}'`,
      );
    const [, region, account, name] = match as unknown as [string, string, string, string];
    const repo =
      region === this.options.region && account === this.accountId ? this.state.repos.get(name) : undefined;
    if (!repo) throw this.repositoryNotFound(name, account);
    return repo;
  }

  tagResource(input: Input): Record<string, never> {
    const repo = this.repoOfArn(input);
    this.applyResourceTags(repo, this.resourceTagsOf(input.tags ?? [], 'tags'));
    return {};
  }

  untagResource(input: Input): Record<string, never> {
    const repo = this.repoOfArn(input);
    const keys = optionalArray(input, 'tagKeys') ?? [];
    for (const key of keys) {
      if (typeof key !== 'string')
        throw new EcrError(
          'InvalidTagParameterException',
          "Invalid parameter at 'tagKeys': keys must be strings",
        );
      repo.resourceTags.delete(key);
    }
    return {};
  }

  listTagsForResource(input: Input): Wire<ListTagsForResourceResponse> {
    const repo = this.repoOfArn(input);
    return { tags: [...repo.resourceTags].map(([Key, Value]) => ({ Key, Value })) };
  }
}
