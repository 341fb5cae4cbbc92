import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layout's import rules (README, Layout), checked on every source file:
 * - `src/shared/` imports only `src/shared/`;
 * - a capability imports its own folder, `src/shared/` and other capabilities only through their `index.ts`;
 *   its command line may also load the composed configuration (`src/config/`): `cli.ts`, which declares the
 *   commands (and shows the default configuration file), and `cli-actions.ts`, what they do, loaded when one runs
 *   (split so that `--help` and other commands load none of it; see cli-laziness.test.ts);
 * - domain code (`src/<capability>/domain/`) imports no AWS SDK and reads no environment;
 * - `src/config/` (the configuration composed from capability fragments) imports shared code and fragments;
 * - the sandbox imports only itself, `src/shared/`, `src/config/` and a capability's pure rules
 *   (`src/<capability>/domain/`, which import no SDK): the ECR emulator answers lifecycle previews and runs
 *   lifecycle policies with exactly the engine the product uses, so the two can't drift. Nothing else of a
 *   capability (use cases, adapters, index.ts);
 * - nothing deployed (handlers/, src/ but the sandbox, CLI and demo) imports the sandbox, the CLI, the demo,
 *   tests or benches.
 */

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '../..'));
const CAPABILITIES = [
  'inventory',
  'scan-gate',
  'notifications',
  'promotion',
  'cleanup',
  'compliance',
  'report',
];

/**
 * Imports that break a rule today and are being removed; each entry is `from -> to`. Keep it short: a new
 * entry needs a reason in the commit that adds it.
 */
const KNOWN_EXCEPTIONS = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Relative import specifiers of a file, resolved to project paths; package imports as they are. */
function importsOf(file: string): { target: string; packageName?: string }[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: { target: string; packageName?: string }[] = [];
  for (const match of text.matchAll(/(?:from\s+|import\(\s*|^import\s+)'([^']+)'/gm)) {
    const spec = match[1] ?? '';
    if (spec.startsWith('.')) found.push({ target: normalize(join(dirname(file), spec)) });
    else found.push({ target: spec, packageName: spec });
  }
  return found;
}

function area(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'handlers') return 'handlers';
  if (parts[0] !== 'src') return parts[0] ?? '';
  return parts[1] ?? '';
}

/** Why `file` may not import `target`, or undefined when it may. */
function violation(file: string, target: string): string | undefined {
  const from = area(file);
  const to = area(target);
  if (to === 'test' || to === 'bench') return 'production code imports tests or benches';
  if (from === 'shared') return to === 'shared' ? undefined : 'src/shared imports only src/shared';
  if (CAPABILITIES.includes(from)) {
    if (to === from || to === 'shared') return undefined;
    if (CAPABILITIES.includes(to)) {
      return target === `src/${to}/index.ts`
        ? undefined
        : `imports ${to} other than through src/${to}/index.ts`;
    }
    if (to === 'config' && [`src/${from}/cli.ts`, `src/${from}/cli-actions.ts`].includes(file))
      return undefined;
    return `a capability imports src/${to}`;
  }
  if (from === 'config') {
    if (to === 'shared' || to === 'config') return undefined;
    if (CAPABILITIES.includes(to) && target === `src/${to}/config-schema.ts`) return undefined;
    return 'src/config imports only shared code and capability config-schema.ts fragments';
  }
  if (from === 'sandbox') {
    if (['sandbox', 'shared', 'config'].includes(to)) return undefined;
    if (CAPABILITIES.includes(to) && target.startsWith(`src/${to}/domain/`)) return undefined;
    return CAPABILITIES.includes(to)
      ? `the sandbox imports src/${to} other than its pure domain/ rules`
      : `the sandbox imports src/${to}`;
  }
  if (from === 'handlers') {
    return ['sandbox', 'cli', 'demo'].includes(to) ? `a handler imports src/${to}` : undefined;
  }
  return undefined;
}

describe('layout import rules', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('handlers')];

  it('finds the source files it checks', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('src/shared/wildcard.ts');
  });

  it('every import follows the rules (shared kernel, capabilities through index.ts, no deployed code on the sandbox)', () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const { target, packageName } of importsOf(file)) {
        if (packageName) continue;
        const why = violation(file, target);
        if (why && !KNOWN_EXCEPTIONS.has(`${file} -> ${target}`)) broken.push(`${file} -> ${target}: ${why}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('domain code imports no AWS SDK and reads no environment', () => {
    const broken: string[] = [];
    for (const file of files.filter((f) => /^src\/[^/]+\/domain\//.test(f))) {
      for (const { packageName } of importsOf(file)) {
        if (packageName?.startsWith('@aws-sdk/') || packageName?.startsWith('@middy/')) {
          broken.push(`${file} imports ${packageName}`);
        }
      }
      if (/process\.env/.test(readFileSync(join(ROOT, file), 'utf8')))
        broken.push(`${file} reads process.env`);
    }
    expect(broken).toEqual([]);
  });

  it('names a broken rule (the check can fail)', () => {
    expect(violation('src/shared/wildcard.ts', 'src/scan-gate/domain/verdict.ts')).toMatch(/shared/);
    expect(violation('src/inventory/record-pushed-image.ts', 'src/scan-gate/ports.ts')).toMatch(/index\.ts/);
    expect(violation('handlers/on-image-pushed.ts', 'src/sandbox/server.ts')).toMatch(/sandbox/);
    expect(violation('src/scan-gate/judge-scan.ts', 'src/notifications/index.ts')).toBeUndefined();
    expect(violation('src/cleanup/cli-actions.ts', 'src/config/load-or-report.ts')).toBeUndefined();
    expect(violation('src/cleanup/plan-cleanup.ts', 'src/config/load.ts')).toMatch(/src\/config/);
  });

  it('lets the sandbox import a capability’s pure domain/ rules and nothing else of it', () => {
    expect(
      violation('src/sandbox/ecr/lifecycle-preview.ts', 'src/cleanup/domain/lifecycle-evaluate.ts'),
    ).toBeUndefined();
    expect(violation('src/sandbox/ecr/lifecycle.ts', 'src/cleanup/index.ts')).toMatch(/domain/);
    expect(violation('src/sandbox/ecr/lifecycle.ts', 'src/cleanup/adapters/ecr-images.ts')).toMatch(/domain/);
    expect(violation('src/sandbox/ecr/lifecycle.ts', 'src/cli/main.ts')).toMatch(/sandbox imports src\/cli/);
  });
});
