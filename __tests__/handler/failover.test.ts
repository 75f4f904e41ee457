/**
 * The failover case, end to end: the REAL definition offline (aws-local-stepfunctions), the step
 * entry through the real SDK against the EC2 stand-in, the copy ledger in the DynamoDB stand-in, and
 * the sweep.
 *
 * A copy is made and recorded. After a failover, a volume restored from it in the destination region
 * is snapshotted by DLM, which copies the volume's tags onto the snapshot ("Copy all user-defined tags
 * on a source volume to snapshots of the volume created by this policy":
 * https://docs.aws.amazon.com/dlm/latest/APIReference/API_Schedule.html), so the new primary snapshot
 * carries the copy's provenance tags and its expiry, which then passes. That snapshot is never taken
 * for this app's copy: it is copied as any source, never counted as a pending copy, never deleted by
 * the sweep; the real copy is deleted once expired.
 */
import { describe, expect, it } from 'vitest';
import { EXPIRES_AT_TAG, PROVENANCE_TAGS } from '../../handlers/snapshot-copy/decide';
import { LEDGER_TABLE } from '../../scripts/support/copy-tables';
import type { StandinSnapshot } from '../../scripts/support/ec2-standin';
import { STATES } from '../../stacks/central/copy-workflow';
import { sweepDeps, sweepUntilDone } from './local-sweep';
import { LocalWorkflow, ec2StandinForTests, snapshotDeliverer } from './local-workflow';
import { FUNCTION_ARN, MEMBER_ACCOUNT, recordingLogger } from './support';

const PRIMARY = 'us-west-2';
const DR = 'us-east-1';
const ec2 = ec2StandinForTests();

/** The workflow with retention (1 day), at most one copy in flight, and after failover copies going back to the old primary region. */
function setup() {
  const logger = recordingLogger();
  const workflow = new LocalWorkflow({ logger, env: { RETENTION_DAYS: '1', MAX_IN_FLIGHT_COPIES: '1' } });
  ec2().setReportedClock(workflow.now);
  const deliver = snapshotDeliverer(workflow, logger, { DESTINATION_REGION: DR, REGION_MAP: JSON.stringify({ [DR]: PRIMARY }), SOURCE_REGIONS: `${PRIMARY},${DR}` }, MEMBER_ACCOUNT);
  // The whole sweep (every page), as its state machine runs it, with the execution started at `at`.
  const sweep = (at: number) => sweepUntilDone(sweepDeps({ ledger: workflow.ledger, logger, functionArn: FUNCTION_ARN, now: () => new Date(at) }), new Date(at));
  return { logger, workflow, deliver, sweep };
}

const nameOf = (snapshotId: string, from = PRIMARY, to = DR) => `${MEMBER_ACCOUNT}-${from}-${snapshotId}-${to}`;
const snapshot = (snapshotId: string): StandinSnapshot => ec2().snapshots().find((s) => s.snapshotId === snapshotId)!;
const tagOf = (s: StandinSnapshot, key: string) => s.tags.find((t) => t.key === key)?.value;

describe('after a failover, snapshots of volumes restored from copies carry the copies\' tags, and are still not this app\'s copies', () => {
  it('GIVEN a copy made and recorded, and a DLM snapshot of a volume restored from it with all its tags (expiry passed) THEN that snapshot is copied as a source, never counted as pending, never swept; the real copy is', async () => {
    const { workflow, deliver, sweep, logger } = setup();

    // 1. A primary snapshot is copied to the DR region and recorded in the ledger.
    const source: StandinSnapshot = { snapshotId: 'snap-0a1b2c3d4e5f60001', region: PRIMARY, ownerId: MEMBER_ACCOUNT, state: 'completed', tags: [{ key: 'Name', value: 'db' }] };
    ec2().addSnapshot(source);
    await deliver(source.snapshotId, PRIMARY);
    await workflow.settle();
    expect(workflow.executions.get(nameOf(source.snapshotId))!.status).toBe('SUCCEEDED');
    const copy = ec2().snapshots().find((s) => s.copiedFrom?.snapshotId === source.snapshotId)!;
    const expiry = tagOf(copy, EXPIRES_AT_TAG)!;
    expect(workflow.dynamodb.items(LEDGER_TABLE).map((i) => [i['copySnapshotId']!.S, i['sourceSnapshotId']!.S, i['expiresAt']!.S])).toEqual([[copy.snapshotId, source.snapshotId, expiry]]);

    // 2. Failover: a volume restored from the copy in the DR region, snapshotted by DLM with the volume's tags
    //    (the copy's: provenance and expiry included). The snapshot is still being taken (pending).
    const dlm: StandinSnapshot = {
      snapshotId: 'snap-0d1e2f3a4b5c60002',
      region: DR,
      ownerId: MEMBER_ACCOUNT,
      state: 'pending',
      description: 'Created for policy: policy-0123456789abcdef0 schedule: Default Schedule',
      tags: copy.tags.map((t) => ({ ...t })),
    };
    ec2().addSnapshot(dlm);
    expect(tagOf(snapshot(dlm.snapshotId), PROVENANCE_TAGS.sourceSnapshotId)).toBe(source.snapshotId);

    // (b) Meanwhile another primary snapshot is copied to the DR region, with one copy in flight allowed:
    //     the DLM snapshot (pending, tagged) is not one of this app's pending copies, so nothing waits.
    const other: StandinSnapshot = { snapshotId: 'snap-0a1b2c3d4e5f60003', region: PRIMARY, ownerId: MEMBER_ACCOUNT, state: 'completed', tags: [] };
    ec2().addSnapshot(other);
    const stopWaiting = setInterval(() => {
      // Were the DLM snapshot counted, Admit would wait for it for up to 7 days: let it finish after a few tries.
      if (workflow.retries(nameOf(other.snapshotId), STATES.admit) >= 3) ec2().settleNow([dlm.snapshotId]);
    }, 5);
    try {
      await deliver(other.snapshotId, PRIMARY);
      await workflow.settle();
    } finally {
      clearInterval(stopWaiting);
    }
    expect(workflow.executions.get(nameOf(other.snapshotId))!.status).toBe('SUCCEEDED');
    expect(workflow.retries(nameOf(other.snapshotId), STATES.admit)).toBe(0);
    expect(workflow.path(nameOf(other.snapshotId)).filter((s) => s === STATES.admit)).toHaveLength(1);
    // Admitted at once: no admission wait (`outcome: wait`) for copies that are not this app's.
    expect(logger.lines.filter((l) => l.attributes['outcome'] === 'wait')).toEqual([]);

    // (a) The DLM snapshot completes and is a source like any other: copied back to the old primary region
    //     (REGION_MAP), not skipped, not taken for an existing copy, with provenance of its own.
    ec2().settleNow([dlm.snapshotId]);
    await deliver(dlm.snapshotId, DR);
    await workflow.settle();
    const failback = nameOf(dlm.snapshotId, DR, PRIMARY);
    expect(workflow.executions.get(failback)!.status).toBe('SUCCEEDED');
    expect(workflow.path(failback)).toEqual([
      STATES.prepare,
      STATES.inspect,
      STATES.sourceChoice,
      STATES.find,
      STATES.foundChoice,
      STATES.admit,
      STATES.admitChoice,
      STATES.copy,
      STATES.copyChoice,
      STATES.waitForCopy,
      STATES.poll,
      STATES.pollChoice,
      STATES.release,
      STATES.copied,
    ]);
    const back = ec2().snapshots().find((s) => s.copiedFrom?.snapshotId === dlm.snapshotId)!;
    expect(back.region).toBe(PRIMARY);
    expect(tagOf(back, PROVENANCE_TAGS.sourceSnapshotId)).toBe(dlm.snapshotId);
    expect(tagOf(back, PROVENANCE_TAGS.sourceRegion)).toBe(DR);
    expect(Date.parse(tagOf(back, EXPIRES_AT_TAG)!)).toBeGreaterThan(Date.parse(expiry));

    // (c) The inherited expiry has passed: the sweep deletes the real copies in the DR region (and forgets them),
    //     never the DLM snapshot, although it carries both tags the member role's IAM condition looks for.
    const otherCopy = ec2().snapshots().find((s) => s.copiedFrom?.snapshotId === other.snapshotId)!;
    const after = Date.parse(tagOf(otherCopy, EXPIRES_AT_TAG)!) + 1000; // both DR copies expired (the other was made later)
    expect(await sweep(after)).toMatchObject({ examined: 2, deleted: 2, kept: 0, failed: 0 });
    const deleted = ec2().calls('DeleteSnapshot').map((r) => r.params['SnapshotId']);
    expect(deleted.sort()).toEqual([copy.snapshotId, otherCopy.snapshotId].sort());
    expect(snapshot(dlm.snapshotId)).toMatchObject({ state: 'completed' });
    expect(workflow.dynamodb.items(LEDGER_TABLE).map((i) => i['copySnapshotId']!.S)).toEqual([back.snapshotId]);
    // The failback copy in the old primary region is not expired yet: a second sweep finds nothing to do.
    expect(await sweep(after)).toMatchObject({ examined: 0, deleted: 0 });
    expect(snapshot(back.snapshotId)).toBeDefined();

    // (a') The primary snapshot's execution run again (`copies retry`: `<name>-r1`) after its copy was swept:
    //      Find does not take the DLM snapshot (completed, tagged as a copy of it) for its copy; it copies again.
    const retry = workflow.start(`${nameOf(source.snapshotId)}-r1`, JSON.stringify({ account: MEMBER_ACCOUNT, sourceRegion: PRIMARY, snapshotId: source.snapshotId, destinationRegion: DR }));
    await retry.result;
    expect(retry.status).toBe('SUCCEEDED');
    expect(workflow.path(retry.name)).toContain(STATES.copy);
    const copies = ec2().snapshots().filter((s) => s.copiedFrom?.snapshotId === source.snapshotId);
    expect(copies).toHaveLength(1);
    expect((retry.output as { copySnapshotId: string }).copySnapshotId).toBe(copies[0]!.snapshotId);
  });
});
