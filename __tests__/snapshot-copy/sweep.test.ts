import { Testing } from 'cdktf';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../../config/load';
import type { OrgConfigInput } from '../../config/schema';
import { CentralStack } from '../../stacks/central-stack';
import { SnapshotCopySweep, type SnapshotCopySweepProps } from '../../stacks/central/snapshot-copy-sweep';
import { SWEEP_PAGE_SIZE, SWEEP_STATES, SWEEP_STOP_AFTER_SECONDS } from '../../stacks/central/sweep-workflow';
import { fakeBundle } from '../support/bundle';
import { manyMembers, ORG_ID, rawConfig } from '../support/config';
import { VAULT_ACCOUNT, VAULT_WITH_KMS_KEY_ID } from '../support/vault-configs';
import { inlinePoliciesOf, parsed, refTo, resourcesOf, synthStack, theResource, type StackJson } from '../support/synth';
import { ARN, CENTRAL_TARGET_DLQ, CODE, envOf, fnNamed, idsIn, invokedFunctions, machineNamed, statement, synthAll, UNIT, unitScope, WITH_RETENTION } from './support';

describe('snapshot copy sweep, in the central stack', () => {
  // GIVEN an org with snapshotCopy and retention; WHEN synthesized
  const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));
  const CENTRAL_DLQ_REF = () => refTo(central, SqsQueue.tfResourceType, 'arn', (q) => q.name === 'ebs-event-hub-central-target-dlq');

  it('starts the sweep once a day with one target, through a role allowed only that; the definition names no account and no region, only the sweep function', () => {
    const rule = theResource(central, CloudwatchEventRule.tfResourceType, (r) => r.name === 'ebs-event-hub-copy-sweep');
    expect(rule).toMatchObject({ schedule_expression: 'rate(1 day)', event_bus_name: 'default' });
    const targets = resourcesOf(central, CloudwatchEventTarget.tfResourceType).filter((t) => String(t.rule).includes('sweep-rule'));
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ target_id: 'sweep', input: '{}', dead_letter_config: { arn: CENTRAL_DLQ_REF() } });
    const definition = machineNamed(central, 'ebs-event-hub-copy-sweep').definition as string;
    for (const account of ['222222222222', '333333333333']) expect(definition).not.toContain(account);
    expect(definition).not.toContain('eu-central-1');
    const states = parsed<{ States: Record<string, { Parameters?: { Payload?: unknown } }> }>(definition).States;
    expect(states[SWEEP_STATES.page]!.Parameters!.Payload).toEqual({ 'executionStartTime.$': '$$.Execution.StartTime', 'state.$': '$.task.data', pageSize: SWEEP_PAGE_SIZE, stopAfterSeconds: SWEEP_STOP_AFTER_SECONDS });
    expect(invokedFunctions(parsed(definition))).toEqual([ARN('lambda', 'function:ebs-event-hub-copy-sweep')]);
    const policy = inlinePoliciesOf(central, 'ebs-event-hub-copy-sweep-events')['ebs-event-hub-copy-sweep-events']!;
    expect(policy.Statement).toEqual([{ Sid: 'StartSweepExecutions', Effect: 'Allow', Action: 'states:StartExecution', Resource: ARN('states', 'stateMachine:ebs-event-hub-copy-sweep') }]);
  });

  it('tells the function which copies expire (member copies only), and grants it the member role, the ledger index, no vault', () => {
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-sweep'))).toMatchObject({ SWEEP_KINDS: 'member-copy', MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy', LEDGER_TABLE_NAME: 'ebs-event-hub-copy-ledger' });
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-sweep'))).not.toHaveProperty('VAULT_ACCOUNT_ID');
    const sweep = inlinePoliciesOf(central, 'ebs-event-hub-copy-sweep')['ebs-event-hub-copy-sweep']!;
    expect(sweep.Statement.map((s) => s.Sid)).toEqual(['AssumeMemberCopyRole', 'WriteOwnLogGroup', 'FindExpiredCopies', 'ForgetDeletedCopies']);
  });
});

describe('the sweep with vault retention', () => {
  const withVaultRetention = (copy: Record<string, unknown>): OrgConfigInput => ({
    ...VAULT_WITH_KMS_KEY_ID,
    snapshotCopy: { ...(VAULT_WITH_KMS_KEY_ID.snapshotCopy as object), ...copy } as never,
  });

  it('GIVEN vault.retentionDays without snapshotCopy.retentionDays THEN the sweep is deployed for vault copies only: the vault role, never a member role', () => {
    const { central } = synthAll(withVaultRetention({ retentionDays: undefined, vault: { accountId: VAULT_ACCOUNT, lock: { mode: 'governance', days: 30 }, retentionDays: 60 } }));
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-sweep'))).toMatchObject({ SWEEP_KINDS: 'vault-copy', VAULT_ACCOUNT_ID: VAULT_ACCOUNT, VAULT_ROLE_NAME: 'ebs-event-hub-vault-copy' });
    const policy = inlinePoliciesOf(central, 'ebs-event-hub-copy-sweep')['ebs-event-hub-copy-sweep']!;
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['WriteOwnLogGroup', 'FindExpiredCopies', 'ForgetDeletedCopies', 'AssumeVaultRole']);
    expect(statement(policy, 'AssumeVaultRole')).toMatchObject({ Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${VAULT_ACCOUNT}:role/ebs-event-hub-vault-copy` });
    expect(resourcesOf(central, CloudwatchEventRule.tfResourceType).map((r) => r.name)).toContain('ebs-event-hub-copy-sweep');
  });

  it('GIVEN both retentions THEN member copies are swept first, then vault copies', () => {
    const { central } = synthAll(withVaultRetention({ retentionDays: 60, vault: { accountId: VAULT_ACCOUNT, retentionDays: 90 } }));
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-sweep'))).toMatchObject({ SWEEP_KINDS: 'member-copy,vault-copy', VAULT_ACCOUNT_ID: VAULT_ACCOUNT });
  });

  it('GIVEN a vault without retention and no retentionDays THEN nothing expires and no sweep is deployed', () => {
    const { central } = synthAll(withVaultRetention({ retentionDays: undefined }));
    expect(resourcesOf(central, CloudwatchEventRule.tfResourceType).map((r) => r.name)).not.toContain('ebs-event-hub-copy-sweep');
  });
});

describe('the central stack does not grow with the member count because of the sweep', () => {
  /** The central stack alone (no member stacks), for an org of `n` members in two regions with retention. */
  const central = (n: number): StackJson =>
    synthStack(
      new CentralStack(Testing.app(), {
        config: parseOrgConfig(rawConfig({ organizationId: ORG_ID, members: manyMembers(n, ['eu-west-1', 'us-east-1']), snapshotCopy: WITH_RETENTION })),
        snapshotCopyBundle: fakeBundle(),
      }),
    );
  /** Every resource the sweep unit builds (ids `sweep-…`), and the ledger table it reads, by address. */
  const sweepResources = (stack: StackJson) =>
    Object.fromEntries(
      Object.entries(stack.json.resource ?? {}).flatMap(([type, byName]) =>
        Object.entries(byName)
          .filter(([name]) => /^snapshot-copy_(sweep-|ledger-table)/.test(name))
          .map(([name, body]) => [`${type}.${name}`, body]),
      ),
    );

  it('GIVEN 10 and then 2,500 member accounts with retention (5,000 account × destination pairs: over the 4,755 the chunked sweep refused) THEN the sweep resources are the same, byte for byte', () => {
    const small = sweepResources(central(10));
    const large = sweepResources(central(2500));
    expect(Object.keys(small).length).toBeGreaterThanOrEqual(14);
    expect(Object.keys(small).some((a) => a.startsWith('aws_sfn_state_machine.'))).toBe(true);
    expect(JSON.stringify(large)).toBe(JSON.stringify(small));
  });
});

describe('SnapshotCopySweep on its own', () => {
  const props = (over: Partial<SnapshotCopySweepProps> = {}): SnapshotCopySweepProps => ({
    ...UNIT,
    code: CODE,
    organizationId: ORG_ID,
    memberRoleName: 'ebs-event-hub-snapshot-copy',
    memberAccountIds: ['222222222222'],
    memberRetention: true,
    deadLetterQueueArn: CENTRAL_TARGET_DLQ,
    // The workflow unit builds the ledger table; here a dependable standing for it.
    ledgerTable: { fqn: 'aws_dynamodb_table.snapshot-copy_ledger-table' },
    ...over,
  });

  it('GIVEN retention WHEN built THEN it adds its documented ids, one schedule target ordered after the events role policy', () => {
    const { stack, scope } = unitScope();
    const sweep = new SnapshotCopySweep(scope, props());
    expect(idsIn(scope)).toEqual(
      [
        'sweep-log-group', 'sweep-role', 'sweep-function',
        'sweep-states-role', 'sweep-states-log-group', 'sweep-state-machine', 'sweep-executions-failed', 'sweep-executions-timed-out', 'sweep-executions-aborted',
        'sweep-events-role', 'sweep-rule', 'sweep-target',
      ].sort(),
    );
    const json = synthStack(stack);
    const [target, ...others] = resourcesOf(json, CloudwatchEventTarget.tfResourceType);
    expect(others).toEqual([]);
    expect(target!.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.snapshot-copy_sweep-events-role_policy-/)]);
    expect(target!.dead_letter_config).toEqual({ arn: CENTRAL_TARGET_DLQ });
    expect(resourcesOf(json, CloudwatchMetricAlarm.tfResourceType)).toHaveLength(3);
    expect(Object.keys(sweep.rolePolicies)).toEqual(['ebs-event-hub-copy-sweep', 'ebs-event-hub-copy-sweep-states', 'ebs-event-hub-copy-sweep-events']);
  });

  it.each([
    [{ memberRetention: false }, 'SnapshotCopySweep: nothing expires (memberRetention is false and vault.retentionDays is not set)'],
    [{ memberRetention: false, vault: { accountId: '999999999999', keepMemberCopy: true } }, 'SnapshotCopySweep: nothing expires'],
    [{ vault: { accountId: '99', keepMemberCopy: true, retentionDays: 30 } }, 'SnapshotCopySweep: vault.accountId "99" is not a 12-digit AWS account ID'],
    [{ memberRoleName: '' }, 'SnapshotCopySweep: memberRoleName "" is not an IAM role name'],
    [{ organizationId: undefined, memberAccountIds: [] }, 'SnapshotCopySweep: memberAccountIds is empty and organizationId is not set'],
    [{ region: 'EU-WEST-1' }, 'SnapshotCopySweep: region "EU-WEST-1" is not a commercial AWS region'],
  ] as const)('GIVEN %j WHEN built THEN it names the prop, the value and what is allowed, and builds nothing', (over, message) => {
    const { scope } = unitScope();
    expect(() => new SnapshotCopySweep(scope, props(over as Partial<SnapshotCopySweepProps>))).toThrowError(message);
    expect(idsIn(scope)).toEqual([]);
  });
});
