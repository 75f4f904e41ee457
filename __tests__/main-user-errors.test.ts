/**
 * Every error `main.ts` raises on what the user gave it is one `error:` line, exit code 1, no stack
 * trace, no output written: one config (or precondition) per error class the stacks and the config
 * loader throw on user input. (ConfigError lists every problem of the config, one per line after
 * its `error:` line: main.test.ts and config.test.ts pin it.) The classes thrown only on programming errors (PolicyError,
 * HubKeyPropsError, SuppressionError, UnknownResourceTypeError, UndocumentedContextKeyError) keep
 * their stack trace; PolicyTooLargeError and GuardrailError are listed as user errors but no config
 * reaches them today (every policy that grows with the config has its own size error first, and
 * the config schema keeps the guardrails' inputs valid).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AWS_REGIONS } from '../config/regions';
import { manyMembers, rawConfig } from './support/config';
import { ROOT, runMain } from './support/run-main';

/** One `error:` line on stderr, exit 1, no stack frame, and no file in the output folder. */
function expectOneLineUserError(run: { status: number | null; stderr: string; outdir: string }, message: RegExp) {
  expect(run.status, run.stderr).toBe(1);
  expect(run.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  const files = existsSync(run.outdir) ? readdirSync(run.outdir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];
  expect(files.map((f) => f.name)).toEqual([]);
}

const { organizationId: _noOrg, ...withoutOrganization } = rawConfig();

describe('main.ts: each user error is one line, exit 1, no stack trace', () => {
  it('RolePolicyTooLargeError: without organizationId the copy roles list 200 member roles (over IAM\'s 10,240 characters)', () => {
    const org = { ...withoutOrganization, members: manyMembers(200), snapshotCopy: { destinationRegion: 'eu-central-1' } };
    expectOneLineUserError(runMain(org), /^error: role ebs-event-hub-[a-z-]+: its inline policies take \d+ characters; IAM allows 10240 per role\. Without organizationId/);
  });

  it('RolePolicyTooLargeError from a synth worker thread (a member in shard 2): matched by name, since a worker\'s error reaches main as a plain Error', () => {
    // One member copying from every region, each to another one, under a key alias, with retention:
    // its copy role's policy is over 10,000 characters.
    const regions = [...AWS_REGIONS];
    const regionMap = Object.fromEntries(regions.map((r, i) => [r, regions[(i + 1) % regions.length]!]));
    const org = rawConfig({
      members: [
        { accountId: '222222222222', regions: ['eu-west-1'] },
        { accountId: '333333333333', regions: regions as never },
      ],
      snapshotCopy: { destinationRegion: 'eu-central-1', regionMap: regionMap as never, kmsKeyId: 'alias/disaster-recovery-copies', retentionDays: 30 },
    });
    const run = runMain(org, { SYNTH_SHARDS: '2', SYNTH_FAST: '0' });
    expectOneLineUserError(run, /^error: role ebs-event-hub-snapshot-copy: its inline policies take \d+ characters; IAM allows 10240 per role\n$/);
    // Not even the empty folders new App() creates: the failed synth leaves nothing behind.
    expect(existsSync(run.outdir) ? readdirSync(run.outdir) : []).toEqual([]);
  });

  it('BusPolicyTooLargeError: without organizationId the bus policy lists 400 accounts', () => {
    const org = { ...withoutOrganization, members: manyMembers(400) };
    expectOneLineUserError(runMain(org), /^error: organizationId: not set, so the central bus policy lists all 400 member accounts, .*Set organizationId/);
  });

  it('HandlerBundleMissingError: snapshotCopy set and the handler not built (no dist/)', () => {
    // A checkout without dist/: main.ts and handler-bundle.ts copied (the bundle is looked up next
    // to them), the rest linked.
    const root = mkdtempSync(join(tmpdir(), 'unbuilt-'));
    for (const f of ['main.ts', 'handler-bundle.ts']) copyFileSync(join(ROOT, f), join(root, f));
    for (const f of ['config', 'stacks', 'handlers', 'node_modules', 'package.json', 'tsconfig.json']) symlinkSync(join(ROOT, f), join(root, f));
    const outdir = join(root, 'out');
    const org = join(root, 'org.json');
    writeFileSync(org, JSON.stringify(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } })));
    const run = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), join(root, 'main.ts')], {
      cwd: root,
      env: { ...process.env, ORG_CONFIG: org, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
    });
    expectOneLineUserError({ ...run, outdir }, /^error: snapshotCopy is set but the handler is not built: run `npm run build`/);
  });
});
