/**
 * Copy slots: a DynamoDB semaphore per `<account>#<destinationRegion>` that makes
 * MAX_IN_FLIGHT_COPIES strict (the AWS "distributed semaphore" pattern for Step Functions:
 * https://aws.amazon.com/blogs/compute/controlling-concurrency-in-distributed-systems-using-aws-step-functions/).
 *
 * Why a table: EC2 offers no lock, so executions that count pending copies with DescribeSnapshots
 * within the same seconds all see room (bench:burst saw 17-20 of this app's copies against a cap
 * of 15). A conditional UpdateItem is atomic per item: of any number of concurrent writers, exactly
 * the ones whose condition holds at their turn succeed
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 * EC2 stays the source of truth for what is pending (Admit counts this app's pending copies after
 * acquiring). Slots no longer needed: when the table says "full", every other holder that acquired
 * (or refreshed) its slot SLOT_STALE_AFTER_SECONDS ago or more is dropped, conditionally on the time
 * it was read with (`drop`), when
 * - its snapshot has no pending copy of this app in EC2 (its copy finished, or failed, before its
 *   execution released the slot), or
 * - its execution is no longer RUNNING (DescribeExecution, ./executions.ts: stopped, timed out,
 *   failed at the history limit, or ended without releasing), even with a copy still pending.
 *
 * One item per key: `{ slot: "<account>#<destinationRegion>", holders: { <executionName>: <acquiredAt ISO> } }`.
 *   acquire  SET holders.#h = :now  IF attribute_exists(holders) AND (attribute_exists(holders.#h) OR size(holders) < :max)
 *            (re-acquiring refreshes the holder's time: idempotent; `size` of a map is its number of
 *            child elements: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html#Expressions.OperatorsAndFunctions.Functions;
 *            an absent item is first created with `SET holders = if_not_exists(holders, :empty)`,
 *            since SET of a nested path fails when its parent map is absent:
 *            https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.SET)
 *   hold     SET holders.#h = :now  IF attribute_exists(holders.#h)       (the copy step, right before CopySnapshot)
 *   drop     REMOVE holders.#h      IF holders.#h = :seen                 (reconcile: only the holder as it was read)
 *   release  REMOVE holders.#h      IF attribute_exists(holders.#h)       (ConditionalCheckFailed = already released)
 * A failed condition returns the item (ReturnValuesOnConditionCheckFailure ALL_OLD), so "full" costs
 * one write request and no read:
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValuesOnConditionCheckFailure
 */
import { UpdateItemCommand, type AttributeValue, type ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PROVENANCE_TAGS } from './decide';
import { STEP_ERRORS, StepError, asError, isNetworkError } from './errors';
import type { HolderStatus } from './executions';

/** Execution name → acquisition time (ISO-8601). */
export type Holders = Readonly<Record<string, string>>;

/**
 * A holder is looked at only once it acquired or refreshed its slot this long ago: longer than
 * anything an execution does between acquiring and its copy showing as `pending` (the copy step
 * refreshes the holder right before CopySnapshot; an ambiguous CopySnapshot is confirmed within ~7.5
 * minutes (CONFIRM_RETRY); DescribeSnapshots shows a new copy within seconds), and an Admit that
 * finds the slots full would otherwise ask about every holder at every check (a burst's first
 * minutes: hundreds of Admits). Also the shortest a leaked slot can last.
 */
export const SLOT_STALE_AFTER_SECONDS = 900;

/** `<account>#<destinationRegion>`: the copy slots of one account and destination region (a vault's slots may use another key). */
export const slotKey = (account: string, destinationRegion: string): string => `${account}#${destinationRegion}`;

/** Holders acquired at least `staleAfterSeconds` ago (or at a time that does not parse), never `self`. */
export function agedHolders(holders: Holders, self: string, now: Date, staleAfterSeconds = SLOT_STALE_AFTER_SECONDS): string[] {
  return Object.entries(holders)
    .filter(([name, at]) => name !== self && (!Number.isFinite(Date.parse(at)) || now.getTime() - Date.parse(at) >= staleAfterSeconds * 1000))
    .map(([name]) => name);
}

/** The snapshot an execution copies, from its name `<account>-<sourceRegion>-<snapshotId>-<destinationRegion>`. */
export function holderSnapshotId(holder: string): string | undefined {
  return /-(snap-[0-9a-f]+)-/.exec(holder)?.[1];
}

/** What reclaiming found: the holders whose slot is no longer needed (and why), and those it could not tell (kept). */
export interface Reclaimable {
  gone: Array<{ holder: string; detail: string }>;
  unknown: Array<{ holder: string; detail: string }>;
}

export interface ReclaimChecks {
  /** Source snapshot ids with a pending copy of this app in the slot's region; undefined: EC2 could not tell. */
  pendingSnapshots?: () => Promise<ReadonlySet<string> | undefined>;
  /** The holder's execution status (DescribeExecution). */
  status: (holder: string) => Promise<{ status: HolderStatus; detail: string }>;
}

/**
 * The aged holders whose slot can go: those whose snapshot has no pending copy (one EC2 look for
 * them all), then, of the others, those whose execution no longer runs (parallel DescribeExecution
 * calls, each bounded by its request timeout).
 */
export async function reclaimableHolders(holders: Holders, self: string, now: Date, checks: ReclaimChecks): Promise<Reclaimable> {
  const aged = agedHolders(holders, self, now);
  if (aged.length === 0) return { gone: [], unknown: [] };
  const pending = checks.pendingSnapshots ? await checks.pendingSnapshots() : undefined;
  const finished = aged.filter((h) => {
    const id = holderSnapshotId(h);
    return pending !== undefined && id !== undefined && !pending.has(id);
  });
  const answers = await Promise.all(aged.filter((h) => !finished.includes(h)).map(async (holder) => ({ holder, ...(await checks.status(holder)) })));
  return {
    gone: [
      ...finished.map((holder) => ({ holder, detail: `no pending copy of ${holderSnapshotId(holder)} in EC2` })),
      ...answers.filter((a) => a.status === 'gone').map(({ holder, detail }) => ({ holder, detail })),
    ],
    unknown: answers.filter((a) => a.status === 'unknown').map(({ holder, detail }) => ({ holder, detail })),
  };
}

/** Source snapshot ids of copies, from their `ebs-event-hub:source-snapshot-id` tag. */
export function sourceSnapshotIds(copies: ReadonlyArray<{ Tags?: Array<{ Key?: string; Value?: string }> }>): Set<string> {
  const ids = new Set<string>();
  for (const c of copies) for (const t of c.Tags ?? []) if (t.Key === PROVENANCE_TAGS.sourceSnapshotId && t.Value) ids.add(t.Value);
  return ids;
}

export type AcquireResult = { acquired: true } | { acquired: false; holders: Holders };

/** The semaphore, as the `step` entry uses it. */
export interface SlotStore {
  acquire(key: string, holder: string, now: Date, max: number): Promise<AcquireResult>;
  /** Refreshes a holder's time; false when it holds no slot (it was dropped). */
  hold(key: string, holder: string, now: Date): Promise<boolean>;
  /** Drops a holder if its time is still `seenAcquiredAt`; false otherwise. */
  drop(key: string, holder: string, seenAcquiredAt: string): Promise<boolean>;
  /** Releases a slot; false when it held none (idempotent). */
  release(key: string, holder: string): Promise<boolean>;
}

export interface DynamoDbSender {
  send(command: UpdateItemCommand): Promise<{ Attributes?: Record<string, AttributeValue> }>;
}

/**
 * DynamoDB's retryable answers (after the SDK's own retries): throttling, 5xx, network: the codes
 * "Error messages and codes" marks "OK to retry? Yes" (TimeoutError is the SDK's own, a network timeout).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.MessagesAndCodes
 */
const RETRYABLE = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError', 'ServiceUnavailable', 'TimeoutError']);

/**
 * The write's ConditionExpression was false: a 400 ConditionalCheckFailedException, never retried
 * by the SDK (its name, not `instanceof`: a second copy of the SDK in a test or bundle is another class).
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#API_UpdateItem_Errors
 */
export const conditionFailed = (error: unknown): error is ConditionalCheckFailedException => (error as Error | undefined)?.name === 'ConditionalCheckFailedException';

/** A DynamoDB failure of `what` on `table`: retryable ones become SlotTableUnavailable (copy-slots and copy-ledger tables alike). */
export function failure(error: unknown, what: string, table: string): Error {
  const e = asError(error);
  const meta = e as Error & { $fault?: string };
  if (RETRYABLE.has(e.name) || meta.$fault === 'server' || isNetworkError(e)) {
    return new StepError(STEP_ERRORS.slotTableUnavailable, `${what} on table ${table} failed after the SDK's retries: ${e.name}: ${e.message}`, {}, { cause: e });
  }
  return e;
}

const holdersOf = (item: Record<string, AttributeValue> | undefined): Holders | undefined => {
  const map = item?.['holders']?.M;
  if (map === undefined) return undefined;
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v.S ?? '']));
};

export function createSlotStore(client: DynamoDbSender, tableName: string): SlotStore {
  const key = (slot: string) => ({ slot: { S: slot } });
  const update = async (what: string, input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName'>): Promise<{ ok: true } | { ok: false; item?: Record<string, AttributeValue> }> => {
    try {
      await client.send(new UpdateItemCommand({ TableName: tableName, ...input }));
      return { ok: true };
    } catch (error) {
      if (conditionFailed(error)) {
        return { ok: false, item: error.Item };
      }
      throw failure(error, what, tableName);
    }
  };
  const tryAcquire = (slot: string, holder: string, now: Date, max: number) =>
    update('UpdateItem (acquire a copy slot)', {
      Key: key(slot),
      UpdateExpression: 'SET holders.#h = :now',
      ConditionExpression: 'attribute_exists(holders) AND (attribute_exists(holders.#h) OR size(holders) < :max)',
      ExpressionAttributeNames: { '#h': holder },
      ExpressionAttributeValues: { ':now': { S: now.toISOString() }, ':max': { N: String(max) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });

  return {
    async acquire(slot, holder, now, max) {
      let answer = await tryAcquire(slot, holder, now, max);
      if (answer.ok) return { acquired: true };
      if (holdersOf(answer.item) === undefined) {
        // First use of this account and region: create the empty map (idempotent), then acquire.
        await update('UpdateItem (create the copy slots)', {
          Key: key(slot),
          UpdateExpression: 'SET holders = if_not_exists(holders, :empty)',
          ExpressionAttributeValues: { ':empty': { M: {} } },
        });
        answer = await tryAcquire(slot, holder, now, max);
        if (answer.ok) return { acquired: true };
      }
      return { acquired: false, holders: holdersOf(answer.item) ?? {} };
    },
    async hold(slot, holder, now) {
      const answer = await update('UpdateItem (refresh a copy slot)', {
        Key: key(slot),
        UpdateExpression: 'SET holders.#h = :now',
        ConditionExpression: 'attribute_exists(holders.#h)',
        ExpressionAttributeNames: { '#h': holder },
        ExpressionAttributeValues: { ':now': { S: now.toISOString() } },
      });
      return answer.ok;
    },
    async drop(slot, holder, seenAcquiredAt) {
      const answer = await update('UpdateItem (drop a stale copy slot)', {
        Key: key(slot),
        UpdateExpression: 'REMOVE holders.#h',
        ConditionExpression: 'holders.#h = :seen',
        ExpressionAttributeNames: { '#h': holder },
        ExpressionAttributeValues: { ':seen': { S: seenAcquiredAt } },
      });
      return answer.ok;
    },
    async release(slot, holder) {
      const answer = await update('UpdateItem (release a copy slot)', {
        Key: key(slot),
        UpdateExpression: 'REMOVE holders.#h',
        ConditionExpression: 'attribute_exists(holders.#h)',
        ExpressionAttributeNames: { '#h': holder },
      });
      return answer.ok;
    },
  };
}
