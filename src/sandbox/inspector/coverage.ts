/**
 * A stand-in for Amazon Inspector's `ListCoverage` (moto 5.2.1 has none): the ECR images Inspector would cover,
 * answered from the ECR emulator, with in-use data (`inUseCount`, `lastInUseAt`) that scenarios and tests set
 * through `POST /_sandbox/inspector/in-use`. Inspector covers the images of repositories that an ENHANCED
 * registry scanning rule (frequency SCAN_ON_PUSH or CONTINUOUS_SCAN) matches; a BASIC registry has none.
 *
 * Inspector2 speaks REST-JSON: `POST /coverage/list`, timestamps as epoch seconds, errors with
 * `x-amzn-errortype`. Filters honoured: `resourceType`, `ecrRepositoryName`, `accountId` (EQUALS, NOT_EQUALS,
 * and PREFIX for names); any other criterion is refused with ValidationException rather than ignored, so a test
 * never passes on a filter the stand-in did not apply.
 * @see https://docs.aws.amazon.com/inspector/v2/APIReference/API_ListCoverage.html
 * @see https://docs.aws.amazon.com/inspector/v2/APIReference/API_CoveredResource.html
 */
import { wildcardMatch } from '../../shared/wildcard.ts';
import type { EcrCaller, EcrEmulator, RegistryRef, WireResponse } from '../contracts.ts';
import { AdminInputError } from '../edge/admin-input.ts';

/** The REST path of ListCoverage. */
export const LIST_COVERAGE_PATH = '/coverage/list';

/** What `POST /_sandbox/inspector/in-use` records for one image. */
export interface InUseRecord {
  registryId: string;
  region: string;
  repositoryName: string;
  imageDigest: string;
  inUseCount: number;
  /** Epoch milliseconds. */
  lastInUseAt?: number;
}

const MAX_RESULTS = 200;
const DEFAULT_RESULTS = 100;
const SUPPORTED_CRITERIA = new Set(['resourceType', 'ecrRepositoryName', 'accountId']);

interface StringFilter {
  comparison: string;
  value: string;
}

class CoverageValidationError extends Error {}

function key(registry: RegistryRef, repositoryName: string, digest: string): string {
  return `${registry.accountId}/${registry.region}/${repositoryName}@${digest}`;
}

function stringFilters(criteria: Record<string, unknown>, name: string): StringFilter[] | undefined {
  const raw = criteria[name];
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0)
    throw new CoverageValidationError(`${name} must be a non-empty list`);
  return raw.map((f) => {
    const filter = f as Partial<StringFilter> | null;
    if (typeof filter?.comparison !== 'string' || typeof filter.value !== 'string') {
      throw new CoverageValidationError(`each ${name} filter needs "comparison" and "value"`);
    }
    if (!['EQUALS', 'NOT_EQUALS', 'PREFIX'].includes(filter.comparison)) {
      throw new CoverageValidationError(`${name}: comparison ${filter.comparison} is not supported`);
    }
    return { comparison: filter.comparison, value: filter.value };
  });
}

/**
 * Whether `value` passes a criterion's filters: EQUALS and PREFIX filters are OR-ed (any may match), NOT_EQUALS
 * filters all must hold.
 */
function passes(filters: StringFilter[] | undefined, value: string): boolean {
  if (filters === undefined) return true;
  const positive = filters.filter((f) => f.comparison !== 'NOT_EQUALS');
  const negative = filters.filter((f) => f.comparison === 'NOT_EQUALS');
  if (negative.some((f) => f.value === value)) return false;
  return (
    positive.length === 0 ||
    positive.some((f) => (f.comparison === 'EQUALS' ? f.value === value : value.startsWith(f.value)))
  );
}

function json(status: number, body: unknown, errorType?: string): WireResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
    },
    body: JSON.stringify(errorType === undefined ? body : { ...(body as object), __type: errorType }),
  };
}

/** Inspector's coverage of the emulator's ECR images, with settable in-use data. */
export class InspectorCoverage {
  private readonly inUse = new Map<string, InUseRecord>();

  constructor(
    private readonly emulator: EcrEmulator,
    private readonly home: RegistryRef,
  ) {}

  /**
   * Validate and record the body of `POST /_sandbox/inspector/in-use`:
   * `{registryId?, region?, repositoryName, imageDigest, inUseCount?, lastInUseAt?}`.
   * @throws AdminInputError naming the bad field
   */
  setInUse(body: unknown): InUseRecord {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new AdminInputError(
        'body must be a JSON object like {"repositoryName","imageDigest","inUseCount"}',
      );
    }
    const input = body as Record<string, unknown>;
    const text = (name: string, pattern: RegExp, expected: string, fallback?: string): string => {
      const value = input[name] ?? fallback;
      if (typeof value !== 'string' || !pattern.test(value))
        throw new AdminInputError(`"${name}" must be ${expected}`);
      return value;
    };
    const registryId = text('registryId', /^\d{12}$/, 'a 12-digit account id', this.home.accountId);
    const region = text(
      'region',
      /^[a-z]{2}(-[a-z]+)+-\d+$/,
      'a Region such as "us-east-1"',
      this.home.region,
    );
    const repositoryName = text('repositoryName', /^[a-z0-9][a-z0-9._/-]*$/, 'a repository name');
    const imageDigest = text('imageDigest', /^[a-z0-9]+:[a-zA-Z0-9=_-]+$/, 'a digest like sha256:<hex>');
    const inUseCount = input.inUseCount ?? 0;
    if (typeof inUseCount !== 'number' || !Number.isSafeInteger(inUseCount) || inUseCount < 0) {
      throw new AdminInputError('"inUseCount" must be a non-negative integer');
    }
    let lastInUseAt: number | undefined;
    if (input.lastInUseAt !== undefined) {
      lastInUseAt = typeof input.lastInUseAt === 'string' ? Date.parse(input.lastInUseAt) : Number.NaN;
      if (Number.isNaN(lastInUseAt)) throw new AdminInputError('"lastInUseAt" must be an ISO-8601 date');
    }
    const record: InUseRecord = {
      registryId,
      region,
      repositoryName,
      imageDigest,
      inUseCount,
      ...(lastInUseAt === undefined ? {} : { lastInUseAt }),
    };
    this.inUse.set(key({ accountId: registryId, region }, repositoryName, imageDigest), record);
    return record;
  }

  /** Forget every in-use record (sandbox reset). */
  reset(): void {
    this.inUse.clear();
  }

  /** Answer one ListCoverage request of `caller` (its account and Region). Never throws. */
  async listCoverage(rawBody: string, caller: EcrCaller): Promise<WireResponse> {
    try {
      const input = (rawBody.trim() === '' ? {} : JSON.parse(rawBody)) as Record<string, unknown>;
      const criteria = (input.filterCriteria ?? {}) as Record<string, unknown>;
      const unsupported = Object.keys(criteria).filter((name) => !SUPPORTED_CRITERIA.has(name));
      if (unsupported.length > 0) {
        throw new CoverageValidationError(
          `the sandbox does not support filterCriteria ${unsupported.join(', ')}`,
        );
      }
      const maxResults = input.maxResults ?? DEFAULT_RESULTS;
      if (
        typeof maxResults !== 'number' ||
        !Number.isInteger(maxResults) ||
        maxResults < 1 ||
        maxResults > MAX_RESULTS
      ) {
        throw new CoverageValidationError(`maxResults must be an integer from 1 to ${MAX_RESULTS}`);
      }
      const start =
        typeof input.nextToken === 'string'
          ? Number(Buffer.from(input.nextToken, 'base64url').toString())
          : 0;
      if (!Number.isSafeInteger(start) || start < 0) throw new CoverageValidationError('invalid nextToken');

      const types = stringFilters(criteria, 'resourceType');
      const names = stringFilters(criteria, 'ecrRepositoryName');
      const accounts = stringFilters(criteria, 'accountId');
      const registry: RegistryRef = { accountId: caller.accountId, region: caller.region };
      const all =
        passes(types, 'AWS_ECR_CONTAINER_IMAGE') && passes(accounts, registry.accountId)
          ? (await this.covered(registry)).filter((r) => passes(names, r.repositoryName))
          : [];
      const page = all.slice(start, start + maxResults).map((r) => r.resource);
      const next =
        start + maxResults < all.length
          ? Buffer.from(String(start + maxResults)).toString('base64url')
          : undefined;
      return json(200, { coveredResources: page, ...(next === undefined ? {} : { nextToken: next }) });
    } catch (error) {
      if (error instanceof CoverageValidationError || error instanceof SyntaxError) {
        return json(400, { message: error.message }, 'ValidationException');
      }
      return json(
        500,
        { message: error instanceof Error ? error.message : String(error) },
        'InternalServerException',
      );
    }
  }

  /** Every image Inspector covers in `registry`, ordered by resource id. */
  private async covered(
    registry: RegistryRef,
  ): Promise<Array<{ repositoryName: string; resource: unknown }>> {
    if (this.emulator.scanType(registry) !== 'ENHANCED') return [];
    const settings = await this.call('GetRegistryScanningConfiguration', {}, registry);
    const rules = ((settings.scanningConfiguration as Record<string, unknown> | undefined)?.rules ??
      []) as Array<{
      scanFrequency?: string;
      repositoryFilters?: Array<{ filter: string }>;
    }>;
    const frequencyOf = (name: string) =>
      rules.find(
        (rule) =>
          rule.scanFrequency !== 'MANUAL' &&
          (rule.repositoryFilters ?? []).some((f) => wildcardMatch(f.filter, name)),
      )?.scanFrequency;

    const out: Array<{ repositoryName: string; resourceId: string; resource: unknown }> = [];
    for (const repository of await this.all('DescribeRepositories', {}, 'repositories', registry)) {
      const name = repository.repositoryName as string;
      const scanFrequency = frequencyOf(name);
      if (scanFrequency === undefined) continue;
      for (const image of await this.all(
        'DescribeImages',
        { repositoryName: name },
        'imageDetails',
        registry,
      )) {
        const digest = image.imageDigest as string;
        const resourceId = `arn:aws:ecr:${registry.region}:${registry.accountId}:repository/${name}/${digest}`;
        const use = this.inUse.get(key(registry, name, digest));
        out.push({
          repositoryName: name,
          resourceId,
          resource: {
            resourceType: 'AWS_ECR_CONTAINER_IMAGE',
            resourceId,
            accountId: registry.accountId,
            scanType: 'PACKAGE',
            scanStatus: { statusCode: 'ACTIVE', reason: 'SUCCESSFUL' },
            resourceMetadata: {
              ecrRepository: { name, scanFrequency },
              ecrImage: {
                ...(image.imageTags === undefined ? {} : { tags: image.imageTags }),
                ...(image.lastRecordedPullTime === undefined
                  ? {}
                  : { imagePulledAt: image.lastRecordedPullTime }),
                inUseCount: use?.inUseCount ?? 0,
                ...(use?.lastInUseAt === undefined ? {} : { lastInUseAt: use.lastInUseAt / 1000 }),
              },
            },
          },
        });
      }
    }
    return out.sort((a, b) => (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0));
  }

  /** Every item of a paginated ECR listing of `registry`, through the emulator's own wire API. */
  private async all(
    action: string,
    input: Record<string, unknown>,
    field: string,
    registry: RegistryRef,
  ): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let nextToken: string | undefined;
    do {
      const out = await this.call(
        action,
        { ...input, maxResults: 1000, ...(nextToken ? { nextToken } : {}) },
        registry,
      );
      items.push(...((out[field] ?? []) as Array<Record<string, unknown>>));
      nextToken = out.nextToken as string | undefined;
    } while (nextToken);
    return items;
  }

  private async call(
    action: string,
    input: unknown,
    registry: RegistryRef,
  ): Promise<Record<string, unknown>> {
    const response = await this.emulator.serve(action, JSON.stringify(input), registry);
    const body = JSON.parse(response.body.toString()) as Record<string, unknown>;
    if (response.status !== 200)
      throw new Error(`ECR ${action} failed: ${String(body.message ?? response.status)}`);
    return body;
  }
}
