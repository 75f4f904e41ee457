/**
 * Running one stack's script: its log, its time limit, and what its exit says happened. Shared by
 * the rollout (plan, apply) and `--destroy`.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { durationMs } from './args';
import { summarizePlan, type Changes } from './plan-summary';
import {
  closeLog,
  failedStep,
  firstError,
  lastExitCode,
  logSize,
  openLog,
  parseChanges,
  readLogFrom,
  STACK_EXIT,
  stackScript,
  type PlanFiles,
  type ProcessGroup,
  type Step,
} from './terraform';

/** Time between SIGINT and SIGKILL when a stack reaches `--stack-timeout`. */
export const STACK_TIMEOUT_GRACE_MS = 120_000;

export interface StackRunContext {
  readonly processes: ProcessGroup;
  readonly env: NodeJS.ProcessEnv;
  /** `--stack-timeout` as given (`60m`). */
  readonly stackTimeout: string;
  readonly graceMs: number;
  /** The user stopped the run (Ctrl-C): a failing step is counted interrupted, not failed. */
  readonly interrupted: () => boolean;
}

export type StackResult =
  | { readonly kind: 'applied'; readonly changes?: Changes }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'planned'; readonly changes: Changes }
  | { readonly kind: 'interrupted'; readonly error: string }
  | { readonly kind: 'failed'; readonly error: string };

/** Runs `steps` as one script, appending to `log`, and says what came of it. */
export async function runStackSteps(ctx: StackRunContext, steps: readonly Step[], log: string, files: PlanFiles): Promise<StackResult> {
  const fd = openLog(log);
  const from = logSize(fd);
  let outcome;
  try {
    outcome = await ctx.processes.run(stackScript(steps), { cwd: process.cwd(), env: ctx.env, logFd: fd, timeoutMs: durationMs(ctx.stackTimeout), graceMs: ctx.graceMs });
  } finally {
    closeLog(fd);
  }
  const output = readLogFrom(log, from);
  const { code } = outcome;
  const step = failedStep(code);
  const exit = lastExitCode(output);
  const error = firstError(output);
  if (outcome.timedOut) {
    // The step that was running: the last command the script logged.
    const running = [...output.matchAll(/^\$ terraform \S+ (\w+)/gm)].pop()?.[1] ?? 'terraform';
    const how = outcome.killed
      ? `killed ${Math.round(ctx.graceMs / 1000)} s after SIGINT; its state lock may still be held (terraform force-unlock)`
      : 'interrupted with SIGINT';
    return { kind: 'failed', error: `timed out after ${ctx.stackTimeout} (${running} ${how})${error ? `: ${error}` : ''}` };
  }
  if (code === STACK_EXIT.applied) return { kind: 'applied', changes: parseChanges(output) };
  if (code === STACK_EXIT.unchanged) return { kind: 'unchanged' };
  if (code === STACK_EXIT.planned) {
    try {
      return { kind: 'planned', changes: summarizePlan(readFileSync(files.json, 'utf8')) };
    } catch (err) {
      return { kind: 'failed', error: `terraform show -json of the saved plan is unreadable (${(err as Error).message})` };
    } finally {
      // The counts are kept in the run state; the plan itself stays in the .tfplan file.
      if (existsSync(files.json)) rmSync(files.json, { force: true });
    }
  }
  if (code === STACK_EXIT.interrupted || (ctx.interrupted() && step)) return { kind: 'interrupted', error: `stopped by Ctrl-C (exit ${exit ?? code})` };
  return { kind: 'failed', error: step ? `${step} exited with ${exit ?? '?'}${error ? `: ${error}` : ''}` : `stopped with exit code ${code}` };
}

/** `12m05s`, `1h02m`, `40s`. */
export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  return `${s}s`;
}
