/** An AWS call that failed, as one short line for the operator. */

/**
 * Throttling error names across services (the SDK's standard retry mode retries these with
 * backoff: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
const THROTTLING = /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown/;

export const isThrottling = (err: unknown): boolean => THROTTLING.test((err as Error | undefined)?.name ?? '');

/**
 * `<what>: <ErrorName>: <message>` on one line; for throttling that outlasted the SDK's retries,
 * how many attempts were made and `rerun` (what to do: "run verify again later").
 */
export function describeAwsFailure(what: string, err: unknown, rerun: string): string {
  const e = err as Error & { $metadata?: { attempts?: number } };
  if (isThrottling(e)) return `${what}: throttled (${e.name}) after ${e.$metadata?.attempts ?? 'the SDK\'s'} attempts; ${rerun}`;
  return `${what}: ${e.name ?? 'Error'}: ${String(e.message).replace(/\s*\n\s*/g, ' ')}`;
}
