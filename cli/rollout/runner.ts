/**
 * The rollout: `central`, then the chosen waves' member stacks, at most K at a time, stopping
 * after more than F failures, with a progress line per stack, a line every minute naming the
 * stacks still running, a state file and a summary.
 *
 * Three ways to run it, one state file format (state.ts):
 * - a rollout (`--wave`): each stack is planned and, when the plan has changes, that saved plan
 *   is applied at once;
 * - a plan run (`--plan --wave`): each stack is planned, its plan kept in the run folder and
 *   counted (`+add ~change -destroy` from `terraform show -json`); nothing is applied;
 * - an apply (`--apply <run-id>`): the plan run's saved plans are applied, wave by wave, each
 *   only if its cdk.tf.json is still the one it was planned from.
 * `--resume` continues a rollout or plan run: what it did not finish, and every stack whose
 * cdk.tf.json changed since it was applied (or planned) in it.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OrgConfig } from '../../config/schema';
import { CENTRAL_STACK_ID } from '../../stacks/names';
import { CENTRAL_WAVE } from '../../stacks/synth-stamp';
import { EXIT_INTERRUPTED, UsageError } from '../common/errors';
import type { SynthOutput, SynthStack } from '../common/synth-output';
import { assertSynthForDeploy } from '../common/synth-role';
import { selectWaves, wavePlan } from '../common/wave-plan';
import { DEFAULT_RUN_OPTIONS, type RunOptions } from './args';
import { appliedDir, keepAppliedCopy, readAppliedRecord } from './applied';
import { addChanges, formatCounts, NO_CHANGES } from './plan-summary';
import { shardOf, shardText, type Shard } from './shard';
import { elapsed, runStackSteps, STACK_TIMEOUT_GRACE_MS, type StackResult } from './stack-run';
import {
  acquireLock,
  DONE,
  findRun,
  newRunId,
  readState,
  rolloutRoot,
  runDir,
  stackJsonSha256,
  STATE_VERSION,
  writeState,
  type RunState,
  type StackRecord,
} from './state';
import { checkTerraform, commandLine, describeChanges, ProcessGroup, stackSteps, type PlanFiles, type ScriptKind } from './terraform';

export interface VerifyOutcome {
  readonly ok: boolean;
  /** One line, printed after the wave. */
  readonly summary: string;
}

export interface RolloutOptions {
  readonly config: OrgConfig;
  readonly output: SynthOutput;
  /** `rollout` (plan and apply), `plan` (`--plan`), `apply` (`--apply <runId>`). */
  readonly mode: 'rollout' | 'plan' | 'apply';
  /** `--wave`: a wave number or `all`; optional with `resume` (the run's own). */
  readonly wave?: string;
  readonly shard?: Shard;
  readonly resume: boolean;
  /** With `resume`: the run to continue (default the latest); with `apply`: the plan run; else the new run's name. */
  readonly runId?: string;
  /** Options given on the command line; the rest come from the run (resume, apply) or the defaults. */
  readonly given: Partial<RunOptions>;
  readonly dryRun: boolean;
  /** Shared provider plugin cache (`TF_PLUGIN_CACHE_DIR`), created if missing. */
  readonly pluginCacheDir: string;
  /** Environment of the terraform processes (plus the TF_* variables set here). */
  readonly env: NodeJS.ProcessEnv;
  readonly print: (line: string) => void;
  /** Runs after each wave when the run's `verify` option is on; a failed check stops before the next wave. */
  readonly verifyWave?: (wave: number, stacks: readonly SynthStack[], since: Date) => Promise<VerifyOutcome>;
  /** Aborted on Ctrl-C: no new stacks, one SIGINT to each running terraform. */
  readonly signal?: AbortSignal;
  /** The terraform processes (the CLI forwards a second Ctrl-C through it). */
  readonly processes?: ProcessGroup;
  readonly now?: () => Date;
  /** Between the "still running" lines. @default 60,000 ms */
  readonly heartbeatMs?: number;
  /** Between SIGINT and SIGKILL of a stack past `--stack-timeout`. @default STACK_TIMEOUT_GRACE_MS */
  readonly stackTimeoutGraceMs?: number;
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

/**
 * The stacks of `--wave` (and `--shard`), in order: wave 0 first, `central` then (vault mode) the
 * vault stack, one at a time (always planned, applied when they have changes; with `--shard`, only
 * in shard 1 of `--wave 0` or `all`), then the member waves.
 */
export function phasesFor(config: OrgConfig, output: SynthOutput, wave: string, shard?: Shard): Phase[] {
  const stack = (id: string) => output.stacks.get(id)!;
  const plan = wavePlan(config);
  const chosen = selectWaves(plan, wave);
  const central = !shard || (shard.index === 1 && (wave === 'all' || wave === String(CENTRAL_WAVE)));
  const waveZero = plan.find((w) => w.wave === CENTRAL_WAVE)!.stacks;
  return [
    ...(central ? [{ wave: CENTRAL_WAVE, stacks: waveZero.map(stack) }] : []),
    ...chosen.filter((w) => w.wave !== CENTRAL_WAVE).map((w) => ({ wave: w.wave, stacks: (shard ? shardOf(w.stacks, shard) : w.stacks).map(stack) })),
  ];
}

/** Phases of a recorded run, in its order. */
function recordedPhases(state: RunState, output: SynthOutput): Phase[] {
  const phases: { wave: number; stacks: SynthStack[] }[] = [];
  for (const [id, rec] of Object.entries(state.stacks)) {
    const stack = output.stacks.get(id);
    if (!stack) throw new UsageError(`run ${state.runId}: stack ${id} is not in cdktf.out; run \`npm run synth\` with the run's ORG_CONFIG first`);
    if (phases[phases.length - 1]?.wave !== rec.wave) phases.push({ wave: rec.wave, stacks: [] });
    phases[phases.length - 1]!.stacks.push(stack);
  }
  return phases;
}

/** Most frequent state writes while stacks finish; see `saveSoon`. */
const SAVE_EVERY_MS = 1000;

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

const planFiles = (outdir: string, runId: string, stackId: string, kind = 'tfplan'): PlanFiles => {
  const base = resolve(runDir(outdir, runId), `${stackId}.${kind}`);
  return { plan: base, json: `${base}.json` };
};

/** The options of a command line that does what this run did (`--resume`/`--apply` hints). */
export function optionFlags(o: RunOptions, mode: RunState['mode']): string {
  return `--parallelism ${o.parallelism} --failure-tolerance ${o.failureTolerance} --lock-timeout ${o.lockTimeout} --stack-timeout ${o.stackTimeout}${o.verify && mode !== 'plan' ? ' --verify' : ''}`;
}

/** The command that continues `state` with its recorded options. */
export function continueCommand(state: RunState, applying: boolean): string {
  return applying
    ? `npm run rollout -- --apply ${state.runId} ${optionFlags(state.options, 'rollout')}`
    : `npm run rollout -- --resume --run-id ${state.runId} ${optionFlags(state.options, state.mode)}`;
}

/** What a stack's record must say for a resumed run to skip it: done, from the cdk.tf.json it has now. */
function upToDate(rec: StackRecord, mode: RunState['mode'], sha: string | undefined): boolean {
  if (!DONE.includes(rec.status)) return false;
  return (mode === 'plan' ? rec.plannedSha256 : rec.appliedSha256) === sha;
}

interface Prepared {
  readonly state?: RunState;
  readonly phases: Phase[];
  readonly wave: string;
  readonly options: RunOptions;
  /** Stacks a resumed run runs again although they were done: their cdk.tf.json changed. */
  readonly changedSince: readonly string[];
  /** What each stack's script does: a resumed run does what it did before. */
  readonly kind: ScriptKind;
}

function prepare(o: RolloutOptions): Prepared {
  const outdir = o.output.outdir;
  if (o.mode === 'apply') {
    const planned = readState(outdir, o.runId!, '--apply');
    if (planned.mode !== 'plan') throw new UsageError(`--apply: run ${planned.runId} is not a --plan run (it ${planned.mode === 'rollout' ? 'planned and applied each stack itself' : 'is a destroy'})`);
    if (planned.configSha256 !== o.output.configSha256) throw new UsageError(`--apply: run ${planned.runId} planned another config; plan this one with --plan`);
    const unplanned = Object.entries(planned.stacks).filter(([, r]) => r.plannedSha256 === undefined || (r.status === 'failed' && !planned.applyStartedAt));
    if (unplanned.length > 0) {
      const ids = unplanned.map(([id]) => id);
      throw new UsageError(
        `--apply: run ${planned.runId} has ${plural(ids.length, 'stack')} without a saved plan (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}): finish planning first with ${continueCommand(planned, false)}`,
      );
    }
    const options = { ...DEFAULT_RUN_OPTIONS, ...planned.options, ...o.given };
    const todo = (rec: StackRecord) => rec.status !== 'applied' && rec.status !== 'unchanged';
    const phases = recordedPhases(planned, o.output)
      .map((ph) => ({ ...ph, stacks: ph.stacks.filter((s) => todo(planned.stacks[s.id]!)) }))
      .filter((ph) => ph.stacks.length > 0);
    if (phases.length === 0) throw new UsageError(`--apply: run ${planned.runId} has nothing left to apply (every stack is applied or had no changes)`);
    return { state: planned, phases, wave: planned.wave, options, changedSince: [], kind: 'apply' };
  }
  if (!o.resume) {
    if (o.wave === undefined) throw new UsageError('--wave: required (a wave number or all; `npm run waves` lists them)');
    if (o.runId !== undefined && (o.runId === 'applied' || existsSync(runDir(outdir, o.runId)))) {
      throw new UsageError(`--run-id: ${o.runId} is taken in ${rolloutRoot(outdir)}; choose another name (or --resume it)`);
    }
    return { phases: phasesFor(o.config, o.output, o.wave, o.shard), wave: o.wave, options: { ...DEFAULT_RUN_OPTIONS, ...o.given }, changedSince: [], kind: o.mode === 'plan' ? 'plan' : 'rollout' };
  }
  const previous = findRun(outdir, { runId: o.runId, wave: o.wave, shard: o.shard });
  if (previous.mode === 'destroy') throw new UsageError(`--resume: run ${previous.runId} is a destroy; run --destroy again`);
  if (previous.configSha256 !== o.output.configSha256) {
    throw new UsageError(`--resume: run ${previous.runId} rolled out another config; start a new rollout (without --resume)`);
  }
  if (o.wave !== undefined && o.wave !== previous.wave) {
    throw new UsageError(`--wave: run ${previous.runId} rolled out --wave ${previous.wave}, not ${o.wave}; omit --wave to resume it`);
  }
  const recordedShard = previous.shard ? shardText(previous.shard) : 'none';
  if (o.shard !== undefined && shardText(o.shard) !== recordedShard) {
    throw new UsageError(`--shard: run ${previous.runId} is --shard ${recordedShard}, not ${shardText(o.shard)}; omit --shard to resume it`);
  }
  if (o.mode === 'plan' && previous.mode !== 'plan') throw new UsageError(`--plan: run ${previous.runId} is a rollout, not a --plan run; omit --plan to resume it`);
  if (previous.mode === 'plan' && previous.applyStartedAt) {
    throw new UsageError(`--resume: run ${previous.runId}'s plans are being applied; continue with ${continueCommand(previous, true)}`);
  }
  const phases = recordedPhases(previous, o.output);
  const changedSince: string[] = [];
  const todo = phases
    .map((ph) => ({
      ...ph,
      stacks: ph.stacks.filter((s) => {
        const rec = previous.stacks[s.id]!;
        if (!DONE.includes(rec.status)) return true;
        if (upToDate(rec, previous.mode, stackJsonSha256(s.dir))) return false;
        changedSince.push(s.id);
        return true;
      }),
    }))
    .filter((ph) => ph.stacks.length > 0);
  if (todo.length === 0) {
    throw new UsageError(
      previous.status === 'completed'
        ? `--resume: run ${previous.runId} completed; nothing to resume`
        : `--resume: run ${previous.runId} has nothing left to run (every stack is done and its cdk.tf.json unchanged)`,
    );
  }
  return { state: previous, phases: todo, wave: previous.wave, options: { ...DEFAULT_RUN_OPTIONS, ...previous.options, ...o.given }, changedSince, kind: previous.mode === 'plan' ? 'plan' : 'rollout' };
}

function dryRun(o: RolloutOptions, p: Prepared): number {
  const env = terraformEnv({}, o.pluginCacheDir);
  const runId = p.state?.runId ?? o.runId ?? newRunId(o.output.outdir, (o.now ?? (() => new Date()))());
  const print = o.print;
  const kind = p.kind;
  print(
    `# dry run: the commands ${kind === 'apply' ? `--apply ${runId}` : kind === 'plan' ? 'a --plan run' : 'a rollout'} runs, in order; nothing is run. ` +
      `At most ${p.options.parallelism} stacks at a time; failure tolerance ${p.options.failureTolerance}; run folder ${runDir(o.output.outdir, runId)}.`,
  );
  print(`export TF_PLUGIN_CACHE_DIR=${env.TF_PLUGIN_CACHE_DIR} TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE=${env.TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE} TF_IN_AUTOMATION=1`);
  for (const phase of p.phases) {
    const n = phase.stacks.length;
    print(`# wave ${phase.wave}${phase.wave === CENTRAL_WAVE ? ` (${phase.stacks.map((x) => x.id).join(', ')})` : ''}: ${plural(n, 'stack')}${p.state ? ' still to run in this run' : ''}`);
    for (const stack of phase.stacks) {
      if (kind === 'apply') print(`# ${stack.id}: only if sha256(${stack.dir}/cdk.tf.json) is still ${p.state!.stacks[stack.id]!.plannedSha256}`);
      for (const step of stackSteps(kind, stack.dir, planFiles(o.output.outdir, runId, stack.id), p.options.lockTimeout)) {
        print(`${commandLine(step)}${step.afterChanges ? '   # only when the plan exits 2 (changes)' : ''}`);
      }
    }
    if (p.options.verify && kind !== 'plan') print(`npm run verify -- --wave ${phase.wave}   # --verify: stops here if it fails`);
  }
  return 0;
}

export async function runRollout(options: RolloutOptions): Promise<RolloutResult> {
  const prepared = prepare(options);
  if (options.dryRun) return { exitCode: dryRun(options, prepared) };
  // Before anything is created or started, each one line and exit 2: a synth for planning
  // (EBS_EVENT_HUB_ROLE=plan: its providers assume the read-only role) applies nothing, so only a
  // --plan run may use it; a missing or too old terraform.
  if (prepared.kind !== 'plan') assertSynthForDeploy(options.output.outdir);
  checkTerraform(options.env);
  const release = acquireLock(options.output.outdir);
  try {
    return await rollout(options, prepared);
  } finally {
    release();
  }
}

/** Stacks the rollout applied once that the config no longer has: their resources are still deployed. */
function leftBehind(o: RolloutOptions): string[] {
  const dir = join(rolloutRoot(o.output.outdir), 'applied');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((id) => !o.output.stacks.has(id))
    .map((id) => {
      const rec = readAppliedRecord(o.output.outdir, id);
      return `note: ${id} was applied${rec ? ` (run ${rec.runId}, ${rec.at})` : ''} but is not in this config: its resources are still deployed; destroy them with npm run rollout -- --destroy ${id} (or remove ${appliedDir(o.output.outdir, id)} if they are gone)`;
    });
}

async function rollout(o: RolloutOptions, prepared: Prepared): Promise<RolloutResult> {
  const now = o.now ?? (() => new Date());
  const outdir = o.output.outdir;
  const { phases, wave, options } = prepared;
  mkdirSync(o.pluginCacheDir, { recursive: true });
  const env = terraformEnv(o.env, o.pluginCacheDir);
  const runId = prepared.state?.runId ?? o.runId ?? newRunId(outdir, now());
  const dir = runDir(outdir, runId);
  mkdirSync(dir, { recursive: true });
  const applying = o.mode === 'apply';
  const state: RunState = prepared.state ?? {
    version: STATE_VERSION,
    runId,
    mode: prepared.kind === 'plan' ? 'plan' : 'rollout',
    wave,
    ...(o.shard ? { shard: o.shard } : {}),
    configSha256: o.output.configSha256,
    startedAt: now().toISOString(),
    updatedAt: now().toISOString(),
    status: 'running',
    options,
    stacks: Object.fromEntries(phases.flatMap((ph) => ph.stacks.map((s): [string, StackRecord] => [s.id, { wave: ph.wave, status: 'pending', log: join(dir, `${s.id}.log`) }]))),
  };
  state.status = 'running';
  state.options = options;
  if (applying && !state.applyStartedAt) state.applyStartedAt = now().toISOString();
  // The state is written after each stack, but at most every SAVE_EVERY_MS, or 20 times as long as
  // the last write took (10,000 stacks make a 4 MB file, ~40 ms to write): writing never takes
  // more than 5% of the time. Pending changes are flushed at the end, also after Ctrl-C. A crash
  // loses at most that window: those stacks plan again on resume, and a stack already applied
  // then plans no changes and is not applied twice.
  let lastSave = 0;
  let saveCost = 0;
  let pendingSave: NodeJS.Timeout | undefined;
  const save = () => {
    if (pendingSave) clearTimeout(pendingSave);
    pendingSave = undefined;
    const t = Date.now();
    state.updatedAt = now().toISOString();
    writeState(outdir, state);
    lastSave = Date.now();
    saveCost = lastSave - t;
  };
  const saveSoon = () => {
    if (pendingSave) return;
    const wait = lastSave + Math.max(SAVE_EVERY_MS, 20 * saveCost) - Date.now();
    if (wait <= 0) save();
    else pendingSave = setTimeout(save, wait);
  };
  save();

  const total = phases.reduce((n, ph) => n + ph.stacks.length, 0);
  const p = o.print;
  const what = applying ? `apply of plan run ${runId}` : `${state.mode === 'plan' ? 'plan run' : 'rollout'} ${runId}`;
  const scope = `--wave ${wave}${state.shard ? ` --shard ${shardText(state.shard)}` : ''}`;
  p(
    prepared.state && !applying
      ? `resuming ${what} (${scope}): ${plural(total, 'stack')} to go, logs in ${dir}`
      : `${what} (${scope}): ${plural(total, 'stack')}, at most ${options.parallelism} at a time, failure tolerance ${options.failureTolerance}, logs in ${dir}`,
  );
  const since = state.mode === 'plan' ? 'planned' : 'applied';
  if (prepared.changedSince.length > 10) {
    const ids = prepared.changedSince;
    p(`${ids.length} stacks' cdk.tf.json changed since they were ${since} in this run: planning them again (${ids.slice(0, 10).join(', ')}, ...)`);
  } else {
    for (const id of prepared.changedSince) p(`${id}: its cdk.tf.json changed since it was ${since} in this run: planning it again`);
  }
  for (const line of leftBehind(o)) p(line);

  const processes = o.processes ?? new ProcessGroup();
  const interrupted = () => o.signal?.aborted === true;
  const onAbort = () => processes.interrupt();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  // Failures in this invocation: a resumed run runs its failed stacks again, so they count anew.
  let failures = 0;
  let stopReason: string | undefined;
  let done = 0;
  const running = new Map<string, number>();
  const heartbeat = setInterval(() => {
    if (running.size === 0) return;
    const t = Date.now();
    const list = [...running.entries()].sort((a, b) => a[1] - b[1]).map(([id, started]) => `${id} ${elapsed(t - started)}`);
    p(`still running (${running.size}): ${list.join(', ')}`);
  }, o.heartbeatMs ?? 60_000);
  const ctx = {
    processes,
    env,
    stackTimeout: options.stackTimeout,
    graceMs: o.stackTimeoutGraceMs ?? STACK_TIMEOUT_GRACE_MS,
    interrupted,
  };

  const runStack = async (stack: SynthStack): Promise<void> => {
    const rec = state.stacks[stack.id]!;
    const started = Date.now();
    running.set(stack.id, started);
    rec.status = 'running';
    delete rec.error;
    const files = planFiles(outdir, runId, stack.id);
    const sha = stackJsonSha256(stack.dir);
    let result: StackResult;
    if (applying && sha !== rec.plannedSha256) {
      result = {
        kind: 'failed',
        error: `its cdk.tf.json changed since its plan (sha256 ${rec.plannedSha256?.slice(0, 12)}... then, ${sha?.slice(0, 12) ?? 'unreadable'}... now): not applied; plan it again with --plan`,
      };
    } else if (applying && !existsSync(files.plan)) {
      result = { kind: 'failed', error: `its saved plan ${files.plan} is missing: not applied; plan it again with --plan` };
    } else {
      if (!applying) delete rec.changes;
      result = await runStackSteps(ctx, stackSteps(prepared.kind, stack.dir, files, options.lockTimeout), rec.log, files);
    }
    running.delete(stack.id);
    rec.durationMs = Date.now() - started;
    rec.status = result.kind;
    if (result.kind === 'failed' || result.kind === 'interrupted') rec.error = result.error;
    if (result.kind === 'planned') {
      rec.changes = result.changes;
      rec.plannedSha256 = sha;
    }
    if (result.kind === 'applied' && result.changes) rec.changes = result.changes;
    if (result.kind === 'unchanged' && state.mode === 'plan') rec.plannedSha256 = sha;
    if (result.kind === 'applied' || result.kind === 'unchanged') {
      if (state.mode === 'rollout' || applying) rec.appliedSha256 = sha;
      keepAppliedCopy(outdir, stack.id, stack.dir, { runId, at: now().toISOString(), cdkSha256: sha! });
    }
    done += 1;
    const head = `[${done}/${total}] ${stack.id}`;
    const took = seconds(rec.durationMs);
    if (result.kind === 'applied') p(`${head} applied in ${took}: ${describeChanges(result.changes)}`);
    else if (result.kind === 'planned') p(`${head} planned in ${took}: ${formatCounts(result.changes)}`);
    else if (result.kind === 'unchanged') p(`${head} unchanged in ${took}: no changes`);
    else if (result.kind === 'interrupted') p(`${head} interrupted after ${took} (${result.error}): see ${rec.log}`);
    else {
      failures += 1;
      p(`${head} FAILED in ${took} (${result.error}): see ${rec.log}`);
      if (failures > options.failureTolerance && !stopReason) {
        stopReason = `${plural(failures, 'stack')} failed, more than the failure tolerance ${options.failureTolerance}`;
      }
    }
    saveSoon();
  };

  const stopping = () => interrupted() || stopReason !== undefined;
  let verifyFailed = false;
  const verifySince = new Date(applying ? state.applyStartedAt! : state.startedAt);
  try {
    for (const phase of phases) {
      if (stopping()) break;
      const active = new Set<Promise<void>>();
      const queue = [...phase.stacks];
      // Wave 0 one stack at a time: central initializes the plugin cache alone (Terraform's cache is
      // not safe for concurrent installs, hashicorp/terraform#31964), and a failed central stops
      // the rollout before the vault stack starts.
      const limit = phase.wave === CENTRAL_WAVE ? 1 : options.parallelism;
      while (queue.length > 0 && !stopping()) {
        if (phase.wave === CENTRAL_WAVE && state.stacks[CENTRAL_STACK_ID]?.status === 'failed') {
          stopReason = 'central failed: member stacks target its bus, so no member stack starts';
          break;
        }
        if (active.size >= limit) {
          await Promise.race(active);
          continue;
        }
        const stack = queue.shift()!;
        const run: Promise<void> = runStack(stack).finally(() => active.delete(run));
        active.add(run);
      }
      await Promise.all(active);
      if (phase.wave === CENTRAL_WAVE && state.stacks[CENTRAL_STACK_ID]?.status === 'failed' && !stopReason) {
        stopReason = 'central failed: member stacks target its bus, so no member stack starts';
      }
      save();
      if (stopping()) break;
      if (options.verify && state.mode !== 'plan' && o.verifyWave && phase.stacks.length > 0) {
        const outcome = await o.verifyWave(phase.wave, phase.stacks, verifySince);
        p(`verify wave ${phase.wave}: ${outcome.summary}`);
        if (!outcome.ok) {
          verifyFailed = true;
          stopReason = `verify failed after wave ${phase.wave}`;
          break;
        }
      }
    }
  } finally {
    clearInterval(heartbeat);
    o.signal?.removeEventListener('abort', onAbort);
  }

  const failed = Object.entries(state.stacks).filter(([, r]) => r.status === 'failed');
  state.status = interrupted() ? 'interrupted' : failed.length > 0 ? 'failed' : stopReason ? 'stopped' : 'completed';
  save();
  for (const line of summaryTable(state)) p(line);
  if (state.mode === 'plan' && !applying) {
    const planned = Object.values(state.stacks).filter((r) => r.status === 'planned').length;
    const unchanged = Object.values(state.stacks).filter((r) => r.status === 'unchanged').length;
    const recorded = Object.values(state.stacks).reduce((sum, r) => (r.status === 'planned' && r.changes ? addChanges(sum, r.changes) : sum), NO_CHANGES);
    p(`plan ${runId}: ${formatCounts({ ...recorded, replaced: [] })} in ${plural(planned, 'stack')} with changes${recorded.replaced?.length ? ` (${recorded.replaced.length} replaced)` : ''}, ${unchanged} unchanged, ${failed.length} failed`);
    if (state.status === 'completed') p(`review the plans (each stack's log, or terraform show ${dir}/<stack>.tfplan), then apply exactly these: ${continueCommand(state, true)}`);
  }
  const hint = `${applying ? 'continue the apply' : 'resume'} with ${continueCommand(state, applying)}`;
  if (interrupted()) p(`interrupted: ${hint}`);
  else if (stopReason || failed.length > 0) p(`stopped${stopReason ? `: ${stopReason}` : ''}; after fixing, ${hint}`);
  if (failed.length > 0) {
    p(`failed stacks (${failed.length}):`);
    for (const [id, r] of failed) p(`  ${id}: ${r.error}; log ${r.log}`);
  }
  // Applying those again cannot help: they need a new plan.
  const replan = applying ? failed.filter(([, r]) => /Saved plan is stale|changed since its plan|saved plan .* is missing/.test(r.error ?? '')).map(([id]) => id) : [];
  if (replan.length > 0) {
    p(`${plural(replan.length, 'stack')} need${replan.length === 1 ? 's' : ''} a new plan (${replan.slice(0, 5).join(', ')}${replan.length > 5 ? ', ...' : ''}): npm run rollout -- --plan --wave ${wave}${state.shard ? ` --shard ${shardText(state.shard)}` : ''}, then --apply that run`);
  }
  const exitCode = interrupted() ? EXIT_INTERRUPTED : failed.length > 0 || verifyFailed || stopReason ? 1 : 0;
  return { exitCode, state };
}

/** Per wave: planned (plan runs), applied, unchanged, failed, interrupted (only when any), not started. */
export function summaryTable(state: RunState): string[] {
  const all = ['planned', 'applied', 'unchanged', 'failed', 'interrupted', 'not started'] as const;
  type Col = (typeof all)[number];
  const key = (r: StackRecord): Col => (r.status === 'pending' || r.status === 'running' ? 'not started' : r.status);
  const rows = new Map<string, Record<Col, number>>();
  const blank = () => Object.fromEntries(all.map((c) => [c, 0])) as Record<Col, number>;
  const total = blank();
  for (const r of Object.values(state.stacks)) {
    const row = rows.get(String(r.wave)) ?? blank();
    row[key(r)] += 1;
    total[key(r)] += 1;
    rows.set(String(r.wave), row);
  }
  const shown = all.filter(
    (c) =>
      (c === 'planned' ? state.mode === 'plan' : true) &&
      (c === 'applied' ? state.mode !== 'plan' || state.applyStartedAt !== undefined : true) &&
      (c === 'interrupted' ? total.interrupted > 0 : true),
  );
  const table = [['wave', ...shown], ...[...rows.entries()].map(([w, row]) => [w, ...shown.map((c) => String(row[c]))]), ['total', ...shown.map((c) => String(total[c]))]];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}
