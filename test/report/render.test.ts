import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/domain/build.ts';
import { reportSchema } from '../../src/report/domain/model.ts';
import { renderHtml } from '../../src/report/render/html.ts';
import { renderJson } from '../../src/report/render/json.ts';
import { mdCell, renderMarkdown } from '../../src/report/render/markdown.ts';
import { escapeHtml, html } from '../../src/report/render/markup.ts';
import { evaluation, exception, HOSTILE, reportInput } from './fixtures.ts';

const model = buildReport(reportInput());

/** A model whose every free text from ECR, the table and the config is hostile. */
const hostile = buildReport(
  reportInput({
    evaluations: [
      evaluation({ imageTags: [HOSTILE], reason: HOSTILE, blocking: { ids: [HOSTILE] }, status: 'FAIL' }),
      evaluation({ repositoryName: HOSTILE }),
    ],
    exceptions: [exception({ cve: HOSTILE, reason: HOSTILE, owner: HOSTILE, expires: '2026-12-01' })],
  }),
);

describe('JSON rendering', () => {
  it('is the model, in the documented shape, with its format and version', () => {
    const text = renderJson(model);

    expect(text.endsWith('}\n')).toBe(true);
    const parsed = reportSchema.parse(JSON.parse(text));
    expect(parsed).toEqual(model);
    expect(Object.keys(parsed)).toEqual([
      'format',
      'version',
      'generatedAt',
      'registryId',
      'windowDays',
      'since',
      'expiryWarningDays',
      'compliance',
      'verdicts',
      'exceptions',
      'promotions',
      'cleanup',
      'findingsOverTime',
    ]);
    expect(parsed).toMatchObject({ format: 'ecr-sentinel-report', version: 1 });
  });
});

describe('Markdown rendering', () => {
  const text = renderMarkdown(model);

  it('has a table per section: checks, verdicts, exceptions, promotions, cleanup runs, findings per day', () => {
    expect(text).toMatch(/^\| repository \| group \| scanning \| tag-mutability \|$/m);
    expect(text).toMatch(/^\| orders-web \| services \| DRIFT \| DRIFT \|$/m);
    expect(text).toMatch(/^\| orders-web \| FAIL \| 1\.0\.0 \|/m);
    expect(text).toMatch(/^\| requested \| app \| version \|/m);
    expect(text).toMatch(
      /Reclaimed \*\*3\.0 GiB\*\* \(3221225472 bytes, 12 images\), saving \*\*\$0\.30\/month\*\*/,
    );
    expect(text).toMatch(/^\| day \| CRITICAL \| HIGH \| MEDIUM \| LOW \|$/m);
  });

  it('puts an exception expiring within 30 days in bold, and only that one', () => {
    expect(text).toMatch(/^\| \*\*CVE-2026-0010\*\* \| .* \| \*\*2026-12-08\*\* \| \*\*10\*\* \|/m);
    expect(text).toMatch(/^\| CVE-2026-0200 \| .* \| 2027-06-30 \| 214 \|/m);
  });

  it('escapes what would break a cell or become markup', () => {
    expect(mdCell('a|b\nc <script>')).toBe('a\\|b c &lt;script&gt;');
    const hostileText = renderMarkdown(hostile);
    expect(hostileText).not.toContain('<script>');
    expect(hostileText).not.toContain('<img');
  });
});

describe('HTML rendering', () => {
  const page = renderHtml(model);

  it('is one self-contained page: no script, nothing fetched, only in-page links', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).not.toMatch(/<script|<link|<iframe|<img|@import|url\(/i);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    for (const [, href] of page.matchAll(/href="([^"]*)"/g)) expect(href?.startsWith('#')).toBe(true);
  });

  it('shows drift cells with their fix, and the compliant ones as pass', () => {
    expect(page).toMatch(
      /<tr data-repository="orders-web"><th scope="row">orders-web<\/th><td>services<\/td><td class="status status-drift" data-status="drift" title="fix: [^"]+">DRIFT<\/td>/,
    );
    expect(page).toMatch(/<tr data-repository="orders-api">.*status-pass/);
  });

  it('highlights the exception expiring within 30 days and no other', () => {
    expect(page).toMatch(/<tr class="expiring" data-cve="CVE-2026-0010">.*expires in 10 days/);
    expect(page).toMatch(/<tr class="" data-cve="CVE-2026-0200">/);
  });

  it('shows the savings and one chart line per severity', () => {
    expect(page).toMatch(
      /<p id="savings">Reclaimed <b>3\.0 GiB<\/b> \(3,221,225,472 bytes, 12 images\), saving <b>\$0\.30\/month<\/b>/,
    );
    const lines = [...page.matchAll(/<polyline class="series" data-severity="([A-Z]+)"/g)].map((m) => m[1]);
    expect(lines).toEqual(model.findingsOverTime.series.map((s) => s.severity));
  });

  it('escapes every value from ECR, the table and the config: hostile text shows as text', () => {
    const hostilePage = renderHtml(hostile);

    expect(hostilePage).not.toMatch(/<script|<img/i);
    expect(hostilePage).toContain(escapeHtml(HOSTILE));
    expect(hostilePage).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;');
  });

  it('escapes interpolated values, in text and attributes, unless they are markup', () => {
    expect(html`<p title="${'"x" & y'}">${'<b>'}${html`<i>ok</i>`}${['<', '>']}${null}</p>`.text).toBe(
      '<p title="&quot;x&quot; &amp; y">&lt;b&gt;<i>ok</i>&lt;&gt;</p>',
    );
  });
});
