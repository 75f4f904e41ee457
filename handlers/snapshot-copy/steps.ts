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
 * In vault mode the steps of ./vault-steps.ts follow the completed member-side copy.
 */
import { CopySnapshotCommand, type Snapshot } from '@aws-sdk/client-ec2';
import {
  MAX_RECOPIES,
  POLL_FAST_SECONDS,
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
  roleArnFor,
  roleSessionName,
  sourceKeyNotAccessibleMessage,
  waitedLongerThan,
  type CopyInput,
} from './decide';
import { STEP_ERRORS, StepError, asError } from './errors';
import { adoptedExpiry, copyAttemptedAt, ledgerCopiesQuery, memberCopyEntry, provablyOurs } from './ledger';
import { slotKey } from './slots';
import {
  STEPS,
  admitTo,
  deadline,
  describe,
  errorKeys,
  holdSlot,
  isOutage,
  orWaitOutOutage,
  readFailure,
  releaseSlot,
  waitForSlot,
  type CopyData,
  type CopyTarget,
  type Ctx,
  type StepDeps,
  type StepEvent,
} from './step-kit';
import { copyKmsKeyId, isVaultStep, runVaultStep, vaultedCopy } from './vault-steps';

export { PENDING_LOOK_TTL_MS, STEPS, type CopyData, type Step, type StepDeps, type StepEvent, type VaultData } from './step-kit';

/** The member account and the snapshot's destination region: where the member-side copy is made and counted. */
export const memberTarget = (ctx: Ctx): CopyTarget => ({
  account: ctx.input.account,
  region: ctx.input.destinationRegion,
  ec2: ctx.destination,
  max: ctx.deps.config.maxInFlightCopies,
  slot: slotKey(ctx.input.account, ctx.input.destinationRegion),
  what: `account ${ctx.input.account}`,
});

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
  if (!existing && !confirming && deps.config.vault) {
    // Vault mode: the member-side copy may be gone because it was vaulted (keepMemberCopy false);
    // the vault steps then take over from the vault copy rather than copying the snapshot again.
    const vaulted = await vaultedCopy(ctx);
    if (vaulted) return { ...rest, ...vaulted };
  }
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


async function admit(ctx: Ctx): Promise<CopyData> {
  return admitTo(ctx, memberTarget(ctx), 'waiting for a copy slot');
}


/** Releases this execution's slot (after its copy completed, was skipped, or the execution failed). */
async function release(ctx: Ctx): Promise<CopyData> {
  return releaseSlot(ctx, memberTarget(ctx));
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
  const lost = await holdSlot(ctx, memberTarget(ctx), now);
  if (lost) return lost;
  let copySnapshotId: string | undefined;
  try {
    const out = await ctx.destination(true).send(new CopySnapshotCommand(copyRequest(input, tags, copyKmsKeyId(deps.config))));
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
      const keyHint = copyFailureHint(copySnapshot?.StateMessage, { sourceKeyId: data.sourceKeyId, destinationKeyId: copyKmsKeyId(deps.config), destinationRegion: input.destinationRegion });
      // Vault mode without kmsKeyId: the member copy key comes with the member's own stack, which is
      // rolled out in a later wave than central: until it is applied, the alias does not exist there.
      const hint =
        keyHint !== undefined && deps.config.kmsKeyId === undefined && deps.config.memberKmsKeyId !== undefined
          ? `${keyHint} (${deps.config.memberKmsKeyId} is the member copy key the member stack member-${input.account} creates in ${input.destinationRegion}: apply that stack, then npm run copies -- retry)`
          : keyHint;
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

/** Errors that end the execution (logged as `decision: failed` where they are thrown). */
const TERMINAL: ReadonlySet<string> = new Set([
  STEP_ERRORS.permissionDenied,
  STEP_ERRORS.waitTimedOut,
  STEP_ERRORS.sourceKeyNotAccessible,
  STEP_ERRORS.memberCopyGone,
  STEP_ERRORS.vaultShareRefused,
  STEP_ERRORS.vaultPermissionDenied,
  STEP_ERRORS.vaultLockFailed,
]);

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
    phaseStartTime: event.executionStartTime,
    waits: typeof event.waits === 'number' ? event.waits : 0,
    outages: typeof event.outages === 'number' ? event.outages : 0,
    step: event.step,
    denied: STEP_ERRORS.permissionDenied,
  };
  try {
    if (isVaultStep(event.step)) return await runVaultStep(ctx);
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
    if (TERMINAL.has(error.name) || (error.name === STEP_ERRORS.ec2Unavailable && ctx.step !== 'release' && ctx.step !== 'vault-release')) {
      deps.logger.error(`${error.name}: ${error.message}`, { ...ctx.keys, step: event.step, decision: 'failed', ...errorKeys(error) });
    }
    throw error;
  }
}
