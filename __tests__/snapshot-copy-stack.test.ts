import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../config/load';
import { loadStartConfig, loadStepConfig, loadSweepConfig } from '../handlers/snapshot-copy/config';
import type { OrgConfigInput } from '../config/schema';
import { buildApp } from '../stacks/app';
import { HandlerBundleMissingError } from '../stacks/central-stack';
import { copyLogGroupNames, SnapshotCopy, type SnapshotCopyProps } from '../stacks/central/snapshot-copy';
import { copyExecutionAlertRuleArn, EXECUTION_ALERT_INPUT, executionFailedPattern } from '../stacks/central/snapshot-copy-execution-alert';
import { snapshotCopyRoleTrustPolicy } from '../stacks/member/snapshot-copy-role';
import { snapshotCopyTriggerPattern } from '../stacks/event-patterns';
import { CENTRAL_COPY_ROLE_NAMES } from '../stacks/names';
import type { PolicyDocument, Statement } from '../stacks/policy/policy';
import { fakeBundle } from './support/bundle';
import { BUS_NAME, CENTRAL_ACCOUNT, CENTRAL_REGION, ORG_ID, rawConfig } from './support/config';
import { matchesPattern } from './support/event-pattern-matcher';
import { inlinePoliciesOf, parsed, refTo, resourcesOf, synthStack, theResource, type StackJson } from './support/synth';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

const COPY = { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1' }, kmsKeyId: 'alias/ebs-dr', copyTag: 'dr=true' } as const;
const WITH_RETENTION = { ...COPY, retentionDays: 30, maxInFlightCopies: 12 } as const;
const ARN = (service: string, resource: string) => `arn:aws:${service}:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:${resource}`;
const FUNCTIONS = ['ebs-event-hub-copy-start', 'ebs-event-hub-copy-step', 'ebs-event-hub-copy-sweep'];

function synthAll(raw: OrgConfigInput, bundle = fakeBundle()) {
  const built = buildApp({ config: parseOrgConfig(raw), outdir: Testing.app().outdir, snapshotCopyBundle: bundle });
  return { built, central: synthStack(built.central), members: built.members.map((m) => synthStack(m)) };
}

const statement = (doc: PolicyDocument, sid: string): Statement => {
  const found = doc.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${JSON.stringify(doc)}`);
  return found;
};
const fnNamed = (stack: StackJson, name: string) => theResource(stack, LambdaFunction.tfResourceType, (f) => f.function_name === name);
const envOf = (fn: Record<string, unknown>) => (fn.environment as { variables: Record<string, string> }).variables;
const machineNamed = (stack: StackJson, name: string) => theResource(stack, SfnStateMachine.tfResourceType, (m) => m.name === name);

/** Every `lambda:invoke` task of a definition, at any depth (Map item processors included). */
function invokedFunctions(definition: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    if (o.Type === 'Task') {
      expect(o.Resource).toBe('arn:aws:states:::lambda:invoke');
      found.push(String((o.Parameters as Record<string, unknown>).FunctionName));
    }
    Object.values(o).forEach(walk);
  };
  walk(definition);
  return found;
}

describe('snapshot copy, central stack', () => {
  // GIVEN an org with snapshotCopy and retention; WHEN synthesized
  const bundle = fakeBundle();
  const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }), bundle);
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

  it('deploys the Standard state machine with a literal JSON definition whose Lambda tasks name, by literal ARN, the step function of this stack', () => {
    const machine = machineNamed(central, 'ebs-event-hub-snapshot-copy');
    expect(machine.type).toBe('STANDARD');
    expect(String(machine.definition)).not.toContain('${');
    const definition = parsed(machine.definition);
    const invoked = invokedFunctions(definition);
    expect(invoked.length).toBeGreaterThan(0);
    const declared = resourcesOf(central, LambdaFunction.tfResourceType).map((f) => ARN('lambda', `function:${String(f.function_name)}`));
    for (const arn of invoked) expect(declared).toContain(arn);
    expect(new Set(invoked)).toEqual(new Set([ARN('lambda', 'function:ebs-event-hub-copy-step')]));
    // Ordered after the function it names by literal ARN.
    expect(machine.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_lambda_function\.snapshot-copy_step-function_/)]));
  });

  it('passes asl-validator for both state machines', () => {
    for (const name of ['ebs-event-hub-snapshot-copy', 'ebs-event-hub-copy-sweep']) {
      const { isValid, errors } = aslValidator(parsed(machineNamed(central, name).definition));
      expect(errors, name).toEqual([]);
      expect(isValid).toBe(true);
    }
  });

  it('logs each state machine to its own encrypted log group with retention, and lets its role invoke only its function', () => {
    for (const [name, fn] of [['ebs-event-hub-snapshot-copy', 'ebs-event-hub-copy-step'], ['ebs-event-hub-copy-sweep', 'ebs-event-hub-copy-sweep']] as const) {
      const machine = machineNamed(central, name);
      const logging = machine.logging_configuration as Record<string, unknown>;
      expect(logging).toMatchObject({ level: 'ERROR', include_execution_data: false });
      const group = theResource(central, CloudwatchLogGroup.tfResourceType, (g) => g.name === `/aws/vendedlogs/states/${name}`);
      expect(group).toMatchObject({ retention_in_days: 90 });
      expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
      expect(String(logging.log_destination)).toMatch(/^\$\{aws_cloudwatch_log_group\.[\w-]+\.arn\}:\*$/);
      const policy = inlinePoliciesOf(central, `${name}-states`)[`${name}-states`]!;
      expect(statement(policy, 'InvokeTaskFunction').Resource).toBe(ARN('lambda', `function:${fn}`));
      expect(policy.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith('lambda:')))).toHaveLength(1);
    }
  });

  it('runs each function on nodejs24.x arm64 from the bundle, each with its own role and encrypted log group with retention', () => {
    for (const name of FUNCTIONS) {
      const fn = fnNamed(central, name);
      expect(fn).toMatchObject({ runtime: 'nodejs24.x', architectures: ['arm64'], source_code_hash: bundle.sha256 });
      expect(String(fn.filename)).toMatch(/assets\/.*\.zip$/);
      const role = theResource(central, IamRole.tfResourceType, (r) => r.name === name);
      expect(fn.role).toMatch(/^\$\{aws_iam_role\.[\w-]+\.arn\}$/);
      expect(parsed<PolicyDocument>(role.assume_role_policy).Statement[0]!.Principal).toEqual({ Service: 'lambda.amazonaws.com' });
      const group = theResource(central, CloudwatchLogGroup.tfResourceType, (g) => g.name === `/aws/lambda/${name}`);
      expect(group.retention_in_days).toBe(90);
      expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
      expect((fn.logging_config as Record<string, unknown>).log_group).toMatch(/^\$\{aws_cloudwatch_log_group\./);
    }
    expect(FUNCTIONS.map((n) => fnNamed(central, n).handler)).toEqual(['index.start', 'index.step', 'index.sweep']);
    expect(copyLogGroupNames({ retention: true }).sort()).toEqual(
      resourcesOf(central, CloudwatchLogGroup.tfResourceType).map((g) => String(g.name)).filter((n) => !n.startsWith('/aws/events/')).sort(),
    );
  });

  it('names each entry point\'s environment from config (COPY-CONTRACT.md)', () => {
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-start'))).toEqual({
      STATE_MACHINE_ARN: ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'),
      COPY_QUEUE_ARN: ARN('sqs', 'ebs-event-hub-snapshot-copy'),
      DESTINATION_REGION: 'eu-central-1',
      REGION_MAP: JSON.stringify({ 'eu-central-1': 'eu-west-1' }),
      POWERTOOLS_SERVICE_NAME: 'snapshot-copy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-step'))).toEqual({
      MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
      KMS_KEY_ID: 'alias/ebs-dr',
      COPY_TAG: 'dr=true',
      MAX_IN_FLIGHT_COPIES: '12',
      SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots',
      RETENTION_DAYS: '30',
      POWERTOOLS_SERVICE_NAME: 'snapshot-copy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-sweep'))).toEqual({ MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy', POWERTOOLS_SERVICE_NAME: 'snapshot-copy', POWERTOOLS_LOG_LEVEL: 'INFO' });
  });

  it('GIVEN the synthesized environments WHEN each entry point loads its config THEN it accepts them, with the configured values', () => {
    const region = { AWS_REGION: CENTRAL_REGION };
    expect(loadStartConfig({ ...envOf(fnNamed(central, 'ebs-event-hub-copy-start')), ...region })).toMatchObject({
      stateMachineArn: ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'),
      copyQueueArn: ARN('sqs', 'ebs-event-hub-snapshot-copy'),
      destinationRegion: 'eu-central-1',
    });
    expect(loadStepConfig({ ...envOf(fnNamed(central, 'ebs-event-hub-copy-step')), ...region })).toMatchObject({ maxInFlightCopies: 12, retentionDays: 30, kmsKeyId: 'alias/ebs-dr', slotsTableName: 'ebs-event-hub-copy-slots' });
    expect(loadSweepConfig({ ...envOf(fnNamed(central, 'ebs-event-hub-copy-sweep')), ...region })).toMatchObject({ memberRoleName: 'ebs-event-hub-snapshot-copy' });
  });

  it('omits the optional variables that are not configured, and MAX_IN_FLIGHT_COPIES defaults to 15', () => {
    const { central: bare } = synthAll(rawConfig({ snapshotCopy: { destinationRegion: 'us-east-1' } }));
    expect(Object.keys(envOf(fnNamed(bare, 'ebs-event-hub-copy-start'))).sort()).toEqual(['COPY_QUEUE_ARN', 'DESTINATION_REGION', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME', 'STATE_MACHINE_ARN']);
    expect(envOf(fnNamed(bare, 'ebs-event-hub-copy-step'))).toEqual({
      MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
      MAX_IN_FLIGHT_COPIES: '15',
      SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots',
      POWERTOOLS_SERVICE_NAME: 'snapshot-copy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('feeds the starter from the queue in batches of 10 with partial batch failures and bounded concurrency', () => {
    const mapping = theResource(central, LambdaEventSourceMapping.tfResourceType);
    expect(mapping).toMatchObject({ batch_size: 10, function_response_types: ['ReportBatchItemFailures'], scaling_config: { maximum_concurrency: 5 } });
    expect(mapping.function_name).toMatch(/^\$\{aws_lambda_function\.snapshot-copy_start-function_\w+\.arn\}$/);
    expect(mapping.event_source_arn).toMatch(/^\$\{aws_sqs_queue\.snapshot-copy_queue_\w+\.arn\}$/);
  });

  it('alarms to the alert topic on failed, timed-out and aborted executions, a non-empty copy DLQ and starter errors', () => {
    const alarms = resourcesOf(central, CloudwatchMetricAlarm.tfResourceType);
    const byName = (n: string) => {
      const found = alarms.find((a) => a.alarm_name === n);
      if (!found) throw new Error(`no alarm ${n} among ${alarms.map((a) => a.alarm_name).join(', ')}`);
      return found;
    };
    // Dimensions by reference: each alarm watches the very resource of this stack.
    const ref = (type: string, where: (r: Record<string, unknown>) => boolean, attr: string) => {
      const entries = Object.entries(central.json.resource?.[type] ?? {}).filter(([, r]) => where(r));
      expect(entries).toHaveLength(1);
      return `\${${type}.${entries[0]![0]}.${attr}}`;
    };
    for (const machine of ['ebs-event-hub-snapshot-copy', 'ebs-event-hub-copy-sweep']) {
      const arn = ref(SfnStateMachine.tfResourceType, (m) => m.name === machine, 'arn');
      for (const [suffix, metric] of [['failed', 'ExecutionsFailed'], ['timed-out', 'ExecutionsTimedOut'], ['aborted', 'ExecutionsAborted']]) {
        expect(byName(`${machine}-executions-${suffix}`)).toMatchObject({ namespace: 'AWS/States', metric_name: metric, dimensions: { StateMachineArn: arn }, threshold: 0 });
      }
    }
    expect(byName('ebs-event-hub-snapshot-copy-dlq-not-empty')).toMatchObject({
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: ref(SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-snapshot-copy-dlq', 'name') },
    });
    expect(byName('ebs-event-hub-copy-start-errors')).toMatchObject({
      namespace: 'AWS/Lambda',
      metric_name: 'Errors',
      dimensions: { FunctionName: ref(LambdaFunction.tfResourceType, (f) => f.function_name === 'ebs-event-hub-copy-start', 'function_name') },
    });
    expect(alarms.find((a) => a.metric_name === 'ApproximateAgeOfOldestMessage')).toBeUndefined();
    for (const alarm of alarms) expect(alarm.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\./)]);
  });

  it('creates exactly the central roles CENTRAL_COPY_ROLE_NAMES lists (what a member role name must not collide with)', () => {
    const copyRoles = resourcesOf(central, IamRole.tfResourceType).map((r) => String(r.name)).filter((n) => n.includes('copy'));
    expect(copyRoles.sort()).toEqual([...CENTRAL_COPY_ROLE_NAMES].sort());
  });

  it('sends every copy or sweep execution that failed, timed out or was aborted, by name and cause, from the DEFAULT bus to the alert topic', () => {
    const rule = theResource(central, CloudwatchEventRule.tfResourceType, (r) => r.name === 'ebs-event-hub-copy-execution-failed');
    expect(rule.event_bus_name).toBe('default');
    const pattern = parsed(rule.event_pattern);
    expect(pattern).toEqual(executionFailedPattern([ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'), ARN('states', 'stateMachine:ebs-event-hub-copy-sweep')]));
    // The Step Functions event as documented (cw-events.html), for an execution that failed.
    const event = {
      version: '0',
      id: '315c1398-40ff-a850-213b-158f73e60175',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: CENTRAL_ACCOUNT,
      time: '2026-11-21T10:00:00Z',
      region: CENTRAL_REGION,
      resources: [ARN('states', 'execution:ebs-event-hub-snapshot-copy:222222222222-eu-west-1-snap-0123456789abcdef0-eu-central-1')],
      detail: {
        executionArn: ARN('states', 'execution:ebs-event-hub-snapshot-copy:222222222222-eu-west-1-snap-0123456789abcdef0-eu-central-1'),
        stateMachineArn: ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'),
        name: '222222222222-eu-west-1-snap-0123456789abcdef0-eu-central-1',
        status: 'FAILED',
        error: 'CopyFailed',
        cause: 'copy snap-0fedcba9876543210 ended in error: "KMS key is disabled"',
      },
    };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, status: 'SUCCEEDED' } })).toBe(false);
    expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, stateMachineArn: ARN('states', 'stateMachine:other') } })).toBe(false);
    const target = theResource(central, CloudwatchEventTarget.tfResourceType, (t) => t.target_id === 'alert-topic');
    expect(target.arn).toMatch(/^\$\{aws_sns_topic\./);
    expect(target.input_transformer).toEqual({ input_paths: EXECUTION_ALERT_INPUT.inputPaths, input_template: EXECUTION_ALERT_INPUT.inputTemplate });
    expect(EXECUTION_ALERT_INPUT.inputPaths).toMatchObject({ execution: '$.detail.name', cause: '$.detail.cause' });
    expect(target.dead_letter_config).toEqual({ arn: CENTRAL_DLQ_REF() }); // by reference: created after the DLQ
    expect(copyExecutionAlertRuleArn({ accountId: CENTRAL_ACCOUNT, region: CENTRAL_REGION })).toBe(ARN('events', 'rule/ebs-event-hub-copy-execution-failed'));
  });

  it('starts the sweep daily for every member account × destination region, through a role allowed only that', () => {
    const rule = theResource(central, CloudwatchEventRule.tfResourceType, (r) => r.name === 'ebs-event-hub-copy-sweep');
    expect(rule).toMatchObject({ schedule_expression: 'rate(1 day)', event_bus_name: 'default' });
    const target = theResource(central, CloudwatchEventTarget.tfResourceType, (t) => t.target_id === 'sweep-chunk-0');
    expect(parsed(target.input)).toEqual({ chunk: 0 });
    expect(target.dead_letter_config).toEqual({ arn: CENTRAL_DLQ_REF() }); // by reference: created after the DLQ
    const definition = parsed<{ States: Record<string, { Result?: { targets: unknown[] } }> }>(machineNamed(central, 'ebs-event-hub-copy-sweep').definition);
    // members 222222222222 (eu-west-1, us-east-1) and 333333333333 (eu-west-1): eu-west-1 -> eu-central-1, us-east-1 -> eu-central-1
    expect(definition.States.Chunk0!.Result!.targets).toEqual([
      { account: '222222222222', region: 'eu-central-1' },
      { account: '333333333333', region: 'eu-central-1' },
    ]);
    expect(invokedFunctions(definition)).toEqual([ARN('lambda', 'function:ebs-event-hub-copy-sweep')]);
    const policy = inlinePoliciesOf(central, 'ebs-event-hub-copy-sweep-events')['ebs-event-hub-copy-sweep-events']!;
    expect(policy.Statement).toEqual([{ Sid: 'StartSweepExecutions', Effect: 'Allow', Action: 'states:StartExecution', Resource: ARN('states', 'stateMachine:ebs-event-hub-copy-sweep') }]);
  });

  it('deploys no sweep without retentionDays', () => {
    const { central: noRetention, members } = synthAll(rawConfig({ snapshotCopy: COPY }));
    expect(resourcesOf(noRetention, LambdaFunction.tfResourceType).map((f) => f.function_name).sort()).toEqual(['ebs-event-hub-copy-start', 'ebs-event-hub-copy-step']);
    expect(resourcesOf(noRetention, SfnStateMachine.tfResourceType).map((m) => m.name)).toEqual(['ebs-event-hub-snapshot-copy']);
    expect(resourcesOf(noRetention, CloudwatchEventRule.tfResourceType).map((r) => r.name)).not.toContain('ebs-event-hub-copy-sweep');
    const memberPolicy = inlinePoliciesOf(members[0]!, 'ebs-event-hub-snapshot-copy')['copy-snapshots']!;
    expect(memberPolicy.Statement.flatMap((s) => [s.Action].flat())).not.toContain('ec2:DeleteSnapshot');
  });

  it('lets the step and sweep roles assume only the member role name, within the organization; the starter cannot', () => {
    for (const name of ['ebs-event-hub-copy-step', 'ebs-event-hub-copy-sweep']) {
      expect(statement(inlinePoliciesOf(central, name)[name]!, 'AssumeMemberCopyRole')).toEqual({
        Sid: 'AssumeMemberCopyRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: 'arn:aws:iam::*:role/ebs-event-hub-snapshot-copy',
        Condition: { StringEquals: { 'aws:ResourceOrgID': ORG_ID } },
      });
    }
    const start = inlinePoliciesOf(central, 'ebs-event-hub-copy-start')['ebs-event-hub-copy-start']!;
    expect(start.Statement.map((s) => s.Sid)).toEqual(['ConsumeCopyQueue', 'StartCopyExecutions', 'WriteOwnLogGroup']);
    // The central account is not a member here: no EC2 rights of its own.
    expect(inlinePoliciesOf(central, 'ebs-event-hub-copy-step')['ebs-event-hub-copy-step']!.Statement.map((s) => s.Sid)).toEqual(['AssumeMemberCopyRole', 'WriteOwnLogGroup', 'UseCopySlots']);
  });

  it('creates the copy-slots table (on-demand, key "slot", no deletion protection) and lets only the step role write it: UpdateItem on that table ARN', () => {
    const table = theResource(central, DynamodbTable.tfResourceType);
    expect(table).toMatchObject({ name: 'ebs-event-hub-copy-slots', region: CENTRAL_REGION, billing_mode: 'PAY_PER_REQUEST', hash_key: 'slot', attribute: [{ name: 'slot', type: 'S' }], deletion_protection_enabled: false });
    // Encrypted at rest under an AWS owned key: no server_side_encryption block, no key to manage.
    expect(table['server_side_encryption']).toBeUndefined();
    const step = inlinePoliciesOf(central, 'ebs-event-hub-copy-step')['ebs-event-hub-copy-step']!;
    expect(statement(step, 'UseCopySlots')).toEqual({ Sid: 'UseCopySlots', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: `arn:aws:dynamodb:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:table/ebs-event-hub-copy-slots` });
    // No other role of the copy path touches DynamoDB.
    for (const name of ['ebs-event-hub-copy-start', 'ebs-event-hub-copy-sweep']) {
      expect(JSON.stringify(inlinePoliciesOf(central, name))).not.toContain('dynamodb:');
    }
    // The step function is created after the table it names.
    expect(fnNamed(central, 'ebs-event-hub-copy-step')['depends_on']).toContain(`${DynamodbTable.tfResourceType}.${Object.keys(central.json.resource![DynamodbTable.tfResourceType]!)[0]}`);
  });

  it('without organizationId, lists the member role ARNs instead', () => {
    const { organizationId: _o, ...raw } = rawConfig({ snapshotCopy: COPY });
    const policy = inlinePoliciesOf(synthAll(raw).central, 'ebs-event-hub-copy-step')['ebs-event-hub-copy-step']!;
    expect(statement(policy, 'AssumeMemberCopyRole').Resource).toEqual(['arn:aws:iam::222222222222:role/ebs-event-hub-snapshot-copy', 'arn:aws:iam::333333333333:role/ebs-event-hub-snapshot-copy']);
  });

  it('grants the step role copy rights and the sweep role delete rights in its own account when the central account is also a member', () => {
    const raw = rawConfig({ snapshotCopy: WITH_RETENTION, members: [...rawConfig().members, { accountId: CENTRAL_ACCOUNT, regions: ['eu-west-1'] }] });
    const { central: withSelf } = synthAll(raw);
    const step = inlinePoliciesOf(withSelf, 'ebs-event-hub-copy-step')['ebs-event-hub-copy-step']!;
    expect(statement(step, 'CopySnapshotsToDestinationRegions').Resource).toEqual(['arn:aws:ec2:eu-central-1::snapshot/*', 'arn:aws:ec2:eu-west-1::snapshot/*']);
    expect(step.Statement.map((s) => s.Sid)).not.toContain('DeleteExpiredCopiesOnly');
    const sweep = inlinePoliciesOf(withSelf, 'ebs-event-hub-copy-sweep')['ebs-event-hub-copy-sweep']!;
    expect(statement(sweep, 'DeleteExpiredCopiesOnly').Resource).toEqual(['arn:aws:ec2:eu-central-1::snapshot/*']);
    expect(sweep.Statement.map((s) => s.Sid)).not.toContain('CopySnapshotsToDestinationRegions');
  });

  it('refuses to build without the handler bundle when snapshotCopy is set', () => {
    expect(() => buildApp({ config: parseOrgConfig(rawConfig({ snapshotCopy: COPY })), outdir: Testing.app().outdir })).toThrowError(HandlerBundleMissingError);
  });

  it('deploys no copy path without snapshotCopy', () => {
    const built = buildApp({ config: parseOrgConfig(rawConfig()), outdir: Testing.app().outdir });
    const stack = synthStack(built.central);
    expect(resourcesOf(stack, LambdaFunction.tfResourceType)).toHaveLength(0);
    expect(resourcesOf(stack, SfnStateMachine.tfResourceType)).toHaveLength(0);
    expect(resourcesOf(synthStack(built.members[0]!), IamRole.tfResourceType).map((r) => r.name)).toEqual(['ebs-event-hub-forwarder']);
  });
});

describe('snapshot copy construct: rejected props', () => {
  const props = (over: Partial<SnapshotCopyProps>): SnapshotCopyProps => ({
    accountId: CENTRAL_ACCOUNT,
    region: CENTRAL_REGION,
    busName: BUS_NAME,
    bundle: fakeBundle(),
    destinationRegion: 'eu-central-1',
    memberRoleName: 'ebs-event-hub-snapshot-copy',
    memberAccountIds: ['222222222222'],
    maxInFlightCopies: 15,
    deploymentRoleName: 'OrganizationAccountAccessRole',
    logRetentionDays: 90,
    kmsKeyArn: ARN('kms', 'key/k'),
    alertTopicArn: ARN('sns', 'ebs-event-hub-alerts'),
    deadLetterQueueArn: ARN('sqs', 'ebs-event-hub-central-target-dlq'),
    ...over,
  });
  const build = (over: Partial<SnapshotCopyProps>) => () => new SnapshotCopy(new TerraformStack(Testing.app(), 'test'), 'copy', props(over));

  it.each([0, 21, 2.5])('GIVEN maxInFlightCopies %j WHEN constructed THEN it names the prop, the value and what is allowed', (maxInFlightCopies) => {
    expect(build({ maxInFlightCopies })).toThrowError(`SnapshotCopy: maxInFlightCopies ${maxInFlightCopies} is not a whole number from 1 to 20`);
  });

  it('GIVEN retentionDays without sweep targets WHEN constructed THEN it says what is missing', () => {
    expect(build({ retentionDays: 30 })).toThrowError('SnapshotCopy: retentionDays is set but sweepTargets is empty');
    expect(build({ retentionDays: 30, sweepTargets: [] })).toThrowError('SnapshotCopy: retentionDays is set but sweepTargets is empty');
  });

  it('GIVEN no trusted role WHEN the member trust policy is built THEN it refuses (a role nobody may assume is a mistake)', () => {
    expect(() => snapshotCopyRoleTrustPolicy([])).toThrowError('trustedRoleArns is empty');
  });
});

describe('snapshot copy, the real bundle', () => {
  it('GIVEN the built bundle (npm run build) WHEN loaded THEN every function\'s handler names one of its exports', () => {
    const bundlePath = join(__dirname, '..', 'dist', 'snapshot-copy', 'index.js');
    expect(existsSync(bundlePath), 'dist/snapshot-copy/index.js is missing: run `npm run build` (npm test does)').toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(bundlePath) as Record<string, unknown>;
    const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));
    const handlers = resourcesOf(central, LambdaFunction.tfResourceType).map((f) => String(f.handler));
    expect(handlers).toHaveLength(3);
    for (const handler of handlers) {
      const [file, name] = handler.split('.');
      expect(file).toBe('index');
      expect(typeof exported[name!], `${handler} is not a function exported by the bundle (exports: ${Object.keys(exported).join(', ')})`).toBe('function');
    }
  });
});

describe('snapshot copy, member stack', () => {
  const { members } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));
  const copyRole = (stack: StackJson) => theResource(stack, IamRole.tfResourceType, (r) => r.name === 'ebs-event-hub-snapshot-copy');
  const forwardRegions = (stack: StackJson) => resourcesOf(stack, CloudwatchEventRule.tfResourceType).map((r) => String(r.region)).sort();
  const dlqRegions = (stack: StackJson) => resourcesOf(stack, SqsQueue.tfResourceType).map((q) => String(q.region)).sort();

  it('forwards from the copy destination regions too, with a DLQ there, even when members[].regions omits them', () => {
    // member 222222222222: eu-west-1, us-east-1 (-> eu-central-1); member 333333333333: eu-west-1 (-> eu-central-1)
    expect(forwardRegions(members[0]!)).toEqual(['eu-central-1', 'eu-west-1', 'us-east-1']);
    expect(dlqRegions(members[0]!)).toEqual(['eu-central-1', 'eu-west-1', 'us-east-1']);
    expect(forwardRegions(members[1]!)).toEqual(['eu-central-1', 'eu-west-1']);
    const { members: plain } = synthAll(rawConfig());
    expect(forwardRegions(plain[1]!)).toEqual(['eu-west-1']);
  });

  it('creates the copy role trusted only by the central step and sweep roles', () => {
    expect(parsed<PolicyDocument>(copyRole(members[0]!).assume_role_policy).Statement).toEqual([
      {
        Sid: 'CentralCopyFunctionsAssume',
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam::${CENTRAL_ACCOUNT}:role/ebs-event-hub-copy-step`, `arn:aws:iam::${CENTRAL_ACCOUNT}:role/ebs-event-hub-copy-sweep`] },
        Action: 'sts:AssumeRole',
      },
    ]);
  });

  it('scopes copy and tag rights to the member\'s source and destination regions, tags only on CopySnapshot, deletes only tagged copies', () => {
    const policy = inlinePoliciesOf(members[0]!, 'ebs-event-hub-snapshot-copy')['copy-snapshots']!;
    expect(statement(policy, 'DescribeSnapshots')).toMatchObject({ Action: 'ec2:DescribeSnapshots', Resource: '*' });
    expect(statement(policy, 'CopySnapshotsToDestinationRegions').Resource).toEqual(['arn:aws:ec2:eu-central-1::snapshot/*', 'arn:aws:ec2:eu-west-1::snapshot/*', 'arn:aws:ec2:us-east-1::snapshot/*']);
    expect(statement(policy, 'TagCopiesWhenCreated')).toEqual({
      Sid: 'TagCopiesWhenCreated',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ['arn:aws:ec2:eu-central-1::snapshot/*'],
      Condition: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
    });
    expect(statement(policy, 'DeleteExpiredCopiesOnly')).toEqual({
      Sid: 'DeleteExpiredCopiesOnly',
      Effect: 'Allow',
      Action: 'ec2:DeleteSnapshot',
      Resource: ['arn:aws:ec2:eu-central-1::snapshot/*'],
      Condition: { StringLike: { 'aws:ResourceTag/ebs-event-hub:source-snapshot-id': 'snap-*' }, Null: { 'aws:ResourceTag/ebs-event-hub:expires-at': 'false' } },
    });
  });

  it('allows the destination key by alias through EC2 in the destination region only; grants only for AWS resources', () => {
    const policy = inlinePoliciesOf(members[0]!, 'ebs-event-hub-snapshot-copy')['copy-snapshots']!;
    expect(statement(policy, 'EncryptCopiesUnderDestinationKey')).toMatchObject({
      Resource: ['arn:aws:kms:eu-central-1:222222222222:key/*'],
      Condition: { StringEquals: { 'kms:ViaService': ['ec2.eu-central-1.amazonaws.com'] }, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/ebs-dr'] } },
    });
    expect(statement(policy, 'GrantDestinationKeyToEc2')).toMatchObject({ Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } });
    expect(policy.Statement.filter((s) => [s.Action].flat().includes('kms:CreateGrant')).every((s) => s.Condition?.Bool?.['kms:GrantIsForAWSResource'] === 'true')).toBe(true);
  });

  it('without kmsKeyId, allows the account\'s keys in the destination regions through EC2 there (the default EBS key may be a CMK)', () => {
    const { members: plain } = synthAll(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } }));
    const policy = inlinePoliciesOf(plain[0]!, 'ebs-event-hub-snapshot-copy')['copy-snapshots']!;
    expect(statement(policy, 'EncryptCopiesUnderDestinationKey')).toMatchObject({
      Resource: ['arn:aws:kms:eu-central-1:222222222222:key/*'],
      Condition: { StringEquals: { 'kms:ViaService': ['ec2.eu-central-1.amazonaws.com'] } },
    });
    expect(statement(policy, 'EncryptCopiesUnderDestinationKey').Condition).not.toHaveProperty('ForAnyValue:StringEquals');
  });

  it('creates no copy role for a member whose every region maps onto itself, and forwards only its own regions', () => {
    const { members: selfOnly } = synthAll(rawConfig({ snapshotCopy: { destinationRegion: 'eu-west-1' } }));
    // member 333333333333 lives only in eu-west-1, the destination
    expect(resourcesOf(selfOnly[1]!, IamRole.tfResourceType).map((r) => r.name)).toEqual(['ebs-event-hub-forwarder']);
    expect(forwardRegions(selfOnly[1]!)).toEqual(['eu-west-1']);
  });
});
