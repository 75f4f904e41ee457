/**
 * Pure parsing of EventBridge EBS events into copy jobs or a skip. No I/O.
 *
 * Only a successful createSnapshot (EBS Snapshot Notification) or createSnapshots (EBS Multi-Volume
 * Snapshots Completion Status) from aws.ec2 yields jobs. Everything else is skipped with a reason:
 * in particular copySnapshot, which is what our own copies emit: acting on it would loop.
 *
 * The AWS guide prints snapshot ARNs in two layouts (arn:aws:ec2:us-west-2::snapshot/snap-… and
 * arn:aws:ec2::us-west-2:snapshot/snap-…), so the region comes from the event's top-level `region`
 * and the id from the trailing snap-[0-9a-f]+ of detail.snapshot_id.
 */
import { isRegionName } from './config';
import { MalformedEventError } from './errors';

export { MalformedEventError } from './errors';

export const SNAPSHOT_NOTIFICATION = 'EBS Snapshot Notification';
export const MULTI_VOLUME_COMPLETION = 'EBS Multi-Volume Snapshots Completion Status';

/** One snapshot to consider for copying. */
export interface CopyJob {
  snapshotId: string;
  /** Account that owns the snapshot (the event's `account`). */
  account: string;
  /** Region of the snapshot (the event's `region`). */
  sourceRegion: string;
}

/** Why an event (or one snapshot of it) starts no execution. */
export type SkipDecision =
  | 'skipped-unsupported-event'
  | 'skipped-failed-result'
  | 'skipped-incomplete-snapshot'
  | 'skipped-same-region'
  | 'skipped-replay';

export interface EventSkip {
  kind: 'skip';
  decision: SkipDecision;
  reason: string;
  detailType: string;
  eventName?: string;
}

export interface EventJobs {
  kind: 'jobs';
  detailType: string;
  eventName: 'createSnapshot' | 'createSnapshots';
  account: string;
  sourceRegion: string;
  jobs: CopyJob[];
  /** Snapshots of a multi-volume set whose own status is not `completed`: not copied. */
  incomplete: Array<{ job: CopyJob; status: string }>;
}

export type EventDisposition = EventSkip | EventJobs;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const SNAPSHOT_ID = /(?:^|[/:])(snap-[0-9a-f]+)$/;

/** `snap-…` from an ARN in either layout, or from a bare id. */
export function snapshotIdFrom(value: unknown, field: string): string {
  if (typeof value !== 'string') {
    throw new MalformedEventError(`${field} is ${value === undefined ? 'missing' : `not a string (${JSON.stringify(value)})`}`);
  }
  const match = SNAPSHOT_ID.exec(value);
  if (!match) throw new MalformedEventError(`${field} "${value}" has no snap- id`);
  return match[1]!;
}

function eventAccount(event: Record<string, unknown>): string {
  const account = event['account'];
  if (typeof account !== 'string' || !/^\d{12}$/.test(account)) {
    throw new MalformedEventError(`event account ${JSON.stringify(account)} is not a 12-digit AWS account id`);
  }
  return account;
}

function eventRegion(event: Record<string, unknown>): string {
  const region = event['region'];
  if (typeof region !== 'string' || !isRegionName(region)) {
    throw new MalformedEventError(`event region ${JSON.stringify(region)} is not an AWS region name`);
  }
  return region;
}

function skip(detailType: string, decision: SkipDecision, reason: string, eventName?: unknown): EventSkip {
  return { kind: 'skip', decision, reason, detailType, ...(typeof eventName === 'string' ? { eventName } : {}) };
}

/**
 * Classifies one EventBridge event. Throws MalformedEventError when the event cannot be understood
 * (not an object, no detail-type, no detail, a snapshot id without snap-, a bad account or region).
 */
export function parseEvent(raw: unknown): EventDisposition {
  if (!isObject(raw)) throw new MalformedEventError(`event is not a JSON object (got ${Array.isArray(raw) ? 'an array' : typeof raw})`);
  const detailType = raw['detail-type'];
  if (typeof detailType !== 'string' || detailType === '') throw new MalformedEventError('event has no detail-type');
  const detail = raw['detail'];
  if (!isObject(detail)) throw new MalformedEventError('event has no detail');

  // Archive replays carry `replay-name`; the copy rule already excludes them. Defence in depth: a
  // replay must not copy again (its snapshot may be long deleted, or deliberately not copied any more).
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-replay-archived-event.html
  if (raw['replay-name'] !== undefined) {
    return skip(detailType, 'skipped-replay', `event is a replay (replay-name ${JSON.stringify(raw['replay-name'])})`);
  }
  if (raw['source'] !== 'aws.ec2') {
    return skip(detailType, 'skipped-unsupported-event', `source ${JSON.stringify(raw['source'])} is not aws.ec2`);
  }
  const eventName = detail['event'];
  const result = detail['result'];

  if (detailType === SNAPSHOT_NOTIFICATION) {
    if (eventName !== 'createSnapshot') {
      const why =
        eventName === 'copySnapshot'
          ? 'copySnapshot notifies a copy: copying it again would loop'
          : `${JSON.stringify(eventName)} is not createSnapshot`;
      return skip(detailType, 'skipped-unsupported-event', why, eventName);
    }
    if (result !== 'succeeded') {
      return skip(detailType, 'skipped-failed-result', `createSnapshot result ${JSON.stringify(result)}${causeOf(detail)}`, eventName);
    }
    const account = eventAccount(raw);
    const sourceRegion = eventRegion(raw);
    const snapshotId = snapshotIdFrom(detail['snapshot_id'], 'detail.snapshot_id');
    return { kind: 'jobs', detailType, eventName, account, sourceRegion, jobs: [{ snapshotId, account, sourceRegion }], incomplete: [] };
  }

  if (detailType === MULTI_VOLUME_COMPLETION) {
    if (eventName !== 'createSnapshots') {
      return skip(detailType, 'skipped-unsupported-event', `${JSON.stringify(eventName)} is not createSnapshots`, eventName);
    }
    if (result !== 'succeeded') {
      return skip(detailType, 'skipped-failed-result', `createSnapshots result ${JSON.stringify(result)}${causeOf(detail)}`, eventName);
    }
    const account = eventAccount(raw);
    const sourceRegion = eventRegion(raw);
    const snapshots = detail['snapshots'];
    if (!Array.isArray(snapshots)) throw new MalformedEventError('detail.snapshots is not a list');
    if (snapshots.length === 0) throw new MalformedEventError('detail.snapshots is empty');
    const jobs: CopyJob[] = [];
    const incomplete: EventJobs['incomplete'] = [];
    const seen = new Set<string>();
    snapshots.forEach((entry: unknown, i) => {
      if (!isObject(entry)) throw new MalformedEventError(`detail.snapshots[${i}] is not an object`);
      const snapshotId = snapshotIdFrom(entry['snapshot_id'], `detail.snapshots[${i}].snapshot_id`);
      if (seen.has(snapshotId)) return;
      seen.add(snapshotId);
      const job = { snapshotId, account, sourceRegion };
      if (entry['status'] === 'completed') jobs.push(job);
      else incomplete.push({ job, status: String(entry['status']) });
    });
    return { kind: 'jobs', detailType, eventName, account, sourceRegion, jobs, incomplete };
  }

  return skip(detailType, 'skipped-unsupported-event', `detail-type "${detailType}" is not a snapshot completion`, eventName);
}

function causeOf(detail: Record<string, unknown>): string {
  const cause = detail['cause'];
  return typeof cause === 'string' && cause !== '' ? ` (cause: ${cause})` : '';
}
