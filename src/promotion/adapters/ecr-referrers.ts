/**
 * The artifacts whose `subject` is a manifest of the source repository (signatures, SBOMs): ListImageReferrers
 * per subject, or, from a registry that does not know that action, one DescribeImages listing of the repository
 * grouped by `subjectManifestDigest`.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImageReferrers.html
 */
import {
  type ECRClient,
  ListImageReferrersCommand,
  type ListImageReferrersCommandOutput,
  paginateDescribeImages,
} from '@aws-sdk/client-ecr';

/** ListImageReferrers pages hold up to 50 referrers (default 20). */
const REFERRERS_PAGE = 50;
/** DescribeImages pages hold up to 1000 images (default 100): the fallback lists the source in few calls. */
const DESCRIBE_PAGE = 1000;

/** Referrers of the subjects of one source repository, for one copy. */
export class SourceReferrers {
  /** The fallback listing, made once per copy when ListImageReferrers is unknown. */
  private listed: Promise<Map<string, string[]>> | undefined;

  constructor(
    private readonly ecr: ECRClient,
    private readonly source: { registryId: string; repositoryName: string },
  ) {}

  /**
   * The digests of the source's referrers of `subject` (ACTIVE ones, ListImageReferrers' default), every page.
   * A registry that does not know the action (UnknownOperationException) is listed whole once instead.
   * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImageReferrers.html
   */
  async of(subject: string): Promise<string[]> {
    if (this.listed) return (await this.listed).get(subject) ?? [];
    const digests: string[] = [];
    let nextToken: string | undefined;
    do {
      let page: ListImageReferrersCommandOutput;
      try {
        page = await this.ecr.send(
          new ListImageReferrersCommand({
            registryId: this.source.registryId,
            repositoryName: this.source.repositoryName,
            subjectId: { imageDigest: subject },
            maxResults: REFERRERS_PAGE,
            ...(nextToken === undefined ? {} : { nextToken }),
          }),
        );
      } catch (error) {
        if ((error as { name?: unknown } | null)?.name !== 'UnknownOperationException') throw error;
        this.listed ??= this.listAll();
        return (await this.listed).get(subject) ?? [];
      }
      for (const referrer of page.referrers ?? []) if (referrer.digest) digests.push(referrer.digest);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return digests;
  }

  /**
   * The fallback: every image of the source repository (DescribeImages, 1000 a page), grouped by the
   * `subjectManifestDigest` ECR reports on referrers.
   * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html
   */
  private async listAll(): Promise<Map<string, string[]>> {
    const bySubject = new Map<string, string[]>();
    const pages = paginateDescribeImages(
      { client: this.ecr, pageSize: DESCRIBE_PAGE },
      {
        registryId: this.source.registryId,
        repositoryName: this.source.repositoryName,
        filter: { tagStatus: 'ANY' },
      },
    );
    for await (const page of pages) {
      for (const { imageDigest, subjectManifestDigest: subject } of page.imageDetails ?? []) {
        if (imageDigest === undefined || subject === undefined) continue;
        bySubject.set(subject, [...(bySubject.get(subject) ?? []), imageDigest]);
      }
    }
    return bySubject;
  }
}
