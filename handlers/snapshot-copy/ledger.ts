/**
 * The copy ledger: one DynamoDB item for every copy this app made (table `LEDGER_TABLE_NAME`,
 * `ebs-event-hub-copy-ledger`, in the central account and region). It is how the workflow tells
 * its own copies apart from snapshots that merely carry its tags.
 *
 * Why a ledger and not the tags: tags propagate. A volume restored from a copy after a failover is
 * often given the copy's tags (by the console, by restore tooling), and DLM ("Copy all user-defined
 * tags on a source volume to snapshots of the volume created by this policy") and AWS Backup carry a
 * volume's tags onto the snapshots they take of it. The new primary snapshots in the destination
 * region can then carry `ebs-event-hub:source-snapshot-id` and an `ebs-event-hub:expires-at` that has
 * passed: Find would take one for an existing copy, Admit would count it as one of this app's pending
 * copies, and the sweep would delete a primary backup. Nothing but this app writes this table, and
 * nothing done to a snapshot or a volume can put an item in it.
 * https://docs.aws.amazon.com/dlm/latest/APIReference/API_Schedule.html (CopyTags)
 *
 * Item (all strings):
 *   target            "<copyAccount>#<destinationRegion>"  partition key: who owns the copy, where
 *   copySnapshotId    "snap-…"                              sort key
 *   sourceSnapshotId, account (the source's account), sourceRegion, destinationRegion,
 *   kind ("member-copy" | "vault-copy"), copyAccount, executionName, createdAt (ISO-8601 UTC),
 *   recordedBy ("copy": CopySnapshot answered; "confirm": adopted after an ambiguous answer),
 *   expiresAt (ISO-8601 UTC, only for a copy made with retention: the index `by-kind-expiry` is sparse)
 *   vault copies also: memberCopySnapshotId (the member-side copy the vault copy was made from)
 *   member copies deleted once vaulted (keepMemberCopy false) also: deletedAt, vaultCopySnapshotId
 *   (UpdateItem IF attribute_exists(copySnapshotId): the item stays, marked, so a later execution for
 *   the same snapshot goes to the vault copy instead of copying again)
 * Lookups:
 *   Find / ConfirmCopy    Query index `by-source`       target = :t AND sourceSnapshotId = :s  (KEYS_ONLY)
 *   Admit (pending count) BatchGetItem (target, copySnapshotId), ConsistentRead                 (membership)
 *   sweep                 Query index `by-kind-expiry`  kind = :k AND expiresAt <= :now        (every expired copy
 *                                                       of the organization of that kind, oldest first, in pages)
 *   record                PutItem IF attribute_not_exists(copySnapshotId)                      (idempotent)
 *   forget                DeleteItem (target, copySnapshotId)                                  (after the sweep deleted it)
 *   raiseExpiry           UpdateItem IF attribute_exists(expiresAt) AND expiresAt < :e         (VaultLock: never lowers)
 * A vault copy (a locked copy in an isolated vault account) is recorded the same way under
 * `target = "<vaultAccount>#<vaultRegion>"` (the account and region that own it), `kind =
 * "vault-copy"`, `copyAccount = <vaultAccount>`, `account` = the member account of the original
 * snapshot and `sourceSnapshotId` = that original snapshot, and with `vault.retentionDays` its own
 * `expiresAt`: the same lookups serve it, in the vault's partition, and the sweep finds it in the
 * `vault-copy` partition of `by-kind-expiry`. That expiry counts from the copy's start, its lock from
 * VaultLock, after the copy completed: VaultLock raises `expiresAt` to the lock's expiry
 * (raiseExpiry), so that the sweep never meets a copy still locked (`retentionDays` may equal
 * `lock.days`).
 *
 * Why `kind` is the sweep's partition key: every item ever written carries it (it is part of the
 * item since the ledger exists), so adding the index needs no backfill of our own (DynamoDB fills a
 * new global secondary index from the existing items: GSI.OnlineOps), and one Query per kind returns
 * the whole organization's expired copies, whatever the number of accounts and regions. Its cost: all
 * copies with an expiry share two partition key values, and a partition takes at most 1,000 writes a
 * second; the ledger is written once per copy (record) and once per swept copy (forget), far below
 * that (executions start at most at Step Functions' StartExecution rate, a few hundred a second).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.OnlineOps.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html
 *
 * ISO-8601 UTC strings of one format sort as their times, so `expiresAt <= :now` is a range
 * condition on the index's sort key and the sweep reads only expired items.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.sparse
 */
import {
  BatchGetItemCommand,
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { DescribeSnapshotsCommandInput, Snapshot } from '@aws-sdk/client-ec2';
import { EXPIRES_AT_TAG, PROVENANCE_TAGS, copyDescription, expiresAt, type CopyInput } from './decide';
import { STEP_ERRORS, StepError } from './errors';
import { conditionFailed, failure } from './slots';

/**
 * The table's key schema and indexes. Equal to stacks/central/snapshot-copy-ledger.ts LEDGER_SCHEMA
 * (a test keeps them equal: handlers may not import stacks/).
 */
export const LEDGER_SCHEMA = {
  partitionKey: 'target',
  sortKey: 'copySnapshotId',
  /** Find and ConfirmCopy need the copy ids only. */
  bySource: { name: 'by-source', partitionKey: 'target', sortKey: 'sourceSnapshotId', projection: 'KEYS_ONLY', nonKeyAttributes: [] },
  /**
   * The sweep: every expired copy of one kind, oldest first (the table's keys say whose and where;
   * it also checks the copy's provenance tag against the recorded source).
   */
  byKindExpiry: { name: 'by-kind-expiry', partitionKey: 'kind', sortKey: 'expiresAt', projection: 'INCLUDE', nonKeyAttributes: ['sourceSnapshotId'] },
} as const;

export type CopyKind = 'member-copy' | 'vault-copy';

export interface LedgerEntry {
  kind: CopyKind;
  /** The account that owns the copy (the member account for a member copy). */
  copyAccount: string;
  destinationRegion: string;
  copySnapshotId: string;
  /** The account of the snapshot that was copied. */
  account: string;
  sourceRegion: string;
  sourceSnapshotId: string;
  /** With retention: when the sweep may delete the copy (ISO-8601 UTC). */
  expiresAt?: string;
  executionName: string;
  createdAt: string;
  recordedBy: 'copy' | 'confirm';
  /** A vault copy: the member-side copy it was made from. */
  memberCopySnapshotId?: string;
}

/** An item as read back (BatchGetItem): the entry, and the marks of a member copy deleted once vaulted. */
export interface RecordedEntry extends LedgerEntry {
  /** When the member-side copy was deleted after its vault copy was locked (keepMemberCopy false). */
  deletedAt?: string;
  /** The vault copy that replaced it. */
  vaultCopySnapshotId?: string;
}

/** An expired copy as the sweep reads it from the index `by-kind-expiry`. */
export interface ExpiredCopy {
  kind: CopyKind;
  /** The account that owns the copy, and its region (from the item's `target`). */
  copyAccount: string;
  destinationRegion: string;
  copySnapshotId: string;
  sourceSnapshotId: string;
  expiresAt: string;
}

/** Where a page of the index `by-kind-expiry` starts: after this item (its index and table keys). */
export interface ExpiredPosition {
  target: string;
  copySnapshotId: string;
  expiresAt: string;
}

/** One page of expired copies, and where the next one starts (absent: none left). */
export interface ExpiredPage {
  copies: ExpiredCopy[];
  next?: ExpiredPosition;
}

/** The ledger, as the step and sweep entries use it. */
export interface LedgerStore {
  /** Records a copy; false when it was recorded already (a redelivery: idempotent). */
  record(entry: LedgerEntry): Promise<boolean>;
  /** Copy ids recorded for a source snapshot in one account and region. */
  copiesOf(copyAccount: string, destinationRegion: string, sourceSnapshotId: string): Promise<string[]>;
  /** Which of `copyIds` are recorded (strongly consistent). */
  recorded(copyAccount: string, destinationRegion: string, copyIds: readonly string[]): Promise<Set<string>>;
  /** The items of `copyIds` that are recorded (strongly consistent), whole. */
  entries(copyAccount: string, destinationRegion: string, copyIds: readonly string[]): Promise<RecordedEntry[]>;
  /**
   * Marks a member copy deleted once vaulted (keepMemberCopy false): `deletedAt`, `vaultCopySnapshotId`
   * (UpdateItem IF attribute_exists: never creates an item); false when it is not recorded.
   */
  markVaulted(copyAccount: string, destinationRegion: string, copySnapshotId: string, mark: { deletedAt: string; vaultCopySnapshotId: string }): Promise<boolean>;
  /**
   * Raises a copy's expiry to `notBefore` (rounded up to the second) when it is earlier: UpdateItem
   * IF its `expiresAt` exists and is earlier, so it never lowers an expiry, never gives one to a copy
   * kept forever and never creates an item; a redelivery changes nothing. False when nothing changed.
   */
  raiseExpiry(copyAccount: string, destinationRegion: string, copySnapshotId: string, notBefore: Date): Promise<boolean>;
  /**
   * One page (at most `limit`) of the recorded copies of `kind`, in every account and region, whose
   * expiry is at or before `now`, oldest first, after `after`.
   */
  expiredPage(kind: CopyKind, now: Date, options: { after?: ExpiredPosition; limit: number }): Promise<ExpiredPage>;
  /** Removes a copy's item (after the sweep deleted the copy, or found it gone). */
  forget(copyAccount: string, destinationRegion: string, copySnapshotId: string): Promise<void>;
}

export const ledgerTarget = (copyAccount: string, destinationRegion: string): string => `${copyAccount}#${destinationRegion}`;

/** BatchGetItem takes at most 100 keys a request. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html */
export const BATCH_GET_MAX_KEYS = 100;
/** Rounds of UnprocessedKeys retried (with exponential backoff, as the API reference asks) before giving up. */
export const UNPROCESSED_ROUNDS = 5;
/** `<copyAccount>#<region>` → its two parts, or undefined for anything else. */
export function parseLedgerTarget(target: string): { copyAccount: string; destinationRegion: string } | undefined {
  const match = /^(\d{12})#([a-z0-9-]+)$/.exec(target);
  return match ? { copyAccount: match[1]!, destinationRegion: match[2]! } : undefined;
}

const S = (value: string): AttributeValue => ({ S: value });

/** The item PutItem writes. */
export function ledgerItem(entry: LedgerEntry): Record<string, AttributeValue> {
  return {
    target: S(ledgerTarget(entry.copyAccount, entry.destinationRegion)),
    copySnapshotId: S(entry.copySnapshotId),
    sourceSnapshotId: S(entry.sourceSnapshotId),
    kind: S(entry.kind),
    copyAccount: S(entry.copyAccount),
    account: S(entry.account),
    sourceRegion: S(entry.sourceRegion),
    destinationRegion: S(entry.destinationRegion),
    executionName: S(entry.executionName),
    createdAt: S(entry.createdAt),
    recordedBy: S(entry.recordedBy),
    ...(entry.expiresAt !== undefined ? { expiresAt: S(entry.expiresAt) } : {}),
    ...(entry.memberCopySnapshotId !== undefined ? { memberCopySnapshotId: S(entry.memberCopySnapshotId) } : {}),
  };
}

const STRING_FIELDS = ['copySnapshotId', 'sourceSnapshotId', 'copyAccount', 'account', 'sourceRegion', 'destinationRegion', 'executionName', 'createdAt', 'expiresAt', 'memberCopySnapshotId', 'deletedAt', 'vaultCopySnapshotId'] as const;

/** An item as BatchGetItem returns it, read back into an entry. */
export function entryOf(item: Record<string, AttributeValue>): RecordedEntry {
  const fields = Object.fromEntries(STRING_FIELDS.filter((f) => item[f]?.S !== undefined).map((f) => [f, item[f]!.S!]));
  return {
    ...(fields as Omit<RecordedEntry, 'kind' | 'recordedBy'>),
    kind: item['kind']?.S === 'vault-copy' ? 'vault-copy' : 'member-copy',
    recordedBy: item['recordedBy']?.S === 'confirm' ? 'confirm' : 'copy',
  };
}

/** The entry of a member copy of `input`'s snapshot. */
export function memberCopyEntry(
  input: CopyInput,
  copySnapshotId: string,
  at: { executionName: string; createdAt: Date; expiresAt?: string; recordedBy: LedgerEntry['recordedBy'] },
): LedgerEntry {
  return {
    kind: 'member-copy',
    copyAccount: input.account,
    destinationRegion: input.destinationRegion,
    copySnapshotId,
    account: input.account,
    sourceRegion: input.sourceRegion,
    sourceSnapshotId: input.snapshotId,
    executionName: at.executionName,
    createdAt: at.createdAt.toISOString(),
    recordedBy: at.recordedBy,
    ...(at.expiresAt !== undefined ? { expiresAt: at.expiresAt } : {}),
  };
}

/**
 * The entry of a vault copy of `input`'s snapshot: owned by the vault account, in the member copy's
 * region (`target` = `<vaultAccount>#<region>`); `account`, `sourceRegion` and `sourceSnapshotId`
 * name the original snapshot (Find and ConfirmCopy of the vault ask by it), `memberCopySnapshotId`
 * the member-side copy it was made from.
 */
export function vaultCopyEntry(
  input: CopyInput,
  vaultAccount: string,
  copySnapshotId: string,
  memberCopySnapshotId: string,
  at: { executionName: string; createdAt: Date; expiresAt?: string; recordedBy: LedgerEntry['recordedBy'] },
): LedgerEntry {
  return { ...memberCopyEntry(input, copySnapshotId, at), kind: 'vault-copy', copyAccount: vaultAccount, memberCopySnapshotId };
}

/** The DynamoDB client, as the ledger uses it (a DynamoDBClient, or the stand-in of the tests). */
export interface LedgerSender {
  send(command: PutItemCommand | QueryCommand | BatchGetItemCommand | DeleteItemCommand | UpdateItemCommand): Promise<unknown>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createLedgerStore(client: LedgerSender, tableName: string, options: { wait?: (ms: number) => Promise<void> } = {}): LedgerStore {
  const wait = options.wait ?? sleep;
  const send = async <T>(what: string, command: QueryCommand | BatchGetItemCommand | DeleteItemCommand): Promise<T> => {
    try {
      return (await client.send(command)) as T;
    } catch (error) {
      throw failure(error, what, tableName);
    }
  };
  const query = async function* (what: string, input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'ExclusiveStartKey'>) {
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await send<{ Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue> }>(
        what,
        new QueryCommand({ TableName: tableName, ...input, ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}) }),
      );
      yield page.Items ?? [];
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  };
  const key = (target: string, copySnapshotId: string) => ({ [LEDGER_SCHEMA.partitionKey]: S(target), [LEDGER_SCHEMA.sortKey]: S(copySnapshotId) });
  /** UpdateItem of one copy's item under its condition: false when the condition failed (nothing changed). */
  const updateIf = async (what: string, copyAccount: string, region: string, copySnapshotId: string, update: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName' | 'Key'>): Promise<boolean> => {
    try {
      await client.send(new UpdateItemCommand({ TableName: tableName, Key: key(ledgerTarget(copyAccount, region), copySnapshotId), ...update }));
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw failure(error, what, tableName);
    }
  };
  /** Consistent BatchGetItem of `copyIds` (100 a request; UnprocessedKeys asked again with backoff), the copy id only or whole items. */
  const batchGet = async (copyAccount: string, region: string, copyIds: readonly string[], idsOnly: boolean): Promise<Array<Record<string, AttributeValue>>> => {
    const found: Array<Record<string, AttributeValue>> = [];
    const unique = [...new Set(copyIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX_KEYS) {
      let keys: Record<string, AttributeValue>[] = unique.slice(i, i + BATCH_GET_MAX_KEYS).map((id) => key(ledgerTarget(copyAccount, region), id));
      for (let round = 0; keys.length > 0; round++) {
        if (round > UNPROCESSED_ROUNDS) {
          throw new StepError(STEP_ERRORS.slotTableUnavailable, `BatchGetItem on table ${tableName} left ${keys.length} keys unprocessed after ${UNPROCESSED_ROUNDS} retries`);
        }
        if (round > 0) await wait(50 * 2 ** (round - 1));
        const out = await send<{ Responses?: Record<string, Record<string, AttributeValue>[]>; UnprocessedKeys?: Record<string, { Keys?: Record<string, AttributeValue>[] }> }>(
          'BatchGetItem (which copies are recorded)',
          new BatchGetItemCommand({
            RequestItems: {
              [tableName]: { Keys: keys, ConsistentRead: true, ...(idsOnly ? { ProjectionExpression: '#c', ExpressionAttributeNames: { '#c': LEDGER_SCHEMA.sortKey } } : {}) },
            },
          }),
        );
        found.push(...(out.Responses?.[tableName] ?? []));
        keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
    }
    return found;
  };

  return {
    async record(entry) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: ledgerItem(entry),
            // Idempotent: a redelivered step (or ConfirmCopy adopting a copy the Copy step recorded)
            // keeps the first record. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html#Expressions.ConditionExpressions.PreventingOverwrites
            ConditionExpression: 'attribute_not_exists(#c)',
            ExpressionAttributeNames: { '#c': LEDGER_SCHEMA.sortKey },
          }),
        );
        return true;
      } catch (error) {
        if (conditionFailed(error)) return false;
        throw failure(error, 'PutItem (record a copy)', tableName);
      }
    },
    async copiesOf(copyAccount, region, sourceSnapshotId) {
      const ids: string[] = [];
      for await (const items of query('Query (copies of a source snapshot)', {
        IndexName: LEDGER_SCHEMA.bySource.name,
        KeyConditionExpression: '#t = :t AND #s = :s',
        ExpressionAttributeNames: { '#t': LEDGER_SCHEMA.partitionKey, '#s': LEDGER_SCHEMA.bySource.sortKey },
        ExpressionAttributeValues: { ':t': S(ledgerTarget(copyAccount, region)), ':s': S(sourceSnapshotId) },
      })) {
        for (const item of items) if (item['copySnapshotId']?.S) ids.push(item['copySnapshotId'].S);
      }
      return ids;
    },
    async recorded(copyAccount, region, copyIds) {
      const items = await batchGet(copyAccount, region, copyIds, true);
      return new Set(items.map((item) => item['copySnapshotId']?.S).filter((id): id is string => id !== undefined));
    },
    async entries(copyAccount, region, copyIds) {
      return (await batchGet(copyAccount, region, copyIds, false)).map(entryOf);
    },
    async markVaulted(copyAccount, region, copySnapshotId, mark) {
      return updateIf('UpdateItem (mark a member copy vaulted)', copyAccount, region, copySnapshotId, {
        UpdateExpression: 'SET #d = :d, #v = :v',
        ConditionExpression: 'attribute_exists(#c)',
        ExpressionAttributeNames: { '#d': 'deletedAt', '#v': 'vaultCopySnapshotId', '#c': LEDGER_SCHEMA.sortKey },
        ExpressionAttributeValues: { ':d': S(mark.deletedAt), ':v': S(mark.vaultCopySnapshotId) },
      });
    },
    async raiseExpiry(copyAccount, region, copySnapshotId, notBefore) {
      return updateIf("UpdateItem (raise a copy's expiry)", copyAccount, region, copySnapshotId, {
        UpdateExpression: 'SET #e = :e',
        // ISO-8601 UTC strings of one format compare as their times (see above).
        ConditionExpression: 'attribute_exists(#e) AND #e < :e',
        ExpressionAttributeNames: { '#e': LEDGER_SCHEMA.byKindExpiry.sortKey },
        ExpressionAttributeValues: { ':e': S(isoSeconds(new Date(Math.ceil(notBefore.getTime() / 1000) * 1000))) },
      });
    },
    async expiredPage(kind, now, { after, limit }) {
      const i = LEDGER_SCHEMA.byKindExpiry;
      const page = await send<{ Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue> }>(
        'Query (expired copies)',
        new QueryCommand({
          TableName: tableName,
          IndexName: i.name,
          KeyConditionExpression: '#k = :k AND #e <= :now',
          ExpressionAttributeNames: { '#k': i.partitionKey, '#e': i.sortKey },
          ExpressionAttributeValues: { ':k': S(kind), ':now': S(isoSeconds(now)) },
          Limit: limit,
          // A position, not an item: the page starts after it even if the sweep has forgotten that item.
          ...(after ? { ExclusiveStartKey: { [i.partitionKey]: S(kind), [i.sortKey]: S(after.expiresAt), ...key(after.target, after.copySnapshotId) } } : {}),
        }),
      );
      const copies: ExpiredCopy[] = [];
      for (const item of page.Items ?? []) {
        const where = parseLedgerTarget(item[LEDGER_SCHEMA.partitionKey]?.S ?? '');
        const copySnapshotId = item[LEDGER_SCHEMA.sortKey]?.S;
        if (!where || !copySnapshotId) continue;
        copies.push({ kind, ...where, copySnapshotId, sourceSnapshotId: item['sourceSnapshotId']?.S ?? '', expiresAt: item[i.sortKey]?.S ?? '' });
      }
      const last = page.LastEvaluatedKey;
      const next = last && last[LEDGER_SCHEMA.partitionKey]?.S && last[LEDGER_SCHEMA.sortKey]?.S && last[i.sortKey]?.S
        ? { target: last[LEDGER_SCHEMA.partitionKey]!.S!, copySnapshotId: last[LEDGER_SCHEMA.sortKey]!.S!, expiresAt: last[i.sortKey]!.S! }
        : undefined;
      return { copies, ...(next ? { next } : {}) };
    },
    async forget(copyAccount, region, copySnapshotId) {
      await send('DeleteItem (forget a deleted copy)', new DeleteItemCommand({ TableName: tableName, Key: key(ledgerTarget(copyAccount, region), copySnapshotId) }));
    },
  };
}

/** ISO-8601 UTC to the second: the format of `expiresAt` (so string order is time order). */
export const isoSeconds = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

// --- decisions on what EC2 describes --------------------------------------------------------------

/**
 * DescribeSnapshots input describing the ledger's copies by id. The `snapshot-id` filter, not
 * `SnapshotIds`: one deleted id in `SnapshotIds` fails the whole request (InvalidSnapshot.NotFound),
 * a filter simply returns the others.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
 */
export function ledgerCopiesQuery(copyIds: readonly string[]): DescribeSnapshotsCommandInput {
  return { OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: [...copyIds] }] };
}

/** When the Copy step tried CopySnapshot, from the cause of its ambiguous error (`attempted at <ISO>`). */
export function copyAttemptedAt(lastError: { Error?: string; Cause?: string } | undefined): Date | undefined {
  if (typeof lastError?.Cause !== 'string') return undefined;
  const match = /attempted at (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/.exec(lastError.Cause);
  return match ? new Date(match[1]!) : undefined;
}

/**
 * A copy ConfirmCopy may adopt after an ambiguous CopySnapshot: provably made by this execution's
 * attempt, because all three hold:
 * - its provenance tag names this source (tags can propagate: alone, this proves nothing);
 * - its Description is exactly the one this app writes (`copyDescription`): CopySnapshot sets it,
 *   while DLM, AWS Backup and CreateSnapshot write their own, and a snapshot of a restored volume
 *   does not inherit one (a volume has no description);
 * - its StartTime ("the time stamp when the snapshot was initiated") is not before the attempt, so
 *   no older snapshot can pass for it. The attempt's time is the function's clock, taken before the
 *   request left; StartTime is EC2's: CLOCK_TOLERANCE_SECONDS absorbs a skew between the two (a copy
 *   started that little before the attempt with this app's Description and tag is this app's own).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html
 */
export function provablyOurs(snapshot: Pick<Snapshot, 'Tags' | 'Description' | 'StartTime'>, input: CopyInput, notBefore: Date | undefined, description = copyDescription(input)): boolean {
  if (notBefore === undefined || !Number.isFinite(notBefore.getTime())) return false;
  const tagged = (snapshot.Tags ?? []).some((t) => t.Key === PROVENANCE_TAGS.sourceSnapshotId && t.Value === input.snapshotId);
  const started = snapshot.StartTime instanceof Date ? snapshot.StartTime.getTime() : Number.NaN;
  return tagged && snapshot.Description === description && Number.isFinite(started) && started >= notBefore.getTime() - CLOCK_TOLERANCE_SECONDS * 1000;
}

/** How much earlier than the attempt (by the function's clock) EC2's StartTime of its copy may read. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * The expiry to record for an adopted copy: its own `expires-at` tag (written by the Copy step from
 * the same clock), else StartTime + retention; none without retention.
 */
export function adoptedExpiry(snapshot: Pick<Snapshot, 'Tags' | 'StartTime'>, retentionDays: number | undefined): string | undefined {
  if (retentionDays === undefined) return undefined;
  const tag = snapshot.Tags?.find((t) => t.Key === EXPIRES_AT_TAG)?.Value;
  if (tag !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(tag)) return tag;
  return expiresAt(snapshot.StartTime instanceof Date ? snapshot.StartTime : new Date(), retentionDays);
}
