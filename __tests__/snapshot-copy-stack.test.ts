/**
 * The snapshot-copy path as the central and member stacks deploy it: what spans its units (the
 * functions' environments, the alarm inventory, the roles, with and without retention, the
 * central account as a member) and the member side. Each unit's own tests are in
 * `__tests__/snapshot-copy/` (intake, workflow, sweep, execution alert, the shared parts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../config/load';
import { loadStartConfig, loadStepConfig, loadSweepConfig } from '../handlers/snapshot-copy/config';
import { buildApp } from '../stacks/app';
import { HandlerBundleMissingError } from '../stacks/central-stack';
import { SnapshotCopy, type SnapshotCopyProps } from '../stacks/central/snapshot-copy';
import { snapshotCopyRoleTrustPolicy } from '../stacks/member/snapshot-copy-role';
import { CENTRAL_COPY_ROLE_NAMES } from '../stacks/names';
import type { PolicyDocument } from '../stacks/policy/policy';
import { copyResultForwardingPattern, forwardingPattern } from '../stacks/event-patterns';
import { fakeBundle } from './support/bundle';
import { BUS_NAME, CENTRAL_ACCOUNT, CENTRAL_REGION, ORG_ID, rawConfig } from './support/config';
import { inlinePoliciesOf, parsed, resourcesOf, synthStack, theResource, type StackJson } from './support/synth';
import { ARN, COPY, envOf, fnNamed, statement, synthAll, WITH_RETENTION } from './snapshot-copy/support';

describe('snapshot copy, central stack', () => {
  // GIVEN an org with snapshotCopy and retention; WHEN synthesized
  const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));

  it('names each entry point\'s environment from config (COPY-CONTRACT.md)', () => {
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-start'))).toEqual({
      STATE_MACHINE_ARN: ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'),
      COPY_QUEUE_ARN: ARN('sqs', 'ebs-event-hub-snapshot-copy'),
      DESTINATION_REGION: 'eu-central-1',
      REGION_MAP: JSON.stringify({ 'eu-central-1': 'eu-west-1' }),
      // The members' regions whose destination is elsewhere (rawConfig: eu-west-1, us-east-1 → eu-central-1).
      SOURCE_REGIONS: 'eu-west-1,us-east-1',
      POWERTOOLS_SERVICE_NAME: 'snapshot-copy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-step'))).toEqual({
      MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
      STATE_MACHINE_ARN: ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'),
      KMS_KEY_ID: 'alias/ebs-dr',
      COPY_TAG: 'dr=true',
      MAX_IN_FLIGHT_COPIES: '12',
      SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots',
      LEDGER_TABLE_NAME: 'ebs-event-hub-copy-ledger',
      RETENTION_DAYS: '30',
      POWERTOOLS_SERVICE_NAME: 'snapshot-copy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(envOf(fnNamed(central, 'ebs-event-hub-copy-sweep'))).toEqual({
      MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
      LEDGER_TABLE_NAME: 'ebs-event-hub-copy-ledger',
      SWEEP_KINDS: 'member-copy',
      POWERTOOLS_SERVICE_NAME: 'snapshot-copy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('GIVEN the synthesized environments WHEN each entry point loads its config THEN it accepts them, with the configured values', () => {
    const region = { AWS_REGION: CENTRAL_REGION };
    expect(loadStartConfig({ ...envOf(fnNamed(central, 'ebs-event-hub-copy-start')), ...region })).toMatchObject({
      stateMachineArn: ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'),
      copyQueueArn: ARN('sqs', 'ebs-event-hub-snapshot-copy'),
      destinationRegion: 'eu-central-1',
      sourceRegions: new Set(['eu-west-1', 'us-east-1']),
    });
    expect(loadStepConfig({ ...envOf(fnNamed(central, 'ebs-event-hub-copy-step')), ...region })).toMatchObject({ maxInFlightCopies: 12, retentionDays: 30, kmsKeyId: 'alias/ebs-dr', slotsTableName: 'ebs-event-hub-copy-slots', stateMachineArn: ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy') });
    expect(loadSweepConfig({ ...envOf(fnNamed(central, 'ebs-event-hub-copy-sweep')), ...region })).toMatchObject({ memberRoleName: 'ebs-event-hub-snapshot-copy', kinds: ['member-copy'] });
  });

  it('omits the optional variables that are not configured, and MAX_IN_FLIGHT_COPIES defaults to 15', () => {
    const { central: bare } = synthAll(rawConfig({ snapshotCopy: { destinationRegion: 'us-east-1' } }));
    expect(Object.keys(envOf(fnNamed(bare, 'ebs-event-hub-copy-start'))).sort()).toEqual(['COPY_QUEUE_ARN', 'DESTINATION_REGION', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME', 'SOURCE_REGIONS', 'STATE_MACHINE_ARN']);
    // us-east-1 is its own destination: only eu-west-1 is copied from.
    expect(envOf(fnNamed(bare, 'ebs-event-hub-copy-start')).SOURCE_REGIONS).toBe('eu-west-1');
    expect(envOf(fnNamed(bare, 'ebs-event-hub-copy-step'))).toEqual({
      MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
      STATE_MACHINE_ARN: ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'),
      MAX_IN_FLIGHT_COPIES: '15',
      SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots',
      LEDGER_TABLE_NAME: 'ebs-event-hub-copy-ledger',
      POWERTOOLS_SERVICE_NAME: 'snapshot-copy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
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
    // Age alarms (issue 12 item 10): the copy DLQ (dead letters expiring) and the copy queue (nothing
    // receives). Not a quota backlog: the copy queue only starts executions, which do the waiting.
    expect(alarms.filter((a) => a.metric_name === 'ApproximateAgeOfOldestMessage').map((a) => a.alarm_name).sort()).toEqual([
      'ebs-event-hub-central-target-dlq-messages-expiring',
      'ebs-event-hub-snapshot-copy-dlq-messages-expiring',
      'ebs-event-hub-snapshot-copy-queue-stalled',
    ]);
    // Every alarm on a queue's messages keeps its state when SQS stops reporting an idle queue.
    for (const alarm of alarms.filter((a) => a.namespace === 'AWS/SQS')) expect(alarm.treat_missing_data, String(alarm.alarm_name)).toBe('ignore');
    for (const alarm of alarms.filter((a) => a.namespace !== 'AWS/SQS')) expect(alarm.treat_missing_data, String(alarm.alarm_name)).toBe('notBreaching');
    for (const alarm of alarms) expect(alarm.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\./)]);
  });

  it('creates exactly the central roles CENTRAL_COPY_ROLE_NAMES lists (what a member role name must not collide with)', () => {
    const copyRoles = resourcesOf(central, IamRole.tfResourceType).map((r) => String(r.name)).filter((n) => n.includes('copy'));
    expect(copyRoles.sort()).toEqual([...CENTRAL_COPY_ROLE_NAMES].sort());
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
    expect(inlinePoliciesOf(central, 'ebs-event-hub-copy-step')['ebs-event-hub-copy-step']!.Statement.map((s) => s.Sid)).toEqual([
      'AssumeMemberCopyRole',
      'WriteOwnLogGroup',
      'UseCopySlots',
      'ReadCopySlotHolders',
      'RecordCopies',
      'FindRecordedCopies',
    ]);
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
    sourceRegions: ['eu-west-1'],
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

  it('GIVEN retention of member copies, of vault copies, or of neither WHEN constructed THEN the sweep is built only when copies expire, and lists no account', () => {
    const vault = { accountId: '999999999999', keepMemberCopy: true };
    expect(build({ retentionDays: 30 })().sweep?.sweep.roleName).toBe('ebs-event-hub-copy-sweep');
    expect(build({ vault: { ...vault, retentionDays: 30 } })().sweep?.sweep.roleName).toBe('ebs-event-hub-copy-sweep');
    expect(build({})().sweep).toBeUndefined();
    expect(build({ vault })().sweep).toBeUndefined();
  });

  it('GIVEN no trusted role WHEN the member trust policy is built THEN it refuses (a role nobody may assume is a mistake)', () => {
    expect(() => snapshotCopyRoleTrustPolicy([])).toThrowError('trustedRoleArns is empty');
  });

  it('GIVEN trusted roles of two accounts, or something that is not a role ARN WHEN the member trust policy is built THEN it refuses, naming them', () => {
    expect(() => snapshotCopyRoleTrustPolicy(['arn:aws:iam::111111111111:role/a', 'arn:aws:iam::999999999999:role/b'])).toThrowError(
      'snapshotCopyRoleTrustPolicy: trustedRoleArns ["arn:aws:iam::111111111111:role/a","arn:aws:iam::999999999999:role/b"] are roles of 2 accounts; they must all be the central account\'s',
    );
    expect(() => snapshotCopyRoleTrustPolicy(['arn:aws:iam::111111111111:user/a'])).toThrowError(
      'snapshotCopyRoleTrustPolicy: trustedRoleArns "arn:aws:iam::111111111111:user/a" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    );
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

  it('forwards only copy results and its alarm from a destination region the member does not list; everything from a listed one', () => {
    const patternIn = (stack: StackJson, region: string) => parsed(theResource(stack, CloudwatchEventRule.tfResourceType, (r) => r.region === region).event_pattern);
    expect(patternIn(members[0]!, 'eu-central-1')).toEqual(copyResultForwardingPattern());
    expect(patternIn(members[0]!, 'eu-west-1')).toEqual(forwardingPattern());
    // A listed region that is also a destination (eu-central-1 -> eu-west-1) stays listed.
    const { members: both } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION, members: [{ accountId: '222222222222', regions: ['eu-west-1', 'eu-central-1'] }] }));
    expect(patternIn(both[0]!, 'eu-central-1')).toEqual(forwardingPattern());
    expect(patternIn(both[0]!, 'eu-west-1')).toEqual(forwardingPattern());
  });

  it('creates the copy role trusted only by the central step and sweep roles, by aws:PrincipalArn under the central account (survives their recreation)', () => {
    // Issue 12 item 6: not role principals (IAM stores their unique ids), the account with the role ARNs as a condition.
    expect(parsed<PolicyDocument>(copyRole(members[0]!).assume_role_policy).Statement).toEqual([
      {
        Sid: 'CentralCopyFunctionsAssume',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${CENTRAL_ACCOUNT}:root` },
        Action: 'sts:AssumeRole',
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': [`arn:aws:iam::${CENTRAL_ACCOUNT}:role/ebs-event-hub-copy-step`, `arn:aws:iam::${CENTRAL_ACCOUNT}:role/ebs-event-hub-copy-sweep`] },
        },
      },
    ]);
  });

  it('allows the source keys through EC2 of both the source and the destination region (which one EBS uses is not documented)', () => {
    // member 222222222222: sources eu-west-1, us-east-1; destination eu-central-1
    const policy = inlinePoliciesOf(members[0]!, 'ebs-event-hub-snapshot-copy')['copy-snapshots']!;
    const endpoints = ['ec2.eu-central-1.amazonaws.com', 'ec2.eu-west-1.amazonaws.com', 'ec2.us-east-1.amazonaws.com'];
    for (const sid of ['UseSourceSnapshotKeysThroughEc2', 'GrantSourceSnapshotKeysToEc2']) {
      expect(statement(policy, sid)).toMatchObject({
        Resource: ['arn:aws:kms:eu-west-1:222222222222:key/*', 'arn:aws:kms:us-east-1:222222222222:key/*'],
        Condition: { StringEquals: { 'kms:ViaService': endpoints } },
      });
    }
    expect(statement(policy, 'UseSourceSnapshotKeysThroughEc2').Action).toContain('kms:DescribeKey');
  });

  it('with kmsKeyId, may also describe (only) the destination region\'s other keys through EC2 there: the default EBS key', () => {
    const policy = inlinePoliciesOf(members[0]!, 'ebs-event-hub-snapshot-copy')['copy-snapshots']!;
    expect(statement(policy, 'DescribeDestinationKeysThroughEc2')).toEqual({
      Sid: 'DescribeDestinationKeysThroughEc2',
      Effect: 'Allow',
      Action: 'kms:DescribeKey',
      Resource: ['arn:aws:kms:eu-central-1:222222222222:key/*'],
      Condition: { StringEquals: { 'kms:ViaService': ['ec2.eu-central-1.amazonaws.com'] } },
    });
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
    // Those statements already cover kms:DescribeKey on every key there.
    expect(policy.Statement.map((s) => s.Sid)).not.toContain('DescribeDestinationKeysThroughEc2');
  });

  it('creates no copy role for a member whose every region maps onto itself, and forwards only its own regions', () => {
    const { members: selfOnly } = synthAll(rawConfig({ snapshotCopy: { destinationRegion: 'eu-west-1' } }));
    // member 333333333333 lives only in eu-west-1, the destination
    expect(resourcesOf(selfOnly[1]!, IamRole.tfResourceType).map((r) => r.name)).toEqual(['ebs-event-hub-forwarder']);
    expect(forwardRegions(selfOnly[1]!)).toEqual(['eu-west-1']);
  });
});
