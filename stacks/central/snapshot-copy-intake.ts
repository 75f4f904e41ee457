import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { isAwsRegion } from '../../config/regions';
import { DLQ_RETENTION_SECONDS } from '../dead-letter-queue';
import { snapshotCopyTriggerPattern } from '../event-patterns';
import { COPY_START_FUNCTION_NAME, PREFIX, queueArn, roleArn, ruleArn } from '../names';
import { policyDocument, renderPolicy, type PolicyDocument } from '../policy/policy';
import type { RoleWithPolicies } from '../policy/role-with-policies';
import { RuleWithTarget } from '../rule-with-target';
import { AlertAlarm, DLQ_MESSAGE_EXPIRING_SECONDS, oldestMessageOlderThan, queueNotEmpty } from './alert-alarm';
import { checkRoleName, checkScope, invalidProp, policiesByName, POWERTOOLS_ENVIRONMENT, rolesByName, type CopyScope, type CopyUnitProps, type FunctionCode } from './snapshot-copy-common';
import { CopyFunction, writeOwnLogGroup } from './snapshot-copy-function';
import { copyStateMachineArn } from './snapshot-copy-workflow';

export const COPY_RULE_NAME = `${PREFIX}-snapshot-copy`;
export const COPY_QUEUE_NAME = `${PREFIX}-snapshot-copy`;
export const COPY_DLQ_NAME = `${PREFIX}-snapshot-copy-dlq`;

/** The starter: one `StartExecution` per record; a batch of 10 takes a second or two, throttled a little more. */
export const COPY_START_TIMEOUT_SECONDS = 60;
/**
 * AWS: visibility timeout at least 6x the function timeout for SQS event sources.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export const COPY_QUEUE_VISIBILITY_SECONDS = 6 * COPY_START_TIMEOUT_SECONDS;
/**
 * Receives before a message goes to the copy DLQ. The starter only starts executions (the
 * waiting for EC2's quota happens inside them), so a record that fails ten times over an hour
 * means Step Functions refuses it: a person has to look.
 */
export const COPY_MAX_RECEIVE_COUNT = 10;
export const COPY_BATCH_SIZE = 10;
/**
 * Concurrent starter invocations (the event source mapping's minimum is 2: hashicorp/aws 6.25.0
 * validates `scaling_config.maximum_concurrency` with IntAtLeast(2), lambda/func.resourceEventSourceMapping.goindex
 * in lonegunmanb/terraform-provider-aws-index@add8b630a;
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html). Fixed, not
 * configurable (`snapshotCopy.maxConcurrency` is gone): how many copies run is decided inside
 * the executions (`maxInFlightCopies`), and 5 × 10 starts per second or two is far below Step
 * Functions' StartExecution quota.
 */
export const COPY_START_MAX_CONCURRENCY = 5;
/**
 * The copy queue's oldest message age that means nothing consumes it. A record that fails is
 * received again every 360 s and, from its third receive (12 minutes), SQS leaves it out of
 * `ApproximateAgeOfOldestMessage`; 5 starters × 10 records a batch start at least ~25 executions a
 * second, so even an organization-wide burst of 40,000 snapshots drains in under half an hour. A
 * message an hour old was never received.
 */
export const COPY_QUEUE_STALLED_SECONDS = 60 * 60;

export const copyQueueArn = (p: CopyScope): string => queueArn(p.region, p.accountId, COPY_QUEUE_NAME);
export const copyRuleArn = (p: CopyScope & { readonly busName: string }): string => ruleArn(p.region, p.accountId, COPY_RULE_NAME, p.busName);

/**
 * The copy queue's policy. EventBridge may send only for the copy rule; and because any principal
 * of the central account with `sqs:*` in its identity policy could otherwise write forged events
 * to the queue or steal them from it (same-account access needs only one side to allow),
 * explicit denies (confused deputy):
 * - `sqs:SendMessage` unless the request comes from the copy rule (`aws:SourceArn`, which
 *   EventBridge sends for rule deliveries:
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions) or from the deployment role (the documented exception:
 *   redriving the copy DLQ back with `StartMessageMoveTask` sends as the caller; that role can
 *   rewrite this policy anyway);
 * - receive/delete/change-visibility/purge unless the caller is the starter's role
 *   (`aws:PrincipalArn`, present for every IAM principal; for a role session it is the role's ARN,
 *   not the session's). The starter's event source mapping polls with the function's execution
 *   role (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions),
 *   so its receives carry that role's ARN.
 * Negated operators (`ArnNotEquals`) match when the key is absent, so a role session (no
 * `aws:SourceArn`) and a service principal (no `aws:PrincipalArn`) are denied unless the other
 * condition names them. Management actions (SetQueueAttributes, GetQueueAttributes, tagging) are
 * not denied, so Terraform keeps managing the queue.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
 */
export function copyQueuePolicy(props: CopyScope & Pick<SnapshotCopyIntakeProps, 'busName' | 'deploymentRoleName'>): PolicyDocument {
  const queue = copyQueueArn(props);
  const deployer = roleArn(props.accountId, props.deploymentRoleName);
  return policyDocument('resource', [
    {
      Sid: 'CopyRuleSendsEvents',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queue,
      Condition: { ArnEquals: { 'aws:SourceArn': copyRuleArn(props) } },
    },
    {
      Sid: 'DenySendExceptCopyRule',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sqs:SendMessage',
      Resource: queue,
      Condition: { ArnNotEquals: { 'aws:SourceArn': copyRuleArn(props), 'aws:PrincipalArn': deployer } },
    },
    {
      Sid: 'DenyConsumeExceptStarter',
      Effect: 'Deny',
      Principal: '*',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:PurgeQueue'],
      Resource: queue,
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArn(props.accountId, COPY_START_FUNCTION_NAME) } },
    },
  ]);
}

/** The starter reads its queue and starts executions of the copy state machine; nothing else. */
export function startFunctionPolicy(props: CopyScope): PolicyDocument {
  return policyDocument('identity', [
    {
      Sid: 'ConsumeCopyQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
      Resource: copyQueueArn(props),
    },
    { Sid: 'StartCopyExecutions', Effect: 'Allow', Action: 'states:StartExecution', Resource: copyStateMachineArn(props) },
    writeOwnLogGroup(props, COPY_START_FUNCTION_NAME),
  ]);
}

/** The starter's environment (handlers/snapshot-copy/README.md, "Environment"). */
export function startEnvironment(props: CopyScope & Pick<SnapshotCopyIntakeProps, 'destinationRegion' | 'regionMap' | 'sourceRegions'>): Record<string, string> {
  return {
    STATE_MACHINE_ARN: copyStateMachineArn(props),
    COPY_QUEUE_ARN: copyQueueArn(props),
    DESTINATION_REGION: props.destinationRegion,
    ...(props.regionMap && Object.keys(props.regionMap).length > 0 ? { REGION_MAP: JSON.stringify(props.regionMap) } : {}),
    // A region list is small: with every commercial region here and in REGION_MAP the environment
    // stays far under Lambda's 4 KB for all variables together (a test computes it).
    SOURCE_REGIONS: [...props.sourceRegions].sort().join(','),
    ...POWERTOOLS_ENVIRONMENT,
  };
}

export interface SnapshotCopyIntakeProps extends CopyUnitProps {
  /** The central bus's name (literal: the ARNs in policies are built from it). */
  readonly busName: string;
  /** The bus, by reference (`bus.name`): the copy rule is created after it. @default - `busName` */
  readonly eventBusName?: string;
  /** `snapshotCopy.destinationRegion`: where copies go by default. */
  readonly destinationRegion: string;
  /**
   * `snapshotCopy.regionMap`: per-source-region destination.
   * @default - none: every source region copies to `destinationRegion`
   */
  readonly regionMap?: Readonly<Record<string, string>>;
  /**
   * The regions snapshots are copied from (`configuredSourceRegions`: every member region whose
   * destination is another region). The starter skips a snapshot of any other region.
   */
  readonly sourceRegions: readonly string[];
  /** Role that deploys the central stack: the documented exception of the copy queue's policy (redrive). */
  readonly deploymentRoleName: string;
  readonly code: FunctionCode;
  /** The central target DLQ: the copy rule's target dead-letters there. */
  readonly deadLetterQueueArn: string;
  /**
   * The copy state machine's resource: the starter names it by literal ARN (its environment and
   * policy), so it is created first.
   */
  readonly stateMachine: ITerraformDependable;
}

/**
 * Intake of the copy path: the copy rule on the central bus (completed snapshots, never replays)
 * → the SQS copy queue (SSE, explicit-deny policy, redrive to the copy DLQ after 10 receives) →
 * the starter `ebs-event-hub-copy-start` through an event source mapping (batches of 10, partial
 * batch failures, at most 5 at once), which starts one copy execution per snapshot. Alarms: a
 * non-empty copy DLQ, starter errors.
 *
 * Built into `scope` (the `SnapshotCopy` construct) with the ids `dlq`, `queue`, `rule`,
 * `start-log-group` / `-role` / `-function`, `queue-source`, `dlq-alarm` and `start-errors-alarm`.
 */
export class SnapshotCopyIntake {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly queuePolicy: PolicyDocument;
  readonly rule: RuleWithTarget;
  readonly start: CopyFunction;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  /** Each role by role name, and each role's policy: what the IAM tests evaluate. */
  readonly roles: Readonly<Record<string, RoleWithPolicies>>;
  readonly rolePolicies: Readonly<Record<string, PolicyDocument>>;

  constructor(scope: Construct, props: SnapshotCopyIntakeProps) {
    const unit = 'SnapshotCopyIntake';
    checkScope(unit, props);
    if (!/^[A-Za-z0-9._-]{1,256}$/.test(props.busName)) throw invalidProp(unit, 'busName', props.busName, 'is not an event bus name (1-256 characters of A-Z a-z 0-9 . _ -)');
    checkRoleName(unit, 'deploymentRoleName', props.deploymentRoleName);
    for (const [prop, region] of [['destinationRegion', props.destinationRegion], ...Object.values(props.regionMap ?? {}).map((r) => ['regionMap', r])] as const) {
      if (!isAwsRegion(region)) throw invalidProp(unit, prop, region, 'is not a commercial AWS region (config/regions.ts)');
    }
    if (props.sourceRegions.length === 0) throw invalidProp(unit, 'sourceRegions', props.sourceRegions, 'is empty: the starter would copy nothing (give every member region whose destination is another region)');
    for (const source of props.sourceRegions) {
      if (!isAwsRegion(source)) throw invalidProp(unit, 'sourceRegions', source, 'is not a commercial AWS region (config/regions.ts)');
    }
    if (new Set(props.sourceRegions).size !== props.sourceRegions.length) throw invalidProp(unit, 'sourceRegions', props.sourceRegions, 'lists a region twice');
    const { region, accountId } = props;
    this.queuePolicy = copyQueuePolicy(props);

    this.deadLetterQueue = new SqsQueue(scope, 'dlq', {
      name: COPY_DLQ_NAME,
      region,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      // Only the copy queue may dead-letter here.
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [copyQueueArn(props)] }),
    });
    this.queue = new SqsQueue(scope, 'queue', {
      name: COPY_QUEUE_NAME,
      region,
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: COPY_QUEUE_VISIBILITY_SECONDS,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount: COPY_MAX_RECEIVE_COUNT }),
      policy: renderPolicy(this.queuePolicy),
    });

    // The target names the queue by reference: created after the queue and its inline policy,
    // which admits the rule.
    this.rule = new RuleWithTarget(scope, 'rule', {
      ruleName: COPY_RULE_NAME,
      description: 'Completed snapshots (createSnapshot, createSnapshots; not replays) to the snapshot-copy queue',
      region,
      eventBusName: props.eventBusName ?? props.busName,
      pattern: snapshotCopyTriggerPattern(),
      targetArn: this.queue.arn,
      deadLetterQueueArn: props.deadLetterQueueArn,
    });

    this.start = new CopyFunction(scope, 'start', {
      accountId,
      region,
      logRetentionDays: props.logRetentionDays,
      kmsKeyArn: props.kmsKeyArn,
      code: props.code,
      functionName: COPY_START_FUNCTION_NAME,
      handler: 'index.start',
      description: 'Starts one snapshot-copy execution per completed snapshot from the copy queue',
      timeoutSeconds: COPY_START_TIMEOUT_SECONDS,
      policy: startFunctionPolicy(props),
      environment: startEnvironment(props),
      after: [props.stateMachine, this.queue],
    });
    this.eventSourceMapping = new LambdaEventSourceMapping(scope, 'queue-source', {
      region,
      eventSourceArn: this.queue.arn,
      functionName: this.start.function.arn,
      batchSize: COPY_BATCH_SIZE,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: COPY_START_MAX_CONCURRENCY },
      // Ordered through `start.arn`: the function waits for its role's policies (ReceiveMessage,
      // which the mapping polls with) and for the state machine (`after` above). Lambda also checks
      // the function timeout against the queue's visibility timeout when the mapping is created:
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    });

    new AlertAlarm(scope, 'dlq-alarm', {
      alarmName: `${PREFIX}-snapshot-copy-dlq-not-empty`,
      description: 'Completed snapshots whose copy execution could not be started 10 times: inspect and redrive the copy DLQ',
      region,
      metric: queueNotEmpty(this.deadLetterQueue.name),
      topicArn: props.alertTopicArn,
      notifyOnOk: true,
    });
    new AlertAlarm(scope, 'dlq-expiring-alarm', {
      alarmName: `${PREFIX}-snapshot-copy-dlq-messages-expiring`,
      description: 'A completed snapshot has waited 7 days in the copy DLQ without an execution; SQS deletes it 14 days after the snapshot event: redrive it now',
      region,
      metric: oldestMessageOlderThan(this.deadLetterQueue.name, DLQ_MESSAGE_EXPIRING_SECONDS),
      topicArn: props.alertTopicArn,
    });
    // What neither the DLQ nor the error alarm sees: nothing receives from the copy queue at all (the
    // event source mapping disabled or deleted, the function unable to run). Messages would wait
    // unseen and expire after 14 days without ever reaching the DLQ.
    new AlertAlarm(scope, 'queue-stalled-alarm', {
      alarmName: `${PREFIX}-snapshot-copy-queue-stalled`,
      description: `A completed snapshot has waited over ${COPY_QUEUE_STALLED_SECONDS / 60} minutes in the copy queue without being received: is the starter's event source mapping enabled?`,
      region,
      metric: oldestMessageOlderThan(this.queue.name, COPY_QUEUE_STALLED_SECONDS),
      topicArn: props.alertTopicArn,
      notifyOnOk: true,
    });
    // Lambda's `Errors` counts invocations that ended in a function error, by `FunctionName`:
    // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    new AlertAlarm(scope, 'start-errors-alarm', {
      alarmName: `${COPY_START_FUNCTION_NAME}-errors`,
      description: 'The copy starter failed as a whole (an invocation error, not a failed record)',
      region,
      metric: { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: this.start.function.functionName }, statistic: 'Sum', threshold: 0 },
      topicArn: props.alertTopicArn,
    });

    this.roles = rolesByName([this.start]);
    this.rolePolicies = policiesByName([this.start]);
  }
}
