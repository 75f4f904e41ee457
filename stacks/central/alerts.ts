import { Construct } from 'constructs';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { ALERT_PATTERNS } from '../event-patterns';
import { alertRuleName, PREFIX, ruleArn, topicArn } from '../names';
import { policyDocument, renderPolicy, type PolicyDocument } from '../policy';
import { RuleWithTarget } from '../rule-with-target';

export const ALERT_TOPIC_NAME = `${PREFIX}-alerts`;
/** CloudWatch alarms that may publish to the alert topic are named with this prefix. */
export const ALARM_NAME_PREFIX = `${PREFIX}-`;
export { alertRuleName };

export interface AlertsProps {
  readonly accountId: string;
  readonly region: string;
  readonly busName: string;
  readonly kmsKeyArn: string;
  readonly emails: readonly string[];
  readonly deadLetterQueueArn: string;
}

/** The alert rules' ARNs, known before they exist (the DLQ and topic policies name them). */
export const alertRuleArns = (props: Pick<AlertsProps, 'accountId' | 'region' | 'busName'>): string[] =>
  ALERT_PATTERNS.map((a) => ruleArn(props.region, props.accountId, alertRuleName(a.id), props.busName));

/** Only this app's alert rules and alarms may publish to the topic. */
export function alertTopicPolicy(props: AlertsProps): PolicyDocument {
  const topic = topicArn(props.region, props.accountId, ALERT_TOPIC_NAME);
  return policyDocument('resource', [
    {
      Sid: 'AlertRulesPublish',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topic,
      Condition: { ArnEquals: { 'aws:SourceArn': alertRuleArns(props) } },
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
    this.topic = new SnsTopic(this, 'topic', {
      name: ALERT_TOPIC_NAME,
      region: props.region,
      kmsMasterKeyId: props.kmsKeyArn,
    });
    new SnsTopicPolicy(this, 'topic-policy', { arn: this.topic.arn, region: props.region, policy: renderPolicy(this.topicPolicy) });
    // Ids from the address, not the list position: removing one address leaves the others alone.
    [...new Set(props.emails)].forEach((email) => {
      new SnsTopicSubscription(this, `email-${email.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`, { topicArn: this.topic.arn, region: props.region, protocol: 'email', endpoint: email });
    });
    this.rules = ALERT_PATTERNS.map(
      (alert) =>
        new RuleWithTarget(this, alert.id, {
          ruleName: alertRuleName(alert.id),
          description: alert.description,
          region: props.region,
          eventBusName: props.busName,
          pattern: alert.pattern,
          targetArn: topicArn(props.region, props.accountId, ALERT_TOPIC_NAME),
          deadLetterQueueArn: props.deadLetterQueueArn,
        }),
    );
  }
}
