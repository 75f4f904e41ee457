import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { ALERT_PATTERNS } from '../event-patterns';
import { alertRuleName, PREFIX, ruleArn, topicArn } from '../names';
import { policyDocument, renderPolicy, type PolicyDocument } from '../policy/policy';
import { assertPolicyFits } from '../policy/policy-limits';
import { RuleWithTarget } from '../rule-with-target';

export const ALERT_TOPIC_NAME = `${PREFIX}-alerts`;
/** CloudWatch alarms that may publish to the alert topic are named with this prefix. */
export const ALARM_NAME_PREFIX = `${PREFIX}-`;
export { alertRuleName };

export interface AlertsProps {
  readonly accountId: string;
  readonly region: string;
  readonly busName: string;
  /**
   * The bus, by reference (`bus.name`), so the alert rules are created after it.
   * @default - `busName` as a literal: only for a bus that already exists
   */
  readonly eventBusName?: string;
  readonly kmsKeyArn: string;
  readonly emails: readonly string[];
  readonly deadLetterQueueArn: string;
}

/** The alert rules' ARNs, known before they exist (the DLQ and topic policies name them). */
export const alertRuleArns = (props: Pick<AlertsProps, 'accountId' | 'region' | 'busName'>): string[] =>
  ALERT_PATTERNS.map((a) => ruleArn(props.region, props.accountId, alertRuleName(a.id), props.busName));

/**
 * One subscription per address, with its construct id. Addresses equal but for case are one
 * mailbox in practice: the first spelling is kept. Ids come from the address, not the list
 * position, so removing one address leaves the others alone; an id drops every character but
 * letters and digits, so two addresses can map to one id (`a.b@x.io`, `a-b@x.io`): the later one
 * then gets a hash of the address appended instead of crashing on a duplicate construct id.
 */
export function emailSubscriptionIds(emails: readonly string[]): [id: string, email: string][] {
  const seen = new Set<string>();
  const ids = new Set<string>();
  const out: [string, string][] = [];
  for (const email of emails) {
    const folded = email.toLowerCase();
    if (seen.has(folded)) continue;
    seen.add(folded);
    let id = `email-${folded.replace(/[^a-z0-9]+/g, '-')}`;
    if (ids.has(id)) id = `${id}-${createHash('sha256').update(folded).digest('hex').slice(0, 8)}`;
    ids.add(id);
    out.push([id, email]);
  }
  return out;
}

/** Only this app's alert rules and alarms may publish to the topic. */
export function alertTopicPolicy(props: AlertsProps): PolicyDocument {
  const topic = topicArn(props.region, props.accountId, ALERT_TOPIC_NAME);
  // EventBridge (the alert rules): a statement with no condition block. The EventBridge guide says
  // condition blocks in an SNS topic policy for EventBridge are not supported
  // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions),
  // so an `aws:SourceArn` condition would make delivery depend on a key AWS does not promise.
  // What keeps other accounts' rules out instead: EventBridge invokes a target in another account
  // only with an execution role of the rule's account, and the target's policy must then admit that
  // role (an IAM principal), never `events.amazonaws.com`
  // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-cross-account.html). A grant to
  // the service principal is therefore used only by rules of this account; principals of this
  // account who can create rules could publish to the topic directly anyway. The key policy scopes
  // EventBridge's key use to this topic (`kms:EncryptionContext:aws:sns:topicArn`).
  // CloudWatch (alarms): `aws:SourceArn` (this app's alarm names) and `aws:SourceAccount`, which
  // CloudWatch sends (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
  return policyDocument('resource', [
    {
      Sid: 'AlertRulesPublish',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topic,
    },
    {
      Sid: 'AlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topic,
      Condition: {
        ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${props.region}:${props.accountId}:alarm:${ALARM_NAME_PREFIX}*` },
        StringEquals: { 'aws:SourceAccount': props.accountId },
      },
    },
  ]);
}

/**
 * Failures a platform team must hear about (see `ALERT_PATTERNS`), sent to an SNS topic under the
 * central customer managed key, with optional email subscriptions (each address must confirm).
 */
export class Alerts extends Construct {
  readonly topic: SnsTopic;
  readonly topicPolicy: PolicyDocument;
  readonly rules: readonly RuleWithTarget[];

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.topicPolicy = alertTopicPolicy(props);
    assertPolicyFits('snsTopicPolicy', this.topicPolicy, `topic ${ALERT_TOPIC_NAME}`);
    this.topic = new SnsTopic(this, 'topic', {
      name: ALERT_TOPIC_NAME,
      region: props.region,
      kmsMasterKeyId: props.kmsKeyArn,
    });
    const topicPolicy = new SnsTopicPolicy(this, 'topic-policy', { arn: this.topic.arn, region: props.region, policy: renderPolicy(this.topicPolicy) });
    emailSubscriptionIds(props.emails).forEach(([id, email]) => {
      new SnsTopicSubscription(this, id, { topicArn: this.topic.arn, region: props.region, protocol: 'email', endpoint: email });
    });
    this.rules = ALERT_PATTERNS.map(
      (alert) =>
        new RuleWithTarget(this, alert.id, {
          ruleName: alertRuleName(alert.id),
          description: alert.description,
          region: props.region,
          eventBusName: props.eventBusName ?? props.busName,
          pattern: alert.pattern,
          targetArn: topicArn(props.region, props.accountId, ALERT_TOPIC_NAME),
          deadLetterQueueArn: props.deadLetterQueueArn,
          // Only once the topic policy admits the rules (it references the topic).
          targetDependsOn: [topicPolicy],
        }),
    );
  }
}
