/**
 * The retention sweep end to end, offline: the SYNTHESIZED sweep state machine of a vault config with
 * both retentions (VAULT_ALL_FEATURES) run by aws-local-stepfunctions, the handler's `sweep` entry as
 * its task with the environment the central stack gives the function, through the real SDK against
 * the EC2/STS stand-in (each account's role "assumed" there, EC2's answers per account), and the copy
 * ledger in the DynamoDB stand-in, its Query pages made small (the 1 MB page limit) so that the sweep
 * takes many pages. The ledger holds expired copies of many accounts and regions and of both kinds,
 * and items as the code before this index wrote them.
 */
import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { EXPIRES_AT_TAG, PROVENANCE_TAGS } from '../../handlers/snapshot-copy/decide';
import { createLedgerStore, type LedgerEntry } from '../../handlers/snapshot-copy/ledger';
import { LEDGER_TABLE, withLedgerTable } from '../../scripts/support/copy-tables';
import { DynamoDbStandin } from '../../scripts/support/dynamodb-standin';
import { LOCKED_SNAPSHOT_FAULT, type StandinSnapshot } from '../../scripts/support/ec2-standin';
import { SWEEP_BACKLOG_ERROR, SWEEP_INCOMPLETE_ERROR, SWEEP_STATES } from '../../stacks/central/sweep-workflow';
import { parsed } from '../support/synth';
import { VAULT_ACCOUNT, VAULT_ALL_FEATURES } from '../support/vault-configs';
import { envOf, fnNamed, machineNamed, synthAll } from '../snapshot-copy/support';
import { runLocalSweep, sweepDeps } from './local-sweep';
import { ec2StandinForTests } from './local-workflow';
import { OWN_ACCOUNT, recordingLogger } from './support';

const ec2 = ec2StandinForTests();
const { central } = synthAll(VAULT_ALL_FEATURES);
const DEFINITION = parsed(machineNamed(central, 'ebs-event-hub-copy-sweep').definition);
const FUNCTION = fnNamed(central, 'ebs-event-hub-copy-sweep');
const FUNCTION_ARN = `arn:aws:lambda:eu-west-1:${OWN_ACCOUNT}:function:ebs-event-hub-copy-sweep`;
/** The function's environment as synthesized (what Lambda gives it), and the region Lambda sets. */
const ENV = { ...envOf(FUNCTION), AWS_REGION: 'eu-west-1' };

const PAST = '2020-01-01T00:00:00Z';
const FUTURE = '2999-01-01T00:00:00Z';
const REGIONS = ['eu-central-1', 'eu-west-1'];
/** 30 member accounts besides the central one. */
const ACCOUNTS = Array.from({ length: 30 }, (_, i) => String(200_000_000_100 + i));
let ids = 0;
const snapId = () => `snap-${(0x5e00000 + ++ids).toString(16).padStart(17, '0')}`;

interface Copy {
  kind: LedgerEntry['kind'];
  copyAccount: string;
  region: string;
  copySnapshotId: string;
  sourceSnapshotId: string;
}

/** A fresh ledger (Query pages of 25 items) and a copy maker: an EC2 snapshot with our tags and its ledger item. */
function world() {
  const ddb = withLedgerTable(new DynamoDbStandin({ pageSize: 25 }));
  const ledger = createLedgerStore(ddb.client as never, LEDGER_TABLE);
  const make = async (kind: Copy['kind'], copyAccount: string, region: string, options: { expiresAt?: string; retention?: false; tagExpiry?: string; inEc2?: boolean; tagSource?: string } = {}): Promise<Copy> => {
    const copy = { kind, copyAccount, region, copySnapshotId: snapId(), sourceSnapshotId: snapId() };
    const expiresAt = options.expiresAt ?? PAST;
    if (options.inEc2 !== false) {
      const snapshot: StandinSnapshot = {
        snapshotId: copy.copySnapshotId,
        region,
        ownerId: copyAccount,
        state: 'completed',
        tags: [
          { key: PROVENANCE_TAGS.sourceSnapshotId, value: options.tagSource ?? copy.sourceSnapshotId },
          ...(options.retention === false ? [] : [{ key: EXPIRES_AT_TAG, value: options.tagExpiry ?? expiresAt }]),
        ],
      };
      ec2().addSnapshot(snapshot);
    }
    await ledger.record({
      kind,
      copyAccount,
      destinationRegion: region,
      copySnapshotId: copy.copySnapshotId,
      account: kind === 'vault-copy' ? ACCOUNTS[0]! : copyAccount,
      sourceRegion: 'us-east-1',
      sourceSnapshotId: copy.sourceSnapshotId,
      executionName: 'x',
      createdAt: '2019-01-01T00:00:00.000Z',
      recordedBy: 'copy',
      ...(options.retention === false ? {} : { expiresAt }),
    });
    return copy;
  };
  /** An item exactly as the code before `by-kind-expiry` wrote it (a literal attribute map), and its snapshot. */
  const makeBefore = (copyAccount: string, region: string): Copy => {
    const copy: Copy = { kind: 'member-copy', copyAccount, region, copySnapshotId: snapId(), sourceSnapshotId: snapId() };
    const S = (v: string): AttributeValue => ({ S: v });
    ddb.handle(
      new PutItemCommand({
        TableName: LEDGER_TABLE,
        Item: {
          target: S(`${copyAccount}#${region}`), copySnapshotId: S(copy.copySnapshotId), sourceSnapshotId: S(copy.sourceSnapshotId), kind: S('member-copy'), copyAccount: S(copyAccount),
          account: S(copyAccount), sourceRegion: S('us-east-1'), destinationRegion: S(region), executionName: S('before'), createdAt: S('2019-01-01T00:00:00.000Z'), recordedBy: S('copy'), expiresAt: S(PAST),
        },
      }),
    );
    ec2().addSnapshot({ snapshotId: copy.copySnapshotId, region, ownerId: copyAccount, state: 'completed', tags: [{ key: PROVENANCE_TAGS.sourceSnapshotId, value: copy.sourceSnapshotId }, { key: EXPIRES_AT_TAG, value: PAST }] });
    return copy;
  };
  const inLedger = () => new Set(ddb.items(LEDGER_TABLE).map((i) => i['copySnapshotId']!.S!));
  const inEc2 = () => new Set(ec2().snapshots().map((s) => s.snapshotId));
  return { ddb, ledger, make, makeBefore, inLedger, inEc2 };
}

const deleted = () => ec2().calls('DeleteSnapshot').map((r) => r.params['SnapshotId']!);

describe('the retention sweep, its synthesized definition run offline over the ledger', () => {
  it('GIVEN the synthesized function environment THEN it sweeps member copies, then vault copies under the vault role', () => {
    expect(ENV).toMatchObject({ SWEEP_KINDS: 'member-copy,vault-copy', VAULT_ACCOUNT_ID: VAULT_ACCOUNT, VAULT_ROLE_NAME: 'ebs-event-hub-vault-copy', MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy' });
  });

  it(
    'GIVEN expired copies of 31 accounts in 2 regions and vault copies, with a throttled delete, a locked vault copy, an account whose role refuses, a copy already gone, retagged and unexpired ones, and items from before the change ' +
      'THEN every other expired copy is deleted and forgotten, each failure stops only itself, and the execution ends SweepIncomplete naming the first; the next day, what failed for a passing reason is deleted',
    async () => {
      const w = world();
      const member: Copy[] = [];
      for (const account of [OWN_ACCOUNT, ...ACCOUNTS]) for (const region of REGIONS) for (let i = 0; i < 3; i++) member.push(await w.make('member-copy', account, region));
      const vault: Copy[] = [];
      for (const region of REGIONS) for (let i = 0; i < 20; i++) vault.push(await w.make('vault-copy', VAULT_ACCOUNT, region));
      const before = [w.makeBefore(ACCOUNTS[1]!, 'eu-west-1'), w.makeBefore(ACCOUNTS[2]!, 'eu-central-1')];
      const gone = await w.make('member-copy', ACCOUNTS[3]!, 'eu-west-1', { inEc2: false });
      const retagged = await w.make('member-copy', ACCOUNTS[4]!, 'eu-west-1', { tagSource: 'snap-0not0the0source' });
      const extended = await w.make('member-copy', ACCOUNTS[5]!, 'eu-west-1', { tagExpiry: FUTURE });
      const notYet = [await w.make('member-copy', ACCOUNTS[6]!, 'eu-west-1', { expiresAt: FUTURE }), await w.make('vault-copy', VAULT_ACCOUNT, 'eu-west-1', { expiresAt: FUTURE })];
      const noRetention = await w.make('member-copy', ACCOUNTS[7]!, 'eu-west-1', { retention: false });
      // Faults: one delete throttled through the SDK's two attempts, one vault copy locked, one account refusing its role's calls.
      const throttled = member.find((c) => c.copyAccount === ACCOUNTS[8])!;
      ec2().refuseDelete(throttled.copySnapshotId, { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' }, 2);
      const locked = vault[7]!;
      ec2().refuseDelete(locked.copySnapshotId, LOCKED_SNAPSHOT_FAULT);
      const denied = ACCOUNTS[9]!;
      ec2().denyAccounts.add(denied);
      const deniedCopies = member.filter((c) => c.copyAccount === denied);

      const logger = recordingLogger();
      const run = await runLocalSweep(DEFINITION, sweepDeps({ env: ENV, ledger: w.ledger, logger, functionArn: FUNCTION_ARN }));

      const failed = [throttled, locked, ...deniedCopies];
      const expectDeleted = [...member, ...vault, ...before].filter((c) => !failed.includes(c));
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe(SWEEP_INCOMPLETE_ERROR);
      const examined = expectDeleted.length + failed.length + 3; // + gone, retagged, extended
      expect(run.cause).toMatch(
        new RegExp(`^${examined} expired copies examined: ${expectDeleted.length} deleted, 1 already gone, 1 kept \\(tags changed\\), 0 in use by an AMI, 1 not expired \\(expiry tag moved later\\), ${failed.length} failed; first failure: (member-copy|vault-copy) snap-[0-9a-f]+ of \\d{12} in eu-(west|central)-1: (RequestLimitExceeded|${LOCKED_SNAPSHOT_FAULT.code}|UnauthorizedOperation): `),
      );
      const first = /first failure: \S+ (snap-[0-9a-f]+)/.exec(run.cause!)![1]!;
      expect(failed.map((c) => c.copySnapshotId)).toContain(first);
      // Many pages (25 items a Query page), member copies first, then vault copies; one execution.
      expect(run.pages.length).toBeGreaterThan((member.length + vault.length) / 25);
      expect(run.pages.map((p) => (p.state.cursor?.kind ?? 'member-copy'))).toEqual(expect.arrayContaining(['member-copy', 'vault-copy']));
      expect(run.path.filter((s) => s === SWEEP_STATES.count)).toHaveLength(run.pages.length - 1);

      // Each expired copy deleted once, under its own account's role (the stand-in's STS keys map to it); nothing else deleted.
      expect(deleted().filter((id) => !failed.some((c) => c.copySnapshotId === id)).sort()).toEqual(expectDeleted.map((c) => c.copySnapshotId).sort());
      const inEc2 = w.inEc2();
      for (const c of expectDeleted) expect(inEc2.has(c.copySnapshotId), c.copySnapshotId).toBe(false);
      for (const c of [throttled, locked, ...deniedCopies, retagged, extended, ...notYet, noRetention]) expect(inEc2.has(c.copySnapshotId), c.copySnapshotId).toBe(true);
      const deleteCalls = ec2().calls('DeleteSnapshot');
      expect(deleteCalls.filter((r) => r.account === VAULT_ACCOUNT).map((r) => r.params['SnapshotId']).sort()).toEqual([...vault.map((c) => c.copySnapshotId)].sort());
      expect(deleteCalls.every((r) => [...member, ...vault, ...before].some((c) => c.copySnapshotId === r.params['SnapshotId'] && c.copyAccount === r.account && c.region === r.region))).toBe(true);
      // The ledger forgets what was deleted or gone; keeps the failed, the kept, the unexpired, the ones without retention.
      expect([...w.inLedger()].sort()).toEqual([throttled, locked, ...deniedCopies, retagged, extended, ...notYet, noRetention].map((c) => c.copySnapshotId).sort());
      expect(w.inLedger().has(gone.copySnapshotId)).toBe(false);

      // The next day: the throttling is over, the lock and the refusing role are not. Only what passed is deleted now.
      const second = await runLocalSweep(DEFINITION, sweepDeps({ env: ENV, ledger: w.ledger, logger, functionArn: FUNCTION_ARN }));
      expect(second).toMatchObject({ status: 'FAILED', error: SWEEP_INCOMPLETE_ERROR });
      expect(second.cause).toMatch(new RegExp(`^${failed.length + 2} expired copies examined: 1 deleted, 0 already gone, 1 kept \\(tags changed\\), 0 in use by an AMI, 1 not expired \\(expiry tag moved later\\), ${failed.length - 1} failed`));
      expect(w.inEc2().has(throttled.copySnapshotId)).toBe(false);
      expect(w.inLedger().has(throttled.copySnapshotId)).toBe(false);
      expect(w.inEc2().has(locked.copySnapshotId)).toBe(true);
    },
  );

  it('GIVEN nothing expired THEN one page per kind, and the execution succeeds with nothing deleted', async () => {
    const w = world();
    await w.make('member-copy', ACCOUNTS[0]!, 'eu-west-1', { expiresAt: FUTURE });
    const run = await runLocalSweep(DEFINITION, sweepDeps({ env: ENV, ledger: w.ledger, logger: recordingLogger(), functionArn: FUNCTION_ARN }));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ outcome: 'done', summary: { examined: 0, deleted: 0, failed: 0 } });
    // One page per kind: member copies, then vault copies.
    expect(run.pages).toHaveLength(2);
    expect(deleted()).toEqual([]);
  });

  it('GIVEN the function running out of time in the middle of pages THEN the next call goes on from the last copy done: every expired copy is deleted exactly once', async () => {
    const w = world();
    const copies: Copy[] = [];
    for (const account of ACCOUNTS.slice(0, 10)) for (const region of REGIONS) for (let i = 0; i < 4; i++) copies.push(await w.make('member-copy', account, region));
    // Every 7th look at the clock finds less time left than a call may take.
    let looks = 0;
    const run = await runLocalSweep(DEFINITION, sweepDeps({ env: ENV, ledger: w.ledger, logger: recordingLogger(), functionArn: FUNCTION_ARN, timeLeftMs: () => (++looks % 7 === 0 ? 1_000 : 900_000) }));
    expect(run.status).toBe('SUCCEEDED');
    expect(deleted().sort()).toEqual(copies.map((c) => c.copySnapshotId).sort());
    expect(new Set(deleted()).size).toBe(deleted().length);
    expect(w.inLedger().size).toBe(0);
    // Stopping early made more pages than the Query pages alone (80 copies, 25 a page).
    expect(run.pages.length).toBeGreaterThan(Math.ceil(copies.length / 25) + 1);
  });

  it('GIVEN the ledger\'s DynamoDB failing on every Query of a page THEN the page is retried, and then the execution ends SweepIncomplete naming the error and what was swept before it', async () => {
    const w = world();
    for (let i = 0; i < 30; i++) await w.make('member-copy', ACCOUNTS[i]!, 'eu-west-1');
    const run = await runLocalSweep(DEFINITION, sweepDeps({ env: ENV, ledger: w.ledger, logger: recordingLogger(), functionArn: FUNCTION_ARN }), {
      beforePage: (i) => {
        if (i >= 1) w.ddb.failNextOn('Query', 1, 'ProvisionedThroughputExceededException');
      },
    });
    expect(run).toMatchObject({ status: 'FAILED', error: SWEEP_INCOMPLETE_ERROR });
    expect(run.cause).toMatch(/^a sweep page failed after its retries \(SlotTableUnavailable\); before it: 25 expired copies examined: 25 deleted/);
    expect(run.pages).toHaveLength(1 + 3);
  });

  it('GIVEN more pages than one execution may take THEN it ends SweepBacklog, and what is left is swept by the next one', async () => {
    const w = world();
    for (let i = 0; i < 30; i++) await w.make('member-copy', ACCOUNTS[i]!, 'eu-west-1');
    // The execution's work time over after the first page (its clock says 19 hours later).
    const started = Date.now();
    let calls = 0;
    const late = () => new Date(++calls > 1 ? started + 19 * 3600_000 : started);
    const run = await runLocalSweep(DEFINITION, sweepDeps({ env: ENV, ledger: w.ledger, logger: recordingLogger(), functionArn: FUNCTION_ARN, now: late }));
    expect(run).toMatchObject({ status: 'FAILED', error: SWEEP_BACKLOG_ERROR });
    expect(run.cause).toMatch(/^25 expired copies examined: 25 deleted.*; expired copies remain: the next daily sweep goes on from the oldest$/);
    expect(w.inLedger().size).toBe(5);
    const next = await runLocalSweep(DEFINITION, sweepDeps({ env: ENV, ledger: w.ledger, logger: recordingLogger(), functionArn: FUNCTION_ARN }));
    expect(next.status).toBe('SUCCEEDED');
    expect(w.inLedger().size).toBe(0);
  });
});
