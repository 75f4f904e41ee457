/**
 * Entry point run by `cdktf synth` (see cdktf.json): load the config, build the app, synth.
 * With the config loader, the only code that reads the environment or files.
 */
import { ConfigError, loadOrgConfig } from './config/load';
import { handlerBundleFromDist } from './scripts/handler-bundle';
import { buildApp } from './stacks/app';
import { HandlerBundleMissingError } from './stacks/central-stack';
import { BusPolicyTooLargeError } from './stacks/central/event-bus';

/** Mistakes in the user's input: reported as one message, no stack trace, exit code 1. */
const USER_ERRORS = [ConfigError, BusPolicyTooLargeError, HandlerBundleMissingError];

/**
 * cdktf records a full stack trace for every token and computed attribute it creates (tens per
 * resource; see cdktf/lib/tokens/private/stack-trace.js), only to show where a token came from if
 * it later fails to resolve. Capturing and formatting them (through tsx's source maps) was two
 * thirds of the time to synthesize a 1,000-account org. While the app is built and synthesized,
 * stack traces are captured for real `Error`s only (cdktf captures into plain objects);
 * `CDKTF_CREATION_STACKS=1` keeps them all, for debugging a token error. Restored afterwards.
 */
function withoutCreationStacks<T>(fn: () => T): T {
  if (process.env.CDKTF_CREATION_STACKS === '1') return fn();
  const capture = Error.captureStackTrace;
  Error.captureStackTrace = (target: object, constructorOpt?: Function) => {
    if (target instanceof Error) capture(target, constructorOpt);
  };
  try {
    return fn();
  } finally {
    Error.captureStackTrace = capture;
  }
}

function main(): void {
  const config = loadOrgConfig(process.env.ORG_CONFIG);
  withoutCreationStacks(() => {
    // Every stack is constructed (and validated) before synth writes anything.
    const { app } = buildApp({ config, snapshotCopyBundle: handlerBundleFromDist() });
    app.synth();
  });
}

try {
  main();
} catch (err) {
  if (USER_ERRORS.some((type) => err instanceof type)) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  }
  throw err;
}
