/**
 * A rollout run's state: `cdktf.out/rollout/<run-id>/state.json`, next to each stack's log and
 * saved plan.
 *
 * Written after stacks finish, atomically (a temporary file in the same folder, then rename,
 * which POSIX makes atomic on one file system): a Ctrl-C or a crash leaves the previous complete
 * state, never half a file. `--resume` reads it to skip the stacks already done, `--apply` to
 * find the saved plans.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunOptions } from './args';
import type { Changes } from './plan-summary';
import type { Shard } from './shard';
import { writeFileAtomically } from '../common/atomic';
import { UsageError } from '../common/errors';

/**
 * - `planned`: a `--plan` run saved a plan with changes (`<run>/<stack>.tfplan`);
 * - `unchanged`: the plan had no changes (nothing to apply);
 * - `applied`: applied (by a rollout, or by `--apply` of a plan run).
 */
export type StackStatus = 'pending' | 'running' | 'planned' | 'applied' | 'unchanged' | 'failed' | 'interrupted';
export type RunStatus = 'running' | 'completed' | 'failed' | 'stopped' | 'interrupted';

/** `rollout`: plan and apply each stack; `plan`: plan only (`--plan`), applied later by `--apply`; `destroy`: `--destroy`. */
export type RunMode = 'rollout' | 'plan' | 'destroy';

export interface StackRecord {
  readonly wave: number;
  status: StackStatus;
  /** Log file, relative to the current directory of the run. */
  readonly log: string;
  durationMs?: number;
  changes?: Changes;
  /** What failed: `plan exited with 1: Error acquiring the state lock`, say. */
  error?: string;
  /** SHA-256 of the stack's cdk.tf.json its saved plan was made from. */
  plannedSha256?: string;
  /** SHA-256 of the stack's cdk.tf.json when it was applied, or found unchanged. */
  appliedSha256?: string;
}

export interface RunState {
  readonly version: 2;
  readonly runId: string;
  readonly mode: RunMode;
  /** `--wave` as given: a wave number or `all`. */
  readonly wave: string;
  readonly shard?: Shard;
  readonly configSha256: string;
  readonly startedAt: string;
  updatedAt: string;
  status: RunStatus;
  /** The options the last command on this run used; `--resume` and `--apply` reuse them. */
  options: RunOptions;
  /** A plan run: when `--apply` first started on it (it cannot be re-planned after that). */
  applyStartedAt?: string;
  /** In rollout order. */
  readonly stacks: Record<string, StackRecord>;
}

export const STATE_VERSION = 2;
export const STATE_FILE = 'state.json';
export const rolloutRoot = (outdir: string): string => join(outdir, 'rollout');
export const runDir = (outdir: string, runId: string): string => join(rolloutRoot(outdir), runId);

/** Statuses a resumed run does not run again, as long as the stack's cdk.tf.json is the one recorded. */
export const DONE: readonly StackStatus[] = ['applied', 'unchanged', 'planned'];

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** SHA-256 of a stack's cdk.tf.json, or undefined when it cannot be read. */
export function stackJsonSha256(dir: string): string | undefined {
  try {
    return sha256(readFileSync(join(dir, 'cdk.tf.json')));
  } catch {
    return undefined;
  }
}

/** A sortable run id from the start time: `20261121-101500`, with a suffix if taken. */
export function newRunId(outdir: string, now: Date): string {
  const base = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  let id = base;
  for (let n = 2; existsSync(runDir(outdir, id)); n++) id = `${base}-${n}`;
  return id;
}

export function writeState(outdir: string, state: RunState): void {
  writeFileAtomically(join(runDir(outdir, state.runId), STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

export function readState(outdir: string, runId: string, flag = '--run-id'): RunState {
  const path = join(runDir(outdir, runId), STATE_FILE);
  let state: RunState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as RunState;
  } catch (err) {
    throw new UsageError(`${flag}: no readable rollout state at ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (state.version !== STATE_VERSION) {
    throw new UsageError(`${flag}: ${path} was written by an older rollout (state version ${String(state.version)}, this one reads ${STATE_VERSION}); start a new run`);
  }
  return state;
}

/** Run ids with a state file, oldest first. */
export function runIds(outdir: string): string[] {
  const root = rolloutRoot(outdir);
  return existsSync(root) ? readdirSync(root).filter((id) => existsSync(join(root, id, STATE_FILE))).sort() : [];
}

/**
 * The run `--resume` continues: `runId`, else the latest rollout or plan run (of `wave` and
 * `shard`, when given): a CI job that knows only its wave and shard finds its own run.
 */
export function findRun(outdir: string, filter: { runId?: string; wave?: string; shard?: Shard } = {}): RunState {
  if (filter.runId !== undefined) return readState(outdir, filter.runId);
  const wanted = (s: RunState) =>
    s.mode !== 'destroy' &&
    (filter.wave === undefined || s.wave === filter.wave) &&
    (filter.shard === undefined || (s.shard?.index === filter.shard.index && s.shard.count === filter.shard.count));
  for (const id of runIds(outdir).reverse()) {
    let state: RunState;
    try {
      state = readState(outdir, id);
    } catch {
      continue; // an older run's format: not resumable anyway
    }
    if (wanted(state)) return state;
  }
  const of = [filter.wave !== undefined ? `--wave ${filter.wave}` : '', filter.shard ? `--shard ${filter.shard.index}/${filter.shard.count}` : ''].filter(Boolean).join(' ');
  throw new UsageError(`--resume: no rollout${of ? ` of ${of}` : ''} to resume in ${rolloutRoot(outdir)}`);
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One rollout at a time per output folder: `cdktf.out/rollout/.lock` holds the pid of the
 * rollout running. A lock whose process is gone (a crash, a kill -9) is taken over. Returns the
 * release function.
 */
export function acquireLock(outdir: string): () => void {
  const root = rolloutRoot(outdir);
  mkdirSync(root, { recursive: true });
  const path = join(root, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new UsageError(`${path}: another rollout (pid ${pid}) is running on ${outdir}; wait for it, or stop it with Ctrl-C`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new UsageError(`${path}: cannot take the rollout lock`);
}
