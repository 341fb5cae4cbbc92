import type { BlobDownload, EcrCaller, EcrEmulatorOptions, RegistryRef } from '../contracts.ts';
import { accountSettingOperations } from './account-settings.ts';
import { archiveOperations } from './archive.ts';
import { CLOUDTRAIL_ACTIONS, cloudTrailEvent } from './cloudtrail.ts';
import { EcrContext, type Operations } from './context.ts';
import { creationTemplateOperations } from './creation-templates.ts';
import { imageOperations } from './images.ts';
import { layerOperations, openBlob, readBlob } from './layers.ts';
import { LifecyclePreviews } from './lifecycle-preview.ts';
import { type LifecycleRunOutcome, runLifecyclePolicy } from './lifecycle-run.ts';
import { policyOperations } from './policies.ts';
import { pullThroughOperations, withPullThrough } from './pull-through.ts';
import { pullTimeExclusionOperations } from './pull-time-exclusions.ts';
import { registrySettingsOperations } from './registry-settings.ts';
import { replicationOperations } from './replication.ts';
import { repositoryOperations } from './repositories.ts';
import { Scans } from './scanning.ts';
import { signingOperations } from './signing.ts';
import type { RegistryState } from './state.ts';

/**
 * ECR behaviour over {@link RegistryState}: one file per family of actions (repositories, images, layers,
 * policies and settings, scanning), merged here into the one dispatch table the emulator serves.
 */
export class EcrService {
  /** The registry's context and scans, for the registry API (oci/), which stores through the same code. */
  readonly ecr: EcrContext;
  readonly scans: Scans;
  private readonly previews: LifecyclePreviews;

  constructor(
    options: EcrEmulatorOptions,
    state: RegistryState,
    changed: () => void,
    downloadRegistry?: RegistryRef,
  ) {
    this.ecr = new EcrContext(options, state, changed, downloadRegistry);
    this.scans = new Scans(this.ecr);
    this.previews = new LifecyclePreviews(this.ecr);
  }

  /** The dispatch table: X-Amz-Target action name → operation. */
  operations(): Operations {
    const merged: Operations = {};
    for (const family of [
      repositoryOperations(this.ecr),
      imageOperations(this.ecr, this.scans),
      layerOperations(this.ecr),
      policyOperations(this.ecr),
      registrySettingsOperations(this.ecr),
      creationTemplateOperations(this.ecr),
      this.scans.operations(),
      archiveOperations(this.ecr),
      this.previews.operations(),
      accountSettingOperations(this.ecr),
      replicationOperations(this.ecr),
      pullThroughOperations(this.ecr),
      signingOperations(this.ecr),
      pullTimeExclusionOperations(this.ecr),
    ]) {
      for (const [action, operation] of Object.entries(family)) {
        // Two families claiming one action would make the winner depend on merge order.
        if (Object.hasOwn(merged, action)) throw new Error(`ECR action ${action} is defined by two families`);
        merged[action] = operation;
      }
    }
    // Names under a pull through cache rule answer pulls as ECR does when the upstream can't be reached.
    return withPullThrough(this.ecr, merged);
  }

  /**
   * Put the CloudTrail event of a call that succeeded on this registry's bus, when the action is one whose calls
   * EventBridge receives (see cloudtrail.ts); any other call records nothing.
   */
  recordApiCall(
    action: string,
    request: Record<string, unknown>,
    response: unknown,
    caller: EcrCaller,
    requestId: string,
  ): void {
    if (!CLOUDTRAIL_ACTIONS.has(action)) return;
    const { accountId, region } = this.ecr.options;
    const time = this.ecr.options.clock.now();
    this.ecr.emit([
      cloudTrailEvent({
        action,
        request,
        response,
        caller,
        registry: { accountId, region },
        requestId,
        time,
      }),
    ]);
  }

  /**
   * Apply the lifecycle policy of every repository that has one (or only of `repositoryName`), as ECR's own run
   * does (see lifecycle-run.ts).
   */
  runLifecycle(repositoryName?: string): LifecycleRunOutcome[] {
    const outcomes: LifecycleRunOutcome[] = [];
    for (const repo of [...this.ecr.state.repoOrder]) {
      if (repo.deleted || !repo.lifecyclePolicy) continue;
      if (repositoryName !== undefined && repo.name !== repositoryName) continue;
      outcomes.push(runLifecyclePolicy(this.ecr, repo));
    }
    return outcomes;
  }

  /** Bytes of a blob the repository holds (served by the edge at the download URL). */
  readBlob(repositoryName: string, digest: string): Buffer | undefined {
    return readBlob(this.ecr.state, repositoryName, digest);
  }

  /** A blob the repository holds, to stream (the download URL's route). */
  openBlob(repositoryName: string, digest: string): BlobDownload | undefined {
    return openBlob(this.ecr.state, repositoryName, digest);
  }

  /** Validate and store a findings catalogue entry (what the next scan of that image reports). */
  setFindings(value: unknown): void {
    this.scans.setFindings(value);
  }

  cancelScans(): void {
    this.scans.cancel();
  }

  /** Re-arm scans that were in progress when state was saved. */
  resumeScans(): void {
    this.scans.resume();
  }
}
