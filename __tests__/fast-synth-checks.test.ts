/**
 * The fast synth's own checks (stacks/stamped-synth.ts): a member stack whose text depends on the
 * account id or the name other than by their text is not stamped, and a name that reaches a
 * resource has every stamped stack checked again. The member stacks are given a probe (an output
 * or a queue) by wrapping `addMemberStacks`, the function the templates are built with.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, TerraformOutput } from 'cdktf';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { MemberConfig, OrgConfig } from '../config/schema';
import { withoutCreationStacks } from '../stacks/creation-stacks';
import { prepareStamping } from '../stacks/stamped-synth';
import { rawConfig, testConfig } from './support/config';

type Probe = (member: MemberConfig, config: OrgConfig) => { id?: string; value?: string; queuePolicyAction?: string; warning?: string };
let probe: Probe | undefined;

vi.mock(import('../stacks/app'), async (importOriginal) => {
  const real = await importOriginal();
  return {
    ...real,
    addMemberStacks: (...args: Parameters<typeof real.addMemberStacks>) => {
      const stacks = real.addMemberStacks(...args);
      const found = probe?.(args[2], args[1].config);
      if (found?.value !== undefined) new TerraformOutput(stacks[0]!, found.id ?? 'probe', { value: found.value });
      if (found?.warning !== undefined) Annotations.of(stacks[0]!).addWarning(found.warning);
      if (found?.queuePolicyAction !== undefined) {
        new SqsQueue(stacks[0]!, 'probe-queue', {
          name: 'ebs-event-hub-probe',
          sqsManagedSseEnabled: true,
          policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Probe', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: found.queuePolicyAction, Resource: 'arn:aws:sqs:eu-west-1:111111111111:elsewhere' }] }),
        });
      }
      return stacks;
    },
  };
});

const scratch = mkdtempSync(join(tmpdir(), 'fast-synth-checks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ACCOUNTS = ['210000000000', '320000000000', '430000000000'];
const config: OrgConfig = testConfig(rawConfig({ members: ACCOUNTS.map((accountId, i) => ({ accountId, name: ['a', 'team b', 'x'.repeat(100)][i], regions: ['eu-west-1'] })) }));
const prepare = (p: Probe | undefined, c: OrgConfig = config) => {
  probe = p;
  try {
    return prepareStamping({ config: c });
  } finally {
    probe = undefined;
  }
};

describe('fast synth checks', () => {
  it('stamps a member stack that uses the account id and the name as text, each member with its own', () => {
    // The member written out whole, too: the template's member has the same keys in the same order.
    const stamping = prepare((m) => ({ value: `arn:aws:iam::${m.accountId}:root ${m.name} ${JSON.stringify(m)}` }));
    expect(stamping.stampedStacks).toBe(3);
    expect(stamping.individual).toEqual([]);
    const outdir = join(scratch, 'text');
    const entries = stamping.write(outdir);
    expect(Object.keys(entries).sort()).toEqual(ACCOUNTS.map((a) => `member-${a}`));
    for (const m of config.members) {
      const tf = JSON.parse(readFileSync(join(outdir, 'stacks', `member-${m.accountId}`, 'cdk.tf.json'), 'utf8')) as { output: { probe: { value: string } } };
      expect(tf.output.probe.value).toBe(`arn:aws:iam::${m.accountId}:root ${m.name} ${JSON.stringify(m)}`);
      expect(entries[`member-${m.accountId}`]).toMatchObject({ name: `member-${m.accountId}`, constructPath: `member-${m.accountId}`, workingDirectory: `stacks/member-${m.accountId}` });
    }
  });

  const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
  it.each<[string, Probe]>([
    ['a hash of the account id', (m) => ({ value: sha(m.accountId) })],
    ['the account id sorted against another account', (m) => ({ value: [m.accountId, '500000000000'].sort().join(',') })],
    ['a comparison of the account id with a number', (m) => ({ value: Number(m.accountId) < 5e11 ? 'low' : 'high' })],
    ['the name truncated', (m) => ({ value: (m.name ?? '').slice(0, 40) })],
    // Consistent between the two sentinels (neither is in the config): the first member built
    // through cdktf is the check.
    ['the member\'s position in the config', (m, c) => ({ value: String(c.members.findIndex((x) => x.accountId === m.accountId)) })],
    ['the name in a JSON key', (m) => ({ id: `probe-${m.name}`, value: 'x' })],
    ['a hash of the name in a resource', (m) => ({ queuePolicyAction: `sqs:${sha(m.name ?? '')}` })],
  ])('GIVEN a member stack holding %s THEN its shape is built through cdktf, not stamped', (_what, p) => {
    const stamping = prepare(p);
    expect(stamping.stampedStacks).toBe(0);
    expect(stamping.individual).toEqual(config.members);
  });

  it('GIVEN a name that reaches a policy THEN every stamped stack is checked again: the one member whose name breaks a rule fails, as built one by one', () => {
    // Not a valid name (config validation refuses "*"), but a rule the templates pass.
    const odd: OrgConfig = { ...config, members: config.members.map((m, i) => (i === 1 ? { ...m, name: 'wild*' } : m)) };
    const stamping = prepare((m) => ({ queuePolicyAction: `sqs:${m.name}` }), odd);
    expect(stamping.stampedStacks).toBe(3);
    expect(stamping.violations).toEqual([
      expect.objectContaining({ stack: 'member-320000000000', path: 'member-320000000000/probe-queue', address: 'aws_sqs_queue.probe-queue', ruleId: 'wildcard-action', message: expect.stringContaining('allows wildcard action "sqs:wild*"') }),
    ]);
  });

  it('GIVEN a template that breaks a guardrail THEN each stamped member gets the finding under its own stack and path, and nothing is stamped', () => {
    const stamping = prepare(() => ({ queuePolicyAction: 'sqs:*' }));
    expect(stamping.stampedStacks).toBe(0);
    expect(stamping.individual).toEqual([]);
    expect(stamping.violations.map((v) => [v.stack, v.path, v.ruleId])).toEqual(ACCOUNTS.map((a) => [`member-${a}`, `member-${a}/probe-queue`, 'wildcard-action']));
  });

  it('stamps a warning annotation into each member\'s manifest entry; not with stack traces kept (they name the template\'s callers)', () => {
    const warn: Probe = (m) => ({ warning: `account ${m.accountId} is a probe` });
    const stamping = withoutCreationStacks(() => prepare(warn));
    expect(stamping.stampedStacks).toBe(3);
    const entries = stamping.write(join(scratch, 'warning'));
    expect(entries['member-320000000000']!.annotations).toEqual([{ constructPath: 'member-320000000000', level: '@cdktf/warn', message: 'account 320000000000 is a probe', stacktrace: [] }]);
    // CDKTF_CREATION_STACKS=1 (main.ts keeps stack traces): built one by one.
    expect(withoutCreationStacks(() => prepare(warn), true).stampedStacks).toBe(0);
  });

  it('GIVEN a member construct that throws THEN nothing is stamped (the construct-by-construct synth reports the real member)', () => {
    const stamping = prepare(() => {
      throw new Error('refused');
    });
    expect(stamping.stampedStacks).toBe(0);
    expect(stamping.individual).toEqual(config.members);
  });
});
