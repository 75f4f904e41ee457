/**
 * `npm run verify` as a function: the wave's scope from the config, `--since` from the latest
 * rollout run, the report written to `verify.json`. The rollout's `--verify` calls it too.
 */
import type { OrgConfig } from '../../config/schema';
import { writeFileAtomically } from '../common/atomic';
import { CENTRAL_WAVE } from '../../stacks/synth-stamp';
import { selectWaves, wavePlan } from '../common/wave-plan';
import { memberStackId } from '../../stacks/names';
import type { ClientProvider } from './aws';
import { renderReport, verify, type VerifyReport, type VerifyScope } from './verify';

/** The accounts `--wave` covers: wave 0 is central only; a member wave its accounts and central. */
export function scopeOf(config: OrgConfig, wave: string): VerifyScope {
  const waves = selectWaves(wavePlan(config), wave);
  const ids = new Set(waves.flatMap((w) => w.stacks));
  return {
    central: true,
    accounts: waves.some((w) => w.wave !== CENTRAL_WAVE) ? config.members.filter((m) => ids.has(memberStackId(m.accountId))).map((m) => m.accountId) : [],
  };
}

export async function runVerify(options: {
  config: OrgConfig;
  scope: VerifyScope;
  since: Date;
  out: string;
  concurrency: number;
  clients: ClientProvider;
  print: (line: string) => void;
  now?: Date;
}): Promise<VerifyReport> {
  const report = await verify({ config: options.config, scope: options.scope, since: options.since, now: options.now, concurrency: options.concurrency, clients: options.clients });
  for (const line of renderReport(report)) options.print(line);
  writeFileAtomically(options.out, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
