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
}

/** A dead-letter queue holds a message: something was not delivered. */
export const queueNotEmpty = (queueName: string): AlarmMetric => ({
  namespace: 'AWS/SQS',
  metricName: 'ApproximateNumberOfMessagesVisible',
  dimensions: { QueueName: queueName },
  statistic: 'Maximum',
  threshold: 0,
});

/**
 * The alarm arguments every alarm of this app shares: `metric` > threshold over five-minute
 * periods; no data is not a breach (an empty queue publishes no datapoints).
 */
export function thresholdAlarm(metric: AlarmMetric) {
  const { evaluationPeriods = 1, ...rest } = metric;
  return {
    ...rest,
    dimensions: { ...rest.dimensions },
    period: 300,
    evaluationPeriods,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
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

/** A CloudWatch alarm on `metric` > threshold, notifying the alert topic. No data is not a breach. */
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
