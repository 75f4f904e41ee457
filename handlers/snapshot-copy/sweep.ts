/**
 * The `sweep` entry: one page of the retention sweep. The sweep state machine
 * (stacks/central/sweep-workflow.ts) calls it again and again with the state it returned, until it
 * answers `done` (or the execution's page bound or work time is reached); each call:
 *   1. reads one page of expired copies from the copy ledger: Query of the index `by-kind-expiry`,
 *      `kind = <kind> AND expiresAt <= <the execution's start>`, after the cursor, at most
 *      `pageSize` items, the organization's oldest first (./ledger: one Query serves every account
 *      and region, so the work follows the ledger, not the list of accounts);
 *   2. groups the page by the account and region that own each copy and sweeps the groups a few at a
 *      time (SWEEP_GROUP_CONCURRENCY), each under that account's role: a member copy under
 *      MEMBER_ROLE_NAME (its own credentials in the function's own account), a vault copy under
 *      VAULT_ROLE_NAME in VAULT_ACCOUNT_ID;
 *   3. per group, describes its copies (DescribeSnapshots `snapshot-id` filter, SWEEP_DESCRIBE_BATCH
 *      ids a call) and decides per copy (decideSweep):
 *        gone from EC2                  → its ledger item is removed (`gone`)
 *        tags still name the recorded source and the `expires-at` tag has passed too
 *                                       → DeleteSnapshot, then the ledger item is removed (`deleted`)
 *        `expires-at` moved later       → kept (`notExpired`), looked at again next sweep
 *        tags removed or changed        → kept (`kept`, logged): the role's IAM condition on
 *                                         ec2:DeleteSnapshot (both tags) would refuse it anyway
 *      InvalidSnapshot.InUse (an AMI uses it) → kept (`inUse`); NotFound on delete → `gone`.
 *      Any other failure (throttling that outlived the SDK's retries, AccessDenied, a locked vault
 *      copy, the role not assumable, a ledger item not removed) is counted `failed` for that copy
 *      only, the first one kept in the summary: the others are swept all the same.
 * What is "this app's copy" and when it expires comes from the ledger, never from tags alone: a
 * snapshot of a volume restored from a copy can carry the copy's tags, expired expiry included, and
 * must never be deleted.
 *
 * Within the Lambda timeout: every SDK call is bounded (./clients HTTP_TIMEOUTS), and no new call
 * starts once less than SWEEP_RESERVE_MS is left; the cursor then points after the longest prefix of
 * the page that is done, and the next call goes on from there (a copy past it that was already done
 * is looked at again: every step is idempotent).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html
 */
import { DeleteSnapshotCommand, type Snapshot } from '@aws-sdk/client-ec2';
import { DEFAULT_ATTEMPTS, DEFAULT_EC2_CONFIG, HTTP_TIMEOUTS, describeSnapshots, type ClientProvider } from './clients';
import type { SweepConfig, SweptKind } from './config';
import { classifyEc2Error, decideSweep, roleArnFor, type FunctionIdentity } from './decide';
import { MalformedEventError, asError } from './errors';
import { ledgerCopiesQuery, type ExpiredCopy, type ExpiredPosition, type LedgerStore } from './ledger';
import type { Log } from './logger';

export interface SweepDeps {
  config: SweepConfig;
  clients: ClientProvider;
  /** The copy ledger (./ledger: createLedgerStore). */
  ledger: LedgerStore;
  logger: Log;
  self: FunctionIdentity;
  now: () => Date;
  /** Milliseconds left before the function times out (the Lambda context's getRemainingTimeInMillis). */
  timeLeftMs: () => number;
}

/** The largest page the function accepts (the definition asks for SWEEP_PAGE_SIZE, equal or less). */
export const MAX_PAGE_SIZE = 1000;
/**
 * Ids per DescribeSnapshots (one `snapshot-id` filter). The API reference sets no maximum number of
 * filter values (API_Filter), yet may refuse "too many filter values" (FilterLimitExceeded,
 * errors-overview) without saying at how many: batches stay small.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Filter.html
 */
export const SWEEP_DESCRIBE_BATCH = 100;
/** Account × region groups of a page swept at once (each deletes one copy at a time: EC2 throttles per account and region). */
export const SWEEP_GROUP_CONCURRENCY = 8;

/**
 * The longest one SDK call can take (every attempt timing out, the standard retry's backoff of at
 * most min(2^i, 20) s before retry i+1): https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
const worstCallMs = (t: { connectionTimeout: number; requestTimeout: number }, attempts: number): number =>
  attempts * (t.connectionTimeout + t.requestTimeout) + Array.from({ length: attempts - 1 }, (_, i) => Math.min(2 ** i, 20) * 1000).reduce((a, b) => a + b, 0);
/**
 * No call starts with less time left than this: the longest chain one copy's turn can take once
 * started (AssumeRole, then an EC2 call, then DeleteItem on the ledger), plus ten seconds.
 */
export const SWEEP_RESERVE_MS =
  2 * worstCallMs(HTTP_TIMEOUTS.other, DEFAULT_ATTEMPTS) + worstCallMs(HTTP_TIMEOUTS.ec2, DEFAULT_EC2_CONFIG.maxAttempts as number) + 10_000;

/** The first copy that could not be swept: what the execution's `SweepIncomplete` names. */
export interface SweepFailure {
  kind: SweptKind;
  account: string;
  region: string;
  copySnapshotId: string;
  error: string;
  message: string;
}

export interface SweepSummary {
  /** Copies the ledger records as expired, looked at. */
  examined: number;
  deleted: number;
  /** No longer in EC2 (deleted by someone else): their ledger items removed. */
  gone: number;
  /** Their `expires-at` tag was moved later: kept. */
  notExpired: number;
  /** Copies an AMI still uses (InvalidSnapshot.InUse): kept, tried again next sweep. */
  inUse: number;
  /** Their tags no longer say they are this app's expired copy: kept. */
  kept: number;
  /** Could not be swept (each counted once per time it was tried). */
  failed: number;
  firstFailure?: SweepFailure;
}

/** Where the sweep goes on: the kind being swept, after this position (absent: from its first expired copy). */
export interface SweepCursor {
  kind: SweptKind;
  after?: ExpiredPosition;
}

/**
 * The sweep's state, in and out: the state machine keeps it (`$.task.data`) between pages.
 * `outcome`: `start` (before the first page), `more` (call again with this state), `done` (every
 * kind swept to the end), `out-of-time` (the execution has run `stopAfterSeconds`: the next daily
 * sweep goes on). `cause` says what was done so far, for the execution's end.
 */
export interface SweepState {
  outcome: 'start' | 'more' | 'done' | 'out-of-time';
  cursor?: SweepCursor;
  summary?: SweepSummary;
  cause: string;
}

/** What the state machine sends: the execution's start (the expiry cut-off), the state, and its limits. */
export interface SweepEvent {
  executionStartTime: string;
  state: SweepState;
  pageSize: number;
  stopAfterSeconds: number;
}

const ZERO: SweepSummary = { examined: 0, deleted: 0, gone: 0, notExpired: 0, inUse: 0, kept: 0, failed: 0 };
const OUTCOMES = new Set(['start', 'more', 'done', 'out-of-time']);

type Ec2 = ReturnType<ClientProvider['ec2']>;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseEvent(event: unknown, kinds: readonly SweptKind[]): SweepEvent {
  const bad = (why: string) =>
    new MalformedEventError(`sweep input ${why}: expected { executionStartTime, state: { outcome, cursor?, summary?, cause }, pageSize, stopAfterSeconds }, got ${JSON.stringify(event)?.slice(0, 300)}`);
  if (!isObject(event)) throw bad('is not an object');
  const { executionStartTime, state, pageSize, stopAfterSeconds } = event;
  if (typeof executionStartTime !== 'string' || !Number.isFinite(Date.parse(executionStartTime))) throw bad('has no executionStartTime (ISO-8601)');
  if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw bad(`has a pageSize that is not a whole number from 1 to ${MAX_PAGE_SIZE}`);
  if (typeof stopAfterSeconds !== 'number' || !(stopAfterSeconds > 0)) throw bad('has no positive stopAfterSeconds');
  if (!isObject(state) || typeof state['outcome'] !== 'string' || !OUTCOMES.has(state['outcome'])) throw bad('has no state.outcome');
  const cursor = state['cursor'];
  if (cursor !== undefined && (!isObject(cursor) || !kinds.includes(cursor['kind'] as SweptKind))) throw bad(`has a cursor of no kind this sweep serves (${kinds.join(', ')})`);
  const after = isObject(cursor) ? cursor['after'] : undefined;
  if (after !== undefined && (!isObject(after) || !['target', 'copySnapshotId', 'expiresAt'].every((k) => typeof after[k] === 'string'))) throw bad('has a cursor position without target, copySnapshotId and expiresAt');
  const summary = state['summary'];
  if (summary !== undefined && (!isObject(summary) || !(Object.keys(ZERO) as Array<keyof SweepSummary>).every((k) => typeof summary[k] === 'number'))) throw bad('has a summary without its counts');
  return event as unknown as SweepEvent;
}

export async function handleSweep(event: unknown, deps: SweepDeps): Promise<SweepState> {
  const { kinds } = deps.config;
  const input = parseEvent(event, kinds);
  const start = new Date(input.executionStartTime);
  const summary: SweepSummary = { ...ZERO, ...input.state.summary };
  const cursor: SweepCursor = input.state.cursor ?? { kind: kinds[0]! };
  if (input.state.outcome === 'done' || input.state.outcome === 'out-of-time') return input.state;
  if (deps.now().getTime() - start.getTime() >= input.stopAfterSeconds * 1000) return finish('out-of-time', cursor, summary, deps);

  const page = await deps.ledger.expiredPage(cursor.kind, start, { ...(cursor.after ? { after: cursor.after } : {}), limit: input.pageSize });
  const done = await sweepPage(page.copies, start, summary, deps);
  // The next position: after the page, or after the longest prefix done before the time ran out.
  const prefix = done.findIndex((d) => !d);
  let next: SweepCursor | undefined;
  if (prefix === -1) {
    const following = kinds[kinds.indexOf(cursor.kind) + 1];
    next = page.next ? { kind: cursor.kind, after: page.next } : following ? { kind: following } : undefined;
  } else {
    const last = page.copies[prefix - 1];
    next = last ? { kind: cursor.kind, after: positionOf(last) } : cursor;
  }
  return next ? finish('more', next, summary, deps) : finish('done', undefined, summary, deps);
}

const positionOf = (c: ExpiredCopy): ExpiredPosition => ({ target: `${c.copyAccount}#${c.destinationRegion}`, copySnapshotId: c.copySnapshotId, expiresAt: c.expiresAt });

function finish(outcome: SweepState['outcome'], cursor: SweepCursor | undefined, summary: SweepSummary, deps: SweepDeps): SweepState {
  const state: SweepState = { outcome, ...(cursor ? { cursor } : {}), summary, cause: describeSummary(summary, outcome) };
  deps.logger.info(`retention sweep page: ${outcome}`, { ...summary, outcome, ...(cursor ? { cursor } : {}) });
  return state;
}

/** One line for the execution's end: the counts, the first failure, and whether copies are left. */
export function describeSummary(s: SweepSummary, outcome: SweepState['outcome']): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const parts = [
    `${n(s.deleted)} deleted`,
    `${n(s.gone)} already gone`,
    `${n(s.kept)} kept (tags changed)`,
    `${n(s.inUse)} in use by an AMI`,
    `${n(s.notExpired)} not expired (expiry tag moved later)`,
    `${n(s.failed)} failed`,
  ];
  const f = s.firstFailure;
  const first = f ? `; first failure: ${f.kind} ${f.copySnapshotId} of ${f.account} in ${f.region}: ${f.error}: ${f.message}` : '';
  const left = outcome === 'more' || outcome === 'out-of-time' ? '; expired copies remain: the next daily sweep goes on from the oldest' : '';
  return `${n(s.examined)} expired copies examined: ${parts.join(', ')}${first}${left}`;
}

/** Sweeps one page; `done[i]`: copy i was dealt with (swept, kept or failed), false when the time ran out first. */
async function sweepPage(copies: readonly ExpiredCopy[], now: Date, summary: SweepSummary, deps: SweepDeps): Promise<boolean[]> {
  const done = copies.map(() => false);
  const groups = new Map<string, number[]>();
  copies.forEach((c, i) => {
    const key = `${c.copyAccount}#${c.destinationRegion}`;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const queue = [...groups.values()];
  const worker = async () => {
    for (let group = queue.shift(); group !== undefined; group = queue.shift()) await sweepGroup(group, copies, done, now, summary, deps);
  };
  await Promise.all(Array.from({ length: Math.min(SWEEP_GROUP_CONCURRENCY, queue.length) }, worker));
  return done;
}

const outOfTime = (deps: SweepDeps) => deps.timeLeftMs() < SWEEP_RESERVE_MS;

/** The copies of one account and region, under that account's role. */
async function sweepGroup(indexes: readonly number[], copies: readonly ExpiredCopy[], done: boolean[], now: Date, summary: SweepSummary, deps: SweepDeps): Promise<void> {
  const first = copies[indexes[0]!]!;
  const fail = (i: number, error: { name: string; message: string }) => {
    recordFailure(copies[i]!, error, summary, deps);
    done[i] = true;
  };
  const role = roleFor(first, deps);
  if ('refused' in role) {
    for (const i of indexes) fail(i, role.refused);
    return;
  }
  const ec2 = deps.clients.ec2({ region: first.destinationRegion, ...(role.roleArn !== undefined ? { roleArn: role.roleArn, roleSessionName: 'snapshot-copy-sweep' } : {}) });
  for (let b = 0; b < indexes.length; b += SWEEP_DESCRIBE_BATCH) {
    if (outOfTime(deps)) return;
    const batch = indexes.slice(b, b + SWEEP_DESCRIBE_BATCH);
    let described: Map<string, Snapshot>;
    try {
      described = await describe(ec2, batch.map((i) => copies[i]!.copySnapshotId));
    } catch (caught) {
      for (const i of batch) fail(i, asError(caught));
      continue;
    }
    for (const i of batch) {
      if (outOfTime(deps)) return;
      await sweepOne(copies[i]!, described.get(copies[i]!.copySnapshotId), ec2, now, summary, deps);
      done[i] = true;
    }
  }
}

/** The role a copy is swept under: by its kind; a vault copy only in the configured vault account. */
function roleFor(copy: ExpiredCopy, deps: SweepDeps): { roleArn: string | undefined } | { refused: { name: string; message: string } } {
  if (copy.kind === 'member-copy') return { roleArn: roleArnFor(copy.copyAccount, deps.self, deps.config.memberRoleName) };
  const vault = deps.config.vault;
  if (!vault || vault.accountId !== copy.copyAccount) {
    return {
      refused: {
        name: 'NotTheVaultAccount',
        message: `the ledger records this vault copy in account ${copy.copyAccount}, but the vault is ${vault?.accountId ?? '(not configured)'}: the sweep may assume only the configured vault role`,
      },
    };
  }
  return { roleArn: roleArnFor(copy.copyAccount, deps.self, vault.roleName) };
}

/** The copies as EC2 describes them now (absent: gone), every page of the answer. */
async function describe(ec2: Ec2, ids: readonly string[]): Promise<Map<string, Snapshot>> {
  const found = new Map<string, Snapshot>();
  for (const s of await describeSnapshots(ec2, ledgerCopiesQuery(ids))) if (s.SnapshotId) found.set(s.SnapshotId, s);
  return found;
}

const keysOf = (copy: ExpiredCopy) => ({
  kind: copy.kind,
  account: copy.copyAccount,
  region: copy.destinationRegion,
  copySnapshotId: copy.copySnapshotId,
  sourceSnapshotId: copy.sourceSnapshotId,
  expiresAt: copy.expiresAt,
});

function recordFailure(copy: ExpiredCopy, error: { name: string; message: string }, summary: SweepSummary, deps: SweepDeps): void {
  summary.examined++;
  summary.failed++;
  // Bounded: the summary travels in the state machine's data (256 KB per state).
  summary.firstFailure ??= { kind: copy.kind, account: copy.copyAccount, region: copy.destinationRegion, copySnapshotId: copy.copySnapshotId, error: error.name, message: error.message.slice(0, 1000) };
  deps.logger.error(`expired copy not swept: ${error.name}: ${error.message}`, { ...keysOf(copy), decision: 'failed', error: { name: error.name, message: error.message } });
}

async function sweepOne(copy: ExpiredCopy, snapshot: Snapshot | undefined, ec2: Ec2, now: Date, summary: SweepSummary, deps: SweepDeps): Promise<void> {
  const keys = keysOf(copy);
  const forget = async (counter: 'deleted' | 'gone', message: string) => {
    try {
      await deps.ledger.forget(copy.copyAccount, copy.destinationRegion, copy.copySnapshotId);
    } catch (caught) {
      // The copy is gone (or deleted now); its item stays until a later sweep finds it gone.
      const error = asError(caught);
      return recordFailure(copy, { name: error.name, message: `${counter === 'deleted' ? 'deleted' : 'already gone'}, but its ledger item was not removed: ${error.message}` }, summary, deps);
    }
    summary.examined++;
    summary[counter]++;
    deps.logger.info(message, { ...keys, decision: counter === 'deleted' ? 'deleted' : 'forgotten' });
  };
  const decision = decideSweep(snapshot, copy, now);
  if (decision.kind === 'forget') return forget('gone', 'expired copy already gone; ledger item removed');
  if (decision.kind === 'keep') {
    summary.examined++;
    if (decision.reason === 'not-expired') summary.notExpired++;
    else {
      summary.kept++;
      deps.logger.warn(`expired copy kept: ${decision.reason} (its tags no longer mark it as an expired copy of ${copy.sourceSnapshotId})`, { ...keys, decision: 'kept', reason: decision.reason });
    }
    return;
  }
  try {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: copy.copySnapshotId }));
  } catch (caught) {
    const error = asError(caught);
    if (classifyEc2Error(error) === 'not-found') return forget('gone', 'expired copy already gone; ledger item removed');
    // "in use by one or more AMIs" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)
    if (error.name === 'InvalidSnapshot.InUse') {
      summary.examined++;
      summary.inUse++;
      deps.logger.warn('expired copy kept: an AMI uses it', { ...keys, decision: 'kept', reason: 'in-use' });
      return;
    }
    // Anything else is `failed`, by no code: a still-locked copy among them, for which AWS documents
    // no error code (API_DeleteSnapshot, errors-overview); VaultLock keeps the ledger's expiry of a
    // vault copy no earlier than its lock's, so only a lock lengthened since meets this.
    return recordFailure(copy, error, summary, deps);
  }
  await forget('deleted', 'expired copy deleted');
}
