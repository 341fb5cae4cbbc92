/**
 * CloudFormation intrinsic functions as the local runtime needs them: `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`,
 * `Fn::Select`, `Fn::Split`, `Fn::Base64`. Anything else (conditions, imports) is an error naming the key.
 */
import { ServerlessConfigError } from './template.ts';

export interface IntrinsicContext {
  /** `Ref` of a logical id or pseudo parameter. */
  ref(logicalId: string, at: string): string;
  /** `Fn::GetAtt` of a logical id. */
  getAtt(logicalId: string, attribute: string, at: string): string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Pseudo parameters by name. */
export function pseudoParameters(options: {
  region: string;
  accountId: string;
  stackName: string;
}): Record<string, string> {
  return {
    'AWS::Region': options.region,
    'AWS::AccountId': options.accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': options.stackName,
    'AWS::StackId': `arn:aws:cloudformation:${options.region}:${options.accountId}:stack/${options.stackName}/local`,
    'AWS::NoValue': '',
  };
}

function asString(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ServerlessConfigError(`${at}: expected a string, got ${JSON.stringify(value)}`);
}

/** Resolve every intrinsic function in `value` (deeply). */
export function resolveIntrinsics(value: unknown, context: IntrinsicContext, at: string): unknown {
  if (Array.isArray(value))
    return value.map((item, index) => resolveIntrinsics(item, context, `${at}[${index}]`));
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0] as string;
    const argument = value[key];
    if (key === 'Ref') return context.ref(asString(argument, `${at}.Ref`), at);
    if (key.startsWith('Fn::')) return evaluateFunction(key, argument, context, at);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    out[key] = resolveIntrinsics(item, context, `${at}.${key}`);
  return out;
}

function evaluateFunction(name: string, argument: unknown, context: IntrinsicContext, at: string): unknown {
  const where = `${at}.${name}`;
  switch (name) {
    case 'Fn::GetAtt': {
      const parts =
        typeof argument === 'string'
          ? [argument.slice(0, argument.indexOf('.')), argument.slice(argument.indexOf('.') + 1)]
          : Array.isArray(argument)
            ? argument.map((part, index) =>
                asString(resolveIntrinsics(part, context, where), `${where}[${index}]`),
              )
            : [];
      const [logicalId, attribute] = parts;
      if (!logicalId || !attribute) {
        throw new ServerlessConfigError(`${where}: expected "LogicalId.Attribute" or [LogicalId, Attribute]`);
      }
      return context.getAtt(logicalId, attribute, at);
    }
    case 'Fn::Sub': {
      let template: unknown = argument;
      let variables: Record<string, unknown> = {};
      if (Array.isArray(argument)) {
        template = argument[0];
        const given = resolveIntrinsics(argument[1] ?? {}, context, `${where}[1]`);
        if (!isPlainObject(given))
          throw new ServerlessConfigError(`${where}[1]: expected a mapping of variables`);
        variables = given;
      }
      const text = asString(template, where);
      return text.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
        const name = inner.trim();
        if (name.startsWith('!')) return `\${${name.slice(1)}}`;
        if (name in variables) return asString(variables[name], `${where}: \${${name}}`);
        const dot = name.indexOf('.');
        if (dot > 0 && !name.startsWith('AWS::')) {
          return context.getAtt(name.slice(0, dot), name.slice(dot + 1), at);
        }
        if (!name) return whole;
        return context.ref(name, at);
      });
    }
    case 'Fn::Join': {
      if (!Array.isArray(argument) || argument.length !== 2) {
        throw new ServerlessConfigError(`${where}: expected [delimiter, [values]]`);
      }
      const delimiter = asString(argument[0], `${where}[0]`);
      const list = resolveIntrinsics(argument[1], context, `${where}[1]`);
      if (!Array.isArray(list)) throw new ServerlessConfigError(`${where}[1]: expected a list`);
      return list.map((item, index) => asString(item, `${where}[1][${index}]`)).join(delimiter);
    }
    case 'Fn::Select': {
      if (!Array.isArray(argument) || argument.length !== 2) {
        throw new ServerlessConfigError(`${where}: expected [index, [values]]`);
      }
      const index = Number(resolveIntrinsics(argument[0], context, `${where}[0]`));
      const list = resolveIntrinsics(argument[1], context, `${where}[1]`);
      if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new ServerlessConfigError(`${where}: index ${index} is out of range`);
      }
      return list[index];
    }
    case 'Fn::Split': {
      if (!Array.isArray(argument) || argument.length !== 2) {
        throw new ServerlessConfigError(`${where}: expected [delimiter, string]`);
      }
      const delimiter = asString(argument[0], `${where}[0]`);
      return asString(resolveIntrinsics(argument[1], context, `${where}[1]`), `${where}[1]`).split(delimiter);
    }
    case 'Fn::Base64':
      return Buffer.from(asString(resolveIntrinsics(argument, context, where), where)).toString('base64');
    default:
      throw new ServerlessConfigError(`${where}: ${name} is not supported by the local runtime`);
  }
}
