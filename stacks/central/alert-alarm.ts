import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { ALARM_NAME_PREFIX } from './alerts';

/** The metric an alarm watches, and the value above which it fires. */
export interface AlarmMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Maximum' | 'Sum';
  readonly threshold: number;
  /** Five-minute periods the metric must breach before the alarm fires. @default 1 */
  readonly evaluationPeriods?: number;
  /**
   * What a period without data means. `notBreaching` for metrics a service sends only when they are
   * not zero (EventBridge's rule failures, Lambda's errors): no data is no failure. `ignore` for a
   * queue's messages: SQS publishes a queue's metrics only while it is active, and a queue nobody has
   * called for about six hours stops reporting although messages may still be waiting in it
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-monitoring-using-cloudwatch.html,
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html):
   * `notBreaching` would then return an alarm to OK with the messages still there, `ignore` keeps its
   * state until SQS reports again (a redrive or a new message makes the queue active).
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
   * @default 'notBreaching'
   */
  readonly treatMissingData?: 'notBreaching' | 'ignore';
}

/** A dead-letter queue holds a message: something was not delivered. No data keeps the state. */
export const queueNotEmpty = (queueName: string): AlarmMetric => ({
  namespace: 'AWS/SQS',
  metricName: 'ApproximateNumberOfMessagesVisible',
  dimensions: { QueueName: queueName },
  statistic: 'Maximum',
  threshold: 0,
  treatMissingData: 'ignore',
});

/**
 * A queue's oldest message has waited more than `seconds`: messages nobody consumes (a stalled
 * consumer), or dead letters nobody redrives before SQS deletes them. SQS excludes a message received
 * three times or more from this metric, and for a message moved to a dead-letter queue it counts from
 * the move (its expiry still counts from when it was first sent, for standard queues).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html
 */
export const oldestMessageOlderThan = (queueName: string, seconds: number): AlarmMetric => ({
  namespace: 'AWS/SQS',
  metricName: 'ApproximateAgeOfOldestMessage',
  dimensions: { QueueName: queueName },
  statistic: 'Maximum',
  threshold: seconds,
  treatMissingData: 'ignore',
});

/**
 * Dead letters are kept 14 days (`DLQ_RETENTION_SECONDS`): an alarm at half of that leaves a week
 * to redrive a message before SQS deletes it, once the "not empty" alarm has gone unanswered.
 */
export const DLQ_MESSAGE_EXPIRING_SECONDS = 7 * 24 * 60 * 60;

/**
 * The alarm arguments every alarm of this app shares: `metric` > threshold over five-minute
 * periods; no data is not a breach unless the metric says to ignore it (queues).
 */
export function thresholdAlarm(metric: AlarmMetric) {
  const { evaluationPeriods = 1, treatMissingData = 'notBreaching', ...rest } = metric;
  return {
    ...rest,
    dimensions: { ...rest.dimensions },
    period: 300,
    evaluationPeriods,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData,
  } as const;
}

export interface AlertAlarmProps {
  /** Must start with `ALARM_NAME_PREFIX`: the alert topic's policy admits only those alarms. */
  readonly alarmName: string;
  readonly description: string;
  readonly region: string;
  readonly metric: AlarmMetric;
  readonly topicArn: string;
  /** Also notify when the alarm clears. @default false */
  readonly notifyOnOk?: boolean;
}

/** A CloudWatch alarm on `metric` > threshold, notifying the alert topic. */
export class AlertAlarm extends Construct {
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: AlertAlarmProps) {
    super(scope, id);
    if (!props.alarmName.startsWith(ALARM_NAME_PREFIX)) {
      throw new Error(`AlertAlarm: alarmName ${JSON.stringify(props.alarmName)} must start with "${ALARM_NAME_PREFIX}" (the alert topic admits only those alarms)`);
    }
    this.alarm = new CloudwatchMetricAlarm(this, 'alarm', {
      alarmName: props.alarmName,
      alarmDescription: props.description,
      region: props.region,
      ...thresholdAlarm(props.metric),
      alarmActions: [props.topicArn],
      ...(props.notifyOnOk ? { okActions: [props.topicArn] } : {}),
    });
  }
}

/**
 * A rule on a custom bus failed to deliver: `FailedInvocations` (failed permanently) and
 * `InvocationsSentToDLQ` (retries exhausted, sent to the dead-letter queue). Rules on a custom bus
 * report with both dimensions, `EventBusName` and `RuleName`; EventBridge sends these metrics only
 * when they are not zero (so no data is not a breach):
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
 */
export const RULE_FAILURE_METRICS = ['FailedInvocations', 'InvocationsSentToDLQ'] as const;

export const ruleFailure = (busName: string | undefined, ruleName: string, metricName: (typeof RULE_FAILURE_METRICS)[number]): AlarmMetric => ({
  namespace: 'AWS/Events',
  metricName,
  // Only `RuleName` for a rule on the default bus; `EventBusName` and `RuleName` on a custom bus.
  dimensions: busName === undefined ? { RuleName: ruleName } : { EventBusName: busName, RuleName: ruleName },
  statistic: 'Sum',
  threshold: 0,
});

export interface RuleFailureAlarmsProps {
  readonly region: string;
  /** The custom bus's name, by reference (`bus.name`): the alarms are created after the bus. */
  readonly busName: string;
  readonly topicArn: string;
}

/**
 * Alarms on `FailedInvocations` and `InvocationsSentToDLQ` of every EventBridge rule in `scope`,
 * found in the construct tree (so a rule added later is covered without a list to maintain). Call it
 * after the rules exist. The dimensions reference the rule's (and bus's) name, so each alarm is
 * created after what it watches. They publish to the topic as CloudWatch, not through EventBridge,
 * so a broken alert rule is reported too.
 */
export class RuleFailureAlarms extends Construct {
  readonly alarms: readonly AlertAlarm[];

  constructor(scope: Construct, id: string, props: RuleFailureAlarmsProps) {
    super(scope, id);
    const rules = scope.node.findAll().filter((c): c is CloudwatchEventRule => c instanceof CloudwatchEventRule);
    const alarms: AlertAlarm[] = [];
    for (const rule of rules) {
      const name = rule.nameInput;
      if (name === undefined || Token.isUnresolved(name)) {
        throw new Error(`RuleFailureAlarms: rule ${rule.node.path} has no literal name to name its alarms by`);
      }
      const onDefaultBus = rule.eventBusNameInput === undefined || rule.eventBusNameInput === 'default';
      for (const metricName of RULE_FAILURE_METRICS) {
        alarms.push(
          new AlertAlarm(this, `${name}-${metricName}`, {
            alarmName: `${ALARM_NAME_PREFIX}rule-${name.replace(/^ebs-event-hub-/, '')}-${metricName}`,
            description: `Rule ${name}: ${metricName} (events not delivered to its target)`,
            region: props.region,
            metric: ruleFailure(onDefaultBus ? undefined : props.busName, rule.name, metricName),
            topicArn: props.topicArn,
          }),
        );
      }
    }
    this.alarms = alarms;
  }
}
