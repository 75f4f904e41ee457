import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { describe, expect, it } from 'vitest';
import { SnapshotCopyWorkflow, type SnapshotCopyWorkflowProps } from '../../stacks/central/snapshot-copy-workflow';
import { CENTRAL_ACCOUNT, CENTRAL_REGION, ORG_ID, rawConfig } from '../support/config';
import { inlinePoliciesOf, parsed, resourcesOf, synthStack, theResource } from '../support/synth';
import { ARN, CODE, COPY, fnNamed, idsIn, invokedFunctions, machineNamed, statement, synthAll, UNIT, unitScope, WITH_RETENTION } from './support';

describe('snapshot copy workflow, in the central stack', () => {
  // GIVEN an org with snapshotCopy and retention; WHEN synthesized
  const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));

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

  it('creates the copy-slots table (on-demand, key "slot", no deletion protection) and lets only the step role write it: UpdateItem on that table ARN', () => {
    const table = theResource(central, DynamodbTable.tfResourceType, (t) => t.name === 'ebs-event-hub-copy-slots');
    expect(table).toMatchObject({ name: 'ebs-event-hub-copy-slots', region: CENTRAL_REGION, billing_mode: 'PAY_PER_REQUEST', hash_key: 'slot', attribute: [{ name: 'slot', type: 'S' }], deletion_protection_enabled: false });
    // Encrypted at rest under an AWS owned key: no server_side_encryption block, no key to manage.
    expect(table['server_side_encryption']).toBeUndefined();
    const step = inlinePoliciesOf(central, 'ebs-event-hub-copy-step')['ebs-event-hub-copy-step']!;
    expect(statement(step, 'UseCopySlots')).toEqual({ Sid: 'UseCopySlots', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: `arn:aws:dynamodb:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:table/ebs-event-hub-copy-slots` });
    // The starter touches no DynamoDB; no role but the step's names the slots table (the sweep's ledger rights: ledger.test.ts).
    expect(JSON.stringify(inlinePoliciesOf(central, 'ebs-event-hub-copy-start'))).not.toContain('dynamodb:');
    expect(JSON.stringify(inlinePoliciesOf(central, 'ebs-event-hub-copy-sweep'))).not.toContain('copy-slots');
    // The step function is created after the table it names.
    const slotsAddress = Object.entries(central.json.resource![DynamodbTable.tfResourceType]!).find(([, t]) => (t as { name?: string }).name === 'ebs-event-hub-copy-slots')![0];
    expect(fnNamed(central, 'ebs-event-hub-copy-step')['depends_on']).toContain(`${DynamodbTable.tfResourceType}.${slotsAddress}`);
  });

  it('without organizationId, lists the member role ARNs instead', () => {
    const { organizationId: _o, ...raw } = rawConfig({ snapshotCopy: COPY });
    const policy = inlinePoliciesOf(synthAll(raw).central, 'ebs-event-hub-copy-step')['ebs-event-hub-copy-step']!;
    expect(statement(policy, 'AssumeMemberCopyRole').Resource).toEqual(['arn:aws:iam::222222222222:role/ebs-event-hub-snapshot-copy', 'arn:aws:iam::333333333333:role/ebs-event-hub-snapshot-copy']);
  });
});

describe('SnapshotCopyWorkflow on its own', () => {
  const props = (over: Partial<SnapshotCopyWorkflowProps> = {}): SnapshotCopyWorkflowProps => ({
    ...UNIT,
    code: CODE,
    organizationId: ORG_ID,
    memberRoleName: 'ebs-event-hub-snapshot-copy',
    memberAccountIds: ['222222222222'],
    maxInFlightCopies: 15,
    ...over,
  });

  it('GIVEN valid props WHEN built THEN it adds exactly its documented ids to the scope; the step function waits for its log group, its role policy and the table, the state machine for the step function', () => {
    const { stack, scope } = unitScope();
    const workflow = new SnapshotCopyWorkflow(scope, props());
    expect(idsIn(scope)).toEqual(
      ['slots-table', 'ledger-table', 'step-log-group', 'step-role', 'step-function', 'copy-states-role', 'copy-states-log-group', 'copy-state-machine', 'copy-executions-failed', 'copy-executions-timed-out', 'copy-executions-aborted'].sort(),
    );
    const json = synthStack(stack);
    const step = fnNamed(json, 'ebs-event-hub-copy-step');
    expect(step.depends_on).toEqual([
      expect.stringMatching(/^aws_cloudwatch_log_group\.snapshot-copy_step-log-group_/),
      expect.stringMatching(/^aws_iam_role_policy\.snapshot-copy_step-role_policy-ebs-event-hub-copy-step_/),
      expect.stringMatching(/^aws_dynamodb_table\.snapshot-copy_slots-table_/),
      expect.stringMatching(/^aws_dynamodb_table\.snapshot-copy_ledger-table_/),
    ]);
    expect(machineNamed(json, 'ebs-event-hub-snapshot-copy').depends_on).toEqual([
      expect.stringMatching(/^aws_lambda_function\.snapshot-copy_step-function_/),
      expect.stringMatching(/^aws_iam_role_policy\.snapshot-copy_copy-states-role_policy-ebs-event-hub-snapshot-copy-states_/),
    ]);
    expect(resourcesOf(json, CloudwatchMetricAlarm.tfResourceType).map((a) => a.alarm_name).sort()).toEqual(
      ['ebs-event-hub-snapshot-copy-executions-aborted', 'ebs-event-hub-snapshot-copy-executions-failed', 'ebs-event-hub-snapshot-copy-executions-timed-out'],
    );
    // Each copy execution alarm says how to start the executions again.
    for (const alarm of resourcesOf(json, CloudwatchMetricAlarm.tfResourceType)) expect(alarm.alarm_description).toMatch(/start them again with npm run copies -- retry$/);
    expect(Object.keys(workflow.rolePolicies)).toEqual(['ebs-event-hub-copy-step', 'ebs-event-hub-snapshot-copy-states']);
    expect(workflow.machine.arn).toBe(ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'));
  });

  it.each([
    [{ maxInFlightCopies: 0 }, 'SnapshotCopyWorkflow: maxInFlightCopies 0 is not a whole number from 1 to 20'],
    [{ maxInFlightCopies: 21 }, 'SnapshotCopyWorkflow: maxInFlightCopies 21 is not a whole number from 1 to 20'],
    [{ maxInFlightCopies: 2.5 }, 'SnapshotCopyWorkflow: maxInFlightCopies 2.5 is not a whole number from 1 to 20'],
    [{ retentionDays: 0 }, 'SnapshotCopyWorkflow: retentionDays 0 is not a whole number from 1 to 36500'],
    [{ retentionDays: 36_501 }, 'SnapshotCopyWorkflow: retentionDays 36501 is not a whole number from 1 to 36500'],
    [{ memberRoleName: 'has space' }, 'SnapshotCopyWorkflow: memberRoleName "has space" is not an IAM role name'],
    [{ memberAccountIds: ['222222222222', '12345'] }, 'SnapshotCopyWorkflow: memberAccountIds "12345" is not a 12-digit AWS account ID'],
    [{ organizationId: undefined, memberAccountIds: [] }, 'SnapshotCopyWorkflow: memberAccountIds is empty and organizationId is not set: give the member accounts, or the organization'],
    [{ accountId: 'central' }, 'SnapshotCopyWorkflow: accountId "central" is not a 12-digit AWS account ID'],
  ] as const)('GIVEN %j WHEN built THEN it names the prop, the value and what is allowed, and builds nothing', (over, message) => {
    const { scope } = unitScope();
    expect(() => new SnapshotCopyWorkflow(scope, props(over as Partial<SnapshotCopyWorkflowProps>))).toThrowError(message);
    expect(idsIn(scope)).toEqual([]);
  });

  it('GIVEN no organization but member accounts WHEN built THEN it is accepted (the accounts are listed)', () => {
    const { scope } = unitScope();
    const workflow = new SnapshotCopyWorkflow(scope, props({ organizationId: undefined }));
    expect(statement(workflow.step.policy, 'AssumeMemberCopyRole').Resource).toEqual(['arn:aws:iam::222222222222:role/ebs-event-hub-snapshot-copy']);
  });
});
