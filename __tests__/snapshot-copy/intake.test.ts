import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { AWS_REGIONS } from '../../config/regions';
import { loadStartConfig } from '../../handlers/snapshot-copy/config';
import {
  COPY_MAX_RECEIVE_COUNT,
  COPY_QUEUE_STALLED_SECONDS,
  COPY_QUEUE_VISIBILITY_SECONDS,
  SnapshotCopyIntake,
  startEnvironment,
  type SnapshotCopyIntakeProps,
} from '../../stacks/central/snapshot-copy-intake';
import { snapshotCopyTriggerPattern } from '../../stacks/event-patterns';
import type { PolicyDocument } from '../../stacks/policy/policy';
import { BUS_NAME, CENTRAL_ACCOUNT, rawConfig } from '../support/config';
import { parsed, refTo, resourcesOf, synthStack, theResource } from '../support/synth';
import { ARN, CENTRAL_TARGET_DLQ, CODE, envOf, fnNamed, idsIn, statement, synthAll, UNIT, unitScope, WITH_RETENTION } from './support';

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
      sourceRegions: ['eu-west-1', 'us-east-1'],
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
    expect(idsIn(scope)).toEqual(
      ['dlq', 'dlq-alarm', 'dlq-expiring-alarm', 'queue', 'queue-source', 'queue-stalled-alarm', 'rule', 'start-errors-alarm', 'start-function', 'start-log-group', 'start-role'].sort(),
    );
    const json = synthStack(stack);
    const start = fnNamed(json, 'ebs-event-hub-copy-start');
    expect(start.depends_on).toEqual(expect.arrayContaining(['aws_sfn_state_machine.machine', expect.stringMatching(/^aws_sqs_queue\.snapshot-copy_queue_/)]));
    expect(resourcesOf(json, CloudwatchMetricAlarm.tfResourceType).map((a) => a.alarm_name).sort()).toEqual([
      'ebs-event-hub-copy-start-errors',
      'ebs-event-hub-snapshot-copy-dlq-messages-expiring',
      'ebs-event-hub-snapshot-copy-dlq-not-empty',
      'ebs-event-hub-snapshot-copy-queue-stalled',
    ]);
    // The rule listens on the literal bus name when no reference is given.
    expect(theResource(json, CloudwatchEventRule.tfResourceType).event_bus_name).toBe(BUS_NAME);
    expect(Object.keys(intake.rolePolicies)).toEqual(['ebs-event-hub-copy-start']);
    expect(intake.rolePolicies['ebs-event-hub-copy-start']).toBe(intake.start.policy);
  });

  it('GIVEN source regions in any order WHEN built THEN the starter gets them sorted as SOURCE_REGIONS, and its config reads them back', () => {
    const { stack, scope, all } = props({ sourceRegions: ['us-east-1', 'eu-west-1'] });
    new SnapshotCopyIntake(scope, all);
    const env = envOf(fnNamed(synthStack(stack), 'ebs-event-hub-copy-start'));
    expect(env.SOURCE_REGIONS).toBe('eu-west-1,us-east-1');
    expect(loadStartConfig(env).sourceRegions).toEqual(new Set(['eu-west-1', 'us-east-1']));
  });

  it('GIVEN every commercial region as a source and in the region map WHEN the starter environment is built THEN it stays within Lambda\'s 4 KB for all variables', () => {
    // "4 KB, for all environment variables associated with the function, in aggregate":
    // https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (names and values, UTF-8)
    const regionMap = Object.fromEntries(AWS_REGIONS.map((r, i) => [r, AWS_REGIONS[(i + 1) % AWS_REGIONS.length]!]));
    const env = startEnvironment({ ...UNIT, destinationRegion: 'eu-central-1', regionMap, sourceRegions: AWS_REGIONS });
    const bytes = Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    expect(env.SOURCE_REGIONS!.split(',')).toHaveLength(AWS_REGIONS.length);
    expect(bytes).toBeLessThan(4096 / 2);
  });

  it('GIVEN the copy DLQ and queue WHEN alarmed THEN missing data keeps the alarm\'s state (SQS stops reporting an idle queue), and the oldest message\'s age is watched', () => {
    const { stack, scope, all } = props();
    new SnapshotCopyIntake(scope, all);
    const json = synthStack(stack);
    const alarm = (name: string) => theResource(json, CloudwatchMetricAlarm.tfResourceType, (a) => a.alarm_name === name);
    const queueRef = (name: string) => refTo(json, SqsQueue.tfResourceType, 'name', (q) => q.name === name);
    expect(alarm('ebs-event-hub-snapshot-copy-dlq-not-empty')).toMatchObject({ metric_name: 'ApproximateNumberOfMessagesVisible', treat_missing_data: 'ignore' });
    expect(alarm('ebs-event-hub-snapshot-copy-dlq-messages-expiring')).toMatchObject({
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: queueRef('ebs-event-hub-snapshot-copy-dlq') },
      statistic: 'Maximum',
      threshold: 7 * 86400, // half the DLQ's 14-day retention
      comparison_operator: 'GreaterThanThreshold',
      treat_missing_data: 'ignore',
      alarm_actions: [UNIT.alertTopicArn],
    });
    expect(alarm('ebs-event-hub-snapshot-copy-queue-stalled')).toMatchObject({
      metric_name: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: queueRef('ebs-event-hub-snapshot-copy') },
      threshold: 3600,
      treat_missing_data: 'ignore',
      alarm_actions: [UNIT.alertTopicArn],
      ok_actions: [UNIT.alertTopicArn],
    });
    // The starter's errors: Lambda sends Errors only when there are some, so no data is no error.
    expect(alarm('ebs-event-hub-copy-start-errors').treat_missing_data).toBe('notBreaching');
  });

  it('GIVEN a record that fails every time WHEN it is retried THEN it leaves the age metric (3rd receive) long before the stall alarm\'s hour, and reaches the DLQ within ~1 hour of receives', () => {
    // SQS: a message received three or more times is left out of ApproximateAgeOfOldestMessage
    // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
    expect(2 * COPY_QUEUE_VISIBILITY_SECONDS).toBeLessThan(COPY_QUEUE_STALLED_SECONDS / 2);
    expect(COPY_MAX_RECEIVE_COUNT * COPY_QUEUE_VISIBILITY_SECONDS).toBeLessThanOrEqual(COPY_QUEUE_STALLED_SECONDS);
  });

  it.each([
    [{ accountId: '1234' }, 'SnapshotCopyIntake: accountId "1234" is not a 12-digit AWS account ID'],
    [{ region: 'eu-west-9' }, 'SnapshotCopyIntake: region "eu-west-9" is not a commercial AWS region'],
    [{ busName: 'has space' }, 'SnapshotCopyIntake: busName "has space" is not an event bus name (1-256 characters of A-Z a-z 0-9 . _ -)'],
    [{ deploymentRoleName: 'role/with/slash' }, 'SnapshotCopyIntake: deploymentRoleName "role/with/slash" is not an IAM role name'],
    [{ destinationRegion: 'mars-1' }, 'SnapshotCopyIntake: destinationRegion "mars-1" is not a commercial AWS region'],
    [{ regionMap: { 'eu-west-1': 'eu-west-1', 'us-east-1': 'us-moon-1' } }, 'SnapshotCopyIntake: regionMap "us-moon-1" is not a commercial AWS region'],
    [{ sourceRegions: [] }, 'SnapshotCopyIntake: sourceRegions [] is empty: the starter would copy nothing'],
    [{ sourceRegions: ['eu-west-1', 'moon-1'] }, 'SnapshotCopyIntake: sourceRegions "moon-1" is not a commercial AWS region'],
    [{ sourceRegions: ['eu-west-1', 'eu-west-1'] }, 'SnapshotCopyIntake: sourceRegions ["eu-west-1","eu-west-1"] lists a region twice'],
  ] as const)('GIVEN %j WHEN built THEN it names the prop, the value and what is allowed, and builds nothing', (over, message) => {
    const { scope, all } = props(over as Partial<SnapshotCopyIntakeProps>);
    expect(() => new SnapshotCopyIntake(scope, all)).toThrowError(message);
    expect(idsIn(scope)).toEqual([]);
  });
});
