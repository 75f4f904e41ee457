/**
 * Local Terraform state in the synth output folder, kept safe from the synth.
 *
 * Without `deployment.state` each stack's backend is local, and Terraform keeps the state in the
 * stack's folder: `cdktf.out/stacks/<stack>/terraform.<stack>.tfstate`. Two things delete those
 * folders:
 * - `cdktf synth` removes every folder under `cdktf.out/stacks` whose stack the app no longer
 *   synthesizes, state files included, without a word (cdktf-cli 0.21, `@cdktf/cli-core`
 *   `SynthStack.synth`: `orphanedDirectories` ... `fs.rmSync(orphanedDirectory, { recursive: true })`,
 *   after the app has run). One synth with a forgotten `ORG_CONFIG` synthesizes the example org
 *   and deletes the state of every other member.
 * - our parallel synth (synth.ts) used to replace each stack folder of shards 1..n wholesale.
 *
 * `refuseToOrphanState` runs before the app writes anything: when a folder the synth would delete
 * holds a state with resources, the synth fails (the cdktf CLI then never reaches its clean-up),
 * naming each stack, with what to run. `replaceStackFolder` moves a freshly synthesized stack folder
 * into place keeping what Terraform wrote there (state, `.terraform`, the lock file).
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConfigError } from '../config/load';
import type { OrgConfig } from '../config/schema';
import { CENTRAL_STACK_ID, memberStackId } from './names';
import { SYNTH_STAMP_FILE, configSha256 } from './synth-stamp';

export interface HeldState {
  readonly stack: string;
  /** The state file, as shown to the operator. */
  readonly file: string;
  /** Managed resources in it; undefined when it cannot be read (treated as holding some). */
  readonly resources?: number;
}

interface StateJson {
  readonly resources?: readonly { readonly mode?: string; readonly instances?: readonly unknown[] }[];
}

/** Managed resource instances in a state file's text (data sources are not infrastructure). */
export function managedResources(text: string): number {
  const state = JSON.parse(text) as StateJson;
  return (state.resources ?? []).filter((r) => r.mode === 'managed').reduce((n, r) => n + (r.instances?.length ?? 0), 0);
}

/** Stack folders under `outdir/stacks` that `config` does not synthesize and that hold state with resources. */
export function orphanedState(outdir: string, config: OrgConfig, cwd = process.cwd()): HeldState[] {
  const stacksDir = resolve(cwd, outdir, 'stacks');
  if (!existsSync(stacksDir)) return [];
  const kept = new Set([CENTRAL_STACK_ID, ...config.members.map((m) => memberStackId(m.accountId))]);
  const held: HeldState[] = [];
  for (const stack of readdirSync(stacksDir).sort()) {
    const dir = join(stacksDir, stack);
    if (kept.has(stack) || !statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.tfstate')).sort()) {
      const file = relative(cwd, join(dir, name)) || join(dir, name);
      let resources: number | undefined;
      try {
        resources = managedResources(readFileSync(join(dir, name), 'utf8'));
      } catch {
        resources = undefined;
      }
      if (resources !== 0) held.push({ stack, file, resources });
    }
  }
  return held;
}

/** A synth that would delete local state with resources in it. Exit code 1, one line per stack. */
export class OrphanedStateError extends ConfigError {}

/**
 * Throws `OrphanedStateError` when synthesizing `config` into `outdir` (the folder the app writes:
 * synth.ts passes the one it gives `App`) would delete a stack folder holding local state with
 * resources.
 */
export function refuseToOrphanState(config: OrgConfig, outdir: string, cwd = process.cwd()): void {
  const held = orphanedState(outdir, config, cwd);
  if (held.length === 0) return;
  let other = '';
  try {
    const stamp = JSON.parse(readFileSync(resolve(cwd, outdir, SYNTH_STAMP_FILE), 'utf8')) as { configSha256?: string };
    if (stamp.configSha256 && stamp.configSha256 !== configSha256(config)) {
      other = ` ${outdir} was synthesized from another config: is ORG_CONFIG the file you meant?`;
    }
  } catch {
    // no stamp: nothing to add
  }
  const problems = held.map(
    (h) =>
      `stack ${h.stack}: not in this config, and its folder holds Terraform state with ${h.resources === undefined ? 'unreadable contents (treated as resources)' : `${h.resources} resource${h.resources === 1 ? '' : 's'}`} (${h.file}), which the synth would delete`,
  );
  const error = new OrphanedStateError(outdir, problems);
  error.message =
    `${outdir}: synthesizing this config would delete local Terraform state that still has resources:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
    `Nothing was written.${other} To remove those stacks, destroy them first (npm run rollout -- --destroy <stack>, then synth again); to keep their resources, move each state file out of ${outdir} first.`;
  throw error;
}

/**
 * Moves the freshly synthesized stack folder `source` to `target`, entry by entry, replacing only
 * what the synth writes (cdk.tf.json, assets): what Terraform wrote into `target` (the local state
 * `terraform.<stack>.tfstate`, `.terraform/`, `.terraform.lock.hcl`) stays, as it does when cdktf
 * synthesizes into an existing folder in one thread.
 */
export function replaceStackFolder(source: string, target: string): void {
  if (!existsSync(target)) {
    renameSync(source, target);
    return;
  }
  for (const name of readdirSync(source)) {
    rmSync(join(target, name), { recursive: true, force: true });
    renameSync(join(source, name), join(target, name));
  }
  rmSync(source, { recursive: true, force: true });
}
