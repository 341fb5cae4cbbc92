/** What other capabilities may use of notifications: rendering an alert for SNS and the port that publishes it. */
export { type AlertContext, type SnsAlert, snsAlert } from './alert-text.ts';
export type { AlertPublisher } from './ports.ts';
