import type { Route } from './paths.ts';

/**
 * The IAM actions ECR checks for a registry API request, on the repository it names, for the principal whose
 * token it carries. Pull: BatchGetImage (manifests, referrers), GetDownloadUrlForLayer (blob downloads; also on
 * the source of a mount). Push: BatchCheckLayerAvailability (a blob HEAD), InitiateLayerUpload /
 * UploadLayerPart / CompleteLayerUpload (uploads), PutImage (manifest PUT). Also ListImages (tags list) and
 * BatchDeleteImage (manifest DELETE). `GET /v2/` needs only the token (GetAuthorizationToken was checked when
 * it was issued).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/security_iam_id-based-policy-examples.html
 */
export interface NeededPermission {
  action: string;
  repositoryName: string;
}

export function requiredActions(route: Route, method: string, query: URLSearchParams): NeededPermission[] {
  const on = (repositoryName: string, ...actions: string[]) =>
    actions.map((action) => ({ action: `ecr:${action}`, repositoryName }));
  switch (route.kind) {
    case 'base':
      return [];
    case 'blob':
      return on(route.name, method === 'HEAD' ? 'BatchCheckLayerAvailability' : 'GetDownloadUrlForLayer');
    case 'uploads': {
      const from = query.get('from');
      if (query.get('mount') !== null && from) {
        return [...on(route.name, 'InitiateLayerUpload'), ...on(from, 'GetDownloadUrlForLayer')];
      }
      return query.get('digest') !== null
        ? on(route.name, 'InitiateLayerUpload', 'UploadLayerPart', 'CompleteLayerUpload')
        : on(route.name, 'InitiateLayerUpload');
    }
    case 'upload':
      if (method === 'PATCH') return on(route.name, 'UploadLayerPart');
      if (method === 'PUT') return on(route.name, 'UploadLayerPart', 'CompleteLayerUpload');
      return on(route.name, 'InitiateLayerUpload');
    case 'manifest':
      if (method === 'PUT') return on(route.name, 'PutImage');
      if (method === 'DELETE') return on(route.name, 'BatchDeleteImage');
      return on(route.name, 'BatchGetImage');
    case 'tags':
      return on(route.name, 'ListImages');
    case 'referrers':
      return on(route.name, 'BatchGetImage');
  }
}
