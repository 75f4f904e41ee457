/**
 * The rollout: `central`, then the chosen waves' member stacks, at most K at a time, stopping
 * after more than F failures, with a progress line per stack, a state file and a summary.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OrgConfig } from '../../config/schema';
import { CENTRAL_STACK_ID } from '../../stacks/names';
import { CENTRAL_WAVE } from '../../stacks/synth-stamp';
import { EXIT_INTERRUPTED, UsageError } from '../common/errors';
import type { SynthOutput, SynthStack } from '../common/synth-output';
import { selectWaves, wavePlan } from '../common/wave-plan';
import { acquireLock, DONE, findRun, newRunId, runDir, writeState, type RunState, type StackRecord } from './state';
import { closeLog, commandLine, describeChanges, lastExitCode, logSize, openLog, parseChanges, ProcessGroup, readLogFrom, STACK_EXIT, stackScript, stackSteps, type Changes } from './terraform';

export interface VerifyOutcome {
  readonly ok: boolean;
  /** One line, printed after the wave. */
  readonly summary: string;
}

export interface RolloutOptions {
  readonly config: OrgConfig;
  readonly output: SynthOutput;
  /** `--wave`: a wave number or `all`; optional with `resume` (the run's own). */
  readonly wave?: string;
  readonly parallelism: number;
  readonly failureTolerance: number;
  readonly dryRun: boolean;
  readonly resume: boolean;
  /** With `resume`: the run to continue; default the latest. */
  readonly runId?: string;
  /** Shared provider plugin cache (`TF_PLUGIN_CACHE_DIR`), created if missing. */
  readonly pluginCacheDir: string;
  /** Environment of the terraform processes (plus the TF_* variables set here). */
  readonly env: NodeJS.ProcessEnv;
  readonly print: (line: string) => void;
  /** Runs after each wave when `--verify` is given; a failed check stops before the next wave. */
  readonly verifyWave?: (wave: number, stacks: readonly SynthStack[], since: Date) => Promise<VerifyOutcome>;
  /** Aborted on Ctrl-C: no new stacks, one SIGINT to each running terraform. */
  readonly signal?: AbortSignal;
  /** The terraform processes (the CLI forwards a second Ctrl-C through it). */
  readonly processes?: ProcessGroup;
  readonly now?: () => Date;
}

export interface RolloutResult {
  readonly exitCode: number;
  /** Undefined for a dry run. */
  readonly state?: RunState;
}

/** The environment terraform runs with. */
export function terraformEnv(base: NodeJS.ProcessEnv, pluginCacheDir: string): NodeJS.ProcessEnv {
  return {
    ...base,
    TF_PLUGIN_CACHE_DIR: pluginCacheDir,
    // Terraform >= 1.4 uses the cache only for providers whose checksums are in the stack's
    // .terraform.lock.hcl; cdktf.out has none on a first run, so without this every stack would
    // download the aws provider again. The lock file then records only this platform's checksum,
    // which is fine for a build output folder.
    // Terraform CLI configuration, `plugin_cache_may_break_dependency_lock_file` (Terraform 1.4):
    // https://developer.hashicorp.com/terraform/cli/config/config-file ; other rollout tools set it for
    // the same reason (minamijoyo/tfmigrate v0.3.11, malaval/aws-orga-deployer v0.1.4).
    TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE: base.TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE ?? 'true',
    TF_IN_AUTOMATION: '1',
  };
}

interface Phase {
  readonly wave: number;
  readonly stacks: readonly SynthStack[];
}

/** `central` first (always planned, applied when it has changes), then the selected member waves. */
function phasesFor(options: RolloutOptions, wave: string): Phase[] {
  const plan = wavePlan(options.config);
  const chosen = selectWaves(plan, wave).filter((w) => w.wave !== CENTRAL_WAVE);
  const stack = (id: string) => options.output.stacks.get(id)!;
  return [{ wave: CENTRAL_WAVE, stacks: [stack(CENTRAL_STACK_ID)] }, ...chosen.map((w) => ({ wave: w.wave, stacks: w.stacks.map(stack) }))];
}

/** Most frequent state writes while stacks finish; see `saveSoon`. */
const SAVE_EVERY_MS = 250;

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

function dryRun(options: RolloutOptions, phases: readonly Phase[], state?: RunState): number {
  const env = terraformEnv({}, options.pluginCacheDir);
  const p = options.print;
  p(`# dry run: the commands a rollout runs, in order; nothing is run. At most ${options.parallelism} member stacks at a time; failure tolerance ${options.failureTolerance}.`);
  p(`export TF_PLUGIN_CACHE_DIR=${env.TF_PLUGIN_CACHE_DIR} TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE=${env.TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE} TF_IN_AUTOMATION=1`);
  for (const phase of phases) {
    const todo = phase.stacks.filter((s) => !(state && DONE.includes(state.stacks[s.id]?.status ?? 'pending')));
    p(`# wave ${phase.wave}${phase.wave === CENTRAL_WAVE ? ' (central)' : ''}: ${todo.length} stack${todo.length === 1 ? '' : 's'}${state ? ' not yet applied in this run' : ''}`);
    for (const stack of todo) {
      for (const step of stackSteps(stack.dir)) {
        p(`${commandLine(step)}${step.name === 'apply' ? '   # only when the plan exits 2 (changes)' : ''}`);
      }
    }
    if (options.verifyWave) p(`npm run verify -- --wave ${phase.wave}   # --verify: stops here if it fails`);
  }
  return 0;
}

export async function runRollout(options: RolloutOptions): Promise<RolloutResult> {
  const now = options.now ?? (() => new Date());
  const outdir = options.output.outdir;
  let previous: RunState | undefined;
  if (options.resume) {
    previous = findRun(outdir, options.runId);
    if (previous.configSha256 !== options.output.configSha256) {
      throw new UsageError(`--resume: run ${previous.runId} rolled out another config; start a new rollout (without --resume)`);
    }
    if (options.wave !== undefined && options.wave !== previous.wave) {
      throw new UsageError(`--wave: run ${previous.runId} rolled out --wave ${previous.wave}, not ${options.wave}; omit --wave to resume it`);
    }
    if (previous.status === 'completed') {
      throw new UsageError(`--resume: run ${previous.runId} completed; nothing to resume`);
    }
  } else if (options.runId !== undefined) {
    throw new UsageError('--run-id: only with --resume');
  }
  const wave = previous?.wave ?? options.wave;
  if (wave === undefined) throw new UsageError('--wave: required (a wave number or all; `npm run waves` lists them)');
  const phases = phasesFor(options, wave);
  if (options.dryRun) return { exitCode: dryRun(options, phases, previous) };

  const release = acquireLock(outdir);
  try {
    return await rollout(options, phases, wave, previous, now);
  } finally {
    release();
  }
}

async function rollout(options: RolloutOptions, phases: readonly Phase[], wave: string, previous: RunState | undefined, now: () => Date): Promise<RolloutResult> {
  const outdir = options.output.outdir;
  mkdirSync(options.pluginCacheDir, { recursive: true });
  const env = terraformEnv(options.env, options.pluginCacheDir);
  const runId = previous?.runId ?? newRunId(outdir, now());
  const dir = runDir(outdir, runId);
  mkdirSync(dir, { recursive: true });
  const state: RunState = previous ?? {
    version: 1,
    runId,
    wave,
    configSha256: options.output.configSha256,
    startedAt: now().toISOString(),
    updatedAt: now().toISOString(),
    status: 'running',
    parallelism: options.parallelism,
    failureTolerance: options.failureTolerance,
    stacks: Object.fromEntries(phases.flatMap((ph) => ph.stacks.map((s): [string, StackRecord] => [s.id, { wave: ph.wave, status: 'pending', log: join(dir, `${s.id}.log`) }]))),
  };
  state.status = 'running';
  // The state is written after each stack, but at most every SAVE_EVERY_MS (1,000 stacks make
  // 1,000 writes of a 1,000-entry file otherwise); pending changes are flushed at the end, also
  // after Ctrl-C. A crash loses at most that window: those stacks plan again on resume, and a
  // stack already applied then plans no changes and is not applied twice.
  let lastSave = 0;
  let pendingSave: NodeJS.Timeout | undefined;
  const save = () => {
    if (pendingSave) clearTimeout(pendingSave);
    pendingSave = undefined;
    lastSave = Date.now();
    state.updatedAt = now().toISOString();
    writeState(outdir, state);
  };
  const saveSoon = () => {
    if (pendingSave) return;
    const wait = lastSave + SAVE_EVERY_MS - Date.now();
    if (wait <= 0) save();
    else pendingSave = setTimeout(save, wait);
  };
  save();

  const todo = phases.map((ph) => ({ ...ph, stacks: ph.stacks.filter((s) => !DONE.includes(state.stacks[s.id]!.status)) }));
  const total = todo.reduce((n, ph) => n + ph.stacks.length, 0);
  const p = options.print;
  p(
    previous
      ? `resuming rollout ${runId} (--wave ${wave}): ${total} stack${total === 1 ? '' : 's'} to go, logs in ${dir}`
      : `rollout ${runId} (--wave ${wave}): ${total} stack${total === 1 ? '' : 's'}, at most ${options.parallelism} at a time, failure tolerance ${options.failureTolerance}, logs in ${dir}`,
  );

  const processes = options.processes ?? new ProcessGroup();
  const interrupted = () => options.signal?.aborted === true;
  const onAbort = () => processes.interrupt();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // Failures in this invocation: a resumed run runs its failed stacks again, so they count anew.
  let failures = 0;
  let stopReason: string | undefined;
  let done = 0;

  const runStack = async (stack: SynthStack): Promise<void> => {
    const rec = state.stacks[stack.id]!;
    const started = Date.now();
    rec.status = 'running';
    delete rec.error;
    delete rec.changes;
    let changes: Changes | undefined;
    const fd = openLog(rec.log);
    let code: number;
    const from = logSize(fd);
    try {
      code = await processes.run(stackScript(stack.dir), { cwd: process.cwd(), env, logFd: fd });
    } finally {
      closeLog(fd);
    }
    const output = readLogFrom(rec.log, from);
    const failedStep = code === STACK_EXIT.failedInit ? 'init' : code === STACK_EXIT.failedPlan ? 'plan' : code === STACK_EXIT.failedApply ? 'apply' : undefined;
    if (code === STACK_EXIT.applied) {
      rec.status = 'applied';
      changes = parseChanges(output);
    } else if (code === STACK_EXIT.unchanged) {
      rec.status = 'unchanged';
    } else if (code === STACK_EXIT.interrupted || (interrupted() && failedStep)) {
      rec.status = 'interrupted';
      rec.error = `stopped by Ctrl-C (exit ${lastExitCode(output) ?? code})`;
    } else {
      rec.status = 'failed';
      rec.error = failedStep ? `${failedStep} exited with ${lastExitCode(output) ?? '?'}` : `stopped with exit code ${code}`;
    }
    rec.durationMs = Date.now() - started;
    if (changes) rec.changes = changes;
    done += 1;
    const head = `[${done}/${total}] ${stack.id}`;
    const took = seconds(rec.durationMs);
    if (rec.status === 'applied') p(`${head} applied in ${took}: ${describeChanges(changes)}`);
    else if (rec.status === 'unchanged') p(`${head} unchanged in ${took}: no changes`);
    else if (rec.status === 'interrupted') p(`${head} interrupted after ${took}${rec.error ? ` (${rec.error})` : ''}: see ${rec.log}`);
    else {
      failures += 1;
      p(`${head} FAILED in ${took} (${rec.error}): see ${rec.log}`);
      if (failures > options.failureTolerance && !stopReason) {
        stopReason = `${failures} stack${failures === 1 ? '' : 's'} failed, more than the failure tolerance ${options.failureTolerance}`;
      }
    }
    saveSoon();
  };

  const stopping = () => interrupted() || stopReason !== undefined;
  let verifyFailed = false;
  for (const phase of todo) {
    if (stopping()) break;
    const active = new Set<Promise<void>>();
    const queue = [...phase.stacks];
    while (queue.length > 0 && !stopping()) {
      if (active.size >= options.parallelism) {
        await Promise.race(active);
        continue;
      }
      const stack = queue.shift()!;
      const run: Promise<void> = runStack(stack).finally(() => active.delete(run));
      active.add(run);
    }
    await Promise.all(active);
    if (phase.wave === CENTRAL_WAVE && state.stacks[CENTRAL_STACK_ID]!.status === 'failed' && !stopReason) {
      stopReason = 'central failed: member stacks target its bus, so no member stack starts';
    }
    save();
    if (stopping()) break;
    if (options.verifyWave) {
      const outcome = await options.verifyWave(phase.wave, phases.find((ph) => ph.wave === phase.wave)!.stacks, new Date(state.startedAt));
      p(`verify wave ${phase.wave}: ${outcome.summary}`);
      if (!outcome.ok) {
        verifyFailed = true;
        stopReason = `verify failed after wave ${phase.wave}`;
        break;
      }
    }
  }
  options.signal?.removeEventListener('abort', onAbort);

  const failed = Object.entries(state.stacks).filter(([, r]) => r.status === 'failed');
  state.status = interrupted() ? 'interrupted' : failed.length > 0 ? 'failed' : stopReason ? 'stopped' : 'completed';
  save();
  for (const line of summaryTable(state)) p(line);
  if (interrupted()) p(`interrupted: resume with npm run rollout -- --resume --run-id ${runId}`);
  else if (stopReason) p(`stopped: ${stopReason}; after fixing, resume with npm run rollout -- --resume --run-id ${runId}`);
  if (failed.length > 0) {
    p(`failed stacks (${failed.length}):`);
    for (const [id, r] of failed) p(`  ${id}: ${r.error}; log ${r.log}`);
  }
  const exitCode = interrupted() ? EXIT_INTERRUPTED : failed.length > 0 || verifyFailed || stopReason ? 1 : 0;
  return { exitCode, state };
}

/** Per wave: applied, unchanged, failed, interrupted (only when any), not started. */
export function summaryTable(state: RunState): string[] {
  const cols = ['applied', 'unchanged', 'failed', 'interrupted', 'not started'] as const;
  const key = (r: StackRecord): (typeof cols)[number] =>
    r.status === 'pending' || r.status === 'running' ? 'not started' : (r.status as (typeof cols)[number]);
  const rows = new Map<string, Record<(typeof cols)[number], number>>();
  const blank = () => Object.fromEntries(cols.map((c) => [c, 0])) as Record<(typeof cols)[number], number>;
  const total = blank();
  for (const r of Object.values(state.stacks)) {
    const row = rows.get(String(r.wave)) ?? blank();
    row[key(r)] += 1;
    total[key(r)] += 1;
    rows.set(String(r.wave), row);
  }
  const shown = cols.filter((c) => c !== 'interrupted' || total.interrupted > 0);
  const table = [['wave', ...shown], ...[...rows.entries()].map(([w, row]) => [w, ...shown.map((c) => String(row[c]))]), ['total', ...shown.map((c) => String(total[c]))]];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}
