/**
 * `npm run rollout -- --destroy <stack> [--destroy <stack>...] [--yes]`: one stack at a time,
 * `terraform plan -destroy -out=<run>/<stack>.destroy.tfplan`, the resources it would destroy
 * printed (count and addresses), then, confirmed, `terraform apply` of exactly that plan.
 *
 * Where from: the stack's synthesized folder (`cdktf.out/stacks/<stack>`, the last synth that
 * had it: it also holds local state), else the copy the rollout kept when it applied the stack
 * (applied.ts): its backend and providers, which destroy what the state holds.
 *
 * Confirmation: `--yes`; else, when stdin is a terminal, typing the stack id; else (CI, a pipe)
 * it is refused after the plan is shown (exit 2), so a script never destroys by accident.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { OrgConfig } from '../../config/schema';
import { CENTRAL_STACK_ID, memberStackId } from '../../stacks/names';
import { EXIT_INTERRUPTED, UsageError } from '../common/errors';
import { assertSynthForDeploy } from '../common/synth-role';
import { DEFAULT_RUN_OPTIONS, type RunOptions } from './args';
import { appliedDir, forgetAppliedCopy, readAppliedRecord } from './applied';
import { formatCounts, type Changes } from './plan-summary';
import { terraformEnv } from './runner';
import { runStackSteps, STACK_TIMEOUT_GRACE_MS } from './stack-run';
import { acquireLock, newRunId, runDir, STATE_VERSION, writeState, type RunState } from './state';
import { checkTerraform, commandLine, ProcessGroup, stackSteps, type PlanFiles } from './terraform';

export interface DestroyOptions {
  readonly config: OrgConfig;
  readonly outdir: string;
  readonly stacks: readonly string[];
  readonly yes: boolean;
  readonly dryRun: boolean;
  readonly given: Partial<RunOptions>;
  readonly pluginCacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly print: (line: string) => void;
  /** Asks the operator (stdin a terminal); undefined when stdin is not one. */
  readonly confirm?: (stackId: string, changes: Changes) => Promise<boolean>;
  readonly signal?: AbortSignal;
  readonly processes?: ProcessGroup;
  readonly now?: () => Date;
  readonly stackTimeoutGraceMs?: number;
}

export interface DestroySource {
  readonly dir: string;
  /** How the operator is told where it comes from. */
  readonly from: string;
}

/** The folder a stack is destroyed from: its synthesized folder, else the rollout's kept copy. */
export function destroySource(outdir: string, stackId: string, cwd = process.cwd()): DestroySource {
  let workingDirectory = join('stacks', stackId);
  try {
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks?: Record<string, { workingDirectory?: string }> };
    workingDirectory = manifest.stacks?.[stackId]?.workingDirectory ?? workingDirectory;
  } catch {
    // no manifest: cdktf's default layout
  }
  const shown = (abs: string) => (relative(cwd, abs).startsWith('..') ? abs : relative(cwd, abs));
  const synthesized = resolve(cwd, outdir, workingDirectory);
  if (existsSync(join(synthesized, 'cdk.tf.json'))) return { dir: shown(synthesized), from: 'its last synthesized copy' };
  const kept = resolve(cwd, appliedDir(outdir, stackId));
  if (existsSync(join(kept, 'cdk.tf.json'))) {
    const backend = (JSON.parse(readFileSync(join(kept, 'cdk.tf.json'), 'utf8')) as { terraform?: { backend?: Record<string, unknown> } }).terraform?.backend ?? {};
    if ('local' in backend || Object.keys(backend).length === 0) {
      throw new UsageError(
        `--destroy: ${stackId}: its state was local, in ${join(outdir, workingDirectory)}, which is gone: there is no state to destroy from (the resources, if any, are still in the account)`,
      );
    }
    const rec = readAppliedRecord(outdir, stackId);
    return { dir: shown(kept), from: `the copy kept when run ${rec?.runId ?? '?'} applied it${rec ? ` (${rec.at})` : ''}` };
  }
  throw new UsageError(
    `--destroy: ${stackId}: no synthesized copy (${join(outdir, workingDirectory, 'cdk.tf.json')}) and no copy kept by the rollout (${join(appliedDir(outdir, stackId), 'cdk.tf.json')}): nothing to destroy it from`,
  );
}

/** The wave the config gives a stack, or undefined when the config no longer has it. */
function waveInConfig(config: OrgConfig, stackId: string): number | undefined {
  if (stackId === CENTRAL_STACK_ID) return 0;
  return config.members.find((m) => memberStackId(m.accountId) === stackId)?.wave;
}

export async function runDestroy(o: DestroyOptions): Promise<number> {
  const options = { ...DEFAULT_RUN_OPTIONS, ...o.given };
  const now = o.now ?? (() => new Date());
  const sources = o.stacks.map((id) => ({ id, ...destroySource(o.outdir, id) }));
  const p = o.print;
  const runId = newRunId(o.outdir, now());
  const files = (id: string): PlanFiles => {
    const plan = resolve(runDir(o.outdir, runId), `${id}.destroy.tfplan`);
    return { plan, json: `${plan}.json` };
  };
  if (o.dryRun) {
    p(`# dry run: the commands --destroy runs, in order; nothing is run. Run folder ${runDir(o.outdir, runId)}.`);
    for (const s of sources) {
      p(`# ${s.id}: from ${s.from}`);
      for (const step of stackSteps('destroy-plan', s.dir, files(s.id), options.lockTimeout)) p(commandLine(step));
      p(`# then, confirmed (--yes, or the stack id typed at a terminal):`);
      for (const step of stackSteps('apply', s.dir, files(s.id), options.lockTimeout)) p(commandLine(step));
    }
    return 0;
  }
  // A synthesized folder made for planning (EBS_EVENT_HUB_ROLE=plan) cannot destroy either.
  if (sources.some((s) => !s.from.startsWith('the copy kept'))) assertSynthForDeploy(o.outdir);
  checkTerraform(o.env);
  const release = acquireLock(o.outdir);
  try {
    const dir = runDir(o.outdir, runId);
    mkdirSync(dir, { recursive: true });
    mkdirSync(o.pluginCacheDir, { recursive: true });
    const processes = o.processes ?? new ProcessGroup();
    const onAbort = () => processes.interrupt();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const ctx = {
      processes,
      env: terraformEnv(o.env, o.pluginCacheDir),
      stackTimeout: options.stackTimeout,
      graceMs: o.stackTimeoutGraceMs ?? STACK_TIMEOUT_GRACE_MS,
      interrupted: () => o.signal?.aborted === true,
    };
    const state: RunState = {
      version: STATE_VERSION,
      runId,
      mode: 'destroy',
      wave: 'none',
      configSha256: '',
      startedAt: now().toISOString(),
      updatedAt: now().toISOString(),
      status: 'running',
      options,
      stacks: Object.fromEntries(sources.map((s) => [s.id, { wave: waveInConfig(o.config, s.id) ?? -1, status: 'pending' as const, log: join(dir, `${s.id}.log`) }])),
    };
    const save = (status: RunState['status']) => {
      state.status = status;
      state.updatedAt = now().toISOString();
      writeState(o.outdir, state);
    };
    save('running');
    try {
      for (const s of sources) {
        const rec = state.stacks[s.id]!;
        const wave = waveInConfig(o.config, s.id);
        p(`destroy ${s.id}: from ${s.from} (${s.dir}); log ${rec.log}`);
        if (wave !== undefined) {
          p(`${s.id}: still in the config (wave ${wave}): the next rollout of that wave creates it again; remove it from ORG_CONFIG to keep it gone`);
        }
        const planned = await runStackSteps(ctx, stackSteps('destroy-plan', s.dir, files(s.id), options.lockTimeout), rec.log, files(s.id));
        if (planned.kind === 'interrupted' || ctx.interrupted()) {
          rec.status = 'interrupted';
          p(`${s.id}: interrupted; nothing destroyed`);
          save('interrupted');
          return EXIT_INTERRUPTED;
        }
        if (planned.kind === 'failed') {
          rec.status = 'failed';
          rec.error = planned.error;
          p(`${s.id}: plan -destroy FAILED (${planned.error}): see ${rec.log}`);
          save('failed');
          return 1;
        }
        if (planned.kind !== 'planned') {
          rec.status = 'unchanged';
          p(`${s.id}: nothing to destroy: its state holds no resources`);
          forgetAppliedCopy(o.outdir, s.id);
          continue;
        }
        rec.changes = planned.changes;
        const planShown = relative(process.cwd(), files(s.id).plan);
        p(`${s.id}: plan -destroy: ${formatCounts(planned.changes)}, saved in ${planShown.startsWith('..') ? files(s.id).plan : planShown}:`);
        for (const address of planned.changes.deleted ?? []) p(`  - ${address}`);
        let go = o.yes;
        if (!go && o.confirm) go = await o.confirm(s.id, planned.changes);
        else if (!go) {
          rec.status = 'planned';
          p(`${s.id}: not destroyed: stdin is not a terminal, so nothing can confirm it; add --yes to destroy what the plan above lists`);
          save('stopped');
          return 2;
        }
        if (!go) {
          rec.status = 'planned';
          p(`${s.id}: not destroyed (not confirmed)`);
          save('stopped');
          return 1;
        }
        const started = Date.now();
        const applied = await runStackSteps(ctx, stackSteps('apply', s.dir, files(s.id), options.lockTimeout), rec.log, files(s.id));
        rec.durationMs = Date.now() - started;
        if (applied.kind !== 'applied') {
          rec.status = applied.kind === 'interrupted' ? 'interrupted' : 'failed';
          rec.error = applied.kind === 'failed' || applied.kind === 'interrupted' ? applied.error : applied.kind;
          p(`${s.id}: destroy ${rec.status === 'interrupted' ? 'interrupted' : 'FAILED'} (${rec.error}): see ${rec.log}`);
          save(rec.status === 'interrupted' ? 'interrupted' : 'failed');
          return rec.status === 'interrupted' ? EXIT_INTERRUPTED : 1;
        }
        rec.status = 'applied';
        p(`${s.id}: destroyed in ${Math.round(rec.durationMs / 1000)} s: ${applied.changes?.destroyed ?? planned.changes.destroyed} resources`);
        forgetAppliedCopy(o.outdir, s.id);
      }
      save('completed');
      return 0;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    release();
  }
}
