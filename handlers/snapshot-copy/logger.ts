/**
 * Structured JSON logs through Powertools Logger (service `snapshot-copy`). Every per-snapshot line
 * carries: snapshotId, account, sourceRegion, destinationRegion, decision and, once known,
 * copySnapshotId. The handler code only needs this narrow interface, so tests can inject a recorder.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const SERVICE_NAME = 'snapshot-copy';

export type LogAttributes = Record<string, unknown>;

export interface Log {
  debug(message: string, attributes: LogAttributes): void;
  info(message: string, attributes: LogAttributes): void;
  warn(message: string, attributes: LogAttributes): void;
  error(message: string, attributes: LogAttributes): void;
}

export function createLogger(): Logger {
  return new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME']?.trim() || SERVICE_NAME });
}
