import { type ReportModel, reportSchema } from '../domain/model.ts';

/**
 * The report as JSON: exactly {@link reportSchema} (parsed on the way out, so what is written always has the
 * documented shape), indented, with a final newline.
 */
export function renderJson(model: ReportModel): string {
  return `${JSON.stringify(reportSchema.parse(model), null, 2)}\n`;
}
