/** An AWS call that failed, as one short line for the operator. */
import { isThrottlingError } from '@smithy/core/retry';

/**
 * A throttling error as the SDK itself classifies it (HTTP 429, a throttling error code of any
 * service, or a `throttling` retry trait): exactly the errors its standard retry mode retried with
 * the throttling backoff (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html),
 * so "throttled after N attempts" is said of those and no others.
 */
export const isThrottling = (err: unknown): boolean => err !== null && typeof err === 'object' && isThrottlingError(err as Parameters<typeof isThrottlingError>[0]);

/**
 * `<what>: <ErrorName>: <message>` on one line; for throttling that outlasted the SDK's retries,
 * how many attempts were made and `rerun` (what to do: "run verify again later").
 */
export function describeAwsFailure(what: string, err: unknown, rerun: string): string {
  const e = err as Error & { $metadata?: { attempts?: number } };
  if (isThrottling(e)) return `${what}: throttled (${e.name}) after ${e.$metadata?.attempts ?? 'the SDK\'s'} attempts; ${rerun}`;
  return `${what}: ${e.name ?? 'Error'}: ${String(e.message).replace(/\s*\n\s*/g, ' ')}`;
}
