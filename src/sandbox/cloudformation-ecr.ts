/**
 * Repositories that moto's CloudFormation creates (`AWS::ECR::Repository` in a stack created through the edge)
 * appear in the ECR emulator. moto builds them in its own ECR backend, which nothing else reaches (the edge
 * serves every ECR request from the emulator), so moto's ECR holds exactly the repositories of its stacks: after a
 * CloudFormation request of an account and Region, the next ECR request of that account and Region first copies
 * them over (name, tag mutability and exclusions, tags as moto resolved them; scan on push and encryption from
 * the template, as moto keeps them in CloudFormation's spelling) and deletes from the emulator those it copied
 * that moto no longer has (the stack was deleted or the resource replaced). moto ignores the `LifecyclePolicy`
 * and `RepositoryPolicyText` properties, so those are read from the stack's template (when written literally: a
 * value built with intrinsic functions is left out) and put on the repository. Images are never copied: moto's
 * stacks create empty repositories.
 *
 * Why intrinsic values are left out rather than taken from moto (measured with moto 5.2.1): moto does resolve
 * `Ref`, `Fn::Sub`, `Fn::If`… in every property before it builds the repository, and its backend keeps
 * `ImageScanningConfiguration` and `EncryptionConfiguration` resolved, but in CloudFormation's PascalCase, which its
 * DescribeRepositories answer (serialised by the API model's camelCase shapes) drops: both arrive as `{}`. It
 * keeps nothing of `LifecyclePolicy` and `RepositoryPolicyText`. Name, tag mutability and tags cross resolved,
 * and are used; the other values exist only in the template, where an intrinsic function can't be evaluated
 * without re-implementing CloudFormation's resolution (parameters, conditions, pseudo parameters). */
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  GetTemplateCommand,
  paginateListStacks,
} from '@aws-sdk/client-cloudformation';
import { DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import type { EcrCaller, EcrEmulator } from './contracts.ts';
import { parseCloudFormationYaml } from './runtime/template.ts';

interface Pending {
  accessKeyId: string;
  caller: EcrCaller;
}

/** The literal properties of one `AWS::ECR::Repository` of a template, by its physical name. */
type TemplateProperties = Map<string, Record<string, unknown>>;

function hasIntrinsic(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasIntrinsic);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(
    ([key, member]) => key === 'Ref' || key.startsWith('Fn::') || hasIntrinsic(member),
  );
}

/** A structure property written literally (undefined when absent or built with intrinsic functions). */
function literal(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || hasIntrinsic(value))
    return undefined;
  return value as Record<string, unknown>;
}

/** A policy property as text: CloudFormation takes `RepositoryPolicyText` as JSON or as a string. */
function policyText(value: unknown): string | undefined {
  if (value === undefined || hasIntrinsic(value)) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export class CloudFormationEcrSync {
  private readonly pending = new Map<string, Pending>();
  /** Repositories copied from moto, per `account/region`: the ones to delete when moto drops them. */
  private readonly copied = new Map<string, Set<string>>();
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      motoUrl: () => string;
      emulator: EcrEmulator;
      log: (line: string) => void;
    },
  ) {}

  /** A CloudFormation request of `caller` (signed with `accessKeyId`) went to moto. */
  stackChanged(accessKeyId: string, caller: EcrCaller): void {
    this.pending.set(`${caller.accountId}/${caller.region}`, { accessKeyId, caller });
  }

  /** Before an ECR request of `caller`: copy what moto's stacks changed in that registry, once. */
  async before(caller: EcrCaller): Promise<void> {
    const key = `${caller.accountId}/${caller.region}`;
    const pending = this.pending.get(key);
    if (pending === undefined) return this.running;
    this.pending.delete(key);
    const run = this.running.then(() => this.sync(pending));
    this.running = run.catch((error: unknown) => {
      this.options.log(`cloudformation: copying ${key}'s repositories failed: ${(error as Error).message}`);
    });
    return this.running;
  }

  /** Forget everything (the sandbox or moto was reset). */
  clear(): void {
    this.pending.clear();
    this.copied.clear();
  }

  private async sync({ accessKeyId, caller }: Pending): Promise<void> {
    const config = {
      endpoint: this.options.motoUrl(),
      region: caller.region,
      credentials: { accessKeyId, secretAccessKey: 'sandbox' },
      maxAttempts: 1,
    };
    const motoEcr = new ECRClient(config);
    const cfn = new CloudFormationClient(config);
    try {
      const { repositories = [] } = await motoEcr.send(new DescribeRepositoriesCommand({}));
      const properties = await this.templateProperties(cfn);
      const key = `${caller.accountId}/${caller.region}`;
      const copied = this.copied.get(key) ?? new Set<string>();
      this.copied.set(key, copied);
      const present = new Set<string>();
      for (const repo of repositories) {
        const name = repo.repositoryName;
        if (name === undefined) continue;
        present.add(name);
        const { tags = [] } = await motoEcr.send(
          new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }),
        );
        const props = properties.get(name) ?? {};
        // moto keeps these two properties as CloudFormation spells them (PascalCase), so the template says them.
        const scanning = literal(props.ImageScanningConfiguration);
        const scanOnPush = scanning?.ScanOnPush === true || scanning?.ScanOnPush === 'true';
        const encryption = literal(props.EncryptionConfiguration);
        const exists = await this.serve(caller, 'DescribeRepositories', { repositoryNames: [name] });
        if (exists.status !== 200) {
          await this.serve(caller, 'CreateRepository', {
            repositoryName: name,
            imageTagMutability: repo.imageTagMutability,
            ...(repo.imageTagMutabilityExclusionFilters?.length
              ? { imageTagMutabilityExclusionFilters: repo.imageTagMutabilityExclusionFilters }
              : {}),
            imageScanningConfiguration: { scanOnPush },
            ...(typeof encryption?.EncryptionType === 'string'
              ? {
                  encryptionConfiguration: {
                    encryptionType: encryption.EncryptionType,
                    ...(typeof encryption.KmsKey === 'string' ? { kmsKey: encryption.KmsKey } : {}),
                  },
                }
              : {}),
            ...(tags.length > 0 ? { tags } : {}),
          });
          copied.add(name);
        } else if (copied.has(name)) {
          // An updated stack: settings moto applied in place.
          await this.serve(caller, 'PutImageTagMutability', {
            repositoryName: name,
            imageTagMutability: repo.imageTagMutability,
            ...(repo.imageTagMutabilityExclusionFilters?.length
              ? { imageTagMutabilityExclusionFilters: repo.imageTagMutabilityExclusionFilters }
              : {}),
          });
          await this.serve(caller, 'PutImageScanningConfiguration', {
            repositoryName: name,
            imageScanningConfiguration: { scanOnPush },
          });
        }
        if (!copied.has(name)) continue;
        const lifecycle = (props.LifecyclePolicy as Record<string, unknown> | undefined)?.LifecyclePolicyText;
        const lifecycleText = policyText(lifecycle);
        if (lifecycleText !== undefined) {
          await this.serve(caller, 'PutLifecyclePolicy', {
            repositoryName: name,
            lifecyclePolicyText: lifecycleText,
          });
        }
        const repositoryPolicy = policyText(props.RepositoryPolicyText);
        if (repositoryPolicy !== undefined) {
          await this.serve(caller, 'SetRepositoryPolicy', {
            repositoryName: name,
            policyText: repositoryPolicy,
          });
        }
      }
      for (const name of [...copied]) {
        if (present.has(name)) continue;
        await this.serve(caller, 'DeleteRepository', { repositoryName: name, force: true });
        copied.delete(name);
      }
    } finally {
      motoEcr.destroy();
      cfn.destroy();
    }
  }

  /** Each live stack's `AWS::ECR::Repository` properties, by the repository's physical name. */
  private async templateProperties(cfn: CloudFormationClient): Promise<TemplateProperties> {
    const found: TemplateProperties = new Map();
    for await (const page of paginateListStacks({ client: cfn }, {})) {
      for (const stack of page.StackSummaries ?? []) {
        if (stack.StackStatus === 'DELETE_COMPLETE' || stack.StackName === undefined) continue;
        const { StackResources = [] } = await cfn.send(
          new DescribeStackResourcesCommand({ StackName: stack.StackId ?? stack.StackName }),
        );
        const repositories = StackResources.filter((r) => r.ResourceType === 'AWS::ECR::Repository');
        if (repositories.length === 0) continue;
        const { TemplateBody } = await cfn.send(
          new GetTemplateCommand({ StackName: stack.StackId ?? stack.StackName }),
        );
        let template: { Resources?: Record<string, { Properties?: Record<string, unknown> }> };
        try {
          template = parseCloudFormationYaml(
            TemplateBody ?? '{}',
            `stack ${stack.StackName}`,
          ) as typeof template;
        } catch {
          continue;
        }
        for (const resource of repositories) {
          const props = template.Resources?.[resource.LogicalResourceId ?? '']?.Properties;
          if (resource.PhysicalResourceId !== undefined && props)
            found.set(resource.PhysicalResourceId, props);
        }
      }
    }
    return found;
  }

  private async serve(
    caller: EcrCaller,
    action: string,
    input: unknown,
  ): Promise<{ status: number; body: string }> {
    const response = await this.options.emulator.serve(action, JSON.stringify(input), caller);
    const body = String(response.body);
    if (response.status !== 200 && action !== 'DescribeRepositories') {
      this.options.log(`cloudformation: ${action} of a stack's repository failed: ${body}`);
    }
    return { status: response.status, body };
  }
}
