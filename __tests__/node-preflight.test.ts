/**
 * Node 22: `npm test` and `npm run synth` refuse an older Node in one line (scripts/check-node.cjs,
 * run on a faked `process.versions`, not an installed old Node), and `scripts/use-node22.sh` finds
 * the repository whichever shell sources it.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/run-main';

const CHECK = join(ROOT, 'scripts', 'check-node.cjs');
const { nodeVersionProblem, REQUIRED_MAJOR } = createRequire(__filename)(CHECK) as { nodeVersionProblem: (v: string, p?: string) => string | undefined; REQUIRED_MAJOR: number };
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };

/** Runs the preflight with `process.versions.node` replaced before it starts (a preloaded module). */
function preflight(version: string) {
  const dir = mkdtempSync(join(tmpdir(), 'node-version-'));
  const preload = join(dir, 'fake-version.cjs');
  writeFileSync(preload, `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: ${JSON.stringify(version)} } });\n`);
  return spawnSync(process.execPath, ['--require', preload, CHECK], { encoding: 'utf8' });
}

describe('scripts/check-node.cjs', () => {
  it.each(['20.19.0', '18.20.4', '21.7.3'])('GIVEN Node %s THEN one line saying it needs Node 22 and how to get it, exit 1', (version) => {
    const run = preflight(version);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`error: needs Node 22 or later, this is Node ${version} (${process.execPath}): run \`source scripts/use-node22.sh\` in this shell first (it installs Node 22 into .tools/ on first use and puts it on PATH)\n`);
  });

  it.each(['22.0.0', '22.23.3', '24.1.0'])('GIVEN Node %s THEN silent, exit 0', (version) => {
    const run = preflight(version);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('uses nothing newer than Node 18 can run: CommonJS, no dependency', () => {
    const source = readFileSync(CHECK, 'utf8');
    expect(source).not.toMatch(/\brequire\(|\bimport\b/);
    expect(nodeVersionProblem('garbage')).toMatch(/^needs Node 22 or later, this is Node garbage:/);
  });

  it('asks for the major version package.json\'s engines names, and runs first in npm test and npm run synth', () => {
    expect(pkg.engines.node).toBe(`>=${REQUIRED_MAJOR}`);
    expect(pkg.scripts.test).toMatch(/^node scripts\/check-node\.cjs && /);
    expect(pkg.scripts.synth).toMatch(/^node scripts\/check-node\.cjs && /);
  });
});

const hasShell = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
const ARCH = process.arch === 'arm64' ? 'arm64' : 'x64';

/**
 * A copy of the repository's script in a folder of its own, with a `.tools` Node 22 already there
 * (a fake that reports v22.23.3), and a PATH whose `node` is 20 and whose `npm` fails: the script
 * finds the right root (and puts its Node first) or it tries to install and fails.
 */
function fakeCheckout() {
  const base = mkdtempSync(join(tmpdir(), 'use-node22-'));
  const repo = join(base, 'repo');
  const bin = join(base, 'bin');
  const tools = join(repo, '.tools', 'node_modules', `node-${process.platform}-${ARCH}`, 'bin');
  for (const d of [join(repo, 'scripts'), bin, tools, join(base, 'elsewhere')]) mkdirSync(d, { recursive: true });
  copyFileSync(join(ROOT, 'scripts', 'use-node22.sh'), join(repo, 'scripts', 'use-node22.sh'));
  const script = (path: string, text: string) => {
    writeFileSync(path, `#!/bin/sh\n${text}\n`);
    chmodSync(path, 0o755);
  };
  script(join(tools, 'node'), 'case "$1" in --version) echo v22.23.3 ;; *) echo 22 ;; esac');
  script(join(bin, 'node'), 'case "$1" in --version) echo v20.19.0 ;; *) echo 20 ;; esac');
  script(join(bin, 'npm'), 'echo "npm was asked to install: $*" >&2; exit 1');
  return { base, repo, node22: join(tools, 'node'), path: `${bin}:/usr/bin:/bin` };
}

/** `cd <cwd> && . <script>; echo "rc=$? node=$(command -v node)"` in `shell`, with nothing from this environment. */
function source(shell: string, cwd: string, script: string, path: string) {
  return spawnSync(shell, ['-c', `cd "${cwd}" && . "${script}"; echo "rc=$? node=$(command -v node)"`], { encoding: 'utf8', env: { PATH: path, HOME: cwd } });
}

describe('scripts/use-node22.sh', () => {
  const fromAnywhere = (shell: string) => {
    const { base, repo, node22, path } = fakeCheckout();
    for (const [cwd, script] of [
      [repo, 'scripts/use-node22.sh'],
      [join(base, 'elsewhere'), join(repo, 'scripts', 'use-node22.sh')],
      [join(base, 'elsewhere'), '../repo/scripts/use-node22.sh'],
    ] as const) {
      const run = source(shell, cwd, script, path);
      expect(run.stdout, `${shell} in ${cwd}: ${run.stderr}`).toBe(`rc=0 node=${node22}\n`);
      expect(run.stderr).toBe(`use-node22: ${node22} v22.23.3\n`);
    }
  };

  it('GIVEN it is sourced from bash, from the repository root or another folder THEN it puts the repository\'s Node 22 first on PATH', () => fromAnywhere('bash'));

  // zsh is not on every machine (apt-get install zsh): reported as skipped there, never passed unrun.
  it.skipIf(!hasShell('zsh'))('GIVEN it is sourced from zsh (no BASH_SOURCE), from the repository root or another folder THEN the same', () => fromAnywhere('zsh'));

  it('GIVEN a POSIX sh (which tells a sourced file nothing of its path) THEN it works from the root, and from elsewhere says to source it from the root', () => {
    const { base, repo, node22, path } = fakeCheckout();
    expect(source('sh', repo, 'scripts/use-node22.sh', path).stdout).toBe(`rc=0 node=${node22}\n`);
    const elsewhere = source('sh', join(base, 'elsewhere'), join(repo, 'scripts', 'use-node22.sh'), path);
    expect(elsewhere.stdout).toBe(`rc=1 node=${join(base, 'bin', 'node')}\n`);
    expect(elsewhere.stderr).toBe(`use-node22: cannot find the repository from ${join(base, 'elsewhere')}; in sh, source it from the repository root (. scripts/use-node22.sh)\n`);
  });
});
