import { randomUUID } from 'node:crypto';
import type { EcrCaller, EcrEmulator, EcrEmulatorOptions, RegistryRef, WireResponse } from '../contracts.ts';
import { createRegistryApi } from '../oci/handler.ts';
import { checkCrossAccount, targetAccountOf } from './access.ts';
import { type BlobStore, MemoryBlobStore, openDirectoryBlobStore } from './blob-store.ts';
import { EcrError } from './errors.ts';
import { Registries } from './registries.ts';
import { StateStore } from './state-store.ts';

export { EcrError } from './errors.ts';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const SAVE_DEBOUNCE_MS = 500;

/** Actions that change nothing persisted (uploads in progress are memory-only), so they never schedule a save. */
const READ_ONLY = new Set([
  'DescribeRepositories',
  'DescribeImages',
  'ListImages',
  'ListImageReferrers',
  'BatchCheckLayerAvailability',
  'GetDownloadUrlForLayer',
  'GetAuthorizationToken',
  'GetLifecyclePolicy',
  // A preview lives in memory only (lifecycle-preview.ts): starting one changes nothing that is saved.
  'StartLifecyclePolicyPreview',
  'GetLifecyclePolicyPreview',
  'GetRegistryScanningConfiguration',
  'BatchGetRepositoryScanningConfiguration',
  'GetRegistryPolicy',
  'DescribeRepositoryCreationTemplates',
  'GetRepositoryPolicy',
  'DescribeRegistry',
  'DescribeImageScanFindings',
  'ListTagsForResource',
  'InitiateLayerUpload',
  'UploadLayerPart',
  'GetAccountSetting',
  'DescribePullThroughCacheRules',
  'ValidatePullThroughCacheRule',
  'GetSigningConfiguration',
  'DescribeImageSigningStatus',
  'ListPullTimeUpdateExclusions',
  'DescribeImageReplicationStatus',
]);

function respond(
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
  requestId: string = randomUUID(),
): WireResponse {
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId, ...extraHeaders },
    body: JSON.stringify(body),
  };
}

function errorResponse(
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  status = 400,
): WireResponse {
  return respond(status, { __type: code, message, ...extra }, { 'x-amzn-errortype': code });
}

/**
 * Create the sandbox's ECR emulator: the ECR API over AWS JSON 1.1, one registry per account and Region (each
 * created on first use), backed by in-memory state that is loaded from and saved to `options.stateDir` when
 * given.
 */
export async function createEcrEmulator(options: EcrEmulatorOptions): Promise<EcrEmulator> {
  // With a state dir, blobs live as files there (streamed in and out, never rewritten on save); else in memory.
  const stateDir = options.stateDir;
  const directory = stateDir === undefined ? undefined : await openDirectoryBlobStore(stateDir);
  const blobStore: BlobStore = directory ?? new MemoryBlobStore();
  const store = stateDir === undefined || !directory ? undefined : new StateStore(stateDir, directory);
  let saveTimer: NodeJS.Timeout | undefined;
  let saving: Promise<void> = Promise.resolve();
  // A save of a 100,000-image registry takes a while: space debounced saves by a multiple of the last one's
  // duration so a burst of pushes isn't spent serialising state back to back.
  let lastSaveMs = 0;

  const save = (): Promise<void> => {
    if (!store) return Promise.resolve();
    if (saveTimer) {
      clearTimeout(saveTimer);
      saveTimer = undefined;
    }
    // Chain saves so two never write the same files at once.
    const timed = async () => {
      const started = Date.now();
      await store.save(registries.all());
      lastSaveMs = Date.now() - started;
    };
    saving = saving.then(timed, timed);
    return saving;
  };
  const changed = (): void => {
    if (!store || saveTimer) return;
    saveTimer = setTimeout(
      () => {
        saveTimer = undefined;
        save().catch((error: unknown) => {
          console.error('ecr emulator: saving state failed', error);
        });
      },
      Math.max(SAVE_DEBOUNCE_MS, 4 * lastSaveMs),
    );
    saveTimer.unref?.();
  };

  const registries = new Registries(options, changed, blobStore);
  if (store) {
    await store.load(registries.home, (accountId, region) => registries.get(accountId, region));
    for (const registry of registries.all()) registry.service.resumeScans();
  }
  const home = registries.home;
  const homeCaller: EcrCaller = { accountId: home.accountId, region: home.region };
  /** The registry an admin call names (default the sandbox's), created on first use. */
  const registryOf = (ref: RegistryRef | undefined) =>
    ref === undefined ? home : registries.get(ref.accountId, ref.region);

  return {
    async serve(action: string, rawBody: string, caller: EcrCaller = homeCaller): Promise<WireResponse> {
      // Every registry serves the same actions: the home registry's table says which exist.
      if (!Object.hasOwn(home.operations, action)) {
        return errorResponse(
          'UnknownOperationException',
          `Unknown operation: ${action} (the sandbox's ECR emulator does not implement it)`,
        );
      }
      let input: unknown;
      try {
        input = rawBody.trim() === '' ? {} : JSON.parse(rawBody);
      } catch {
        return errorResponse('SerializationException', 'The request body is not valid JSON');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return errorResponse('SerializationException', 'The request body must be a JSON object');
      }
      try {
        const request = input as Record<string, unknown>;
        const account = targetAccountOf(action, request, caller);
        let registry = registries.find(account, caller.region);
        if (account !== caller.accountId) {
          checkCrossAccount(action, request, caller, account, (name) => registry?.state.repos.get(name));
        }
        registry ??= registries.get(account, caller.region);
        // Layer uploads write to the blob store and answer once the bytes are down: await what is a promise.
        const output = await (
          registry.operations[action] as (input: Record<string, unknown>, caller: EcrCaller) => unknown
        )(request, caller);
        if (!READ_ONLY.has(action)) changed();
        // CloudTrail names the call by the request id its caller got back.
        const requestId = randomUUID();
        registry.service.recordApiCall(action, request, output, caller, requestId);
        return respond(200, output, {}, requestId);
      } catch (error) {
        if (error instanceof EcrError) {
          // A failed call may still have changed state (a consumed upload, for one).
          if (!READ_ONLY.has(action)) changed();
          return errorResponse(error.code, error.message, error.extra);
        }
        console.error(`ecr emulator: ${action} failed`, error);
        return errorResponse(
          'ServerException',
          `Internal error in the sandbox's ECR emulator while serving ${action}`,
          {},
          500,
        );
      }
    },
    registryApi: createRegistryApi({ registries }),
    readBlob: (repositoryName, digest, registry) =>
      (registry === undefined
        ? home
        : registries.find(registry.accountId, registry.region)
      )?.service.readBlob(repositoryName, digest),
    openBlob: (repositoryName, digest, registry) =>
      (registry === undefined
        ? home
        : registries.find(registry.accountId, registry.region)
      )?.service.openBlob(repositoryName, digest),
    setFindings: (entry, registry) => registryOf(registry).service.setFindings(entry),
    scanType: (registry) =>
      (registry === undefined ? home : registries.find(registry.accountId, registry.region))?.state.settings
        .scanType ?? 'BASIC',
    runLifecycle(options = {}) {
      const { registry, repositoryName } = options;
      const chosen =
        registry === undefined ? registries.all() : [registries.find(registry.accountId, registry.region)];
      return chosen.flatMap((one) =>
        one === undefined
          ? []
          : one.service
              .runLifecycle(repositoryName)
              .map((outcome) => ({ registryId: one.accountId, ...outcome })),
      );
    },
    reset(): void {
      registries.clear();
      changed();
    },
    flush: save,
    async close(): Promise<void> {
      registries.cancelScans();
      await save();
    },
  };
}
