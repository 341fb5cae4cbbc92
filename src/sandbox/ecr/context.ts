import type { EcrCaller, EcrEmulatorOptions, EventEntry, RegistryRef } from '../contracts.ts';
import { settleRestores } from './archive.ts';
import { EcrError } from './errors.ts';
import type { ImageRecord, RegistryState, RepositoryRecord } from './state.ts';
import { type ImageId, type Input, registryIdOf, repositoryNameOf, validateImageId } from './validation.ts';

/**
 * An operation: decoded request (and who sent it) in, wire-shaped response out (or an {@link EcrError}).
 */
export type Operation = (input: Input, caller?: EcrCaller) => unknown;

/** A family's dispatch table: X-Amz-Target action name → operation. */
export type Operations = Record<string, Operation>;

/**
 * What every action family works on: one registry's state, account and Region (`options.accountId` and
 * `options.region` are the registry's), the sandbox's clock and event bus, and the lookups and errors more than
 * one family needs, so each family says them the same way. Behaviour follows the ECR API reference
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/) and the SDK model's errors.
 */
export class EcrContext {
  constructor(
    readonly options: EcrEmulatorOptions,
    readonly state: RegistryState,
    /** Schedules a save, for changes made outside a request (a scan completing, a findings entry). */
    readonly changed: () => void,
    /** Named in this registry's blob download URLs; absent for the sandbox's own registry. */
    readonly downloadRegistry?: RegistryRef,
  ) {}

  get accountId(): string {
    return this.options.accountId;
  }

  nowMs(): number {
    return this.options.clock.now().getTime();
  }

  emit(entries: EventEntry[]): void {
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

  repositoryNotFound(name: string, registryId = this.accountId): EcrError {
    return new EcrError(
      'RepositoryNotFoundException',
      `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
    );
  }

  /** The repository a request names, in the registry it addresses. */
  repoOf(input: Input): RepositoryRecord {
    const registryId = registryIdOf(input, this.accountId);
    const name = repositoryNameOf(input);
    const repo = registryId === this.accountId ? this.state.repos.get(name) : undefined;
    if (!repo) throw this.repositoryNotFound(name, registryId);
    // Every action reaches a repository through here: restores that are due finish before it looks at images.
    settleRestores(repo, this.nowMs());
    return repo;
  }

  /** An image identifier as ECR's messages print it. */
  imageIdText(id: ImageId): string {
    return `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;
  }

  /** Resolve an identifier that must name one existing image (operations that throw). */
  findImage(repo: RepositoryRecord, id: ImageId): ImageRecord {
    validateImageId(id);
    const digest = id.imageTag !== undefined ? repo.tagIndex.get(id.imageTag) : id.imageDigest;
    const image = digest === undefined ? undefined : repo.images.get(digest);
    if (!image || (id.imageDigest !== undefined && id.imageDigest !== image.digest)) {
      throw new EcrError(
        'ImageNotFoundException',
        `The image with imageId ${this.imageIdText(id)} does not exist within the repository with name '${repo.name}' in the registry with id '${this.accountId}'`,
      );
    }
    return image;
  }
}
