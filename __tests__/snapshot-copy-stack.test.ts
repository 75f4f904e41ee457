import { Testing } from 'cdktf';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../config/load';
import type { OrgConfigInput } from '../config/schema';
import { buildApp } from '../stacks/app';
import { HandlerBundleMissingError } from '../stacks/central-stack';
import { snapshotCopyTriggerPattern } from '../stacks/event-patterns';
import type { PolicyDocument, Statement } from '../stacks/policy';
import { fakeBundle } from './support/bundle';
import { BUS_NAME, CENTRAL_ACCOUNT, CENTRAL_REGION, ORG_ID, rawConfig } from './support/config';
import { inlinePoliciesOf, parsed, refTo, resourcesOf, synthStack, theResource, type StackJson } from './support/synth';

const COPY = { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1' }, kmsKeyId: 'alias/ebs-dr', copyTag: 'dr=true' } as const;

function synthAll(raw: OrgConfigInput, bundle = fakeBundle()) {
  const built = buildApp({ config: parseOrgConfig(raw), outdir: Testing.app().outdir, snapshotCopyBundle: bundle });
  return { built, central: synthStack(built.central), members: built.members.map((m) => synthStack(m)) };
}

const statement = (doc: PolicyDocument, sid: string): Statement => {
  const found = doc.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${JSON.stringify(doc)}`);
  return found;
};

describe('snapshot copy, central stack', () => {
  // GIVEN an org with snapshotCopy; WHEN synthesized
  const bundle = fakeBundle();
  const { central } = synthAll(rawConfig({ snapshotCopy: COPY }), bundle);
  const fn = theResource(central, LambdaFunction.tfResourceType);

  it('routes completed snapshots from the central bus to the encrypted copy queue, with retry and DLQ', () => {
    const rule = theResource(central, CloudwatchEventRule.tfResourceType, (r) => r.name === 'ebs-event-hub-snapshot-copy');
    expect(rule.event_bus_name).toBe(refTo(central, CloudwatchEventBus.tfResourceType, 'name'));
    expect(parsed(rule.event_pattern)).toEqual(snapshotCopyTriggerPattern());
    const target = theResource(central, CloudwatchEventTarget.tfResourceType, (t) => String(t.arn).endsWith(':ebs-event-hub-snapshot-copy'));
    expect(target.arn).toBe(`arn:aws:sqs:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:ebs-event-hub-snapshot-copy`);
    expect(target.dead_letter_config).toEqual({ arn: refTo(central, SqsQueue.tfResourceType, 'arn', (q) => q.name === 'ebs-event-hub-central-target-dlq') });
    const centralDlqPolicy = parsed<PolicyDocument>(theResource(central, SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-central-target-dlq').policy);
    expect(centralDlqPolicy.Statement[0]!.Condition!.ArnEquals!['aws:SourceArn']).toContain(
      `arn:aws:events:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:rule/${BUS_NAME}/ebs-event-hub-snapshot-copy`,
    );
  });

  it('gives the copy queue SSE, a visibility timeout of 6x the function timeout and a redrive to the copy DLQ after 10 receives', () => {
    const queue = theResource(central, SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-snapshot-copy');
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(queue.visibility_timeout_seconds).toBe(6 * (fn.timeout as number));
    expect(parsed(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: `arn:aws:sqs:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:ebs-event-hub-snapshot-copy-dlq`,
      maxReceiveCount: 10,
    });
    const dlq = theResource(central, SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-snapshot-copy-dlq');
    expect(dlq).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
    expect(parsed(dlq.redrive_allow_policy)).toEqual({
      redrivePermission: 'byQueue',
      sourceQueueArns: [`arn:aws:sqs:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:ebs-event-hub-snapshot-copy`],
    });
  });

  it('lets only the copy rule send to the copy queue', () => {
    const policy = parsed<PolicyDocument>(theResource(central, SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-snapshot-copy').policy);
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:events:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:rule/${BUS_NAME}/ebs-event-hub-snapshot-copy` } },
      }),
    ]);
  });

  it('runs the bundle on nodejs24.x arm64, with the bundle content hash as source_code_hash', () => {
    expect(fn).toMatchObject({ runtime: 'nodejs24.x', architectures: ['arm64'], handler: 'index.handler', function_name: 'ebs-event-hub-snapshot-copy' });
    expect(fn.source_code_hash).toBe(bundle.sha256);
    expect(String(fn.filename)).toMatch(/assets\/.*\.zip$/);
  });

  it('keeps source_code_hash stable across synths of the same bundle, and changes it with the content', () => {
    const again = synthAll(rawConfig({ snapshotCopy: COPY }), bundle).central;
    expect(theResource(again, LambdaFunction.tfResourceType).source_code_hash).toBe(fn.source_code_hash);
    const changed = synthAll(rawConfig({ snapshotCopy: COPY }), fakeBundle('exports.handler = async () => 1;\n')).central;
    expect(theResource(changed, LambdaFunction.tfResourceType).source_code_hash).not.toBe(fn.source_code_hash);
  });

  it('names the handler environment from config', () => {
    expect((fn.environment as { variables: Record<string, string> }).variables).toEqual({
      DESTINATION_REGION: 'eu-central-1',
      REGION_MAP: JSON.stringify({ 'eu-central-1': 'eu-west-1' }),
      KMS_KEY_ID: 'alias/ebs-dr',
      COPY_TAG: 'dr=true',
      MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
      POWERTOOLS_SERVICE_NAME: 'snapshot-copy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('omits the optional environment variables that are not configured', () => {
    const { central: bare } = synthAll(rawConfig({ snapshotCopy: { destinationRegion: 'us-east-1' } }));
    const vars = (theResource(bare, LambdaFunction.tfResourceType).environment as { variables: Record<string, string> }).variables;
    expect(Object.keys(vars).sort()).toEqual(['DESTINATION_REGION', 'MEMBER_ROLE_NAME', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME']);
  });

  it('consumes the queue in small batches with partial batch failures and the configured maximum concurrency', () => {
    expect(theResource(central, LambdaEventSourceMapping.tfResourceType)).toMatchObject({
      batch_size: 5,
      function_response_types: ['ReportBatchItemFailures'],
      scaling_config: { maximum_concurrency: 5 },
    });
    const { central: tuned } = synthAll(rawConfig({ snapshotCopy: { ...COPY, maxConcurrency: 12 } }));
    expect(theResource(tuned, LambdaEventSourceMapping.tfResourceType).scaling_config).toEqual({ maximum_concurrency: 12 });
  });

  it('creates the function log group itself, with retention and the central key', () => {
    const group = theResource(central, CloudwatchLogGroup.tfResourceType, (g) => g.name === '/aws/lambda/ebs-event-hub-snapshot-copy');
    expect(group.retention_in_days).toBe(90);
    expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
  });

  it('alarms to the alert topic on copy DLQ not empty, function errors and old messages', () => {
    const alarms = resourcesOf(central, CloudwatchMetricAlarm.tfResourceType);
    const byName = (n: string) => alarms.find((a) => a.alarm_name === n);
    expect(byName('ebs-event-hub-snapshot-copy-dlq-not-empty')).toMatchObject({ metric_name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: refTo(central, SqsQueue.tfResourceType, 'name', (q) => q.name === 'ebs-event-hub-snapshot-copy-dlq') } });
    expect(byName('ebs-event-hub-snapshot-copy-errors')).toMatchObject({ namespace: 'AWS/Lambda', metric_name: 'Errors', dimensions: { FunctionName: refTo(central, LambdaFunction.tfResourceType, 'function_name') } });
    expect(byName('ebs-event-hub-snapshot-copy-backlog-age')).toMatchObject({ metric_name: 'ApproximateAgeOfOldestMessage', dimensions: { QueueName: refTo(central, SqsQueue.tfResourceType, 'name', (q) => q.name === 'ebs-event-hub-snapshot-copy') } });
    for (const name of ['ebs-event-hub-snapshot-copy-dlq-not-empty', 'ebs-event-hub-snapshot-copy-errors', 'ebs-event-hub-snapshot-copy-backlog-age']) {
      expect(byName(name)!.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\./)]);
    }
  });

  it('lets the function role assume only the member role name, within the organization', () => {
    const policy = inlinePoliciesOf(central, 'ebs-event-hub-snapshot-copy-function')['snapshot-copy']!;
    expect(statement(policy, 'AssumeMemberCopyRole')).toEqual({
      Sid: 'AssumeMemberCopyRole',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: 'arn:aws:iam::*:role/ebs-event-hub-snapshot-copy',
      Condition: { StringEquals: { 'aws:ResourceOrgID': ORG_ID } },
    });
    expect(statement(policy, 'WriteOwnLogGroup').Resource).toBe(
      `arn:aws:logs:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:log-group:/aws/lambda/ebs-event-hub-snapshot-copy:*`,
    );
    // The central account is not a member here: no EC2 rights of its own.
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['ConsumeCopyQueue', 'WriteOwnLogGroup', 'AssumeMemberCopyRole']);
  });

  it('without organizationId, lists the member role ARNs instead', () => {
    const { organizationId: _o, ...raw } = rawConfig({ snapshotCopy: COPY });
    const policy = inlinePoliciesOf(synthAll(raw).central, 'ebs-event-hub-snapshot-copy-function')['snapshot-copy']!;
    expect(statement(policy, 'AssumeMemberCopyRole').Resource).toEqual([
      'arn:aws:iam::222222222222:role/ebs-event-hub-snapshot-copy',
      'arn:aws:iam::333333333333:role/ebs-event-hub-snapshot-copy',
    ]);
  });

  it('grants the function copy rights in its own account when the central account is also a member', () => {
    const raw = rawConfig({ snapshotCopy: COPY, members: [...rawConfig().members, { accountId: CENTRAL_ACCOUNT, regions: ['eu-west-1'] }] });
    const policy = inlinePoliciesOf(synthAll(raw).central, 'ebs-event-hub-snapshot-copy-function')['snapshot-copy']!;
    expect(statement(policy, 'CopySnapshotsToDestinationRegions').Resource).toEqual(['arn:aws:ec2:eu-central-1::snapshot/*', 'arn:aws:ec2:eu-west-1::snapshot/*']);
  });

  it('refuses to build without the handler bundle when snapshotCopy is set', () => {
    expect(() => buildApp({ config: parseOrgConfig(rawConfig({ snapshotCopy: COPY })), outdir: Testing.app().outdir })).toThrowError(HandlerBundleMissingError);
  });

  it('deploys no copy path without snapshotCopy', () => {
    const built = buildApp({ config: parseOrgConfig(rawConfig()), outdir: Testing.app().outdir });
    const stack = synthStack(built.central);
    expect(resourcesOf(stack, LambdaFunction.tfResourceType)).toHaveLength(0);
    expect(resourcesOf(synthStack(built.members[0]!), IamRole.tfResourceType).map((r) => r.name)).toEqual(['ebs-event-hub-forwarder']);
  });
});

describe('snapshot copy, member stack', () => {
  const { members } = synthAll(rawConfig({ snapshotCopy: COPY }));
  const copyRole = (stack: StackJson) => theResource(stack, IamRole.tfResourceType, (r) => r.name === 'ebs-event-hub-snapshot-copy');

  it('creates the copy role trusted only by the central function role', () => {
    expect(parsed<PolicyDocument>(copyRole(members[0]!).assume_role_policy).Statement).toEqual([
      {
        Sid: 'CentralCopyFunctionAssumes',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${CENTRAL_ACCOUNT}:role/ebs-event-hub-snapshot-copy-function` },
        Action: 'sts:AssumeRole',
      },
    ]);
  });

  it('scopes copy and tag rights to the member\'s source and destination regions, tags only on CopySnapshot', () => {
    // member 222222222222: eu-west-1 -> eu-central-1, us-east-1 -> eu-central-1
    const policy = inlinePoliciesOf(members[0]!, 'ebs-event-hub-snapshot-copy')['copy-snapshots']!;
    expect(statement(policy, 'DescribeSnapshots')).toMatchObject({ Action: 'ec2:DescribeSnapshots', Resource: '*' });
    expect(statement(policy, 'CopySnapshotsToDestinationRegions').Resource).toEqual([
      'arn:aws:ec2:eu-central-1::snapshot/*',
      'arn:aws:ec2:eu-west-1::snapshot/*',
      'arn:aws:ec2:us-east-1::snapshot/*',
    ]);
    expect(statement(policy, 'TagCopiesWhenCreated')).toEqual({
      Sid: 'TagCopiesWhenCreated',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ['arn:aws:ec2:eu-central-1::snapshot/*'],
      Condition: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
    });
  });

  it('allows the destination key by alias, through EC2 in the destination region only', () => {
    const policy = inlinePoliciesOf(members[0]!, 'ebs-event-hub-snapshot-copy')['copy-snapshots']!;
    expect(statement(policy, 'EncryptCopiesUnderDestinationKey')).toMatchObject({
      Resource: ['arn:aws:kms:eu-central-1:222222222222:key/*'],
      Condition: {
        StringEquals: { 'kms:ViaService': ['ec2.eu-central-1.amazonaws.com'] },
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/ebs-dr'] },
      },
    });
  });

  it('omits the destination-key statement when no kmsKeyId is configured', () => {
    const { members: plain } = synthAll(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } }));
    const policy = inlinePoliciesOf(plain[0]!, 'ebs-event-hub-snapshot-copy')['copy-snapshots']!;
    expect(policy.Statement.map((s) => s.Sid)).not.toContain('EncryptCopiesUnderDestinationKey');
  });

  it('creates no copy role for a member whose every region maps onto itself', () => {
    const { members: selfOnly } = synthAll(rawConfig({ snapshotCopy: { destinationRegion: 'eu-west-1' } }));
    // member 333333333333 lives only in eu-west-1, the destination
    expect(resourcesOf(selfOnly[1]!, IamRole.tfResourceType).map((r) => r.name)).toEqual(['ebs-event-hub-forwarder']);
  });
});
