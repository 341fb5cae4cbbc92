/**
 * The `resources.Resources` of serverless.yml as local physical resources: deterministic names
 * (`${service}-${stage}-${LogicalId}` unless the template names them), ARNs and URLs, and `Ref`/`Fn::GetAtt`
 * answers for them, for the functions Serverless generates and for pseudo parameters.
 */
import { type IntrinsicContext, pseudoParameters, resolveIntrinsics } from './intrinsics.ts';
import { ServerlessConfigError } from './template.ts';

export type ResourceKind = 'table' | 'queue' | 'topic' | 'subscription' | 'parameter' | 'skipped';

const KINDS: Record<string, ResourceKind> = {
  'AWS::DynamoDB::Table': 'table',
  'AWS::SQS::Queue': 'queue',
  'AWS::SNS::Topic': 'topic',
  'AWS::SNS::Subscription': 'subscription',
  'AWS::SSM::Parameter': 'parameter',
};

export interface ResourceDeclaration {
  logicalId: string;
  type: string;
  kind: ResourceKind;
  properties: Record<string, unknown>;
}

export interface PhysicalResource {
  ref: string;
  arn?: string;
  url?: string;
  /** The resource's name (table, queue, topic, parameter name). */
  name: string;
}

export interface NamingOptions {
  service: string;
  stage: string;
  region: string;
  accountId: string;
  endpoint: string;
  /** Serverless's generated `<Fn>LambdaFunction` logical ids → deployed function names. */
  functionLogicalIds: Map<string, string>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Serverless's logical id part for a function key: `on-image_pushed` → `OnDashimageUnderscorepushed`. */
export function normalizedFunctionName(key: string): string {
  const capitalised = key.charAt(0).toUpperCase() + key.slice(1);
  return capitalised.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
}

export class ResourceRegistry implements IntrinsicContext {
  readonly declarations = new Map<string, ResourceDeclaration>();
  private readonly physicalCache = new Map<string, PhysicalResource>();
  private readonly resolving = new Set<string>();
  private readonly actual = new Map<string, Partial<PhysicalResource> & { streamArn?: string }>();
  private readonly pseudo: Record<string, string>;

  constructor(
    resources: unknown,
    private readonly naming: NamingOptions,
  ) {
    if (resources !== undefined && !isPlainObject(resources)) {
      throw new ServerlessConfigError('serverless.yml: resources.Resources must be a mapping');
    }
    for (const [logicalId, declaration] of Object.entries(resources ?? {})) {
      if (!isPlainObject(declaration) || typeof declaration.Type !== 'string') {
        throw new ServerlessConfigError(
          `serverless.yml: resources.Resources.${logicalId}: Type must be a string`,
        );
      }
      const properties = declaration.Properties ?? {};
      if (!isPlainObject(properties)) {
        throw new ServerlessConfigError(
          `serverless.yml: resources.Resources.${logicalId}.Properties must be a mapping`,
        );
      }
      this.declarations.set(logicalId, {
        logicalId,
        type: declaration.Type,
        kind: KINDS[declaration.Type] ?? 'skipped',
        properties,
      });
    }
    this.pseudo = pseudoParameters({
      region: naming.region,
      accountId: naming.accountId,
      stackName: `${naming.service}-${naming.stage}`,
    });
  }

  /** Record what moto answered (queue URL, stream ARN, subscription ARN) after provisioning. */
  setActual(logicalId: string, actual: { url?: string; arn?: string; streamArn?: string }): void {
    this.actual.set(logicalId, { ...this.actual.get(logicalId), ...actual });
    this.physicalCache.delete(logicalId);
  }

  /** The properties of a declared resource with intrinsics resolved. */
  resolvedProperties(logicalId: string): Record<string, unknown> {
    const declaration = this.declarations.get(logicalId);
    if (!declaration) throw new ServerlessConfigError(`unknown resource ${logicalId}`);
    return resolveIntrinsics(
      declaration.properties,
      this,
      `resources.Resources.${logicalId}.Properties`,
    ) as Record<string, unknown>;
  }

  /** Logical ids a declaration references through Ref/GetAtt/Sub (for provisioning order). */
  dependencies(logicalId: string): string[] {
    const found = new Set<string>();
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (isPlainObject(value)) {
        for (const [key, item] of Object.entries(value)) {
          if (key === 'Ref' && typeof item === 'string') found.add(item);
          else if (key === 'Fn::GetAtt') {
            const id =
              typeof item === 'string' ? item.split('.')[0] : Array.isArray(item) ? item[0] : undefined;
            if (typeof id === 'string') found.add(id);
          } else if (key === 'Fn::Sub') {
            const text = typeof item === 'string' ? item : Array.isArray(item) ? item[0] : '';
            for (const m of String(text).matchAll(/\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}/g))
              found.add(m[1] as string);
          }
          visit(item);
        }
      }
    };
    visit(this.declarations.get(logicalId)?.properties);
    return [...found].filter((id) => id !== logicalId && this.declarations.has(id));
  }

  private nameProperty(declaration: ResourceDeclaration): string | undefined {
    const key = { table: 'TableName', queue: 'QueueName', topic: 'TopicName', parameter: 'Name' }[
      declaration.kind as 'table'
    ];
    if (!key || declaration.properties[key] === undefined) return undefined;
    const value = resolveIntrinsics(
      declaration.properties[key],
      this,
      `resources.Resources.${declaration.logicalId}.Properties.${key}`,
    );
    return String(value);
  }

  /** Physical identity of a declared resource. */
  physical(logicalId: string): PhysicalResource {
    const cached = this.physicalCache.get(logicalId);
    if (cached) return cached;
    const declaration = this.declarations.get(logicalId);
    if (!declaration) throw new ServerlessConfigError(`unknown resource ${logicalId}`);
    if (this.resolving.has(logicalId)) {
      throw new ServerlessConfigError(`resources.Resources.${logicalId}: circular reference`);
    }
    this.resolving.add(logicalId);
    try {
      const { service, stage, region, accountId, endpoint } = this.naming;
      const actual = this.actual.get(logicalId) ?? {};
      const declared = this.nameProperty(declaration);
      let name = declared ?? `${service}-${stage}-${logicalId}`;
      let physical: PhysicalResource;
      switch (declaration.kind) {
        case 'table':
          physical = { name, ref: name, arn: `arn:aws:dynamodb:${region}:${accountId}:table/${name}` };
          break;
        case 'queue': {
          const fifo =
            declaration.properties.FifoQueue === true || declaration.properties.FifoQueue === 'true';
          if (!declared && fifo) name = `${name}.fifo`;
          const url = actual.url ?? `${endpoint.replace(/\/$/, '')}/${accountId}/${name}`;
          physical = { name, ref: url, url, arn: `arn:aws:sqs:${region}:${accountId}:${name}` };
          break;
        }
        case 'topic': {
          const arn = `arn:aws:sns:${region}:${accountId}:${name}`;
          physical = { name, ref: arn, arn };
          break;
        }
        case 'subscription': {
          const arn = actual.arn ?? `arn:aws:sns:${region}:${accountId}:${logicalId}:pending`;
          physical = { name: logicalId, ref: arn, arn };
          break;
        }
        case 'parameter':
          physical = {
            name,
            ref: name,
            arn: `arn:aws:ssm:${region}:${accountId}:parameter/${name.replace(/^\//, '')}`,
          };
          break;
        default: {
          const service = declaration.type.split('::')[1]?.toLowerCase() ?? 'local';
          const arn =
            service === 'iam'
              ? `arn:aws:iam::${accountId}:role/${name}`
              : `arn:aws:${service}:${region}:${accountId}:${logicalId}/${name}`;
          physical = { name, ref: name, arn };
        }
      }
      this.physicalCache.set(logicalId, physical);
      return physical;
    } finally {
      this.resolving.delete(logicalId);
    }
  }

  ref(logicalId: string, at: string): string {
    const pseudo = this.pseudo[logicalId];
    if (pseudo !== undefined) return pseudo;
    const functionName = this.naming.functionLogicalIds.get(logicalId);
    if (functionName) return functionName;
    if (!this.declarations.has(logicalId)) {
      throw new ServerlessConfigError(`${at}: Ref to unknown resource "${logicalId}"`);
    }
    return this.physical(logicalId).ref;
  }

  getAtt(logicalId: string, attribute: string, at: string): string {
    const functionName = this.naming.functionLogicalIds.get(logicalId);
    if (functionName) {
      if (attribute === 'Arn') {
        return `arn:aws:lambda:${this.naming.region}:${this.naming.accountId}:function:${functionName}`;
      }
      throw new ServerlessConfigError(`${at}: Fn::GetAtt ${logicalId}.${attribute} is not supported`);
    }
    const declaration = this.declarations.get(logicalId);
    if (!declaration) throw new ServerlessConfigError(`${at}: Fn::GetAtt of unknown resource "${logicalId}"`);
    const physical = this.physical(logicalId);
    const actual = this.actual.get(logicalId) ?? {};
    const unsupported = () =>
      new ServerlessConfigError(
        `${at}: Fn::GetAtt ${logicalId}.${attribute} is not supported for ${declaration.type} by the local runtime`,
      );
    switch (declaration.kind) {
      case 'table':
        if (attribute === 'Arn') return physical.arn as string;
        if (attribute === 'StreamArn') return actual.streamArn ?? `${physical.arn}/stream/local`;
        throw unsupported();
      case 'queue':
        if (attribute === 'Arn') return physical.arn as string;
        if (attribute === 'QueueUrl') return physical.url as string;
        if (attribute === 'QueueName') return physical.name;
        throw unsupported();
      case 'topic':
        if (attribute === 'TopicArn') return physical.arn as string;
        if (attribute === 'TopicName') return physical.name;
        throw unsupported();
      case 'parameter':
        if (attribute === 'Type') return String(declaration.properties.Type ?? 'String');
        if (attribute === 'Value') return String(resolveIntrinsics(declaration.properties.Value, this, at));
        throw unsupported();
      default:
        if (attribute === 'Arn') return physical.arn as string;
        return `${physical.name}.${attribute}`;
    }
  }
}
