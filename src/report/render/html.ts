/**
 * The report as one self-contained HTML page for auditors: inline CSS, an inline SVG chart, no script, no external
 * asset (works offline from file://). Its Content-Security-Policy allows nothing but inline styles, so even markup
 * that escaped escaping (see markup.ts) could run no script and load nothing.
 */
import { humanBytes, usd } from '../../shared/units.ts';
import type { CheckResult, ReportModel } from '../domain/model.ts';
import { findingsChart, severityColour } from './chart.ts';
import { html, type Markup } from './markup.ts';

const CSS = `
:root { color-scheme: light; --drift: #fde7e9; --drift-ink: #8c1d18; --pass: #e6f4ea; --pass-ink: #137333;
  --fixed: #e8f0fe; --fixed-ink: #174ea6; --unknown: #fef7e0; --unknown-ink: #7a5a00; --line: #dadce0; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #202124; margin: 0 auto;
  max-width: 1200px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); }
.meta { color: #5f6368; margin: 0 0 16px; }
nav a { margin-right: 12px; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.figure { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 140px; }
.figure b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f1f3f4; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.status { font-weight: 600; text-align: center; white-space: nowrap; }
.status-pass, .verdict-PASS { background: var(--pass); color: var(--pass-ink); }
.status-drift, .verdict-FAIL { background: var(--drift); color: var(--drift-ink); }
.status-fixed { background: var(--fixed); color: var(--fixed-ink); }
.status-unknown, .verdict-ERROR { background: var(--unknown); color: var(--unknown-ink); }
tr.expiring td { background: #fff4e5; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; }
.badge.expiring { background: #e8710a; color: #fff; }
.muted { color: #5f6368; }
.legend span { margin-right: 14px; white-space: nowrap; }
.legend i { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin-right: 4px; }
#savings { font-size: 16px; }
@media print { nav { display: none; } body { padding: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
`;

/** `2026-11-28 04:22 UTC`. */
function when(iso: string | null): string {
  if (iso === null) return '—';
  const t = Date.parse(iso);
  return Number.isFinite(t) ? `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC` : iso;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const CELL: Readonly<Record<CheckResult['status'], string>> = {
  pass: 'pass',
  drift: 'DRIFT',
  fixed: 'fixed',
  unknown: 'unknown',
};

function statusCell(result: CheckResult | undefined): Markup {
  if (result === undefined) return html`<td class="status muted">—</td>`;
  const hint = result.status === 'drift' ? `fix: ${result.fix ?? '—'}` : (result.error ?? result.actual);
  return html`<td class="status status-${result.status}" data-status="${result.status}" title="${hint}">${CELL[result.status]}</td>`;
}

function complianceSection(model: ReportModel): Markup {
  const c = model.compliance;
  const rows = c.repositories.map(
    (r) =>
      html`<tr data-repository="${r.repositoryName}"><th scope="row">${r.repositoryName}</th><td>${r.group ?? '—'}</td>${c.checks.map((id) => statusCell(r.findings.find((f) => f.controlId === id)))}</tr>`,
  );
  const all = [
    ...c.repositories.flatMap((r) => r.findings.map((f) => ({ subject: r.repositoryName, f }))),
    ...c.registry.map((f) => ({ subject: `registry: ${f.item}`, f })),
  ];
  const open = all.filter(({ f }) => f.status !== 'pass');
  return html`<section id="compliance"><h2>Compliance: repositories × checks</h2>
<p>${plural(c.summary.repositories, 'repository', 'repositories')}, ${plural(c.summary.checks, 'check')}:
${c.summary.pass} pass, ${c.summary.drift} drift, ${c.summary.fixed} fixed, ${c.summary.unknown} unknown.</p>
${
  c.repositories.length === 0 || c.checks.length === 0
    ? html`<p class="muted">${c.repositories.length === 0 ? 'No repositories.' : 'No compliance checks configured (compliance: in sentinel.config.yml).'}</p>`
    : html`<table id="compliance-matrix"><thead><tr><th>repository</th><th>group</th>${c.checks.map((id) => html`<th class="status">${id}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`
}
${
  c.registry.length > 0
    ? html`<table id="registry-checks"><thead><tr><th>registry item</th><th>check</th><th>status</th></tr></thead><tbody>${c.registry.map(
        (f) => html`<tr><td>${f.item}</td><td>${f.controlId}</td>${statusCell(f)}</tr>`,
      )}</tbody></table>`
    : ''
}
${
  open.length > 0
    ? html`<h3>Drift, fixes and unknowns</h3><table id="drift"><thead><tr><th>subject</th><th>check</th><th>status</th><th>expected</th><th>actual</th><th>fix (or why unknown)</th></tr></thead><tbody>${open.map(
        ({ subject, f }) =>
          html`<tr><td>${subject}</td><td>${f.controlId}</td>${statusCell(f)}<td>${f.expected}</td><td>${f.actual}${
            f.details.length > 0 ? html`<ul>${f.details.map((d) => html`<li>${d}</li>`)}</ul>` : ''
          }</td><td>${f.status === 'unknown' ? (f.error ?? '—') : (f.fix ?? '—')}</td></tr>`,
      )}</tbody></table>`
    : ''
}</section>`;
}

function counts(findings: Readonly<Record<string, number>>): Markup {
  const entries = Object.entries(findings);
  if (entries.length === 0) return html`<span class="muted">none</span>`;
  return html`${entries.map(
    ([severity, n], i) =>
      html`${i > 0 ? ', ' : ''}<span style="color:${severityColour(severity)}">${n} ${severity}</span>`,
  )}`;
}

function verdictSection(model: ReportModel): Markup {
  const v = model.verdicts;
  return html`<section id="verdicts"><h2>Latest scan verdict per repository</h2>
${
  v.repositories.length === 0
    ? html`<p class="muted">No stored verdicts.</p>`
    : html`<table><thead><tr><th>repository</th><th>verdict</th><th>image</th><th>scanned</th><th>findings</th><th>blocking</th><th>images PASS / FAIL / ERROR</th></tr></thead><tbody>${v.repositories.map(
        (r) =>
          html`<tr data-repository="${r.repositoryName}"><th scope="row">${r.repositoryName}</th><td class="status verdict-${r.status}" title="${r.reason}">${r.status}</td><td><span class="mono">${r.imageTags.join(', ') || 'untagged'}</span><br><code>${r.imageDigest}</code></td><td>${when(r.scannedAt)}</td><td>${counts(r.findings)}<br><span class="muted">${r.reason}</span></td><td class="mono">${r.blocking.join(', ') || '—'}</td><td class="num">${r.images.PASS} / ${r.images.FAIL} / ${r.images.ERROR}</td></tr>`,
      )}</tbody></table>`
}
${v.withoutVerdict.length > 0 ? html`<p class="muted">No verdict stored for: ${v.withoutVerdict.join(', ')}.</p>` : ''}</section>`;
}

function exceptionSection(model: ReportModel): Markup {
  const e = model.exceptions;
  const soon = e.open.filter((x) => x.expiringSoon).length;
  return html`<section id="exceptions"><h2>Open CVE exceptions</h2>
<p>${plural(e.open.length, 'open exception')}${soon > 0 ? html`, <b>${soon} expiring within ${model.expiryWarningDays} days</b>` : ''}${e.expired > 0 ? `; ${e.expired} expired (no longer applied)` : ''}.</p>
${
  e.open.length === 0
    ? ''
    : html`<table id="exception-table"><thead><tr><th>CVE</th><th>repositories</th><th>expires</th><th>owner</th><th>reason</th><th>ticket</th></tr></thead><tbody>${e.open.map(
        (x) =>
          html`<tr class="${x.expiringSoon ? 'expiring' : ''}" data-cve="${x.cve}"><td class="mono">${x.cve}</td><td class="mono">${x.repositories.join(', ')}</td><td>${x.expires} ${
            x.expiringSoon
              ? html`<span class="badge expiring">${x.daysLeft === 0 ? 'last day today' : `expires in ${plural(x.daysLeft, 'day')}`}</span>`
              : html`<span class="muted">(${plural(x.daysLeft, 'day')})</span>`
          }</td><td>${x.owner}</td><td>${x.reason}</td><td>${x.ticket ?? '—'}</td></tr>`,
      )}</tbody></table>`
}</section>`;
}

function promotionSection(model: ReportModel): Markup {
  const p = model.promotions;
  return html`<section id="promotions"><h2>Promotions of the last ${model.windowDays} days</h2>
${p.truncated ? html`<p><b>Only the newest ${p.items.length} promotions are listed: older ones of the period are missing.</b></p>` : ''}
${
  p.items.length === 0
    ? html`<p class="muted">No promotions since ${when(model.since)}.</p>`
    : html`<table><thead><tr><th>requested</th><th>app</th><th>version</th><th>from → to</th><th>status</th><th>gate</th><th>requested by</th><th>approved / rejected by</th><th>digest</th></tr></thead><tbody>${p.items.map(
        (x) =>
          html`<tr><td>${when(x.requestedAt)}</td><td>${x.app}</td><td class="mono">${x.version}</td><td>${x.from} → ${x.to}</td><td>${x.status}</td><td class="status verdict-${x.gate}">${x.gate}</td><td>${x.requestedBy}</td><td>${x.decidedBy ?? '—'}</td><td><code>${x.digest}</code></td></tr>`,
      )}</tbody></table>`
}</section>`;
}

function cleanupSection(model: ReportModel): Markup {
  const c = model.cleanup;
  return html`<section id="cleanup"><h2>Cleanup savings (last ${model.windowDays} days)</h2>
<p id="savings">Reclaimed <b>${humanBytes(c.reclaimed.bytes)}</b> (${c.reclaimed.bytes.toLocaleString('en-US')} bytes, ${plural(c.reclaimed.images, 'image')}), saving <b>${usd(c.reclaimed.monthlyUsd)}/month</b>, in ${plural(c.reclaimed.runs, 'run')}.${
    c.identified.runs > 0
      ? html` Dry runs found ${humanBytes(c.identified.bytes)} more (${usd(c.identified.monthlyUsd)}/month) in ${plural(c.identified.runs, 'run')}.`
      : ''
  }</p>
${
  c.runs.length === 0
    ? html`<p class="muted">No cleanup runs since ${when(model.since)}.</p>`
    : html`<table><thead><tr><th>started</th><th>run</th><th>trigger</th><th>mode</th><th class="num">repositories</th><th class="num">images deleted</th><th class="num">bytes</th><th class="num">$/month</th><th class="num">failures</th></tr></thead><tbody>${c.runs.map(
        (r) =>
          html`<tr><td>${when(r.startedAt)}</td><td class="mono">${r.runId}</td><td>${r.trigger}</td><td>${r.dryRun ? 'dry run' : 'applied'}${r.complete ? '' : ' (incomplete)'}</td><td class="num">${r.repositories}</td><td class="num">${r.deletedImages}</td><td class="num" title="${r.bytes} bytes">${humanBytes(r.bytes)}</td><td class="num">${usd(r.monthlyUsd)}</td><td class="num">${r.failures}</td></tr>`,
      )}</tbody></table>`
}</section>`;
}

function chartSection(model: ReportModel): Markup {
  const chart = model.findingsOverTime;
  return html`<section id="findings"><h2>Findings by severity over time</h2>
<p class="muted">Per day, every image's latest scan by the end of that day (before exceptions), summed.</p>
${findingsChart(chart)}
<p class="legend">${chart.series.map((s) => html`<span data-severity="${s.severity}"><i style="background:${severityColour(s.severity)}"></i>${s.severity} (${s.counts.at(-1) ?? 0} now)</span>`)}</p>
<details><summary>The figures</summary><table><thead><tr><th>day</th>${chart.series.map((s) => html`<th class="num">${s.severity}</th>`)}</tr></thead><tbody>${chart.days.map(
    (day, i) =>
      html`<tr><td>${day}</td>${chart.series.map((s) => html`<td class="num">${s.counts[i] ?? 0}</td>`)}</tr>`,
  )}</tbody></table></details></section>`;
}

/** The report as a self-contained HTML document. */
export function renderHtml(model: ReportModel): string {
  const failing = model.verdicts.repositories.filter((r) => r.status !== 'PASS').length;
  const expiring = model.exceptions.open.filter((e) => e.expiringSoon).length;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ECR audit report, registry ${model.registryId}, ${model.generatedAt.slice(0, 10)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>ECR audit report</h1>
<p class="meta">Registry <span class="mono">${model.registryId}</span> · generated ${when(model.generatedAt)} · history since ${when(model.since)} (${model.windowDays} days) · by ecr-sentinel report</p>
<nav><a href="#compliance">Compliance</a><a href="#verdicts">Verdicts</a><a href="#exceptions">Exceptions</a><a href="#promotions">Promotions</a><a href="#cleanup">Cleanup</a><a href="#findings">Findings over time</a></nav>
<div class="figures">
<div class="figure"><b>${model.compliance.summary.drift}</b>drift of ${plural(model.compliance.summary.checks, 'check')}</div>
<div class="figure"><b>${failing}</b>${failing === 1 ? 'repository' : 'repositories'} whose latest verdict is not PASS</div>
<div class="figure"><b>${expiring}</b>${expiring === 1 ? 'exception' : 'exceptions'} expiring within ${model.expiryWarningDays} days</div>
<div class="figure"><b>${model.promotions.items.length}</b>${model.promotions.items.length === 1 ? 'promotion' : 'promotions'}</div>
<div class="figure"><b>${humanBytes(model.cleanup.reclaimed.bytes)}</b>reclaimed (${usd(model.cleanup.reclaimed.monthlyUsd)}/month)</div>
</div></header>
<main>
${complianceSection(model)}
${verdictSection(model)}
${exceptionSection(model)}
${promotionSection(model)}
${cleanupSection(model)}
${chartSection(model)}
</main>
</body>
</html>
`.text;
}
