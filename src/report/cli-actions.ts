/**
 * What `report` does (declared in cli.ts): check the output first (so a long read never ends in an unwritable
 * file), gather and build the report, render it and write it in one rename (a reader never sees half a report).
 */
import { constants } from 'node:fs';
import { access, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { loadConfigOrThrow } from '../config/load-or-report.ts';
import { awsClientBase, commandTableName, EXIT, runCommand, UsageError, writeJson } from '../shared/cli.ts';
import { humanBytes } from '../shared/units.ts';
import { REPORT_FORMATS, type ReportOptions } from './cli.ts';
import { composeReportSources } from './compose.ts';
import type { ReportModel } from './domain/model.ts';
import { gatherReport } from './gather.ts';
import { renderHtml } from './render/html.ts';
import { renderJson } from './render/json.ts';
import { renderMarkdown } from './render/markdown.ts';

type Format = (typeof REPORT_FORMATS)[number];

const RENDER: Readonly<Record<Format, (model: ReportModel) => string>> = {
  html: renderHtml,
  json: renderJson,
  md: renderMarkdown,
};

function isFormat(value: string): value is Format {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

/**
 * Why `path` can't be written, or undefined when it can: its directory exists and is writable, and it is not a
 * directory or a read-only file.
 */
async function outProblem(path: string): Promise<string | undefined> {
  const why = (error: unknown) => (error instanceof Error ? error.message : String(error));
  try {
    const dir = await stat(dirname(path));
    if (!dir.isDirectory()) return `--out: cannot write ${path}: ${dirname(path)} is not a directory`;
    await access(dirname(path), constants.W_OK);
  } catch (error) {
    return `--out: cannot write ${path}: ${why(error)}`;
  }
  try {
    const existing = await stat(path);
    if (existing.isDirectory()) return `--out: cannot write ${path}: it is a directory`;
    await access(path, constants.W_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      return `--out: cannot write ${path}: ${why(error)}`;
  }
  return undefined;
}

/** Write `text` to `path` through a temporary file beside it and a rename. */
async function writeWhole(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new UsageError(
      `--out: cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** `report`: exit 0 written; 2 bad usage, an invalid config or an AWS error. */
export function reportCommand(options: ReportOptions): Promise<void> {
  return runCommand(
    options,
    async () => {
      if (!isFormat(options.format))
        throw new UsageError(
          `--format: unknown format "${options.format}" (expected ${REPORT_FORMATS.join(', ')})`,
        );
      const format = options.format;
      const out = resolve(options.out);
      const problem = await outProblem(out);
      if (problem) throw new UsageError(problem);
      const config = await loadConfigOrThrow(options.config);
      const composed = composeReportSources({
        base: await awsClientBase(options),
        tableName: commandTableName(options),
      });
      try {
        const model = await gatherReport(
          composed.sources,
          {
            compliance: config.compliance,
            repositoryGroups: config.repositoryGroups,
            exceptions: config.exceptions,
          },
          new Date(),
        );
        const text = RENDER[format](model);
        await writeWhole(out, text);
        const counts = {
          repositories: model.compliance.summary.repositories,
          drift: model.compliance.summary.drift,
          unknown: model.compliance.summary.unknown,
          verdicts: model.verdicts.repositories.length,
          failingVerdicts: model.verdicts.repositories.filter((r) => r.status !== 'PASS').length,
          openExceptions: model.exceptions.open.length,
          expiringExceptions: model.exceptions.open.filter((e) => e.expiringSoon).length,
          promotions: model.promotions.items.length,
          cleanupRuns: model.cleanup.runs.length,
          bytesReclaimed: model.cleanup.reclaimed.bytes,
          monthlySavingsUsd: model.cleanup.reclaimed.monthlyUsd,
        };
        const bytes = Buffer.byteLength(text);
        if (options.json) writeJson({ out, format, bytes, generatedAt: model.generatedAt, counts });
        else
          process.stdout.write(
            `wrote ${out} (${format}, ${humanBytes(bytes)}): ${counts.repositories} repositories, ` +
              `${counts.drift} drift, ${counts.verdicts} verdicts (${counts.failingVerdicts} not PASS), ` +
              `${counts.openExceptions} open exceptions (${counts.expiringExceptions} expiring within ` +
              `${model.expiryWarningDays} days), ${counts.promotions} promotions, ${counts.cleanupRuns} cleanup runs\n`,
          );
        return EXIT.ok;
      } finally {
        composed.destroy();
      }
    },
    (error) =>
      error instanceof ResourceNotFoundException
        ? {
            type: error.name,
            message: `table ${commandTableName(options)} not found (${error.message}): deploy stage ${options.stage} or name the table with --table`,
            exit: EXIT.usage,
          }
        : undefined,
  );
}
