import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The CLI loads lazily (README, The command line): src/cli/entry.ts and everything it imports statically declare
 * the commands (names, options, help) and load only commander and Node's own modules; each command's
 * implementation (`cli-actions.ts`, `src/cli/commands/*-actions.ts`) is imported when it runs. So `--help`, and
 * every command, pays for no AWS SDK, zod schema, YAML parser or sandbox it does not use. An import that breaks
 * this makes every command slower without failing anything else; this test names it.
 */

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '../..'));
const ENTRY = 'src/cli/entry.ts';
/** What a declaration may load besides Node's own modules. */
const ALLOWED_PACKAGES = new Set(['commander']);

/**
 * What loading `file` evaluates: its static imports and re-exports, without `import type` / `export type` (erased)
 * and without `import(…)` (run later, when a command runs). Relative imports resolved to project paths.
 */
function staticImports(file: string): { modules: string[]; packages: string[] } {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const modules: string[] = [];
  const packages: string[] = [];
  const statement = /^(?:import|export)\s+(?!type\s)(?:[^;'"]*?\sfrom\s+)?'([^']+)'/gm;
  for (const match of text.matchAll(statement)) {
    const spec = match[1] ?? '';
    if (spec.startsWith('.')) modules.push(normalize(join(dirname(file), spec)));
    else packages.push(spec);
  }
  return { modules, packages };
}

/** Every module loading `start` evaluates, and the packages they import (each with the file importing it). */
function staticGraph(start: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const found = staticImports(file);
    for (const name of found.packages) if (!packages.has(name)) packages.set(name, file);
    for (const module of found.modules) visit(module);
  };
  visit(start);
  return { files, packages };
}

/** Packages other than Node's own and {@link ALLOWED_PACKAGES}, as `package (imported by file)`. */
function heavyPackages(graph: { packages: Map<string, string> }): string[] {
  return [...graph.packages]
    .filter(([name]) => !name.startsWith('node:') && !ALLOWED_PACKAGES.has(name))
    .map(([name, by]) => `${name} (imported by ${by})`);
}

describe('the CLI loads each command’s implementation only when it runs', () => {
  const declarations = staticGraph(ENTRY);

  it('walks every command declaration (the check covers what main.ts registers)', () => {
    const commands = readdirSync(join(ROOT, 'src/cli/commands'))
      .filter((name) => name.endsWith('.ts') && !name.endsWith('-actions.ts'))
      .map((name) => `src/cli/commands/${name}`);
    const capabilities = ['cleanup', 'compliance', 'promotion', 'report', 'scan-gate'].map(
      (c) => `src/${c}/cli.ts`,
    );
    // The shared declarations: the AWS options (declared once) and the terminal rules (colour, progress).
    const shared = ['src/shared/cli-options.ts', 'src/shared/cli-terminal.ts'];
    for (const file of [...commands, ...capabilities, ...shared, 'src/cli/main.ts'])
      expect(declarations.files, file).toContain(file);
  });

  it('the declarations import no package but commander (no @aws-sdk, zod, yaml, middy, Powertools)', () => {
    expect(heavyPackages(declarations)).toEqual([]);
  });

  it('the declarations import no implementation: no *-actions.ts, compose.ts, configuration schema or sandbox server', () => {
    const loaded = [...declarations.files].filter(
      (file) =>
        file.endsWith('-actions.ts') ||
        file.endsWith('/compose.ts') ||
        file === 'src/config/load.ts' ||
        file === 'src/config/schema.ts' ||
        file === 'src/sandbox/server.ts',
    );
    expect(loaded).toEqual([]);
  });

  it('the AWS options load the SDK’s shared-config reader only when a command resolves its Region', () => {
    // Imported with import(…) in awsClientBase, which the static graph leaves out: not a declaration's load.
    expect(staticImports('src/shared/cli.ts').packages.filter((name) => !name.startsWith('node:'))).toEqual(
      [],
    );
    expect(readFileSync(join(ROOT, 'src/shared/cli.ts'), 'utf8')).toContain(
      "await import('@smithy/core/config')",
    );
  });

  it('finds what an implementation loads (the check can fail)', () => {
    expect(heavyPackages(staticGraph('src/scan-gate/cli-actions.ts')).join('\n')).toMatch(
      /@aws-sdk\/client-ecr/,
    );
    expect(heavyPackages(staticGraph('src/cleanup/cli-actions.ts')).join('\n')).toMatch(/^zod /m);
  });
});
