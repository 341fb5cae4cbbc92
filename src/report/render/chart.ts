/**
 * The findings-over-time chart as inline SVG: one polyline per severity, axes labelled with the first and last
 * day and the scale, a legend; no script, no external asset, readable in print.
 */
import type { ReportModel } from '../domain/model.ts';
import { html, type Markup } from './markup.ts';

const WIDTH = 760;
const HEIGHT = 280;
const MARGIN = { top: 16, right: 16, bottom: 36, left: 48 };

/** Stroke colour and dash per severity (dashes tell the lines apart without colour, e.g. printed). */
const STYLE: Readonly<Record<string, { colour: string; dash: string }>> = {
  CRITICAL: { colour: '#b3261e', dash: 'none' },
  HIGH: { colour: '#e8710a', dash: '8 3' },
  MEDIUM: { colour: '#b08900', dash: '4 3' },
  LOW: { colour: '#1a73e8', dash: '2 3' },
  INFORMATIONAL: { colour: '#5f6368', dash: '1 3' },
};
const OTHER = { colour: '#6a1b9a', dash: '12 3 2 3' };

/** The chart's colour for a severity (the legend and the tables use it too). */
export function severityColour(severity: string): string {
  return (STYLE[severity] ?? OTHER).colour;
}

/** A round top for the y axis, at least 1. */
function niceMax(max: number): number {
  if (max <= 1) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

/** The chart of `findingsOverTime` as an `<svg>` element with id `findings-chart`. */
export function findingsChart(chart: ReportModel['findingsOverTime']): Markup {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const top = niceMax(Math.max(0, ...chart.series.flatMap((s) => s.counts)));
  const n = chart.days.length;
  const x = (i: number) => MARGIN.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => MARGIN.top + plotH - (v / top) * plotH;
  const ticks = [0, top / 2, top];
  const first = chart.days[0] ?? '';
  const last = chart.days.at(-1) ?? '';
  const lines = chart.series.map((s) => {
    const style = STYLE[s.severity] ?? OTHER;
    const points = s.counts.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const now = s.counts.at(-1) ?? 0;
    return html`<polyline class="series" data-severity="${s.severity}" points="${points}" fill="none" stroke="${style.colour}" stroke-width="2" stroke-dasharray="${style.dash}"><title>${s.severity}: ${now} on ${last}</title></polyline>`;
  });
  return html`<svg id="findings-chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="findings-chart-title" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}">
<title id="findings-chart-title">Findings by severity per day, ${first} to ${last}</title>
<g class="axes" stroke="#c4c7c5" stroke-width="1">${ticks.map(
    (t) =>
      html`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/>`,
  )}</g>
<g class="labels" font-size="11" fill="#444" font-family="system-ui, sans-serif">${ticks.map(
    (t) =>
      html`<text x="${MARGIN.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${Number.isInteger(t) ? t : t.toFixed(1)}</text>`,
  )}<text x="${MARGIN.left}" y="${HEIGHT - 12}">${first}</text><text x="${WIDTH - MARGIN.right}" y="${HEIGHT - 12}" text-anchor="end">${last}</text></g>
${lines}
</svg>`;
}
