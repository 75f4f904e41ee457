/**
 * The AWS adapter and dispatch of the snapshot-copy handler, with the SDK's EC2 and STS clients mocked
 * (aws-sdk-client-mock): which commands are sent, with which input, to which region and credentials,
 * and how failures reach the SQS batch response or the bare-event rejection.
 */
import { CopySnapshotCommand, DescribeSnapshotsCommand, EC2Client, type Snapshot } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AssumedRoleCredentials, createClientProvider } from '../../handlers/snapshot-copy/clients';
import { loadConfig } from '../../handlers/snapshot-copy/config';
import { PROVENANCE_TAGS } from '../../handlers/snapshot-copy/decide';
import { RecentCopies } from '../../handlers/snapshot-copy/copier';
import { handleInvocation, type EventResult, type Runtime } from '../../handlers/snapshot-copy/dispatch';
import { CopyQuotaExceededError, MalformedEventError, SnapshotSetCopyError, SourceSnapshotNotReadyError } from '../../handlers/snapshot-copy/errors';
import {
  MEMBER_ACCOUNT,
  OWN_ACCOUNT,
  baseEnv,
  context,
  createSnapshotEvent,
  multiVolumeEvent,
  recordingLogger,
  snapshotNotification,
  sqsBatch,
  sqsRecord,
} from './support';

const ec2 = mockClient(EC2Client);
const sts = mockClient(STSClient);

type Logger = ReturnType<typeof recordingLogger>;

function runtime(env: Record<string, string> = {}, logger: Logger = recordingLogger()): Runtime & { logger: Logger } {
  const config = loadConfig({ ...baseEnv, ...env });
  return { config, logger, clients: createClientProvider({ stsRegion: config.functionRegion }) };
}

const snapshot = (id: string, overrides: Partial<Snapshot> = {}): Snapshot => ({
  SnapshotId: id,
  State: 'completed',
  OwnerId: OWN_ACCOUNT,
  Tags: [
    { Key: 'Name', Value: `disk of ${id}` },
    { Key: 'aws:dlm:lifecycle-policy-id', Value: 'policy-0123' },
  ],
  ...overrides,
});

/** Source snapshots as DescribeSnapshots(SnapshotIds) answers them; the destination holds `copies`. */
function ec2World(sources: Snapshot[], copies: Snapshot[] = []): void {
  for (const s of sources) ec2.on(DescribeSnapshotsCommand, { SnapshotIds: [s.SnapshotId!] }).resolves({ Snapshots: [s] });
  ec2.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).callsFake((input: { Filters?: Array<{ Values?: string[] }> }) => {
    const wanted = input.Filters?.[0]?.Values?.[0];
    return { Snapshots: copies.filter((c) => c.Tags?.some((t) => t.Key === PROVENANCE_TAGS.sourceSnapshotId && t.Value === wanted)) };
  });
  let n = 0;
  ec2.on(CopySnapshotCommand).callsFake(() => ({ SnapshotId: `snap-c0${++n}` }));
}

/** Region an EC2 call was sent to (the client's configured region). */
async function regionOf(call: { thisValue: unknown }): Promise<string> {
  return (call.thisValue as EC2Client).config.region();
}

const copyOf = (sourceId: string, state: string, copyId: string): Snapshot => ({
  SnapshotId: copyId,
  State: state as Snapshot['State'],
  Tags: [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: sourceId }],
});

beforeEach(() => {
  ec2.reset();
  sts.reset();
});

describe('a successful createSnapshot', () => {
  it('sends exactly one CopySnapshot to the destination region with the source region, id, description and tags', async () => {
    ec2World([snapshot('snap-0a1')]);
    const result = (await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1', region: 'us-west-2' }), context(), runtime())) as EventResult;

    expect(ec2).toHaveReceivedCommandTimes(CopySnapshotCommand, 1);
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(CopySnapshotCommand, {
      SourceRegion: 'us-west-2',
      SourceSnapshotId: 'snap-0a1',
      Description: 'Copy of snap-0a1 from us-west-2 (account 111111111111) by ebs-event-hub snapshot-copy',
      TagSpecifications: [
        {
          ResourceType: 'snapshot',
          Tags: [
            { Key: 'ebs-event-hub:source-snapshot-id', Value: 'snap-0a1' },
            { Key: 'ebs-event-hub:source-region', Value: 'us-west-2' },
            { Key: 'ebs-event-hub:source-account', Value: OWN_ACCOUNT },
            { Key: 'Name', Value: 'disk of snap-0a1' },
          ],
        },
      ],
    });
    const copyInput = ec2.commandCalls(CopySnapshotCommand)[0]!.args[0].input;
    expect(copyInput).not.toHaveProperty('Encrypted');
    expect(copyInput).not.toHaveProperty('KmsKeyId');
    expect(await regionOf(ec2.commandCalls(CopySnapshotCommand)[0]!)).toBe('us-east-1');
    expect(result.snapshots).toEqual([
      { snapshotId: 'snap-0a1', account: OWN_ACCOUNT, sourceRegion: 'us-west-2', destinationRegion: 'us-east-1', decision: 'copied', copySnapshotId: 'snap-c01' },
    ]);
  });

  it('describes the source in the source region and looks for copies in the destination region: three EC2 calls', async () => {
    ec2World([snapshot('snap-0a1')]);
    await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), runtime());

    const [source, destination] = ec2.commandCalls(DescribeSnapshotsCommand);
    expect(source!.args[0].input).toEqual({ SnapshotIds: ['snap-0a1'] });
    expect(await regionOf(source!)).toBe('us-west-2');
    expect(destination!.args[0].input).toEqual({ OwnerIds: ['self'], Filters: [{ Name: 'tag:ebs-event-hub:source-snapshot-id', Values: ['snap-0a1'] }] });
    expect(await regionOf(destination!)).toBe('us-east-1');
    expect(ec2.calls()).toHaveLength(3);
  });

  it('encrypts the copy under KMS_KEY_ID', async () => {
    ec2World([snapshot('snap-0a1')]);
    await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), runtime({ KMS_KEY_ID: 'alias/ebs-dr' }));
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(CopySnapshotCommand, { Encrypted: true, KmsKeyId: 'alias/ebs-dr' });
  });

  it('sends the copy to the REGION_MAP destination of the source region', async () => {
    ec2World([snapshot('snap-0a1')]);
    await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1', region: 'eu-west-1' }), context(), runtime({ REGION_MAP: '{"eu-west-1":"eu-central-1"}' }));
    expect(await regionOf(ec2.commandCalls(CopySnapshotCommand)[0]!)).toBe('eu-central-1');
    expect(ec2).toHaveReceivedCommandWith(CopySnapshotCommand, { SourceRegion: 'eu-west-1' });
  });

  it('logs the decision with snapshotId, account, sourceRegion, destinationRegion and copySnapshotId', async () => {
    ec2World([snapshot('snap-0a1')]);
    const rt = runtime();
    await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), rt);
    expect(rt.logger.lines).toContainEqual({
      level: 'info',
      message: 'snapshot copy started',
      attributes: { snapshotId: 'snap-0a1', account: OWN_ACCOUNT, sourceRegion: 'us-west-2', destinationRegion: 'us-east-1', decision: 'copied', copySnapshotId: 'snap-c01' },
    });
  });

  it('warns and drops user tags beyond the 50-tag limit', async () => {
    const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    ec2World([snapshot('snap-0a1', { Tags: many })]);
    const rt = runtime();
    await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), rt);
    const tags = ec2.commandCalls(CopySnapshotCommand)[0]!.args[0].input.TagSpecifications![0]!.Tags!;
    expect(tags).toHaveLength(50);
    expect(tags.map((t) => t.Key)).not.toContain('k47');
    const warning = rt.logger.lines.find((l) => l.level === 'warn');
    expect(warning?.attributes).toMatchObject({ snapshotId: 'snap-0a1', droppedTagKeys: ['k47', 'k48'] });
  });
});

describe('dedupe', () => {
  it('does not copy again when a pending copy exists in the destination', async () => {
    ec2World([snapshot('snap-0a1')], [copyOf('snap-0a1', 'pending', 'snap-c99')]);
    const rt = runtime();
    const result = (await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), rt)) as EventResult;
    expect(ec2).not.toHaveReceivedCommand(CopySnapshotCommand);
    expect(result.snapshots[0]).toMatchObject({ decision: 'already-copied', copySnapshotId: 'snap-c99' });
    expect(rt.logger.decisions()).toEqual(['already-copied']);
  });

  it('copies again when the only earlier copy is in state error', async () => {
    ec2World([snapshot('snap-0a1')], [copyOf('snap-0a1', 'error', 'snap-c98')]);
    await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), runtime());
    expect(ec2).toHaveReceivedCommandOnce(CopySnapshotCommand);
  });

  it('does not copy a duplicate event of the same batch twice while DescribeSnapshots does not show the new copy yet', async () => {
    ec2World([snapshot('snap-0a1')]); // the destination never lists the copy (eventual consistency)
    const rt = { ...runtime(), recentCopies: new RecentCopies() };
    const event = createSnapshotEvent({ snapshotId: 'snap-0a1' });
    const response = await handleInvocation(sqsBatch(sqsRecord('m-1', event), sqsRecord('m-1-duplicate', event)), context(), rt);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ec2).toHaveReceivedCommandOnce(CopySnapshotCommand);
    expect(rt.logger.decisions()).toEqual(['copied', 'already-copied']);
    expect(ec2.calls()).toHaveLength(3);
  });

  it('forgets copies it started after ten minutes and asks EC2 again', async () => {
    let now = 0;
    const recent = new RecentCopies(1000, 10 * 60_000, () => now);
    const plan = { snapshotId: 'snap-0a1', account: OWN_ACCOUNT, sourceRegion: 'us-west-2', destinationRegion: 'us-east-1' };
    recent.remember(plan, 'snap-c01');
    now += 9 * 60_000;
    expect(recent.get(plan)).toBe('snap-c01');
    expect(recent.get({ ...plan, destinationRegion: 'eu-west-1' })).toBeUndefined();
    now += 2 * 60_000;
    expect(recent.get(plan)).toBeUndefined();
  });

  it('keeps at most `capacity` recent copies, dropping the oldest', () => {
    const recent = new RecentCopies(2);
    const plan = (id: string) => ({ snapshotId: id, account: OWN_ACCOUNT, sourceRegion: 'us-west-2', destinationRegion: 'us-east-1' });
    recent.remember(plan('snap-1'), 'snap-c1');
    recent.remember(plan('snap-2'), 'snap-c2');
    recent.remember(plan('snap-3'), 'snap-c3');
    expect([recent.get(plan('snap-1')), recent.get(plan('snap-2')), recent.get(plan('snap-3'))]).toEqual([undefined, 'snap-c2', 'snap-c3']);
  });

  it('copies a redelivered multi-volume set only where no copy exists yet', async () => {
    ec2World([snapshot('snap-000a'), snapshot('snap-000b')], [copyOf('snap-000a', 'completed', 'snap-c50')]);
    const event = multiVolumeEvent([
      { id: 'snap-000a', status: 'completed' },
      { id: 'snap-000b', status: 'completed' },
    ]);
    const result = (await handleInvocation(event, context(), runtime())) as EventResult;
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(CopySnapshotCommand, { SourceSnapshotId: 'snap-000b' });
    expect(result.snapshots.map((s) => s.decision)).toEqual(['already-copied', 'copied']);
  });
});

describe('skips', () => {
  it('makes no AWS call for a copySnapshot event (copying a copy would loop)', async () => {
    const rt = runtime();
    const result = (await handleInvocation(snapshotNotification('copySnapshot'), context(), rt)) as EventResult;
    expect(ec2.calls()).toHaveLength(0);
    expect(result).toMatchObject({ decision: 'skipped-unsupported-event', snapshots: [] });
    expect(rt.logger.lines[0]!.attributes).toMatchObject({ decision: 'skipped-unsupported-event', snapshotId: 'snap-01234567', eventName: 'copySnapshot' });
  });

  it('makes no AWS call for a snapshot whose destination is its own region', async () => {
    const result = (await handleInvocation(createSnapshotEvent({ region: 'us-east-1' }), context(), runtime())) as EventResult;
    expect(ec2.calls()).toHaveLength(0);
    expect(result.snapshots[0]!.decision).toBe('skipped-same-region');
  });

  it("makes no AWS call for another account's snapshot without MEMBER_ROLE_NAME", async () => {
    const rt = runtime();
    const result = (await handleInvocation(createSnapshotEvent({ account: MEMBER_ACCOUNT }), context(), rt)) as EventResult;
    expect(ec2.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
    expect(result.snapshots[0]!.decision).toBe('skipped-foreign-account');
    expect(rt.logger.lines[0]!.attributes).toMatchObject({ decision: 'skipped-foreign-account', account: MEMBER_ACCOUNT, snapshotId: 'snap-01234567' });
  });

  it('skips a snapshot without the COPY_TAG after one describe of the source', async () => {
    ec2World([snapshot('snap-0a1', { Tags: [{ Key: 'backup', Value: 'weekly' }] })]);
    const result = (await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), runtime({ COPY_TAG: 'backup=dr' }))) as EventResult;
    expect(ec2.calls()).toHaveLength(1);
    expect(result.snapshots[0]!.decision).toBe('skipped-untagged');
  });

  it('copies a snapshot bearing the COPY_TAG', async () => {
    ec2World([snapshot('snap-0a1', { Tags: [{ Key: 'backup', Value: 'dr' }] })]);
    await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), runtime({ COPY_TAG: 'backup=dr' }));
    expect(ec2).toHaveReceivedCommandOnce(CopySnapshotCommand);
  });

  it('skips the incomplete members of a multi-volume set and copies the completed ones', async () => {
    ec2World([snapshot('snap-000a')]);
    const rt = runtime();
    await handleInvocation(multiVolumeEvent([{ id: 'snap-000a', status: 'completed' }, { id: 'snap-000b', status: 'error' }]), context(), rt);
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(CopySnapshotCommand, { SourceSnapshotId: 'snap-000a' });
    expect(rt.logger.decisions()).toEqual(['skipped-incomplete-snapshot', 'copied']);
  });
});

describe('other accounts', () => {
  const credentials = { AccessKeyId: 'ASIAMEMBER', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 3600_000) };

  it('assumes the member role of the snapshot account and runs every EC2 call with its credentials', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: credentials });
    ec2World([snapshot('snap-0f1', { OwnerId: MEMBER_ACCOUNT })]);
    await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0f1', account: MEMBER_ACCOUNT }), context(), runtime({ MEMBER_ROLE_NAME: 'EbsEventHubCopier' }));

    expect(ec2).toHaveReceivedCommandOnce(CopySnapshotCommand);
    // With send() mocked the SDK never signs, so resolve each client's credentials as signing would.
    expect(ec2.calls()).toHaveLength(3);
    for (const call of ec2.calls()) {
      const client = call.thisValue as EC2Client;
      const creds = await (client.config.credentials as () => Promise<{ accessKeyId: string; sessionToken?: string }>)();
      expect(creds).toMatchObject({ accessKeyId: 'ASIAMEMBER', sessionToken: 'token' });
    }
    expect(sts).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::222222222222:role/EbsEventHubCopier',
      RoleSessionName: 'snapshot-copy-snap-0f1',
    });
    expect(await (sts.calls()[0]!.thisValue as STSClient).config.region()).toBe('us-east-1');
  });

  it('assumes a role once per account and reuses the credentials across regions and snapshots', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: credentials });
    ec2World([snapshot('snap-0f1'), snapshot('snap-0f2')]);
    const rt = runtime({ MEMBER_ROLE_NAME: 'EbsEventHubCopier' });
    for (const id of ['snap-0f1', 'snap-0f2']) {
      await handleInvocation(createSnapshotEvent({ snapshotId: id, account: MEMBER_ACCOUNT }), context(), rt);
    }
    // Credentials are resolved lazily by the SDK: resolve them for every client that sent something.
    for (const call of ec2.calls()) await (call.thisValue as EC2Client).config.credentials();
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(ec2).toHaveReceivedCommandTimes(CopySnapshotCommand, 2);
  });

  it('assumes the role again only within five minutes of expiry, and shares one request between concurrent callers', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    let issued = 0;
    sts.on(AssumeRoleCommand).callsFake(() => ({
      Credentials: { ...credentials, AccessKeyId: `ASIA${++issued}`, Expiration: new Date(now + 3600_000) },
    }));
    const roles = new AssumedRoleCredentials(() => new STSClient({ region: 'us-east-1' }), () => now);
    const roleArn = 'arn:aws:iam::222222222222:role/EbsEventHubCopier';
    const [a, b] = await Promise.all([roles.get(roleArn), roles.get(roleArn)]);
    expect([a.accessKeyId, b.accessKeyId]).toEqual(['ASIA1', 'ASIA1']);
    now += 54 * 60_000; // 6 minutes left: still cached
    expect((await roles.get(roleArn)).accessKeyId).toBe('ASIA1');
    now += 2 * 60_000; // 4 minutes left: refreshed
    expect((await roles.get(roleArn)).accessKeyId).toBe('ASIA2');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('fails the snapshot when AssumeRole is refused, and tries again on the next call', async () => {
    sts.on(AssumeRoleCommand).rejectsOnce(Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' })).resolves({ Credentials: credentials });
    const roles = new AssumedRoleCredentials(() => new STSClient({ region: 'us-east-1' }));
    const roleArn = 'arn:aws:iam::222222222222:role/EbsEventHubCopier';
    await expect(roles.get(roleArn)).rejects.toMatchObject({ name: 'AccessDenied' });
    expect((await roles.get(roleArn)).accessKeyId).toBe('ASIAMEMBER');
  });

  it("uses the function's own credentials for its own snapshots", async () => {
    ec2World([snapshot('snap-0a1')]);
    await handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), runtime({ MEMBER_ROLE_NAME: 'EbsEventHubCopier' }));
    expect(sts.calls()).toHaveLength(0);
  });
});

describe('failures', () => {
  it('fails the record with CopyQuotaExceededError on ResourceLimitExceeded and says the queue will retry', async () => {
    ec2World([snapshot('snap-0a1')]);
    ec2.on(CopySnapshotCommand).rejects(Object.assign(new Error('Too many snapshot copies in progress.'), { name: 'ResourceLimitExceeded' }));
    const rt = runtime();
    const outcome = handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), rt);
    await expect(outcome).rejects.toBeInstanceOf(CopyQuotaExceededError);
    await expect(outcome).rejects.toThrow(/snap-0a1 to us-east-1 .*ResourceLimitExceeded: Too many snapshot copies in progress.*the queue will retry/);
    const warning = rt.logger.lines.find((l) => l.level === 'warn');
    expect(warning?.message).toMatch(/will be retried by the queue/);
    expect(warning?.attributes).toMatchObject({ decision: 'failed', snapshotId: 'snap-0a1', destinationRegion: 'us-east-1' });
  });

  it('rejects a bare event when the copy fails, with the SDK error', async () => {
    ec2World([snapshot('snap-0a1')]);
    ec2.on(CopySnapshotCommand).rejects(Object.assign(new Error('not authorized to perform ec2:CopySnapshot'), { name: 'UnauthorizedOperation' }));
    await expect(handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), runtime())).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });

  it('rejects a bare malformed event with MalformedEventError and copies nothing', async () => {
    const event = createSnapshotEvent();
    (event['detail'] as Record<string, unknown>)['snapshot_id'] = 'arn:aws:ec2::us-west-2:snapshot/xyz';
    await expect(handleInvocation(event, context(), runtime())).rejects.toThrow(new MalformedEventError('detail.snapshot_id "arn:aws:ec2::us-west-2:snapshot/xyz" has no snap- id'));
    expect(ec2.calls()).toHaveLength(0);
  });

  it('rejects input that is neither an SQS batch nor an EventBridge event', async () => {
    await expect(handleInvocation({ hello: 'world' }, context(), runtime())).rejects.toThrow(/neither an SQS batch .* nor an EventBridge event/);
  });

  it('fails (for the queue to retry) while the source snapshot is not completed', async () => {
    ec2World([snapshot('snap-0a1', { State: 'pending' })]);
    await expect(handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), runtime())).rejects.toBeInstanceOf(SourceSnapshotNotReadyError);
    expect(ec2).not.toHaveReceivedCommand(CopySnapshotCommand);
  });

  it('fails when the source snapshot no longer exists', async () => {
    ec2.on(DescribeSnapshotsCommand).rejects(Object.assign(new Error("The snapshot 'snap-0a1' does not exist."), { name: 'InvalidSnapshot.NotFound' }));
    await expect(handleInvocation(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context(), runtime())).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect(ec2).not.toHaveReceivedCommand(CopySnapshotCommand);
  });

  it('fails a multi-volume record when one copy fails, after copying the others', async () => {
    ec2World([snapshot('snap-000a'), snapshot('snap-000b')]);
    ec2.on(CopySnapshotCommand, { SourceSnapshotId: 'snap-000a' }).rejects(Object.assign(new Error('Too many'), { name: 'ResourceLimitExceeded' }));
    const event = multiVolumeEvent([{ id: 'snap-000a', status: 'completed' }, { id: 'snap-000b', status: 'completed' }]);
    await expect(handleInvocation(event, context(), runtime())).rejects.toBeInstanceOf(CopyQuotaExceededError);
    expect(ec2).toHaveReceivedCommandWith(CopySnapshotCommand, { SourceSnapshotId: 'snap-000b' });
  });

  it('names every failure of a multi-volume set', async () => {
    ec2World([snapshot('snap-000a'), snapshot('snap-000b')]);
    ec2.on(CopySnapshotCommand).rejects(Object.assign(new Error('Too many'), { name: 'ResourceLimitExceeded' }));
    const event = multiVolumeEvent([{ id: 'snap-000a', status: 'completed' }, { id: 'snap-000b', status: 'completed' }]);
    const error = await handleInvocation(event, context(), runtime()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SnapshotSetCopyError);
    expect((error as SnapshotSetCopyError).errors.map((e) => e.name)).toEqual(['CopyQuotaExceededError', 'CopyQuotaExceededError']);
    expect((error as Error).message).toMatch(/2 snapshot copies of the set failed: .*snap-000a.*snap-000b/);
  });
});

describe('SQS batches', () => {
  it('names only the failed messages in batchItemFailures', async () => {
    ec2World([snapshot('snap-0a1'), snapshot('snap-0a2'), snapshot('snap-0a3')]);
    ec2.on(CopySnapshotCommand, { SourceSnapshotId: 'snap-0a3' }).rejects(Object.assign(new Error('Too many snapshot copies in progress.'), { name: 'ResourceLimitExceeded' }));
    const noSnapId = createSnapshotEvent();
    (noSnapId['detail'] as Record<string, unknown>)['snapshot_id'] = 'arn:aws:ec2::us-west-2:snapshot/xyz';
    const rt = runtime();
    const response = (await handleInvocation(
      sqsBatch(
        sqsRecord('m-ok', createSnapshotEvent({ snapshotId: 'snap-0a1' })),
        sqsRecord('m-not-json', '{"detail-type": "EBS Snapshot Notification",'),
        sqsRecord('m-quota', createSnapshotEvent({ snapshotId: 'snap-0a3' })),
        sqsRecord('m-skip', snapshotNotification('copySnapshot')),
        sqsRecord('m-malformed', noSnapId),
        sqsRecord('m-ok-2', createSnapshotEvent({ snapshotId: 'snap-0a2', arnLayout: 'region-second' })),
      ),
      context(),
      rt,
    )) as SQSBatchResponse;

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-not-json' }, { itemIdentifier: 'm-quota' }, { itemIdentifier: 'm-malformed' }] });
    expect(ec2.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0a1', 'snap-0a3', 'snap-0a2']);
    const notJson = rt.logger.lines.find((l) => l.attributes['messageId'] === 'm-not-json');
    expect(notJson?.message).toMatch(/MalformedEventError: SQS message body is not JSON/);
    expect(notJson?.attributes).toMatchObject({ decision: 'failed', receiveCount: 1 });
  });

  it('answers an all-good batch with no failures', async () => {
    ec2World([snapshot('snap-0a1')]);
    const response = await handleInvocation(sqsBatch(sqsRecord('m-1', createSnapshotEvent({ snapshotId: 'snap-0a1' }))), context(), runtime());
    expect(response).toEqual({ batchItemFailures: [] });
  });
});

describe('the Lambda entry (index.ts)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    vi.restoreAllMocks();
  });

  async function freshContainer(env: Record<string, string>): Promise<(event: unknown, ctx: Context) => Promise<unknown>> {
    vi.resetModules();
    process.env = { ...saved, ...env };
    delete process.env['POWERTOOLS_DEV'];
    return (await import('../../handlers/snapshot-copy/index')).handler;
  }

  it('builds the configuration once per container, not per event', async () => {
    const handler = await freshContainer({ DESTINATION_REGION: 'us-east-1', AWS_REGION: 'us-east-1' });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    ec2World([snapshot('snap-0a1'), snapshot('snap-0a2')]);
    await handler(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context());
    process.env['DESTINATION_REGION'] = 'eu-west-1';
    await handler(createSnapshotEvent({ snapshotId: 'snap-0a2' }), context());
    const regions = await Promise.all(ec2.commandCalls(CopySnapshotCommand).map(regionOf));
    expect(regions).toEqual(['us-east-1', 'us-east-1']);
  });

  it('rejects with a ConfigurationError when DESTINATION_REGION is missing', async () => {
    const handler = await freshContainer({ DESTINATION_REGION: '' });
    await expect(handler(createSnapshotEvent(), context())).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringMatching(/DESTINATION_REGION is not set/) });
    expect(ec2.calls()).toHaveLength(0);
  });

  it('writes structured JSON logs for service snapshot-copy with the decision keys', async () => {
    const handler = await freshContainer({ DESTINATION_REGION: 'us-east-1', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'INFO' });
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    ec2World([snapshot('snap-0a1')]);
    await handler(createSnapshotEvent({ snapshotId: 'snap-0a1' }), context());
    const lines = written.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        service: 'snapshot-copy',
        message: 'snapshot copy started',
        snapshotId: 'snap-0a1',
        account: OWN_ACCOUNT,
        sourceRegion: 'us-west-2',
        destinationRegion: 'us-east-1',
        decision: 'copied',
        copySnapshotId: 'snap-c01',
        function_request_id: 'c0ffee00-0000-4000-8000-000000000000',
      }),
    );
  });
});
