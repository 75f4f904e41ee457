/**
 * What every step of the copy workflow shares (./steps.ts the member-side steps, ./vault-steps.ts
 * the vault steps): the execution's data, the task payload, the injected dependencies, and the
 * machinery of waiting: outages waited out (`unavailable`), admission through copy slots (`wait`),
 * deadlines, and the mapping of AWS errors to the workflow's named errors.
 */
import type { DescribeSnapshotsCommandInput, Snapshot, Tag } from '@aws-sdk/client-ec2';
import { describeSnapshots, type ClientProvider, type Ec2Sender } from './clients';
import type { StepConfig } from './config';
import { MAX_WAIT_SECONDS, admissionWaitSeconds, classifyEc2Error, outageWaitSeconds, pendingCopiesQuery, waitedLongerThan, type CopyInput, type FunctionIdentity } from './decide';
import { STEP_ERRORS, StepError, asError, isNetworkError, type StepErrorName } from './errors';
import type { HolderStatusReader } from './executions';
import type { LedgerStore } from './ledger';
import type { Log } from './logger';
import { reclaimableHolders, sourceSnapshotIds, type SlotStore } from './slots';

/** The member-side steps (./steps.ts). */
export const MEMBER_STEPS = ['inspect', 'find', 'confirm', 'admit', 'copy', 'poll', 'release'] as const;
/** The vault steps (./vault-steps.ts), run after the member-side copy completed (vault mode only). */
export const VAULT_STEPS = ['vault-share', 'vault-find', 'vault-admit', 'vault-copy', 'vault-confirm', 'vault-poll', 'vault-release', 'vault-lock', 'vault-unshare', 'vault-delete-member'] as const;
/** Every step the `step` entry runs. Equal to stacks/central/copy-workflow.ts STEP_NAMES (tested). */
export const STEPS = [...MEMBER_STEPS, ...VAULT_STEPS] as const;
export type Step = (typeof STEPS)[number];

/** What the vault steps learned (vault mode), under `data.vault`. */
export interface VaultData {
  /** When the vault phase began: its deadlines (7 days each, as the member side's) count from here. */
  startedAt: string;
  /** The definition's counters when the vault phase began: its backoffs start again from the first wait. */
  waitsAtStart: number;
  outagesAtStart: number;
  /** The member-side copy is shared with the vault account (createVolumePermission). */
  shared?: boolean;
  copySnapshotId?: string;
  copyStartedAt?: string;
  /** Vault copies that ended in `error` (or vanished) so far. */
  recopies?: number;
  failedCopies?: Array<{ copySnapshotId: string; reason: string }>;
  /** The lock the vault copy carries (DescribeLockedSnapshots or LockSnapshot): state and expiry. */
  lock?: { state: string; expiresOn?: string; durationDays?: number };
  /** The member-side copy is no longer shared. */
  unshared?: boolean;
  /** keepMemberCopy false: what happened to the member-side copy (`deleted`, `gone`, `in-use`). */
  memberCopy?: 'deleted' | 'gone' | 'in-use';
}

/** The execution's data between states: the canonical input plus what the steps learned. */
export interface CopyData extends CopyInput {
  outcome?:
    | 'proceed'
    | 'skip'
    | 'found'
    | 'absent'
    | 'admitted'
    | 'wait'
    | 'unavailable'
    | 'copying'
    | 'copied'
    | 'recopy'
    | 'vaulted'
    | 'shared'
    | 'locked'
    | 'unshared'
    | 'deleted';
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
  /** Vault mode: the vault steps' progress. */
  vault?: VaultData;
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

/**
 * Where copies are made and counted: the member account and the snapshot's destination region
 * (its member role), or the vault account and the same region (the vault role).
 */
export interface CopyTarget {
  /** The account that owns the copies (the ledger's copyAccount). */
  account: string;
  region: string;
  /** EC2 in that account and region (`forCopy`: the one-attempt client for CopySnapshot). */
  ec2: (forCopy?: boolean) => Ec2Sender;
  /** This app's copies pending there at most (the slots' cap). */
  max: number;
  /** The copy-slot item: `<account>#<region>`. */
  slot: string;
  /** In messages: `account 222222222222` or `vault account 999999999999`. */
  what: string;
}

export interface Ctx {
  input: CopyInput;
  /** This execution's name: the slot holder, the ledger's executionName. */
  holder: string;
  data: CopyData;
  keys: Record<string, unknown>;
  source: () => Ec2Sender;
  destination: (forCopy?: boolean) => Ec2Sender;
  deps: StepDeps;
  executionStartTime: string | undefined;
  /** Since when this phase's deadlines count: the execution's start, or the vault phase's. */
  phaseStartTime: string | undefined;
  /** Waits and outage waits of this phase so far (their backoffs). */
  waits: number;
  outages: number;
  step: Step;
  /** What a refusal (AccessDenied, UnauthorizedOperation) of this step is: CopyPermissionDenied, or VaultPermissionDenied. */
  denied: StepErrorName;
}

export const errorKeys = (error: Error) => ({ error: { name: error.name, message: error.message } });

/** An error from the AWS SDK or the network (as opposed to a bug of ours, which must not pass for EC2 trouble). */
export function fromAws(error: Error): boolean {
  const e = error as Error & { $metadata?: unknown; $fault?: unknown };
  return e.$metadata !== undefined || e.$fault !== undefined || isNetworkError(e) || e.name === 'TimeoutError' || e.name === 'AbortError';
}

/** Maps an EC2/STS error of a read-only (or idempotent) call to the workflow's error, or rethrows it as it is. */
export function readFailure(error: unknown, ctx: Ctx, what: string): Error {
  const e = asError(error);
  if (!fromAws(e)) return e;
  switch (classifyEc2Error(e)) {
    case 'denied':
      return new StepError(ctx.denied, `${what} refused for account ${ctx.input.account}: ${e.name}: ${e.message}`, ctx.keys, { cause: e });
    case 'throttled':
    case 'unavailable':
    case 'ambiguous':
      return new StepError(STEP_ERRORS.ec2Unavailable, `${what} failed after the SDK's retries: ${e.name}: ${e.message}`, ctx.keys, { cause: e });
    default:
      return e;
  }
}

export async function describe(client: Ec2Sender, input: DescribeSnapshotsCommandInput, ctx: Ctx, what: string): Promise<Snapshot[]> {
  try {
    return await describeSnapshots(client, input);
  } catch (error) {
    throw readFailure(error, ctx, what);
  }
}

export function deadline(ctx: Ctx, since: string | undefined, phase: string): void {
  if (waitedLongerThan(since, ctx.deps.now(), MAX_WAIT_SECONDS)) {
    throw new StepError(
      STEP_ERRORS.waitTimedOut,
      `gave up ${phase} for snapshot ${ctx.input.snapshotId} of account ${ctx.input.account} (${ctx.input.sourceRegion} → ${ctx.input.destinationRegion}) after ${MAX_WAIT_SECONDS / 86_400} days (since ${since})`,
      ctx.keys,
    );
  }
}

/** This app's pending copies in the target: pending snapshots with the provenance tag that the ledger records. */
export async function ourPendingCopies(ctx: Ctx, target: CopyTarget): Promise<Snapshot[]> {
  const pending = await describe(target.ec2(), pendingCopiesQuery(), ctx, `DescribeSnapshots of pending copies in ${target.region} (${target.what})`);
  if (pending.length === 0) return pending;
  const recorded = await ctx.deps.ledger.recorded(target.account, target.region, pending.map((s) => s.SnapshotId ?? '').filter((id) => id !== ''));
  return pending.filter((s) => s.SnapshotId !== undefined && recorded.has(s.SnapshotId));
}

/** Throttling, a 5xx, a timeout or a network failure of EC2, STS or DynamoDB, after the SDK's retries. */
export const isOutage = (error: unknown): error is StepError =>
  error instanceof StepError && (error.name === STEP_ERRORS.ec2Unavailable || error.name === STEP_ERRORS.slotTableUnavailable);

/** The `wait` answer: the definition waits `waitSeconds` (equal jitter over this phase's waits so far), then runs the step it names again. */
export function waitForSlot(ctx: Ctx, why: string, keys: Record<string, unknown> = {}): CopyData {
  const { lastError: _lastError, ...rest } = ctx.data;
  const waitSeconds = admissionWaitSeconds(ctx.waits, ctx.deps.random());
  ctx.deps.logger.info(`${why}; the workflow waits`, { ...ctx.keys, step: ctx.step, outcome: 'wait', waitSeconds, admissionWaits: ctx.waits, ...keys });
  return { ...rest, outcome: 'wait', waitSeconds };
}

/**
 * A step through an outage of EC2 (or STS), or of DynamoDB on the copy ledger: throttling, 5xx,
 * timeouts that outlived the SDK's retries answer `unavailable` with the next wait (OUTAGE_WAIT over
 * this phase's outage count), and the definition runs the step again after it; 7 days after the phase
 * started (the execution's start, or the vault phase's), the outage is reported as Ec2Unavailable
 * (its message names the service), which ends the execution.
 */
export async function orWaitOutOutage(ctx: Ctx, run: () => Promise<CopyData>): Promise<CopyData> {
  try {
    return await run();
  } catch (caught) {
    const error = caught instanceof StepError ? caught : readFailure(caught, ctx, `step ${ctx.step}`);
    if (!isOutage(error)) throw error;
    const service = error.name === STEP_ERRORS.slotTableUnavailable ? 'DynamoDB (the copy ledger)' : 'EC2';
    if (waitedLongerThan(ctx.phaseStartTime, ctx.deps.now(), MAX_WAIT_SECONDS)) {
      const since = ctx.phaseStartTime === ctx.executionStartTime ? 'the execution started' : 'the vault steps began';
      throw new StepError(STEP_ERRORS.ec2Unavailable, `${ctx.step}: ${service} still unavailable ${MAX_WAIT_SECONDS / 86_400} days after ${since} (${ctx.phaseStartTime}): ${error.message}`, ctx.keys, { cause: error });
    }
    const waitSeconds = outageWaitSeconds(ctx.outages, ctx.deps.random());
    ctx.deps.logger.warn(`${ctx.step}: ${service} unavailable; the workflow waits and runs the step again`, { ...ctx.keys, step: ctx.step, outcome: 'unavailable', waitSeconds, outages: ctx.outages, ...errorKeys(error) });
    return { ...ctx.data, outcome: 'unavailable', waitSeconds };
  }
}

/** This app's pending copies in the target (ledger-recorded), as of at most PENDING_LOOK_TTL_MS ago; undefined when EC2 or the ledger cannot tell. */
async function pendingLook(ctx: Ctx, target: CopyTarget): Promise<ReadonlySet<string> | undefined> {
  const { deps } = ctx;
  const cacheKey = `${target.account}|${target.region}`;
  const t = deps.now().getTime();
  const cached = deps.pendingLooks?.get(cacheKey);
  if (cached && t - cached.at < PENDING_LOOK_TTL_MS) return cached.ids;
  try {
    const ids = sourceSnapshotIds(await ourPendingCopies(ctx, target));
    deps.pendingLooks?.set(cacheKey, { at: t, ids });
    return ids;
  } catch (error) {
    if (!isOutage(error)) throw error;
    return undefined;
  }
}

/**
 * Acquires `ctx.holder`'s slot in the target's item (idempotent: re-acquiring refreshes it). When
 * the slots are full, first reclaims the aged holders' slots no longer needed (./slots
 * reclaimableHolders: no pending copy, or the execution no longer runs; each dropped only if its
 * time is still the one read), then tries once more.
 * After acquiring, EC2 has the last word: at the target's cap of this app's copies pending, the
 * slot is released again.
 */
export async function acquireSlot(ctx: Ctx, target: CopyTarget): Promise<{ admitted: true } | { admitted: false; why: string; keys: Record<string, unknown> }> {
  const { deps, holder } = ctx;
  const { slot: key, max } = target;
  let answer = await deps.slots.acquire(key, holder, deps.now(), max);
  if (!answer.acquired) {
    const found = await reclaimableHolders(answer.holders, holder, deps.now(), { pendingSnapshots: () => pendingLook(ctx, target), status: (h) => deps.holders.status(h) });
    for (const { holder: h, detail } of found.unknown) {
      deps.logger.warn('could not tell whether a copy slot holder still runs; its slot is kept', { ...ctx.keys, step: ctx.step, slotHolder: h, reason: detail });
    }
    const held = answer.holders;
    const dropped = await Promise.all(found.gone.map(async ({ holder: h }) => deps.slots.drop(key, h, held[h]!)));
    found.gone.forEach(({ holder: h, detail }, i) => {
      if (dropped[i]) deps.logger.warn('reclaimed a copy slot no longer needed', { ...ctx.keys, step: ctx.step, staleHolder: h, acquiredAt: held[h], reason: detail });
    });
    if (dropped.some(Boolean)) answer = await deps.slots.acquire(key, holder, deps.now(), max);
  }
  if (!answer.acquired) {
    const held = Object.keys(answer.holders).length;
    return { admitted: false, why: `${held} copy slots of ${target.what} in ${target.region} are held (at most ${max})`, keys: { slotHolders: held, maxInFlightCopies: max } };
  }
  // EC2 has the last word: copies this app started outside the semaphore (before it existed, or
  // whose holder was lost) still take EC2 slots. One DescribeSnapshots per admission; only the
  // pending snapshots the ledger records are this app's (a restored volume's snapshot can carry our tags).
  const pending = await ourPendingCopies(ctx, target);
  if (pending.length >= max) {
    await deps.slots.release(key, holder);
    return { admitted: false, why: `${pending.length} of this app's copies are pending in ${target.region} for ${target.what} (copies without a slot)`, keys: { pendingCopies: pending.length, maxInFlightCopies: max } };
  }
  return { admitted: true };
}

/**
 * Admission on a target (Admit, VaultAdmit): a slot, or `wait`. Throttling or an outage of DynamoDB,
 * EC2 or STS waits like a full table (the backoff keeps growing).
 */
export async function admitTo(ctx: Ctx, target: CopyTarget, phase: string): Promise<CopyData> {
  deadline(ctx, ctx.phaseStartTime, phase);
  let verdict: Awaited<ReturnType<typeof acquireSlot>>;
  try {
    verdict = await acquireSlot(ctx, target);
  } catch (error) {
    if (!isOutage(error)) throw error;
    ctx.deps.logger.warn('could not check the copy slots', { ...ctx.keys, step: ctx.step, ...errorKeys(error) });
    return waitForSlot(ctx, `admission could not be checked (${error.name})`);
  }
  if (!verdict.admitted) return waitForSlot(ctx, verdict.why, verdict.keys);
  ctx.deps.logger.info('copy admitted', { ...ctx.keys, step: ctx.step, outcome: 'admitted', maxInFlightCopies: target.max });
  const { waitSeconds: _w, lastError: _e, ...rest } = ctx.data;
  return { ...rest, outcome: 'admitted' };
}

/**
 * Before CopySnapshot: the slot must still be ours (Admit reclaims the slots of executions that no
 * longer run); holding refreshes its time. Lost, or DynamoDB unavailable: nothing is copied, the
 * answer is `wait` (back to admission).
 */
export async function holdSlot(ctx: Ctx, target: CopyTarget, now: Date): Promise<CopyData | undefined> {
  let holding: boolean;
  try {
    holding = await ctx.deps.slots.hold(target.slot, ctx.holder, now);
  } catch (error) {
    if (!isOutage(error)) throw error;
    ctx.deps.logger.warn('could not confirm the copy slot before the copy', { ...ctx.keys, step: ctx.step, ...errorKeys(error) });
    return waitForSlot(ctx, `the copy slot could not be confirmed (${error.name})`);
  }
  return holding ? undefined : waitForSlot(ctx, `the copy slot of ${ctx.holder} was released or reclaimed before CopySnapshot`);
}

/** Releases this execution's slot in the target (idempotent). */
export async function releaseSlot(ctx: Ctx, target: CopyTarget): Promise<CopyData> {
  const held = await ctx.deps.slots.release(target.slot, ctx.holder);
  ctx.deps.logger.info(held ? 'copy slot released' : 'no copy slot held', { ...ctx.keys, step: ctx.step, slotReleased: held });
  return ctx.data;
}

