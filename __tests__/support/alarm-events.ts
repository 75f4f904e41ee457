/**
 * CloudWatch `Alarm State Change` events, from the sample printed in the CloudWatch guide
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html),
 * kept as printed in `__tests__/fixtures/cloudwatch-events/alarm-state-change.single-metric.json`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_DIR, type AwsEvent } from '../fixtures/events';

/** The guide's sample, as printed: alarm `ServerCpuTooHigh` in 123456789012/us-east-1, OK -> ALARM. */
export function guideAlarmEvent(): AwsEvent {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, '..', 'cloudwatch-events', 'alarm-state-change.single-metric.json'), 'utf8')) as AwsEvent;
}

export interface AlarmEventOptions {
  readonly alarmName: string;
  readonly account?: string;
  readonly region?: string;
  /** `state.value`. @default 'ALARM' */
  readonly state?: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  /** `previousState.value`. @default 'OK' */
  readonly previousState?: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
}

/** The guide's sample with only the alarm name (and its ARN), account, region and state values changed. */
export function alarmEvent(options: AlarmEventOptions): AwsEvent {
  const event = guideAlarmEvent();
  const account = options.account ?? event.account;
  const region = options.region ?? event.region;
  const detail = event.detail as { alarmName: string; state: { value: string }; previousState: { value: string } };
  detail.alarmName = options.alarmName;
  detail.state.value = options.state ?? 'ALARM';
  detail.previousState.value = options.previousState ?? 'OK';
  return { ...event, account, region, resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${options.alarmName}`] };
}
