import { TerraformStack, Testing } from 'cdktf';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../stacks/app';
import { copyResultForwardingPattern, forwardingPattern } from '../stacks/event-patterns';
import { Forwarding } from '../stacks/member/forwarding';
import type { PolicyDocument } from '../stacks/policy/policy';
import { alarmEvent } from './support/alarm-events';
import { matchesPattern } from './support/event-pattern-matcher';
import { BUS_NAME, CENTRAL_ACCOUNT, CENTRAL_REGION, testConfig } from './support/config';
import { inlinePoliciesOf, parsed, refTo, resourcesOf, synthStack, theResource } from './support/synth';

const BUS_ARN = `arn:aws:events:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:event-bus/${BUS_NAME}`;
const MEMBER = '222222222222';
const REGIONS = ['eu-west-1', 'us-east-1'];

describe('member stack', () => {
  // GIVEN member 222222222222 in eu-west-1 and us-east-1
  const built = buildApp({ config: testConfig(), outdir: Testing.app().outdir });
  const memberStack = built.members.find((m) => m.accountId === MEMBER)!;
  const stack = synthStack(memberStack);

  it('is named member-<accountId> and depends on central', () => {
    expect(built.members.map((m) => m.node.id)).toEqual(['member-222222222222', 'member-333333333333']);
    expect(memberStack.dependencies).toContain(built.central);
  });

  it('deploys into the member account only, through the deployment role', () => {
    expect(stack.json.provider?.aws?.[0]).toMatchObject({
      allowed_account_ids: [MEMBER],
      assume_role: [{ role_arn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole` }],
      default_tags: [{ tags: { 'ebs-event-hub:stack': 'member-222222222222', 'ebs-event-hub:member': 'prod' } }],
    });
  });

  it('puts one forwarding rule on the default bus of every listed region', () => {
    const rules = resourcesOf(stack, CloudwatchEventRule.tfResourceType);
    expect(rules.map((r) => r.region).sort()).toEqual([...REGIONS].sort());
    for (const rule of rules) {
      expect(rule).toMatchObject({ name: 'ebs-event-hub-forward-to-central', event_bus_name: 'default', state: 'ENABLED' });
      expect(parsed(rule.event_pattern)).toEqual(forwardingPattern());
    }
  });

  it('targets the central bus ARN computed from config, through the forwarder role, with retries and a same-region DLQ', () => {
    const targets = resourcesOf(stack, CloudwatchEventTarget.tfResourceType);
    expect(targets).toHaveLength(REGIONS.length);
    for (const target of targets) {
      expect(target.arn).toBe(BUS_ARN);
      expect(target.role_arn).toMatch(/^\$\{aws_iam_role\.[\w-]+\.arn\}$/);
      expect(target.retry_policy).toEqual({ maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 });
      expect(target.dead_letter_config).toEqual({ arn: refTo(stack, SqsQueue.tfResourceType, 'arn', (q) => q.region === target.region) });
    }
  });

  it('alarms on each region\'s forward DLQ under the member alarm prefix the forwarding rule carries to the central bus', () => {
    const alarms = resourcesOf(stack, CloudwatchMetricAlarm.tfResourceType);
    expect(alarms.map((a) => a.region).sort()).toEqual([...REGIONS].sort());
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({
        alarm_name: 'ebs-event-hub-member-forward-dlq-not-empty',
        namespace: 'AWS/SQS',
        metric_name: 'ApproximateNumberOfMessagesVisible',
        threshold: 0,
        comparison_operator: 'GreaterThanThreshold',
        // SQS stops publishing an idle queue's metrics: the alarm keeps ALARM while messages wait.
        treat_missing_data: 'ignore',
      });
      expect(alarm.alarm_actions).toBeUndefined();
      // the DLQ of the same region, by reference (the alarm is created after it)
      const [queueKey] = Object.entries(stack.json.resource?.[SqsQueue.tfResourceType] ?? {}).find(([, q]) => (q as { region: string }).region === alarm.region)!;
      expect(alarm.dimensions).toEqual({ QueueName: `\${aws_sqs_queue.${queueKey}.name}` });
      // the forwarding rule of that region matches the alarm's state changes
      const event = alarmEvent({ alarmName: String(alarm.alarm_name), account: MEMBER, region: String(alarm.region) });
      expect(matchesPattern(forwardingPattern(), event)).toBe(true);
    }
  });

  it('costs four resources per region (queue, rule, target, alarm): a member stack is synthesized up to 1,000 times', () => {
    // GIVEN the same member with one region more; WHEN synthesized; THEN exactly four resources more
    const count = (st: ReturnType<typeof synthStack>) => Object.values(st.json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
    const wider = buildApp({
      config: testConfig({ members: [{ accountId: MEMBER, regions: [...REGIONS, 'ap-southeast-2'] as never }] }),
      outdir: Testing.app().outdir,
    });
    expect(count(synthStack(wider.members[0]!)) - count(stack)).toBe(4);
  });

  it('makes one encrypted 14-day DLQ per region that admits only that region\'s rule', () => {
    const queues = resourcesOf(stack, SqsQueue.tfResourceType);
    expect(queues.map((q) => q.region).sort()).toEqual([...REGIONS].sort());
    for (const q of queues) expect(q).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
    for (const region of REGIONS) {
      const policy = parsed<PolicyDocument>(theResource(stack, SqsQueue.tfResourceType, (q) => q.region === region).policy);
      expect(policy.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: `arn:aws:sqs:${region}:${MEMBER}:ebs-event-hub-forward-dlq`,
          Condition: { ArnEquals: { 'aws:SourceArn': [`arn:aws:events:${region}:${MEMBER}:rule/ebs-event-hub-forward-to-central`] } },
        }),
      ]);
    }
  });

  it('has one forwarder role for the account, trusted by EventBridge of this account only, allowed PutEvents on the central bus only', () => {
    const role = theResource(stack, IamRole.tfResourceType, (r) => r.name === 'ebs-event-hub-forwarder');
    expect(role.region).toBeUndefined(); // IAM is global
    expect(parsed<PolicyDocument>(role.assume_role_policy).Statement).toEqual([
      {
        Sid: 'TrustService',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': MEMBER } },
      },
    ]);
    expect(role.inline_policy).toBeUndefined(); // deprecated in hashicorp/aws 5.68+
    const inline = inlinePoliciesOf(stack, 'ebs-event-hub-forwarder');
    expect(Object.keys(inline)).toEqual(['put-events-on-central-bus']);
    expect(inline['put-events-on-central-bus']!.Statement).toEqual([
      { Sid: 'PutEventsOnCentralBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: BUS_ARN },
    ]);
  });

  it('writes state to S3 with encryption and S3-native locking, one key per stack, when deployment.state is set', () => {
    const app = buildApp({
      config: testConfig({ deployment: { state: { bucket: 'tf-state-bucket', region: 'eu-west-1', keyPrefix: 'hub' } } }),
      outdir: Testing.app().outdir,
    });
    const backend = synthStack(app.members[0]!).json.terraform?.backend as { s3: Record<string, unknown> };
    expect(backend.s3).toEqual({
      bucket: 'tf-state-bucket',
      region: 'eu-west-1',
      key: 'hub/member-222222222222.tfstate',
      encrypt: true,
      use_lockfile: true,
    });
    expect((synthStack(app.central).json.terraform?.backend as { s3: { key: string } }).s3.key).toBe('hub/central.tfstate');
  });
});

describe('Forwarding construct: copy-result regions', () => {
  const build = (regions: string[], copyResultRegions: string[]) => () =>
    new Forwarding(new TerraformStack(Testing.app(), 'member'), 'forwarding', { accountId: MEMBER, regions, copyResultRegions, centralBusArn: BUS_ARN });

  it('GIVEN a region both listed and copy-results-only WHEN built THEN it refuses, naming the region', () => {
    expect(build(['eu-west-1'], ['eu-west-1'])).toThrowError('Forwarding: copyResultRegions "eu-west-1" is also in regions; a listed region forwards everything, list it once');
  });

  it('GIVEN a copy-results region twice WHEN built THEN it refuses', () => {
    expect(build(['eu-west-1'], ['eu-central-1', 'eu-central-1'])).toThrowError('Forwarding: copyResultRegions ["eu-central-1","eu-central-1"] lists a region twice');
  });

  it('GIVEN a copy-results region WHEN built THEN it has its own DLQ and alarm, and its rule forwards copy results and that alarm only', () => {
    const stack = new TerraformStack(Testing.app(), 'member');
    new Forwarding(stack, 'forwarding', { accountId: MEMBER, regions: ['eu-west-1'], copyResultRegions: ['eu-central-1'], centralBusArn: BUS_ARN });
    const json = synthStack(stack);
    const rule = theResource(json, CloudwatchEventRule.tfResourceType, (r) => r.region === 'eu-central-1');
    expect(parsed(rule.event_pattern)).toEqual(copyResultForwardingPattern());
    expect(rule.description).toBe('Forward copySnapshot results (this region is only a copy destination) to the central bus');
    expect(resourcesOf(json, SqsQueue.tfResourceType).map((q) => q.region).sort()).toEqual(['eu-central-1', 'eu-west-1']);
    expect(resourcesOf(json, CloudwatchMetricAlarm.tfResourceType).map((a) => a.region).sort()).toEqual(['eu-central-1', 'eu-west-1']);
  });
});
