import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './run-main';

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A new git repository holding this project's files as they are in the working tree (tracked
 * and untracked, not ignored), committed once, with node_modules linked from this checkout.
 */
export function tempRepo(prefix = 'repo-'): string {
  const dir = join(mkdtempSync(join(tmpdir(), prefix)), 'repo');
  mkdirSync(dir);
  const files = git(ROOT, 'ls-files', '-co', '--exclude-standard', '-z').split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      copyFileSync(join(ROOT, f), join(dir, f));
    } catch {
      // listed but deleted in the working tree
    }
  }
  git(dir, 'init', '-q', '-b', 'main');
  // .gitignore's `node_modules/` does not match a symlink.
  writeFileSync(join(dir, '.git', 'info', 'exclude'), 'node_modules\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

/** `git clone` of `repo` into a new temporary folder, node_modules linked. */
export function cloneOf(repo: string, prefix = 'clone-'): string {
  const dir = join(mkdtempSync(join(tmpdir(), prefix)), 'clone');
  git(dirname(dir), 'clone', '-q', repo, dir);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs a TypeScript entry point of `cwd` as the npm scripts do (node with tsx's require hook). */
export function runTs(cwd: string, entry: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('ORG_CONFIG' in env)) delete childEnv.ORG_CONFIG;
  delete childEnv.CDKTF_OUTDIR;
  return spawnSync(process.execPath, ['--require', 'tsx/cjs', entry, ...args], { cwd, env: childEnv, encoding: 'utf8' });
}
