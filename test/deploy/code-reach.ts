import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../support/cli.ts';

/**
 * What a Lambda handler's code can reach, read from the source: from the handler's top level, every top-level
 * declaration it names, through imports (re-exports included) into the project's modules, and on through the
 * declarations those name. Finer than a module graph: importing `putManifest` reaches `putManifest` and what
 * it names, not every export of its module. Over-approximating by design (a name mentioned is a name reached),
 * so the IAM test may ask for too much, never too little.
 */

/** An export of a project module, e.g. `src/inventory/ecr-registry.ts` `ecrRegistry`. */
export interface ExportRef {
  file: string;
  name: string;
}

/** An AWS API call in reached code: an AWS SDK `XxxCommand` or `paginateXxx` it names (to send or page). */
export interface AwsCall {
  action: string;
  /** `file#declaration` of the code that makes it. */
  at: string;
}

export interface Reach {
  /** Every exported declaration reached, by the name its module exports it under. */
  exports: ExportRef[];
  calls: AwsCall[];
}

/** IAM service prefixes of the AWS SDK clients the project uses (package `@aws-sdk/client-<name>`). */
const IAM_PREFIX: Record<string, string> = {
  dynamodb: 'dynamodb',
  ecr: 'ecr',
  ecs: 'ecs',
  eventbridge: 'events',
  inspector2: 'inspector2',
  lambda: 'lambda',
  sns: 'sns',
  sqs: 'sqs',
  ssm: 'ssm',
  sts: 'sts',
};

/** `@aws-sdk/lib-dynamodb` commands → the DynamoDB action each sends. */
const DOCUMENT_CLIENT_ACTIONS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  // IAM has no Transact* actions: each item of a transaction is authorised as its own GetItem, PutItem,
  // UpdateItem, DeleteItem or ConditionCheckItem, which the adapter declares.
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
  TransactGet: '',
  TransactWrite: '',
};

/**
 * API operations authorised by another IAM action of their service. ListImageReferrers has none of its own: "The
 * IAM principal invoking this operation must have the `ecr:BatchGetImage` permission."; SendMessageBatch is
 * authorised as SendMessage.
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImageReferrers.html
 */
const AUTHORISED_AS: Record<string, string> = {
  'ecr:ListImageReferrers': 'ecr:BatchGetImage',
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
  'sqs:SendMessageBatch': 'sqs:SendMessage',
};

/** The IAM action of an AWS SDK export (`DescribeImagesCommand`, `paginateQuery`), or undefined if it is none. */
export function actionOf(packageName: string, exportName: string): string | undefined {
  const operation = exportName.endsWith('Command')
    ? exportName.slice(0, -'Command'.length)
    : exportName.startsWith('paginate')
      ? exportName.slice('paginate'.length)
      : undefined;
  if (!operation) return undefined;
  if (packageName === '@aws-sdk/lib-dynamodb') {
    const action = DOCUMENT_CLIENT_ACTIONS[operation];
    if (action === undefined) {
      throw new Error(`${exportName} of ${packageName}: add its DynamoDB action to code-reach.ts`);
    }
    return action === '' ? undefined : `dynamodb:${action}`;
  }
  const client = /^@aws-sdk\/client-(.+)$/.exec(packageName)?.[1];
  if (!client) return undefined;
  const prefix = IAM_PREFIX[client];
  if (!prefix) throw new Error(`${packageName}: add its IAM service prefix to code-reach.ts`);
  const action = `${prefix}:${operation}`;
  return AUTHORISED_AS[action] ?? action;
}

type Binding = { from: string; name: string; isPackage: boolean };

interface ModuleInfo {
  file: string;
  /** Top-level declarations by name (one statement may declare several). */
  declarations: Map<string, ts.Node>;
  /** Imported local names (type-only imports left out). `name` is `*` for a namespace, `default` for default. */
  imports: Map<string, Binding>;
  /** Exported name → local declaration name. */
  exports: Map<string, string>;
  /** Exported name → where it is re-exported from. */
  reexports: Map<string, Binding>;
  starExports: string[];
  /** What runs when the module is loaded: initialisers and statements, not function or class bodies. */
  onLoad: ts.Node[];
  /** Modules imported for their effects alone (`import './x.ts'`). */
  loads: string[];
}

/** Source of a project file (a test may pass a virtual handler). */
export type ReadSource = (file: string) => string;

const readProjectFile: ReadSource = (file) => readFileSync(join(PROJECT_ROOT, file), 'utf8');

/** A relative specifier → a project file (`.ts`), or undefined for packages and non-code files. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = normalize(join(dirname(fromFile), specifier));
  for (const candidate of [
    target,
    target.replace(/\.js$/, '.ts'),
    `${target}.ts`,
    join(target, 'index.ts'),
  ]) {
    if (candidate.endsWith('.ts') && existsSync(join(PROJECT_ROOT, candidate))) return candidate;
  }
  if (/\.(json|cjs|mjs|js)$/.test(target)) return undefined;
  throw new Error(`${fromFile}: cannot resolve ${specifier}`);
}

function bindingOf(fromFile: string, specifier: string, name: string): Binding {
  const file = resolveSpecifier(fromFile, specifier);
  return file ? { from: file, name, isPackage: false } : { from: specifier, name, isPackage: true };
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) =>
    ts.isOmittedExpression(element) ? [] : bindingNames(element.name),
  );
}

function parseModule(file: string, source: string): ModuleInfo {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const info: ModuleInfo = {
    file,
    declarations: new Map(),
    imports: new Map(),
    exports: new Map(),
    reexports: new Map(),
    starExports: [],
    onLoad: [],
    loads: [],
  };
  for (const statement of sourceFile.statements) {
    const exported = hasModifier(statement, ts.SyntaxKind.ExportKeyword);
    if (ts.isImportDeclaration(statement)) {
      const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      const clause = statement.importClause;
      if (!clause) {
        const target = resolveSpecifier(file, specifier);
        if (target) info.loads.push(target);
        continue;
      }
      if (clause.isTypeOnly) continue;
      if (clause.name) info.imports.set(clause.name.text, bindingOf(file, specifier, 'default'));
      const named = clause.namedBindings;
      if (named && ts.isNamespaceImport(named))
        info.imports.set(named.name.text, bindingOf(file, specifier, '*'));
      if (named && ts.isNamedImports(named)) {
        for (const element of named.elements) {
          if (element.isTypeOnly) continue;
          const imported = (element.propertyName ?? element.name).text;
          info.imports.set(element.name.text, bindingOf(file, specifier, imported));
        }
      }
    } else if (ts.isExportDeclaration(statement)) {
      if (statement.isTypeOnly) continue;
      const specifier = statement.moduleSpecifier && (statement.moduleSpecifier as ts.StringLiteral).text;
      const clause = statement.exportClause;
      if (specifier && !clause) {
        const target = resolveSpecifier(file, specifier);
        if (target) info.starExports.push(target);
      } else if (clause && ts.isNamedExports(clause)) {
        for (const element of clause.elements) {
          if (element.isTypeOnly) continue;
          const local = (element.propertyName ?? element.name).text;
          if (specifier) info.reexports.set(element.name.text, bindingOf(file, specifier, local));
          else info.exports.set(element.name.text, local);
        }
      }
    } else if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) {
      const name = statement.name?.text ?? 'default';
      info.declarations.set(name, statement);
      if (exported)
        info.exports.set(hasModifier(statement, ts.SyntaxKind.DefaultKeyword) ? 'default' : name, name);
      // A class's decorators, heritage and static members run on load.
      if (ts.isClassDeclaration(statement)) info.onLoad.push(statement);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        for (const name of bindingNames(declaration.name)) {
          info.declarations.set(name, declaration);
          if (exported) info.exports.set(name, name);
        }
        if (declaration.initializer) info.onLoad.push(declaration.initializer);
      }
    } else if (ts.isEnumDeclaration(statement)) {
      info.declarations.set(statement.name.text, statement);
      if (exported) info.exports.set(statement.name.text, statement.name.text);
    } else if (ts.isExportAssignment(statement)) {
      info.declarations.set('default', statement.expression);
      info.exports.set('default', 'default');
      info.onLoad.push(statement.expression);
    } else if (!ts.isInterfaceDeclaration(statement) && !ts.isTypeAliasDeclaration(statement)) {
      info.onLoad.push(statement);
    }
  }
  return info;
}

/** An identifier that names a property or a member, not a variable in scope. */
function isMemberName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (
    (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
    ((ts.isPropertyAssignment(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent)) &&
      parent.name === node)
  );
}

/**
 * Everything `entry` (a file with a top level that runs, e.g. `handlers/on-image-pushed.ts`) reaches.
 * @param readSource the source of a project file; the files themselves by default
 */
export function reachFrom(entry: string, readSource: ReadSource = readProjectFile): Reach {
  const modules = new Map<string, ModuleInfo>();
  const moduleOf = (file: string) => {
    let info = modules.get(file);
    if (!info) {
      info = parseModule(file, readSource(file));
      modules.set(file, info);
    }
    return info;
  };
  const loaded = new Set<string>();
  const visited = new Set<string>();
  const calls = new Map<string, AwsCall>();

  function scan(info: ModuleInfo, node: ts.Node, at: string) {
    // `class A extends B`: B runs; other type positions (`implements`, annotations, `satisfies`) do not.
    if (ts.isExpressionWithTypeArguments(node) && ts.isHeritageClause(node.parent)) {
      if (node.parent.token === ts.SyntaxKind.ExtendsKeyword) scan(info, node.expression, at);
      return;
    }
    if (ts.isTypeNode(node)) return;
    if (ts.isIdentifier(node) && !isMemberName(node)) {
      const name = node.text;
      if (info.declarations.has(name)) visitLocal(info, name);
      const binding = info.imports.get(name);
      if (binding) {
        if (binding.isPackage) {
          const action = actionOf(binding.from, binding.name);
          if (action) calls.set(`${action} ${at}`, { action, at });
        } else {
          visitExport(binding.from, binding.name);
        }
      }
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      const target = argument && ts.isStringLiteral(argument) && resolveSpecifier(info.file, argument.text);
      if (target) visitExport(target, '*');
    }
    ts.forEachChild(node, (child) => scan(info, child, at));
  }

  function load(file: string) {
    if (loaded.has(file)) return;
    loaded.add(file);
    const info = moduleOf(file);
    for (const node of info.onLoad) scan(info, node, `${file}#(load)`);
    for (const target of info.loads) load(target);
  }

  function visitLocal(info: ModuleInfo, name: string) {
    const key = `${info.file}#${name}`;
    if (visited.has(key)) return;
    visited.add(key);
    const declaration = info.declarations.get(name);
    if (declaration) scan(info, declaration, key);
    const binding = info.imports.get(name);
    if (binding && !binding.isPackage) visitExport(binding.from, binding.name);
  }

  function exportsOf(file: string, seen = new Set<string>()): string[] {
    if (seen.has(file)) return [];
    seen.add(file);
    const info = moduleOf(file);
    return [
      ...info.exports.keys(),
      ...info.reexports.keys(),
      ...info.starExports.flatMap((f) => exportsOf(f, seen)),
    ];
  }

  function visitExport(file: string, name: string): void {
    load(file);
    const info = moduleOf(file);
    if (name === '*') {
      for (const exported of exportsOf(file)) visitExport(file, exported);
      return;
    }
    const local = info.exports.get(name);
    const reexport = info.reexports.get(name);
    const star = info.starExports.find((source) => exportsOf(source).includes(name));
    if (local !== undefined) visitLocal(info, local);
    else if (reexport) {
      if (!reexport.isPackage) visitExport(reexport.from, reexport.name);
    } else if (star) visitExport(star, name);
    else throw new Error(`${file} does not export ${name}`);
  }

  load(entry);
  const exports: ExportRef[] = [];
  for (const info of modules.values()) {
    for (const [exported, local] of info.exports) {
      if (visited.has(`${info.file}#${local}`)) exports.push({ file: info.file, name: exported });
    }
  }
  return { exports, calls: [...calls.values()] };
}

/** Names a module exports (locally declared ones: where a `…Permissions` declaration must live). */
export function localExportsOf(file: string, readSource: ReadSource = readProjectFile): string[] {
  return [...parseModule(file, readSource(file)).exports.keys()];
}
