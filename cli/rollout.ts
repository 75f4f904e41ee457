/**
 * `npm run rollout`: deploys the synthesized `cdktf.out` with terraform, central first, wave by
 * wave; `--plan` / `--apply <run-id>` split the plan from its apply, `--shard i/K` takes a slice
 * of a wave (one CI job each), `--destroy <stack>` removes a stack. `--help` lists every option
 * (cli/rollout/args.ts); README "Deploy" walks through them.
 *
 * Exit codes: 0 done, 1 a stack or verify failed (or invalid config), 2 bad argument or a
 * precondition (a `cdktf.out` that does not match ORG_CONFIG, terraform missing or older than
 * 1.10, a destroy not confirmed with --yes when stdin is not a terminal): nothing was started,
 * 130 stopped by Ctrl-C.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ConfigError, loadOrgConfig, orgConfigPath } from '../config/load';
import type { OrgConfig } from '../config/schema';
import { CENTRAL_WAVE } from '../stacks/synth-stamp';
import { UsageError } from './common/errors';
import { finish } from './common/exit';
import { wantsHelp } from './common/help';
import { readSynthOutput } from './common/synth-output';
import { parseRolloutArgs, USAGE } from './rollout/args';
import { runDestroy } from './rollout/destroy';
import { runRollout, type RolloutOptions } from './rollout/runner';
import { ProcessGroup } from './rollout/terraform';

/** `npm run verify` for one wave, loaded only when a run verifies: the AWS SDK clients cost start time and memory. */
function verifier(config: OrgConfig, outdir: string, print: (line: string) => void): NonNullable<RolloutOptions['verifyWave']> {
  return async (wave, stacks, since) => {
    const [{ assumeRoleClients }, { runVerify }] = await Promise.all([import('./verify/aws'), import('./verify/run')]);
    const report = await runVerify({
      config,
      scope: { central: true, accounts: wave === CENTRAL_WAVE ? [] : stacks.map((s) => s.accountId) },
      since,
      out: join(outdir, 'verify.json'),
      concurrency: 8,
      clients: assumeRoleClients({ roleName: config.deployment.roleName, stsRegion: config.central.region }),
      print,
    });
    const bad = report.results.filter((r) => !r.ok).length;
    return { ok: report.ok, summary: report.ok ? 'healthy' : `${bad} account/region${bad === 1 ? '' : 's'} with problems (${join(outdir, 'verify.json')})` };
  };
}

async function main(argv: string[]): Promise<number> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  // Help first, whatever else the command line holds (cli/common/help.ts).
  const args = wantsHelp(argv) ? ({ command: 'help' } as const) : parseRolloutArgs(argv);
  if (args.command === 'help') {
    print(USAGE);
    return 0;
  }
  const config = loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, join(__dirname, '..')));
  const controller = new AbortController();
  const processes = new ProcessGroup();
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
  const common = { dryRun: args.dryRun, given: args.given, pluginCacheDir: args.pluginCacheDir, env: process.env, print, signal: controller.signal, processes };

  if (args.command === 'destroy') {
    return runDestroy({
      ...common,
      config,
      outdir: args.outdir,
      stacks: args.stacks,
      yes: args.yes,
      confirm: process.stdin.isTTY
        ? async (stackId, changes) => {
            const rl = createInterface({ input: process.stdin, output: process.stdout });
            try {
              const answer = await rl.question(`Destroy these ${changes.destroyed} resources of ${stackId}? Type ${stackId} to confirm: `);
              return answer.trim() === stackId;
            } finally {
              rl.close();
            }
          }
        : undefined,
    });
  }
  const output = readSynthOutput(args.outdir, config);
  const result = await runRollout({
    ...common,
    config,
    output,
    mode: args.command === 'apply' ? 'apply' : args.planOnly ? 'plan' : 'rollout',
    wave: args.command === 'rollout' ? args.wave : undefined,
    shard: args.command === 'rollout' ? args.shard : undefined,
    resume: args.command === 'rollout' && args.resume,
    runId: args.runId,
    verifyWave: verifier(config, args.outdir, print),
  });
  return result.exitCode;
}

if (require.main === module) {
  finish(main(process.argv.slice(2)), [UsageError, ConfigError], (err) => (err instanceof UsageError ? err.exitCode : 1));
}
