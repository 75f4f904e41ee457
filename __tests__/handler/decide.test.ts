/**
 * Pure decisions of the copy path and the configuration of each entry point. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { EC2_MAX_CONCURRENT_SNAPSHOT_COPIES } from '../../config/schema';
import { ConfigurationError, loadStartConfig, loadStepConfig, loadSweepConfig, MAX_COPIES_PER_REGION, parseCopyTag, parseRegionMap } from '../../handlers/snapshot-copy/config';
import {
  COPY_VISIBILITY_GRACE_SECONDS,
  EXPIRES_AT_TAG,
  MAX_RECOPIES,
  MAX_TAGS_PER_RESOURCE,
  MAX_WAIT_SECONDS,
  ADMISSION_WAIT,
  POLL_FAST_SECONDS,
  PROVENANCE_TAGS,
  admissionWaitSeconds,
  buildCopyTags,
  canonicalInput,
  classifyEc2Error,
  copyRequest,
  decideOnCopy,
  decideOnSource,
  decideSweep,
  destinationFor,
  executionName,
  existingCopiesQuery,
  expiresAt,
  findExistingCopy,
  hasFreeSlot,
  identityFromArn,
  parseCopyInput,
  pendingCopiesQuery,
  roleArnFor,
  roleSessionName,
  waitedLongerThan,
  type CopyInput,
} from '../../handlers/snapshot-copy/decide';
import { STEP_ERRORS } from '../../handlers/snapshot-copy/errors';
import { STEPS } from '../../handlers/snapshot-copy/steps';
import * as workflow from '../../stacks/central/copy-workflow';
import { MEMBER_ACCOUNT, OWN_ACCOUNT, configError } from './support';

const input = (overrides: Partial<CopyInput> = {}): CopyInput => ({ account: MEMBER_ACCOUNT, sourceRegion: 'us-west-2', snapshotId: 'snap-0abc1234', destinationRegion: 'us-east-1', ...overrides });
const self = { account: OWN_ACCOUNT, partition: 'aws' };


describe('the handler and the definition agree (handlers may not import stacks/)', () => {
  it('throws exactly the error names the definition matches', () => {
    expect(STEP_ERRORS).toEqual(workflow.WORKFLOW_ERRORS);
  });
  it('implements exactly the steps the definition invokes, and shares its bounds', () => {
    expect([...STEPS]).toEqual([...workflow.STEP_NAMES]);
    expect(MAX_WAIT_SECONDS).toBe(workflow.MAX_WAIT_SECONDS);
    expect(ADMISSION_WAIT).toEqual(workflow.ADMISSION_WAIT);
    expect(POLL_FAST_SECONDS).toBe(workflow.POLL_FAST_SECONDS);
    expect(MAX_RECOPIES).toBe(workflow.MAX_RECOPIES);
    expect(executionName(input())).toBe(workflow.executionName(input()));
  });
  it("bounds MAX_IN_FLIGHT_COPIES by the same EC2 quota the config validates against", () => {
    expect(MAX_COPIES_PER_REGION).toBe(EC2_MAX_CONCURRENT_SNAPSHOT_COPIES);
  });
});

describe('admission wait (equal jitter over the number of waits)', () => {
  it('GIVEN n waits so far THEN waits between half and all of min(2 h, 400 s × 2^n), in whole seconds', () => {
    for (const [n, base] of [[0, 400], [1, 800], [2, 1600], [4, 6400], [5, 7200], [40, 7200]] as const) {
      expect(admissionWaitSeconds(n, 0)).toBe(base / 2);
      expect(admissionWaitSeconds(n, 0.999999)).toBe(base);
      expect(Number.isInteger(admissionWaitSeconds(n, 0.3))).toBe(true);
    }
  });
  it('GIVEN a count or a random number that is not one (absent, negative, NaN) THEN the first wait, jittered around its middle', () => {
    expect(admissionWaitSeconds(-1, 0)).toBe(200);
    expect(admissionWaitSeconds(Number.NaN, Number.NaN)).toBe(300);
    expect(admissionWaitSeconds(2.5, 2)).toBe(400);
  });
  it('GIVEN the definition\'s bound on waits THEN even at their floors those waits last the 7-day deadline: the deadline, not the count, ends a normal wait', () => {
    let floors = 0;
    for (let n = 0; n < workflow.ADMISSION_WAIT_BOUND; n++) floors += admissionWaitSeconds(n, 0);
    expect(floors).toBeGreaterThanOrEqual(MAX_WAIT_SECONDS);
  });
});

describe('execution name and canonical input', () => {
  it('names the execution <account>-<sourceRegion>-<snapshotId>-<destinationRegion> and keeps only the four keys, in order', () => {
    const job = { snapshotId: 'snap-0123456789abcdef0', account: MEMBER_ACCOUNT, sourceRegion: 'ap-southeast-5', extra: 'x' };
    const canonical = canonicalInput(job, 'us-gov-west-1');
    expect(JSON.stringify(canonical)).toBe(`{"account":"${MEMBER_ACCOUNT}","sourceRegion":"ap-southeast-5","snapshotId":"snap-0123456789abcdef0","destinationRegion":"us-gov-west-1"}`);
    expect(executionName(canonical)).toBe(`${MEMBER_ACCOUNT}-ap-southeast-5-snap-0123456789abcdef0-us-gov-west-1`);
    expect(executionName(canonical).length).toBeLessThanOrEqual(80);
  });

  it('refuses a name over 80 characters or with other characters', () => {
    expect(() => executionName(input({ snapshotId: `snap-${'0'.repeat(70)}` }))).toThrow(/at most 80 characters/);
    expect(() => executionName(input({ sourceRegion: 'us west 2' }))).toThrow(/A-Za-z0-9/);
  });

  it('sends a snapshot to DESTINATION_REGION unless REGION_MAP names another', () => {
    const config = { destinationRegion: 'us-east-1', regionMap: { 'eu-west-1': 'eu-central-1' } };
    expect(destinationFor('us-west-2', config)).toBe('us-east-1');
    expect(destinationFor('eu-west-1', config)).toBe('eu-central-1');
  });

  it.each([
    ['account', { account: '1234' }, /input account "1234" is not a 12-digit account id/],
    ['sourceRegion', { sourceRegion: 'mars-1' }, /input sourceRegion "mars-1" is not a region name/],
    ['snapshotId', { snapshotId: 'vol-0abc1234' }, /input snapshotId "vol-0abc1234" is not a snap- id/],
    ['destinationRegion', { destinationRegion: 42 }, /input destinationRegion 42 is not a region name/],
  ])('rejects step data with a bad %s (InvalidCopyInput)', (_f, bad, message) => {
    const run = () => parseCopyInput({ ...input(), ...bad });
    expect(run).toThrow(message);
    try {
      run();
    } catch (error) {
      expect((error as Error).name).toBe('InvalidCopyInput');
    }
  });
});

describe('identity and roles', () => {
  it("reads the function's account and partition from its ARN, with or without an alias", () => {
    expect(identityFromArn(`arn:aws:lambda:us-east-1:${OWN_ACCOUNT}:function:f`)).toEqual({ account: OWN_ACCOUNT, partition: 'aws' });
    expect(identityFromArn(`arn:aws-us-gov:lambda:us-gov-west-1:${OWN_ACCOUNT}:function:f:live`)).toEqual({ account: OWN_ACCOUNT, partition: 'aws-us-gov' });
  });
  it('rejects a context without a function ARN', () => {
    expect(() => identityFromArn(undefined)).toThrow(ConfigurationError);
    expect(() => identityFromArn('arn:aws:iam::1:role/x')).toThrow(/not a Lambda function ARN/);
  });
  it("uses its own credentials for its own account and the member role in the function's partition for others", () => {
    expect(roleArnFor(OWN_ACCOUNT, self, 'r')).toBeUndefined();
    expect(roleArnFor(MEMBER_ACCOUNT, { account: OWN_ACCOUNT, partition: 'aws-cn' }, 'copy-role')).toBe(`arn:aws-cn:iam::${MEMBER_ACCOUNT}:role/copy-role`);
  });
  it('keeps role session names within 64 allowed characters', () => {
    expect(roleSessionName(`snap-${'f'.repeat(80)}`)).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe('decideOnSource: what EC2 says about the source', () => {
  const completed = { State: 'completed' as const, OwnerId: MEMBER_ACCOUNT, StorageTier: 'standard' as const, Tags: [{ Key: 'Name', Value: 'db' }] };
  it('copies a completed, standard-tier snapshot of the event account, keeping its tags for the copy', () => {
    expect(decideOnSource(input(), completed, undefined)).toEqual({ kind: 'copy', userTags: [{ Key: 'Name', Value: 'db' }] });
  });
  it.each([
    ['gone (NotFound)', undefined, 'skipped-source-gone'],
    ['owned by another account', { ...completed, OwnerId: '333333333333' }, 'skipped-not-owned'],
    ['in state error', { ...completed, State: 'error' as const }, 'skipped-source-error'],
    ['in the archive tier', { ...completed, StorageTier: 'archive' as const }, 'skipped-archive-tier'],
    ['on an Outpost', { ...completed, OutpostArn: 'arn:aws:outposts:us-west-2:1:outpost/op-1' }, 'skipped-outpost'],
  ])('skips a source %s', (_n, snapshot, decision) => {
    expect(decideOnSource(input(), snapshot, undefined)).toMatchObject({ kind: 'skip', decision });
  });
  it('waits for a pending source', () => {
    expect(decideOnSource(input(), { ...completed, State: 'pending' as const }, undefined)).toEqual({ kind: 'not-ready', state: 'pending' });
  });
  it('applies COPY_TAG: key=value only on that value, key on any value', () => {
    expect(decideOnSource(input(), completed, { key: 'Name', value: 'db' }).kind).toBe('copy');
    expect(decideOnSource(input(), completed, { key: 'Name' }).kind).toBe('copy');
    expect(decideOnSource(input(), completed, { key: 'Name', value: 'web' })).toMatchObject({ decision: 'skipped-untagged', reason: expect.stringContaining('Name=web') });
    expect(decideOnSource(input(), completed, { key: 'dr' })).toMatchObject({ decision: 'skipped-untagged' });
  });
});

describe('tags of the copy', () => {
  it('puts provenance (and the expiry) first, keeps user tags, drops aws: keys and stale provenance', () => {
    const { tags, dropped } = buildCopyTags(
      [{ Key: 'Name', Value: 'db' }, { Key: 'AWS:backup', Value: 'x' }, { Key: PROVENANCE_TAGS.sourceSnapshotId, Value: 'stale' }, { Key: EXPIRES_AT_TAG, Value: 'stale' }],
      input(),
      '2030-01-01T00:00:00Z',
    );
    expect(tags).toEqual([
      { Key: PROVENANCE_TAGS.sourceSnapshotId, Value: 'snap-0abc1234' },
      { Key: PROVENANCE_TAGS.sourceRegion, Value: 'us-west-2' },
      { Key: PROVENANCE_TAGS.sourceAccount, Value: MEMBER_ACCOUNT },
      { Key: EXPIRES_AT_TAG, Value: '2030-01-01T00:00:00Z' },
      { Key: 'Name', Value: 'db' },
    ]);
    expect(dropped).toEqual([]);
  });
  it('caps the copy at 50 tags and reports the user tags left off, in order', () => {
    const user = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    const { tags, dropped } = buildCopyTags(user, input());
    expect(tags).toHaveLength(MAX_TAGS_PER_RESOURCE);
    expect(dropped).toEqual(['k47', 'k48', 'k49']);
  });
  it('computes the expiry as an ISO-8601 UTC date-time RETENTION_DAYS ahead', () => {
    expect(expiresAt(new Date('2026-01-30T12:34:56.789Z'), 30)).toBe('2026-03-01T12:34:56Z');
  });
  it('builds CopySnapshot with the tags on the snapshot, and encryption only with KMS_KEY_ID', () => {
    const tags = [{ Key: 'a', Value: 'b' }];
    expect(copyRequest(input(), tags, undefined)).toEqual({
      SourceRegion: 'us-west-2',
      SourceSnapshotId: 'snap-0abc1234',
      Description: `Copy of snap-0abc1234 from us-west-2 (account ${MEMBER_ACCOUNT}) by ebs-event-hub snapshot-copy`,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
    });
    expect(copyRequest(input(), tags, 'alias/dr')).toMatchObject({ Encrypted: true, KmsKeyId: 'alias/dr' });
  });
});

describe('find and admission', () => {
  it('finds earlier copies by the provenance tag among snapshots owned by self', () => {
    expect(existingCopiesQuery('snap-0abc1234')).toEqual({ OwnerIds: ['self'], Filters: [{ Name: `tag:${PROVENANCE_TAGS.sourceSnapshotId}`, Values: ['snap-0abc1234'] }] });
  });
  it('counts a pending or completed copy (prefers completed) and ignores copies in error', () => {
    expect(findExistingCopy([{ SnapshotId: 'snap-e', State: 'error' }])).toBeUndefined();
    expect(findExistingCopy([{ SnapshotId: 'snap-p', State: 'pending' }, { SnapshotId: 'snap-c', State: 'completed' }])).toEqual({ snapshotId: 'snap-c', state: 'completed' });
    expect(findExistingCopy(undefined)).toBeUndefined();
  });
  it("counts only this app's pending copies (provenance tag-key, status pending, owner self)", () => {
    expect(pendingCopiesQuery()).toEqual({
      OwnerIds: ['self'],
      Filters: [
        { Name: 'tag-key', Values: [PROVENANCE_TAGS.sourceSnapshotId] },
        { Name: 'status', Values: ['pending'] },
      ],
    });
  });
  it('admits below the limit only', () => {
    expect(hasFreeSlot(14, 15)).toBe(true);
    expect(hasFreeSlot(15, 15)).toBe(false);
    expect(hasFreeSlot(21, 15)).toBe(false);
  });
  it('gives up only after the bound has fully passed', () => {
    const start = '2026-01-01T00:00:00Z';
    expect(waitedLongerThan(start, new Date(Date.parse(start) + MAX_WAIT_SECONDS * 1000 - 1), MAX_WAIT_SECONDS)).toBe(false);
    expect(waitedLongerThan(start, new Date(Date.parse(start) + MAX_WAIT_SECONDS * 1000), MAX_WAIT_SECONDS)).toBe(true);
    expect(waitedLongerThan(undefined, new Date(), 1)).toBe(false);
    expect(MAX_WAIT_SECONDS).toBeGreaterThanOrEqual(7 * 86_400);
  });
});

describe('classifyEc2Error: refused or maybe done', () => {
  const err = (name: string, status?: number) => Object.assign(new Error(name), { name, ...(status !== undefined ? { $metadata: { httpStatusCode: status } } : {}) });
  it.each([
    ['InvalidSnapshot.NotFound', 400, 'not-found'],
    ['UnauthorizedOperation', 403, 'denied'],
    ['AccessDenied', 403, 'denied'],
    ['ResourceLimitExceeded', 400, 'quota'],
    ['RequestLimitExceeded', 503, 'throttled'],
    ['InvalidParameterValue', 400, 'refused'],
    ['InternalError', 500, 'unavailable'],
    ['ServiceUnavailable', 503, 'unavailable'],
  ])('%s (%i) → %s', (name, status, expected) => {
    expect(classifyEc2Error(err(name, status))).toBe(expected);
  });
  it('treats a reset connection or a timeout (no HTTP status) as ambiguous', () => {
    expect(classifyEc2Error(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('ambiguous');
    expect(classifyEc2Error(err('TimeoutError'))).toBe('ambiguous');
  });
});

describe('decideOnCopy: polling the copy', () => {
  const now = new Date('2026-01-01T01:00:00Z');
  it('waits on pending, ends on completed', () => {
    expect(decideOnCopy({ State: 'pending' }, { recopies: 0, copyStartedAt: '2026-01-01T00:00:00Z', now })).toEqual({ kind: 'pending' });
    expect(decideOnCopy({ State: 'completed' }, { recopies: 0, copyStartedAt: undefined, now })).toEqual({ kind: 'copied' });
  });
  it('copies again after error while re-copies remain, then fails with the StateMessage', () => {
    const copy = { State: 'error' as const, StateMessage: 'KMS key disabled' };
    expect(decideOnCopy(copy, { recopies: MAX_RECOPIES - 1, copyStartedAt: undefined, now })).toEqual({ kind: 'recopy', reason: expect.stringContaining('KMS key disabled') });
    expect(decideOnCopy(copy, { recopies: MAX_RECOPIES, copyStartedAt: undefined, now })).toEqual({ kind: 'failed', reason: expect.stringContaining('KMS key disabled') });
  });
  it('treats a missing copy as not visible yet within the grace period, then as gone', () => {
    const recent = new Date(now.getTime() - (COPY_VISIBILITY_GRACE_SECONDS - 1) * 1000).toISOString();
    const old = new Date(now.getTime() - COPY_VISIBILITY_GRACE_SECONDS * 1000).toISOString();
    expect(decideOnCopy(undefined, { recopies: 0, copyStartedAt: recent, now })).toEqual({ kind: 'pending' });
    expect(decideOnCopy(undefined, { recopies: 0, copyStartedAt: old, now }).kind).toBe('recopy');
  });
});

describe('decideSweep: deletes a copy the ledger records as expired only while its tags agree', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const recorded = { sourceSnapshotId: 'snap-1' };
  const tagged = (expiry: string, source = 'snap-1') => ({ Tags: [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: source }, { Key: EXPIRES_AT_TAG, Value: expiry }] });
  it('deletes a recorded copy whose provenance tag names the recorded source and whose expiry tag is past (or now)', () => {
    expect(decideSweep(tagged('2026-05-31T23:59:59Z'), recorded, now)).toEqual({ kind: 'delete' });
    expect(decideSweep(tagged('2026-06-01T00:00:00Z'), recorded, now)).toEqual({ kind: 'delete' });
  });
  it('forgets a recorded copy that is gone from EC2', () => {
    expect(decideSweep(undefined, recorded, now)).toEqual({ kind: 'forget' });
  });
  it('keeps a copy whose expiry tag was moved later', () => {
    expect(decideSweep(tagged('2026-06-01T00:00:01Z'), recorded, now)).toEqual({ kind: 'keep', reason: 'not-expired' });
  });
  it('keeps a copy whose tags no longer say what the ledger recorded (the IAM condition would refuse it)', () => {
    expect(decideSweep(tagged('2026-05-01T00:00:00Z', 'snap-2'), recorded, now)).toEqual({ kind: 'keep', reason: 'tags-changed' });
    expect(decideSweep({ Tags: [{ Key: EXPIRES_AT_TAG, Value: '2000-01-01T00:00:00Z' }] }, recorded, now)).toEqual({ kind: 'keep', reason: 'tags-changed' });
    expect(decideSweep({ Tags: [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: 'snap-1' }] }, recorded, now)).toEqual({ kind: 'keep', reason: 'bad-expiry' });
  });
  it('keeps a copy whose expiry tag is not an ISO-8601 UTC date-time', () => {
    expect(decideSweep(tagged('tomorrow'), recorded, now)).toEqual({ kind: 'keep', reason: 'bad-expiry' });
    expect(decideSweep(tagged('2026-01-01'), recorded, now)).toEqual({ kind: 'keep', reason: 'bad-expiry' });
  });
});

describe('configuration of each entry point', () => {
  const startEnv = {
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:ebs-event-hub-snapshot-copy',
    COPY_QUEUE_ARN: 'arn:aws:sqs:us-east-1:111111111111:ebs-event-hub-snapshot-copy',
    DESTINATION_REGION: 'us-east-1',
    SOURCE_REGIONS: 'eu-west-1,us-west-2',
  };
  const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:ebs-event-hub-snapshot-copy';
  const stepEnv = {
    MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
    MAX_IN_FLIGHT_COPIES: '15',
    SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots',
    STATE_MACHINE_ARN: MACHINE,
    LEDGER_TABLE_NAME: 'ebs-event-hub-copy-ledger',
  };
  const sweepEnv = { MEMBER_ROLE_NAME: 'r', LEDGER_TABLE_NAME: 'ebs-event-hub-copy-ledger', SWEEP_KINDS: 'member-copy' };

  it('parses start, step and sweep environments', () => {
    expect(loadStartConfig({ ...startEnv, REGION_MAP: '{"eu-west-1":"eu-central-1"}' })).toEqual({
      stateMachineArn: startEnv.STATE_MACHINE_ARN,
      copyQueueArn: startEnv.COPY_QUEUE_ARN,
      destinationRegion: 'us-east-1',
      regionMap: { 'eu-west-1': 'eu-central-1' },
      sourceRegions: new Set(['eu-west-1', 'us-west-2']),
    });
    expect(loadStepConfig({ ...stepEnv, KMS_KEY_ID: 'alias/dr', COPY_TAG: 'dr=yes', RETENTION_DAYS: '30', AWS_REGION: 'eu-west-1' })).toEqual({
      memberRoleName: 'ebs-event-hub-snapshot-copy',
      maxInFlightCopies: 15,
      functionRegion: 'eu-west-1',
      slotsTableName: 'ebs-event-hub-copy-slots',
      stateMachineArn: MACHINE,
      ledgerTableName: 'ebs-event-hub-copy-ledger',
      kmsKeyId: 'alias/dr',
      copyTag: { key: 'dr', value: 'yes' },
      retentionDays: 30,
    });
    expect(loadSweepConfig({ MEMBER_ROLE_NAME: 'r', LEDGER_TABLE_NAME: 'ebs-event-hub-copy-ledger', SWEEP_KINDS: 'member-copy' })).toEqual({
      memberRoleName: 'r',
      functionRegion: 'us-east-1',
      ledgerTableName: 'ebs-event-hub-copy-ledger',
      kinds: ['member-copy'],
    });
    // Vault copies: the vault account and role come with them (a VAULT_ACCOUNT_ID without vault-copy is not read).
    expect(loadSweepConfig({ ...sweepEnv, SWEEP_KINDS: ' vault-copy , member-copy', VAULT_ACCOUNT_ID: '999999999999', VAULT_ROLE_NAME: 'ebs-event-hub-vault-copy' })).toEqual({
      memberRoleName: 'r',
      functionRegion: 'us-east-1',
      ledgerTableName: 'ebs-event-hub-copy-ledger',
      kinds: ['vault-copy', 'member-copy'],
      vault: { accountId: '999999999999', roleName: 'ebs-event-hub-vault-copy' },
    });
    expect(loadSweepConfig({ ...sweepEnv, VAULT_ACCOUNT_ID: 'not read' })).not.toHaveProperty('vault');
  });

  it('treats blank optional variables as unset', () => {
    expect(loadStepConfig({ ...stepEnv, KMS_KEY_ID: ' ', COPY_TAG: '', RETENTION_DAYS: '' })).toEqual({
      memberRoleName: 'ebs-event-hub-snapshot-copy',
      maxInFlightCopies: 15,
      functionRegion: 'us-east-1',
      slotsTableName: 'ebs-event-hub-copy-slots',
      stateMachineArn: MACHINE,
      ledgerTableName: 'ebs-event-hub-copy-ledger',
    });
  });

  it.each([
    ['STATE_MACHINE_ARN missing', () => loadStartConfig({ ...startEnv, STATE_MACHINE_ARN: '' }), /STATE_MACHINE_ARN is not set/],
    ['STATE_MACHINE_ARN not a state machine', () => loadStartConfig({ ...startEnv, STATE_MACHINE_ARN: 'arn:aws:lambda:us-east-1:1:function:f' }), /STATE_MACHINE_ARN "arn:aws:lambda.*" is not a Step Functions state machine ARN/],
    ['COPY_QUEUE_ARN missing', () => loadStartConfig({ ...startEnv, COPY_QUEUE_ARN: undefined }), /COPY_QUEUE_ARN is not set/],
    ['COPY_QUEUE_ARN not a queue', () => loadStartConfig({ ...startEnv, COPY_QUEUE_ARN: 'https://sqs.us-east-1.amazonaws.com/1/q' }), /is not an SQS queue ARN/],
    ['DESTINATION_REGION not a region', () => loadStartConfig({ ...startEnv, DESTINATION_REGION: 'useast1' }), /DESTINATION_REGION "useast1" is not an AWS region name/],
    ['SOURCE_REGIONS missing', () => loadStartConfig({ ...startEnv, SOURCE_REGIONS: undefined }), /SOURCE_REGIONS is not set: the function needs the regions it copies snapshots from/],
    ['SOURCE_REGIONS blank', () => loadStartConfig({ ...startEnv, SOURCE_REGIONS: ' ' }), /SOURCE_REGIONS is not set/],
    ['SOURCE_REGIONS with an empty entry', () => loadStartConfig({ ...startEnv, SOURCE_REGIONS: 'eu-west-1,,us-east-1' }), /SOURCE_REGIONS "eu-west-1,,us-east-1" has an empty entry at position 2/],
    ['SOURCE_REGIONS not regions', () => loadStartConfig({ ...startEnv, SOURCE_REGIONS: 'eu-west-1,["x"]' }), /SOURCE_REGIONS entry "\["x"\]" is not an AWS region name/],
    ['SOURCE_REGIONS twice', () => loadStartConfig({ ...startEnv, SOURCE_REGIONS: 'eu-west-1, eu-west-1' }), /SOURCE_REGIONS lists "eu-west-1" twice/],
    ['MAX_IN_FLIGHT_COPIES 0', () => loadStepConfig({ ...stepEnv, MAX_IN_FLIGHT_COPIES: '0' }), /MAX_IN_FLIGHT_COPIES "0" is not a whole number from 1 to 20/],
    ['MAX_IN_FLIGHT_COPIES 21', () => loadStepConfig({ ...stepEnv, MAX_IN_FLIGHT_COPIES: '21' }), /from 1 to 20/],
    ['MAX_IN_FLIGHT_COPIES 1.5', () => loadStepConfig({ ...stepEnv, MAX_IN_FLIGHT_COPIES: '1.5' }), /"1.5" is not a whole number/],
    ['MAX_IN_FLIGHT_COPIES missing', () => loadStepConfig({ MEMBER_ROLE_NAME: 'r' }), /MAX_IN_FLIGHT_COPIES is not set/],
    ['SLOTS_TABLE_NAME missing', () => loadStepConfig({ ...stepEnv, SLOTS_TABLE_NAME: ' ' }), /SLOTS_TABLE_NAME is not set: the function needs the copy-slots DynamoDB table/],
    ['SLOTS_TABLE_NAME an ARN', () => loadStepConfig({ ...stepEnv, SLOTS_TABLE_NAME: 'arn:aws:dynamodb:us-east-1:1:table/t' }), /SLOTS_TABLE_NAME "arn:aws:dynamodb:us-east-1:1:table\/t" is not a DynamoDB table name \(3-255 of \[A-Za-z0-9_.-\]\)/],
    ['SLOTS_TABLE_NAME too short', () => loadStepConfig({ ...stepEnv, SLOTS_TABLE_NAME: 'ab' }), /SLOTS_TABLE_NAME "ab" is not a DynamoDB table name/],
    ['LEDGER_TABLE_NAME missing (step)', () => loadStepConfig({ ...stepEnv, LEDGER_TABLE_NAME: '' }), /LEDGER_TABLE_NAME is not set: the function needs the copy-ledger DynamoDB table/],
    ['LEDGER_TABLE_NAME missing (sweep)', () => loadSweepConfig({ MEMBER_ROLE_NAME: 'r' }), /LEDGER_TABLE_NAME is not set: the function needs the copy-ledger DynamoDB table/],
    ['LEDGER_TABLE_NAME an ARN', () => loadSweepConfig({ MEMBER_ROLE_NAME: 'r', LEDGER_TABLE_NAME: 'arn:aws:dynamodb:us-east-1:1:table/t' }), /LEDGER_TABLE_NAME "arn:aws:dynamodb:us-east-1:1:table\/t" is not a DynamoDB table name \(3-255 of \[A-Za-z0-9_.-\]\)/],
    ['RETENTION_DAYS negative', () => loadStepConfig({ ...stepEnv, RETENTION_DAYS: '-3' }), /RETENTION_DAYS "-3" is not a whole number from 1 to 36500/],
    ['STATE_MACHINE_ARN missing on step', () => loadStepConfig({ ...stepEnv, STATE_MACHINE_ARN: '' }), /STATE_MACHINE_ARN is not set: the function needs the copy state machine whose executions hold copy slots/],
    ['STATE_MACHINE_ARN an execution ARN on step', () => loadStepConfig({ ...stepEnv, STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:execution:m:e' }), /STATE_MACHINE_ARN "arn:aws:states:us-east-1:111111111111:execution:m:e" is not a Step Functions state machine ARN/],
    ['MEMBER_ROLE_NAME missing', () => loadSweepConfig({}), /MEMBER_ROLE_NAME is not set/],
    ['MEMBER_ROLE_NAME an ARN', () => loadStepConfig({ ...stepEnv, MEMBER_ROLE_NAME: 'arn:aws:iam::1:role/r' }), /is not an IAM role name/],
    ['AWS_REGION bad', () => loadSweepConfig({ MEMBER_ROLE_NAME: 'r', AWS_REGION: 'nowhere' }), /AWS_REGION "nowhere"/],
    ['SWEEP_KINDS missing', () => loadSweepConfig({ ...sweepEnv, SWEEP_KINDS: undefined }), /SWEEP_KINDS is not set: the function needs which copies expire \(comma-separated: member-copy, vault-copy\)/],
    ['SWEEP_KINDS unknown', () => loadSweepConfig({ ...sweepEnv, SWEEP_KINDS: 'member-copy,dlm-copy' }), /SWEEP_KINDS entry 2 "dlm-copy" is not a copy kind \(allowed: member-copy, vault-copy\)/],
    ['SWEEP_KINDS empty entry', () => loadSweepConfig({ ...sweepEnv, SWEEP_KINDS: 'member-copy,' }), /SWEEP_KINDS entry 2 "" is not a copy kind/],
    ['SWEEP_KINDS twice', () => loadSweepConfig({ ...sweepEnv, SWEEP_KINDS: 'vault-copy,vault-copy', VAULT_ACCOUNT_ID: '999999999999', VAULT_ROLE_NAME: 'v' }), /SWEEP_KINDS lists "vault-copy" twice/],
    ['VAULT_ACCOUNT_ID missing with vault-copy', () => loadSweepConfig({ ...sweepEnv, SWEEP_KINDS: 'vault-copy', VAULT_ROLE_NAME: 'v' }), /VAULT_ACCOUNT_ID is not set: the function needs the vault account whose expired copies it deletes/],
    ['VAULT_ACCOUNT_ID not an account', () => loadSweepConfig({ ...sweepEnv, SWEEP_KINDS: 'vault-copy', VAULT_ACCOUNT_ID: '99', VAULT_ROLE_NAME: 'v' }), /VAULT_ACCOUNT_ID "99" is not a 12-digit AWS account ID/],
    ['VAULT_ROLE_NAME an ARN', () => loadSweepConfig({ ...sweepEnv, SWEEP_KINDS: 'vault-copy', VAULT_ACCOUNT_ID: '999999999999', VAULT_ROLE_NAME: 'arn:aws:iam::999999999999:role/v' }), /VAULT_ROLE_NAME "arn:aws:iam::999999999999:role\/v" is not an IAM role name/],
  ])('rejects %s with a ConfigurationError naming the variable', (_n, load, message) => {
    expect(configError(load)).toMatch(message);
  });

  it('parses REGION_MAP and COPY_TAG, rejecting what is not allowed', () => {
    expect(parseRegionMap(undefined)).toEqual({});
    expect(() => parseRegionMap('[1]')).toThrow(/must be a JSON object/);
    expect(() => parseRegionMap('{"eu-west-1": "x"}')).toThrow(/REGION_MAP\["eu-west-1"\]/);
    expect(parseCopyTag('a=b=c')).toEqual({ key: 'a', value: 'b=c' });
    expect(() => parseCopyTag('=x')).toThrow(/has no tag key/);
    expect(() => parseCopyTag('k=')).toThrow(/empty value/);
  });
});
