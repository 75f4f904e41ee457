import { UsageError } from './errors';

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * `--since <ISO time>` as a Date: an ISO 8601 date and time with its zone (`2026-11-21T10:00:00Z`,
 * `2026-11-21T12:00:00+02:00`; seconds and milliseconds optional), not in the future. A zone is
 * required: without one JavaScript reads the time in the machine's local zone. `Date` alone would
 * also take "1", "May 5", or February 30 (as March 2). Throws `UsageError` naming the value and
 * what is allowed.
 */
export function parseSince(value: string, now: Date = new Date()): Date {
  const m = ISO_TIME.exec(value);
  const since = new Date(value);
  const [year, month, day] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  if (!m || Number.isNaN(since.getTime()) || new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) {
    throw new UsageError(`--since: ${JSON.stringify(value)} is not an ISO 8601 time with a zone (e.g. 2026-11-21T10:00:00Z)`);
  }
  if (since.getTime() > now.getTime()) throw new UsageError(`--since: ${value} is in the future`);
  return since;
}
