/**
 * The copy-slots semaphore: its pure decisions (which holders are stale), the adapter's conditional
 * updates against the DynamoDB stand-in (scripts/support/dynamodb-standin.ts, which evaluates the
 * expressions as DynamoDB documents them), and the stand-in's own documented behaviour.
 */
import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { PROVENANCE_TAGS } from '../../handlers/snapshot-copy/decide';
import { SLOT_STALE_AFTER_SECONDS, agedHolders, createSlotStore, holderSnapshotId, reclaimableHolders, slotKey, sourceSnapshotIds } from '../../handlers/snapshot-copy/slots';
import { DynamoDbStandin } from '../../scripts/support/dynamodb-standin';

const TABLE = 'ebs-event-hub-copy-slots';
const now = new Date('2026-03-01T12:00:00Z');
const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
const holder = (snapshotId: string) => `222222222222-us-west-2-${snapshotId}-us-east-1`;

describe('copy slot decisions', () => {
  it('keys a slot by account and destination region', () => {
    expect(slotKey('222222222222', 'us-east-1')).toBe('222222222222#us-east-1');
  });

  it("reads the snapshot id from an execution name, or nothing from a name that is not one", () => {
    expect(holderSnapshotId(holder('snap-0abc'))).toBe('snap-0abc');
    expect(holderSnapshotId('some-other-holder')).toBeUndefined();
  });

  it(`GIVEN holders of various ages THEN only those acquired ${SLOT_STALE_AFTER_SECONDS / 60} minutes ago or more (and never the caller itself) are aged`, () => {
    const holders = { [holder('snap-01')]: ago(14), [holder('snap-02')]: ago(15), [holder('snap-03')]: ago(60), [holder('snap-04')]: 'not a date' };
    expect(agedHolders(holders, holder('snap-03'), now)).toEqual([holder('snap-02'), holder('snap-04')]);
  });

  it('reads source snapshot ids from the provenance tag only', () => {
    expect(sourceSnapshotIds([{ Tags: [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: 'snap-01' }] }, { Tags: [{ Key: 'Name', Value: 'snap-02' }] }])).toEqual(new Set(['snap-01']));
  });

  it('GIVEN aged holders THEN those without a pending copy go without asking Step Functions; the others are asked about at once: gone ones go, unknown ones stay and are reported, running and fresh ones stay', async () => {
    const holders = { [holder('snap-01')]: ago(30), [holder('snap-02')]: ago(30), [holder('snap-03')]: ago(30), [holder('snap-05')]: ago(30), [holder('snap-04')]: ago(1), me: ago(30) };
    const asked: string[] = [];
    let inFlight = 0;
    let most = 0;
    const status = async (h: string) => {
      asked.push(h);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return h === holder('snap-01') ? { status: 'gone' as const, detail: 'ABORTED' } : h === holder('snap-02') ? { status: 'unknown' as const, detail: 'ThrottlingException' } : { status: 'running' as const, detail: 'RUNNING' };
    };
    // snap-05's copy is no longer pending (it finished): its slot goes without DescribeExecution.
    const pendingSnapshots = async () => new Set(['snap-01', 'snap-02', 'snap-03', 'snap-04']);
    expect(await reclaimableHolders(holders, 'me', now, { pendingSnapshots, status })).toEqual({
      gone: [
        { holder: holder('snap-05'), detail: 'no pending copy of snap-05 in EC2' },
        { holder: holder('snap-01'), detail: 'ABORTED' },
      ],
      unknown: [{ holder: holder('snap-02'), detail: 'ThrottlingException' }],
    });
    expect(asked.sort()).toEqual([holder('snap-01'), holder('snap-02'), holder('snap-03')]);
    expect(most).toBe(3);
  });

  it('GIVEN EC2 could not tell what is pending THEN every aged holder is asked about, and only a gone execution frees its slot', async () => {
    const holders = { [holder('snap-01')]: ago(30), [holder('snap-02')]: ago(30) };
    const status = async (h: string) => (h === holder('snap-01') ? { status: 'gone' as const, detail: 'TIMED_OUT' } : { status: 'running' as const, detail: 'RUNNING' });
    expect(await reclaimableHolders(holders, 'me', now, { pendingSnapshots: async () => undefined, status })).toEqual({ gone: [{ holder: holder('snap-01'), detail: 'TIMED_OUT' }], unknown: [] });
  });
});

describe('the slot store against the DynamoDB stand-in', () => {
  const store = () => {
    const ddb = new DynamoDbStandin();
    return { ddb, slots: createSlotStore(ddb.client as never, TABLE) };
  };
  const KEY = '222222222222#us-east-1';

  it('GIVEN no item THEN the first acquire creates the map and takes a slot; re-acquiring is idempotent and refreshes the time', async () => {
    const { ddb, slots } = store();
    expect(await slots.acquire(KEY, 'a', new Date(ago(5)), 2)).toEqual({ acquired: true });
    expect(await slots.acquire(KEY, 'a', now, 2)).toEqual({ acquired: true });
    expect(ddb.item(TABLE, JSON.stringify({ slot: { S: KEY } }))).toEqual({ slot: { S: KEY }, holders: { M: { a: { S: now.toISOString() } } } });
  });

  it('GIVEN the cap reached THEN acquire fails with the holders and times (ALL_OLD), and frees up only on release', async () => {
    const { slots } = store();
    await slots.acquire(KEY, 'a', now, 2);
    await slots.acquire(KEY, 'b', now, 2);
    expect(await slots.acquire(KEY, 'c', now, 2)).toEqual({ acquired: false, holders: { a: now.toISOString(), b: now.toISOString() } });
    expect(await slots.release(KEY, 'a')).toBe(true);
    expect(await slots.release(KEY, 'a')).toBe(false); // idempotent
    expect(await slots.acquire(KEY, 'c', now, 2)).toEqual({ acquired: true });
  });

  it('GIVEN 30 acquires at once with a cap of 15 THEN exactly 15 succeed', async () => {
    const { slots } = store();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => slots.acquire(KEY, `h${i}`, now, 15)));
    expect(answers.filter((a) => a.acquired)).toHaveLength(15);
  });

  it('GIVEN a holder refreshed after it was read THEN dropping it as read fails (it is alive); dropping as read succeeds otherwise', async () => {
    const { slots } = store();
    await slots.acquire(KEY, 'a', new Date(ago(30)), 2);
    await slots.hold(KEY, 'a', now);
    expect(await slots.drop(KEY, 'a', ago(30))).toBe(false);
    expect(await slots.drop(KEY, 'a', now.toISOString())).toBe(true);
    expect(await slots.hold(KEY, 'a', now)).toBe(false); // dropped: the copy step must acquire again
  });
});

describe('the DynamoDB stand-in', () => {
  it('refuses SET of a nested path whose parent map is absent, as DynamoDB does', () => {
    const ddb = new DynamoDbStandin();
    expect(() => ddb.handle(new UpdateItemCommand({ TableName: TABLE, Key: { slot: { S: 'k' } }, UpdateExpression: 'SET holders.#h = :v', ExpressionAttributeNames: { '#h': 'a' }, ExpressionAttributeValues: { ':v': { S: 'x' } } }))).toThrow(
      /document path provided in the update expression is invalid/,
    );
  });

  it('refuses expression attribute values the expressions do not use', () => {
    const ddb = new DynamoDbStandin();
    expect(() => ddb.handle(new UpdateItemCommand({ TableName: TABLE, Key: { slot: { S: 'k' } }, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': { S: 'x' }, ':unused': { S: 'y' } } }))).toThrow(
      /ExpressionAttributeValues unused in expressions/,
    );
  });

  it('evaluates a failed condition against the item as it is, returns it only with ALL_OLD, and changes nothing', () => {
    const ddb = new DynamoDbStandin();
    ddb.handle(new UpdateItemCommand({ TableName: TABLE, Key: { slot: { S: 'k' } }, UpdateExpression: 'SET n = :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
    const attempt = (returnOld: boolean) => {
      try {
        ddb.handle(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: { slot: { S: 'k' } },
            UpdateExpression: 'SET n = :two',
            ConditionExpression: 'n > :one',
            ExpressionAttributeValues: { ':one': { N: '1' }, ':two': { N: '2' } },
            ...(returnOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
          }),
        );
        return undefined;
      } catch (error) {
        return error as ConditionalCheckFailedException;
      }
    };
    expect(attempt(true)).toMatchObject({ name: 'ConditionalCheckFailedException', Item: { slot: { S: 'k' }, n: { N: '1' } } });
    expect(attempt(false)!.Item).toBeUndefined();
    expect(ddb.item(TABLE, JSON.stringify({ slot: { S: 'k' } }))).toEqual({ slot: { S: 'k' }, n: { N: '1' } });
  });

  it('refuses an expression outside the subset it parses rather than misreading it', () => {
    const ddb = new DynamoDbStandin();
    expect(() => ddb.handle(new UpdateItemCommand({ TableName: TABLE, Key: { slot: { S: 'k' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } }))).toThrow(/unsupported clause "ADD"/);
  });
});
