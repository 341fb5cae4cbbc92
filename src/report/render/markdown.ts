/**
 * The report as Markdown: the same facts as the HTML page, as tables (the chart as a table of daily counts).
 * Values are escaped for a table cell, and `<`/`>`/`&` as entities: many Markdown viewers pass raw HTML through.
 */
import { humanBytes, usd } from '../../shared/units.ts';
import type { ReportModel } from '../domain/model.ts';

/** A value as the text of one table cell: one line, no cell break, no markup. */
export function mdCell(value: string | number | null): string {
  if (value === null) return '—';
  return String(value)
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([|`*_[\]])/g, '\\$1')
    .replace(/\r?\n/g, ' ');
}

/** A Markdown table; rows for which `strong` says so have every cell in bold. */
function table(
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
  strong: (row: number) => boolean = () => false,
): string {
  if (rows.length === 0) return '';
  const line = (cells: readonly (string | number | null)[], bold = false) =>
    `| ${cells.map((cell) => (bold ? `**${mdCell(cell)}**` : mdCell(cell))).join(' | ')} |`;
  return `${[line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((r, i) => line(r, strong(i)))].join('\n')}\n`;
}

function when(iso: string | null): string {
  return iso === null ? '—' : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

const CELL = { pass: 'pass', drift: 'DRIFT', fixed: 'fixed', unknown: 'unknown' } as const;

/** The report as a Markdown document. */
export function renderMarkdown(model: ReportModel): string {
  const c = model.compliance;
  const out: string[] = [];
  out.push(
    `# ECR audit report\n\nRegistry ${mdCell(model.registryId)}, generated ${when(model.generatedAt)}; history since ` +
      `${when(model.since)} (${model.windowDays} days).\n`,
  );

  out.push(
    `## Compliance: repositories × checks\n\n${c.summary.repositories} repositories, ${c.summary.checks} checks: ` +
      `${c.summary.pass} pass, ${c.summary.drift} drift, ${c.summary.fixed} fixed, ${c.summary.unknown} unknown.\n`,
  );
  out.push(
    table(
      ['repository', 'group', ...c.checks],
      c.repositories.map((r) => [
        r.repositoryName,
        r.group,
        ...c.checks.map((id) => {
          const f = r.findings.find((x) => x.controlId === id);
          return f ? CELL[f.status] : '—';
        }),
      ]),
    ),
  );
  out.push(
    table(
      ['registry item', 'check', 'status'],
      c.registry.map((f) => [f.item, f.controlId, CELL[f.status]]),
    ),
  );
  const open = [
    ...c.repositories.flatMap((r) => r.findings.map((f) => ({ subject: r.repositoryName, f }))),
    ...c.registry.map((f) => ({ subject: `registry: ${f.item}`, f })),
  ].filter(({ f }) => f.status !== 'pass');
  if (open.length > 0) {
    out.push('### Drift, fixes and unknowns\n');
    out.push(
      table(
        ['subject', 'check', 'status', 'expected', 'actual', 'fix (or why unknown)'],
        open.map(({ subject, f }) => [
          subject,
          f.controlId,
          CELL[f.status],
          f.expected,
          [f.actual, ...f.details].join('; '),
          f.status === 'unknown' ? f.error : f.fix,
        ]),
      ),
    );
  }

  out.push('## Latest scan verdict per repository\n');
  out.push(
    table(
      [
        'repository',
        'verdict',
        'tags',
        'digest',
        'scanned',
        'findings',
        'blocking',
        'images PASS/FAIL/ERROR',
      ],
      model.verdicts.repositories.map((r) => [
        r.repositoryName,
        r.status,
        r.imageTags.join(', ') || 'untagged',
        r.imageDigest,
        when(r.scannedAt),
        Object.entries(r.findings)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ') || 'none',
        r.blocking.join(', ') || '—',
        `${r.images.PASS}/${r.images.FAIL}/${r.images.ERROR}`,
      ]),
    ) || 'No stored verdicts.\n',
  );
  if (model.verdicts.withoutVerdict.length > 0)
    out.push(`No verdict stored for: ${model.verdicts.withoutVerdict.map(mdCell).join(', ')}.\n`);

  const e = model.exceptions;
  out.push(
    `## Open CVE exceptions\n\n${e.open.length} open, ${e.open.filter((x) => x.expiringSoon).length} expiring ` +
      `within ${model.expiryWarningDays} days (**bold**); ${e.expired} expired.\n`,
  );
  out.push(
    table(
      ['CVE', 'repositories', 'expires', 'days left', 'owner', 'reason', 'ticket'],
      e.open.map((x) => [
        x.cve,
        x.repositories.join(', '),
        x.expires,
        x.daysLeft,
        x.owner,
        x.reason,
        x.ticket,
      ]),
      (i) => e.open[i]?.expiringSoon === true,
    ),
  );

  out.push(`## Promotions of the last ${model.windowDays} days\n`);
  if (model.promotions.truncated)
    out.push(
      `Only the newest ${model.promotions.items.length} promotions are listed: older ones are missing.\n`,
    );
  out.push(
    table(
      ['requested', 'app', 'version', 'from', 'to', 'status', 'gate', 'requested by', 'decided by', 'digest'],
      model.promotions.items.map((p) => [
        when(p.requestedAt),
        p.app,
        p.version,
        p.from,
        p.to,
        p.status,
        p.gate,
        p.requestedBy,
        p.decidedBy,
        p.digest,
      ]),
    ) || 'No promotions.\n',
  );

  const k = model.cleanup;
  out.push(
    `## Cleanup savings (last ${model.windowDays} days)\n\nReclaimed **${humanBytes(k.reclaimed.bytes)}** ` +
      `(${k.reclaimed.bytes} bytes, ${k.reclaimed.images} images), saving **${usd(k.reclaimed.monthlyUsd)}/month**, ` +
      `in ${k.reclaimed.runs} runs; dry runs found ${humanBytes(k.identified.bytes)} ` +
      `(${usd(k.identified.monthlyUsd)}/month) in ${k.identified.runs} runs.\n`,
  );
  out.push(
    table(
      ['started', 'run', 'trigger', 'mode', 'repositories', 'images deleted', 'bytes', '$/month', 'failures'],
      k.runs.map((r) => [
        when(r.startedAt),
        r.runId,
        r.trigger,
        `${r.dryRun ? 'dry run' : 'applied'}${r.complete ? '' : ' (incomplete)'}`,
        r.repositories,
        r.deletedImages,
        r.bytes,
        usd(r.monthlyUsd),
        r.failures,
      ]),
    ) || 'No cleanup runs.\n',
  );

  const chart = model.findingsOverTime;
  out.push(
    '## Findings by severity over time\n\nPer day, every image’s latest scan by the end of that day (before exceptions), summed.\n',
  );
  out.push(
    table(
      ['day', ...chart.series.map((s) => s.severity)],
      chart.days.map((day, i) => [day, ...chart.series.map((s) => s.counts[i] ?? 0)]),
    ),
  );
  return `${out.filter((part) => part !== '').join('\n')}`;
}
