/** Errors the commands report as one message, without a stack trace. */

/**
 * A bad argument or a precondition the user must fix (unknown wave, missing `cdktf.out`, a
 * `cdktf.out` from another config...): exit code 2, like a shell usage error.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

/** Exit code of a command stopped by SIGINT/SIGTERM (128 + SIGINT's number 2, as shells report it). */
export const EXIT_INTERRUPTED = 130;
