/**
 * The rollout plan from `members[].wave`: `central` is wave 0 (member rules target the central
 * bus, whose policy EventBridge checks when a rule's target is added), then each member wave in
 * ascending order, its stacks in config order.
 */
import type { OrgConfig } from '../../config/schema';
import { CENTRAL_STACK_ID, memberStackId } from '../../stacks/names';
import { CENTRAL_WAVE, vaultStacks } from '../../stacks/synth-stamp';
import { UsageError } from './errors';

export interface Wave {
  readonly wave: number;
  readonly stacks: readonly string[];
}

/**
 * Waves in order, each with its member stack ids in config order; wave 0 is `central` and, in vault
 * mode, the vault stack after it (the vault must exist before the copy workflow's first vault copy).
 */
export function wavePlan(config: OrgConfig): Wave[] {
  const byWave = new Map<number, string[]>();
  for (const m of config.members) {
    const stacks = byWave.get(m.wave) ?? [];
    stacks.push(memberStackId(m.accountId)); // not a copy per member: quadratic for 10,000 of them
    byWave.set(m.wave, stacks);
  }
  return [
    { wave: CENTRAL_WAVE, stacks: [CENTRAL_STACK_ID, ...vaultStacks(config).map((s) => s.id)] },
    ...[...byWave.entries()].sort(([a], [b]) => a - b).map(([wave, stacks]) => ({ wave, stacks })),
  ];
}

/**
 * `--wave` as given (`all` or a wave number) to the waves it selects, in order.
 * Throws `UsageError` naming the waves the org has.
 */
export function selectWaves(plan: readonly Wave[], asked: string | undefined): Wave[] {
  if (asked === 'all') return [...plan];
  const wave = plan.find((w) => String(w.wave) === asked);
  if (!wave) {
    throw new UsageError(`--wave: ${JSON.stringify(asked ?? null)} is not a wave of this org (allowed: all, ${plan.map((w) => w.wave).join(', ')})`);
  }
  return [wave];
}
