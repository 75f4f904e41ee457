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

/**
 * Running terraform processes. Each runs in its own process group (`detached`), so a Ctrl-C in
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

  /** Runs `terraform args`, its stdout and stderr appended to the open file `logFd`; resolves to its exit code. */
  run(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; logFd: number }): Promise<number> {
    return new Promise((done) => {
      const child = spawn('terraform', args, { cwd: options.cwd, env: options.env, stdio: ['ignore', options.logFd, options.logFd], detached: true });
      this.running.add(child);
      // A rollout stopped before this process started: tell it at once.
      if (this.interrupts > 0 && child.pid !== undefined) this.signal(child);
      child.once('error', (err) => {
        this.running.delete(child);
        writeSync(options.logFd, `\nerror: cannot run terraform: ${err.message}\n`);
        done(127);
      });
      child.once('close', (code, signal) => {
        this.running.delete(child);
        done(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 9) : 1));
      });
    });
  }

  /** Sends SIGINT to every running terraform (and its provider plugins, in its process group). */
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
