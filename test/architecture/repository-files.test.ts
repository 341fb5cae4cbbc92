import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';

/** The files around the code that users and packagers read first: they must say what package.json says. */
describe('repository files', () => {
  it('ships the license text package.json names', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { license?: string };
    expect(pkg.license).toBe('Apache-2.0');
    const license = readFileSync(join(PROJECT_ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
  });

  it('.gitignore ignores no file that git tracks', () => {
    // git itself answers: tracked files (-c) that the ignore rules (-i --exclude-standard) would exclude.
    const ignoredButTracked = execFileSync('git', ['ls-files', '-ci', '--exclude-standard'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    expect(ignoredButTracked.split('\n').filter(Boolean)).toEqual([]);
  });
});
