/**
 * The Terraform commands of one stack, and running them.
 *
 * A rollout stack runs `init`, `plan -out=<run folder>/<stack>.tfplan -detailed-exitcode` and,
 * only when the plan has changes, `apply <that plan>`: what is applied is exactly what was
 * planned. `--plan` stops after the plan and `terraform show -json` of it; `--apply` later runs
 * `init` and `apply` of the kept plan file.
 *
 * - `init -input=false` never changes the backend (no `-reconfigure`, no `-migrate-state`): a
 *   backend that differs from the one a stack was initialized with fails the stack instead of
 *   moving its state. No `-lockfile=readonly`: cdktf.out holds no `.terraform.lock.hcl` on a
 *   first run, and readonly mode would refuse to record the provider
 *   (https://developer.hashicorp.com/terraform/cli/commands/init#backend-initialization and
 *   #general-options).
 * - `plan -detailed-exitcode`: exit 0 no changes, 1 error, 2 changes
 *   (https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode).
 * - `-lock-timeout=<D>` on plan and apply: a state lock held by another run (a CI job, a
 *   colleague) is waited for that long, then Terraform fails with "Error acquiring the state lock"
 *   instead of failing at once (https://developer.hashicorp.com/terraform/cli/commands/plan#lock-timeout-duration).
 * - `-no-color`: the output goes to a log file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { UsageError } from '../common/errors';

export type StepName = 'init' | 'plan' | 'show' | 'apply';

export interface Step {
  readonly name: StepName;
  readonly args: readonly string[];
  /** The file the command's standard output goes to (`show -json`), instead of the log. */
  readonly stdout?: string;
  /** Runs only when the plan before it had changes (exit code 2). */
  readonly afterChanges?: boolean;
}

/** Where a stack's plan goes: absolute paths (terraform resolves relative ones against `-chdir`). */
export interface PlanFiles {
  readonly plan: string;
  readonly json: string;
}

/** What a stack's script does. */
export type ScriptKind = 'rollout' | 'plan' | 'apply' | 'destroy-plan';

export function stackSteps(kind: ScriptKind, dir: string, files: PlanFiles, lockTimeout: string): Step[] {
  const chdir = `-chdir=${dir}`;
  const lock = `-lock-timeout=${lockTimeout}`;
  const init: Step = { name: 'init', args: [chdir, 'init', '-input=false', '-no-color'] };
  const plan = (destroy: boolean): Step => ({
    name: 'plan',
    args: [chdir, 'plan', '-input=false', '-no-color', lock, ...(destroy ? ['-destroy'] : []), `-out=${files.plan}`, '-detailed-exitcode'],
  });
  const show: Step = { name: 'show', args: [chdir, 'show', '-json', '-no-color', files.plan], stdout: files.json, afterChanges: true };
  const apply = (afterChanges: boolean): Step => ({ name: 'apply', args: [chdir, 'apply', '-input=false', '-no-color', lock, files.plan], afterChanges });
  switch (kind) {
    case 'rollout':
      return [init, plan(false), apply(true)];
    case 'plan':
      return [init, plan(false), show];
    case 'destroy-plan':
      return [init, plan(true), show];
    case 'apply':
      return [init, apply(false)];
  }
}

/** A POSIX shell word: quoted only when it needs to be. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export const commandLine = (step: Step): string => [['terraform', ...step.args].map(shellWord).join(' '), ...(step.stdout ? [`> ${shellWord(step.stdout)}`] : [])].join(' ');

/** The resource counts in Terraform's text output; `Changes` is defined with the plan summary. */
export type { Changes } from './plan-summary';
import type { Changes } from './plan-summary';

/**
 * The resource counts Terraform prints: `Apply complete! Resources: 3 added, 1 changed, 0 destroyed.`
 * (preferred: what happened), else the plan's `Plan: 3 to add, 1 to change, 0 to destroy.`; with
 * the addresses the plan says `must be replaced`.
 */
export function parseChanges(output: string): Changes | undefined {
  const applied = /Resources: (\d+) added, (\d+) changed, (\d+) destroyed/.exec(output);
  const planned = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(output);
  const m = applied ?? planned;
  if (!m) return undefined;
  const replaced = [...output.matchAll(/^\s*# (\S+) (?:must be|will be) replaced(?:,.*)?$/gm)].map((r) => r[1]!);
  return { added: Number(m[1]), changed: Number(m[2]), destroyed: Number(m[3]), ...(replaced.length ? { replaced } : {}) };
}

export function describeChanges(c: Changes | undefined): string {
  if (!c) return 'no resource counts in the output';
  const parts = [c.added && `${c.added} added`, c.changed && `${c.changed} changed`, c.destroyed && `${c.destroyed} destroyed`].filter(Boolean);
  const replaced = c.replaced?.length ? ` (${c.replaced.length} replaced: ${c.replaced.slice(0, 3).join(', ')}${c.replaced.length > 3 ? ', ...' : ''})` : '';
  return (parts.length ? parts.join(', ') : 'outputs only') + replaced;
}

/** How a stack's script ends (its exit code). */
export const STACK_EXIT = { applied: 0, unchanged: 3, planned: 4, interrupted: 130, failedInit: 65, failedPlan: 66, failedApply: 67, failedShow: 68 } as const;
const FAILED: Record<StepName, number> = { init: STACK_EXIT.failedInit, plan: STACK_EXIT.failedPlan, apply: STACK_EXIT.failedApply, show: STACK_EXIT.failedShow };

/** The step a script's exit code says failed. */
export const failedStep = (code: number): StepName | undefined => (Object.entries(FAILED).find(([, c]) => c === code)?.[0] as StepName | undefined);

/**
 * One stack's steps as one POSIX sh script, so the rollout starts one process per stack
 * and the shell (a few hundred kB) starts terraform: forking the rollout's own Node process
 * (~90 MB) three times per stack cost it ~3 ms of blocked event loop each (measured by
 * `npm run bench:rollout`). The script runs exactly the commands `stackSteps` lists (what
 * `--dry-run` prints), logs each with its exit code, and:
 * - after a plan: exit 0 (no changes) ends the script as `unchanged`; 2 (changes) goes on; a step
 *   that fails ends it with its STACK_EXIT code; the last step's success is `applied` (apply) or
 *   `planned` (show);
 * - on SIGINT lets the running terraform finish its graceful stop (a trap handler, not an
 *   ignored signal: terraform, exec'd, gets the default disposition back), then starts no
 *   further step and exits 130. POSIX sh: "traps caught by the shell shall be set to the default
 *   values" in a utility it runs, and a trapped signal received while it waits for a foreground
 *   command runs the trap only "after the foreground command has completed"
 *   (https://pubs.opengroup.org/onlinepubs/9699919799/utilities/V3_chap02.html, 2.11 Signals and
 *   Error Handling, 2.12 Shell Execution Environment).
 */
export function stackScript(steps: readonly Step[]): string {
  const stopped = `[ "$stop" = 0 ] || exit ${STACK_EXIT.interrupted}`;
  const lines = ['stop=0', "trap 'stop=1' INT TERM"];
  for (const [i, step] of steps.entries()) {
    if (i > 0) lines.push(stopped);
    lines.push(`printf '\\n$ %s\\n' ${shellWord(commandLine(step))}`, `${commandLine(step)}; rc=$?`, `printf '[exit %s]\\n' "$rc"`);
    if (step.name === 'plan') {
      lines.push(`[ "$rc" = 0 ] && exit ${STACK_EXIT.unchanged}`, `[ "$rc" = 2 ] || { ${stopped}; exit ${FAILED.plan}; }`);
    } else {
      lines.push(`[ "$rc" = 0 ] || { ${stopped}; exit ${FAILED[step.name]}; }`);
    }
  }
  const last = steps[steps.length - 1]!;
  lines.push(`exit ${last.name === 'apply' ? STACK_EXIT.applied : last.name === 'show' ? STACK_EXIT.planned : STACK_EXIT.unchanged}`, '');
  return lines.join('\n');
}

/** The exit code of the last command in a log text (`[exit N]` lines). */
export function lastExitCode(log: string): number | undefined {
  const all = [...log.matchAll(/^\[exit (\d+)\]$/gm)];
  return all.length ? Number(all[all.length - 1]![1]) : undefined;
}

/**
 * Running stack scripts. Each runs in its own process group (`detached`), so a Ctrl-C in
 * the terminal reaches only the rollout, which then sends exactly one SIGINT to each group:
 * Terraform shuts down gracefully on the first interrupt ("Interrupt received. Please wait for
 * Terraform to exit or data loss may occur. Gracefully shutting down...") and exits at once on a
 * second ("Two interrupts received. Exiting immediately. Note that data loss may have occurred."):
 * a wrapper that forwards Ctrl-C to a child in the terminal's process group sends two
 * (gruntwork-io/terragrunt#2559 fixed exactly that). Both messages are Terraform's own
 * (hashicorp/terraform v1.11, internal/command/views/operation.go: `interrupted`, `fatalInterrupt`).
 */
export interface RunOutcome {
  readonly code: number;
  /** The stack time limit was reached (SIGINT sent). */
  readonly timedOut: boolean;
  /** ... and it did not stop within the grace period (SIGKILL sent). */
  readonly killed: boolean;
}

export class ProcessGroup {
  private readonly running = new Set<ChildProcess>();
  private interrupts = 0;

  get size(): number {
    return this.running.size;
  }

  /**
   * Runs `script` with sh, its stdout and stderr appended to the open file `logFd`; resolves to
   * its exit code. With `timeoutMs`: after that long the stack gets one SIGINT (Terraform's
   * graceful stop), and SIGKILL `graceMs` later if it is still running.
   */
  run(script: string, options: { cwd: string; env: NodeJS.ProcessEnv; logFd: number; timeoutMs?: number; graceMs?: number }): Promise<RunOutcome> {
    return new Promise((done) => {
      const child = spawn('/bin/sh', ['-c', script], { cwd: options.cwd, env: options.env, stdio: ['ignore', options.logFd, options.logFd], detached: true });
      this.running.add(child);
      // A rollout stopped before this process started: tell it at once.
      if (this.interrupts > 0 && child.pid !== undefined) this.signal(child, 'SIGINT');
      let timedOut = false;
      let killed = false;
      let kill: NodeJS.Timeout | undefined;
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              writeSync(options.logFd, `\n[rollout: stack time limit reached; sending SIGINT]\n`);
              this.signal(child, 'SIGINT');
              kill = setTimeout(() => {
                killed = true;
                writeSync(options.logFd, `\n[rollout: still running ${Math.round((options.graceMs ?? 0) / 1000)} s after SIGINT; sending SIGKILL]\n`);
                this.signal(child, 'SIGKILL');
              }, options.graceMs ?? 0);
            }, options.timeoutMs);
      const finish = (code: number) => {
        clearTimeout(timer);
        clearTimeout(kill);
        this.running.delete(child);
        done({ code, timedOut, killed });
      };
      child.once('error', (err) => {
        writeSync(options.logFd, `\nerror: cannot run /bin/sh: ${err.message}\n`);
        finish(127);
      });
      child.once('close', (code, signal) => finish(code ?? (signal === 'SIGINT' ? STACK_EXIT.interrupted : 128 + (signal === 'SIGTERM' ? 15 : 9))));
    });
  }

  /** Sends SIGINT to every running stack (the shell, terraform and its provider plugins, all in its process group). */
  interrupt(): void {
    this.interrupts += 1;
    for (const child of this.running) this.signal(child, 'SIGINT');
  }

  private signal(child: ChildProcess, signal: 'SIGINT' | 'SIGKILL'): void {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Opens a stack's log for appending. */
export const openLog = (path: string): number => openSync(path, 'a');
export const closeLog = closeSync;
export const logSize = (fd: number): number => fstatSync(fd).size;

/** The log's text from byte `from` (what the last command printed). */
export function readLogFrom(path: string, from: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.max(0, size - from));
    readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The first diagnostic Terraform printed as an error: `Error: Saved plan is stale` (applying a
 * saved plan after the state's serial moved on: hashicorp/terraform v1.11,
 * internal/backend/local/backend_local.go; the string is in the 1.11.4 binary). With
 * `-no-color` Terraform prints `Error: <summary>` at the start of a line, inside a `│ ` frame
 * when its output is a terminal-like stream.
 */
export function firstError(log: string): string | undefined {
  return /^(?:│ )?Error: (.+?)\s*$/m.exec(log)?.[1];
}

export const MIN_TERRAFORM = [1, 10, 0] as const;

/**
 * `terraform version -json` (Terraform >= 0.13, https://developer.hashicorp.com/terraform/cli/commands/version;
 * older ones print `Terraform v0.12.31`): the
 * rollout needs >= 1.10 (the S3 backend's `use_lockfile`, and the stacks' `required_version`).
 * Throws `UsageError` (exit 2) before anything starts.
 */
export function checkTerraform(env: NodeJS.ProcessEnv): string {
  const run = spawnSync('terraform', ['version', '-json'], { env, encoding: 'utf8', timeout: 60_000 });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `terraform: not found on PATH; the rollout needs Terraform >= ${MIN_TERRAFORM.join('.')}` : `terraform version: ${run.error.message}`,
    );
  }
  let version: string | undefined;
  try {
    version = (JSON.parse(run.stdout) as { terraform_version?: string }).terraform_version;
  } catch {
    version = /Terraform v(\d+\.\d+\.\d+\S*)/.exec(run.stdout)?.[1];
  }
  if (run.status !== 0 || version === undefined) {
    throw new UsageError(`terraform version: exited with ${run.status} and no version (${(run.stderr || run.stdout).trim().split('\n')[0] ?? ''})`);
  }
  const parts = version.split(/[.-]/).slice(0, 3).map(Number);
  const older = MIN_TERRAFORM.findIndex((m, i) => parts[i] !== m) ;
  if (older !== -1 && parts[older]! < MIN_TERRAFORM[older]!) {
    throw new UsageError(`terraform: ${version} on PATH is older than ${MIN_TERRAFORM.join('.')}, which the rollout and the stacks' required_version need`);
  }
  return version;
}
