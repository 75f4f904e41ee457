import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { DLQ_RETENTION_SECONDS } from '../dead-letter-queue';
import { snapshotCopyTriggerPattern } from '../event-patterns';
import { COPY_FUNCTION_NAME, COPY_FUNCTION_ROLE_NAME, logGroupArn, PREFIX, queueArn, roleArn, ruleArn } from '../names';
import { policyDocument, renderPolicy, serviceTrustPolicy, type PolicyDocument, type Statement } from '../policy';
import { RoleWithPolicies } from '../role-with-policies';
import { RuleWithTarget } from '../rule-with-target';
import { copyPermissionStatements, type CopyPermissionsProps } from '../snapshot-copy-permissions';
import { AlertAlarm, queueNotEmpty } from './alert-alarm';

export const COPY_RULE_NAME = `${PREFIX}-snapshot-copy`;
export const COPY_QUEUE_NAME = `${PREFIX}-snapshot-copy`;
export const COPY_DLQ_NAME = `${PREFIX}-snapshot-copy-dlq`;
export const copyLogGroupName = `/aws/lambda/${COPY_FUNCTION_NAME}`;

/**
 * Function timeout. A batch is up to 5 events of three EC2 calls each, usually a second in all;
 * under EC2 throttling the SDK backs off (up to 5 attempts a call), and a batch must still finish.
 */
export const COPY_FUNCTION_TIMEOUT_SECONDS = 120;
/**
 * AWS: visibility timeout at least 6x the function timeout for SQS event sources.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export const COPY_QUEUE_VISIBILITY_SECONDS = 6 * COPY_FUNCTION_TIMEOUT_SECONDS;
/**
 * Receives before a message goes to the copy DLQ. `ResourceLimitExceeded` (20 concurrent copies
 * per destination region) sends a message back to the queue; ten visibility timeouts are about two
 * hours of retries before a person has to look.
 */
export const COPY_MAX_RECEIVE_COUNT = 10;
export const COPY_BATCH_SIZE = 5;

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
  /** Member accounts (named in the role policy when there is no organization id). */
  readonly memberAccountIds: readonly string[];
  /**
   * Copy permissions in the central account itself, when it is also a member (its own snapshots
   * are copied with the function's credentials).
   * @default - none: the function copies only through member roles
   */
  readonly ownAccountCopy?: CopyPermissionsProps;
  readonly maxConcurrency: number;
  readonly logRetentionDays: number;
  readonly kmsKeyArn: string;
  readonly alertTopicArn: string;
  readonly deadLetterQueueArn: string;
}

/** Only the copy rule may send to the copy queue. */
export function copyQueuePolicy(props: Pick<SnapshotCopyProps, 'accountId' | 'region' | 'busName'>): PolicyDocument {
  return policyDocument('resource', [
    {
      Sid: 'CopyRuleSendsEvents',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArn(props.region, props.accountId, COPY_QUEUE_NAME),
      Condition: { ArnEquals: { 'aws:SourceArn': ruleArn(props.region, props.accountId, COPY_RULE_NAME, props.busName) } },
    },
  ]);
}

/**
 * The function may read its queue, write its own log group, and assume the member role by name
 * only (in the organization, or in the listed accounts); plus copy rights in its own account when
 * the central account is also a member.
 */
export function copyFunctionPolicy(props: Omit<SnapshotCopyProps, 'bundle'>): PolicyDocument {
  const statements: Statement[] = [
    {
      Sid: 'ConsumeCopyQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
      Resource: queueArn(props.region, props.accountId, COPY_QUEUE_NAME),
    },
    {
      Sid: 'WriteOwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${logGroupArn(props.region, props.accountId, copyLogGroupName)}:*`,
    },
    props.organizationId
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
        },
  ];
  if (props.ownAccountCopy) statements.push(...copyPermissionStatements(props.ownAccountCopy));
  return policyDocument('identity', statements);
}

/** The function's environment: the handler contract (see handlers/snapshot-copy/README.md). */
export function copyFunctionEnvironment(props: Pick<SnapshotCopyProps, 'destinationRegion' | 'regionMap' | 'kmsKeyId' | 'copyTag' | 'memberRoleName'>): Record<string, string> {
  return {
    DESTINATION_REGION: props.destinationRegion,
    MEMBER_ROLE_NAME: props.memberRoleName,
    ...(props.regionMap && Object.keys(props.regionMap).length > 0 ? { REGION_MAP: JSON.stringify(props.regionMap) } : {}),
    ...(props.kmsKeyId ? { KMS_KEY_ID: props.kmsKeyId } : {}),
    ...(props.copyTag ? { COPY_TAG: props.copyTag } : {}),
    POWERTOOLS_SERVICE_NAME: 'snapshot-copy',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
}

/**
 * The snapshot-copy path in the central account:
 * copy rule on the central bus -> SQS copy queue -> Lambda (event source mapping, partial batch
 * failures, bounded concurrency) -> after repeated failures, the copy DLQ; alarms to the alert topic.
 *
 * The queue absorbs bursts: EC2 allows 20 concurrent copies per account and destination region,
 * and a message refused for that reason comes back after its visibility timeout.
 */
export class SnapshotCopy extends Construct {
  readonly function: LambdaFunction;
  readonly role: RoleWithPolicies;
  readonly queue: SqsQueue;
  readonly rolePolicy: PolicyDocument;
  readonly queuePolicy: PolicyDocument;

  constructor(scope: Construct, id: string, props: SnapshotCopyProps) {
    super(scope, id);
    const { region, accountId } = props;
    this.rolePolicy = copyFunctionPolicy(props);
    this.queuePolicy = copyQueuePolicy(props);

    const dlq = new SqsQueue(this, 'dlq', {
      name: COPY_DLQ_NAME,
      region,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      // Only the copy queue may dead-letter here.
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [queueArn(region, accountId, COPY_QUEUE_NAME)] }),
    });
    this.queue = new SqsQueue(this, 'queue', {
      name: COPY_QUEUE_NAME,
      region,
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: COPY_QUEUE_VISIBILITY_SECONDS,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn(region, accountId, COPY_DLQ_NAME), maxReceiveCount: COPY_MAX_RECEIVE_COUNT }),
      policy: renderPolicy(this.queuePolicy),
      dependsOn: [dlq],
    });

    new RuleWithTarget(this, 'rule', {
      ruleName: COPY_RULE_NAME,
      description: 'Completed snapshots (createSnapshot, createSnapshots) to the snapshot-copy queue',
      region,
      eventBusName: props.eventBusName ?? props.busName,
      pattern: snapshotCopyTriggerPattern(),
      targetArn: queueArn(region, accountId, COPY_QUEUE_NAME),
      deadLetterQueueArn: props.deadLetterQueueArn,
      targetDependsOn: [this.queue], // the queue and its inline policy admitting the rule
    });

    const logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: copyLogGroupName,
      region,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });

    this.role = new RoleWithPolicies(this, 'role', {
      roleName: COPY_FUNCTION_ROLE_NAME,
      description: 'Snapshot-copy function: reads its queue, writes its log group, assumes the member copy role',
      trustPolicy: serviceTrustPolicy('lambda.amazonaws.com', accountId),
      policies: { 'snapshot-copy': this.rolePolicy },
      sizeHint: 'Without organizationId the policy lists the member copy role of every account: set organizationId to admit them with one statement',
    });

    const code = new TerraformAsset(this, 'code', { path: props.bundle.zipFile, type: AssetType.FILE });
    this.function = new LambdaFunction(this, 'function', {
      functionName: COPY_FUNCTION_NAME,
      description: 'Copies completed EBS snapshots to the DR region, once, with their tags',
      region,
      role: this.role.role.arn,
      runtime: 'nodejs24.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      filename: code.path,
      sourceCodeHash: props.bundle.sha256,
      memorySize: 256,
      timeout: COPY_FUNCTION_TIMEOUT_SECONDS,
      environment: { variables: copyFunctionEnvironment(props) },
      dependsOn: [logGroup],
    });

    new LambdaEventSourceMapping(this, 'queue-source', {
      region,
      eventSourceArn: this.queue.arn,
      functionName: this.function.arn,
      batchSize: COPY_BATCH_SIZE,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: props.maxConcurrency },
      // Lambda checks the execution role can receive from the queue when the mapping is created
      // (InvalidParameterValueException otherwise: aws/aws-cdk#6770, hashicorp/terraform-provider-aws#14042).
      dependsOn: [...this.role.policies],
    });

    new AlertAlarm(this, 'dlq-alarm', {
      alarmName: `${PREFIX}-snapshot-copy-dlq-not-empty`,
      description: 'Snapshot-copy events that failed 10 times: inspect and redrive the copy DLQ',
      region,
      metric: queueNotEmpty(dlq.name),
      topicArn: props.alertTopicArn,
      notifyOnOk: true,
    });
    new AlertAlarm(this, 'errors-alarm', {
      alarmName: `${PREFIX}-snapshot-copy-errors`,
      description: 'The snapshot-copy function failed (an invocation error, not a failed record)',
      region,
      metric: { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: this.function.functionName }, statistic: 'Sum', threshold: 0 },
      topicArn: props.alertTopicArn,
    });
    new AlertAlarm(this, 'age-alarm', {
      alarmName: `${PREFIX}-snapshot-copy-backlog-age`,
      description: 'Snapshot-copy events waited over an hour: copies are throttled by the EC2 quota or failing',
      region,
      metric: {
        namespace: 'AWS/SQS',
        metricName: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: this.queue.name },
        statistic: 'Maximum',
        threshold: 3600,
        evaluationPeriods: 3,
      },
      topicArn: props.alertTopicArn,
    });
  }
}
