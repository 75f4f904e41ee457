/**
 * `npm run verify -- [--wave N|all] [--since ISO-time] [--out verify.json] [--concurrency N]`:
 * with AWS credentials (any principal that may assume `deployment.roleName` in each account),
 * checks that the wave's accounts forward events to the central bus and that the central
 * account delivers them. Exit codes: 0 healthy, 1 a problem found (or invalid config), 2 bad
 * argument or no usable AWS credentials.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadOrgConfig, orgConfigPath } from '../config/load';
import { UsageError } from './common/errors';
import { finish } from './common/exit';
import { wantsHelp } from './common/help';
import { parseSince } from './common/since';
import { findRun } from './rollout/state';
import { assumeRoleClients } from './verify/aws';
import { runVerify, scopeOf } from './verify/run';

const DAY_MS = 24 * 3600 * 1000;

export const USAGE = `usage: npm run verify -- [--wave <N|all>] [--since <ISO time>] [--out FILE] [--concurrency K] [--outdir DIR]

Checks, with AWS credentials (assuming deployment.roleName in each account), that the wave's member
accounts forward EC2/EBS events to the central bus in every region their stack deploys, and that the
central account delivers them (bus policy, rule failures, failed copy executions).

  --wave N|all          the accounts of wave N (and central), or every wave (default all)
  --since TIME          count failures from this ISO 8601 time with a zone (default: the start of the
                        latest rollout run, else the last 24 hours)
  --out FILE            the JSON report (default cdktf.out/verify.json)
  --concurrency K       accounts checked at once (default 8)
  --outdir DIR          the synthesized app whose rollout runs give the default --since (default cdktf.out)
  env ORG_CONFIG        the org config (default: the example org)

Exit codes: 0 healthy, 1 a problem found (or an invalid config), 2 a bad argument or no usable AWS credentials.`;

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { wave: { type: 'string', default: 'all' }, since: { type: 'string' }, out: { type: 'string' }, concurrency: { type: 'string' }, outdir: { type: 'string' } },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (npm run verify -- --help lists the options)`);
  }
  const config = loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, join(__dirname, '..')));
  const outdir = values.outdir ?? (process.env.CDKTF_OUTDIR || 'cdktf.out');
  const concurrency = values.concurrency === undefined ? 8 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency: ${JSON.stringify(values.concurrency)} is not a whole number of at least 1`);
  let since: Date;
  if (values.since !== undefined) {
    since = parseSince(values.since);
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
