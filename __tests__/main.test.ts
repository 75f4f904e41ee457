import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manyMembers, rawConfig } from './support/config';
import { ROOT, runMain } from './support/run-main';

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

describe('main.ts, reproducible output', () => {
  it('writes byte-identical files whichever directory it runs from (no absolute path, such as cdktf\'s default local state path)', () => {
    const files = (root: string): string[] =>
      readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
        .sort();
    const a = runMain(undefined, {}, { cwd: mkdtempSync(join(tmpdir(), 'checkout-a-')) });
    const b = runMain(undefined, {}, { cwd: mkdtempSync(join(tmpdir(), 'checkout-b-')) });
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    expect(files(b.outdir)).toEqual(files(a.outdir));
    for (const f of files(a.outdir)) expect(readFileSync(join(b.outdir, f)).equals(readFileSync(join(a.outdir, f))), f).toBe(true);
    expect(JSON.parse(readFileSync(join(a.outdir, 'stacks', 'central', 'cdk.tf.json'), 'utf8')).terraform.backend).toEqual({ local: { path: 'terraform.central.tfstate' } });
  });
});

describe('main.ts, user errors in the config file and environment', () => {
  /** Exit 1, one `error:` message, no stack frame, no output folder. */
  const expectUserError = (run: ReturnType<typeof runMain>, message: RegExp) => {
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(run.outdir)).toBe(false);
  };

  it('rejects a JSON file that gives "members" twice, naming both lines', () => {
    const text = `{\n"central": ${JSON.stringify(rawConfig().central)},\n"members": ${JSON.stringify(rawConfig().members)},\n"members": [{"accountId": "444444444444", "regions": ["eu-west-1"]}]\n}`;
    expectUserError(runMain(text), /^error: .*org\.json: 1 problem:\n {2}- members: is given twice \(line 4, first at line 3\)/);
  });

  it('reads a JSON file that starts with a UTF-8 byte order mark', () => {
    const run = runMain(`\uFEFF${JSON.stringify(rawConfig())}`);
    expect(run.status, run.stderr).toBe(0);
  });

  it('rejects a YAML alias bomb as a ConfigError', () => {
    const levels = ['a: &a [x,x,x,x,x,x,x,x,x]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)];
    expectUserError(runMain(`${levels.join('\n')}\n`, {}, { fileName: 'org.yaml' }), /^error: .*org\.yaml: 1 problem:\n {2}- YAML: aliases expand to more than 1,000,000 values/);
  });

  it('rejects ORG_CONFIG set but blank instead of synthesizing the example org', () => {
    expectUserError(runMain(undefined, { ORG_CONFIG: ' ' }), /^error: ORG_CONFIG: 1 problem:\n {2}- ORG_CONFIG: " " is set but blank/);
  });

  it('resolves a relative ORG_CONFIG against the repository root, not the working directory', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'cwd-'));
    const fromRoot = runMain(undefined, { ORG_CONFIG: 'config/example-org.json' }, { cwd: elsewhere });
    expect(fromRoot.status, fromRoot.stderr).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(join(fromRoot.outdir, 'manifest.json'), 'utf8')).stacks)).toContain('member-444444444444');
    writeFileSync(join(elsewhere, 'org.json'), JSON.stringify(rawConfig()));
    const fromCwd = runMain(undefined, { ORG_CONFIG: 'org.json' }, { cwd: elsewhere });
    expectUserError(fromCwd, new RegExp(`^error: ${ROOT}/org\\.json: 1 problem:\n {2}- file: cannot be read \\(ENOENT\\)`));
  });
});

// SYNTH_FAST=0: every member stack built through cdktf, so the shards have stacks to build (the
// fast synth stamps members of one shape instead; __tests__/fast-synth.test.ts).
describe('main.ts, parallel synthesis', () => {
  it('writes exactly what a one-thread synth writes, file for file, and leaves no scratch folders', () => {
    const org = rawConfig({ members: manyMembers(7, ['eu-west-1', 'us-east-1']), snapshotCopy: { destinationRegion: 'eu-central-1' } });
    const one = runMain(org, { SYNTH_SHARDS: '1', SYNTH_FAST: '0' });
    const three = runMain(org, { SYNTH_SHARDS: '3', SYNTH_FAST: '0' });
    expect(one.status, one.stderr).toBe(0);
    expect(three.status, three.stderr).toBe(0);
    const files = (root: string): string[] =>
      readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
        .sort();
    const compared = files(one.outdir);
    expect(files(three.outdir)).toEqual(compared);
    expect(compared.filter((f) => f.startsWith('stacks/member-'))).toHaveLength(7);
    for (const f of compared) expect(readFileSync(join(three.outdir, f)).equals(readFileSync(join(one.outdir, f))), f).toBe(true);
    expect(readdirSync(three.dir).filter((f) => f.startsWith('.synth-shards-'))).toEqual([]);
  });

  it('synthesizes again into an output folder an earlier parallel synth filled', () => {
    const org = rawConfig({ members: manyMembers(4) });
    const first = runMain(org, { SYNTH_SHARDS: '2', SYNTH_FAST: '0' });
    expect(first.status, first.stderr).toBe(0);
    const again = runMain(org, { SYNTH_SHARDS: '2', SYNTH_FAST: '0', CDKTF_OUTDIR: first.outdir });
    expect(again.status, again.stderr).toBe(0);
    expect(readdirSync(join(first.outdir, 'stacks')).sort()).toEqual(['central', ...manyMembers(4).map((m) => `member-${m.accountId}`)].sort());
  });

  it.each(['many', '1e1', '0x2', ' 2', '2.0', '+2', '', '0', '17'])('rejects SYNTH_SHARDS=%j: plain decimal digits, 1 to 16', (value) => {
    const run = runMain(undefined, { SYNTH_SHARDS: value });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`error: SYNTH_SHARDS: 1 problem:\n  - SYNTH_SHARDS: ${JSON.stringify(value)} is not a whole number from 1 to 16 (plain decimal digits)\n`);
    expect(existsSync(run.outdir)).toBe(false);
  });
});

