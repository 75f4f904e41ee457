/**
 * `npm run waves`: the rollout plan, from `members[].wave` in the org config.
 *
 *   npm run -s waves                 every wave with its stacks and the rollout command
 *   npm run -s waves -- --wave 2     only wave 2's stack ids, one line
 *   npm run -s waves -- --json       the wave numbers as a JSON array (for a CI matrix)
 *
 * `central` is always wave 0 (member rules target the central bus), and in vault mode the vault
 * stack after it (the vault must exist before the copy workflow's first vault copy).
 * Exit codes: 0 done, 1 invalid config, 2 bad argument.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { ConfigError, loadOrgConfig, orgConfigPath } from '../config/load';
import { UsageError } from './common/errors';
import { finish } from './common/exit';
import { wantsHelp } from './common/help';
import { selectWaves, wavePlan, type Wave } from './common/wave-plan';

export function renderPlan(plan: readonly Wave[]): string {
  return plan
    .map(
      (w) =>
        `wave ${w.wave}${w.wave === 0 ? ` (${w.stacks.map((s) => (s.startsWith('vault-') ? 'vault' : s)).join(', ')})` : ''}: ${w.stacks.length} stack${w.stacks.length === 1 ? '' : 's'}\n` +
        `  npm run rollout -- --wave ${w.wave}\n  ${w.stacks.join(' ')}`,
    )
    .join('\n');
}

export const USAGE = `usage: npm run -s waves [-- --wave <N> | --json]

The rollout plan from members[].wave in the org config (ORG_CONFIG, default: the example org).
Wave 0 is central (member rules target the central bus) and, in vault mode, the vault stack after it;
then each member wave in order.

  (no option)   every wave with its stacks and the rollout command
  --wave N      only wave N's stack ids, on one line
  --json        the wave numbers as a JSON array (for a CI matrix)

Exit codes: 0 done, 1 an invalid config, 2 a bad argument.`;

function main(argv: string[]): void {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let wave: string | undefined;
  let json: boolean | undefined;
  try {
    ({ wave, json } = parseArgs({ args: argv, options: { wave: { type: 'string' }, json: { type: 'boolean' } }, strict: true }).values);
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (npm run waves -- --help lists the options)`);
  }
  const plan = wavePlan(loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, join(__dirname, '..'))));
  if (json) {
    process.stdout.write(`${JSON.stringify(plan.map((w) => w.wave))}\n`);
    return;
  }
  if (wave === undefined) {
    process.stdout.write(`${renderPlan(plan)}\n`);
    return;
  }
  if (wave === 'all') throw new UsageError('--wave: "all" is not a single wave (allowed: a wave number)');
  process.stdout.write(`${selectWaves(plan, wave)[0]!.stacks.join(' ')}\n`);
}

if (require.main === module) {
  finish(
    Promise.resolve().then(() => {
      main(process.argv.slice(2));
      return 0;
    }),
    [UsageError, ConfigError],
    (err) => (err instanceof UsageError ? err.exitCode : 1),
  );
}
