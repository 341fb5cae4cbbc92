/**
 * Cross-repository blob mounting: the fast path of a promotion inside one registry. With the registry's account
 * setting BLOB_MOUNTING = ENABLED, ECR links a blob another repository of the same registry (same account and
 * Region, same encryption) already stores into the target when a client asks
 * `POST /v2/<target>/blobs/uploads/?mount=<digest>&from=<source>` on the registry API: 201, zero bytes moved.
 * Anything else (the setting off or unreadable, a 202 because ECR would not mount, an error) leaves the blob to
 * the ECR API copy (ecr-blob-stream.ts): the fast path never fails a promotion.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/blob-mounting.html
 * @see https://github.com/opencontainers/distribution-spec/blob/main/spec.md#mounting-a-blob-from-another-repository
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { type ECRClient, GetAccountSettingCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import type { IamPermissions } from '../../shared/iam.ts';
import type { SourceImage, TargetImage } from '../ports.ts';

/**
 * What {@link registryBlobMounter} calls. GetAuthorizationToken (the registry API's password) and
 * GetAccountSetting have no resource type, so IAM grants them on `*` only. On the registry API ECR authorises a
 * mount as a push into the target (the push actions of the image-push guide) and, per the blob-mounting guide,
 * `ecr:GetDownloadUrlForLayer` on the repository mounted from.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
 */
export const registryBlobMounterPermissions: IamPermissions = [
  { actions: ['ecr:GetAuthorizationToken', 'ecr:GetAccountSetting'], resource: '*' },
  {
    actions: [
      'ecr:BatchCheckLayerAvailability',
      'ecr:InitiateLayerUpload',
      'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload',
      'ecr:GetDownloadUrlForLayer',
    ],
    resource: 'ecr-repository',
  },
];

/** Mount one blob into the copy's target; true when mounted, false when it must be uploaded. Never throws. */
export type MountBlob = (digest: string) => Promise<boolean>;

/** The fast path inside one registry for the image copier: mounting blobs from the source repository. */
export interface BlobMounter {
  /** For one copy: how to mount its blobs, or undefined when mounting is off or unavailable there. */
  open(source: SourceImage, target: TargetImage): Promise<MountBlob | undefined>;
}

/** Where a registry's `/v2/` API is: the base URL, and the Host that names the registry when the URL does not. */
export interface RegistryEndpoint {
  url: string;
  host?: string;
}

/**
 * The registry API endpoint of `registryId`, from the ECR client's own endpoint resolution (its `endpoint`
 * setting, else AWS_ENDPOINT_URL / the shared config's `endpoint_url`, else AWS's): the one place this is decided.
 * - AWS: `https://<account>.dkr.ecr.<region>.amazonaws.com` (the API host `api.ecr.<region>.<suffix>` with the
 *   registry's label, so China's `.amazonaws.com.cn` and FIPS's `ecr-fips` follow the client's partition).
 * - A local endpoint (loopback or an IP address: the sandbox): that URL, whose one port also serves `/v2/`,
 *   with Host `<account>.dkr.ecr.<region>.localhost`, the sandbox's name for a registry (its token must be of
 *   the same account, else it answers DENIED and the copy streams).
 * - Any other custom endpoint (a VPC endpoint): AWS's registry name, which private DNS resolves to the endpoint.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html
 */
export async function registryEndpoint(ecr: ECRClient, registryId: string): Promise<RegistryEndpoint> {
  const region = await ecr.config.region();
  const api = await getEndpointFromInstructions({}, GetAuthorizationTokenCommand, ecr.config);
  const url = new URL(api.url.href);
  if (
    ecr.config.isCustomEndpoint &&
    (url.hostname === 'localhost' || isIP(url.hostname.replace(/^\[|\]$/g, '')))
  ) {
    return {
      url: url.origin,
      host: `${registryId}.dkr.ecr.${region}.localhost${url.port ? `:${url.port}` : ''}`,
    };
  }
  const awsHost = /^(?:api\.)?(ecr(?:-fips)?)\.(.+)$/.exec(url.hostname);
  const host =
    awsHost && !ecr.config.isCustomEndpoint
      ? `${awsHost[1]}.${awsHost[2]}`
      : `ecr.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  return { url: `https://${registryId}.dkr.${host}` };
}

/** Refresh the registry token this long before it expires (ECR's last 12 hours). */
const TOKEN_REFRESH_MS = 10 * 60_000;
/** A registry API call that takes longer is abandoned (the blob then streams). */
const REQUEST_TIMEOUT_MS = 30_000;

/** A registry API answer: status and Location (the body, an error document at most, is read and dropped). */
interface Answer {
  status: number;
  location?: string | undefined;
}

/** One request to the registry API, without a body. */
function call(
  endpoint: RegistryEndpoint,
  method: string,
  path: string,
  authorization: string,
): Promise<Answer> {
  const url = new URL(path, endpoint.url);
  const options: RequestOptions = {
    method,
    timeout: REQUEST_TIMEOUT_MS,
    headers: {
      authorization,
      'content-length': '0',
      // fetch would drop a Host header; node's http sends it, so a local endpoint can name the registry.
      ...(endpoint.host ? { host: endpoint.host } : {}),
    },
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res: IncomingMessage) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    req.once('error', reject);
    req.end();
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * {@link BlobMounter} on a registry reached with `ecr` (the target side's client: its principal asks for the
 * token, so the mount is authorised as that principal). Per copy it reads BLOB_MOUNTING once; the token is kept
 * until shortly before its `expiresAt`. Why the fast path is unavailable (the setting unreadable, a failed mount)
 * is told to `warn` once per reason; a DISABLED setting is the default, not worth a warning (the outcome shows 0
 * blobs mounted).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAccountSetting.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html
 */
export function registryBlobMounter(
  ecr: ECRClient,
  options: { warn?: (message: string) => void } = {},
): BlobMounter {
  const told = new Set<string>();
  const tell = (reason: string) => {
    if (told.has(reason)) return;
    told.add(reason);
    options.warn?.(`blob mounting unavailable, copying blobs through the ECR API instead: ${reason}`);
  };
  // One request in flight for every blob that needs a token; a failed one is forgotten, a good one kept until
  // TOKEN_REFRESH_MS before its expiresAt.
  let token:
    | { answer: Promise<{ authorization: string; expiresAt: number }>; expiresAt?: number }
    | undefined;
  const authorization = async (): Promise<string> => {
    const stale = token?.expiresAt !== undefined && token.expiresAt - Date.now() <= TOKEN_REFRESH_MS;
    if (!token || stale) {
      const asked: NonNullable<typeof token> = { answer: newToken() };
      token = asked;
      asked.answer.then(
        (fresh) => {
          asked.expiresAt = fresh.expiresAt;
        },
        () => {
          if (token === asked) token = undefined;
        },
      );
    }
    return (await token.answer).authorization;
  };
  const newToken = async () => {
    const out = await ecr.send(new GetAuthorizationTokenCommand({}));
    const data = out.authorizationData?.[0];
    if (!data?.authorizationToken) throw new Error('GetAuthorizationToken answered without a token');
    // The token is already base64 `AWS:<password>`: the Basic credentials as they go on the wire.
    return {
      authorization: `Basic ${data.authorizationToken}`,
      expiresAt: data.expiresAt?.getTime() ?? Date.now() + TOKEN_REFRESH_MS,
    };
  };

  return {
    async open(source, target) {
      if (source.registryId !== target.registryId) return undefined;
      const registry = target.registryId;
      let setting: string | undefined;
      try {
        const out = await ecr.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }));
        setting = out.value;
      } catch (error) {
        tell(`GetAccountSetting BLOB_MOUNTING in registry ${registry} failed (${messageOf(error)})`);
        return undefined;
      }
      if (setting !== 'ENABLED') return undefined;
      let endpoint: RegistryEndpoint;
      try {
        endpoint = await registryEndpoint(ecr, registry);
        // Asked here, once for the copy: without a token no blob could mount.
        await authorization();
      } catch (error) {
        tell(`no registry API credentials or endpoint for registry ${registry} (${messageOf(error)})`);
        return undefined;
      }
      const uploads = `/v2/${target.repositoryName}/blobs/uploads/`;
      const mount: MountBlob = async (digest) => {
        try {
          const auth = await authorization();
          const query = new URLSearchParams({ mount: digest, from: source.repositoryName });
          const answer = await call(endpoint, 'POST', `${uploads}?${query}`, auth);
          if (answer.status === 201) return true;
          if (answer.status === 202) {
            // ECR would not mount (another encryption, a blob no image of the source uses…) and opened an
            // upload session instead: close it, the ECR API copy uploads the blob.
            if (answer.location) {
              await call(endpoint, 'DELETE', answer.location, auth).catch(() => undefined);
            }
            return false;
          }
          // 401/403: a token refused (expired on the registry's clock, another account's): ask anew next time.
          if (answer.status === 401 || answer.status === 403) token = undefined;
          tell(
            `the registry API of ${registry} (${endpoint.url}) answered a mount with HTTP ${answer.status}`,
          );
          return false;
        } catch (error) {
          tell(`a mount in registry ${registry} failed (${messageOf(error)})`);
          return false;
        }
      };
      return mount;
    },
  };
}
