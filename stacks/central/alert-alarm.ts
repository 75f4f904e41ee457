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
