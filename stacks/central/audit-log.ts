import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogResourcePolicy } from '@cdktf/provider-aws/lib/cloudwatch-log-resource-policy';
import { centralIntakePattern } from '../event-patterns';
import { logGroupArn, PREFIX } from '../names';
import { policyDocument, renderPolicy, type PolicyDocument } from '../policy/policy';
import { assertPolicyFits } from '../policy/policy-limits';
import { RuleWithTarget } from '../rule-with-target';

export interface AuditLogProps {
  readonly accountId: string;
  readonly region: string;
  /** Bus name, literal: the log group's name and the policies are derived from it. */
  readonly busName: string;
  /**
   * The bus, by reference (`bus.name`), so the audit rule is created after it.
   * @default - `busName` as a literal: only for a bus that already exists
   */
  readonly eventBusName?: string;
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly retentionInDays: number;
  readonly kmsKeyArn: string;
  readonly deadLetterQueueArn: string;
}

/** EventBridge log targets need a log group named `/aws/events/…`. */
export const auditLogGroupName = (busName: string): string => `/aws/events/${busName}/audit`;

/**
 * EventBridge may write only to the audit log group. The console adds such a policy silently; the
 * API does not. AWS's documented policy for a log target (both principals, both actions, no
 * condition): https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions
 * Two statements: `aws:SourceArn` (the audit rule) applies only to `logs:PutLogEvents`, not to
 * `logs:CreateLogStream` (AWS sample, https://github.com/aws-samples/serverless-patterns/pull/618:
 * "The conditional ARN for the Rule only applies to logs:PutLogEvents"). With the condition on
 * both, the target cannot create its stream and every event goes to the dead-letter queue.
 */
export function auditLogResourcePolicy(props: Pick<AuditLogProps, 'accountId' | 'region' | 'busName' | 'ruleArn'>): PolicyDocument {
  const streams = `${logGroupArn(props.region, props.accountId, auditLogGroupName(props.busName))}:*`;
  const principal = { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] };
  return policyDocument('resource', [
    { Sid: 'EventBridgeCreatesAuditLogStreams', Effect: 'Allow', Principal: principal, Action: 'logs:CreateLogStream', Resource: streams },
    {
      Sid: 'AuditRuleWritesAuditLog',
      Effect: 'Allow',
      Principal: principal,
      Action: 'logs:PutLogEvents',
      Resource: streams,
      Condition: { ArnEquals: { 'aws:SourceArn': props.ruleArn } },
    },
  ]);
}

/**
 * Every forwarded event, written to a CloudWatch log group with retention: who snapshotted,
 * copied or failed what, where, searchable with Logs Insights.
 *
 * One log resource policy (an account has at most 10 per region), named for this app.
 */
export class AuditLog extends Construct {
  readonly logGroup: CloudwatchLogGroup;
  readonly resourcePolicy: PolicyDocument;

  constructor(scope: Construct, id: string, props: AuditLogProps) {
    super(scope, id);
    this.resourcePolicy = auditLogResourcePolicy(props);
    assertPolicyFits('logResourcePolicy', this.resourcePolicy, `log resource policy ${PREFIX}-audit-log`);
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: auditLogGroupName(props.busName),
      region: props.region,
      retentionInDays: props.retentionInDays,
      kmsKeyId: props.kmsKeyArn,
    });
    const policy = new CloudwatchLogResourcePolicy(this, 'resource-policy', {
      policyName: `${PREFIX}-audit-log`,
      region: props.region,
      policyDocument: renderPolicy(this.resourcePolicy),
    });
    new RuleWithTarget(this, 'rule', {
      ruleName: props.ruleName,
      description: 'Every EC2/EBS event forwarded from the organization, to the audit log',
      region: props.region,
      eventBusName: props.eventBusName ?? props.busName,
      pattern: centralIntakePattern(),
      targetArn: logGroupArn(props.region, props.accountId, auditLogGroupName(props.busName)),
      deadLetterQueueArn: props.deadLetterQueueArn,
      // The target only after the log group and the resource policy that lets EventBridge write it.
      targetDependsOn: [this.logGroup, policy],
    });
  }
}
