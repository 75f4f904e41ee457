/**
 * `npm run rollout -- --wave <N|all> [--dry-run] [--parallelism K] [--failure-tolerance F] [--resume] [--verify]`:
 * deploys the synthesized `cdktf.out` with terraform, central first, wave by wave.
 * See cli/rollout/args.ts for the options and README "Deploy" for the walkthrough.
 *
 * Exit codes: 0 done, 1 a stack or verify failed (or invalid config), 2 bad argument or a
 * `cdktf.out` that does not match ORG_CONFIG, 130 stopped by Ctrl-C.
 */
import { join } from 'node:path';
import { ConfigError, loadOrgConfig, orgConfigPath } from '../config/load';
import { CENTRAL_WAVE } from '../stacks/synth-stamp';
import { UsageError } from './common/errors';
import { finish } from './common/exit';
import { readSynthOutput } from './common/synth-output';
import { parseRolloutArgs } from './rollout/args';
import { runRollout } from './rollout/runner';
import { ProcessGroup } from './rollout/terraform';

async function main(argv: string[]): Promise<number> {
  const args = parseRolloutArgs(argv);
  const config = loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, join(__dirname, '..')));
  const output = readSynthOutput(args.outdir, config);
  const controller = new AbortController();
  const processes = new ProcessGroup();
  const print = (line: string) => process.stdout.write(`${line}\n`);
  let signals = 0;
  const onSignal = (name: string) => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(`\n${name}: starting no new stacks; waiting for running terraform to stop (again to make it stop at once)\n`);
      controller.abort();
    } else {
      process.stderr.write(`\n${name} again: telling terraform to stop at once\n`);
      processes.interrupt();
    }
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const result = await runRollout({
    config,
    output,
    wave: args.wave,
    parallelism: args.parallelism,
    failureTolerance: args.failureTolerance,
    dryRun: args.dryRun,
    resume: args.resume,
    runId: args.runId,
    pluginCacheDir: args.pluginCacheDir,
    env: process.env,
    print,
    signal: controller.signal,
    processes,
    verifyWave: args.verify
      ? async (wave, stacks, since) => {
          // Loaded only with --verify: the AWS SDK clients cost start time and memory.
          const [{ assumeRoleClients }, { runVerify }] = await Promise.all([import('./verify/aws'), import('./verify/run')]);
          const report = await runVerify({
            config,
            scope: { central: true, accounts: wave === CENTRAL_WAVE ? [] : stacks.map((s) => s.accountId) },
            since,
            out: join(args.outdir, 'verify.json'),
            concurrency: 8,
            clients: assumeRoleClients({ roleName: config.deployment.roleName, stsRegion: config.central.region }),
            print,
          });
          const bad = report.results.filter((r) => !r.ok).length;
          return { ok: report.ok, summary: report.ok ? 'healthy' : `${bad} account/region${bad === 1 ? '' : 's'} with problems (${join(args.outdir, 'verify.json')})` };
        }
      : undefined,
  });
  return result.exitCode;
}

if (require.main === module) {
  finish(main(process.argv.slice(2)), [UsageError, ConfigError], (err) => (err instanceof UsageError ? err.exitCode : 1));
}
