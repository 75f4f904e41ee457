import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

/**
 * Runs `main.ts` the way `cdktf synth` does (cdktf.json's app: node with tsx's require hook), in a fresh folder with its own CDKTF_OUTDIR.
 * `config`: an object or raw text written to ORG_CONFIG, or undefined for the embedded example.
 * `env.ORG_CONFIG`, when given, is passed as is (the written file, if any, is not named).
 */
export function runMain(config: unknown, env: NodeJS.ProcessEnv = {}, options: { readonly cwd?: string; readonly fileName?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'main-'));
  const outdir = join(dir, 'out');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir, ...env };
  if (!('ORG_CONFIG' in env)) delete childEnv.ORG_CONFIG;
  if (config !== undefined) {
    const file = join(dir, options.fileName ?? 'org.json');
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
    if (!('ORG_CONFIG' in env)) childEnv.ORG_CONFIG = file;
  }
  // Absolute paths, so the app can run from another working directory (`options.cwd`).
  const run = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), join(ROOT, 'main.ts')], {
    cwd: options.cwd ?? ROOT,
    env: childEnv,
    encoding: 'utf8',
  });
  return { ...run, dir, outdir };
}

/** The environment without `ORG_CONFIG`: the commands then read the embedded example org (set but blank is an error). */
export function envWithoutOrgConfig(): NodeJS.ProcessEnv {
  const { ORG_CONFIG: _unset, ...env } = process.env;
  return env;
}
