/**
 * cdktf records a full stack trace for every token and computed attribute it creates (tens per
 * resource; see cdktf/lib/tokens/private/stack-trace.js), only to show where a token came from if
 * it later fails to resolve. Capturing and formatting them (through tsx's source maps) was two
 * thirds of the time to synthesize a 1,000-account org.
 *
 * While `fn` runs, stack traces are captured for real `Error`s only (cdktf captures into plain
 * objects). Pass `keep: true` (main.ts does for `CDKTF_CREATION_STACKS=1`) to debug a token error.
 */
export function withoutCreationStacks<T>(fn: () => T, keep = false): T {
  if (keep) return fn();
  const capture: typeof Error.captureStackTrace = Error.captureStackTrace;
  const errorsOnly: typeof Error.captureStackTrace = (target, constructorOpt) => {
    if (target instanceof Error) capture(target, constructorOpt);
  };
  Error.captureStackTrace = errorsOnly;
  try {
    return fn();
  } finally {
    Error.captureStackTrace = capture;
  }
}
