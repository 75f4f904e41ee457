/**
 * Reads a synthesized `cdktf.out` and checks it belongs to the config at hand: its manifest
 * (`manifest.json`: each stack's working directory) and the synth stamp (`ebs-event-hub.synth.json`,
 * written by stacks/synth.ts: the config's hash, each stack's account and wave).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { OrgConfig } from '../../config/schema';
import { SYNTH_STAMP_FILE, synthStamp, type SynthStamp } from '../../stacks/synth-stamp';
import { UsageError } from './errors';

export interface SynthStack {
  readonly id: string;
  readonly accountId: string;
  readonly wave: number;
  /** Working directory as given on the command line (relative to the current directory when inside it). */
  readonly dir: string;
}

export interface SynthOutput {
  /** The output folder as given. */
  readonly outdir: string;
  readonly configSha256: string;
  /** Stack id to stack, `central` first then config order. */
  readonly stacks: ReadonlyMap<string, SynthStack>;
}

const RESYNTH = 'run `npm run synth` with the same ORG_CONFIG first';

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${RESYNTH}`);
  }
}

/** `outdir/sub` for display: relative to `cwd` when inside it. */
function shown(outdir: string, sub: string, cwd: string): string {
  const abs = resolve(cwd, outdir, sub);
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') ? rel : abs;
}

/**
 * Throws `UsageError` when `outdir` is missing, was synthesized from another config, or a stack
 * folder does not match the config (missing, extra, or not a directory).
 */
export function readSynthOutput(outdir: string, config: OrgConfig, cwd = process.cwd()): SynthOutput {
  const root = resolve(cwd, outdir);
  if (!existsSync(join(root, 'manifest.json'))) {
    throw new UsageError(`${outdir}: no synthesized app here (manifest.json is missing); ${RESYNTH}`);
  }
  const manifest = readJson(join(root, 'manifest.json'), 'cdktf manifest') as { stacks?: Record<string, { workingDirectory?: unknown }> };
  const stampPath = join(root, SYNTH_STAMP_FILE);
  if (!existsSync(stampPath)) {
    throw new UsageError(`${outdir}: ${SYNTH_STAMP_FILE} is missing, so which config it was synthesized from is unknown; ${RESYNTH}`);
  }
  const stamp = readJson(stampPath, 'synth stamp') as SynthStamp;
  const expected = synthStamp(config);
  if (stamp.configSha256 !== expected.configSha256) {
    throw new UsageError(
      `${outdir}: was synthesized from another config (config sha256 ${String(stamp.configSha256).slice(0, 12)}..., ORG_CONFIG's is ${expected.configSha256.slice(0, 12)}...); ${RESYNTH}`,
    );
  }
  const listed = manifest.stacks ?? {};
  const problems: string[] = [];
  const stacks = new Map<string, SynthStack>();
  for (const s of expected.stacks) {
    const entry = listed[s.id];
    if (!entry || typeof entry.workingDirectory !== 'string') {
      problems.push(`stack ${s.id}: in the config but not in ${outdir}/manifest.json`);
      continue;
    }
    const dir = join(root, entry.workingDirectory);
    if (!existsSync(dir) || !statSync(dir).isDirectory() || !existsSync(join(dir, 'cdk.tf.json'))) {
      problems.push(`stack ${s.id}: its folder ${shown(outdir, entry.workingDirectory, cwd)} is missing or has no cdk.tf.json`);
      continue;
    }
    stacks.set(s.id, { ...s, dir: shown(outdir, entry.workingDirectory, cwd) });
  }
  const expectedIds = new Set(expected.stacks.map((s) => s.id));
  for (const id of Object.keys(listed)) {
    if (!expectedIds.has(id)) problems.push(`stack ${id}: in ${outdir}/manifest.json but not in the config`);
  }
  if (problems.length > 0) {
    throw new UsageError(`${outdir}: does not match the config:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${RESYNTH}`);
  }
  return { outdir, configSha256: expected.configSha256, stacks };
}
