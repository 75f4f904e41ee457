/**
 * The Terraform commands of one stack, and running them.
 *
 * Each stack runs `init`, `plan -out=tfplan -detailed-exitcode` and, only when the plan has
 * changes, `apply tfplan`: what is applied is exactly what was planned.
 *
 * - `init -input=false` never changes the backend (no `-reconfigure`, no `-migrate-state`): a
 *   backend that differs from the one a stack was initialized with fails the stack instead of
 *   moving its state. No `-lockfile=readonly`: cdktf.out holds no `.terraform.lock.hcl` on a
 *   first run, and readonly mode would refuse to record the provider.
 * - `plan -detailed-exitcode`: exit 0 no changes, 1 error, 2 changes
 *   (https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode).
 * - `-no-color`: the output goes to a log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

export type StepName = 'init' | 'plan' | 'apply';

export interface Step {
  readonly name: StepName;
  readonly args: readonly string[];
}

/** The file `plan` writes and `apply` applies, inside the stack's working directory. */
export const PLAN_FILE = 'tfplan';

export function stackSteps(dir: string): Step[] {
  const chdir = `-chdir=${dir}`;
  return [
    { name: 'init', args: [chdir, 'init', '-input=false', '-no-color'] },
    { name: 'plan', args: [chdir, 'plan', '-input=false', '-no-color', `-out=${PLAN_FILE}`, '-detailed-exitcode'] },
    { name: 'apply', args: [chdir, 'apply', '-input=false', '-no-color', PLAN_FILE] },
  ];
}

/** A POSIX shell word: quoted only when it needs to be. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export const commandLine = (step: Step): string => ['terraform', ...step.args].map(shellWord).join(' ');

export interface Changes {
  readonly added: number;
  readonly changed: number;
  readonly destroyed: number;
}

/**
 * The resource counts Terraform prints: `Apply complete! Resources: 3 added, 1 changed, 0 destroyed.`
 * (preferred: what happened), else the plan's `Plan: 3 to add, 1 to change, 0 to destroy.`
 */
export function parseChanges(output: string): Changes | undefined {
  const applied = /Resources: (\d+) added, (\d+) changed, (\d+) destroyed/.exec(output);
  const planned = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(output);
  const m = applied ?? planned;
  return m ? { added: Number(m[1]), changed: Number(m[2]), destroyed: Number(m[3]) } : undefined;
}

export function describeChanges(c: Changes | undefined): string {
  if (!c) return 'no resource counts in the output';
  const parts = [c.added && `${c.added} added`, c.changed && `${c.changed} changed`, c.destroyed && `${c.destroyed} destroyed`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'outputs only';
}

/** How a stack's script ends (its exit code). */
export const STACK_EXIT = { applied: 0, unchanged: 3, interrupted: 130, failedInit: 65, failedPlan: 66, failedApply: 67 } as const;

/**
 * One stack's three steps as one POSIX sh script, so the rollout starts one process per stack
 * and the shell (a few hundred kB) starts terraform: forking the rollout's own Node process
 * (~90 MB) three times per stack cost it ~3 ms of blocked event loop each (measured by
 * `npm run bench:rollout`). The script runs exactly the commands `stackSteps` lists (what
 * `--dry-run` prints), logs each with its exit code, and:
 * - applies only when the plan exits 2 (changes); exits STACK_EXIT codes;
 * - on SIGINT lets the running terraform finish its graceful stop (a trap handler, not an
 *   ignored signal: terraform, exec'd, gets the default disposition back), then starts no
 *   further step and exits 130.
 */
export function stackScript(dir: string): string {
  const [init, plan, apply] = stackSteps(dir);
  const run = (step: Step) => [`printf '\\n$ %s\\n' ${shellWord(commandLine(step))}`, `${commandLine(step)}; rc=$?`, `printf '[exit %s]\\n' "$rc"`];
  const stopped = `[ "$stop" = 0 ] || exit ${STACK_EXIT.interrupted}`;
  return [
    'stop=0',
    "trap 'stop=1' INT TERM",
    ...run(init!),
    stopped,
    `[ "$rc" = 0 ] || exit ${STACK_EXIT.failedInit}`,
    ...run(plan!),
    `[ "$rc" = 0 ] && exit ${STACK_EXIT.unchanged}`,
    stopped,
    `[ "$rc" = 2 ] || exit ${STACK_EXIT.failedPlan}`,
    ...run(apply!),
    `[ "$rc" = 0 ] && exit ${STACK_EXIT.applied}`,
    stopped,
    `exit ${STACK_EXIT.failedApply}`,
    '',
  ].join('\n');
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
 * (gruntwork-io/terragrunt#2559 fixed exactly that).
 */
export class ProcessGroup {
  private readonly running = new Set<ChildProcess>();
  private interrupts = 0;

  get size(): number {
    return this.running.size;
  }

  /** Runs `script` with sh, its stdout and stderr appended to the open file `logFd`; resolves to its exit code. */
  run(script: string, options: { cwd: string; env: NodeJS.ProcessEnv; logFd: number }): Promise<number> {
    return new Promise((done) => {
      const child = spawn('/bin/sh', ['-c', script], { cwd: options.cwd, env: options.env, stdio: ['ignore', options.logFd, options.logFd], detached: true });
      this.running.add(child);
      // A rollout stopped before this process started: tell it at once.
      if (this.interrupts > 0 && child.pid !== undefined) this.signal(child);
      child.once('error', (err) => {
        this.running.delete(child);
        writeSync(options.logFd, `\nerror: cannot run /bin/sh: ${err.message}\n`);
        done(127);
      });
      child.once('close', (code, signal) => {
        this.running.delete(child);
        done(code ?? (signal === 'SIGINT' ? STACK_EXIT.interrupted : 128 + (signal === 'SIGTERM' ? 15 : 9)));
      });
    });
  }

  /** Sends SIGINT to every running stack (the shell, terraform and its provider plugins, all in its process group). */
  interrupt(): void {
    this.interrupts += 1;
    for (const child of this.running) this.signal(child);
  }

  private signal(child: ChildProcess): void {
    try {
      process.kill(-child.pid!, 'SIGINT');
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
