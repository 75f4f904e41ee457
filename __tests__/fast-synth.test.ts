/**
 * The fast synth (stacks/stamped-synth.ts) against the construct-by-construct synth: the same
 * bytes, file by file, for a sample of shapes, and the same failure when a guardrail breaks.
 *
 * Adding a shape: a stack kind or a switch that changes member stacks (a `vault-<account>` stack
 * per member; the plan-role switch `EBS_EVENT_HUB_ROLE=plan` is one, as synth options) is
 * covered by adding an entry to SHAPES that turns it on, with at least
 * MIN_STAMPED_MEMBERS members per shape so they are stamped (the entry's `stamped` count says how
 * many stacks must be). Every file of the output is compared, so a new stack of a member (created
 * in `addMemberStacks`) is compared without changing the test.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OrgConfig, OrgConfigInput } from '../config/schema';
import { withoutCreationStacks } from '../stacks/creation-stacks';
import { MIN_STAMPED_MEMBERS, planStamping, prepareStamping, shapeKey, twelveDigitStrings } from '../stacks/stamped-synth';
import { synthesize, type SynthOptions } from '../stacks/synth';
import { fakeBundle } from './support/bundle';
import { CENTRAL_ACCOUNT, rawConfig, testConfig } from './support/config';
import { runMain } from './support/run-main';

const bundle = fakeBundle();
const scratch = mkdtempSync(join(tmpdir(), 'fast-synth-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Member = OrgConfigInput['members'][number];

/** `n` members from `first` (a 12-digit number) on, every `step` apart, with `fields`. */
const members = (first: number, n: number, fields: Omit<Member, 'accountId'>, step = 7_919_000_001): Member[] =>
  Array.from({ length: n }, (_, i) => ({ ...fields, accountId: String(first + i * step).padStart(12, '0') }));

const LONG_NAME = `${'n'.repeat(120)}-longest`;

interface Shape {
  readonly name: string;
  readonly config: OrgConfigInput;
  /** Synth options besides the config (the provider role). */
  readonly options?: Pick<SynthOptions, 'providerRole'>;
  /** Stacks the fast path must stamp (the others are built through cdktf). */
  readonly stamped: number;
}

const SHAPES: Shape[] = [
  {
    name: 'copy with regionMap and retention, organization, S3 state, default tags; named and unnamed, waves, region order, special accounts',
    config: rawConfig({
      members: [
        ...members(210_000_000_000, 4, { regions: ['eu-west-1'] }),
        // Names of different lengths in one shape, non-ASCII letters and spaces.
        ...[{ name: 'a' }, { name: 'Équipe données 9' }, { name: LONG_NAME }].map((n, i) => ({ ...n, accountId: String(320_000_000_000 + i), regions: ['eu-west-1', 'us-east-1'] as never, wave: 2 })),
        // The same regions in another order: another provider region, another shape.
        ...members(430_000_000_000, 3, { regions: ['us-east-1', 'eu-west-1'], wave: 3 }),
        // Four regions, named, accounts on both sides of the central account and of each other.
        ...[{ accountId: '050000000000', name: 'low' }, { accountId: '900000000000', name: 'high' }, { accountId: '500000000001', name: 'mid' }].map((m) => ({ ...m, regions: ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2'] as never })),
        // Built one by one: the central account as a member, an account named in a tag, accounts
        // outside the sentinels' range.
        { accountId: CENTRAL_ACCOUNT, regions: ['eu-west-1'] },
        { accountId: '777777777777', regions: ['eu-west-1'] },
        { accountId: '000000000001', regions: ['eu-west-1'] },
        { accountId: '999999999998', regions: ['eu-west-1'] },
      ],
      snapshotCopy: { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1' }, kmsKeyId: 'alias/ebs-dr', copyTag: 'dr-copy=true', retentionDays: 30 },
      deployment: { state: { bucket: 'org-terraform-state', region: 'eu-west-1' }, defaultTags: { project: 'ebs-event-hub', 'owner-account': '777777777777' } },
      alerts: { emails: ['ops@example.com'] },
    }),
    stamped: 4 + 3 + 3 + 3,
  },
  {
    name: 'no copy, no organization (the bus policy lists the accounts), local state, own deployment role; a shape too small to stamp',
    config: rawConfig({
      organizationId: undefined,
      members: [
        ...members(600_000_000_000, 3, { regions: ['ap-southeast-2'] }),
        ...members(610_000_000_000, 3, { regions: ['eu-west-1', 'us-east-1'], name: 'prod' }),
        ...members(620_000_000_000, MIN_STAMPED_MEMBERS - 1, { regions: ['eu-west-1'] }),
      ],
      deployment: { roleName: 'PipelineDeployer' },
    }),
    stamped: 3 + 3,
  },
  {
    name: 'copy to one region, key ARN, own member role name, no organization (the copy roles list the members)',
    config: rawConfig({
      organizationId: undefined,
      members: members(700_000_000_000, 5, { regions: ['eu-west-1', 'us-east-1'], wave: 4 }),
      snapshotCopy: { destinationRegion: 'eu-central-1', kmsKeyId: 'arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab', memberRoleName: 'dr-copier' },
    }),
    stamped: 5,
  },
  {
    name: 'the plan-role switch (EBS_EVENT_HUB_ROLE=plan) with the plan role created in every stack, one principal in a member account',
    config: rawConfig({
      members: [...members(800_000_000_000, 3, { regions: ['eu-west-1', 'us-east-1'], name: 'workloads' }), { accountId: '123456789012', regions: ['eu-west-1', 'us-east-1'], name: 'tooling' }],
      snapshotCopy: { destinationRegion: 'eu-central-1', retentionDays: 7 },
      deployment: { planPrincipalArns: ['arn:aws:iam::123456789012:role/ci-plan'], state: { bucket: 'org-terraform-state', region: 'eu-west-1', keyPrefix: 'hub/prod' } },
    }),
    options: { providerRole: 'plan' },
    stamped: 3,
  },
  {
    name: 'vault mode without kmsKeyId (a copy key per destination region in every member stack, share and delete rights), the vault stack and its plan role',
    config: rawConfig({
      members: [...members(230_000_000_000, 4, { regions: ['eu-west-1', 'us-east-1'] }), ...members(240_000_000_000, 3, { regions: ['eu-central-1'], name: 'data' })],
      snapshotCopy: {
        destinationRegion: 'eu-central-1',
        regionMap: { 'eu-central-1': 'eu-west-1' },
        retentionDays: 30,
        vault: { accountId: '555555555555', lock: { mode: 'compliance', days: 30, coolOffHours: 2 }, retentionDays: 30, keepMemberCopy: false },
      },
      deployment: { planPrincipalArns: ['arn:aws:iam::123456789012:role/ci-plan'] },
    }),
    stamped: 4 + 3,
  },
];

/** Every file under `root`, relative, sorted. */
const files = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();

let runs = 0;
async function synth(config: OrgConfig, options: Partial<SynthOptions> = {}): Promise<string> {
  const outdir = join(scratch, `out-${runs++}`);
  await withoutCreationStacks(() => synthesize({ config, snapshotCopyBundle: bundle, outdir, ...options }));
  return outdir;
}

/** Asserts two output folders hold the same files with the same bytes; returns the files. */
function expectSameFiles(actual: string, expected: string): string[] {
  const compared = files(expected);
  expect(files(actual)).toEqual(compared);
  for (const f of compared) expect(readFileSync(join(actual, f)).equals(readFileSync(join(expected, f))), f).toBe(true);
  return compared;
}

describe('fast synth: byte-identical to the construct-by-construct synth', () => {
  for (const shape of SHAPES) {
    it(`${shape.name}`, async () => {
      const config = testConfig(shape.config);
      // The fast path is taken: these stacks are stamped, not built.
      expect(prepareStamping({ config, snapshotCopyBundle: bundle, ...shape.options }).stampedStacks).toBe(shape.stamped);
      const fast = await synth(config, shape.options);
      const slow = await synth(config, { ...shape.options, fast: false });
      const compared = expectSameFiles(fast, slow);
      // Every stack's cdk.tf.json, the manifest and the synth stamp were compared.
      expect(compared.filter((f) => /^stacks\/member-\d{12}\/cdk\.tf\.json$/.test(f))).toHaveLength(config.members.length);
      expect(compared).toEqual(expect.arrayContaining(['manifest.json', 'ebs-event-hub.synth.json', 'stacks/central/cdk.tf.json']));
      const vault = config.snapshotCopy?.vault;
      if (vault) expect(compared).toContain(`stacks/vault-${vault.accountId}/cdk.tf.json`);
    });
  }

  it('is deterministic: two fast synths of one config into different folders write the same bytes', async () => {
    const config = testConfig(SHAPES[0]!.config);
    expectSameFiles(await synth(config), await synth(config));
  });

  it('overwrites an earlier synth in the same folder as cdktf does (the stack file replaced, the folder kept)', async () => {
    const config = testConfig(SHAPES[1]!.config);
    const outdir = await synth(config, { fast: false });
    await withoutCreationStacks(() => synthesize({ config, snapshotCopyBundle: bundle, outdir }));
    expectSameFiles(outdir, await synth(config, { fast: false }));
  });
});

describe('main.ts: SYNTH_FAST', () => {
  const org = SHAPES[0]!.config;

  it('SYNTH_FAST=0, =1, unset and parallel shards all write the same files', () => {
    const slow = runMain(org, { SYNTH_FAST: '0', SYNTH_SHARDS: '1' });
    expect(slow.status, slow.stderr).toBe(0);
    for (const env of [{ SYNTH_FAST: '1' }, {}, { SYNTH_SHARDS: '3' }]) {
      const run = runMain(org, env);
      expect(run.status, run.stderr).toBe(0);
      expectSameFiles(run.outdir, slow.outdir);
      expect(readdirSync(run.dir).filter((f) => f.startsWith('.synth-shards-'))).toEqual([]);
    }
  });

  it.each(['yes', 'true', '', ' 0', '2'])('rejects SYNTH_FAST=%j: 0 or 1 only, nothing written', (value) => {
    const run = runMain(undefined, { SYNTH_FAST: value });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`error: SYNTH_FAST: 1 problem:\n  - SYNTH_FAST: ${JSON.stringify(value)} is neither 0 (build every stack through cdktf) nor 1 (stamp member stacks of one shape; the default)\n`);
    expect(existsSync(run.outdir)).toBe(false);
  });

  it('GIVEN a guardrail every DLQ policy breaks THEN the fast synth fails with the same message as the construct-by-construct synth, and writes nothing', () => {
    const preload = join(__dirname, 'support', 'preload-context-key-row.cjs');
    const fast = runMain(org, { NODE_OPTIONS: `--require ${preload}` });
    const slow = runMain(org, { NODE_OPTIONS: `--require ${preload}`, SYNTH_FAST: '0', SYNTH_SHARDS: '1' });
    expect(fast.status, fast.stderr).toBe(1);
    expect(fast.stderr).toBe(slow.stderr);
    // Stamped members are reported, each under its own stack and path.
    expect(fast.stderr).toContain('[undocumented-condition-key] member-210000000000: member-210000000000/forwarding/dlq-eu-west-1/queue');
    expect(fast.stderr).toContain('[undocumented-condition-key] member-900000000000: member-900000000000/forwarding/dlq-us-west-2/queue');
    expect(fast.stderr).not.toMatch(/\n\s+at /);
    // No sentinel leaks: every stack named is a member of the config.
    const named = new Set([...fast.stderr.matchAll(/member-(\d{12})/g)].map((m) => m[1]));
    expect([...named].sort()).toEqual(org.members.map((m) => m.accountId).sort());
    expect(fast.stderr).not.toContain('stamp-sentinel');
    expect(existsSync(fast.outdir) ? readdirSync(fast.outdir) : []).toEqual([]);
  });
});

describe('planStamping', () => {
  const config = testConfig(SHAPES[0]!.config);
  const plan = planStamping(config);
  const individual = plan.individual.map((m) => m.accountId);

  it('builds one by one the central account, an account named elsewhere in the config, and accounts outside the sentinels\' range', () => {
    expect(individual).toEqual([CENTRAL_ACCOUNT, '777777777777', '000000000001', '999999999998']);
  });

  it('picks sentinels found nowhere in the config, strictly around every stamped account, one pair per shape', () => {
    const text = JSON.stringify(config);
    const digits = twelveDigitStrings(text);
    expect(plan.shapes).toHaveLength(4);
    for (const s of plan.shapes) {
      for (const sentinel of [s.low, s.high]) {
        expect(digits.has(sentinel.accountId)).toBe(false);
        expect(text.includes(sentinel.name)).toBe(false);
        expect(sentinel.accountId).toMatch(/^\d{12}$/);
      }
      expect(s.high.name).toHaveLength(128);
      for (const m of s.members) expect(m.accountId > s.low.accountId && m.accountId < s.high.accountId).toBe(true);
    }
    expect(new Set(plan.shapes.flatMap((s) => [s.low.accountId, s.high.accountId])).size).toBe(8);
    // 000000000000 is the lowest unused; 000000000001 is a member, so skipped.
    expect(plan.shapes.map((s) => s.low.accountId)).toEqual(['000000000000', '000000000002', '000000000003', '000000000004']);
  });

  it('never picks a sentinel name the config holds', () => {
    const named = testConfig(rawConfig({ members: members(210_000_000_000, 3, { regions: ['eu-west-1'], name: 'stamp-sentinel-a' }) }));
    const names = planStamping(named).shapes.map((s) => s.low.name);
    expect(names).toHaveLength(1);
    expect(names[0]).not.toBe('stamp-sentinel-a');
  });

  it('builds one by one a member whose name JSON would escape (not a valid name, but never stamped wrong)', () => {
    const raw = testConfig(rawConfig({ members: members(210_000_000_000, 4, { regions: ['eu-west-1'], name: 'ok' }) }));
    const odd: OrgConfig = { ...raw, members: raw.members.map((m, i) => (i === 0 ? { ...m, name: 'quote"d' } : m)) };
    expect(planStamping(odd).individual.map((m) => m.name)).toEqual(['quote"d']);
  });

  it('tells shapes apart by region order, wave and whether there is a name, not by account or name', () => {
    const base = { accountId: '210000000000', regions: ['eu-west-1', 'us-east-1'], wave: 1 } as never as OrgConfig['members'][number];
    const key = shapeKey(base);
    expect(shapeKey({ ...base, accountId: '310000000000' })).toBe(key);
    expect(shapeKey({ ...base, name: 'x' })).toBe(shapeKey({ ...base, name: 'another name' }));
    for (const other of [{ ...base, regions: ['us-east-1', 'eu-west-1'] }, { ...base, wave: 2 }, { ...base, name: 'x' }]) expect(shapeKey(other as never)).not.toBe(key);
  });
});
