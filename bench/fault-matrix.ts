/**
 * Fault matrix (issue #8): for each cell of service × action × rate × error, images (failing and passing, in
 * `*-prod` repositories that enforce `untag latest`) are scanned while the sandbox injects the fault into the
 * calls on-scan-completed makes; every event ends handled or on the onFailure queue after Lambda's 3 attempts;
 * then the fault is removed and the onFailure records are replayed. Per cell it counts verdicts stored right,
 * verdict alerts against verdict changes (exactly one per change), duplicates, events lost (no verdict and no
 * onFailure record), images deleted (must be 0) and onFailure records, and prints them as a table with the
 * promises each cell broke. Exit 1 when any cell broke one.
 *
 *   npx tsx bench/fault-matrix.ts [--images 6] [--errors both|throttling|503]
 */
import { parseArgs } from 'node:util';
import {
  type CellResult,
  cellLabel,
  type FaultCell,
  matrixTable,
  startFaultMatrix,
} from '../test/support/fault-matrix.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '6' },
    errors: { type: 'string', default: 'both' },
  },
});
const IMAGES = Math.max(3, Number(values.images));

/** What on-scan-completed calls that can fail after (or before) it decides to alert. */
const ACTIONS: ReadonlyArray<Pick<FaultCell, 'service' | 'action'>> = [
  { service: 'ecr', action: 'DescribeImageScanFindings' },
  { service: 'ecr', action: 'BatchDeleteImage' },
  { service: 'ecr', action: 'PutImage' },
  { service: 'dynamodb', action: 'BatchWriteItem' },
  { service: 'dynamodb', action: 'UpdateItem' },
  { service: 'sns', action: 'Publish' },
];
const ERRORS: ReadonlyArray<Pick<FaultCell, 'error' | 'status'>> = [
  ...(values.errors === '503' ? [] : [{ error: 'ThrottlingException' }]),
  ...(values.errors === 'throttling' ? [] : [{ status: 503 }]),
];

const cells: FaultCell[] = ACTIONS.flatMap((action) =>
  [0.2, 1].flatMap((rate) => ERRORS.map((error) => ({ ...action, rate, ...error }))),
);

const matrix = await startFaultMatrix();
const results: CellResult[] = [];
const started = performance.now();
try {
  for (const cell of cells) {
    const result = await matrix.run(cell, IMAGES);
    results.push(result);
    process.stderr.write(
      `${cellLabel(cell)}: ${result.broken.length === 0 ? 'kept' : result.broken.join('; ')}\n`,
    );
  }
} finally {
  await matrix.stop();
}
const brokenCells = results.filter((r) => r.broken.length > 0);
process.stdout.write(
  [
    `fault matrix: ${cells.length} cells × ${IMAGES} images (${Math.ceil((IMAGES * 2) / 3)} failing), ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s`,
    "  calls: the handlers' calls to the faulted action under the fault; judged@fault: verdicts stored before " +
      'any replay; alerts: verdict alerts (email), one per change expected; enf.alerts: enforcement-failed alerts',
    matrixTable(results),
    brokenCells.length === 0
      ? 'every cell kept every promise: one alert per change, 0 lost, 0 images deleted'
      : `${brokenCells.length} cell(s) broke a promise: ${brokenCells.map((r) => cellLabel(r.cell)).join(', ')}`,
    '',
  ].join('\n'),
);
if (brokenCells.length > 0) process.exitCode = 1;
