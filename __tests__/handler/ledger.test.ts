/**
 * The copy ledger (handlers/snapshot-copy/ledger.ts): the store against the DynamoDB stand-in (which
 * evaluates the expressions and keeps DynamoDB's documented Query / BatchGetItem semantics), the
 * decisions on what EC2 describes, and, offline through the REAL definition, the two ways a copy gets
 * recorded after CopySnapshot: by the Copy step, or by ConfirmCopy when only a copy provably this
 * attempt's may be adopted.
 */
import { BatchGetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { copyDescription, type CopyInput } from '../../handlers/snapshot-copy/decide';
import {
  BATCH_GET_MAX_KEYS,
  CLOCK_TOLERANCE_SECONDS,
  UNPROCESSED_ROUNDS,
  adoptedExpiry,
  copyAttemptedAt,
  createLedgerStore,
  ledgerCopiesQuery,
  memberCopyEntry,
  provablyOurs,
  type LedgerEntry,
} from '../../handlers/snapshot-copy/ledger';
import { LEDGER_TABLE, withLedgerTable } from '../../scripts/support/copy-tables';
import { DynamoDbStandin } from '../../scripts/support/dynamodb-standin';
import type { StandinSnapshot } from '../../scripts/support/ec2-standin';
import { STATES } from '../../stacks/central/copy-workflow';
import { LocalWorkflow, ec2StandinForTests, snapshotDeliverer } from './local-workflow';
import { MEMBER_ACCOUNT, recordingLogger } from './support';

const DEST = 'us-east-1';
const input = (snapshotId = 'snap-0abc1234'): CopyInput => ({ account: MEMBER_ACCOUNT, sourceRegion: 'us-west-2', snapshotId, destinationRegion: DEST });
const entry = (copySnapshotId: string, over: Partial<LedgerEntry> & { source?: string } = {}): LedgerEntry => {
  const { source = 'snap-0abc1234', ...rest } = over;
  return { ...memberCopyEntry(input(source), copySnapshotId, { executionName: 'x', createdAt: new Date('2026-01-01T00:00:00Z'), recordedBy: 'copy' }), ...rest };
};

function store(options: { pageSize?: number } = {}) {
  const ddb = withLedgerTable(new DynamoDbStandin(options));
  const waits: number[] = [];
  const ledger = createLedgerStore(ddb.client as never, LEDGER_TABLE, { wait: async (ms) => void waits.push(ms) });
  return { ddb, ledger, waits };
}

describe('the ledger store against the DynamoDB stand-in', () => {
  it('records a copy once: a second record of the same copy (a redelivered step) is refused by the condition and changes nothing', async () => {
    const { ddb, ledger } = store();
    expect(await ledger.record(entry('snap-c1', { expiresAt: '2026-02-01T00:00:00Z' }))).toBe(true);
    expect(await ledger.record(entry('snap-c1', { createdAt: '2026-01-09T00:00:00Z', recordedBy: 'confirm' }))).toBe(false);
    expect(ddb.items(LEDGER_TABLE)).toEqual([
      {
        target: { S: `${MEMBER_ACCOUNT}#${DEST}` },
        copySnapshotId: { S: 'snap-c1' },
        sourceSnapshotId: { S: 'snap-0abc1234' },
        kind: { S: 'member-copy' },
        copyAccount: { S: MEMBER_ACCOUNT },
        account: { S: MEMBER_ACCOUNT },
        sourceRegion: { S: 'us-west-2' },
        destinationRegion: { S: DEST },
        executionName: { S: 'x' },
        createdAt: { S: '2026-01-01T00:00:00.000Z' },
        recordedBy: { S: 'copy' },
        expiresAt: { S: '2026-02-01T00:00:00Z' },
      },
    ]);
    expect(ddb.requests.map((r) => [r.action, r.outcome])).toEqual([
      ['PutItem', 'ok'],
      ['PutItem', 'conditional-check-failed'],
    ]);
  });

  it("finds a source's copies in one account and region only (index by-source, eventually consistent)", async () => {
    const { ddb, ledger } = store();
    await ledger.record(entry('snap-c1'));
    await ledger.record(entry('snap-c2'));
    await ledger.record(entry('snap-c3', { source: 'snap-0other' }));
    await ledger.record(entry('snap-c4', { destinationRegion: 'eu-west-1' }));
    await ledger.record(entry('snap-c5', { copyAccount: '333333333333' }));
    expect((await ledger.copiesOf(MEMBER_ACCOUNT, DEST, 'snap-0abc1234')).sort()).toEqual(['snap-c1', 'snap-c2']);
    expect(await ledger.copiesOf(MEMBER_ACCOUNT, DEST, 'snap-0none')).toEqual([]);
    const query = ddb.requests.find((r) => r.action === 'Query')!.input as QueryCommand['input'];
    expect(query).toMatchObject({ IndexName: 'by-source', KeyConditionExpression: '#t = :t AND #s = :s' });
    expect(query.ConsistentRead).toBeUndefined(); // a global secondary index refuses consistent reads
  });

  it('tells which copy ids are recorded: strongly consistent, 100 keys a request, duplicates sent once', async () => {
    const { ddb, ledger } = store();
    for (let i = 0; i < 130; i += 2) await ledger.record(entry(`snap-c${i}`));
    const ids = Array.from({ length: 130 }, (_, i) => `snap-c${i}`);
    const found = await ledger.recorded(MEMBER_ACCOUNT, DEST, [...ids, 'snap-c0', 'snap-c1']);
    expect([...found].sort()).toEqual(ids.filter((_, i) => i % 2 === 0).sort());
    const batches = ddb.requests.filter((r) => r.action === 'BatchGetItem').map((r) => (r.input as BatchGetItemCommand['input']).RequestItems![LEDGER_TABLE]!);
    expect(batches.map((b) => b.Keys!.length)).toEqual([BATCH_GET_MAX_KEYS, 30]);
    expect(batches.every((b) => b.ConsistentRead === true)).toBe(true);
    expect(await ledger.recorded(MEMBER_ACCOUNT, DEST, [])).toEqual(new Set());
  });

  it('asks again, backing off, for the keys BatchGetItem left unprocessed', async () => {
    const { ddb, ledger, waits } = store();
    await ledger.record(entry('snap-c1'));
    await ledger.record(entry('snap-c2'));
    ddb.leaveUnprocessed(2);
    expect([...(await ledger.recorded(MEMBER_ACCOUNT, DEST, ['snap-c1', 'snap-c2', 'snap-c3']))].sort()).toEqual(['snap-c1', 'snap-c2']);
    expect(ddb.requests.filter((r) => r.action === 'BatchGetItem')).toHaveLength(2);
    expect(waits).toEqual([50]);
  });

  it(`gives up with SlotTableUnavailable (retried by the definition) when keys stay unprocessed ${UNPROCESSED_ROUNDS} retries long`, async () => {
    let calls = 0;
    const client = {
      send: async (command: unknown) => {
        calls++;
        const keys = (command as BatchGetItemCommand).input.RequestItems![LEDGER_TABLE]!.Keys!;
        return { Responses: { [LEDGER_TABLE]: [] }, UnprocessedKeys: { [LEDGER_TABLE]: { Keys: keys } } };
      },
    };
    const waits: number[] = [];
    const ledger = createLedgerStore(client as never, LEDGER_TABLE, { wait: async (ms) => void waits.push(ms) });
    await expect(ledger.recorded(MEMBER_ACCOUNT, DEST, ['snap-c1'])).rejects.toMatchObject({ name: 'SlotTableUnavailable', message: expect.stringContaining(LEDGER_TABLE) });
    expect(calls).toBe(UNPROCESSED_ROUNDS + 1);
    expect(waits).toEqual([50, 100, 200, 400, 800]);
  });

  it('lists the expired copies of one kind in every account and region (sparse index by-kind-expiry), oldest first, a page at a time from a position, even while the sweep forgets them', async () => {
    const { ddb, ledger } = store({ pageSize: 2 });
    for (let day = 1; day <= 5; day++) await ledger.record(entry(`snap-e${day}`, { expiresAt: `2026-03-0${day}T00:00:00Z` }));
    await ledger.record(entry('snap-kept')); // no retention: never in the index
    await ledger.record(entry('snap-elsewhere', { destinationRegion: 'eu-west-1', copyAccount: '333333333333', expiresAt: '2026-01-01T00:00:00Z' }));
    await ledger.record(entry('snap-vault', { kind: 'vault-copy', copyAccount: '999999999999', expiresAt: '2026-01-02T00:00:00Z' }));
    const now = new Date('2026-03-04T00:00:00.500Z');
    const seen: string[][] = [];
    let after: Awaited<ReturnType<typeof ledger.expiredPage>>['next'];
    do {
      const page = await ledger.expiredPage('member-copy', now, { ...(after ? { after } : {}), limit: 10 });
      seen.push(page.copies.map((c) => c.copySnapshotId));
      for (const c of page.copies) {
        expect(c).toEqual({ kind: 'member-copy', copyAccount: c.copyAccount, destinationRegion: c.destinationRegion, copySnapshotId: c.copySnapshotId, sourceSnapshotId: 'snap-0abc1234', expiresAt: expect.stringMatching(/^2026-0[13]-0[1-4]T00:00:00Z$/) });
        await ledger.forget(c.copyAccount, c.destinationRegion, c.copySnapshotId);
      }
      after = page.next;
    } while (after);
    // Every account and region in one partition, oldest first; the vault copy is in its own.
    expect(seen).toEqual([['snap-elsewhere', 'snap-e1'], ['snap-e2', 'snap-e3'], ['snap-e4']]);
    expect((await ledger.expiredPage('vault-copy', now, { limit: 10 })).copies).toEqual([
      { kind: 'vault-copy', copyAccount: '999999999999', destinationRegion: DEST, copySnapshotId: 'snap-vault', sourceSnapshotId: 'snap-0abc1234', expiresAt: '2026-01-02T00:00:00Z' },
    ]);
    expect(ddb.items(LEDGER_TABLE).map((i) => i['copySnapshotId']!.S).sort()).toEqual(['snap-e5', 'snap-kept', 'snap-vault']);
    const queries = ddb.requests.filter((r) => r.action === 'Query').map((r) => r.input as QueryCommand['input']);
    expect(queries[0]).toEqual({
      TableName: LEDGER_TABLE,
      IndexName: 'by-kind-expiry',
      KeyConditionExpression: '#k = :k AND #e <= :now',
      ExpressionAttributeNames: { '#k': 'kind', '#e': 'expiresAt' },
      ExpressionAttributeValues: { ':k': { S: 'member-copy' }, ':now': { S: '2026-03-04T00:00:00Z' } },
      Limit: 10,
    });
    // The next page starts after the last item's index and table keys: a position, the item itself forgotten meanwhile.
    expect(queries[1]!.ExclusiveStartKey).toEqual({ kind: { S: 'member-copy' }, expiresAt: { S: '2026-03-01T00:00:00Z' }, target: { S: `${MEMBER_ACCOUNT}#${DEST}` }, copySnapshotId: { S: 'snap-e1' } });
  });

  it('reads items as the code before by-kind-expiry wrote them (the same attributes: kind and expiresAt were always there), and skips an item whose target is not <account>#<region>', async () => {
    const { ddb, ledger } = store();
    const before = (id: string, expiresAt: string) => ({
      target: { S: `${MEMBER_ACCOUNT}#${DEST}` }, copySnapshotId: { S: id }, sourceSnapshotId: { S: 'snap-src' }, kind: { S: 'member-copy' }, copyAccount: { S: MEMBER_ACCOUNT },
      account: { S: MEMBER_ACCOUNT }, sourceRegion: { S: 'us-west-2' }, destinationRegion: { S: DEST }, executionName: { S: 'x' }, createdAt: { S: '2026-01-01T00:00:00.000Z' }, recordedBy: { S: 'copy' }, expiresAt: { S: expiresAt },
    });
    ddb.handle(new PutItemCommand({ TableName: LEDGER_TABLE, Item: before('snap-old', '2026-02-01T00:00:00Z') }));
    ddb.handle(new PutItemCommand({ TableName: LEDGER_TABLE, Item: { ...before('snap-odd', '2026-02-01T00:00:00Z'), target: { S: 'not-a-target' } } }));
    const page = await ledger.expiredPage('member-copy', new Date('2026-03-01T00:00:00Z'), { limit: 10 });
    expect(page).toEqual({ copies: [{ kind: 'member-copy', copyAccount: MEMBER_ACCOUNT, destinationRegion: DEST, copySnapshotId: 'snap-old', sourceSnapshotId: 'snap-src', expiresAt: '2026-02-01T00:00:00Z' }] });
  });

  it('raises a copy\'s expiry (rounded up to the second, the index moves it), never lowers it, never gives one to a copy kept forever, never creates an item; a throttled update is SlotTableUnavailable', async () => {
    const { ddb, ledger } = store();
    await ledger.record(entry('snap-r1', { kind: 'vault-copy', copyAccount: '999999999999', expiresAt: '2026-02-01T00:00:00Z' }));
    await ledger.record(entry('snap-forever', { kind: 'vault-copy', copyAccount: '999999999999' }));
    const expiry = async (id: string) => (await ledger.entries('999999999999', DEST, [id]))[0]?.expiresAt;

    await expect(ledger.raiseExpiry('999999999999', DEST, 'snap-r1', new Date('2026-02-01T03:00:00.200Z'))).resolves.toBe(true);
    expect(await expiry('snap-r1')).toBe('2026-02-01T03:00:01Z');
    // A redelivery, or an earlier time: nothing changes.
    await expect(ledger.raiseExpiry('999999999999', DEST, 'snap-r1', new Date('2026-02-01T03:00:00.200Z'))).resolves.toBe(false);
    await expect(ledger.raiseExpiry('999999999999', DEST, 'snap-r1', new Date('2026-01-15T00:00:00Z'))).resolves.toBe(false);
    expect(await expiry('snap-r1')).toBe('2026-02-01T03:00:01Z');
    // The sweep's index follows: not expired at the old expiry, expired at the new one.
    expect((await ledger.expiredPage('vault-copy', new Date('2026-02-01T03:00:00Z'), { limit: 10 })).copies).toEqual([]);
    expect((await ledger.expiredPage('vault-copy', new Date('2026-02-01T03:00:01Z'), { limit: 10 })).copies.map((c) => c.copySnapshotId)).toEqual(['snap-r1']);
    await expect(ledger.raiseExpiry('999999999999', DEST, 'snap-forever', new Date('2026-02-01T00:00:00Z'))).resolves.toBe(false);
    expect(await expiry('snap-forever')).toBeUndefined();
    await expect(ledger.raiseExpiry('999999999999', DEST, 'snap-never', new Date('2026-02-01T00:00:00Z'))).resolves.toBe(false);
    expect(ddb.items(LEDGER_TABLE).map((i) => i['copySnapshotId']!.S).sort()).toEqual(['snap-forever', 'snap-r1']);
    ddb.failNext(1, 'ProvisionedThroughputExceededException');
    await expect(ledger.raiseExpiry('999999999999', DEST, 'snap-r1', new Date('2027-01-01T00:00:00Z'))).rejects.toMatchObject({ name: 'SlotTableUnavailable', message: expect.stringMatching(/UpdateItem \(raise a copy's expiry\)/) });
  });

  it('forgets an item already gone without an error', async () => {
    const { ledger } = store();
    await expect(ledger.forget(MEMBER_ACCOUNT, DEST, 'snap-never')).resolves.toBeUndefined();
  });

  it('maps DynamoDB throttling to SlotTableUnavailable naming the ledger table, and passes AccessDenied through', async () => {
    const { ddb, ledger } = store();
    ddb.failNext(1, 'ProvisionedThroughputExceededException');
    await expect(ledger.record(entry('snap-c1'))).rejects.toMatchObject({ name: 'SlotTableUnavailable', message: expect.stringMatching(/PutItem \(record a copy\) on table ebs-event-hub-copy-ledger/) });
    ddb.failNext(1, 'AccessDeniedException');
    await expect(ledger.copiesOf(MEMBER_ACCOUNT, DEST, 'snap-0abc1234')).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('the DynamoDB stand-in refuses what DynamoDB refuses', () => {
  const { ddb } = store();
  it('a consistent read of a global secondary index, a key condition on a non-key attribute, an unknown index', () => {
    const query = (over: Partial<QueryCommand['input']>) =>
      ddb.handle(new QueryCommand({ TableName: LEDGER_TABLE, IndexName: 'by-source', KeyConditionExpression: '#t = :t', ExpressionAttributeNames: { '#t': 'target' }, ExpressionAttributeValues: { ':t': { S: 'x' } }, ...over }));
    expect(() => query({ ConsistentRead: true })).toThrowError(/Consistent reads are not supported on global secondary indexes/);
    expect(() => query({ KeyConditionExpression: '#t = :t AND #k = :t', ExpressionAttributeNames: { '#t': 'target', '#k': 'kind' } })).toThrowError(/not a key attribute/);
    expect(() => query({ KeyConditionExpression: '#t <= :t' })).toThrowError(/partition key takes =/);
    expect(() => query({ IndexName: 'by-nothing' })).toThrowError(/does not have the specified index/);
  });
  it('more than 100 keys, or the same key twice, in one BatchGetItem', () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ target: { S: 't' }, copySnapshotId: { S: `snap-${i}` } }));
    expect(() => ddb.handle(new BatchGetItemCommand({ RequestItems: { [LEDGER_TABLE]: { Keys: keys(101) } } }))).toThrowError(/Too many items requested/);
    expect(() => ddb.handle(new BatchGetItemCommand({ RequestItems: { [LEDGER_TABLE]: { Keys: [...keys(1), ...keys(1)] } } }))).toThrowError(/contains duplicates/);
  });
});

describe('what the ledger decides on what EC2 describes', () => {
  const attempt = new Date('2026-03-01T10:00:00.000Z');
  const made = { Tags: [{ Key: 'ebs-event-hub:source-snapshot-id', Value: 'snap-0abc1234' }], Description: copyDescription(input()), StartTime: new Date('2026-03-01T10:00:00.250Z') };

  it('adopts a copy only with the provenance tag of this source, exactly this app\'s Description, and a StartTime not before the attempt', () => {
    expect(provablyOurs(made, input(), attempt)).toBe(true);
    expect(provablyOurs({ ...made, StartTime: attempt }, input(), attempt)).toBe(true);
    // A DLM snapshot of a volume restored from a copy: the tags, not the description.
    expect(provablyOurs({ ...made, Description: 'Created for policy: policy-0123456789abcdef0 schedule: Default Schedule' }, input(), attempt)).toBe(false);
    // EC2's clock may read a little behind the function's: within CLOCK_TOLERANCE_SECONDS it is the attempt's copy.
    expect(provablyOurs({ ...made, StartTime: new Date(attempt.getTime() - CLOCK_TOLERANCE_SECONDS * 1000) }, input(), attempt)).toBe(true);
    // An older snapshot with everything else right.
    expect(provablyOurs({ ...made, StartTime: new Date(attempt.getTime() - CLOCK_TOLERANCE_SECONDS * 1000 - 1) }, input(), attempt)).toBe(false);
    expect(provablyOurs({ ...made, StartTime: new Date('2026-02-28T10:00:00Z') }, input(), attempt)).toBe(false);
    // A copy of another source, or no tag at all.
    expect(provablyOurs({ ...made, Tags: [{ Key: 'ebs-event-hub:source-snapshot-id', Value: 'snap-0other' }] }, input(), attempt)).toBe(false);
    expect(provablyOurs({ ...made, Tags: [] }, input(), attempt)).toBe(false);
    // Without a time to compare with, nothing is provable.
    expect(provablyOurs(made, input(), undefined)).toBe(false);
    expect(provablyOurs({ ...made, StartTime: undefined }, input(), attempt)).toBe(false);
  });

  it("reads the attempt time from the Copy step's error cause (the Lambda integration's JSON), and nothing from other causes", () => {
    const cause = JSON.stringify({ errorType: 'CopyOutcomeUnknown', errorMessage: 'CopySnapshot of snap-0abc1234 to us-east-1 attempted at 2026-03-01T10:00:00.000Z: outcome unknown (InternalError)' });
    expect(copyAttemptedAt({ Error: 'CopyOutcomeUnknown', Cause: cause })).toEqual(attempt);
    expect(copyAttemptedAt({ Error: 'Lambda.Unknown', Cause: 'The function timed out' })).toBeUndefined();
    expect(copyAttemptedAt(undefined)).toBeUndefined();
  });

  it("records an adopted copy's expiry from its own expiry tag, else its start time + retention; none without retention", () => {
    expect(adoptedExpiry({ Tags: [{ Key: 'ebs-event-hub:expires-at', Value: '2026-03-31T10:00:00Z' }], StartTime: attempt }, 30)).toBe('2026-03-31T10:00:00Z');
    expect(adoptedExpiry({ Tags: [], StartTime: attempt }, 30)).toBe('2026-03-31T10:00:00Z');
    expect(adoptedExpiry({ Tags: [{ Key: 'ebs-event-hub:expires-at', Value: '2026-03-31T10:00:00Z' }], StartTime: attempt }, undefined)).toBeUndefined();
  });

  it('describes recorded copies with the snapshot-id filter (a deleted id does not fail the request)', () => {
    expect(ledgerCopiesQuery(['snap-a', 'snap-b'])).toEqual({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: ['snap-a', 'snap-b'] }] });
  });
});

describe('recording copies in the workflow, offline against the EC2 stand-in', () => {
  const ec2 = ec2StandinForTests();

  const source: StandinSnapshot = { snapshotId: 'snap-0abc1234abc00001', region: 'us-west-2', ownerId: MEMBER_ACCOUNT, state: 'completed', tags: [{ key: 'Name', value: 'db' }] };
  const run = async (prepare: (workflow: LocalWorkflow) => void = () => undefined) => {
    const logger = recordingLogger();
    const workflow = new LocalWorkflow({ logger, intervalMs: 5 });
    ec2().setReportedClock(workflow.now);
    ec2().addSnapshot(source);
    prepare(workflow);
    await snapshotDeliverer(workflow, logger, { DESTINATION_REGION: DEST, SOURCE_REGIONS: 'us-west-2' }, MEMBER_ACCOUNT)(source.snapshotId, 'us-west-2');
    await workflow.settle();
    return { logger, workflow, execution: workflow.executions.get(`${MEMBER_ACCOUNT}-us-west-2-${source.snapshotId}-${DEST}`)! };
  };
  const recorded = (workflow: LocalWorkflow) => workflow.dynamodb.items(LEDGER_TABLE).map((i) => [i['copySnapshotId']!.S, i['sourceSnapshotId']!.S, i['recordedBy']!.S]);
  const copies = () => ec2().snapshots().filter((s) => s.copiedFrom?.snapshotId === source.snapshotId);

  it('GIVEN DynamoDB refuses the ledger write right after CopySnapshot THEN the Copy step is not run again: ConfirmCopy adopts the copy (provably this attempt\'s) and records it', async () => {
    const { workflow, execution } = await run((w) => w.dynamodb.failNextOn('PutItem', 1));
    expect(execution.status).toBe('SUCCEEDED');
    expect(ec2().calls('CopySnapshot')).toHaveLength(1);
    expect(workflow.path(execution.name)).toContain(STATES.confirm);
    expect(recorded(workflow)).toEqual([[copies()[0]!.snapshotId, source.snapshotId, 'confirm']]);
  });

  it('GIVEN an ambiguous CopySnapshot and an older snapshot tagged as a copy of the source (a DLM snapshot of a restored copy) THEN ConfirmCopy adopts only the copy the attempt made', async () => {
    const impostor: StandinSnapshot = {
      snapshotId: 'snap-0d1e2f3a4b5c00009',
      region: DEST,
      ownerId: MEMBER_ACCOUNT,
      state: 'completed',
      description: 'Created for policy: policy-0123456789abcdef0 schedule: Default Schedule',
      tags: [{ key: 'ebs-event-hub:source-snapshot-id', value: source.snapshotId }],
    };
    ec2().addSnapshot(impostor);
    ec2().ambiguousAfterCopy('500');
    const { workflow, execution, logger } = await run();
    expect(execution.status).toBe('SUCCEEDED');
    const [copy] = copies();
    expect((execution.output as { copySnapshotId: string }).copySnapshotId).toBe(copy!.snapshotId);
    expect(recorded(workflow)).toEqual([[copy!.snapshotId, source.snapshotId, 'confirm']]);
    expect(logger.lines.some((l) => (l.attributes['notAdopted'] as string[] | undefined)?.includes(impostor.snapshotId))).toBe(true);
    expect(ec2().calls('CopySnapshot')).toHaveLength(1);
  });

  it('GIVEN the copy step succeeds THEN its ledger item says who recorded it and when the copy expires', async () => {
    const { workflow, execution } = await run();
    expect(execution.status).toBe('SUCCEEDED');
    expect(recorded(workflow)).toEqual([[copies()[0]!.snapshotId, source.snapshotId, 'copy']]);
    expect(workflow.dynamodb.items(LEDGER_TABLE)[0]!['executionName']).toEqual({ S: execution.name });
  });
});
