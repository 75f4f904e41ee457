import { AssetType, TerraformAsset, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { EC2_MAX_CONCURRENT_SNAPSHOT_COPIES } from '../../config/schema';
import { DLQ_RETENTION_SECONDS } from '../dead-letter-queue';
import { snapshotCopyTriggerPattern, type EventPattern } from '../event-patterns';
import {
  COPY_START_FUNCTION_NAME,
  COPY_STATE_MACHINE_NAME,
  COPY_STEP_FUNCTION_NAME,
  COPY_SWEEP_FUNCTION_NAME,
  COPY_SWEEP_STATE_MACHINE_NAME,
  lambdaArn,
  logGroupArn,
  PREFIX,
  queueArn,
  roleArn,
  ruleArn,
  stateMachineArn,
} from '../names';
import { LOG_DELIVERY_ACTIONS, policyDocument, renderPolicy, serviceTrustPolicy, type PolicyDocument, type Statement } from '../policy/policy';
import { RoleWithPolicies } from '../policy/role-with-policies';
import { RuleWithTarget, TARGET_RETRY } from '../rule-with-target';
import { copyPermissionStatements, sweepPermissionStatements, type CopyPermissionsProps } from '../policy/snapshot-copy-permissions';
import { AlertAlarm, queueNotEmpty, type AlarmMetric } from './alert-alarm';
import { copyWorkflowDefinition, STEP_NAMES } from './copy-workflow';
import { sweepChunks, sweepWorkflowDefinition, type SweepTarget } from './sweep-workflow';

export const COPY_RULE_NAME = `${PREFIX}-snapshot-copy`;
export const COPY_QUEUE_NAME = `${PREFIX}-snapshot-copy`;
export const COPY_DLQ_NAME = `${PREFIX}-snapshot-copy-dlq`;
/** Rule on the central account's default bus: copy (and sweep) executions that failed, timed out or were aborted → alert topic. */
export const COPY_EXECUTION_ALERT_RULE_NAME = `${PREFIX}-copy-execution-failed`;
/**
 * The copy-slots table: the DynamoDB semaphore that makes `maxInFlightCopies` strict (one item per
 * account and destination region; handlers/snapshot-copy/slots.ts).
 */
export const COPY_SLOTS_TABLE_NAME = `${PREFIX}-copy-slots`;
export const copySlotsTableArn = (p: { readonly region: string; readonly accountId: string }): string => `arn:aws:dynamodb:${p.region}:${p.accountId}:table/${COPY_SLOTS_TABLE_NAME}`;
/** Scheduled rule on the central account's default bus that starts the retention sweep. */
export const COPY_SWEEP_RULE_NAME = `${PREFIX}-copy-sweep`;
/** The sweep runs once a day: expiry is a date, and a day late costs one day of storage. */
export const COPY_SWEEP_SCHEDULE = 'rate(1 day)';

/** Log groups: Lambda writes to `/aws/lambda/<name>`; state machines' vended logs under `/aws/vendedlogs/`. */
export const functionLogGroupName = (functionName: string): string => `/aws/lambda/${functionName}`;
/**
 * `/aws/vendedlogs/` keeps the CloudWatch Logs resource policy Step Functions creates from growing
 * per log group (its 5,120-character limit): https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 */
export const stateMachineLogGroupName = (name: string): string => `/aws/vendedlogs/states/${name}`;

/** Every log group of the copy path (the hub key's policy must admit them: exported for it). */
export function copyLogGroupNames(props: { readonly retention: boolean }): string[] {
  return [
    functionLogGroupName(COPY_START_FUNCTION_NAME),
    functionLogGroupName(COPY_STEP_FUNCTION_NAME),
    stateMachineLogGroupName(COPY_STATE_MACHINE_NAME),
    ...(props.retention ? [functionLogGroupName(COPY_SWEEP_FUNCTION_NAME), stateMachineLogGroupName(COPY_SWEEP_STATE_MACHINE_NAME)] : []),
  ];
}

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
 * Concurrent starter invocations (the event source mapping's minimum is 2). Fixed, not
 * configurable (`snapshotCopy.maxConcurrency` is gone): how many copies run is decided inside
 * the executions (`maxInFlightCopies`), and 5 × 10 starts per second or two is far below Step
 * Functions' StartExecution quota.
 */
export const COPY_START_MAX_CONCURRENCY = 5;
/** One workflow step: a few EC2 calls, throttling retried by the SDK inside it. */
export const COPY_STEP_TIMEOUT_SECONDS = 120;
/** One account and region: describe this app's copies and delete the expired ones. */
export const COPY_SWEEP_TIMEOUT_SECONDS = 900;

/** The built handler (`npm run build`): its deployment zip and the SHA-256 of its code. */
export interface HandlerBundle {
  /** `dist/snapshot-copy.zip`: `index.js` at the root, deterministic bytes. */
  readonly zipFile: string;
  /**
   * Base64 SHA-256 of the bundle's content, `index.js` (not of a zip: cdktf's own zips carry
   * timestamps, so their hash would change every synth and every plan would redeploy the function).
   */
  readonly sha256: string;
}

export interface SnapshotCopyProps {
  readonly accountId: string;
  readonly region: string;
  /** The central bus's name (literal: the ARNs in policies are built from it). */
  readonly busName: string;
  /** The bus, by reference (`bus.name`): the copy rule is created after it. @default - `busName` */
  readonly eventBusName?: string;
  readonly organizationId?: string;
  readonly bundle: HandlerBundle;
  readonly destinationRegion: string;
  readonly regionMap?: Readonly<Record<string, string>>;
  readonly kmsKeyId?: string;
  readonly copyTag?: string;
  /** Role assumed in each member account. */
  readonly memberRoleName: string;
  /** Member accounts (named in the role policies when there is no organization id). */
  readonly memberAccountIds: readonly string[];
  /**
   * Copy permissions in the central account itself, when it is also a member (its own snapshots
   * are copied and swept with the functions' own credentials).
   * @default - none: the functions act only through member roles
   */
  readonly ownAccountCopy?: CopyPermissionsProps;
  /** `snapshotCopy.maxInFlightCopies` (1 to `EC2_MAX_CONCURRENT_SNAPSHOT_COPIES`). */
  readonly maxInFlightCopies: number;
  /**
   * `snapshotCopy.retentionDays`: copies expire and the sweep deletes them.
   * @default - none: copies are kept, no sweep is deployed
   */
  readonly retentionDays?: number;
  /**
   * Every member account × destination region the sweep visits (required with `retentionDays`).
   * @default - none
   */
  readonly sweepTargets?: readonly SweepTarget[];
  /** Role that deploys the central stack: the documented exception of the copy queue's policy (redrive). */
  readonly deploymentRoleName: string;
  readonly logRetentionDays: number;
  readonly kmsKeyArn: string;
  readonly alertTopicArn: string;
  readonly deadLetterQueueArn: string;
}

type Scope = Pick<SnapshotCopyProps, 'accountId' | 'region'>;
const copyQueueArn = (p: Scope): string => queueArn(p.region, p.accountId, COPY_QUEUE_NAME);
export const copyRuleArn = (p: Scope & Pick<SnapshotCopyProps, 'busName'>): string => ruleArn(p.region, p.accountId, COPY_RULE_NAME, p.busName);
export const copyStateMachineArn = (p: Scope): string => stateMachineArn(p.region, p.accountId, COPY_STATE_MACHINE_NAME);
export const sweepStateMachineArn = (p: Scope): string => stateMachineArn(p.region, p.accountId, COPY_SWEEP_STATE_MACHINE_NAME);

/**
 * ARN of the rule on the central account's DEFAULT bus that sends failed, timed-out and aborted
 * copy/sweep executions to the alert topic: the alert topic's policy must admit it (rules on the
 * default bus have no bus name in their ARN: `arn:aws:events:R:A:rule/NAME`).
 */
export const copyExecutionAlertRuleArn = (p: Scope): string => ruleArn(p.region, p.accountId, COPY_EXECUTION_ALERT_RULE_NAME);
/** ARN of the scheduled sweep rule (default bus): the central target DLQ admits it. */
export const copySweepRuleArn = (p: Scope): string => ruleArn(p.region, p.accountId, COPY_SWEEP_RULE_NAME);
/** The copy path's rules whose targets dead-letter to the central target DLQ. */
export const copyRuleArns = (p: Scope & Pick<SnapshotCopyProps, 'busName'> & { readonly retention: boolean }): string[] => [
  copyRuleArn(p),
  copyExecutionAlertRuleArn(p),
  ...(p.retention ? [copySweepRuleArn(p)] : []),
];

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
export function copyQueuePolicy(props: Scope & Pick<SnapshotCopyProps, 'busName' | 'deploymentRoleName'>): PolicyDocument {
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

const writeOwnLogGroup = (p: Scope, functionName: string): Statement => ({
  Sid: 'WriteOwnLogGroup',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: `${logGroupArn(p.region, p.accountId, functionLogGroupName(functionName))}:*`,
});

/** Assume the member role by name only: in the organization, or in the listed accounts. */
function assumeMemberRole(props: Pick<SnapshotCopyProps, 'organizationId' | 'memberRoleName' | 'memberAccountIds'>): Statement {
  return props.organizationId
    ? {
        Sid: 'AssumeMemberCopyRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: roleArn('*', props.memberRoleName),
        Condition: { StringEquals: { 'aws:ResourceOrgID': props.organizationId } },
      }
    : {
        Sid: 'AssumeMemberCopyRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [...new Set(props.memberAccountIds)].sort().map((a) => roleArn(a, props.memberRoleName)),
      };
}

/** The starter reads its queue and starts executions of the copy state machine; nothing else. */
export function startFunctionPolicy(props: Scope): PolicyDocument {
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

/**
 * The step function assumes the member role (and copies in its own account when it is a member),
 * and takes, holds and releases copy slots: UpdateItem (conditional) on the slots table only. It
 * reads items only through UpdateItem's ReturnValuesOnConditionCheckFailure, which needs no
 * dynamodb:GetItem (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html).
 */
export function stepFunctionPolicy(props: Scope & Pick<SnapshotCopyProps, 'organizationId' | 'memberRoleName' | 'memberAccountIds' | 'ownAccountCopy'>): PolicyDocument {
  return policyDocument('identity', [
    assumeMemberRole(props),
    writeOwnLogGroup(props, COPY_STEP_FUNCTION_NAME),
    { Sid: 'UseCopySlots', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: copySlotsTableArn(props) },
    ...(props.ownAccountCopy ? copyPermissionStatements(props.ownAccountCopy) : []),
  ]);
}

/** The sweep function assumes the member role (and sweeps its own account when it is a member). */
export function sweepFunctionPolicy(props: Scope & Pick<SnapshotCopyProps, 'organizationId' | 'memberRoleName' | 'memberAccountIds' | 'ownAccountCopy'>): PolicyDocument {
  return policyDocument('identity', [
    assumeMemberRole(props),
    writeOwnLogGroup(props, COPY_SWEEP_FUNCTION_NAME),
    ...(props.ownAccountCopy ? sweepPermissionStatements(props.ownAccountCopy) : []),
  ]);
}

/** A state machine's role: invoke exactly one function (unqualified ARN, as its definition names it), and deliver its logs. */
export function stateMachinePolicy(functionArn: string): PolicyDocument {
  return policyDocument('identity', [
    { Sid: 'InvokeTaskFunction', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArn },
    { Sid: 'DeliverExecutionLogs', Effect: 'Allow', Action: [...LOG_DELIVERY_ACTIONS], Resource: '*' },
  ]);
}

/** The environment of each entry point (COPY-CONTRACT.md, "Environment variables"). */
export function copyFunctionEnvironments(
  props: Scope & Pick<SnapshotCopyProps, 'destinationRegion' | 'regionMap' | 'kmsKeyId' | 'copyTag' | 'memberRoleName' | 'maxInFlightCopies' | 'retentionDays'>,
): Record<'start' | 'step' | 'sweep', Record<string, string>> {
  const powertools = { POWERTOOLS_SERVICE_NAME: 'snapshot-copy', POWERTOOLS_LOG_LEVEL: 'INFO' };
  return {
    start: {
      STATE_MACHINE_ARN: copyStateMachineArn(props),
      COPY_QUEUE_ARN: copyQueueArn(props),
      DESTINATION_REGION: props.destinationRegion,
      ...(props.regionMap && Object.keys(props.regionMap).length > 0 ? { REGION_MAP: JSON.stringify(props.regionMap) } : {}),
      ...powertools,
    },
    step: {
      MEMBER_ROLE_NAME: props.memberRoleName,
      ...(props.kmsKeyId ? { KMS_KEY_ID: props.kmsKeyId } : {}),
      ...(props.copyTag ? { COPY_TAG: props.copyTag } : {}),
      MAX_IN_FLIGHT_COPIES: String(props.maxInFlightCopies),
      SLOTS_TABLE_NAME: COPY_SLOTS_TABLE_NAME,
      ...(props.retentionDays !== undefined ? { RETENTION_DAYS: String(props.retentionDays) } : {}),
      ...powertools,
    },
    sweep: { MEMBER_ROLE_NAME: props.memberRoleName, ...powertools },
  };
}

/**
 * Step Functions' execution status events for the copy path's state machines that ended badly.
 * They arrive on the default bus of the state machine's account and region.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
export function executionFailedPattern(stateMachineArns: readonly string[]): EventPattern {
  return {
    source: ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [...stateMachineArns] },
  };
}

/**
 * The alert message: a JSON object template, so EventBridge quotes each value (a `cause` with
 * quotes or newlines stays valid JSON; a missing field becomes null).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
export const EXECUTION_ALERT_INPUT = {
  inputPaths: {
    execution: '$.detail.name',
    status: '$.detail.status',
    error: '$.detail.error',
    cause: '$.detail.cause',
    executionArn: '$.detail.executionArn',
    stateMachineArn: '$.detail.stateMachineArn',
  },
  inputTemplate:
    '{"alert": "ebs-event-hub snapshot-copy execution ended badly", "execution": <execution>, "status": <status>, "error": <error>, "cause": <cause>, "executionArn": <executionArn>, "stateMachineArn": <stateMachineArn>}',
} as const;

/**
 * A Step Functions execution metric of one state machine: execution metrics carry the
 * `StateMachineArn` dimension.
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
 */
const executionMetric = (metricName: string, arn: string): AlarmMetric => ({
  namespace: 'AWS/States',
  metricName,
  dimensions: { StateMachineArn: arn },
  statistic: 'Sum',
  threshold: 0,
});

interface FunctionSpec {
  readonly name: string;
  readonly handler: string;
  readonly description: string;
  readonly timeout: number;
  readonly policy: PolicyDocument;
  readonly environment: Record<string, string>;
  /** Advice when the role's policy exceeds IAM's size quota. */
  readonly sizeHint?: string;
  /** Resources its environment names by literal ARN (created first). */
  readonly after?: readonly ITerraformDependable[];
}

/**
 * The snapshot-copy path in the central account (COPY-CONTRACT.md):
 * copy rule (central bus) → SQS copy queue (SSE, DLQ) → `ebs-event-hub-copy-start` (event source
 * mapping, partial batch failures) → Standard state machine `ebs-event-hub-snapshot-copy`, one
 * execution per snapshot → `ebs-event-hub-copy-step` for each step. With retention, a daily rule
 * starts the sweep state machine, which invokes `ebs-event-hub-copy-sweep` per account and region.
 *
 * Failure paths: the queue's DLQ (starts that keep failing), the state machines' Retry/Catch and
 * Fail states (steps and sweeps are invoked synchronously by Step Functions: no asynchronous
 * Lambda invocation exists here, so no Lambda destinations), the central target DLQ for the rules;
 * alarms and an execution-status rule to the alert topic.
 */
export class SnapshotCopy extends Construct {
  readonly functions: Readonly<Record<'start' | 'step' | 'sweep', LambdaFunction | undefined>>;
  readonly roles: Readonly<Record<string, RoleWithPolicies>>;
  readonly queue: SqsQueue;
  readonly stateMachine: SfnStateMachine;
  readonly sweepStateMachine?: SfnStateMachine;
  readonly queuePolicy: PolicyDocument;
  readonly slotsTable: DynamodbTable;
  /** Each role's policy, by role name: what the IAM tests evaluate. */
  readonly rolePolicies: Readonly<Record<string, PolicyDocument>>;

  constructor(scope: Construct, id: string, props: SnapshotCopyProps) {
    super(scope, id);
    const { region, accountId } = props;
    const retention = props.retentionDays !== undefined;
    if (retention && (props.sweepTargets ?? []).length === 0) {
      throw new Error('SnapshotCopy: retentionDays is set but sweepTargets is empty; give every member account × destination region');
    }
    const maxCopies = EC2_MAX_CONCURRENT_SNAPSHOT_COPIES;
    if (!Number.isInteger(props.maxInFlightCopies) || props.maxInFlightCopies < 1 || props.maxInFlightCopies > maxCopies) {
      throw new Error(`SnapshotCopy: maxInFlightCopies ${props.maxInFlightCopies} is not a whole number from 1 to ${maxCopies}`);
    }
    this.queuePolicy = copyQueuePolicy(props);
    const env = copyFunctionEnvironments(props);
    const sizeHint = 'Without organizationId the policy lists the member copy role of every account: set organizationId to admit them with one statement';

    // --- queue -------------------------------------------------------------------------------
    const dlq = new SqsQueue(this, 'dlq', {
      name: COPY_DLQ_NAME,
      region,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      // Only the copy queue may dead-letter here.
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [copyQueueArn(props)] }),
    });
    this.queue = new SqsQueue(this, 'queue', {
      name: COPY_QUEUE_NAME,
      region,
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: COPY_QUEUE_VISIBILITY_SECONDS,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: COPY_MAX_RECEIVE_COUNT }),
      policy: renderPolicy(this.queuePolicy),
    });

    // The target names the queue by reference: created after the queue and its inline policy,
    // which admits the rule.
    new RuleWithTarget(this, 'rule', {
      ruleName: COPY_RULE_NAME,
      description: 'Completed snapshots (createSnapshot, createSnapshots; not replays) to the snapshot-copy queue',
      region,
      eventBusName: props.eventBusName ?? props.busName,
      pattern: snapshotCopyTriggerPattern(),
      targetArn: this.queue.arn,
      deadLetterQueueArn: props.deadLetterQueueArn,
    });

    // --- copy slots ----------------------------------------------------------------------------
    // A few items (one per account × destination region), a few writes per snapshot: on-demand
    // billing. Encrypted at rest always; with no `server_side_encryption` block under an AWS owned
    // key, which needs no key policy or grant
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html).
    // No point-in-time recovery: the slots are rebuilt from EC2 (stale holders are reconciled), so
    // losing the table loses nothing. Deletion protection off: `terraform destroy` removes the app.
    this.slotsTable = new DynamodbTable(this, 'slots-table', {
      name: COPY_SLOTS_TABLE_NAME,
      region,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'slot',
      attribute: [{ name: 'slot', type: 'S' }],
      deletionProtectionEnabled: false,
    });

    // --- functions ---------------------------------------------------------------------------
    const code = new TerraformAsset(this, 'code', { path: props.bundle.zipFile, type: AssetType.FILE });
    const roles: Record<string, RoleWithPolicies> = {};
    const rolePolicies: Record<string, PolicyDocument> = {};
    const makeFunction = (key: string, spec: FunctionSpec): LambdaFunction => {
      const logGroup = new CloudwatchLogGroup(this, `${key}-log-group`, {
        name: functionLogGroupName(spec.name),
        region,
        retentionInDays: props.logRetentionDays,
        kmsKeyId: props.kmsKeyArn,
      });
      const role = new RoleWithPolicies(this, `${key}-role`, {
        roleName: spec.name,
        description: spec.description,
        trustPolicy: serviceTrustPolicy('lambda.amazonaws.com', accountId),
        policies: { [spec.name]: spec.policy },
        ...(spec.sizeHint ? { sizeHint: spec.sizeHint } : {}),
      });
      roles[spec.name] = role;
      rolePolicies[spec.name] = spec.policy;
      return new LambdaFunction(this, `${key}-function`, {
        functionName: spec.name,
        description: spec.description,
        region,
        role: role.role.arn,
        runtime: 'nodejs24.x',
        architectures: ['arm64'],
        handler: spec.handler,
        filename: code.path,
        sourceCodeHash: props.bundle.sha256,
        memorySize: 256,
        timeout: spec.timeout,
        environment: { variables: spec.environment },
        // The log group by reference (created first, with retention and the key). `Text`: Lambda's
        // own lines stay as they were; Powertools writes its structured JSON lines itself.
        loggingConfig: { logFormat: 'Text', logGroup: logGroup.name },
        // The role's inline policies exist before the function runs with it.
        dependsOn: [logGroup, ...role.policies, ...(spec.after ?? [])],
      });
    };

    const step = makeFunction('step', {
      name: COPY_STEP_FUNCTION_NAME,
      handler: 'index.step',
      description: `Snapshot-copy workflow step (${STEP_NAMES.join(', ')}) in the snapshot's own account`,
      timeout: COPY_STEP_TIMEOUT_SECONDS,
      policy: stepFunctionPolicy(props),
      environment: env.step,
      sizeHint,
      after: [this.slotsTable],
    });

    // --- state machine -----------------------------------------------------------------------
    this.stateMachine = this.makeStateMachine('copy', {
      props,
      name: COPY_STATE_MACHINE_NAME,
      description: 'Snapshot-copy state machine: invokes only ebs-event-hub-copy-step, writes its log group',
      functionArn: lambdaArn(region, accountId, COPY_STEP_FUNCTION_NAME),
      definition: copyWorkflowDefinition({ stepFunctionArn: lambdaArn(region, accountId, COPY_STEP_FUNCTION_NAME) }),
      dependsOn: step,
      roles,
      rolePolicies,
    });

    const start = makeFunction('start', {
      name: COPY_START_FUNCTION_NAME,
      handler: 'index.start',
      description: 'Starts one snapshot-copy execution per completed snapshot from the copy queue',
      timeout: COPY_START_TIMEOUT_SECONDS,
      policy: startFunctionPolicy(props),
      environment: env.start,
      after: [this.stateMachine, this.queue],
    });
    new LambdaEventSourceMapping(this, 'queue-source', {
      region,
      eventSourceArn: this.queue.arn,
      functionName: start.arn,
      batchSize: COPY_BATCH_SIZE,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: COPY_START_MAX_CONCURRENCY },
      // Ordered through `start.arn`: the function waits for its role's policies (ReceiveMessage,
      // which the mapping polls with) and for the state machine (`after` above). Lambda also checks
      // the function timeout against the queue's visibility timeout when the mapping is created:
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    });

    let sweep: LambdaFunction | undefined;
    if (retention) {
      sweep = makeFunction('sweep', {
        name: COPY_SWEEP_FUNCTION_NAME,
        handler: 'index.sweep',
        description: 'Deletes expired snapshot copies (expiry tag) in one account and destination region',
        timeout: COPY_SWEEP_TIMEOUT_SECONDS,
        policy: sweepFunctionPolicy(props),
        environment: env.sweep,
        sizeHint,
      });
      this.sweepStateMachine = this.makeStateMachine('sweep', {
        props,
        name: COPY_SWEEP_STATE_MACHINE_NAME,
        description: 'Retention sweep state machine: invokes only ebs-event-hub-copy-sweep, writes its log group',
        functionArn: lambdaArn(region, accountId, COPY_SWEEP_FUNCTION_NAME),
        definition: sweepWorkflowDefinition({ sweepFunctionArn: lambdaArn(region, accountId, COPY_SWEEP_FUNCTION_NAME), targets: props.sweepTargets! }),
        dependsOn: sweep,
        roles,
        rolePolicies,
      });
      this.scheduleSweep(props, this.sweepStateMachine, roles, rolePolicies);
    }
    this.functions = { start, step, sweep };
    this.roles = roles;
    this.rolePolicies = rolePolicies;

    // --- alerts ------------------------------------------------------------------------------
    // Alarm dimensions by reference (`arn`, `name`): each alarm is created after what it watches.
    const machines = [
      { key: 'copy', name: COPY_STATE_MACHINE_NAME, arn: copyStateMachineArn(props), ref: this.stateMachine.arn },
      ...(this.sweepStateMachine ? [{ key: 'sweep', name: COPY_SWEEP_STATE_MACHINE_NAME, arn: sweepStateMachineArn(props), ref: this.sweepStateMachine.arn }] : []),
    ];
    for (const m of machines) {
      for (const [metric, suffix, what] of [
        ['ExecutionsFailed', 'failed', 'failed (a copy that could not be made, a sweep item that failed)'],
        ['ExecutionsTimedOut', 'timed-out', 'timed out (waited past its bound)'],
        ['ExecutionsAborted', 'aborted', 'were stopped by someone'],
      ] as const) {
        new AlertAlarm(this, `${m.key}-executions-${suffix}`, {
          alarmName: `${m.name}-executions-${suffix}`,
          description: `Executions of ${m.name} ${what}: the alert topic also carries each execution's name and cause`,
          region,
          metric: executionMetric(metric, m.ref),
          topicArn: props.alertTopicArn,
        });
      }
    }
    new AlertAlarm(this, 'dlq-alarm', {
      alarmName: `${PREFIX}-snapshot-copy-dlq-not-empty`,
      description: 'Completed snapshots whose copy execution could not be started 10 times: inspect and redrive the copy DLQ',
      region,
      metric: queueNotEmpty(dlq.name),
      topicArn: props.alertTopicArn,
      notifyOnOk: true,
    });
    // Lambda's `Errors` counts invocations that ended in a function error, by `FunctionName`:
    // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    new AlertAlarm(this, 'start-errors-alarm', {
      alarmName: `${COPY_START_FUNCTION_NAME}-errors`,
      description: 'The copy starter failed as a whole (an invocation error, not a failed record)',
      region,
      metric: { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: start.functionName }, statistic: 'Sum', threshold: 0 },
      topicArn: props.alertTopicArn,
    });

    // Every execution that ends badly, by name and cause, to the alert topic. Step Functions
    // emits these on the default bus of its own account and region.
    const alertRule = new CloudwatchEventRule(this, 'execution-alert-rule', {
      name: COPY_EXECUTION_ALERT_RULE_NAME,
      description: 'Snapshot-copy and sweep executions that failed, timed out or were aborted, to the alert topic',
      region,
      eventBusName: 'default',
      eventPattern: JSON.stringify(executionFailedPattern(machines.map((m) => m.arn))),
      state: 'ENABLED',
      // The pattern names the state machines by literal ARN.
      dependsOn: [this.stateMachine, ...(this.sweepStateMachine ? [this.sweepStateMachine] : [])],
    });
    new CloudwatchEventTarget(this, 'execution-alert-target', {
      rule: alertRule.name,
      eventBusName: alertRule.eventBusName,
      region,
      targetId: 'alert-topic',
      arn: props.alertTopicArn,
      inputTransformer: { inputPaths: { ...EXECUTION_ALERT_INPUT.inputPaths }, inputTemplate: EXECUTION_ALERT_INPUT.inputTemplate },
      retryPolicy: { ...TARGET_RETRY },
      deadLetterConfig: { arn: props.deadLetterQueueArn },
    });
  }

  private makeStateMachine(
    key: string,
    o: {
      props: SnapshotCopyProps;
      name: string;
      description: string;
      functionArn: string;
      definition: Record<string, unknown>;
      dependsOn: LambdaFunction;
      roles: Record<string, RoleWithPolicies>;
      rolePolicies: Record<string, PolicyDocument>;
    },
  ): SfnStateMachine {
    const { region, accountId } = o.props;
    const roleName = `${o.name}-states`;
    const policy = stateMachinePolicy(o.functionArn);
    const role = new RoleWithPolicies(this, `${key}-states-role`, {
      roleName,
      description: o.description,
      trustPolicy: serviceTrustPolicy('states.amazonaws.com', accountId),
      policies: { [roleName]: policy },
    });
    o.roles[roleName] = role;
    o.rolePolicies[roleName] = policy;
    const logGroup = new CloudwatchLogGroup(this, `${key}-states-log-group`, {
      name: stateMachineLogGroupName(o.name),
      region,
      retentionInDays: o.props.logRetentionDays,
      kmsKeyId: o.props.kmsKeyArn,
    });
    return new SfnStateMachine(this, `${key}-state-machine`, {
      name: o.name,
      region,
      type: 'STANDARD',
      roleArn: role.role.arn,
      // Literal JSON: the plan shows the definition as reviewed; the task function by literal ARN.
      definition: JSON.stringify(o.definition),
      loggingConfiguration: { logDestination: `${logGroup.arn}:*`, includeExecutionData: false, level: 'ERROR' },
      // The definition names the function by literal ARN, and the role's policies must exist
      // before Step Functions validates the role: explicit ordering.
      dependsOn: [o.dependsOn, ...role.policies],
    });
  }

  private scheduleSweep(props: SnapshotCopyProps, machine: SfnStateMachine, roles: Record<string, RoleWithPolicies>, rolePolicies: Record<string, PolicyDocument>): void {
    const { region, accountId } = props;
    const roleName = `${COPY_SWEEP_RULE_NAME}-events`;
    const policy = policyDocument('identity', [
      { Sid: 'StartSweepExecutions', Effect: 'Allow', Action: 'states:StartExecution', Resource: sweepStateMachineArn(props) },
    ]);
    const role = new RoleWithPolicies(this, 'sweep-events-role', {
      roleName,
      description: 'EventBridge starts the daily retention sweep',
      trustPolicy: serviceTrustPolicy('events.amazonaws.com', accountId),
      policies: { [roleName]: policy },
    });
    roles[roleName] = role;
    rolePolicies[roleName] = policy;
    const rule = new CloudwatchEventRule(this, 'sweep-rule', {
      name: COPY_SWEEP_RULE_NAME,
      description: 'Starts the retention sweep of expired snapshot copies once a day',
      region,
      eventBusName: 'default',
      scheduleExpression: COPY_SWEEP_SCHEDULE,
      state: 'ENABLED',
    });
    sweepChunks(props.sweepTargets!).forEach((_, i) => {
      new CloudwatchEventTarget(this, `sweep-target-${i}`, {
        rule: rule.name,
        eventBusName: rule.eventBusName,
        region,
        targetId: `sweep-chunk-${i}`,
        arn: machine.arn,
        roleArn: role.role.arn,
        input: JSON.stringify({ chunk: i }),
        retryPolicy: { ...TARGET_RETRY },
        deadLetterConfig: { arn: props.deadLetterQueueArn },
        dependsOn: [...role.policies],
      });
    });
  }
}
