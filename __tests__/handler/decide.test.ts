/**
 * Pure decision logic of the snapshot-copy handler: event parsing, per-snapshot decisions, tags and
 * configuration. No I/O, no SDK clients.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig, parseCopyTag, parseRegionMap, type HandlerConfig } from '../../handlers/snapshot-copy/config';
import {
  MAX_TAGS_PER_RESOURCE,
  PROVENANCE_TAGS,
  buildCopyTags,
  copyRequest,
  decideOnSource,
  destinationFor,
  existingCopiesQuery,
  findExistingCopy,
  matchesCopyTag,
  planCopy,
  roleSessionName,
  type CopyPlan,
} from '../../handlers/snapshot-copy/decide';
import { identityFromContext } from '../../handlers/snapshot-copy/dispatch';
import { MalformedEventError, parseEvent, snapshotIdFrom, type CopyJob } from '../../handlers/snapshot-copy/events';
import { MEMBER_ACCOUNT, OWN_ACCOUNT, amiEvent, createSnapshotEvent, multiVolumeEvent, snapshotNotification, volumeEvent } from './support';

const config = (overrides: Partial<HandlerConfig> = {}): HandlerConfig => ({
  destinationRegion: 'us-east-1',
  regionMap: {},
  functionRegion: 'us-east-1',
  ...overrides,
});
const self = { account: OWN_ACCOUNT, partition: 'aws' };
const job = (overrides: Partial<CopyJob> = {}): CopyJob => ({ snapshotId: 'snap-0abc', account: OWN_ACCOUNT, sourceRegion: 'us-west-2', ...overrides });
const plan = (overrides: Partial<CopyPlan> = {}): CopyPlan => ({ ...job(), destinationRegion: 'us-east-1', ...overrides });

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

function configError(env: Record<string, string>): ConfigurationError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).name).toBe('ConfigurationError');
    return error as ConfigurationError;
  }
  throw new Error('loadConfig accepted a bad environment');
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

describe('planCopy: destination, self-copy, other accounts', () => {
  it('sends a snapshot to DESTINATION_REGION', () => {
    expect(planCopy(job(), config(), self)).toEqual({ kind: 'copy', plan: { ...job(), destinationRegion: 'us-east-1' } });
  });

  it('lets REGION_MAP override the destination per source region', () => {
    const c = config({ regionMap: { 'us-west-2': 'eu-central-1' } });
    expect(destinationFor('us-west-2', c)).toBe('eu-central-1');
    expect(destinationFor('ap-south-1', c)).toBe('us-east-1');
    expect(planCopy(job(), c, self)).toMatchObject({ kind: 'copy', plan: { destinationRegion: 'eu-central-1' } });
  });

  it('never copies a snapshot into its own region (directly or through REGION_MAP)', () => {
    expect(planCopy(job({ sourceRegion: 'us-east-1' }), config(), self)).toMatchObject({ kind: 'skip', decision: 'skipped-same-region' });
    const mappedToSelf = config({ regionMap: { 'us-west-2': 'us-west-2' } });
    expect(planCopy(job(), mappedToSelf, self)).toMatchObject({ kind: 'skip', decision: 'skipped-same-region', reason: /us-west-2/ });
  });

  it("skips another account's snapshot when MEMBER_ROLE_NAME is not set", () => {
    const d = planCopy(job({ account: MEMBER_ACCOUNT }), config(), self);
    expect(d).toMatchObject({ kind: 'skip', decision: 'skipped-foreign-account' });
    expect(d.kind === 'skip' && d.reason).toMatch(/222222222222.*MEMBER_ROLE_NAME/);
  });

  it("plans another account's snapshot under the member role of that account, in the function's partition", () => {
    const d = planCopy(job({ account: MEMBER_ACCOUNT }), config({ memberRoleName: 'ebs-event-hub-copier' }), { account: OWN_ACCOUNT, partition: 'aws-cn' });
    expect(d).toMatchObject({
      kind: 'copy',
      plan: { roleArn: 'arn:aws-cn:iam::222222222222:role/ebs-event-hub-copier', roleSessionName: 'snapshot-copy-snap-0abc' },
    });
  });

  it('keeps role session names within 64 allowed characters', () => {
    expect(roleSessionName('snap-0123456789abcdef0')).toBe('snapshot-copy-snap-0123456789abcdef0');
    const long = roleSessionName(`snap-${'f'.repeat(80)}`);
    expect(long).toHaveLength(64);
    expect(roleSessionName('snap-01 (x)')).toMatch(/^[\w+=,.@-]+$/);
  });
});

describe('identityFromContext', () => {
  it('reads the account and partition from the function ARN, with or without an alias', () => {
    expect(identityFromContext({ invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:snapshot-copy' })).toEqual({ account: OWN_ACCOUNT, partition: 'aws' });
    expect(identityFromContext({ invokedFunctionArn: 'arn:aws-us-gov:lambda:us-gov-west-1:333333333333:function:f:live' })).toEqual({
      account: '333333333333',
      partition: 'aws-us-gov',
    });
  });

  it('rejects a context without a Lambda function ARN', () => {
    expect(() => identityFromContext({ invokedFunctionArn: 'arn:aws:sqs:us-east-1:111111111111:q' })).toThrow(ConfigurationError);
    expect(() => identityFromContext(undefined)).toThrow(/is not a Lambda function ARN/);
  });
});

describe('decideOnSource: state and COPY_TAG', () => {
  it('copies a completed snapshot when no COPY_TAG is set', () => {
    expect(decideOnSource(plan(), { State: 'completed', Tags: [] }, {})).toMatchObject({ kind: 'copy' });
  });

  it('skips a source snapshot in state error', () => {
    expect(decideOnSource(plan(), { State: 'error' }, {})).toMatchObject({ kind: 'skip', decision: 'skipped-source-error' });
  });

  it('asks for a retry while the source is not completed', () => {
    expect(decideOnSource(plan(), { State: 'pending' }, {})).toEqual({ kind: 'retry', reason: 'source snapshot is in state "pending"', state: 'pending' });
  });

  it('matches COPY_TAG key=value only on that value, COPY_TAG key on any value', () => {
    const tags = [{ Key: 'backup', Value: 'dr' }];
    expect(matchesCopyTag(tags, { key: 'backup', value: 'dr' })).toBe(true);
    expect(matchesCopyTag(tags, { key: 'backup', value: 'daily' })).toBe(false);
    expect(matchesCopyTag(tags, { key: 'backup' })).toBe(true);
    expect(matchesCopyTag([{ Key: 'backup', Value: '' }], { key: 'backup' })).toBe(true);
    expect(matchesCopyTag([{ Key: 'Backup', Value: 'dr' }], { key: 'backup' })).toBe(false);
    expect(matchesCopyTag(undefined, { key: 'backup' })).toBe(false);
    expect(matchesCopyTag(undefined, undefined)).toBe(true);
  });

  it('skips an untagged source with the tag it wanted', () => {
    const d = decideOnSource(plan(), { State: 'completed', Tags: [{ Key: 'backup', Value: 'daily' }] }, { copyTag: { key: 'backup', value: 'dr' } });
    expect(d).toEqual({ kind: 'skip', decision: 'skipped-untagged', reason: 'source snapshot has no tag backup=dr (COPY_TAG)' });
  });
});

describe('buildCopyTags', () => {
  it('puts provenance first, keeps user tags, drops reserved aws: keys in any case', () => {
    const { tags, dropped } = buildCopyTags(
      [
        { Key: 'Name', Value: 'db' },
        { Key: 'aws:backup:source-resource', Value: 'x' },
        { Key: 'AWS:Something', Value: 'y' },
        { Key: 'team', Value: 'storage' },
      ],
      job(),
    );
    expect(tags).toEqual([
      { Key: PROVENANCE_TAGS.sourceSnapshotId, Value: 'snap-0abc' },
      { Key: PROVENANCE_TAGS.sourceRegion, Value: 'us-west-2' },
      { Key: PROVENANCE_TAGS.sourceAccount, Value: OWN_ACCOUNT },
      { Key: 'Name', Value: 'db' },
      { Key: 'team', Value: 'storage' },
    ]);
    expect(dropped).toEqual([]);
  });

  it('lets provenance win over stale provenance tags on the source', () => {
    const { tags } = buildCopyTags([{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: 'snap-old' }], job());
    expect(tags.filter((t) => t.Key === PROVENANCE_TAGS.sourceSnapshotId)).toEqual([{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: 'snap-0abc' }]);
  });

  it('caps the copy at 50 tags and reports the user tags left off, in order', () => {
    const source = Array.from({ length: 60 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    const { tags, dropped } = buildCopyTags(source, job());
    expect(tags).toHaveLength(MAX_TAGS_PER_RESOURCE);
    expect(tags.slice(0, 3).map((t) => t.Key)).toEqual(Object.values(PROVENANCE_TAGS));
    expect(tags.at(-1)).toEqual({ Key: 'k46', Value: 'v46' });
    expect(dropped).toEqual(Array.from({ length: 13 }, (_, i) => `k${47 + i}`));
  });

  it('drops nothing at exactly 47 user tags', () => {
    const source = Array.from({ length: 47 }, (_, i) => ({ Key: `k${i}`, Value: '' }));
    expect(buildCopyTags(source, job())).toMatchObject({ dropped: [] });
    expect(buildCopyTags(source, job()).tags).toHaveLength(50);
  });
});

describe('dedupe and the copy request', () => {
  it('looks for copies owned by self that carry the source-snapshot-id provenance tag', () => {
    expect(existingCopiesQuery('snap-0abc')).toEqual({ OwnerIds: ['self'], Filters: [{ Name: 'tag:ebs-event-hub:source-snapshot-id', Values: ['snap-0abc'] }] });
  });

  it('counts pending and completed copies, ignores copies in state error', () => {
    expect(findExistingCopy([{ SnapshotId: 'snap-bad', State: 'error' }, { SnapshotId: 'snap-new', State: 'pending' }])).toEqual({ snapshotId: 'snap-new', state: 'pending' });
    expect(findExistingCopy([{ SnapshotId: 'snap-ok', State: 'completed' }])).toEqual({ snapshotId: 'snap-ok', state: 'completed' });
    expect(findExistingCopy([{ SnapshotId: 'snap-bad', State: 'error' }])).toBeUndefined();
    expect(findExistingCopy(undefined)).toBeUndefined();
  });

  it('builds CopySnapshot with SourceRegion, SourceSnapshotId, a description naming the source and the tags', () => {
    const tags = [{ Key: 'a', Value: 'b' }];
    expect(copyRequest(plan(), tags, {})).toEqual({
      SourceRegion: 'us-west-2',
      SourceSnapshotId: 'snap-0abc',
      Description: 'Copy of snap-0abc from us-west-2 (account 111111111111) by ebs-event-hub snapshot-copy',
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
    });
  });

  it('encrypts the copy under KMS_KEY_ID when set', () => {
    expect(copyRequest(plan(), [], { kmsKeyId: 'alias/dr' })).toMatchObject({ Encrypted: true, KmsKeyId: 'alias/dr' });
  });
});

describe('loadConfig', () => {
  it('parses a full environment', () => {
    expect(
      loadConfig({
        DESTINATION_REGION: 'us-east-1',
        REGION_MAP: '{"us-east-1": "us-west-2", "eu-west-1": "eu-central-1"}',
        KMS_KEY_ID: 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        MEMBER_ROLE_NAME: 'ebs-event-hub-copier',
        COPY_TAG: 'backup=dr',
        AWS_REGION: 'eu-west-1',
      }),
    ).toEqual({
      destinationRegion: 'us-east-1',
      regionMap: { 'us-east-1': 'us-west-2', 'eu-west-1': 'eu-central-1' },
      kmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      memberRoleName: 'ebs-event-hub-copier',
      copyTag: { key: 'backup', value: 'dr' },
      functionRegion: 'eu-west-1',
    });
  });

  it('treats blank optional variables as unset', () => {
    expect(loadConfig({ DESTINATION_REGION: 'us-east-1', REGION_MAP: '', KMS_KEY_ID: ' ', MEMBER_ROLE_NAME: '', COPY_TAG: '' })).toEqual({
      destinationRegion: 'us-east-1',
      regionMap: {},
      functionRegion: 'us-east-1',
    });
  });

  it('accepts GovCloud, China and newer region names', () => {
    for (const region of ['us-gov-west-1', 'cn-northwest-1', 'ap-southeast-5', 'mx-central-1', 'us-isob-east-1']) {
      expect(loadConfig({ DESTINATION_REGION: region }).destinationRegion).toBe(region);
    }
  });

  it('rejects a missing or blank DESTINATION_REGION', () => {
    expect(configError({}).message).toMatch(/DESTINATION_REGION is not set/);
    expect(configError({ DESTINATION_REGION: '  ' }).message).toMatch(/DESTINATION_REGION is not set/);
  });

  it.each(['US-EAST-1', 'useast1', 'us-east', 'us-east-1a', 'https://ec2.us-east-1.amazonaws.com'])('rejects DESTINATION_REGION %j', (region) => {
    expect(configError({ DESTINATION_REGION: region }).message).toBe(`DESTINATION_REGION "${region}" is not an AWS region name (expected something like us-east-1)`);
  });

  it('rejects a REGION_MAP that is not JSON', () => {
    expect(configError({ DESTINATION_REGION: 'us-east-1', REGION_MAP: "{'us-west-2': 'us-east-1'}" }).message).toMatch(/^REGION_MAP is not valid JSON/);
  });

  it.each([['[]'], ['null'], ['"us-east-1"'], ['42']])('rejects REGION_MAP %s, not an object', (raw) => {
    expect(configError({ DESTINATION_REGION: 'us-east-1', REGION_MAP: raw }).message).toMatch(/REGION_MAP must be a JSON object of "source-region": "destination-region"/);
  });

  it('rejects a REGION_MAP whose keys or values are not regions', () => {
    expect(() => parseRegionMap('{"oregon": "us-east-1"}')).toThrow('REGION_MAP key "oregon" is not an AWS region name');
    expect(() => parseRegionMap('{"us-west-2": 1}')).toThrow('REGION_MAP["us-west-2"] = 1 is not an AWS region name');
    expect(() => parseRegionMap('{"us-west-2": "virginia"}')).toThrow('REGION_MAP["us-west-2"] = "virginia" is not an AWS region name');
    expect(() => parseRegionMap('{"us-west-2": ["us-east-1"]}')).toThrow(ConfigurationError);
  });

  it('parses COPY_TAG key, key=value and values containing "="', () => {
    expect(parseCopyTag('backup')).toEqual({ key: 'backup' });
    expect(parseCopyTag('backup=dr')).toEqual({ key: 'backup', value: 'dr' });
    expect(parseCopyTag('policy=a=b')).toEqual({ key: 'policy', value: 'a=b' });
  });

  it.each([
    ['=dr', /has no tag key/],
    ['backup=', /has an empty value: write "backup" to match the tag with any value/],
    [`${'k'.repeat(129)}=v`, /tag keys have at most 128/],
    [`k=${'v'.repeat(257)}`, /tag values have at most 256/],
  ])('rejects COPY_TAG %j', (raw, message) => {
    expect(configError({ DESTINATION_REGION: 'us-east-1', COPY_TAG: raw }).message).toMatch(message);
  });

  it('rejects a MEMBER_ROLE_NAME that is an ARN, and a bad AWS_REGION', () => {
    expect(configError({ DESTINATION_REGION: 'us-east-1', MEMBER_ROLE_NAME: 'arn:aws:iam::111111111111:role/x' }).message).toMatch(/MEMBER_ROLE_NAME .* is not an IAM role name/);
    expect(configError({ DESTINATION_REGION: 'us-east-1', AWS_REGION: 'local' }).message).toMatch(/AWS_REGION "local"/);
  });
});
