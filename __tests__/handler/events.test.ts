/**
 * Pure parsing of EventBridge EBS events into copy jobs or a skip. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { MalformedEventError, parseEvent, snapshotIdFrom } from '../../handlers/snapshot-copy/events';
import { OWN_ACCOUNT, amiEvent, createSnapshotEvent, multiVolumeEvent, snapshotNotification, volumeEvent } from './support';

function malformed(raw: unknown): MalformedEventError {
  try {
    parseEvent(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedEventError);
    expect((error as Error).name).toBe('MalformedEventError');
    return error as MalformedEventError;
  }
  throw new Error('parseEvent accepted a malformed event');
}

describe('parseEvent: createSnapshot', () => {
  it('takes the id from an ARN with the region before the double colon, the region and account from the event', () => {
    const d = parseEvent(createSnapshotEvent({ snapshotId: 'snap-0123456789abcdef0', arnLayout: 'region-first', region: 'eu-west-1' }));
    expect(d).toMatchObject({ kind: 'jobs', eventName: 'createSnapshot', jobs: [{ snapshotId: 'snap-0123456789abcdef0', account: OWN_ACCOUNT, sourceRegion: 'eu-west-1' }] });
  });

  it('takes the id from an ARN with the region after the double colon', () => {
    const d = parseEvent(createSnapshotEvent({ snapshotId: 'snap-01234567', arnLayout: 'region-second', region: 'us-west-2' }));
    expect(d).toMatchObject({ kind: 'jobs', jobs: [{ snapshotId: 'snap-01234567', sourceRegion: 'us-west-2' }] });
  });

  it('uses the event region even when the ARN names another region (the guide sample does)', () => {
    const event = createSnapshotEvent({ region: 'us-east-1' });
    (event['detail'] as Record<string, unknown>)['snapshot_id'] = 'arn:aws:ec2:us-west-2::snapshot/snap-01234567';
    expect(parseEvent(event)).toMatchObject({ kind: 'jobs', jobs: [{ sourceRegion: 'us-east-1', snapshotId: 'snap-01234567' }] });
  });

  it('accepts a bare snapshot id', () => {
    expect(snapshotIdFrom('snap-0abc', 'detail.snapshot_id')).toBe('snap-0abc');
  });
});

describe('parseEvent: createSnapshots (multi-volume)', () => {
  it('yields one job per completed snapshot and lists the others as incomplete', () => {
    const d = parseEvent(
      multiVolumeEvent([
        { id: 'snap-000a', status: 'completed' },
        { id: 'snap-000b', status: 'error' },
        { id: 'snap-000c', status: 'completed' },
        { id: 'snap-000d', status: 'deleted' },
      ]),
    );
    if (d.kind !== 'jobs') throw new Error('expected jobs');
    expect(d.jobs.map((j) => j.snapshotId)).toEqual(['snap-000a', 'snap-000c']);
    expect(d.incomplete).toEqual([
      { job: { snapshotId: 'snap-000b', account: OWN_ACCOUNT, sourceRegion: 'us-west-2' }, status: 'error' },
      { job: { snapshotId: 'snap-000d', account: OWN_ACCOUNT, sourceRegion: 'us-west-2' }, status: 'deleted' },
    ]);
  });

  it('lists a snapshot that appears twice once', () => {
    const d = parseEvent(multiVolumeEvent([{ id: 'snap-000a', status: 'completed' }, { id: 'snap-000a', status: 'completed' }]));
    expect(d.kind === 'jobs' && d.jobs).toHaveLength(1);
  });
});

describe('parseEvent: skips', () => {
  it.each([
    ['copySnapshot (a copy: acting on it would loop)', snapshotNotification('copySnapshot'), 'skipped-unsupported-event', /loop/],
    ['shareSnapshot', snapshotNotification('shareSnapshot'), 'skipped-unsupported-event', /"shareSnapshot" is not createSnapshot/],
    ['a failed createSnapshot', createSnapshotEvent({ result: 'failed' }), 'skipped-failed-result', /result "failed" \(cause: Snapshot failed\)/],
    ['a failed createSnapshots', multiVolumeEvent([{ id: 'snap-000a', status: 'completed' }], { result: 'failed' }), 'skipped-failed-result', /createSnapshots result "failed"/],
    ['a volume event', volumeEvent, 'skipped-unsupported-event', /EBS Volume Notification/],
    ['an AMI event', amiEvent, 'skipped-unsupported-event', /EC2 AMI State Change/],
    ['a custom event that mimics an EBS event', { ...createSnapshotEvent(), source: 'my.app' }, 'skipped-unsupported-event', /"my.app" is not aws.ec2/],
    ['an archive replay (replay-name)', { ...createSnapshotEvent(), 'replay-name': 'r-1' }, 'skipped-replay', /replay/],
  ])('skips %s', (_name, event, decision, reason) => {
    const d = parseEvent(event);
    expect(d.kind).toBe('skip');
    if (d.kind === 'skip') {
      expect(d.decision).toBe(decision);
      expect(d.reason).toMatch(reason);
    }
  });
});

describe('parseEvent: malformed events are rejected with what is wrong', () => {
  it.each([
    ['a string', 'hello', /event is not a JSON object \(got string\)/],
    ['null', null, /event is not a JSON object/],
    ['an array', [createSnapshotEvent()], /got an array/],
    ['no detail-type', { ...createSnapshotEvent(), 'detail-type': undefined }, /event has no detail-type/],
    ['no detail', { ...createSnapshotEvent(), detail: undefined }, /^event has no detail$/],
    ['a null detail', { ...createSnapshotEvent(), detail: null }, /^event has no detail$/],
  ])('rejects %s', (_name, raw, message) => {
    expect(malformed(raw).message).toMatch(message);
  });

  it('rejects a snapshot ARN without a snap- id', () => {
    const event = createSnapshotEvent();
    (event['detail'] as Record<string, unknown>)['snapshot_id'] = 'arn:aws:ec2::us-west-2:snapshot/xyz';
    expect(malformed(event).message).toBe('detail.snapshot_id "arn:aws:ec2::us-west-2:snapshot/xyz" has no snap- id');
  });

  it('rejects a snapshot id with upper-case or trailing junk', () => {
    expect(() => snapshotIdFrom('arn:aws:ec2:us-west-2::snapshot/snap-0ABC', 'f')).toThrow(/has no snap- id/);
    expect(() => snapshotIdFrom('arn:aws:ec2:us-west-2::snapshot/snap-0abc/extra', 'f')).toThrow(/has no snap- id/);
    expect(() => snapshotIdFrom('mysnap-0abc', 'f')).toThrow(/has no snap- id/);
  });

  it('rejects a missing or non-string snapshot_id', () => {
    const missing = createSnapshotEvent();
    delete (missing['detail'] as Record<string, unknown>)['snapshot_id'];
    expect(malformed(missing).message).toBe('detail.snapshot_id is missing');
    const numeric = createSnapshotEvent();
    (numeric['detail'] as Record<string, unknown>)['snapshot_id'] = 12;
    expect(malformed(numeric).message).toBe('detail.snapshot_id is not a string (12)');
  });

  it('rejects an account that is not 12 digits and a region that is not a region', () => {
    expect(malformed({ ...createSnapshotEvent(), account: 12345 }).message).toBe('event account 12345 is not a 12-digit AWS account id');
    expect(malformed({ ...createSnapshotEvent(), region: 'Oregon' }).message).toBe('event region "Oregon" is not an AWS region name');
    expect(malformed({ ...createSnapshotEvent(), region: undefined }).message).toMatch(/event region undefined/);
  });

  it('rejects a multi-volume event whose snapshots are not a list, empty, or unparsable', () => {
    const base = multiVolumeEvent([{ id: 'snap-000a', status: 'completed' }]);
    const withSnapshots = (snapshots: unknown) => ({ ...base, detail: { ...(base['detail'] as Record<string, unknown>), snapshots } });
    expect(malformed(withSnapshots('snap-000a')).message).toBe('detail.snapshots is not a list');
    expect(malformed(withSnapshots([])).message).toBe('detail.snapshots is empty');
    expect(malformed(withSnapshots(['snap-000a'])).message).toBe('detail.snapshots[0] is not an object');
    expect(malformed(withSnapshots([{ snapshot_id: 'arn:aws:ec2::us-west-2:snapshot/snap-000a', status: 'completed' }, { snapshot_id: 'vol-1', status: 'completed' }])).message).toBe(
      'detail.snapshots[1].snapshot_id "vol-1" has no snap- id',
    );
  });
});

