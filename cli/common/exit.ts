/**
 * Exits once stdout and stderr are flushed. `process.exit()` right after writing drops output
 * still queued for a pipe (`npm run rollout | tee`, CI logs): a 1,000-stack dry run lost half its
 * lines that way.
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/** The end of a command's `main`: its exit code, or a user error printed as one line. */
export function finish(run: Promise<number>, userErrors: readonly (abstract new (...args: never[]) => Error)[], exitCodeOf: (err: Error) => number): void {
  run.then(exitWhenFlushed, (err: unknown) => {
    if (userErrors.some((type) => err instanceof type)) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      exitWhenFlushed(exitCodeOf(err as Error));
      return;
    }
    throw err;
  });
}
