/**
 * The two trees a review compares: the working tree, and the base commit checked out in a
 * temporary `git worktree` with its own dependencies and handler bundle, as that commit has them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../common/errors';
import { mapLimit } from '../common/map-limit';

function git(cwd: string, args: readonly string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() };
}

/** The repository root of `cwd`; a UsageError when `cwd` is not in a git repository. */
export function repoRoot(cwd: string): string {
  const r = git(cwd, ['rev-parse', '--show-toplevel']);
  if (!r.ok) throw new UsageError(`${cwd} is not in a git repository: --base needs one (${r.err || 'git rev-parse failed'})`);
  return r.out;
}

/** The commit `ref` names; a UsageError naming the ref when it names none. */
export function resolveRef(root: string, ref: string): string {
  if (ref.startsWith('-')) throw new UsageError(`--base ${JSON.stringify(ref)}: a git ref does not start with "-"`);
  const r = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!r.ok || !/^[0-9a-f]{40,64}$/.test(r.out)) {
    throw new UsageError(`--base ${JSON.stringify(ref)} names no commit in ${root} (in CI, fetch it first: git fetch origin <branch>)`);
  }
  return r.out;
}

/**
 * The working tree must be comparable: no unresolved merge conflicts (the files hold conflict
 * markers, so neither side's code would synthesize as written).
 */
export function assertComparable(root: string): void {
  const r = git(root, ['diff', '--name-only', '--diff-filter=U']);
  if (r.ok && r.out !== '') {
    throw new UsageError(`the working tree has unresolved merge conflicts (${r.out.split('\n').join(', ')}): resolve them, then review`);
  }
}

/** A temporary detached worktree of `commit`, with dependencies. */
export interface BaseTree {
  readonly dir: string;
  /** How its dependencies were provided. */
  readonly dependencies: 'linked' | 'installed';
  /** Deletes the worktree (its synth output first, many folders at once) and unregisters it. */
  remove(): Promise<void>;
}

/**
 * Deletes every entry of `folder` (when it exists), `concurrency` at a time. A base synth of
 * 10,000 accounts leaves 10,000 stack folders; deleted one after another on a busy disk, the
 * review waited on the file system for over 10 s (CPU time 0.5 s); concurrent deletes overlap those
 * waits (2-3 times faster measured; creating them concurrently was not faster, so the synth writes
 * in order).
 */
export async function removeEntries(folder: string, concurrency = 32): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  await mapLimit(names, concurrency, (name) => rm(join(folder, name), { recursive: true, force: true }));
}

/**
 * Checks out `commit` in a temporary worktree. Dependencies: the current `node_modules` by
 * symlink when the commit's package-lock.json is byte-identical to the working tree's (the same
 * packages), else `npm ci` there.
 */
export function checkoutBase(root: string, commit: string): BaseTree {
  const parent = mkdtempSync(join(tmpdir(), 'review-base-'));
  const dir = join(parent, 'tree');
  const added = git(root, ['worktree', 'add', '--detach', '--force', dir, commit]);
  if (!added.ok) {
    rmSync(parent, { recursive: true, force: true });
    throw new UsageError(`cannot check out ${commit} in a temporary worktree: ${added.err}`);
  }
  const removeNow = () => {
    git(root, ['worktree', 'remove', '--force', dir]);
    rmSync(parent, { recursive: true, force: true });
    git(root, ['worktree', 'prune']);
  };
  // The synth's stack folders (cdktf's layout: <outdir>/stacks/<stack>) are most of the tree.
  const remove = async () => {
    await removeEntries(join(dir, 'cdktf.out', 'stacks'));
    removeNow();
  };
  try {
    const lock = (d: string) => (existsSync(join(d, 'package-lock.json')) ? readFileSync(join(d, 'package-lock.json')) : undefined);
    const mine = lock(root);
    const theirs = lock(dir);
    if (mine && theirs && mine.equals(theirs) && existsSync(join(root, 'node_modules'))) {
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
      return { dir, dependencies: 'linked', remove };
    }
    const ci = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8' });
    if (ci.status !== 0) throw new UsageError(`the base ${commit.slice(0, 12)} has other dependencies, and npm ci failed there:\n${tail(ci.stderr)}`);
    return { dir, dependencies: 'installed', remove };
  } catch (err) {
    removeNow();
    throw err;
  }
}

const tail = (text: string | undefined, lines = 15): string => (text ?? '').trim().split('\n').slice(-lines).join('\n');

/** Runs a command, resolving with its exit code and output. */
function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => done({ code: 127, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * The org config a tree synthesizes: a file inside the repository is read from that tree (so a
 * change to it is what the review shows); a file outside is the same for both; unset, each tree's
 * embedded example.
 */
export function orgConfigFor(tree: string, root: string, orgConfig: string | undefined): string | undefined {
  if (orgConfig === undefined || orgConfig === '') return undefined;
  const absolute = resolve(root, orgConfig);
  const inside = relative(root, absolute);
  if (inside.startsWith('..') || isAbsolute(inside)) return absolute;
  return join(tree, inside);
}

/**
 * Whether the handler bundle of `commit` would be byte-identical to the working tree's: the
 * bundle is deterministic (scripts/build-handler.ts), so identical inputs (handler sources, the
 * build script, the lockfile) give identical bytes, and the base can reuse the working tree's.
 */
export function sameBundleInputs(root: string, commit: string): boolean {
  const inputs = ['handlers', 'scripts/build-handler.ts', 'package-lock.json'];
  const diff = spawnSync('git', ['diff', '--quiet', commit, '--', ...inputs], { cwd: root });
  const untracked = git(root, ['ls-files', '--others', '--exclude-standard', '--', ...inputs]);
  return diff.status === 0 && untracked.ok && untracked.out === '';
}

export interface SynthRequest {
  /** Tree holding main.ts. */
  readonly tree: string;
  readonly outdir: string;
  readonly orgConfig?: string;
  /** Which side, for messages. */
  readonly label: string;
  readonly log?: (line: string) => void;
  /**
   * Instead of building the handler bundle, wait for this folder's `dist/` (an identical build)
   * and copy it. @default - build it
   */
  readonly bundleFrom?: Promise<string>;
  /** Extra environment (e.g. SYNTH_SHARDS). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Builds the handler bundle of `tree` and synthesizes it into `outdir` (what `npm run synth`
 * does, without npm's start-up). A failure is a UsageError with the tree's own message.
 */
export async function synthesizeTree(req: SynthRequest & { readonly onBundle?: () => void }): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...req.env, CDKTF_OUTDIR: req.outdir, CHECKPOINT_DISABLE: '1' };
  delete env.ORG_CONFIG;
  if (req.orgConfig) env.ORG_CONFIG = req.orgConfig;
  const node = process.execPath;
  if (req.bundleFrom) {
    const from = await req.bundleFrom;
    cpSync(join(from, 'dist'), join(req.tree, 'dist'), { recursive: true });
    req.log?.(`${req.label}: same handler inputs, bundle copied`);
  } else {
    const built = await run(node, ['--require', 'tsx/cjs', 'scripts/build-handler.ts'], req.tree, env);
    if (built.code !== 0) throw new UsageError(`the ${req.label} does not build its handler bundle:\n${tail(built.stderr || built.stdout)}`);
    req.log?.(`${req.label}: bundle built`);
  }
  req.onBundle?.();
  const synth = await run(node, ['--require', 'tsx/cjs', 'main.ts'], req.tree, env);
  req.log?.(`${req.label}: synthesized`);
  if (synth.code !== 0) throw new UsageError(`the ${req.label} does not synthesize:\n${tail(synth.stderr || synth.stdout)}`);
}
