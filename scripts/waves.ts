/**
 * `npm run waves`: the rollout plan, from `members[].wave` in the org config.
 *
 *   npm run -s waves                 every wave with its stacks and the deploy command
 *   npm run -s waves -- --wave 2     only wave 2's stack ids, one line (for `cdktf deploy $(...)`)
 *
 * `central` always goes first: member rules target the central bus.
 */
import { join } from 'node:path';
import { ConfigError, loadOrgConfig, orgConfigPath } from '../config/load';
import type { OrgConfig } from '../config/schema';
import { CENTRAL_STACK_ID, memberStackId } from '../stacks/names';

export interface Wave {
  readonly wave: number;
  readonly stacks: readonly string[];
}

/** Waves in order, each with its member stack ids in config order; wave 0 is `central`. */
export function wavePlan(config: OrgConfig): Wave[] {
  const byWave = new Map<number, string[]>();
  for (const m of config.members) byWave.set(m.wave, [...(byWave.get(m.wave) ?? []), memberStackId(m.accountId)]);
  return [{ wave: 0, stacks: [CENTRAL_STACK_ID] }, ...[...byWave.entries()].sort(([a], [b]) => a - b).map(([wave, stacks]) => ({ wave, stacks }))];
}

export function renderPlan(plan: readonly Wave[]): string {
  return plan
    .map((w) => `wave ${w.wave}${w.wave === 0 ? ' (central)' : ''}: ${w.stacks.length} stack${w.stacks.length === 1 ? '' : 's'}\n  npx cdktf deploy ${w.stacks.join(' ')}`)
    .join('\n');
}

function main(argv: readonly string[]): void {
  // ORG_CONFIG as main.ts reads it: relative to the repository root; set but blank is an error.
  const config = loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, join(__dirname, '..')));
  const plan = wavePlan(config);
  const at = argv.indexOf('--wave');
  if (at === -1) {
    process.stdout.write(`${renderPlan(plan)}\n`);
    return;
  }
  const asked = argv[at + 1];
  const wave = plan.find((w) => String(w.wave) === asked);
  if (!wave) {
    throw new ConfigError('--wave', [`--wave: ${JSON.stringify(asked ?? null)} is not a wave of this org (waves: ${plan.map((w) => w.wave).join(', ')})`]);
  }
  process.stdout.write(`${wave.stacks.join(' ')}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
}
