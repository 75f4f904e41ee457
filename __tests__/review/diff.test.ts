import { describe, expect, it } from 'vitest';
import { diffStack } from '../../cli/review/diff';
import { buildReport, renderJson, renderMarkdown, verdict } from '../../cli/review/render';
import { centralBusPolicy } from '../../stacks/central/event-bus';
import { renderPolicy } from '../../stacks/policy/policy';

const meta = (path: string) => ({ '//': { metadata: { path, uniqueId: path } } });
const queuePolicy = (condition: object | undefined) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Rule', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:1:dlq', ...(condition ? { Condition: condition } : {}) }] });

const before = {
  terraform: { backend: { local: { path: 'terraform.s.tfstate' } } },
  resource: {
    aws_sqs_queue: { dlq: { ...meta('s/dlq'), name: 'dlq', sqs_managed_sse_enabled: true, policy: queuePolicy({ ArnEquals: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:1:rule/r' } }) } },
    aws_cloudwatch_event_rule: { rule: { ...meta('s/rule'), name: 'r', event_bus_name: 'default', state: 'ENABLED' } },
    aws_cloudwatch_log_group: { old: { ...meta('s/old'), name: '/old', retention_in_days: 30 } },
  },
};

describe('stack diff', () => {
  it('GIVEN resources added, removed, updated in place and replaced, and a policy condition dropped THEN each is reported by address', () => {
    const after = {
      terraform: before.terraform,
      resource: {
        aws_sqs_queue: { dlq: { ...meta('s/dlq'), name: 'dlq', sqs_managed_sse_enabled: true, message_retention_seconds: 1209600, policy: queuePolicy(undefined) } },
        aws_cloudwatch_event_rule: { rule: { ...meta('s/rule'), name: 'r', event_bus_name: 'central', state: 'ENABLED' } },
        aws_sns_topic: { topic: { ...meta('s/topic'), name: 't' } },
      },
    };
    const d = diffStack('s', before, after);
    expect(d.status).toBe('changed');
    expect(d.added).toEqual([{ address: 'aws_sns_topic.topic', path: 's/topic' }]);
    expect(d.removed).toEqual([{ address: 'aws_cloudwatch_log_group.old', path: 's/old', loses: 'the log group and all its logs', dataLoss: true }]);
    const rule = d.changed.find((c) => c.address === 'aws_cloudwatch_event_rule.rule')!;
    expect(rule.attributes).toEqual([{ attribute: 'event_bus_name', before: 'default', after: 'central' }]);
    expect(rule.replacedFor).toEqual(['event_bus_name']);
    const queue = d.changed.find((c) => c.address === 'aws_sqs_queue.dlq')!;
    expect(queue.replacedFor).toEqual([]);
    expect(queue.attributes.map((a) => a.attribute)).toEqual(['message_retention_seconds', 'policy']);
    expect(d.widenings).toEqual([{ stack: 's', address: 'aws_sqs_queue.dlq', policy: 'SQS queue policy', sid: 'Rule', reasons: ['condition dropped: ArnEquals aws:SourceArn (was arn:aws:events:eu-west-1:1:rule/r)'] }]);
    expect(verdict(d)).toBe('REPLACES 1; DESTROYS 1 (1 LOSING DATA); WIDENS ACCESS (1 statement); creates 1; updates 1 in place');
  });

  it('GIVEN only construct metadata changed THEN no resource change is reported', () => {
    const after = JSON.parse(JSON.stringify(before));
    after.resource.aws_sqs_queue.dlq['//'].metadata.path = 's/renamed';
    const d = diffStack('s', before, after);
    expect(d.changed).toEqual([]);
    expect(verdict(d)).toBe('no resource change (metadata only)');
  });

  it('GIVEN a changed backend block THEN it is listed outside resources', () => {
    const after = { ...before, terraform: { backend: { local: { path: '/abs/terraform.s.tfstate' } } } };
    expect(diffStack('s', before, after).otherChanges).toEqual([{ attribute: 'terraform.backend.local.path', before: 'terraform.s.tfstate', after: '/abs/terraform.s.tfstate' }]);
  });

  it('GIVEN a removed stack THEN the verdict says its resources are left behind and names the command that destroys them', () => {
    const d = diffStack('s', before, undefined);
    expect(d.status).toBe('removed');
    expect(verdict(d)).toBe('REMOVED from the config: its 3 resources are left behind, not destroyed (`npm run rollout -- --destroy s` destroys them)');
  });
});

describe('stack diff of the real bus policy', () => {
  const busStack = (memberAccountIds: string[]) => ({
    resource: { aws_cloudwatch_event_bus_policy: { policy: { ...meta('central/event-bus/policy'), policy: renderPolicy(centralBusPolicy({ busArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/central', memberAccountIds })) } } },
  });
  it('GIVEN an account added without organizationId THEN the new account is the one widening', () => {
    const d = diffStack('central', busStack(['222222222222']), busStack(['222222222222', '555555555555']));
    const [statement] = JSON.parse(busStack(['222222222222']).resource.aws_cloudwatch_event_bus_policy.policy.policy).Statement;
    expect(d.widenings).toEqual([
      { stack: 'central', address: 'aws_cloudwatch_event_bus_policy.policy', policy: 'event bus policy', sid: statement.Sid, reasons: expect.arrayContaining(['principal widened: + AWS:arn:aws:iam::555555555555:root']) },
    ]);
  });
});

describe('report', () => {
  it('GIVEN a suppression in the head THEN review.md and review.json list it with its reason', () => {
    const suppression = { stack: 'central', path: 'central/legacy/queue', address: 'aws_sqs_queue.legacy', ruleId: 'queue-encryption', reason: 'Partner tool cannot read SSE queues (OPS-42)' };
    const report = buildReport({ addedStacks: [], removedStacks: [], changedStacks: [], unchangedStacks: ['central'], stacks: [], suppressions: [suppression] }, { ref: 'main', commit: 'a'.repeat(40) }, 1);
    expect(renderMarkdown(report)).toContain('| `central` | `aws_sqs_queue.legacy` | `queue-encryption` | Partner tool cannot read SSE queues (OPS-42) |');
    const json = JSON.parse(renderJson(report));
    expect(json.suppressions).toEqual([suppression]);
    expect(json.planBatches).toEqual([]);
    expect(renderMarkdown(report)).toMatch(/^<!-- ebs-event-hub-review -->\n# Review\nCompared with `main` \(aaaaaaaaaaaa\): 1 stacks; 0 added, 0 removed, 0 changed, 1 unchanged\./);
  });
});

describe('report: the same change in many stacks', () => {
  const memberStack = (account: string, condition: object | undefined) => ({
    resource: {
      aws_sqs_queue: {
        dlq: {
          ...meta(`member-${account}/dlq`),
          name: 'dlq',
          policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Rule', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:eu-west-1:${account}:dlq`, ...(condition ? { Condition: condition } : {}) }] }),
        },
      },
    },
  });
  const accounts = ['200000000001', '200000000002', '200000000003'];
  const stacks = accounts.map((a) => diffStack(`member-${a}`, memberStack(a, { ArnEquals: { 'aws:SourceArn': `arn:aws:events:eu-west-1:${a}:rule/r` } }), memberStack(a, undefined)));
  const report = buildReport({ addedStacks: [], removedStacks: [], changedStacks: stacks.map((s) => s.id), unchangedStacks: [], stacks, suppressions: [] }, { ref: 'main', commit: 'b'.repeat(40) }, 3);
  const md = renderMarkdown(report);

  it('GIVEN three member stacks whose change differs only by account THEN one section and one risk line name all three', () => {
    expect(md).toContain('### 3 stacks, the same change in each');
    expect(md).toContain('`member-200000000001`, `member-200000000002`, `member-200000000003`. Shown for `member-200000000001`; the others differ only by their own account id.');
    expect(md).toContain('- **3 widenings**');
    expect(md).toContain('  - in 3 stacks (`member-200000000001`, `member-200000000002`, `member-200000000003`): `aws_sqs_queue.dlq` SQS queue policy, statement `Rule`: condition dropped: ArnEquals aws:SourceArn (was arn:aws:events:eu-west-1:<account>:rule/r)');
    expect(md.match(/^### /gm)).toHaveLength(1);
    expect(md).toContain('| `member-200000000001`, `member-200000000002`, `member-200000000003` | WIDENS ACCESS (1 statement); updates 1 in place |');
  });

  it('GIVEN stacks whose changes differ beyond their account THEN each has its own section; review.json stays per stack', () => {
    const other = diffStack('member-200000000004', memberStack('200000000004', { ArnEquals: { 'aws:SourceArn': 'x' } }), memberStack('200000000004', { ArnEquals: { 'aws:SourceArn': 'y' } }));
    const mixed = buildReport({ addedStacks: [], removedStacks: [], changedStacks: [...stacks.map((s) => s.id), other.id], unchangedStacks: [], stacks: [...stacks, other], suppressions: [] }, { ref: 'main', commit: 'b'.repeat(40) }, 4);
    expect(renderMarkdown(mixed).match(/^### /gm)).toHaveLength(2);
    expect(Object.keys(JSON.parse(renderJson(mixed)).stacks)).toHaveLength(4);
  });
});
