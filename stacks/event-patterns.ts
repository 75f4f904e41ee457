/**
 * The EventBridge event patterns this app deploys, as typed data.
 *
 * One place for them so the rules in the stacks, the bus policy's detail-type list and the
 * tests (which run every pattern against fixtures made from the AWS guide's samples) all use
 * the very same objects.
 *
 * Event shapes: https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html
 * and https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-ami-events.html
 */

/** An EventBridge event pattern (a JSON object). */
export type EventPattern = { readonly [key: string]: unknown };

/** `source` of every EC2, EBS and AMI event. */
export const EC2_SOURCE = 'aws.ec2';

/** The detail-types this app forwards and handles. */
export const DetailType = {
  SNAPSHOT: 'EBS Snapshot Notification',
  MULTI_VOLUME_SNAPSHOT: 'EBS Multi-Volume Snapshots Completion Status',
  VOLUME: 'EBS Volume Notification',
  AMI_STATE: 'EC2 AMI State Change',
} as const;
export type DetailType = (typeof DetailType)[keyof typeof DetailType];

/** Every detail-type forwarded from member accounts to the central bus (and admitted by its policy). */
export const FORWARDED_DETAIL_TYPES: readonly DetailType[] = [
  DetailType.SNAPSHOT,
  DetailType.VOLUME,
  DetailType.MULTI_VOLUME_SNAPSHOT,
  DetailType.AMI_STATE,
];

/** `source` and detail-type of CloudWatch alarm state changes (sent to the alarm's default bus). */
const CLOUDWATCH_SOURCE = 'aws.cloudwatch';
const ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';
/**
 * Alarms this app creates in member accounts are named with this prefix; their state changes are
 * forwarded to the central bus. Narrower than the app's `ebs-event-hub-` prefix on purpose: when the
 * central account is also a member, its own alarms (which notify the topic directly) are not forwarded
 * and alerted a second time.
 */
export const MEMBER_ALARM_PREFIX = 'ebs-event-hub-member-';

/** EC2/EBS/AMI events of the forwarded detail-types. */
export function ec2EventsPattern(): EventPattern {
  return { source: [EC2_SOURCE], 'detail-type': [...FORWARDED_DETAIL_TYPES] };
}

/**
 * State changes of this app's member alarms. Event shape:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export function memberAlarmPattern(): EventPattern {
  return {
    source: [CLOUDWATCH_SOURCE],
    'detail-type': [ALARM_STATE_CHANGE],
    detail: { alarmName: [{ prefix: MEMBER_ALARM_PREFIX }] },
  };
}

/**
 * Member accounts: the rule on each region's default bus that forwards to the central bus. AWS
 * service events reach only the default bus, so that is where this rule lives. One rule for both
 * kinds (`$or`), not two: a member stack has one rule, target and DLQ per region, and a second rule
 * would add two resources per region to every one of up to 1,000 member stacks.
 * `$or`: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-complex-example-or
 */
export function forwardingPattern(): EventPattern {
  return { $or: [ec2EventsPattern(), memberAlarmPattern()] };
}

/**
 * Member accounts, in a copy destination region the member does not list (`members[].regions`):
 * forwarded only so that a copy failing there reaches the central alert rule. EC2 checks a copy's
 * key after `CopySnapshot` returned, and the failure is a `copySnapshot` event with `result: failed`
 * in the destination region (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html).
 * So: `EBS Snapshot Notification` with `detail.event` `copySnapshot` (any result), and the state
 * changes of that region's forward-DLQ alarm. Never `createSnapshot`/`createSnapshots`: a snapshot
 * made in a region the member does not list is not copied (the member role has no rights there).
 */
export function copyResultForwardingPattern(): EventPattern {
  return {
    $or: [{ source: [EC2_SOURCE], 'detail-type': [DetailType.SNAPSHOT], detail: { event: ['copySnapshot'] } }, memberAlarmPattern()],
  };
}

/**
 * Central bus: every forwarded EC2/EBS/AMI event (archive and audit log). Scoped to the forwarded
 * types rather than "everything on the bus", so an archive replay only ever replays what members
 * forward; member alarm state changes go to the alert topic, not the archive.
 */
export function centralIntakePattern(): EventPattern {
  return ec2EventsPattern();
}

/** One alert rule: a failure a platform team must hear about. */
export interface AlertPattern {
  /** Construct id and rule-name suffix. */
  readonly id: string;
  /** Rule description shown in the console and the plan. */
  readonly description: string;
  readonly pattern: EventPattern;
}

/**
 * Failures sent to the alert topic.
 * - volume: create/attach/reattach failing on a disabled, pending-deletion or pending-import KMS key
 *   (the only documented `failed` volume results);
 * - snapshot: createSnapshot or copySnapshot failed (a failed DR copy surfaces here, in the
 *   destination region, forwarded like any other event);
 * - multi-volume snapshot set failed;
 * - AMI entered state `failed`;
 * - a member account's forward DLQ alarm changed state (its forwards failed, or recovered).
 */
export const ALERT_PATTERNS: readonly AlertPattern[] = [
  {
    id: 'volume-kms-failure',
    description: 'EBS volume create/attach/reattach failed (KMS key disabled, pending deletion or pending import)',
    pattern: {
      source: [EC2_SOURCE],
      'detail-type': [DetailType.VOLUME],
      detail: { event: ['createVolume', 'attachVolume', 'reattachVolume'], result: ['failed'] },
    },
  },
  {
    id: 'snapshot-failure',
    description: 'EBS createSnapshot or copySnapshot failed',
    pattern: {
      source: [EC2_SOURCE],
      'detail-type': [DetailType.SNAPSHOT],
      detail: { event: ['createSnapshot', 'copySnapshot'], result: ['failed'] },
    },
  },
  {
    id: 'multi-volume-snapshot-failure',
    description: 'EBS multi-volume snapshot set (createSnapshots) failed',
    pattern: {
      source: [EC2_SOURCE],
      'detail-type': [DetailType.MULTI_VOLUME_SNAPSHOT],
      detail: { event: ['createSnapshots'], result: ['failed'] },
    },
  },
  {
    id: 'ami-failure',
    description: 'EC2 AMI entered state failed',
    pattern: {
      source: [EC2_SOURCE],
      'detail-type': [DetailType.AMI_STATE],
      detail: { State: ['failed'] },
    },
  },
  {
    id: 'member-alarm',
    description: 'A member account alarm (forward DLQ not empty) went to ALARM, or back to OK from ALARM',
    pattern: {
      source: [CLOUDWATCH_SOURCE],
      'detail-type': [ALARM_STATE_CHANGE],
      detail: {
        alarmName: [{ prefix: MEMBER_ALARM_PREFIX }],
        // ALARM, and OK only when it clears an ALARM: not the INSUFFICIENT_DATA -> OK of every new
        // alarm (one per member region on the first rollout).
        $or: [{ state: { value: ['ALARM'] } }, { state: { value: ['OK'] }, previousState: { value: ['ALARM'] } }],
      },
    },
  },
];

/**
 * Central bus: what the snapshot-copy queue receives. Completed creations only; never
 * copySnapshot (the copy of a copy would loop) nor shareSnapshot; never an archive replay
 * (replayed events carry `replay-name`: without this the copy path would run again for them).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-replay-archived-event.html
 */
export function snapshotCopyTriggerPattern(): EventPattern {
  return {
    'replay-name': [{ exists: false }],
    source: [EC2_SOURCE],
    'detail-type': [DetailType.SNAPSHOT, DetailType.MULTI_VOLUME_SNAPSHOT],
    detail: { event: ['createSnapshot', 'createSnapshots'], result: ['succeeded'] },
  };
}
