import { Construct } from 'constructs';
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
}

/** A dead-letter queue holds a message: something was not delivered. */
export const queueNotEmpty = (queueName: string): AlarmMetric => ({
  namespace: 'AWS/SQS',
  metricName: 'ApproximateNumberOfMessagesVisible',
  dimensions: { QueueName: queueName },
  statistic: 'Maximum',
  threshold: 0,
});

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

/** A CloudWatch alarm on `metric` > threshold, notifying the alert topic. No data is not a breach. */
export class AlertAlarm extends Construct {
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: AlertAlarmProps) {
    super(scope, id);
    if (!props.alarmName.startsWith(ALARM_NAME_PREFIX)) {
      throw new Error(`AlertAlarm: alarmName ${JSON.stringify(props.alarmName)} must start with "${ALARM_NAME_PREFIX}" (the alert topic admits only those alarms)`);
    }
    const { evaluationPeriods = 1, ...metric } = props.metric;
    this.alarm = new CloudwatchMetricAlarm(this, 'alarm', {
      alarmName: props.alarmName,
      alarmDescription: props.description,
      region: props.region,
      ...metric,
      dimensions: { ...metric.dimensions },
      period: 300,
      evaluationPeriods,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
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

export const ruleFailure = (busName: string, ruleName: string, metricName: (typeof RULE_FAILURE_METRICS)[number]): AlarmMetric => ({
  namespace: 'AWS/Events',
  metricName,
  dimensions: { EventBusName: busName, RuleName: ruleName },
  statistic: 'Sum',
  threshold: 0,
});
