import type {
  DescribeImageScanFindingsResponse,
  ImageScanStatus,
  StartImageScanResponse,
} from '@aws-sdk/client-ecr';
import type { EcrContext, Operations } from './context.ts';
import { EcrError } from './errors.ts';
import { basicScanEvent, inspectorScanEvent } from './events.ts';
import { decodeToken, encodeToken } from './pagination.ts';
import { repositoryScanning } from './registry-settings.ts';
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
  type ImageRecord,
  type RepositoryRecord,
  type ScanTypeValue,
} from './state.ts';
import { type Input, imageIdOf, maxResultsOf } from './validation.ts';
import { seconds, type Wire } from './wire.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

const SCAN_DESCRIPTIONS: Record<string, string> = {
  IN_PROGRESS: 'The scan is in progress.',
  COMPLETE: 'The scan was completed successfully.',
  ACTIVE: 'Continuous scan is selected for image.',
  FAILED: 'The scan failed.',
  UNSUPPORTED_IMAGE: 'UnsupportedImageError: The operating system and/or package manager are not supported.',
  FINDINGS_UNAVAILABLE: 'Findings are unavailable for this image.',
};

/**
 * Image scanning: StartImageScan, DescribeImageScanFindings, scans started by a push, and their completion
 * after `scanDelayMs` with what the findings catalogue says, announced by an `ECR Image Scan` (basic) or
 * `Inspector2 Scan` (enhanced) event. Holds the timers of scans in progress.
 */
export class Scans {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly ecr: EcrContext) {}

  /** This family's dispatch table. */
  operations(): Operations {
    return {
      StartImageScan: (i) => this.startImageScan(i),
      DescribeImageScanFindings: (i) => this.describeImageScanFindings(i),
    };
  }

  /** Which scan (if any) a push into `repo` starts, from the registry and repository settings. */
  scanOnPushType(repo: RepositoryRecord): ScanTypeValue | undefined {
    // One answer for what a push does and what BatchGetRepositoryScanningConfiguration says: with ENHANCED,
    // Inspector scans the repositories a rule covers, on push or continuously (whose first scan is on push).
    const { scanFrequency } = repositoryScanning(this.ecr.state.settings, repo);
    if (scanFrequency === 'MANUAL') return undefined;
    return this.ecr.state.settings.scanType === 'ENHANCED' ? 'ENHANCED' : 'BASIC';
  }

  /** Put `image` in progress and arm the timer that completes its scan. */
  startScan(repo: RepositoryRecord, image: ImageRecord, type: ScanTypeValue): void {
    const now = this.ecr.nowMs();
    image.scan = {
      type,
      status: 'IN_PROGRESS',
      description: SCAN_DESCRIPTIONS.IN_PROGRESS as string,
      startedAt: now,
      findings: [],
    };
    if (type === 'BASIC') image.lastBasicScanAt = now;
    this.scheduleCompletion(repo, image);
  }

  /** Validate and store a findings catalogue entry (what the next scan of that image reports). */
  setFindings(value: unknown): void {
    const entry = parseCatalogueEntry(value);
    this.ecr.state.catalogue.set(catalogueKeyOf(entry), entry);
    this.ecr.changed();
  }

  cancel(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Re-arm scans that were in progress when state was saved. */
  resume(): void {
    for (const repo of this.ecr.state.repos.values()) {
      for (const image of repo.images.values()) {
        if (image.scan?.status === 'IN_PROGRESS') this.scheduleCompletion(repo, image);
      }
    }
  }

  private scheduleCompletion(repo: RepositoryRecord, image: ImageRecord): void {
    const scan = image.scan;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (image.deleted || repo.deleted || image.scan !== scan) return;
      this.complete(repo, image);
    }, this.ecr.options.scanDelayMs);
    timer.unref?.();
    this.timers.add(timer);
  }

  private complete(repo: RepositoryRecord, image: ImageRecord): void {
    const scan = image.scan;
    if (!scan) return;
    const { catalogue } = this.ecr.state;
    const entry =
      catalogue.get(catalogueKey(repo.name, { imageDigest: image.digest })) ??
      image.tags
        .map((tag) => catalogue.get(catalogueKey(repo.name, { imageTag: tag })))
        .find((e) => e !== undefined);
    const outcome = entry?.status ?? 'COMPLETE';
    const time = this.ecr.options.clock.now();
    scan.completedAt = time.getTime();
    scan.findings = outcome === 'COMPLETE' ? (entry?.findings ?? []) : [];
    scan.status = outcome === 'COMPLETE' && scan.type === 'ENHANCED' ? 'ACTIVE' : outcome;
    scan.description = SCAN_DESCRIPTIONS[scan.status] ?? scan.status;
    const repositoryArn = this.ecr.repositoryArn(repo.name);
    if (scan.type === 'BASIC') {
      this.ecr.emit([
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
      this.ecr.emit([
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
    this.ecr.changed();
  }

  private startImageScan(input: Input): Wire<StartImageScanResponse> {
    const repo = this.ecr.repoOf(input);
    const id = imageIdOf(input.imageId);
    const image = this.ecr.findImage(repo, id);
    if (image.imageStatus !== 'ACTIVE') {
      // The API model's ImageArchivedException: "The specified image is archived and cannot be scanned."
      throw new EcrError(
        'ImageArchivedException',
        `The image with digest '${image.digest}' is archived and cannot be scanned; restore it first`,
      );
    }
    if (image.children.length > 0 || image.mediaType.includes('list') || image.mediaType.includes('index')) {
      throw new EcrError(
        'UnsupportedImageTypeException',
        'The image is of a type that cannot be scanned: manifest lists and image indexes are not scanned',
      );
    }
    const type = this.ecr.state.settings.scanType;
    const now = this.ecr.nowMs();
    if (type === 'BASIC' && image.lastBasicScanAt !== undefined && now - image.lastBasicScanAt < DAY_MS) {
      throw new EcrError(
        'LimitExceededException',
        'The scan quota per image has been exceeded. Wait and try again.',
      );
    }
    this.startScan(repo, image, type);
    return {
      registryId: this.ecr.accountId,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
      imageScanStatus: { status: 'IN_PROGRESS', description: SCAN_DESCRIPTIONS.IN_PROGRESS as string },
    };
  }

  private describeImageScanFindings(input: Input): Wire<DescribeImageScanFindingsResponse> {
    const { ecr } = this;
    const repo = ecr.repoOf(input);
    const id = imageIdOf(input.imageId);
    const image = ecr.findImage(repo, id);
    const maxResults = maxResultsOf(input, 1000, 100);
    const scan = image.scan;
    if (!scan) {
      throw new EcrError(
        'ScanNotFoundException',
        `Image scan does not exist for the image with '${ecr.imageIdText(id)}' in the repository with name '${repo.name}' in the registry with id '${ecr.accountId}'`,
      );
    }
    const scope = `findings:${repo.name}:${image.digest}:${scan.completedAt ?? 0}`;
    const offset =
      input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
    const response: Wire<DescribeImageScanFindingsResponse> = {
      registryId: ecr.accountId,
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
          accountId: ecr.accountId,
          region: ecr.options.region,
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
}
