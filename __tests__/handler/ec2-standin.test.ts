/**
 * The EC2 stand-in's claims about EC2, checked through the real SDK (what the workflow tests rely on):
 * the 20-copy quota, copy states and StateMessage, eventual consistency, deletion, archive tier,
 * throttling and pagination, answered the way the EC2 API reference describes.
 */
import { CopySnapshotCommand, DeleteSnapshotCommand, DescribeLockedSnapshotsCommand, DescribeSnapshotsCommand, EC2Client, LockSnapshotCommand, ModifySnapshotAttributeCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { startEc2Standin, type Ec2Standin, type StandinOptions } from '../../scripts/support/ec2-standin';
import { LOCKED_SNAPSHOT_DELETE_CODE } from '../../scripts/support/snapshot-rules';
import { OWN_ACCOUNT } from './support';

let standin: Ec2Standin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function ec2(options: Partial<StandinOptions> = {}, maxAttempts = 1): Promise<{ s: Ec2Standin; client: (region: string) => EC2Client }> {
  standin = await startEc2Standin({ defaultAccount: OWN_ACCOUNT, ...options });
  const s = standin;
  return { s, client: (region) => new EC2Client({ region, endpoint: s.url, maxAttempts, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' } }) };
}
const source = (id: string) => ({ snapshotId: id, region: 'us-west-2', ownerId: OWN_ACCOUNT, state: 'completed' as const, tags: [] });
const copy = (client: EC2Client, id: string) => client.send(new CopySnapshotCommand({ SourceRegion: 'us-west-2', SourceSnapshotId: id }));

describe('the EC2 stand-in', () => {
  it('refuses the 21st concurrent copy to one region with ResourceLimitExceeded (400), and accepts again once one completes', async () => {
    const { s, client } = await ec2({ copyDurationMs: 1e12 });
    for (let i = 0; i < 21; i++) s.addSnapshot(source(`snap-0${i.toString().padStart(8, '0')}`));
    const east = client('us-east-1');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await copy(east, `snap-0${i.toString().padStart(8, '0')}`)).SnapshotId!);
    await expect(copy(east, 'snap-000000020')).rejects.toMatchObject({ name: 'ResourceLimitExceeded', $metadata: { httpStatusCode: 400 } });
    await expect(copy(client('eu-west-1'), 'snap-000000020')).resolves.toMatchObject({ SnapshotId: expect.any(String) }); // per destination region
    s.settleNow([ids[0]!]);
    await expect(copy(east, 'snap-000000020')).resolves.toMatchObject({ SnapshotId: expect.any(String) });
  });

  it('ends a scripted copy in error with a StateMessage, others in completed', async () => {
    const { s, client } = await ec2({ copyDurationMs: 0 });
    s.addSnapshot(source('snap-0000000a'));
    s.failCopiesOf('snap-0000000a', 'The KMS key is disabled', 1);
    const east = client('us-east-1');
    const bad = (await copy(east, 'snap-0000000a')).SnapshotId!;
    const good = (await copy(east, 'snap-0000000a')).SnapshotId!;
    const out = await east.send(new DescribeSnapshotsCommand({ SnapshotIds: [bad, good] }));
    expect(out.Snapshots!.map((x) => [x.State, x.StateMessage])).toEqual([
      ['error', 'The KMS key is disabled'],
      ['completed', undefined],
    ]);
  });

  it('hides a new copy from DescribeSnapshots for visibilityDelayMs (eventual consistency)', async () => {
    const { s, client } = await ec2({ copyDurationMs: 0, visibilityDelayMs: 60_000 });
    s.addSnapshot(source('snap-0000000b'));
    const east = client('us-east-1');
    const id = (await copy(east, 'snap-0000000b')).SnapshotId!;
    await expect(east.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect((await east.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots).toEqual([]);
  });

  it('makes the copy, then answers 500 InternalError or resets the connection (ambiguous)', async () => {
    const { s, client } = await ec2({ copyDurationMs: 0 });
    s.addSnapshot(source('snap-0000000c'));
    s.ambiguousAfterCopy('500');
    s.ambiguousAfterCopy('reset');
    const east = client('us-east-1');
    await expect(copy(east, 'snap-0000000c')).rejects.toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    await expect(copy(east, 'snap-0000000c')).rejects.toThrow();
    expect(s.snapshots().filter((x) => x.copiedFrom?.snapshotId === 'snap-0000000c')).toHaveLength(2);
  });

  it('answers InvalidSnapshot.NotFound after a deletion, and describes the archive tier', async () => {
    const { s, client } = await ec2();
    s.addSnapshot({ ...source('snap-0000000d'), storageTier: 'archive' });
    const west = client('us-west-2');
    expect((await west.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0000000d'] }))).Snapshots![0]!.StorageTier).toBe('archive');
    await west.send(new DeleteSnapshotCommand({ SnapshotId: 'snap-0000000d' }));
    await expect(west.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0000000d'] }))).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    await expect(copy(client('us-east-1'), 'snap-0000000d')).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
  });

  it('throttles with RequestLimitExceeded (503) once the token bucket is empty, and refuses denied accounts (403)', async () => {
    const { s, client } = await ec2({ requestRate: { perSecond: 0.001, burst: 2 } });
    const west = client('us-west-2');
    await west.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    await west.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    await expect(west.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).rejects.toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
    s.denyAccounts.add(OWN_ACCOUNT);
    await expect(west.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).rejects.toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
  });

  it('filters by snapshot-id (absent ids simply missing), refuses a filter it does not know, and describes a Local Zone, a KMS key and StartTime', async () => {
    const { s, client } = await ec2({ now: () => Date.parse('2026-03-01T10:00:00Z') });
    s.addSnapshot({ ...source('snap-2000000a'), availabilityZone: 'us-west-2-lax-1a', encrypted: true, kmsKeyId: 'arn:aws:kms:us-west-2:999999999999:key/k' });
    s.addSnapshot(source('snap-2000000b'));
    const west = client('us-west-2');
    const found = await west.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: ['snap-2000000a', 'snap-gone'] }] }));
    expect(found.Snapshots!.map((x) => [x.SnapshotId, x.AvailabilityZone, x.Encrypted, x.KmsKeyId])).toEqual([['snap-2000000a', 'us-west-2-lax-1a', true, 'arn:aws:kms:us-west-2:999999999999:key/k']]);
    await expect(west.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'volume-size', Values: ['8'] }] }))).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    // A copy's StartTime is when CopySnapshot made it, on the stand-in's clock or the one given.
    const made = (await copy(client('us-east-1'), 'snap-2000000b')).SnapshotId!;
    s.setReportedClock(() => new Date('2030-01-01T00:00:00Z'));
    const later = (await copy(client('us-east-1'), 'snap-2000000b')).SnapshotId!;
    const described = await client('us-east-1').send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'snapshot-id', Values: [made, later] }] }));
    expect(described.Snapshots!.map((x) => x.StartTime!.toISOString())).toEqual(['2026-03-01T10:00:00.000Z', '2030-01-01T00:00:00.000Z']);
  });

  it('pages DescribeSnapshots with MaxResults and NextToken', async () => {
    const { s, client } = await ec2();
    for (let i = 0; i < 7; i++) s.addSnapshot(source(`snap-1${i.toString().padStart(8, '0')}`));
    const west = client('us-west-2');
    const first = await west.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 5 }));
    const second = await west.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 5, NextToken: first.NextToken! }));
    expect([first.Snapshots!.length, second.Snapshots!.length, second.NextToken]).toEqual([5, 2, undefined]);
  });
});

/**
 * Vault mode's claims (scripts/support/snapshot-rules.ts cites the pages): sharing, copying another
 * account's snapshot, snapshot lock, deleting a locked snapshot. Both stand-ins apply the same rules;
 * here through the real SDK, as two accounts (the vault's keys from the stand-in's AssumeRole).
 */
describe('the EC2 stand-in, vault mode', () => {
  const VAULT = '999999999999';
  const DAY = 86_400_000;
  let t = Date.parse('2026-01-05T00:00:00Z');
  const clock = () => t;

  /** A client of `account` (the stand-in's own for OWN_ACCOUNT, else keys from its AssumeRole). */
  async function as(s: Ec2Standin, account: string, region = 'us-east-1'): Promise<EC2Client> {
    if (account === OWN_ACCOUNT) return new EC2Client({ region, endpoint: s.url, maxAttempts: 1, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' } });
    const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const sts = new STSClient({ region, endpoint: s.url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' } });
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/ebs-event-hub-vault-copy`, RoleSessionName: 'test' }))).Credentials!;
    return new EC2Client({ region, endpoint: s.url, maxAttempts: 1, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } });
  }
  const member = (id: string, extra: Partial<Parameters<Ec2Standin['addSnapshot']>[0]> = {}) => ({ snapshotId: id, region: 'us-east-1', ownerId: OWN_ACCOUNT, state: 'completed' as const, tags: [], encrypted: true, kmsKeyId: 'alias/ebs-event-hub-dr', ...extra });
  const share = (client: EC2Client, id: string, operation: 'add' | 'remove' = 'add') =>
    client.send(new ModifySnapshotAttributeCommand({ SnapshotId: id, Attribute: 'createVolumePermission', OperationType: operation, UserIds: [VAULT] }));
  const vaultCopy = (client: EC2Client, id: string) => client.send(new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: id, Encrypted: true, KmsKeyId: 'alias/ebs-event-hub-vault' }));

  it('shares with ModifySnapshotAttribute idempotently (adding twice, removing what is not there), refuses the default EBS key (OperationNotPermitted) and a missing snapshot (NotFound)', async () => {
    const { s } = await ec2({ copyDurationMs: 0 });
    const client = await as(s, OWN_ACCOUNT);
    s.addSnapshot(member('snap-0000000c'));
    await share(client, 'snap-0000000c');
    await share(client, 'snap-0000000c');
    expect([...s.snapshots()[0]!.sharedWith!]).toEqual([VAULT]);
    await share(client, 'snap-0000000c', 'remove');
    await share(client, 'snap-0000000c', 'remove');
    expect([...s.snapshots()[0]!.sharedWith!]).toEqual([]);
    s.addSnapshot(member('snap-0000000d', { kmsKeyId: undefined }));
    await expect(share(client, 'snap-0000000d')).rejects.toMatchObject({ name: 'OperationNotPermitted' });
    await expect(share(client, 'snap-0000000f')).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    // Only the owner modifies its permissions: for the vault, the member's snapshot does not exist.
    await expect(share(await as(s, VAULT), 'snap-0000000c')).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
  });

  it("copies another account's snapshot only once it is shared (else NotFound), and the copy ends in error when the caller may not use the source's key", async () => {
    const { s } = await ec2({ copyDurationMs: 0 });
    const owner = await as(s, OWN_ACCOUNT);
    const vault = await as(s, VAULT);
    s.addSnapshot(member('snap-0000000c'));
    await expect(vaultCopy(vault, 'snap-0000000c')).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound', $metadata: { httpStatusCode: 400 } });
    await share(owner, 'snap-0000000c');
    const denied = (await vaultCopy(vault, 'snap-0000000c')).SnapshotId!;
    s.allowKeyUse(OWN_ACCOUNT, 'alias/ebs-event-hub-dr', VAULT);
    const allowed = (await vaultCopy(vault, 'snap-0000000c')).SnapshotId!;
    const [a, b] = (await vault.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], SnapshotIds: [denied, allowed] }))).Snapshots!;
    expect(a).toMatchObject({ State: 'error', StateMessage: expect.stringMatching(/KMS key alias\/ebs-event-hub-dr of account 111111111111 is not accessible/) });
    expect(b).toMatchObject({ State: 'completed', OwnerId: VAULT, KmsKeyId: 'alias/ebs-event-hub-vault' });
    // Unshared again: the vault cannot copy it any more.
    await share(owner, 'snap-0000000c', 'remove');
    await expect(vaultCopy(vault, 'snap-0000000c')).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
  });

  it('locks with LockDuration (a pending snapshot: its duration starts when it completes), reports the states, and refuses DeleteSnapshot while locked', async () => {
    t = Date.parse('2026-01-05T00:00:00Z');
    const { s } = await ec2({ copyDurationMs: DAY, now: clock });
    const client = await as(s, OWN_ACCOUNT);
    s.addSnapshot(source('snap-0000000a'));
    const pending = (await copy(client, 'snap-0000000a')).SnapshotId!;
    const locked = await client.send(new LockSnapshotCommand({ SnapshotId: pending, LockMode: 'compliance', LockDuration: 2, CoolOffPeriod: 1 }));
    expect(locked).toMatchObject({ LockState: 'compliance-cooloff', LockDuration: 2, CoolOffPeriod: 1 });
    expect(locked.LockDurationStartTime).toBeUndefined();
    const described = async () => (await client.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [pending] }))).Snapshots![0]!;
    t += 2 * 3_600_000; // cooling-off over, still pending
    const after = await described();
    expect(after, JSON.stringify(after)).toMatchObject({ LockState: 'compliance' });
    await expect(client.send(new DeleteSnapshotCommand({ SnapshotId: pending }))).rejects.toMatchObject({ name: LOCKED_SNAPSHOT_DELETE_CODE, $metadata: { httpStatusCode: 400 } });
    t += DAY; // completed: the 2 days start now
    expect((await described()).LockDurationStartTime).toEqual(new Date(Date.parse('2026-01-05T00:00:00Z') + DAY));
    t += 2 * DAY - 3 * 3_600_000; // an hour before the end of the 2 days from completion
    expect(await described()).toMatchObject({ LockState: 'compliance' });
    t += 3_600_000;
    expect(await described()).toMatchObject({ LockState: 'expired' });
    await expect(client.send(new DeleteSnapshotCommand({ SnapshotId: pending }))).resolves.toBeDefined();
  });

  it('re-locks as the API reference says: governance and cooling-off locks may change; a compliance lock past its cooling-off only lengthens, without CoolOffPeriod', async () => {
    t = Date.parse('2026-01-05T00:00:00Z');
    const { s } = await ec2({ now: clock });
    const client = await as(s, OWN_ACCOUNT);
    s.addSnapshot(member('snap-0000000a'));
    const lock = (input: Omit<ConstructorParameters<typeof LockSnapshotCommand>[0], 'SnapshotId'>) => client.send(new LockSnapshotCommand({ SnapshotId: 'snap-0000000a', ...input }));
    await expect(lock({ LockMode: 'governance', LockDuration: 30, CoolOffPeriod: 1 })).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(lock({ LockMode: 'governance' })).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(lock({ LockMode: 'governance', LockDuration: 36_501 })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(lock({ LockMode: 'compliance', LockDuration: 30, CoolOffPeriod: 73 })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    expect(await lock({ LockMode: 'governance', LockDuration: 30 })).toMatchObject({ LockState: 'governance', LockDuration: 30 });
    expect(await lock({ LockMode: 'governance', LockDuration: 10 })).toMatchObject({ LockState: 'governance', LockDuration: 10 }); // governance: may shorten
    expect(await lock({ LockMode: 'compliance', LockDuration: 20, CoolOffPeriod: 1 })).toMatchObject({ LockState: 'compliance-cooloff', LockDuration: 20 });
    t += 2 * 3_600_000;
    await expect(lock({ LockMode: 'compliance', LockDuration: 10 })).rejects.toMatchObject({ name: 'IncorrectState' });
    await expect(lock({ LockMode: 'governance', LockDuration: 40 })).rejects.toMatchObject({ name: 'IncorrectState' });
    await expect(lock({ LockMode: 'compliance', LockDuration: 40, CoolOffPeriod: 1 })).rejects.toMatchObject({ name: 'IncorrectState' });
    expect(await lock({ LockMode: 'compliance', LockDuration: 40 })).toMatchObject({ LockState: 'compliance', LockDuration: 40 });
    // Not locked: not listed.
    s.addSnapshot(member('snap-0000000b'));
    expect((await client.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: ['snap-0000000b'] }))).Snapshots).toEqual([]);
  });
});
