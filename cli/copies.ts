/**
 * `npm run copies -- retry [--since <ISO time>] [--account <id>] [--dry-run]`: starts again the
 * snapshot-copy executions that failed, timed out or were aborted (see cli/copies/args.ts USAGE).
 * In the central account and region of the org config (`ORG_CONFIG`, else the example org), with
 * the deployment role (`deployment.roleName`) assumed from the environment's credentials.
 * Exit codes: 0 all good, 1 an execution could not be started (or listed), 2 a bad argument or
 * config, no usable credentials, or a central deployment role that cannot be assumed.
 */
import { join } from 'node:path';
import { ConfigError, loadOrgConfig, orgConfigPath } from '../config/load';
import { parseCopiesArgs, USAGE } from './copies/args';
import { COPIES_SFN_RETRY, exitCodeOf, ListExecutionsError, renderRetryReport, retryFailedCopies } from './copies/retry';
import { copyWorkflowArn } from './common/copy-executions';
import { UsageError } from './common/errors';
import { finish } from './common/exit';
import { AssumeRoleError, assumeRoleClients } from './verify/aws';

async function main(argv: readonly string[]): Promise<number> {
  const args = parseCopiesArgs(argv, new Date(), process.env);
  if ('help' in args) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, join(__dirname, '..')));
  if (!config.snapshotCopy) throw new UsageError('the org config has no snapshotCopy, so there is no copy workflow to retry executions of');
  const { accountId, region } = config.central;
  const provider = assumeRoleClients({
    roleName: config.deployment.roleName,
    stsRegion: region,
    sessionName: 'ebs-event-hub-copies',
    overrides: { sfn: { ...COPIES_SFN_RETRY } },
  });
  await provider.checkCredentials?.();
  let clients;
  try {
    clients = await provider.forAccount(accountId);
  } catch (err) {
    // Nothing can be retried without the central role: the caller's credentials cannot do the job.
    if (err instanceof AssumeRoleError) throw new UsageError(`${err.message} (the copy workflow runs in the central account ${accountId})`);
    throw err;
  }
  const report = await retryFailedCopies({ sfn: clients(region).sfn, stateMachineArn: copyWorkflowArn(config), since: args.since, account: args.account, dryRun: args.dryRun });
  for (const line of renderRetryReport(report)) process.stdout.write(`${line}\n`);
  return exitCodeOf(report);
}

if (require.main === module) {
  finish(main(process.argv.slice(2)), [UsageError, ConfigError, ListExecutionsError], (err) => (err instanceof ListExecutionsError ? 1 : 2));
}
