/**
 * What other capabilities may use of notifications: the alert document they map their outcomes to, its subject
 * line (rendered before the document is cut to size), the port that publishes it, and the severity table (the
 * scan-gate CLI prints the same one).
 */
export type { AlertDocument } from './alert-document.ts';
export { alertSubject } from './alert-subject.ts';
export type { AlertPublisher } from './ports.ts';
export { severityTableText } from './severity-table.ts';
