/**
 * Entry point run by `cdktf synth` (see cdktf.json): load the config, build the app, synth.
 * The only place besides the config loader that reads the environment.
 */
import { ConfigError, loadOrgConfig } from './config/load';
import { handlerBundleFromDist } from './scripts/handler-bundle';
import { buildApp } from './stacks/app';
import { HandlerBundleMissingError } from './stacks/central-stack';
import { BusPolicyTooLargeError } from './stacks/central/event-bus';

function main(): void {
  const config = loadOrgConfig(process.env.ORG_CONFIG);
  // Every stack is constructed (and validated) before synth writes anything.
  const { app } = buildApp({ config, snapshotCopyBundle: handlerBundleFromDist() });
  app.synth();
}

try {
  main();
} catch (err) {
  if (err instanceof ConfigError || err instanceof BusPolicyTooLargeError || err instanceof HandlerBundleMissingError) {
    // A user mistake: say what and where, no stack trace, non-zero exit.
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
