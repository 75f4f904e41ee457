/**
 * The `step` entry: the copy workflow's task (stacks/central/copy-workflow.ts). Each invocation runs
 * ONE step on the execution's data and returns the new data, or throws a named StepError the
 * definition's Retry/Catch match. Thin: every decision is in ./decide; here are the EC2 calls.
 *
 *   inspect  DescribeSnapshots (source region)        → outcome proceed | skip
 *   find     Query the copy ledger (./ledger), DescribeSnapshots of its copies → outcome copied | found | absent
 *   confirm  as find; then DescribeSnapshots (destination, by tag) for a copy provably made by the
 *            ambiguous attempt, recorded in the ledger → found, or throws CopyNotVisibleYet
 *   admit    UpdateItem (acquire a copy slot; ./slots)  → admitted, or wait (+ waitSeconds); when full,
 *            reclaims aged holders' slots (no pending copy of this app, or DescribeExecution: the
 *            holder's execution no longer runs), then acquires once more; after acquiring,
 *            DescribeSnapshots (destination, pending) counts this app's copies: those the ledger
 *            records (BatchGetItem)
 *   copy     UpdateItem (still holding?) + CopySnapshot (one attempt, no SDK retry) + PutItem (ledger)
 *            → copying, or wait (EC2 refused: quota or throttling; the slot lost); throws
 *            CopyOutcomeUnknown when unsure (its cause says `attempted at <ISO time>`)
 *   release  UpdateItem (release the slot, idempotent)  → data unchanged
 *   poll     DescribeSnapshots (destination, the copy) → copied | recopy, or throws CopyPending /
 *            CopyStillPending / CopyFailed
 * Admit, Copy and Poll never fail on an outage (throttling, 5xx, timeouts after the SDK's retries,
 * of EC2, STS or DynamoDB): they wait (admission backoff) or report the copy pending; Inspect, Find
 * and ConfirmCopy answer `unavailable` and wait too, for up to 7 days (then Ec2Unavailable).
 *
 * The slot holder, and the execution the ledger records, is the execution's own name
 * (`$$.Execution.Name`): a retry (`<name>-r<N>`, `npm run copies -- retry`) holds its slot under its
 * own name, which DescribeExecution reports RUNNING, not under the failed original's.
 *
 * Another account's snapshot is handled entirely under its member role, so the copy stays there.
 */
import { CopySnapshotCommand, DescribeSnapshotsCommand, type Snapshot, type Tag } from '@aws-sdk/client-ec2';
import type { ClientProvider, Ec2Sender } from './clients';
import type { StepConfig } from './config';
import {
  MAX_RECOPIES,
  MAX_WAIT_SECONDS,
  POLL_FAST_SECONDS,
  admissionWaitSeconds,
  outageWaitSeconds,
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
import type { HolderStatusReader } from './executions';
import { adoptedExpiry, copyAttemptedAt, ledgerCopiesQuery, memberCopyEntry, provablyOurs, type LedgerStore } from './ledger';
import type { Log } from './logger';
import { reclaimableHolders, slotKey, sourceSnapshotIds, type SlotStore } from './slots';

export const STEPS = ['inspect', 'find', 'confirm', 'admit', 'copy', 'poll', 'release'] as const;
export type Step = (typeof STEPS)[number];

/** The execution's data between states: the canonical input plus what the steps learned. */
export interface CopyData extends CopyInput {
  outcome?: 'proceed' | 'skip' | 'found' | 'absent' | 'admitted' | 'wait' | 'unavailable' | 'copying' | 'copied' | 'recopy';
  /** With outcome `wait` or `unavailable`: how long the definition waits before running the step again (a Wait's SecondsPath). */
  waitSeconds?: number;
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

/**
 * The task payload: `{ step, executionName: $$.Execution.Name, executionStartTime: $$.Execution.StartTime,
 * data: $.task.data, waits: $.loops.waits.n, outages: $.loops.outages.n }`.
 */
export interface StepEvent {
  step: Step;
  /**
   * The execution's own name: its copy-slot holder (what Admit's DescribeExecution asks about) and
   * the execution the ledger records. A retry runs under `<name>-r<N>` with the original's input, so
   * the name cannot be derived from the data.
   * @default - executionName(data): the starter's name (executions started before the payload carried it)
   */
  executionName?: string;
  executionStartTime?: string;
  data: CopyData;
  /** Admission waits so far (the definition's counter): the next wait's backoff. */
  waits?: number;
  /** Waits out of an EC2 outage so far (Inspect, Find, ConfirmCopy; the definition's counter). */
  outages?: number;
}

export interface StepDeps {
  config: StepConfig;
  clients: ClientProvider;
  /** The copy-slots semaphore (./slots: createSlotStore over a DynamoDB client). */
  slots: SlotStore;
  /** Whether a slot holder's execution still runs (./executions: DescribeExecution). */
  holders: HolderStatusReader;
  /** The copy ledger (./ledger: createLedgerStore over a DynamoDB client). */
  ledger: LedgerStore;
  logger: Log;
  self: FunctionIdentity;
  now: () => Date;
  /** Uniform in [0, 1): the admission wait's jitter. */
  random: () => number;
  /**
   * This container's last look at this app's pending copies per account and region (reclaiming slots
   * of finished copies asks EC2 at most once per PENDING_LOOK_TTL_MS).
   * @default - no cache: every full Admit with aged holders looks
   */
  pendingLooks?: Map<string, { at: number; ids: ReadonlySet<string> }>;
}

/** How long a look at the pending copies serves the reclaiming of slots (never the admission count itself). */
export const PENDING_LOOK_TTL_MS = 60_000;

interface Ctx {
  input: CopyInput;
  /** This execution's name: the slot holder, the ledger's executionName. */
  holder: string;
  data: CopyData;
  keys: Record<string, unknown>;
  source: () => Ec2Sender;
  destination: (forCopy?: boolean) => Ec2Sender;
  deps: StepDeps;
  executionStartTime: string | undefined;
  waits: number;
  outages: number;
  step: Step;
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
 * the attempt, whose time the Copy step wrote into its error's cause, which the definition's Catch
 * keeps in `lastError`; the execution's start when the function itself failed), each recorded in the
 * ledger; the one to poll.
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
    await deps.ledger.record(memberCopyEntry(input, copy.SnapshotId!, { executionName: ctx.holder, createdAt: startedAt, recordedBy: 'confirm', ...(expiry !== undefined ? { expiresAt: expiry } : {}) }));
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

/** Throttling, a 5xx, a timeout or a network failure of EC2, STS or DynamoDB, after the SDK's retries. */
const isOutage = (error: unknown): error is StepError =>
  error instanceof StepError && (error.name === STEP_ERRORS.ec2Unavailable || error.name === STEP_ERRORS.slotTableUnavailable);

/** The `wait` answer: WaitForSlot waits `waitSeconds` (equal jitter over the waits so far), then Admit runs again. */
function waitForSlot(ctx: Ctx, why: string, keys: Record<string, unknown> = {}): CopyData {
  const { lastError: _lastError, ...rest } = ctx.data;
  const waitSeconds = admissionWaitSeconds(ctx.waits, ctx.deps.random());
  ctx.deps.logger.info(`${why}; the workflow waits`, { ...ctx.keys, step: ctx.step, outcome: 'wait', waitSeconds, admissionWaits: ctx.waits, ...keys });
  return { ...rest, outcome: 'wait', waitSeconds };
}

/**
 * Inspect, Find and ConfirmCopy through an outage of EC2 (or STS), or of DynamoDB on the copy ledger
 * (Find and ConfirmCopy read it, ConfirmCopy records adopted copies): throttling, 5xx, timeouts that
 * outlived the SDK's retries answer `unavailable` with the next wait (OUTAGE_WAIT over the outage
 * count), and the definition runs the step again after it; 7 days after the execution started, the
 * outage is reported as Ec2Unavailable (its message names the service), which ends the execution.
 */
async function orWaitOutOutage(ctx: Ctx, run: () => Promise<CopyData>): Promise<CopyData> {
  try {
    return await run();
  } catch (caught) {
    const error = caught instanceof StepError ? caught : readFailure(caught, ctx, `step ${ctx.step}`);
    if (!isOutage(error)) throw error;
    const service = error.name === STEP_ERRORS.slotTableUnavailable ? 'DynamoDB (the copy ledger)' : 'EC2';
    if (waitedLongerThan(ctx.executionStartTime, ctx.deps.now(), MAX_WAIT_SECONDS)) {
      throw new StepError(STEP_ERRORS.ec2Unavailable, `${service} still unavailable ${MAX_WAIT_SECONDS / 86_400} days after the execution started (${ctx.executionStartTime}): ${error.message}`, ctx.keys, { cause: error });
    }
    const waitSeconds = outageWaitSeconds(ctx.outages, ctx.deps.random());
    ctx.deps.logger.warn(`${ctx.step}: ${service} unavailable; the workflow waits and runs the step again`, { ...ctx.keys, step: ctx.step, outcome: 'unavailable', waitSeconds, outages: ctx.outages, ...errorKeys(error) });
    return { ...ctx.data, outcome: 'unavailable', waitSeconds };
  }
}

async function admit(ctx: Ctx): Promise<CopyData> {
  const { data } = ctx;
  deadline(ctx, ctx.executionStartTime, 'waiting for a copy slot');
  let verdict: { admitted: true } | { admitted: false; why: string; keys: Record<string, unknown> };
  try {
    verdict = await acquireSlot(ctx, slotKey(ctx.input.account, ctx.input.destinationRegion), ctx.holder);
  } catch (error) {
    // Throttling or an outage of DynamoDB, EC2 or STS: wait like for a slot (the backoff keeps growing).
    if (!isOutage(error)) throw error;
    ctx.deps.logger.warn('could not check the copy slots', { ...ctx.keys, step: 'admit', ...errorKeys(error) });
    return waitForSlot(ctx, `admission could not be checked (${error.name})`);
  }
  if (!verdict.admitted) return waitForSlot(ctx, verdict.why, verdict.keys);
  ctx.deps.logger.info('copy admitted', { ...ctx.keys, step: 'admit', outcome: 'admitted', maxInFlightCopies: ctx.deps.config.maxInFlightCopies });
  const { waitSeconds: _w, lastError: _e, ...rest } = data;
  return { ...rest, outcome: 'admitted' };
}

/** This app's pending copies in the destination (ledger-recorded), as of at most PENDING_LOOK_TTL_MS ago; undefined when EC2 or the ledger cannot tell. */
async function pendingLook(ctx: Ctx): Promise<ReadonlySet<string> | undefined> {
  const { input, deps } = ctx;
  const cacheKey = `${input.account}|${input.destinationRegion}`;
  const t = deps.now().getTime();
  const cached = deps.pendingLooks?.get(cacheKey);
  if (cached && t - cached.at < PENDING_LOOK_TTL_MS) return cached.ids;
  try {
    const ids = sourceSnapshotIds(await ourPendingCopies(ctx));
    deps.pendingLooks?.set(cacheKey, { at: t, ids });
    return ids;
  } catch (error) {
    if (!isOutage(error)) throw error;
    return undefined;
  }
}

/**
 * Acquires `holder`'s slot under `key` (idempotent: re-acquiring refreshes it). When the slots are
 * full, first reclaims the aged holders' slots no longer needed (./slots reclaimableHolders: no
 * pending copy, or the execution no longer runs; each dropped only if its time is still the one
 * read), then tries once more.
 * After acquiring, EC2 has the last word: at MAX_IN_FLIGHT_COPIES of this app's copies pending, the
 * slot is released again.
 */
async function acquireSlot(ctx: Ctx, key: string, holder: string): Promise<{ admitted: true } | { admitted: false; why: string; keys: Record<string, unknown> }> {
  const { input, deps } = ctx;
  const max = deps.config.maxInFlightCopies;
  let answer = await deps.slots.acquire(key, holder, deps.now(), max);
  if (!answer.acquired) {
    const found = await reclaimableHolders(answer.holders, holder, deps.now(), { pendingSnapshots: () => pendingLook(ctx), status: (h) => deps.holders.status(h) });
    for (const { holder: h, detail } of found.unknown) {
      deps.logger.warn('could not tell whether a copy slot holder still runs; its slot is kept', { ...ctx.keys, step: 'admit', slotHolder: h, reason: detail });
    }
    const held = answer.holders;
    const dropped = await Promise.all(found.gone.map(async ({ holder: h }) => deps.slots.drop(key, h, held[h]!)));
    found.gone.forEach(({ holder: h, detail }, i) => {
      if (dropped[i]) deps.logger.warn('reclaimed a copy slot no longer needed', { ...ctx.keys, step: 'admit', staleHolder: h, acquiredAt: held[h], reason: detail });
    });
    if (dropped.some(Boolean)) answer = await deps.slots.acquire(key, holder, deps.now(), max);
  }
  if (!answer.acquired) {
    const held = Object.keys(answer.holders).length;
    return { admitted: false, why: `${held} copy slots of account ${input.account} in ${input.destinationRegion} are held (MAX_IN_FLIGHT_COPIES ${max})`, keys: { slotHolders: held, maxInFlightCopies: max } };
  }
  // EC2 has the last word: copies this app started outside the semaphore (before it existed, or
  // whose holder was lost) still take EC2 slots. One DescribeSnapshots per admission; only the
  // pending snapshots the ledger records are this app's (a restored volume's snapshot can carry our tags).
  const pending = await ourPendingCopies(ctx);
  if (pending.length >= max) {
    await deps.slots.release(key, holder);
    return { admitted: false, why: `${pending.length} of this app's copies are pending in ${input.destinationRegion} for account ${input.account} (copies without a slot)`, keys: { pendingCopies: pending.length, maxInFlightCopies: max } };
  }
  return { admitted: true };
}

/** Releases this execution's slot (after its copy completed, was skipped, or the execution failed). */
async function release(ctx: Ctx): Promise<CopyData> {
  const { input, data, deps } = ctx;
  const held = await deps.slots.release(slotKey(input.account, input.destinationRegion), ctx.holder);
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
  // The slot must still be ours (Admit reclaims the slots of executions that no longer run); holding
  // refreshes its time. Lost, or DynamoDB unavailable: nothing was copied, back to admission.
  let holding: boolean;
  try {
    holding = await deps.slots.hold(slotKey(input.account, input.destinationRegion), ctx.holder, now);
  } catch (error) {
    if (!isOutage(error)) throw error;
    deps.logger.warn('could not confirm the copy slot before the copy', { ...ctx.keys, step: 'copy', ...errorKeys(error) });
    return waitForSlot(ctx, `the copy slot could not be confirmed (${error.name})`);
  }
  if (!holding) return waitForSlot(ctx, `the copy slot of ${ctx.holder} was released or reclaimed before CopySnapshot`);
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
        // EC2's 20 concurrent copies per destination region, shared with DLM and AWS Backup: the slot
        // is kept (it is ours), and the wait grows with every refusal.
        return waitForSlot(ctx, 'EC2 refused the copy: too many copies in progress (ResourceLimitExceeded)', { quotaRefusedAt: now.toISOString(), ...errorKeys(e) });
      case 'throttled':
        // RequestLimitExceeded (or STS throttling before the request): a refusal, nothing was copied.
        return waitForSlot(ctx, 'EC2 throttled CopySnapshot (nothing was copied)', errorKeys(e));
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
 * as provably this attempt's and records it (waiting out a DynamoDB outage there is safe).
 */
async function recordNewCopy(ctx: Ctx, copySnapshotId: string, attemptedAt: Date, expiry: string | undefined): Promise<void> {
  const { input, deps } = ctx;
  try {
    await deps.ledger.record(memberCopyEntry(input, copySnapshotId, { executionName: ctx.holder, createdAt: attemptedAt, recordedBy: 'copy', ...(expiry !== undefined ? { expiresAt: expiry } : {}) }));
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
  let unseen: StepError | undefined;
  try {
    copySnapshot = (await describe(ctx.destination(), { SnapshotIds: [copyId], OwnerIds: ['self'] }, ctx, `DescribeSnapshots of copy ${copyId}`)).find((s) => s.SnapshotId === copyId);
  } catch (error) {
    // Throttling or an outage: the copy goes on regardless; look again at the next poll.
    if (isOutage(error)) unseen = error;
    else if (classifyEc2Error((error as { cause?: unknown }).cause ?? error) !== 'not-found') throw error;
  }
  const recopies = data.recopies ?? 0;
  const decision = unseen ? ({ kind: 'pending' } as const) : decideOnCopy(copySnapshot, { recopies, copyStartedAt: data.copyStartedAt, now: deps.now() });
  switch (decision.kind) {
    case 'pending': {
      deadline(ctx, data.copyStartedAt, `waiting for copy ${copyId}`);
      if (unseen) deps.logger.warn('could not look at the copy; polling again later', { ...keys, ...errorKeys(unseen) });
      const young = !waitedLongerThan(data.copyStartedAt, deps.now(), POLL_FAST_SECONDS);
      throw new StepError(young ? STEP_ERRORS.copyPending : STEP_ERRORS.copyStillPending, `copy ${copyId} of ${input.snapshotId} is still pending${unseen ? ` (not seen: ${unseen.message})` : ''}`, keys);
    }
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

/** StartExecution's names: at most 80 characters (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html). */
const EXECUTION_NAME = /^[^\s]{1,80}$/;

/** The slot holder: the execution's own name from the payload, else (an execution started before the payload carried it) the starter's name for the input. */
function holderName(event: StepEvent, input: CopyInput): string {
  if (event.executionName === undefined) return executionName(input);
  if (typeof event.executionName !== 'string' || !EXECUTION_NAME.test(event.executionName)) {
    throw new StepError(STEP_ERRORS.invalidInput, `step event executionName ${JSON.stringify(event.executionName)?.slice(0, 100)} is not an execution name (1-80 characters, no whitespace)`);
  }
  return event.executionName;
}

/** Runs one step of the workflow. */
export async function runStep(event: StepEvent, deps: StepDeps): Promise<CopyData> {
  if (typeof event !== 'object' || event === null || !STEPS.includes(event.step)) {
    throw new StepError(STEP_ERRORS.invalidInput, `step event ${JSON.stringify(event)?.slice(0, 200)} has no known step (${STEPS.join(', ')})`);
  }
  const input = parseCopyInput(event.data);
  const holder = holderName(event, input);
  const roleArn = roleArnFor(input.account, deps.self, deps.config.memberRoleName);
  const identity = roleArn !== undefined ? { roleArn, roleSessionName: roleSessionName(input.snapshotId) } : {};
  const ctx: Ctx = {
    input,
    holder,
    data: event.data,
    keys: { ...input, executionName: holder },
    source: () => deps.clients.ec2({ region: input.sourceRegion, ...identity }),
    destination: (forCopy = false) => deps.clients.ec2({ region: input.destinationRegion, ...identity, forCopy }),
    deps,
    executionStartTime: event.executionStartTime,
    waits: typeof event.waits === 'number' ? event.waits : 0,
    outages: typeof event.outages === 'number' ? event.outages : 0,
    step: event.step,
  };
  try {
    switch (event.step) {
      case 'inspect':
        return await orWaitOutOutage(ctx, () => inspect(ctx));
      case 'find':
        return await orWaitOutOutage(ctx, () => find(ctx, false));
      case 'confirm':
        return await orWaitOutOutage(ctx, () => find(ctx, true));
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
    if (
      error.name === STEP_ERRORS.permissionDenied ||
      error.name === STEP_ERRORS.waitTimedOut ||
      error.name === STEP_ERRORS.sourceKeyNotAccessible ||
      (error.name === STEP_ERRORS.ec2Unavailable && ctx.step !== 'release')
    ) {
      deps.logger.error(`${error.name}: ${error.message}`, { ...ctx.keys, step: event.step, decision: 'failed', ...errorKeys(error) });
    }
    throw error;
  }
}
