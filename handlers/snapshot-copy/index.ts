/**
 * Lambda entry of the snapshot-copy function. Thin: the configuration and the client cache are built
 * once per container (on the first invocation, so a bad environment fails that invocation loudly with
 * a ConfigurationError), then every invocation is dispatched by ./dispatch.
 */
import type { Context } from 'aws-lambda';
import { createClientProvider, type ClientProviderOptions } from './clients';
import { loadConfig, type Env } from './config';
import { RecentCopies } from './copier';
import { handleInvocation, type HandlerResult, type Runtime } from './dispatch';
import { createLogger, type Log } from './logger';

const logger = createLogger();
let runtime: Runtime | undefined;

/** Builds what a container keeps between invocations. Exported for tests. */
export function buildRuntime(env: Env, log: Log, clientOptions: Partial<ClientProviderOptions> = {}): Runtime {
  const config = loadConfig(env);
  return {
    config,
    logger: log,
    clients: createClientProvider({ stsRegion: config.functionRegion, ...clientOptions }),
    recentCopies: new RecentCopies(),
  };
}

export const handler = async (event: unknown, context: Context): Promise<HandlerResult> => {
  if (context) logger.addContext(context);
  runtime ??= buildRuntime(process.env, logger);
  return handleInvocation(event, context, runtime);
};
