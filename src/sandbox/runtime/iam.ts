/**
 * Each function runs with credentials of its own, and the sandbox edge learns which role they stand for, so that
 * every call a handler makes is held to its execution role as AWS would (see edge/iam.ts). Lambda hands a
 * function temporary credentials of its role in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
 * the sandbox does the same with keys it makes up and registers with the edge (`POST /_sandbox/iam/principals`).
 */
import { randomBytes } from 'node:crypto';
import type { FunctionModel } from './config.ts';
import type { FunctionCredentials } from './invoker.ts';
import { ServerlessConfigError } from './template.ts';

/** The admin route principals are registered at. */
export const PRINCIPALS_ROUTE = '/_sandbox/iam/principals';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An access key id shaped like STS's temporary ones (`ASIA` + 16 base32 characters). */
function temporaryAccessKeyId(): string {
  return `ASIA${[...randomBytes(16)].map((byte) => BASE32[byte % 32]).join('')}`;
}

/** What the edge is told about one function's credentials. */
export interface PrincipalRegistration {
  accessKeyId: string;
  /** As AWS names a Lambda function's caller: `arn:aws:sts::<account>:assumed-role/<role>/<function>`. */
  principalArn: string;
  accountId: string;
  function: string;
  policies: Array<{ where: string; document: unknown }>;
}

/** The functions' credentials, registered with the edge for as long as the runtime runs. */
export class FunctionPrincipals {
  private readonly credentials = new Map<string, FunctionCredentials>();

  constructor(
    private readonly options: {
      /** The sandbox edge (handlers' endpoint). */
      endpoint: string;
      accountId: string;
      log: (line: string) => void;
    },
  ) {}

  /** The credentials `fn` runs with, when its role is enforced. */
  of(fn: FunctionModel): FunctionCredentials | undefined {
    return this.credentials.get(fn.name);
  }

  /**
   * Make credentials for each function whose role the template declares and register them with the edge.
   * A role from outside the template (an ARN) can't be evaluated: that function runs unchecked, with a warning.
   * @throws ServerlessConfigError when the edge refuses a policy (the message names where it is written) or
   *   the endpoint is not a sandbox edge
   */
  async register(functions: FunctionModel[]): Promise<void> {
    for (const fn of functions) {
      const { role } = fn;
      if (role.kind === 'external') {
        this.options.log(
          `iam: ${fn.key} runs unchecked: its role ${role.arn} is not in the template, so what it grants is unknown`,
        );
        continue;
      }
      for (const arn of role.managedPolicyArns) {
        this.options.log(
          `iam: ${fn.key}: managed policy ${arn} is not granted locally (its content is not in the template)`,
        );
      }
      const credentials: FunctionCredentials = {
        accessKeyId: temporaryAccessKeyId(),
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(48).toString('base64'),
      };
      const registration: PrincipalRegistration = {
        accessKeyId: credentials.accessKeyId,
        principalArn: `arn:aws:sts::${this.options.accountId}:assumed-role/${role.name}/${fn.name}`,
        accountId: this.options.accountId,
        function: fn.name,
        policies: role.documents,
      };
      await this.send('POST', JSON.stringify(registration), `function ${fn.key} (${role.where})`);
      this.credentials.set(fn.name, credentials);
    }
  }

  /** Forget every registration (the runtime stops). Best effort: the edge may be gone already. */
  async unregister(): Promise<void> {
    const keys = [...this.credentials.values()].map((c) => c.accessKeyId);
    this.credentials.clear();
    if (keys.length === 0) return;
    try {
      await this.send('DELETE', JSON.stringify({ accessKeyIds: keys }), 'unregister');
    } catch {
      // The sandbox stopping first is normal; its registrations went with it.
    }
  }

  private async send(method: 'POST' | 'DELETE', body: string, what: string): Promise<void> {
    const url = `${this.options.endpoint}${PRINCIPALS_ROUTE}`;
    let response: Response;
    try {
      response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body });
    } catch (error) {
      throw new ServerlessConfigError(
        `iam: cannot register ${what} with the sandbox at ${url}: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
    if (response.ok) return;
    const text = await response.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // Not JSON: not the sandbox's admin API (moto answers its own 404 page).
    }
    if (response.status === 404) {
      throw new ServerlessConfigError(
        `iam: ${url} is not a sandbox edge (${response.status}), so IAM can't be enforced there; start the runtime with iam: false to run unchecked`,
      );
    }
    throw new ServerlessConfigError(`serverless.yml: ${what}: ${message}`);
  }
}
