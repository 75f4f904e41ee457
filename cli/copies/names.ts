/**
 * Names of retried copy executions: `<name>-r<N>`.
 *
 * StartExecution names are at most 80 characters of `[A-Za-z0-9-_]`
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html), and a
 * closed execution's name stays taken for 90 days: a retry needs a new name. The starter's names,
 * `<account>-<sourceRegion>-<snapshotId>-<destinationRegion>`, are at most 12+1+14+1+22+1+14 = 65
 * characters, which leaves room for `-r1` ... `-r999`. A longer name (an execution started by hand)
 * would not: its family key is then its first 65 characters, `-h`, and the first 8 hex digits of
 * the SHA-256 of the whole name (75 characters, still starting with `<account>-`), and its retries
 * are `<key>-r<N>`. The hash keeps two long names that share 65 characters apart.
 */
import { createHash } from 'node:crypto';

/** StartExecution's limit on a name. */
export const MAX_EXECUTION_NAME = 80;
/** The most retries of one execution: `-r999` keeps a 75-character key within 80 characters. */
export const MAX_RETRY = 999;
/** A family key's longest form: 80 minus `-r999`. */
export const MAX_KEY_LENGTH = MAX_EXECUTION_NAME - `-r${MAX_RETRY}`.length;
const KEEP = MAX_KEY_LENGTH - '-h'.length - 8;

const RETRY = /^(.+)-r([1-9][0-9]{0,2})$/;

export interface RetryFamily {
  /** What every attempt's name starts with: the original name, or its shortened form. */
  readonly key: string;
  /** 0 for the original execution, N for `<key>-r<N>`. */
  readonly attempt: number;
}

/** A name too long to take a `-r<N>` suffix, shortened to 75 characters with a hash of the whole. */
export function shortenedKey(name: string): string {
  return `${name.slice(0, KEEP)}-h${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/**
 * The family an execution belongs to: `<key>-r<N>` is retry N of `<key>`; any other name is an
 * original, whose key is itself when it leaves room for `-r999`, else `shortenedKey`. The
 * starter's names end in a region name (`...-eu-west-1`), never in `-r<digits>`.
 */
export function retryFamily(name: string): RetryFamily {
  const m = RETRY.exec(name);
  if (m && m[1]!.length <= MAX_KEY_LENGTH) return { key: m[1]!, attempt: Number(m[2]) };
  return { key: name.length <= MAX_KEY_LENGTH ? name : shortenedKey(name), attempt: 0 };
}

/** The name of retry `n` of the family `key`. Throws past `MAX_RETRY`. */
export function retryName(key: string, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > MAX_RETRY) throw new RangeError(`retry ${n} of ${key}: at most ${MAX_RETRY} retries of one execution`);
  return `${key}-r${n}`;
}
