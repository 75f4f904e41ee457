/**
 * A rollout run's state: `cdktf.out/rollout/<run-id>/state.json`, next to each stack's log.
 *
 * Written after every stack finishes, atomically (a temporary file in the same folder, then
 * rename, which POSIX makes atomic on one file system): a Ctrl-C or a crash leaves the previous
 * complete state, never half a file. `--resume` reads it to skip the stacks already applied.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Changes } from './terraform';
import { writeFileAtomically } from '../common/atomic';
import { UsageError } from '../common/errors';

export type StackStatus = 'pending' | 'running' | 'applied' | 'unchanged' | 'failed' | 'interrupted';
export type RunStatus = 'running' | 'completed' | 'failed' | 'stopped' | 'interrupted';

export interface StackRecord {
  readonly wave: number;
  status: StackStatus;
  /** Log file, relative to the current directory of the run. */
  readonly log: string;
  durationMs?: number;
  changes?: Changes;
  /** What failed: `plan exited with 1`, say. */
  error?: string;
}

export interface RunState {
  readonly version: 1;
  readonly runId: string;
  /** `--wave` as given: a wave number or `all`. */
  readonly wave: string;
  readonly configSha256: string;
  readonly startedAt: string;
  updatedAt: string;
  status: RunStatus;
  readonly parallelism: number;
  readonly failureTolerance: number;
  /** In rollout order. */
  readonly stacks: Record<string, StackRecord>;
}

export const STATE_FILE = 'state.json';
export const rolloutRoot = (outdir: string): string => join(outdir, 'rollout');
export const runDir = (outdir: string, runId: string): string => join(rolloutRoot(outdir), runId);

/** Statuses a resumed run does not run again. */
export const DONE: readonly StackStatus[] = ['applied', 'unchanged'];

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

export function readState(outdir: string, runId: string): RunState {
  const path = join(runDir(outdir, runId), STATE_FILE);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunState;
  } catch (err) {
    throw new UsageError(`--run-id: no readable rollout state at ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The run `--resume` continues: `runId`, else the latest run that has a state file. */
export function findRun(outdir: string, runId?: string): RunState {
  if (runId !== undefined) return readState(outdir, runId);
  const root = rolloutRoot(outdir);
  const ids = existsSync(root) ? readdirSync(root).filter((id) => existsSync(join(root, id, STATE_FILE))).sort() : [];
  if (ids.length === 0) throw new UsageError(`--resume: no rollout to resume in ${root}`);
  return readState(outdir, ids[ids.length - 1]!);
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
