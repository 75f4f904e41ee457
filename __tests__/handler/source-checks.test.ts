/**
 * Snapshots the member role cannot copy to another region, and how each ends: Local Zone snapshots
 * (a logged skip, like archive-tier and Outpost ones) and snapshots under another account's customer
 * managed key (a named terminal error), decided from what DescribeSnapshots reports; and the reason
 * a final CopyFailed names when EC2's state message names KMS. Pure decisions first, then the REAL
 * definition offline against the EC2 stand-in.
 */
import { describe, expect, it } from 'vitest';
import { copyFailureHint, decideOnSource, kmsKeyAccount, type CopyInput } from '../../handlers/snapshot-copy/decide';
import type { StandinSnapshot } from '../../scripts/support/ec2-standin';
import { STATES } from '../../stacks/central/copy-workflow';
import { LocalWorkflow, ec2StandinForTests, snapshotDeliverer } from './local-workflow';
import { MEMBER_ACCOUNT, recordingLogger } from './support';

const input: CopyInput = { account: MEMBER_ACCOUNT, sourceRegion: 'us-west-2', snapshotId: 'snap-0abc1234', destinationRegion: 'us-east-1' };
const completed = { State: 'completed' as const, OwnerId: MEMBER_ACCOUNT, StorageTier: 'standard' as const, Tags: [{ Key: 'Name', Value: 'db' }] };
const FOREIGN_KEY = 'arn:aws:kms:us-west-2:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OWN_KEY = `arn:aws:kms:us-west-2:${MEMBER_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

describe('decideOnSource: Local Zone snapshots', () => {
  it('skips a local snapshot (AvailabilityZone names its Local Zone), naming the zone, the parent region and the refused destination', () => {
    expect(decideOnSource(input, { ...completed, AvailabilityZone: 'us-west-2-lax-1a' }, undefined)).toEqual({
      kind: 'skip',
      decision: 'skipped-local-zone',
      reason: expect.stringMatching(/zone us-west-2-lax-1a.*parent region us-west-2, never to us-east-1/),
    });
  });
  it('copies a regional snapshot (no AvailabilityZone, or an empty one)', () => {
    expect(decideOnSource(input, completed, undefined).kind).toBe('copy');
    expect(decideOnSource(input, { ...completed, AvailabilityZone: '' }, undefined).kind).toBe('copy');
  });
  it('skips a pending local snapshot at once rather than waiting for it', () => {
    expect(decideOnSource(input, { ...completed, State: 'pending', AvailabilityZone: 'us-west-2-lax-1a' }, undefined)).toMatchObject({ decision: 'skipped-local-zone' });
  });
});

describe("decideOnSource: another account's customer managed key", () => {
  it('reads the account of a KMS key ARN, and nothing from a key id or an alias', () => {
    expect(kmsKeyAccount(FOREIGN_KEY)).toBe('999999999999');
    expect(kmsKeyAccount('arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k')).toBe('123456789012');
    expect(kmsKeyAccount('1234abcd-12ab-34cd-56ef-1234567890ab')).toBeUndefined();
    expect(kmsKeyAccount(`arn:aws:kms:us-west-2:${MEMBER_ACCOUNT}:alias/aws/ebs`)).toBeUndefined();
    expect(kmsKeyAccount(undefined)).toBeUndefined();
  });
  it('refuses an encrypted source whose KmsKeyId names another account, even while it is pending', () => {
    const expected = { kind: 'key-not-accessible', keyArn: FOREIGN_KEY, keyAccount: '999999999999' };
    expect(decideOnSource(input, { ...completed, Encrypted: true, KmsKeyId: FOREIGN_KEY }, undefined)).toEqual(expected);
    expect(decideOnSource(input, { ...completed, State: 'pending', Encrypted: true, KmsKeyId: FOREIGN_KEY }, undefined)).toEqual(expected);
  });
  it("copies a source under the account's own key, a key given by id, or an unencrypted one", () => {
    expect(decideOnSource(input, { ...completed, Encrypted: true, KmsKeyId: OWN_KEY }, undefined).kind).toBe('copy');
    expect(decideOnSource(input, { ...completed, Encrypted: true, KmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }, undefined).kind).toBe('copy');
    expect(decideOnSource(input, { ...completed, Encrypted: false }, undefined).kind).toBe('copy');
  });
  it('skips an untagged source (COPY_TAG) before looking at its key: not copying it is not a failure', () => {
    expect(decideOnSource(input, { ...completed, Encrypted: true, KmsKeyId: FOREIGN_KEY }, { key: 'dr' })).toMatchObject({ decision: 'skipped-untagged' });
  });
});

describe('copyFailureHint: the reason a final CopyFailed names', () => {
  const keys = { sourceKeyId: OWN_KEY, destinationKeyId: 'alias/dr', destinationRegion: 'us-east-1' };
  it('names KMS and both keys when EC2\'s state message names a key', () => {
    expect(copyFailureHint('The KMS key arn:aws:kms:us-east-1:222222222222:key/k-1 is disabled', keys)).toBe(
      `reason: KMS (EC2's state message names a key): the copy role, or a key policy, does not let EC2 use source key ${OWN_KEY} or destination key alias/dr`,
    );
    expect(copyFailureHint('kms:Decrypt denied', { destinationRegion: 'us-east-1' })).toContain('destination key (the default EBS key of us-east-1)');
  });
  it('says nothing it does not know: another message, or none', () => {
    expect(copyFailureHint('Internal error', keys)).toBeUndefined();
    expect(copyFailureHint(undefined, keys)).toBeUndefined();
  });
});

describe('the workflow, offline, against the EC2 stand-in', () => {
  const ec2 = ec2StandinForTests({ copyDurationMs: 20 });

  const run = async (snapshot: StandinSnapshot) => {
    const logger = recordingLogger();
    const workflow = new LocalWorkflow({ logger });
    ec2().setReportedClock(workflow.now);
    ec2().addSnapshot(snapshot);
    await snapshotDeliverer(workflow, logger, { DESTINATION_REGION: 'us-east-1', SOURCE_REGIONS: 'us-west-2' }, MEMBER_ACCOUNT)(snapshot.snapshotId, 'us-west-2');
    await workflow.settle();
    const execution = workflow.executions.get(`${MEMBER_ACCOUNT}-us-west-2-${snapshot.snapshotId}-us-east-1`)!;
    return { logger, workflow, execution };
  };
  const source = (over: Partial<StandinSnapshot>): StandinSnapshot => ({ snapshotId: 'snap-0feedfacecafe0001', region: 'us-west-2', ownerId: MEMBER_ACCOUNT, state: 'completed', tags: [], ...over });

  it('GIVEN a local snapshot in a Local Zone THEN the execution ends as a logged skip, without CopySnapshot or a slot', async () => {
    const { logger, workflow, execution } = await run(source({ availabilityZone: 'us-west-2-lax-1a' }));
    expect(execution.status).toBe('SUCCEEDED');
    expect(workflow.path(execution.name)).toEqual([STATES.prepare, STATES.inspect, STATES.sourceChoice, STATES.skipped]);
    expect(ec2().calls('CopySnapshot')).toHaveLength(0);
    expect(logger.lines.find((l) => l.attributes['decision'] === 'skipped-local-zone')!.message).toContain('us-west-2-lax-1a');
  });

  it('GIVEN a regional snapshot of the same account THEN it is copied (the Local Zone check does not catch it)', async () => {
    const { execution } = await run(source({}));
    expect(execution.status).toBe('SUCCEEDED');
    expect(ec2().calls('CopySnapshot')).toHaveLength(1);
  });

  it("GIVEN a source under another account's customer managed key THEN the execution fails at once with SourceKeyNotAccessible naming the snapshot, the key and what to do; no copy, no slot", async () => {
    const s = source({ encrypted: true, kmsKeyId: FOREIGN_KEY });
    const { logger, workflow, execution } = await run(s);
    expect(execution.status).toBe('FAILED');
    expect(execution.error!.cause!.name).toBe('SourceKeyNotAccessible');
    const cause = execution.error!.cause!.message;
    for (const part of [s.snapshotId, MEMBER_ACCOUNT, FOREIGN_KEY, 'account 999999999999', 'ebs-event-hub-snapshot-copy', 'Re-encrypt it under a key of account', 'snapshotCopy.copyTag']) expect(cause).toContain(part);
    expect(workflow.path(execution.name)).toEqual([STATES.prepare, STATES.inspect]);
    expect(workflow.retries(execution.name, STATES.inspect)).toBe(0);
    expect(ec2().calls('CopySnapshot')).toHaveLength(0);
    expect(logger.lines.some((l) => l.level === 'error' && l.attributes['decision'] === 'failed')).toBe(true);
  });

  it("GIVEN a source under the account's own key whose every copy ends in error naming KMS THEN, after the re-copies, CopyFailed names the reason and the source key", async () => {
    const s = source({ encrypted: true, kmsKeyId: OWN_KEY });
    ec2().failCopiesOf(s.snapshotId, 'The KMS key is disabled or its key policy denies access');
    const { execution } = await run(s);
    expect(execution.status).toBe('FAILED');
    expect(execution.error!.cause!.name).toBe('CopyFailed');
    expect(execution.error!.cause!.message).toMatch(/failed 3 times.*reason: KMS .*source key arn:aws:kms:us-west-2:222222222222:key\/.* or destination key \(the default EBS key of us-east-1\)/);
    expect(ec2().calls('CopySnapshot')).toHaveLength(3);
  });
});
