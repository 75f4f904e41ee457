import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manyMembers, rawConfig } from './support/config';

const ROOT = resolve(__dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** Runs `main.ts` the way `cdktf synth` does, with its own output folder. */
function runMain(config: unknown | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'main-'));
  const outdir = join(dir, 'out');
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir };
  delete env.ORG_CONFIG;
  if (config !== undefined) {
    const file = join(dir, 'org.json');
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
    env.ORG_CONFIG = file;
  }
  const run = spawnSync(TSX, ['main.ts'], { cwd: ROOT, env, encoding: 'utf8' });
  return { ...run, outdir };
}

describe('main.ts', () => {
  it('synthesizes the embedded example org into CDKTF_OUTDIR when ORG_CONFIG is unset', () => {
    const run = runMain(undefined);
    expect(run.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(run.outdir, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.stacks)).toEqual(['central', 'member-222222222222', 'member-333333333333', 'member-444444444444']);
    expect(manifest.stacks['member-222222222222'].dependencies).toEqual(['central']);
  });

  it('rejects a bad config with every problem, exit code 1, no stack trace and nothing written', () => {
    const bad = rawConfig({ members: [{ accountId: '12345', regions: ['eu-west-1'] }, { accountId: '333333333333', regions: ['mars-1' as never] }] });
    const run = runMain(bad);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('members[0].accountId: "12345" is not a 12-digit AWS account ID');
    expect(run.stderr).toMatch(/members\[1\]\.regions\[0\]: "mars-1" is not a commercial AWS region name/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack frames
    expect(existsSync(run.outdir) ? readdirSync(run.outdir) : []).toEqual([]);
  });

  it('rejects invalid JSON the same way', () => {
    const run = runMain('{ "central": ');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: .*org\.json: 1 problem:\n {2}- line 1, column \d+: invalid JSON/);
    expect(existsSync(run.outdir)).toBe(false);
  });

  it('fails without writing anything when the account-listing bus policy would be too large', () => {
    const { organizationId: _omit, ...raw } = rawConfig({ members: manyMembers(400) });
    const run = runMain(raw);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Set organizationId to admit the whole organization instead/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(run.outdir)).toBe(false);
  });
});
