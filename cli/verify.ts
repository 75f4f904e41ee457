/**
 * `npm run verify -- [--wave N|all] [--since ISO-time] [--out verify.json] [--concurrency N]`:
 * with AWS credentials (any principal that may assume `deployment.roleName` in each account),
 * checks that the wave's accounts forward events to the central bus and that the central
 * account delivers them. Exit codes: 0 healthy, 1 a problem found (or invalid config), 2 bad argument.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadOrgConfig, orgConfigPath } from '../config/load';
import { UsageError } from './common/errors';
import { finish } from './common/exit';
import { findRun } from './rollout/state';
import { assumeRoleClients } from './verify/aws';
import { runVerify, scopeOf } from './verify/run';

const DAY_MS = 24 * 3600 * 1000;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { wave: { type: 'string', default: 'all' }, since: { type: 'string' }, out: { type: 'string' }, concurrency: { type: 'string' }, outdir: { type: 'string' } },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, join(__dirname, '..')));
  const outdir = values.outdir ?? (process.env.CDKTF_OUTDIR || 'cdktf.out');
  const concurrency = values.concurrency === undefined ? 8 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency: ${JSON.stringify(values.concurrency)} is not a whole number of at least 1`);
  let since: Date;
  if (values.since !== undefined) {
    since = new Date(values.since);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(values.since) || Number.isNaN(since.getTime())) {
      throw new UsageError(`--since: ${JSON.stringify(values.since)} is not an ISO 8601 time (e.g. 2026-11-21T10:00:00Z)`);
    }
    if (since.getTime() > Date.now()) throw new UsageError(`--since: ${values.since} is in the future`);
  } else {
    // The latest rollout's start, else the last 24 hours.
    try {
      since = new Date(findRun(outdir).startedAt);
    } catch {
      since = new Date(Date.now() - DAY_MS);
    }
  }
  const report = await runVerify({
    config,
    scope: scopeOf(config, values.wave!),
    since,
    out: values.out ?? join(outdir, 'verify.json'),
    concurrency,
    clients: assumeRoleClients({ roleName: config.deployment.roleName, stsRegion: config.central.region }),
    print: (line) => process.stdout.write(`${line}\n`),
  });
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  finish(main(process.argv.slice(2)), [UsageError, ConfigError], (err) => (err instanceof UsageError ? err.exitCode : 1));
}
