/**
 * Console page of one image. Repository names keep their `/` (the console separates name and image with `/_/`).
 * https://REGION.console.aws.amazon.com/ecr/repositories/private/ACCOUNT/REPO/_/image/DIGEST/details?region=REGION
 */
export function consoleUrl(target: {
  region: string;
  accountId: string;
  repositoryName: string;
  imageDigest: string;
}): string {
  const region = encodeURIComponent(target.region);
  const repository = target.repositoryName.split('/').map(encodeURIComponent).join('/');
  return (
    `https://${region}.console.aws.amazon.com/ecr/repositories/private/${encodeURIComponent(target.accountId)}/` +
    `${repository}/_/image/${encodeURIComponent(target.imageDigest).replaceAll('%3A', ':')}/details?region=${region}`
  );
}
