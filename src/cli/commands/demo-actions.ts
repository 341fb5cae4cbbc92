/** What `ecr-sentinel demo` does (declared in demo.ts): the scenario on a sandbox of its own, then its report. */
import { loadConfigOrThrow } from '../../config/load-or-report.ts';
import { formatCleanupChapter } from '../../demo/cleanup-chapter.ts';
import { formatPromotionChapter } from '../../demo/promotion-chapter.ts';
import { type DemoReport, runDemoScenario } from '../../demo/run-demo.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { EXIT, runCommand, UsageError } from '../../shared/cli.ts';
import { PROJECT_ROOT, SERVERLESS_FILE } from '../../shared/project-root.ts';
import { loadTypeScript } from '../typescript.ts';
import type { DemoOptions } from './demo.ts';

/**
 * `demo`: boots the sandbox, runs the scenario, prints what happened, stops everything; exit 0. Errors as every
 * command's (runCommand): a bad --port, a missing (`not found`) or invalid config, no moto: exit 2.
 */
export function demoCommand(options: DemoOptions): Promise<void> {
  return runCommand(options, () => runDemo(options));
}

async function runDemo(options: DemoOptions): Promise<number> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: expected an integer from 0 to 65535, got "${options.port}"`);
  const config = await loadConfigOrThrow(options.config);
  const log = (line: string) => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };
  log('Starting the sandbox (ECR emulator + moto)…');
  // The local Lambda runtime imports handlers/*.ts.
  await loadTypeScript();
  const sandbox = await startSandbox({
    host: '127.0.0.1',
    port,
    quiet: true,
    scanDelayMs: 300,
    runtime: {
      serverlessFile: SERVERLESS_FILE,
      projectRoot: PROJECT_ROOT,
      stage: 'demo',
      configFile: options.config,
    },
  });
  // Ctrl-C must leave nothing behind: stop the sandbox (and with it moto) before exiting.
  const onSignal = (signal: NodeJS.Signals) => {
    void sandbox.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`sandbox ready on ${sandbox.url}`);
    const report = await runDemoScenario(sandbox.url, config);
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      printReport(report);
      if (report.promotion)
        process.stdout.write(formatPromotionChapter(report.promotion, config.environments[0]?.name));
      if (report.cleanup) process.stdout.write(formatCleanupChapter(report.cleanup));
    }
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sandbox.stop();
    log('Sandbox stopped.');
  }
}

function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** One line about what a function did, from its summary object. */
function describeInvocation(i: DemoReport['invocations'][number]): string {
  if (!i.ok) return `FAILED ${JSON.stringify(i.error)}`;
  const r = (i.result ?? {}) as Record<string, unknown>;
  const image = `${r.repositoryName ?? ''}@${shortDigest(String(r.imageDigest ?? ''))}`;
  switch (i.function) {
    case 'onImagePushed':
      return `${image} ${r.outcome}, scan: ${r.scan}`;
    case 'onScanCompleted':
      return `${image} ${r.status ?? r.outcome}, alert: ${r.alert}`;
    case 'notifySlack':
      return `${image} ${r.outcome} (${r.status} ${r.kind})`;
    default:
      return JSON.stringify(r);
  }
}

function printReport(report: DemoReport): void {
  const out: string[] = [];
  out.push('', `Repositories created (${report.repositories.length}):`);
  for (const r of report.repositories)
    out.push(`  ${r.repositoryName}${r.scanOnPush ? '  (scan on push)' : ''}`);
  out.push('', 'Images pushed (blobs through the layer APIs, then PutImage):');
  for (const p of report.pushes) {
    out.push(
      `  ${p.repositoryName}:${p.imageTag}  ${shortDigest(p.imageDigest)}  (${p.blobsUploaded} blobs uploaded)`,
    );
  }
  out.push('', `Functions invoked by the pipeline (${report.invocations.length}):`);
  for (const i of report.invocations) out.push(`  ${i.trigger} -> ${i.function}: ${describeInvocation(i)}`);
  out.push('', `Inventory (DynamoDB ${report.inventoryTable}):`);
  for (const row of report.inventory) {
    out.push(
      `  ${row.repositoryName}  ${shortDigest(row.imageDigest)}  [${row.tags.join(', ')}]  ${row.sizeInBytes} bytes`,
    );
  }
  out.push('', 'Scans:');
  for (const s of report.scans) {
    const counts = Object.entries(s.severityCounts)
      .map(([severity, n]) => `${n} ${severity}`)
      .join(', ');
    out.push(`  ${s.repositoryName}@${shortDigest(s.imageDigest)}  ${s.status}  ${counts || 'no findings'}`);
  }
  out.push('', 'Scan gate verdicts (stored by digest):');
  for (const v of report.verdicts) {
    const blocking = v.blocking.length ? `  blocking: ${v.blocking.join(', ')}` : '';
    out.push(`  ${v.repositoryName}:${v.imageTag}  ${v.status}  ${v.reason}${blocking}`);
  }
  out.push('', `Alerts sent: ${report.alerts.email.length} email, ${report.alerts.slack.length} Slack`);
  if (report.alerts.others.length > 0) {
    out.push(
      `  (and ${report.alerts.others.length} compliance alert email(s) so far: the compliance functions checked the`,
      '   repositories the demo created against the config; `npx ecr-sentinel audit` lists the same drift)',
    );
    for (const subject of report.alerts.others) out.push(`  --- ${subject}`);
  }
  for (const mail of report.alerts.email) {
    out.push(`  --- email to ${mail.to}: ${mail.subject}`);
    for (const line of mail.message.split('\n')) out.push(`  | ${line}`);
  }
  for (const post of report.alerts.slack)
    out.push(`  --- Slack (${post.blocks} Block Kit blocks): ${post.text}`);
  out.push('', 'What ECR holds now:');
  for (const i of report.images) {
    out.push(
      `  ${i.repositoryName}  ${shortDigest(i.imageDigest)}  [${i.imageTags.join(', ')}]  ${i.imageSizeInBytes} bytes`,
    );
  }
  out.push('', `ECR events that reached EventBridge (${report.events.length}):`);
  for (const e of report.events) {
    const d = e.detail;
    const what =
      e.detailType === 'ECR Image Action'
        ? `${d['action-type']} ${d['repository-name']}:${d['image-tag'] ?? '(untagged)'} ${d.result}`
        : `${d['scan-status']} ${d['repository-name']} ${JSON.stringify(d['finding-severity-counts'] ?? {})}`;
    out.push(`  ${e.source}  ${e.detailType}  ${what}`);
  }
  out.push('');
  process.stdout.write(out.join('\n'));
}
