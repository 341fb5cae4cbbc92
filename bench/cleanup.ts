/**
 * Cleanup benchmark (issue #10).
 *
 * (a) The pure engine: planRepository on 100,000 synthetic images x a 10-rule policy, in a child process of its
 *     own (time: median of several runs; RSS: the kernel's high-water mark), then the offline CLI end to end on a
 *     100,000-image `aws ecr describe-images` snapshot, with startup measured apart (bench/cleanup-engine.ts).
 * (b) The sandbox: 20 repositories x 2,500 images, most of them old untagged ones that the repositories' own
 *     lifecycle policy expires. Ours (planCleanup + applyRepositoryPlan, what `cleanup apply` runs) against the
 *     usual script (list untagged images, one `batch-delete-image` per image): the AWS CLI on a sample, timed
 *     and extrapolated, and the SDK one image per call on the full set. Each side runs in a fresh sandbox
 *     started here from the same seeded state (bench/cleanup-sandbox.ts).
 *
 *   npm run bench:cleanup
 *   npx tsx bench/cleanup.ts [--images 100000] [--runs 7] [--cli-runs 3] [--repositories 20]
 *                            [--per-repository 2500] [--cli-sample 30] [--only engine|sandbox]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// The lockfile pins SDK versions that support Node 20; its notice about 2027 releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '7' },
      'cli-runs': { type: 'string', default: '3' },
      repositories: { type: 'string', default: '20' },
      'per-repository': { type: 'string', default: '2500' },
      'cli-sample': { type: 'string', default: '30' },
      only: { type: 'string' },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-cleanup-'));
  const started = performance.now();
  try {
    const lines: string[] = [];
    if (values.only !== 'sandbox') {
      const { engineBench } = await import('./cleanup-engine.ts');
      lines.push(
        ...(await engineBench({
          dir,
          images: Number(values.images),
          runs: Number(values.runs),
          cliRuns: Number(values['cli-runs']),
        })),
      );
      process.stderr.write(`${lines.join('\n')}\n\n`);
    }
    if (values.only !== 'engine') {
      const { sandboxBench } = await import('./cleanup-sandbox.ts');
      const sandboxLines = await sandboxBench({
        dir,
        repositories: Number(values.repositories),
        perRepository: Number(values['per-repository']),
        cliSample: Number(values['cli-sample']),
      });
      if (lines.length > 0) lines.push('');
      lines.push(...sandboxLines);
    }
    console.log(`\n${lines.join('\n')}`);
    console.log(`\n(benchmark ran ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
