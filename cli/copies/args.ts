/** `npm run copies` arguments. */
import { parseArgs } from 'node:util';
import { UsageError } from '../common/errors';
import { wantsHelp } from '../common/help';
import { npmTookDryRun } from '../common/npm-dry-run';
import { parseSince } from '../common/since';

/** `--since` when not given: the last 7 days. */
export const DEFAULT_SINCE_DAYS = 7;

export const USAGE = `usage: npm run copies -- retry [--since <ISO time>] [--account <id>] [--dry-run]

Starts again the executions of the snapshot-copy workflow (ebs-event-hub-snapshot-copy, in the
central account and region of ORG_CONFIG) that failed, timed out or were aborted, each with its own
input, under the name <name>-r<N> (N: one more than its latest retry). An execution whose latest retry
is running or succeeded is not started again. A retry of a copy that did complete ends at once as
Copied (the workflow finds the copy first). Credentials from the environment: any principal that may
assume deployment.roleName in the central account (as for npm run verify).

  --since TIME    executions that stopped at or after this ISO 8601 time with a zone
                  (default: the last ${DEFAULT_SINCE_DAYS} days)
  --account ID    only the executions of this member account (12 digits)
  --dry-run       print what would be started, and start nothing

Exit codes: 0 every execution retried (or nothing to do), 1 an execution could not be started (or the
executions could not be listed), 2 a bad argument or config, no usable AWS credentials, or a central
deployment role that cannot be assumed.`;

export interface RetryArgs {
  readonly command: 'retry';
  readonly since: Date;
  readonly account?: string;
  readonly dryRun: boolean;
}

/**
 * The command line, or `{ help: true }` for `--help`/`-h`. Throws `UsageError` naming the bad value.
 * `env`: npm sets `npm_config_dry_run` when `--dry-run` comes before `--` (`npm run copies --dry-run
 * -- retry`) and passes the script nothing: the retry would run for real, so that is refused.
 */
export function parseCopiesArgs(argv: readonly string[], now: Date = new Date(), env: NodeJS.ProcessEnv = {}): RetryArgs | { readonly help: true } {
  if (wantsHelp(argv)) return { help: true };
  if (npmTookDryRun(env)) {
    throw new UsageError('--dry-run: npm took it for itself (it came before `--`), so this run would start executions; write npm run copies -- retry --dry-run');
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { since: { type: 'string' }, account: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (npm run copies -- --help lists the options)`);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('a command is required (allowed: retry); npm run copies -- --help for usage');
  if (positionals[0] !== 'retry') throw new UsageError(`${JSON.stringify(positionals[0])} is not a command (allowed: retry)`);
  if (positionals.length > 1) throw new UsageError(`${JSON.stringify(positionals[1])}: unexpected argument (retry takes only options)`);
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    throw new UsageError(`--account: ${JSON.stringify(values.account)} is not a 12-digit AWS account ID`);
  }
  const since = values.since === undefined ? new Date(now.getTime() - DEFAULT_SINCE_DAYS * 24 * 3600 * 1000) : parseSince(values.since, now);
  return { command: 'retry', since, ...(values.account !== undefined ? { account: values.account } : {}), dryRun: values['dry-run'] ?? false };
}
