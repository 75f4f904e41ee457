/**
 * A synthesized output folder (`cdktf.out`): its manifest, and each stack's `cdk.tf.json` by
 * content hash, so a review parses only the stacks whose bytes differ.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackJson } from '../../stacks/guardrails';
import { UsageError } from '../common/errors';

export interface SynthOutput {
  readonly dir: string;
  /** Stack id -> absolute path of its cdk.tf.json. */
  readonly files: ReadonlyMap<string, string>;
  /** Stack id -> SHA-256 of cdk.tf.json plus the files it deploys (assets). */
  readonly hashes: ReadonlyMap<string, string>;
}

interface Manifest {
  readonly stacks: Record<string, { readonly synthesizedStackPath: string; readonly workingDirectory: string }>;
}

/** Reads the manifest and hashes every stack file. */
export function loadOutput(dir: string): SynthOutput {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new UsageError(`${dir} has no manifest.json: the synth wrote nothing`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const files = new Map<string, string>();
  const hashes = new Map<string, string>();
  for (const [id, entry] of Object.entries(manifest.stacks).sort(([a], [b]) => a.localeCompare(b))) {
    const file = join(dir, entry.synthesizedStackPath);
    files.set(id, file);
    // Asset files are named by their content hash inside cdk.tf.json: hashing the JSON covers them.
    hashes.set(id, createHash('sha256').update(readFileSync(file)).digest('hex'));
  }
  return { dir, files, hashes };
}

export function readStack(output: SynthOutput, id: string): StackJson & Record<string, unknown> {
  return JSON.parse(readFileSync(output.files.get(id)!, 'utf8')) as StackJson & Record<string, unknown>;
}
