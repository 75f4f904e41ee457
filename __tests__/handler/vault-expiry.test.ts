/**
 * A vault copy's ledger expiry against its lock, offline: `vault.retentionDays` may EQUAL `lock.days`
 * (config/schema.ts), yet the copy's expiry counts from the copy's start while its lock counts from
 * VaultLock, after the copy completed (hours later for a large volume). The synthesized copy
 * definition (VaultLock raising the ledger's expiry to the lock's) and then the synthesized sweep's
 * function, through the real SDK against the EC2 stand-in whose clock is the workflow's compressed
 * one, moved on by hours before VaultLock (the copy of a large volume) and by days for the sweeps.
 */
import { describe, expect, it } from 'vitest';
import { EXPIRES_AT_TAG, PROVENANCE_TAGS, executionName, type CopyInput } from '../../handlers/snapshot-copy/decide';
import type { OrgConfigInput } from '../../config/schema';
import { STATES } from '../../stacks/central/copy-workflow';
import { parsed } from '../support/synth';
import { VAULT_ACCOUNT, VAULT_WITH_KMS_KEY_ID } from '../support/vault-configs';
import { envOf, fnNamed, machineNamed, synthAll } from '../snapshot-copy/support';
import { sweepDeps, sweepUntilDone } from './local-sweep';
import { LocalWorkflow, ec2StandinForTests } from './local-workflow';
import { OWN_ACCOUNT, recordingLogger } from './support';

const DAY = 86_400_000;
/** How long after the vault copy started it is locked (a large volume's copy takes hours). */
const GAP_MS = 3 * 3_600_000;
/** The stand-in's clock: the workflow's (compressed) once one runs, moved on by `later` ms. */
let clock = (): number => Date.now();
let later = 0;
const standin = ec2StandinForTests({ copyDurationMs: 60, now: () => clock() + later });

/** Retention EQUAL to the lock (governance, 30 days), member copies kept longer than that. */
const EQUAL: OrgConfigInput = {
  ...VAULT_WITH_KMS_KEY_ID,
  snapshotCopy: { ...VAULT_WITH_KMS_KEY_ID.snapshotCopy!, retentionDays: 365, vault: { ...VAULT_WITH_KMS_KEY_ID.snapshotCopy!.vault!, retentionDays: 30 } },
};
const { central } = synthAll(EQUAL);
const DEFINITION = parsed(machineNamed(central, 'ebs-event-hub-snapshot-copy').definition);
const STEP_ENV = envOf(fnNamed(central, 'ebs-event-hub-copy-step'));
const SWEEP_ENV = { ...envOf(fnNamed(central, 'ebs-event-hub-copy-sweep')), AWS_REGION: 'eu-west-1' };
const MEMBER = '222222222222';
const DEST = 'eu-central-1';

/** A workflow whose stand-in clock is its own, moved on by GAP_MS when VaultLock runs (`onLock` too); a member snapshot to copy. */
function setup(onLock: (copyId: string) => void = () => undefined) {
  const logger = recordingLogger();
  const workflow = new LocalWorkflow({
    logger,
    env: { ...STEP_ENV, AWS_REGION: 'us-east-1' },
    definition: { json: DEFINITION, stepFunctionArn: `arn:aws:lambda:eu-west-1:${OWN_ACCOUNT}:function:ebs-event-hub-copy-step` },
    beforeTask: (state, event) => {
      if (state !== STATES.vaultLock) return;
      later = GAP_MS;
      onLock(event.data.vault!.copySnapshotId!);
    },
  });
  clock = () => workflow.now().getTime();
  later = 0;
  standin().setReportedClock(() => new Date(clock() + later));
  const snapshotId = `snap-0e0a11e${String(++counter).padStart(10, '0')}`;
  standin().addSnapshot({ snapshotId, region: 'eu-west-1', ownerId: MEMBER, state: 'completed', tags: [{ key: 'dr-copy', value: 'true' }] });
  standin().allowKeyUse(MEMBER, 'alias/ebs-dr', VAULT_ACCOUNT);
  const input: CopyInput = { account: MEMBER, sourceRegion: 'eu-west-1', snapshotId, destinationRegion: DEST };
  const run = async (name = executionName(input)) => {
    const execution = workflow.start(name, JSON.stringify(input));
    await execution.result;
    expect(execution.status, `${execution.error?.name}: ${execution.error?.message}`).toBe('SUCCEEDED');
  };
  const vaultCopy = () => standin().snapshots().find((s) => s.ownerId === VAULT_ACCOUNT && s.tags.some((t) => t.key === PROVENANCE_TAGS.sourceSnapshotId && t.value === snapshotId))!;
  const ledgerExpiry = async () => Date.parse((await workflow.ledger.entries(VAULT_ACCOUNT, DEST, [vaultCopy().snapshotId]))[0]!.expiresAt!);
  return { workflow, logger, input, run, vaultCopy, ledgerExpiry };
}
let counter = 0;

describe('vault.retentionDays equal to lock.days', () => {
  it('GIVEN a vault copy locked hours after it started WHEN the daily sweep runs between its tag expiry and its lock expiry THEN it is not examined (no false SweepIncomplete); once the lock expired it is deleted', async () => {
    const { workflow, logger, run, vaultCopy, ledgerExpiry } = setup();
    await run();

    const copy = vaultCopy();
    const tagExpiry = Date.parse(copy.tags.find((t) => t.key === EXPIRES_AT_TAG)!.value);
    const lockExpiry = copy.lock!.durationStart! + 30 * DAY;
    // The defect's premise: the lock started after the copy (its duration), so it outlives the tag's expiry.
    expect(lockExpiry - tagExpiry).toBeGreaterThanOrEqual(GAP_MS - 1_000);
    // The ledger's expiry is the lock's, never earlier (to the second, rounded up).
    expect(await ledgerExpiry()).toBeGreaterThanOrEqual(lockExpiry);
    expect(await ledgerExpiry()).toBeLessThan(lockExpiry + 1_000);

    // A daily sweep between the two: EC2 (its clock there) refuses to delete the locked copy, but the sweep never asks.
    const between = new Date(tagExpiry + (lockExpiry - tagExpiry) / 2);
    later = between.getTime() - clock();
    const sweep = (at: Date) => sweepUntilDone(sweepDeps({ env: SWEEP_ENV, ledger: workflow.ledger, logger, functionArn: `arn:aws:lambda:eu-west-1:${OWN_ACCOUNT}:function:ebs-event-hub-copy-sweep`, now: () => at }), at);
    expect(await sweep(between)).toMatchObject({ examined: 0, failed: 0, deleted: 0 });
    expect(standin().calls('DeleteSnapshot')).toEqual([]);

    // After the lock expired: deleted, and forgotten.
    const after = new Date(lockExpiry + 1_000);
    later = after.getTime() - clock();
    expect(await sweep(after)).toMatchObject({ examined: 1, failed: 0, deleted: 1 });
    expect(standin().snapshots().some((s) => s.snapshotId === copy.snapshotId)).toBe(false);
    expect(await workflow.ledger.entries(VAULT_ACCOUNT, DEST, [copy.snapshotId])).toEqual([]);
  });

  it('GIVEN a longer lock already on the vault copy (kept, nothing locked) THEN the ledger expiry is raised to that lock\'s; a redelivered VaultLock (a retry) changes nothing', async () => {
    let locked = false;
    const { workflow, input, run, vaultCopy, ledgerExpiry } = setup((copyId) => {
      const now = clock() + later;
      if (!locked) standin().setLock(copyId, { mode: 'compliance', durationDays: 60, createdOn: now, durationStart: now });
      locked = true;
    });
    await run();
    expect(standin().calls('LockSnapshot')).toEqual([]);
    const lockExpiry = vaultCopy().lock!.durationStart! + 60 * DAY;
    expect(await ledgerExpiry()).toBeGreaterThanOrEqual(lockExpiry);
    expect(await ledgerExpiry()).toBeLessThan(lockExpiry + 1_000);

    const raised = await ledgerExpiry();
    const updates = () => workflow.dynamodb.requests.filter((r) => r.action === 'UpdateItem' && (r.input as { TableName?: string }).TableName === workflow.config.ledgerTableName);
    const before = updates().length;
    await run(`${executionName(input)}-r1`);
    expect(await ledgerExpiry()).toBe(raised);
    expect(updates().slice(before).map((r) => r.outcome)).toEqual(['conditional-check-failed']);
  });
});
