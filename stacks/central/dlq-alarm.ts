import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';

export interface QueueNotEmptyAlarmProps {
  /** Must start with `ALARM_NAME_PREFIX`: the alert topic admits only those alarms. */
  readonly alarmName: string;
  readonly region: string;
  readonly queueName: string;
  readonly topicArn: string;
  readonly description: string;
}

/** Alarms as soon as a dead-letter queue holds a message: something was not delivered. */
export class QueueNotEmptyAlarm extends Construct {
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: QueueNotEmptyAlarmProps) {
    super(scope, id);
    this.alarm = new CloudwatchMetricAlarm(this, 'alarm', {
      alarmName: props.alarmName,
      alarmDescription: props.description,
      region: props.region,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: props.queueName },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [props.topicArn],
      okActions: [props.topicArn],
    });
  }
}
