/**
 * The synth stamp: a small file the synth writes next to `manifest.json` so `npm run rollout`
 * can tell which config a `cdktf.out` was synthesized from, and each stack's account and wave.
 *
 * Deterministic on purpose (no time, no absolute path): the same config gives the same bytes, so
 * the file never shows up as a spurious difference between two synths. Plain data: no cdktf here,
 * so the CLI reads it without loading cdktf.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrgConfig } from '../config/schema';
import type { ProviderRole } from './base-stack';
import { CENTRAL_STACK_ID, memberStackId, vaultStackId } from './names';

/** File name inside the synth output folder. */
export const SYNTH_STAMP_FILE = 'ebs-event-hub.synth.json';

/** The wave of the `central` stack: always first. */
export const CENTRAL_WAVE = 0;

export interface StampedStack {
  readonly id: string;
  readonly accountId: string;
  readonly wave: number;
}

export interface SynthStamp {
  readonly version: 1;
  /** SHA-256 of the validated config (defaults applied), as canonical JSON (keys sorted). */
  readonly configSha256: string;
  /** `central` first, then (vault mode) the vault stack, also wave 0, then the member stacks in config order. */
  readonly stacks: readonly StampedStack[];
  /**
   * The role the providers assume (`EBS_EVENT_HUB_ROLE`): a `plan` synth assumes the read-only plan
   * role and must never be rolled out (`cli/common/synth-role.ts`). Absent in stamps written before
   * it existed: `deploy`.
   */
  readonly role: ProviderRole;
}

/** `value` with object keys sorted at every level (arrays keep their order). */
export const sortKeys = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])])) : v;

/** JSON with object keys sorted at every level: equal configs hash equally whatever the key order. */
const canonicalJson = (value: unknown): string => JSON.stringify(sortKeys(value));

export const configSha256 = (config: OrgConfig): string => createHash('sha256').update(canonicalJson(config)).digest('hex');

/** Vault mode: the vault account's stack, rolled out in wave 0 right after `central` (README "Vault mode"). */
export const vaultStacks = (config: OrgConfig): StampedStack[] => {
  const vault = config.snapshotCopy?.vault;
  return vault ? [{ id: vaultStackId(vault.accountId), accountId: vault.accountId, wave: CENTRAL_WAVE }] : [];
};

export function synthStamp(config: OrgConfig, role: ProviderRole = 'deploy'): SynthStamp {
  return {
    version: 1,
    role,
    configSha256: configSha256(config),
    stacks: [
      { id: CENTRAL_STACK_ID, accountId: config.central.accountId, wave: CENTRAL_WAVE },
      ...vaultStacks(config),
      ...config.members.map((m) => ({ id: memberStackId(m.accountId), accountId: m.accountId, wave: m.wave })),
    ],
  };
}

export function writeSynthStamp(outdir: string, config: OrgConfig, role: ProviderRole = 'deploy'): void {
  writeFileSync(join(outdir, SYNTH_STAMP_FILE), `${JSON.stringify(synthStamp(config, role), null, 2)}\n`);
}
