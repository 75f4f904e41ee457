import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { SnapshotCopyIntake, type SnapshotCopyIntakeProps } from '../../stacks/central/snapshot-copy-intake';
import { snapshotCopyTriggerPattern } from '../../stacks/event-patterns';
import type { PolicyDocument } from '../../stacks/policy/policy';
import { BUS_NAME, CENTRAL_ACCOUNT, rawConfig } from '../support/config';
import { parsed, refTo, resourcesOf, synthStack, theResource } from '../support/synth';
import { ARN, CENTRAL_TARGET_DLQ, CODE, fnNamed, idsIn, statement, synthAll, UNIT, unitScope, WITH_RETENTION } from './support';

describe('snapshot copy intake, in the central stack', () => {
  // GIVEN an org with snapshotCopy and retention; WHEN synthesized
  const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));
  const CENTRAL_DLQ_REF = () => refTo(central, SqsQueue.tfResourceType, 'arn', (q) => q.name === 'ebs-event-hub-central-target-dlq');

  it('routes completed, non-replayed snapshots from the central bus to the encrypted copy queue, with retry and DLQ', () => {
    const rule = theResource(central, CloudwatchEventRule.tfResourceType, (r) => r.name === 'ebs-event-hub-snapshot-copy');
    // By reference to the bus: the rule is created after it.
    expect(rule.event_bus_name).toMatch(/^\$\{aws_cloudwatch_event_bus\.[\w-]+\.name\}$/);
    expect(theResource(central, 'aws_cloudwatch_event_bus').name).toBe(BUS_NAME);
    expect(parsed(rule.event_pattern)).toEqual(snapshotCopyTriggerPattern());
    expect(parsed<Record<string, unknown>>(rule.event_pattern)['replay-name']).toEqual([{ exists: false }]);
    const target = theResource(central, CloudwatchEventTarget.tfResourceType, (t) => String(t.rule).includes('snapshot-copy_rule'));
    // By reference: the target is created after the queue whose policy admits it.
    expect(target.arn).toMatch(/^\$\{aws_sqs_queue\.snapshot-copy_queue_[\w]+\.arn\}$/);
    expect(target.dead_letter_config).toEqual({ arn: CENTRAL_DLQ_REF() }); // by reference: created after the DLQ
    const centralDlqPolicy = parsed<PolicyDocument>(theResource(central, SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-central-target-dlq').policy);
    expect(centralDlqPolicy.Statement[0]!.Condition!.ArnEquals!['aws:SourceArn']).toEqual(
      expect.arrayContaining([ARN('events', `rule/${BUS_NAME}/ebs-event-hub-snapshot-copy`), ARN('events', 'rule/ebs-event-hub-copy-execution-failed'), ARN('events', 'rule/ebs-event-hub-copy-sweep')]),
    );
  });

  it('gives the copy queue SSE, a visibility timeout of 6x the starter timeout and a redrive to the copy DLQ after 10 receives', () => {
    const queue = theResource(central, SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-snapshot-copy');
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(queue.visibility_timeout_seconds).toBe(6 * (fnNamed(central, 'ebs-event-hub-copy-start').timeout as number));
    expect(parsed<Record<string, unknown>>(queue.redrive_policy)).toMatchObject({ maxReceiveCount: 10 });
    expect(String(parsed<Record<string, unknown>>(queue.redrive_policy).deadLetterTargetArn)).toMatch(/^\$\{aws_sqs_queue\.snapshot-copy_dlq_\w+\.arn\}$/);
    const dlq = theResource(central, SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-snapshot-copy-dlq');
    expect(dlq).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
    expect(parsed(dlq.redrive_allow_policy)).toEqual({ redrivePermission: 'byQueue', sourceQueueArns: [ARN('sqs', 'ebs-event-hub-snapshot-copy')] });
  });

  it('writes the queue policy with the explicit denies (send: only the copy rule; consume: only the starter role)', () => {
    const policy = parsed<PolicyDocument>(theResource(central, SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-snapshot-copy').policy);
    expect(policy.Statement.map((s) => `${s.Effect} ${s.Sid}`)).toEqual(['Allow CopyRuleSendsEvents', 'Deny DenySendExceptCopyRule', 'Deny DenyConsumeExceptStarter']);
    expect(statement(policy, 'DenyConsumeExceptStarter').Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${CENTRAL_ACCOUNT}:role/ebs-event-hub-copy-start` } });
    expect(statement(policy, 'DenySendExceptCopyRule').Condition).toEqual({
      ArnNotEquals: { 'aws:SourceArn': ARN('events', `rule/${BUS_NAME}/ebs-event-hub-snapshot-copy`), 'aws:PrincipalArn': `arn:aws:iam::${CENTRAL_ACCOUNT}:role/OrganizationAccountAccessRole` },
    });
  });

  it('feeds the starter from the queue in batches of 10 with partial batch failures and bounded concurrency', () => {
    const mapping = theResource(central, LambdaEventSourceMapping.tfResourceType);
    expect(mapping).toMatchObject({ batch_size: 10, function_response_types: ['ReportBatchItemFailures'], scaling_config: { maximum_concurrency: 5 } });
    expect(mapping.function_name).toMatch(/^\$\{aws_lambda_function\.snapshot-copy_start-function_\w+\.arn\}$/);
    expect(mapping.event_source_arn).toMatch(/^\$\{aws_sqs_queue\.snapshot-copy_queue_\w+\.arn\}$/);
  });
});

describe('SnapshotCopyIntake on its own', () => {
  const props = (over: Partial<SnapshotCopyIntakeProps> = {}) => {
    const { stack, scope } = unitScope();
    // The copy state machine, outside the unit's scope: the starter must wait for it.
    const machine = new SfnStateMachine(stack, 'machine', { name: 'ebs-event-hub-snapshot-copy', roleArn: ARN('iam', 'role/x'), definition: '{}' });
    const all: SnapshotCopyIntakeProps = {
      ...UNIT,
      busName: BUS_NAME,
      destinationRegion: 'eu-central-1',
      deploymentRoleName: 'OrganizationAccountAccessRole',
      code: CODE,
      deadLetterQueueArn: CENTRAL_TARGET_DLQ,
      stateMachine: machine,
      ...over,
    };
    return { stack, scope, all };
  };

  it('GIVEN valid props WHEN built THEN it adds exactly its documented ids to the scope, and the starter waits for the state machine and the queue', () => {
    const { stack, scope, all } = props();
    const intake = new SnapshotCopyIntake(scope, all);
    expect(idsIn(scope)).toEqual(['dlq', 'dlq-alarm', 'queue', 'queue-source', 'rule', 'start-errors-alarm', 'start-function', 'start-log-group', 'start-role'].sort());
    const json = synthStack(stack);
    const start = fnNamed(json, 'ebs-event-hub-copy-start');
    expect(start.depends_on).toEqual(expect.arrayContaining(['aws_sfn_state_machine.machine', expect.stringMatching(/^aws_sqs_queue\.snapshot-copy_queue_/)]));
    expect(resourcesOf(json, CloudwatchMetricAlarm.tfResourceType).map((a) => a.alarm_name).sort()).toEqual(['ebs-event-hub-copy-start-errors', 'ebs-event-hub-snapshot-copy-dlq-not-empty']);
    // The rule listens on the literal bus name when no reference is given.
    expect(theResource(json, CloudwatchEventRule.tfResourceType).event_bus_name).toBe(BUS_NAME);
    expect(Object.keys(intake.rolePolicies)).toEqual(['ebs-event-hub-copy-start']);
    expect(intake.rolePolicies['ebs-event-hub-copy-start']).toBe(intake.start.policy);
  });

  it.each([
    [{ accountId: '1234' }, 'SnapshotCopyIntake: accountId "1234" is not a 12-digit AWS account ID'],
    [{ region: 'eu-west-9' }, 'SnapshotCopyIntake: region "eu-west-9" is not a commercial AWS region'],
    [{ busName: 'has space' }, 'SnapshotCopyIntake: busName "has space" is not an event bus name (1-256 characters of A-Z a-z 0-9 . _ -)'],
    [{ deploymentRoleName: 'role/with/slash' }, 'SnapshotCopyIntake: deploymentRoleName "role/with/slash" is not an IAM role name'],
    [{ destinationRegion: 'mars-1' }, 'SnapshotCopyIntake: destinationRegion "mars-1" is not a commercial AWS region'],
    [{ regionMap: { 'eu-west-1': 'eu-west-1', 'us-east-1': 'us-moon-1' } }, 'SnapshotCopyIntake: regionMap "us-moon-1" is not a commercial AWS region'],
  ] as const)('GIVEN %j WHEN built THEN it names the prop, the value and what is allowed, and builds nothing', (over, message) => {
    const { scope, all } = props(over as Partial<SnapshotCopyIntakeProps>);
    expect(() => new SnapshotCopyIntake(scope, all)).toThrowError(message);
    expect(idsIn(scope)).toEqual([]);
  });
});
