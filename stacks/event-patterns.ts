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

/**
 * Member accounts: the rule on each region's default bus that forwards to the central bus.
 * AWS service events reach only the default bus, so that is where this rule lives.
 */
export function forwardingPattern(): EventPattern {
  return { source: [EC2_SOURCE], 'detail-type': [...FORWARDED_DETAIL_TYPES] };
}

/**
 * Central bus: everything forwarded (archive and audit log). Scoped to the forwarded types rather
 * than "everything on the bus", so an archive replay only ever replays what members forward.
 */
export function centralIntakePattern(): EventPattern {
  return forwardingPattern();
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
 * - AMI entered state `failed`.
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
