import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_LIMITS, firstInvalidUtf8Offset } from '../../src/config/limits.ts';
import { ConfigError, formatProblems, loadConfig, parseConfig } from '../../src/config/load.ts';

/** The problems without their columns: these tests are about which lines are named (columns: messages.test.ts). */
function problemsOf(text: string) {
  try {
    parseConfig(text, 'test.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(({ column: _column, ...problem }) => problem);
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

async function loadError(content: string | Uint8Array): Promise<ConfigError> {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-limits-'));
  const file = join(dir, 'sentinel.config.yml');
  await writeFile(file, content);
  const error = await loadConfig(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

/** "Billion laughs": each anchor is a list of ten aliases of the one before. */
function aliasBomb(levels: number): string {
  const lines = ['version: 1', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= levels; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('configuration input limits', () => {
  describe('size', () => {
    it('refuses a file over 1 MB, saying its size and the limit', async () => {
      const text = `version: 1\n${'# padding\n'.repeat(CONFIG_LIMITS.maxBytes / 10)}`;

      const error = await loadError(text);

      expect(error.problems).toEqual([
        {
          path: '(file)',
          message: `file is 1 MB (${Buffer.byteLength(text)} bytes); a configuration may be at most 1 MB (1048576 bytes)`,
        },
      ]);
    });

    it('holds text given to parseConfig to the same limit', () => {
      const problems = problemsOf(`version: 1\n${'x'.repeat(3 * 1024 * 1024)}`);

      expect(problems[0]?.message).toMatch(
        /^file is 3 MB \(3145739 bytes\); a configuration may be at most 1 MB/,
      );
    });

    it('accepts a file right at the limit', async () => {
      const head = 'version: 1\n';
      const dir = await mkdtemp(join(tmpdir(), 'sentinel-limits-'));
      const file = join(dir, 'at-limit.yml');
      await writeFile(file, head + '#'.repeat(CONFIG_LIMITS.maxBytes - head.length));

      await expect(loadConfig(file)).resolves.toMatchObject({ version: 1 });
    });
  });

  describe('encoding', () => {
    it('refuses Latin-1 bytes, naming the byte, its offset and line', async () => {
      const bytes = Buffer.concat([
        Buffer.from('version: 1\napplications: [{ name: caf'),
        Buffer.from([0xe9]),
        Buffer.from(' }]\n'),
      ]);

      const error = await loadError(bytes);

      expect(error.problems).toEqual([
        {
          path: '(file)',
          line: 2,
          message: 'not UTF-8: byte 0xE9 at byte offset 37 is not valid UTF-8; save the file as UTF-8',
        },
      ]);
    });

    it('still reads UTF-8 text, with or without a byte order mark', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sentinel-limits-'));
      const file = join(dir, 'bom.yml');
      await writeFile(file, '\uFEFFversion: 1 # café, 東京, 🚀\n');

      await expect(loadConfig(file)).resolves.toMatchObject({ version: 1 });
    });

    it.each([
      ['well-formed text', [0x61, 0xc3, 0xa9, 0xe6, 0x9d, 0xb1, 0xf0, 0x9f, 0x9a, 0x80], -1],
      ['a stray continuation byte', [0x61, 0x80], 1],
      ['an overlong encoding', [0x61, 0x62, 0xc0, 0xaf], 2],
      ['an overlong three-byte form', [0xe0, 0x80, 0xaf], 0],
      ['a surrogate', [0x61, 0xed, 0xa0, 0x80], 1],
      ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
      ['a sequence cut short by the end', [0x61, 0x62, 0x63, 0xe2, 0x82], 3],
      ['a sequence cut short by ASCII', [0xe2, 0x41, 0x42], 0],
    ])('finds the first bad byte in %s', (_what, bytes, offset) => {
      const array = Uint8Array.from(bytes);

      expect(firstInvalidUtf8Offset(array)).toBe(offset);
      // The fatal decoder is what refuses the file; the offset search must agree with it on validity.
      let decodes = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(array);
      } catch {
        decodes = false;
      }
      expect(decodes).toBe(offset === -1);
    });
  });

  describe('aliases', () => {
    it('reports an alias bomb as too many alias expansions at the alias that crossed the limit', () => {
      const problems = problemsOf(aliasBomb(9));

      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: 'a3[7]', line: 5 });
      expect(problems[0]?.message).toMatch(
        /^too many alias expansions \(YAML anchors, at \*a2\): the aliases so far expand to \d+ values; at most 10000$/,
      );
    });

    it('counts aliases nested in anchors, not only the aliases written', () => {
      // 2 levels: 10×11 + 10×111 = 1220 values from 20 aliases; the third level's 8th alias (8×1111) passes 10,000.
      expect(() => parseConfig(aliasBomb(2))).toThrow(/unknown key "a0"/);
      expect(problemsOf(aliasBomb(3))[0]).toMatchObject({
        path: 'a3[7]',
        line: 5,
        message: expect.stringMatching(/^too many alias expansions \(YAML anchors, at \*a2\)/),
      });
    });

    it('keeps ordinary reuse of anchors working', () => {
      const exceptions = Array.from(
        { length: 200 },
        (_, i) =>
          `  - { cve: CVE-2024-${1000 + i}, repositories: *web, expires: 2099-01-01, owner: *owner, reason: r }`,
      );
      const config = parseConfig(
        [
          'version: 1',
          'applications: [{ name: web }]',
          'repositoryGroups:',
          '  - { name: web, repositories: &web [web-dev, web-staging, web-prod] }',
          'alerts: { email: [&owner sec@example.com] }',
          'exceptions:',
          ...exceptions,
          '',
        ].join('\n'),
      );

      expect(config.exceptions).toHaveLength(200);
      expect(config.exceptions[199]?.repositories).toEqual(['web-dev', 'web-staging', 'web-prod']);
    });
  });

  describe('nesting', () => {
    it.each([
      ['flow', (depth: number) => `version: 1\nx: ${'['.repeat(depth)}${']'.repeat(depth)}\n`],
      ['block', (depth: number) => `version: 1\nx:\n${'- '.repeat(depth)}a\n`],
      [
        'indented block',
        (depth: number) =>
          `version: 1\nx:\n${Array.from({ length: depth }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} a\n`,
      ],
    ])('reports %s nesting past the limit as a depth error with its line', (_shape, nest) => {
      // The document's top-level mapping is the first level.
      expect(problemsOf(nest(CONFIG_LIMITS.maxDepth - 1))[0]?.message).toMatch(/^unknown key "x"/);

      const problems = problemsOf(nest(CONFIG_LIMITS.maxDepth));

      expect(problems).toEqual([
        { path: '(yaml)', line: expect.any(Number), message: 'nested more than 64 levels deep; at most 64' },
      ]);
      expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
    });

    it('reports 100,000 levels the same way instead of overflowing the stack', () => {
      const problems = problemsOf(`version: 1\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);

      expect(problems).toEqual([
        { path: '(yaml)', line: 2, message: 'nested more than 64 levels deep; at most 64' },
      ]);
    });
  });

  describe('keys and documents', () => {
    it('names a key that appears twice in a mapping, with both lines', () => {
      const problems = problemsOf('version: 1\napplications:\n  - name: a\n    name: b\nversion: 1\n');

      expect(problems).toEqual([
        {
          path: 'applications[0].name',
          line: 4,
          message: 'key appears more than once in this mapping (first on line 3)',
        },
        { path: 'version', line: 5, message: 'key appears more than once in this mapping (first on line 1)' },
      ]);
    });

    it('refuses a second YAML document', () => {
      expect(problemsOf('version: 1\n---\nversion: 1\n')).toEqual([
        {
          path: '(yaml)',
          line: 2,
          message: 'a second YAML document (after ---); the configuration is one document',
        },
      ]);
    });
  });

  describe('what is printed', () => {
    it('prints at most 50 problems and says how many more there are', () => {
      // Each key is both unknown and given twice: 2000 problems, found in one pass.
      const text = `version: 1\n${Array.from({ length: 1000 }, (_, i) => `k${i}: 1\nk${i}: 2\n`).join('')}`;
      const problems = problemsOf(text);

      const printed = formatProblems(problems).split('\n');

      expect(problems).toHaveLength(2000);
      expect(printed).toHaveLength(51);
      expect(printed.at(-1)).toBe('  … and 1950 more problems');
    });

    it('cuts a long problem short and says how long it was', () => {
      const printed = formatProblems([{ path: 'x', message: 'y'.repeat(100_000) }]);

      expect(printed).toBe(`  x: ${'y'.repeat(200)}… (100000 characters)`);
    });
  });

  it('marks a missing file as unreadable and an invalid one as not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-limits-'));

    const missing = await loadConfig(join(dir, 'absent.yml')).catch((e: unknown) => e);

    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).unreadable).toBe(true);
    expect((await loadError('version: 2\n')).unreadable).toBe(false);
  });
});
