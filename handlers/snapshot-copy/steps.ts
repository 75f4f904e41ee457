/**
 * The `step` entry: the copy workflow's task (stacks/central/copy-workflow.ts). Each invocation runs
 * ONE step on the execution's data and returns the new data, or throws a named StepError the
 * definition's Retry/Catch match. Thin: every decision is in ./decide; here are the EC2 calls.
 *
 *   inspect  DescribeSnapshots (source region)        → outcome proceed | skip
 *   find     Query the copy ledger (./ledger), DescribeSnapshots of its copies → outcome copied | found | absent
 *   confirm  as find; then DescribeSnapshots (destination, by tag) for a copy provably made by the
 *            ambiguous attempt, recorded in the ledger → found, or throws CopyNotVisibleYet
 *   admit    UpdateItem (acquire a copy slot; ./slots)  → admitted, or throws CopySlotsFull; when full,
 *            DescribeSnapshots (destination, pending) to drop stale holders, then acquire once more
 *            (pending copies count only when the ledger records them: BatchGetItem)
 *   copy     UpdateItem (still holding?) + CopySnapshot (one attempt, no SDK retry) + PutItem (ledger)
 *            → copying, or throws
 *   release  UpdateItem (release the slot, idempotent)  → data unchanged
 *   poll     DescribeSnapshots (destination, the copy) → copied | recopy, or throws CopyPending / CopyFailed
 *
 * Another account's snapshot is handled entirely under its member role, so the copy stays there.
 */
import { CopySnapshotCommand, DescribeSnapshotsCommand, type Snapshot, type Tag } from '@aws-sdk/client-ec2';
import type { ClientProvider, Ec2Sender } from './clients';
import type { StepConfig } from './config';
import {
  MAX_RECOPIES,
  MAX_WAIT_SECONDS,
  QUOTA_BACKOFF_SECONDS,
  quotaRefusedAt,
  buildCopyTags,
  classifyEc2Error,
  copyFailureHint,
  copyRequest,
  decideOnCopy,
  decideOnSource,
  executionName,
  existingCopiesQuery,
  expiresAt,
  findExistingCopy,
  parseCopyInput,
  pendingCopiesQuery,
  roleArnFor,
  roleSessionName,
  sourceKeyNotAccessibleMessage,
  waitedLongerThan,
  type CopyInput,
  type FunctionIdentity,
} from './decide';
import { STEP_ERRORS, StepError, asError } from './errors';
import { adoptedExpiry, copyAttemptedAt, ledgerCopiesQuery, memberCopyEntry, provablyOurs, type LedgerStore } from './ledger';
import type { Log } from './logger';
import { agedHolders, slotKey, sourceSnapshotIds, staleHolders, type SlotStore } from './slots';

export const STEPS = ['inspect', 'find', 'confirm', 'admit', 'copy', 'poll', 'release'] as const;
export type Step = (typeof STEPS)[number];

/** The execution's data between states: the canonical input plus what the steps learned. */
export interface CopyData extends CopyInput {
  outcome?: 'proceed' | 'skip' | 'found' | 'absent' | 'admitted' | 'copying' | 'copied' | 'recopy';
  decision?: string;
  reason?: string;
  /** The source's tags, carried from inspect to copy. */
  sourceTags?: Tag[];
  /** The source's KMS key (an encrypted source), named by a final CopyFailed. */
  sourceKeyId?: string;
  copySnapshotId?: string;
  copyStartedAt?: string;
  /** Copies that ended in `error` (or vanished) so far. */
  recopies?: number;
  failedCopies?: Array<{ copySnapshotId: string; reason: string }>;
  /** Set by the definition's Catch (ResultPath $.lastError). */
  lastError?: { Error?: string; Cause?: string };
}

/** The task payload: `{ step, executionStartTime: $$.Execution.StartTime, data: $ }`. */
export interface StepEvent {
  step: Step;
  executionStartTime?: string;
  data: CopyData;
}

export interface StepDeps {
  config: StepConfig;
  clients: ClientProvider;
  /** The copy-slots semaphore (./slots: createSlotStore over a DynamoDB client). */
  slots: SlotStore;
  /** The copy ledger (./ledger: createLedgerStore over a DynamoDB client). */
  ledger: LedgerStore;
  logger: Log;
  self: FunctionIdentity;
  now: () => Date;
}

interface Ctx {
  input: CopyInput;
  data: CopyData;
  keys: Record<string, unknown>;
  source: () => Ec2Sender;
  destination: (forCopy?: boolean) => Ec2Sender;
  deps: StepDeps;
  executionStartTime: string | undefined;
}

const errorKeys = (error: Error) => ({ error: { name: error.name, message: error.message } });

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/** An error from the AWS SDK or the network (as opposed to a bug of ours, which must not pass for EC2 trouble). */
function fromAws(error: Error): boolean {
  const e = error as Error & { $metadata?: unknown; $fault?: unknown; code?: unknown };
  return e.$metadata !== undefined || e.$fault !== undefined || NETWORK_CODES.has(String(e.code)) || e.name === 'TimeoutError' || e.name === 'AbortError';
}

/** Maps an EC2/STS error of a read-only call to the workflow's error, or rethrows it as it is. */
function readFailure(error: unknown, ctx: Ctx, what: string): Error {
  const e = asError(error);
  if (!fromAws(e)) return e;
  switch (classifyEc2Error(e)) {
    case 'denied':
      return new StepError(STEP_ERRORS.permissionDenied, `${what} refused for account ${ctx.input.account}: ${e.name}: ${e.message}`, ctx.keys, { cause: e });
    case 'throttled':
    case 'unavailable':
    case 'ambiguous':
      return new StepError(STEP_ERRORS.ec2Unavailable, `${what} failed after the SDK's retries: ${e.name}: ${e.message}`, ctx.keys, { cause: e });
    default:
      return e;
  }
}

async function describe(client: Ec2Sender, input: ConstructorParameters<typeof DescribeSnapshotsCommand>[0], ctx: Ctx, what: string): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  let NextToken: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new DescribeSnapshotsCommand({ ...input, ...(NextToken !== undefined ? { NextToken } : {}) }));
    } catch (error) {
      throw readFailure(error, ctx, what);
    }
    out.push(...(page.Snapshots ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

function deadline(ctx: Ctx, since: string | undefined, phase: string): void {
  if (waitedLongerThan(since, ctx.deps.now(), MAX_WAIT_SECONDS)) {
    throw new StepError(
      STEP_ERRORS.waitTimedOut,
      `gave up ${phase} for snapshot ${ctx.input.snapshotId} of account ${ctx.input.account} (${ctx.input.sourceRegion} → ${ctx.input.destinationRegion}) after ${MAX_WAIT_SECONDS / 86_400} days (since ${since})`,
      ctx.keys,
    );
  }
}

async function inspect(ctx: Ctx): Promise<CopyData> {
  const { input, data, deps } = ctx;
  let snapshot: Snapshot | undefined;
  try {
    const found = await describe(ctx.source(), { SnapshotIds: [input.snapshotId], OwnerIds: ['self'] }, ctx, `DescribeSnapshots of ${input.snapshotId} in ${input.sourceRegion}`);
    snapshot = found.find((s) => s.SnapshotId === input.snapshotId);
  } catch (error) {
    if (classifyEc2Error((error as { cause?: unknown }).cause ?? error) !== 'not-found') throw error;
  }
  const decision = decideOnSource(input, snapshot, deps.config.copyTag);
  if (decision.kind === 'skip') {
    deps.logger.info(`snapshot not copied: ${decision.reason}`, { ...ctx.keys, step: 'inspect', outcome: 'skip', decision: decision.decision });
    return { ...data, outcome: 'skip', decision: decision.decision, reason: decision.reason };
  }
  if (decision.kind === 'not-ready') {
    throw new StepError(STEP_ERRORS.sourceNotReady, `source snapshot ${input.snapshotId} in ${input.sourceRegion} is "${decision.state}", not "completed"`, ctx.keys);
  }
  if (decision.kind === 'key-not-accessible') {
    throw new StepError(STEP_ERRORS.sourceKeyNotAccessible, sourceKeyNotAccessibleMessage(input, decision.keyArn, decision.keyAccount, deps.config.memberRoleName), { ...ctx.keys, sourceKeyId: decision.keyArn });
  }
  deps.logger.info('source snapshot can be copied', { ...ctx.keys, step: 'inspect', outcome: 'proceed' });
  return {
    ...data,
    outcome: 'proceed',
    sourceTags: decision.userTags.map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })),
    ...(snapshot?.Encrypted && snapshot.KmsKeyId ? { sourceKeyId: snapshot.KmsKeyId } : {}),
  };
}

async function find(ctx: Ctx, confirming: boolean): Promise<CopyData> {
  const { input, data, deps } = ctx;
  const { lastError, ...rest } = data;
  const step = confirming ? 'confirm' : 'find';
  // The ledger first: only copies this app recorded count (a snapshot carrying our tags proves nothing).
  const existing = (await recordedCopy(ctx)) ?? (confirming ? await adoptAttemptCopy(ctx, lastError) : undefined);
  if (existing) {
    // A completed copy ends the execution at once (Find → Copied); a pending one is polled.
    const outcome = existing.state === 'completed' && !confirming ? 'copied' : 'found';
    deps.logger.info(`copy ${existing.snapshotId} (${existing.state}) exists in ${input.destinationRegion}`, {
      ...ctx.keys,
      step,
      outcome,
      copySnapshotId: existing.snapshotId,
      ...(outcome === 'copied' ? { decision: 'copied' } : {}),
    });
    return { ...rest, outcome, copySnapshotId: existing.snapshotId, copyStartedAt: data.copyStartedAt ?? deps.now().toISOString() };
  }
  if (confirming) {
    throw new StepError(STEP_ERRORS.copyNotVisibleYet, `no copy of ${input.snapshotId} visible in ${input.destinationRegion} after an ambiguous CopySnapshot error`, ctx.keys);
  }
  deps.logger.info('no earlier copy', { ...ctx.keys, step, outcome: 'absent' });
  return { ...rest, outcome: 'absent' };
}

/** A usable copy (completed, else pending) among those the ledger records for this source, as EC2 describes them now. */
async function recordedCopy(ctx: Ctx): Promise<{ snapshotId: string; state: string } | undefined> {
  const { input, deps } = ctx;
  const ids = await deps.ledger.copiesOf(input.account, input.destinationRegion, input.snapshotId);
  if (ids.length === 0) return undefined;
  const described = await describe(ctx.destination(), ledgerCopiesQuery(ids), ctx, `DescribeSnapshots of recorded copies in ${input.destinationRegion}`);
  return findExistingCopy(described.filter((s) => s.SnapshotId !== undefined && ids.includes(s.SnapshotId)));
}

/**
 * After an ambiguous CopySnapshot: the copies EC2 shows for this source that are provably this
 * execution's (./ledger provablyOurs: provenance tag, this app's Description, started no earlier than
 * the attempt, whose time the Copy step wrote into its error's cause; the execution's start when the
 * function itself failed), each recorded in the ledger; the one to poll.
 */
async function adoptAttemptCopy(ctx: Ctx, lastError: CopyData['lastError']): Promise<{ snapshotId: string; state: string } | undefined> {
  const { input, deps } = ctx;
  const candidates = await describe(ctx.destination(), existingCopiesQuery(input.snapshotId), ctx, `DescribeSnapshots of copies in ${input.destinationRegion}`);
  const attemptedAt = copyAttemptedAt(lastError) ?? (ctx.executionStartTime !== undefined ? new Date(ctx.executionStartTime) : undefined);
  const ours = candidates.filter((c) => provablyOurs(c, input, attemptedAt));
  const foreign = candidates.filter((c) => !ours.includes(c)).map((c) => c.SnapshotId);
  if (foreign.length > 0) {
    deps.logger.warn('snapshots tagged as copies of this source are not provably this attempt\'s (description or start time): not adopted', { ...ctx.keys, step: 'confirm', notAdopted: foreign, attemptedAt: attemptedAt?.toISOString() });
  }
  for (const copy of ours) {
    const startedAt = copy.StartTime instanceof Date ? copy.StartTime : deps.now();
    const expiry = adoptedExpiry(copy, deps.config.retentionDays);
    await deps.ledger.record(memberCopyEntry(input, copy.SnapshotId!, { executionName: executionName(input), createdAt: startedAt, recordedBy: 'confirm', ...(expiry !== undefined ? { expiresAt: expiry } : {}) }));
  }
  return findExistingCopy(ours);
}

/** This app's pending copies in the destination: pending snapshots with the provenance tag that the ledger records. */
async function ourPendingCopies(ctx: Ctx): Promise<Snapshot[]> {
  const { input, deps } = ctx;
  const pending = await describe(ctx.destination(), pendingCopiesQuery(), ctx, `DescribeSnapshots of pending copies in ${input.destinationRegion}`);
  if (pending.length === 0) return pending;
  const recorded = await deps.ledger.recorded(input.account, input.destinationRegion, pending.map((s) => s.SnapshotId ?? '').filter((id) => id !== ''));
  return pending.filter((s) => s.SnapshotId !== undefined && recorded.has(s.SnapshotId));
}

async function admit(ctx: Ctx): Promise<CopyData> {
  const { input, data, deps } = ctx;
  deadline(ctx, ctx.executionStartTime, 'waiting for a copy slot');
  const refusedAt = quotaRefusedAt(data.lastError);
  if (refusedAt !== undefined && !waitedLongerThan(refusedAt.toISOString(), deps.now(), QUOTA_BACKOFF_SECONDS)) {
    deps.logger.info('EC2 refused a copy minutes ago (ResourceLimitExceeded); the workflow waits', { ...ctx.keys, step: 'admit', quotaRefusedAt: refusedAt.toISOString() });
    throw new StepError(STEP_ERRORS.copySlotsFull, `EC2 refused a copy to ${input.destinationRegion} at ${refusedAt.toISOString()} (ResourceLimitExceeded); waiting before counting again`, ctx.keys);
  }
  await acquireSlot(ctx);
  return { ...data, outcome: 'admitted' };
}

/**
 * Acquires this execution's slot (idempotent: re-acquiring refreshes it). When the slots are full,
 * reconciles with EC2 first, and only when some holder is old enough to be stale: one
 * DescribeSnapshots of this app's pending copies; aged holders without a pending copy are dropped.
 */
async function acquireSlot(ctx: Ctx): Promise<void> {
  const { input, deps } = ctx;
  const key = slotKey(input.account, input.destinationRegion);
  const self = executionName(input);
  const max = deps.config.maxInFlightCopies;
  const now = deps.now();
  let answer = await deps.slots.acquire(key, self, now, max);
  if (!answer.acquired && agedHolders(answer.holders, self, now).length > 0) {
    const pending = await ourPendingCopies(ctx);
    const stale = staleHolders(answer.holders, self, sourceSnapshotIds(pending), now);
    let dropped = 0;
    for (const holder of stale) {
      if (await deps.slots.drop(key, holder, answer.holders[holder]!)) {
        dropped++;
        deps.logger.warn('dropped a stale copy slot (no pending copy in EC2)', { ...ctx.keys, step: 'admit', staleHolder: holder, acquiredAt: answer.holders[holder], pendingCopies: pending.length });
      }
    }
    if (dropped > 0) answer = await deps.slots.acquire(key, self, deps.now(), max);
  }
  if (answer.acquired) {
    // EC2 has the last word: copies this app started outside the semaphore (before it existed, or
    // whose holder was lost) still take EC2 slots. One DescribeSnapshots per admission.
    const pending = await ourPendingCopies(ctx);
    if (pending.length >= max) {
      await deps.slots.release(key, self);
      deps.logger.info('copy slots full in EC2 (copies without a slot); the workflow waits', { ...ctx.keys, step: 'admit', pendingCopies: pending.length, maxInFlightCopies: max });
      throw new StepError(STEP_ERRORS.copySlotsFull, `${pending.length} of this app's copies are pending in ${input.destinationRegion} for account ${input.account} (MAX_IN_FLIGHT_COPIES ${max})`, ctx.keys);
    }
  }
  if (!answer.acquired) {
    const held = Object.keys(answer.holders).length;
    deps.logger.info('copy slots full; the workflow waits', { ...ctx.keys, step: 'admit', slotHolders: held, maxInFlightCopies: max });
    throw new StepError(STEP_ERRORS.copySlotsFull, `${held} copy slots of account ${input.account} in ${input.destinationRegion} are held (MAX_IN_FLIGHT_COPIES ${max})`, ctx.keys);
  }
  deps.logger.info('copy admitted', { ...ctx.keys, step: 'admit', outcome: 'admitted', maxInFlightCopies: max });
}

/** Releases this execution's slot (after its copy completed, was skipped, or the execution failed). */
async function release(ctx: Ctx): Promise<CopyData> {
  const { input, data, deps } = ctx;
  const held = await deps.slots.release(slotKey(input.account, input.destinationRegion), executionName(input));
  deps.logger.info(held ? 'copy slot released' : 'no copy slot held', { ...ctx.keys, step: 'release', slotReleased: held });
  return data;
}

async function copy(ctx: Ctx): Promise<CopyData> {
  const { input, data, deps } = ctx;
  deadline(ctx, ctx.executionStartTime, 'waiting for a copy slot');
  const now = deps.now();
  const expiry = deps.config.retentionDays !== undefined ? expiresAt(now, deps.config.retentionDays) : undefined;
  const { tags, dropped } = buildCopyTags(data.sourceTags, input, expiry);
  if (dropped.length > 0) {
    deps.logger.warn(`copy keeps ${tags.length} tags (EC2 allows 50); dropped user tags: ${dropped.join(', ')}`, { ...ctx.keys, step: 'copy', droppedTagKeys: dropped });
  }
  // The slot must still be ours (reconciliation drops holders older than SLOT_STALE_AFTER_SECONDS
  // without a pending copy); holding refreshes its time, so it cannot look stale while the copy starts.
  if (!(await deps.slots.hold(slotKey(input.account, input.destinationRegion), executionName(input), now))) {
    deps.logger.warn('copy slot lost before the copy; back to admission', { ...ctx.keys, step: 'copy' });
    throw new StepError(STEP_ERRORS.copySlotsFull, `the copy slot of ${executionName(input)} was released or dropped before CopySnapshot; acquiring again`, ctx.keys);
  }
  let copySnapshotId: string | undefined;
  try {
    const out = await ctx.destination(true).send(new CopySnapshotCommand(copyRequest(input, tags, deps.config.kmsKeyId)));
    copySnapshotId = out.SnapshotId;
  } catch (caught) {
    const e = asError(caught);
    const kind = classifyEc2Error(e);
    const keys = { ...ctx.keys, step: 'copy', ...errorKeys(e) };
    switch (kind) {
      case 'quota':
        deps.logger.info('EC2 refused the copy: too many copies in progress (ResourceLimitExceeded); the workflow waits', keys);
        throw new StepError(STEP_ERRORS.copyQuotaExceeded, `CopySnapshot of ${input.snapshotId} to ${input.destinationRegion} refused at ${now.toISOString()}: ResourceLimitExceeded: ${e.message}`, ctx.keys, { cause: e });
      case 'throttled':
        deps.logger.warn('EC2 throttled CopySnapshot (nothing was copied); the workflow retries', keys);
        throw new StepError(STEP_ERRORS.ec2Unavailable, `CopySnapshot throttled: ${e.name}: ${e.message}`, ctx.keys, { cause: e });
      case 'denied':
        deps.logger.error('CopySnapshot refused: permissions', keys);
        throw new StepError(STEP_ERRORS.permissionDenied, `CopySnapshot of ${input.snapshotId} (account ${input.account}, ${input.sourceRegion} → ${input.destinationRegion}) refused: ${e.name}: ${e.message}`, ctx.keys, { cause: e });
      case 'not-found':
        deps.logger.info('snapshot not copied: the source was deleted before the copy', { ...keys, decision: 'skipped-source-gone' });
        throw new StepError(STEP_ERRORS.sourceGone, `source snapshot ${input.snapshotId} no longer exists in ${input.sourceRegion}`, ctx.keys, { cause: e });
      case 'refused':
        deps.logger.error('CopySnapshot refused', keys);
        throw e;
      default:
        // 5xx, reset connection, timeout: EC2 may have made the copy. Never re-send blindly.
        deps.logger.warn('CopySnapshot outcome unknown; the workflow looks for the copy before copying again', keys);
        // "attempted at": ConfirmCopy adopts only a copy started no earlier (./ledger provablyOurs).
        throw new StepError(STEP_ERRORS.copyOutcomeUnknown, `CopySnapshot of ${input.snapshotId} to ${input.destinationRegion} attempted at ${now.toISOString()}: outcome unknown (${e.name}: ${e.message})`, ctx.keys, { cause: e });
    }
  }
  if (!copySnapshotId) throw new StepError(STEP_ERRORS.copyOutcomeUnknown, `CopySnapshot of ${input.snapshotId} attempted at ${now.toISOString()} answered without a SnapshotId`, ctx.keys);
  await recordNewCopy(ctx, copySnapshotId, now, expiry);
  deps.logger.info('snapshot copy started', { ...ctx.keys, step: 'copy', outcome: 'copying', copySnapshotId });
  const { lastError: _e, ...rest } = data; // sourceTags stay: a copy ending in `error` is made again
  return { ...rest, outcome: 'copying', copySnapshotId, copyStartedAt: now.toISOString() };
}

/**
 * Records the copy CopySnapshot just made. The copy exists, so the Copy step must not run again:
 * when the ledger cannot be written the step says "outcome unknown", and ConfirmCopy adopts the copy
 * as provably this attempt's and records it (retrying DynamoDB there is safe).
 */
async function recordNewCopy(ctx: Ctx, copySnapshotId: string, attemptedAt: Date, expiry: string | undefined): Promise<void> {
  const { input, deps } = ctx;
  try {
    await deps.ledger.record(memberCopyEntry(input, copySnapshotId, { executionName: executionName(input), createdAt: attemptedAt, recordedBy: 'copy', ...(expiry !== undefined ? { expiresAt: expiry } : {}) }));
  } catch (caught) {
    const e = asError(caught);
    deps.logger.warn('copy made but not recorded in the ledger; ConfirmCopy records it', { ...ctx.keys, step: 'copy', copySnapshotId, ...errorKeys(e) });
    throw new StepError(
      STEP_ERRORS.copyOutcomeUnknown,
      `CopySnapshot of ${input.snapshotId} attempted at ${attemptedAt.toISOString()} made ${copySnapshotId}, but recording it in the copy ledger failed (${e.name}: ${e.message})`,
      ctx.keys,
      { cause: e },
    );
  }
}

async function poll(ctx: Ctx): Promise<CopyData> {
  const { input, data, deps } = ctx;
  const copyId = data.copySnapshotId;
  if (!copyId) throw new StepError(STEP_ERRORS.invalidInput, 'poll without copySnapshotId', ctx.keys);
  const keys = { ...ctx.keys, step: 'poll', copySnapshotId: copyId };
  let copySnapshot: Snapshot | undefined;
  try {
    copySnapshot = (await describe(ctx.destination(), { SnapshotIds: [copyId], OwnerIds: ['self'] }, ctx, `DescribeSnapshots of copy ${copyId}`)).find((s) => s.SnapshotId === copyId);
  } catch (error) {
    if (classifyEc2Error((error as { cause?: unknown }).cause ?? error) !== 'not-found') throw error;
  }
  const recopies = data.recopies ?? 0;
  const decision = decideOnCopy(copySnapshot, { recopies, copyStartedAt: data.copyStartedAt, now: deps.now() });
  switch (decision.kind) {
    case 'pending':
      deadline(ctx, data.copyStartedAt, `waiting for copy ${copyId}`);
      throw new StepError(STEP_ERRORS.copyPending, `copy ${copyId} of ${input.snapshotId} is still pending`, keys);
    case 'copied':
      deps.logger.info('snapshot copied', { ...keys, outcome: 'copied', decision: 'copied' });
      return { ...data, outcome: 'copied' };
    case 'recopy': {
      deps.logger.warn(`copy failed, copying again (${recopies + 1} of ${MAX_RECOPIES}): ${decision.reason}`, { ...keys, outcome: 'recopy', recopies: recopies + 1 });
      const { copySnapshotId: _id, copyStartedAt: _at, ...rest } = data;
      return { ...rest, outcome: 'recopy', recopies: recopies + 1, failedCopies: [...(data.failedCopies ?? []), { copySnapshotId: copyId, reason: decision.reason }] };
    }
    case 'failed': {
      const hint = copyFailureHint(copySnapshot?.StateMessage, { sourceKeyId: data.sourceKeyId, destinationKeyId: deps.config.kmsKeyId, destinationRegion: input.destinationRegion });
      const message =
        `copy of snapshot ${input.snapshotId} (account ${input.account}, ${input.sourceRegion} → ${input.destinationRegion}) failed ` +
        `${recopies + 1} times; last copy ${copyId}: ${decision.reason}${hint !== undefined ? `; ${hint}` : ''}`;
      deps.logger.error(message, { ...keys, decision: 'failed' });
      throw new StepError(STEP_ERRORS.copyFailed, message, keys);
    }
  }
}

/** Runs one step of the workflow. */
export async function runStep(event: StepEvent, deps: StepDeps): Promise<CopyData> {
  if (typeof event !== 'object' || event === null || !STEPS.includes(event.step)) {
    throw new StepError(STEP_ERRORS.invalidInput, `step event ${JSON.stringify(event)?.slice(0, 200)} has no known step (${STEPS.join(', ')})`);
  }
  const input = parseCopyInput(event.data);
  const roleArn = roleArnFor(input.account, deps.self, deps.config.memberRoleName);
  const identity = roleArn !== undefined ? { roleArn, roleSessionName: roleSessionName(input.snapshotId) } : {};
  const ctx: Ctx = {
    input,
    data: event.data,
    keys: { ...input, executionName: executionName(input) },
    source: () => deps.clients.ec2({ region: input.sourceRegion, ...identity }),
    destination: (forCopy = false) => deps.clients.ec2({ region: input.destinationRegion, ...identity, forCopy }),
    deps,
    executionStartTime: event.executionStartTime,
  };
  try {
    switch (event.step) {
      case 'inspect':
        return await inspect(ctx);
      case 'find':
        return await find(ctx, false);
      case 'confirm':
        return await find(ctx, true);
      case 'admit':
        return await admit(ctx);
      case 'copy':
        return await copy(ctx);
      case 'poll':
        return await poll(ctx);
      case 'release':
        return await release(ctx);
    }
  } catch (caught) {
    const error = caught instanceof StepError ? caught : readFailure(caught, ctx, `step ${event.step}`);
    if (error.name === STEP_ERRORS.permissionDenied || error.name === STEP_ERRORS.waitTimedOut || error.name === STEP_ERRORS.sourceKeyNotAccessible) {
      deps.logger.error(`${error.name}: ${error.message}`, { ...ctx.keys, step: event.step, decision: 'failed', ...errorKeys(error) });
    }
    throw error;
  }
}
