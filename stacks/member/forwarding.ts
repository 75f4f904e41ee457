import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { queueNotEmpty, thresholdAlarm } from '../central/alert-alarm';
import { copyResultForwardingPattern, forwardingPattern, MEMBER_ALARM_PREFIX } from '../event-patterns';
import { EventDeadLetterQueue } from '../dead-letter-queue';
import { FORWARD_DLQ_NAME, FORWARD_RULE_NAME, FORWARDER_ROLE_NAME, ruleArn } from '../names';
import { policyDocument, serviceTrustPolicy, type PolicyDocument } from '../policy/policy';
import { RoleWithPolicies } from '../policy/role-with-policies';
import { RuleWithTarget } from '../rule-with-target';

export interface ForwardingProps {
  readonly accountId: string;
  /** Regions whose default bus forwards to the central bus (`members[].regions`). */
  readonly regions: readonly string[];
  /**
   * Copy destination regions the member does not list: their rule forwards only `copySnapshot`
   * results and the region's forward-DLQ alarm changes (`copyResultForwardingPattern`), never a
   * creation, so no copy starts from a region the member role has no rights in.
   * @default - none
   */
  readonly copyResultRegions?: readonly string[];
  /** The central bus, computed from config (no cross-stack reference). */
  readonly centralBusArn: string;
}

/** Alarm on each member region's forward DLQ (its state changes are forwarded to the central bus). */
export const FORWARD_DLQ_ALARM_NAME = `${MEMBER_ALARM_PREFIX}forward-dlq-not-empty`;

/** EventBridge, acting for this account's rules, may assume the forwarder role. */
export const forwarderTrustPolicy = (accountId: string): PolicyDocument => serviceTrustPolicy('events.amazonaws.com', accountId);

/** The forwarder may put events on the central bus and do nothing else. */
export function forwarderPolicy(centralBusArn: string): PolicyDocument {
  return policyDocument('identity', [
    { Sid: 'PutEventsOnCentralBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: centralBusArn },
  ]);
}

/**
 * In every listed region, a rule on the default bus (AWS service events reach only the default
 * bus) forwarding EC2/EBS events, and the state changes of the region's forward-DLQ alarm, to the
 * central bus, which may be in another region.
 *
 * A cross-account bus target needs a role since 2023-02-16:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
 * IAM is global, so one forwarder role serves all regions of the account.
 */
export class Forwarding extends Construct {
  readonly role: RoleWithPolicies;
  readonly trustPolicy: PolicyDocument;
  readonly rolePolicy: PolicyDocument;
  readonly deadLetterQueues: Readonly<Record<string, EventDeadLetterQueue>> = {};

  constructor(scope: Construct, id: string, props: ForwardingProps) {
    super(scope, id);
    if (props.regions.length === 0) throw new Error('Forwarding: regions is empty; list at least one region');
    const copyResultRegions = props.copyResultRegions ?? [];
    for (const region of copyResultRegions) {
      if (props.regions.includes(region)) {
        throw new Error(`Forwarding: copyResultRegions ${JSON.stringify(region)} is also in regions; a listed region forwards everything, list it once`);
      }
    }
    if (new Set(copyResultRegions).size !== copyResultRegions.length) {
      throw new Error(`Forwarding: copyResultRegions ${JSON.stringify(copyResultRegions)} lists a region twice`);
    }
    this.trustPolicy = forwarderTrustPolicy(props.accountId);
    this.rolePolicy = forwarderPolicy(props.centralBusArn);
    this.role = new RoleWithPolicies(this, 'role', {
      roleName: FORWARDER_ROLE_NAME,
      description: 'EventBridge forwards EC2/EBS events to the central bus',
      trustPolicy: this.trustPolicy,
      policies: { 'put-events-on-central-bus': this.rolePolicy },
    });
    const queues: Record<string, EventDeadLetterQueue> = {};
    const copyResultOnly = new Set(copyResultRegions);
    for (const region of [...props.regions, ...copyResultRegions]) {
      const dlq = new EventDeadLetterQueue(this, `dlq-${region}`, {
        name: FORWARD_DLQ_NAME,
        region,
        accountId: props.accountId,
        sourceRuleArns: [ruleArn(region, props.accountId, FORWARD_RULE_NAME)],
      });
      queues[region] = dlq;
      new RuleWithTarget(this, `forward-${region}`, {
        ruleName: FORWARD_RULE_NAME,
        description: copyResultOnly.has(region)
          ? 'Forward copySnapshot results (this region is only a copy destination) to the central bus'
          : 'Forward EC2/EBS snapshot, volume and AMI events to the central bus',
        region,
        pattern: copyResultOnly.has(region) ? copyResultForwardingPattern() : forwardingPattern(),
        targetArn: props.centralBusArn,
        roleArn: this.role.role.arn,
        deadLetterQueueArn: dlq.arn,
        targetDependsOn: [...this.role.policies], // the role may put events only once its policy exists
      });
      // No alarm action (there is no topic in a member account): CloudWatch sends the alarm's
      // state changes to this region's default bus, and the forwarding rule above carries them to
      // the central bus, where an alert rule publishes them to the alert topic:
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
      // If the central bus refuses every forward, the alarm's own event lands in this DLQ too; the
      // alarm stays in ALARM in the member account, and the central FailedInvocations alarms do not
      // see it. That case (a broken bus policy) fails for every member at once and shows at rollout.
      // The queue by reference (its name attribute): the alarm is created after the queue.
      new CloudwatchMetricAlarm(this, `dlq-alarm-${region}`, {
        alarmName: FORWARD_DLQ_ALARM_NAME,
        alarmDescription: 'EC2/EBS events this region could not forward to the central bus: inspect and redrive the forward DLQ',
        region,
        ...thresholdAlarm(queueNotEmpty(dlq.queue.name)),
      });
    }
    this.deadLetterQueues = queues;
  }
}
