import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { SnapshotCopySweep, type SnapshotCopySweepProps } from '../../stacks/central/snapshot-copy-sweep';
import { SWEEP_CHUNK_SIZE, SweepTooLargeError } from '../../stacks/central/sweep-workflow';
import { ORG_ID, rawConfig } from '../support/config';
import { inlinePoliciesOf, parsed, refTo, resourcesOf, synthStack, theResource } from '../support/synth';
import { ARN, CENTRAL_TARGET_DLQ, CODE, idsIn, invokedFunctions, machineNamed, synthAll, UNIT, unitScope, WITH_RETENTION } from './support';

describe('snapshot copy sweep, in the central stack', () => {
  // GIVEN an org with snapshotCopy and retention; WHEN synthesized
  const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));
  const CENTRAL_DLQ_REF = () => refTo(central, SqsQueue.tfResourceType, 'arn', (q) => q.name === 'ebs-event-hub-central-target-dlq');

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
});

describe('SnapshotCopySweep on its own', () => {
  const targets = (n: number) => Array.from({ length: n }, (_, i) => ({ account: String(200_000_000_000 + i), region: 'eu-central-1' }));
  const props = (over: Partial<SnapshotCopySweepProps> = {}): SnapshotCopySweepProps => ({
    ...UNIT,
    code: CODE,
    organizationId: ORG_ID,
    memberRoleName: 'ebs-event-hub-snapshot-copy',
    memberAccountIds: ['222222222222'],
    sweepTargets: targets(1),
    deadLetterQueueArn: CENTRAL_TARGET_DLQ,
    // The workflow unit builds the ledger table; here a dependable standing for it.
    ledgerTable: { fqn: 'aws_dynamodb_table.snapshot-copy_ledger-table' },
    ...over,
  });

  it('GIVEN more targets than one chunk holds WHEN built THEN it adds its documented ids, one schedule target per chunk, each ordered after the events role policy', () => {
    const { stack, scope } = unitScope();
    const sweep = new SnapshotCopySweep(scope, props({ sweepTargets: targets(SWEEP_CHUNK_SIZE + 1) }));
    expect(idsIn(scope)).toEqual(
      [
        'sweep-log-group', 'sweep-role', 'sweep-function',
        'sweep-states-role', 'sweep-states-log-group', 'sweep-state-machine', 'sweep-executions-failed', 'sweep-executions-timed-out', 'sweep-executions-aborted',
        'sweep-events-role', 'sweep-rule', 'sweep-target-0', 'sweep-target-1',
      ].sort(),
    );
    const json = synthStack(stack);
    const chunkTargets = resourcesOf(json, CloudwatchEventTarget.tfResourceType);
    expect(chunkTargets.map((t) => parsed(t.input))).toEqual([{ chunk: 0 }, { chunk: 1 }]);
    for (const t of chunkTargets) {
      expect(t.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.snapshot-copy_sweep-events-role_policy-/)]);
      expect(t.dead_letter_config).toEqual({ arn: CENTRAL_TARGET_DLQ });
    }
    expect(resourcesOf(json, CloudwatchMetricAlarm.tfResourceType)).toHaveLength(3);
    expect(Object.keys(sweep.rolePolicies)).toEqual(['ebs-event-hub-copy-sweep', 'ebs-event-hub-copy-sweep-states', 'ebs-event-hub-copy-sweep-events']);
  });

  it.each([
    [{ sweepTargets: [] }, 'SnapshotCopySweep: sweepTargets is empty; give every member account × destination region'],
    [{ memberRoleName: '' }, 'SnapshotCopySweep: memberRoleName "" is not an IAM role name'],
    [{ organizationId: undefined, memberAccountIds: [] }, 'SnapshotCopySweep: memberAccountIds is empty and organizationId is not set'],
    [{ region: 'EU-WEST-1' }, 'SnapshotCopySweep: region "EU-WEST-1" is not a commercial AWS region'],
  ] as const)('GIVEN %j WHEN built THEN it names the prop, the value and what is allowed, and builds nothing', (over, message) => {
    const { scope } = unitScope();
    expect(() => new SnapshotCopySweep(scope, props(over as Partial<SnapshotCopySweepProps>))).toThrowError(message);
    expect(idsIn(scope)).toEqual([]);
  });

  it('GIVEN more targets than the sweep supports WHEN built THEN it fails with the sweep size error, and builds nothing', () => {
    const { scope } = unitScope();
    expect(() => new SnapshotCopySweep(scope, props({ sweepTargets: targets(5 * SWEEP_CHUNK_SIZE + 1) }))).toThrowError(SweepTooLargeError);
    expect(idsIn(scope)).toEqual([]);
  });
});
