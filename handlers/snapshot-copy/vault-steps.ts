/**
 * The vault steps of the copy workflow (vault mode, README "Vault mode"): after the member-side copy
 * completed, the same snapshot is copied into the vault account, under the vault's key, and locked.
 *
 *   vault-share          ledger: the member copy is this app's (BatchGetItem); ModifySnapshotAttribute
 *                        (member role): createVolumePermission add the vault account → shared, or
 *                        wait (the member role may not share yet: its stack comes in a later wave)
 *   vault-find           Query the ledger (the vault's partition), DescribeSnapshots (vault role) of
 *                        its copies → vaulted (completed) | found (pending) | absent
 *   vault-admit          the vault's copy slots (`<vaultAccount>#<region>`) → admitted | wait
 *   vault-copy           UpdateItem (still holding?) + CopySnapshot (vault role, one attempt) + PutItem
 *                        (ledger, kind vault-copy) → copying | wait; CopyOutcomeUnknown when unsure
 *   vault-confirm        the ledger, then DescribeSnapshots (vault, provenance tag) for a copy provably
 *                        made by the ambiguous attempt → found, or CopyNotVisibleYet
 *   vault-poll           DescribeSnapshots (vault role) of the vault copy → copied | recopy
 *   vault-release        UpdateItem: release the vault slot (idempotent)
 *   vault-lock           DescribeLockedSnapshots, then LockSnapshot (vault role) unless an equal or
 *                        stronger lock is there; with retention, UpdateItem (ledger): the vault copy's
 *                        expiry raised to its lock's → locked
 *   vault-unshare        ModifySnapshotAttribute (member role): createVolumePermission remove → unshared
 *   vault-delete-member  keepMemberCopy false: DeleteSnapshot (member role) of the member copy, once
 *                        the vault copy is locked; UpdateItem marks its ledger item → deleted
 * Every step is idempotent: sharing what is shared, locking what is locked as long, unsharing or
 * deleting what is gone all succeed. Outages (throttling, 5xx, timeouts after the SDK's retries)
 * answer `unavailable` (or `wait` on admission) and the definition runs the step again after its
 * wait, for 7 days from the start of the vault phase (`data.vault.startedAt`).
 */
import { DeleteSnapshotCommand, DescribeLockedSnapshotsCommand, LockSnapshotCommand, ModifySnapshotAttributeCommand, CopySnapshotCommand, type LockedSnapshotsInfo, type Snapshot } from '@aws-sdk/client-ec2';
import type { Ec2Sender } from './clients';
import type { StepConfig, VaultStepConfig } from './config';
import {
  MAX_RECOPIES,
  MAX_WAIT_SECONDS,
  MEMBER_COPY_TAG,
  POLL_FAST_SECONDS,
  buildCopyTags,
  classifyEc2Error,
  decideOnCopy,
  decideOnLock,
  existingCopiesQuery,
  expiresAt,
  findExistingCopy,
  lockDays,
  roleSessionName,
  vaultCopyDescription,
  vaultCopyRequest,
  waitedLongerThan,
} from './decide';
import { STEP_ERRORS, StepError, asError } from './errors';
import { adoptedExpiry, copyAttemptedAt, ledgerCopiesQuery, provablyOurs, vaultCopyEntry } from './ledger';
import { slotKey } from './slots';
import {
  VAULT_STEPS,
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
  type Step,
  type VaultData,
} from './step-kit';

export type VaultStep = (typeof VAULT_STEPS)[number];
export const isVaultStep = (step: Step): step is VaultStep => (VAULT_STEPS as readonly string[]).includes(step);

/**
 * The key member-side copies are made under: KMS_KEY_ID, else in vault mode MEMBER_KMS_KEY_ID (the
 * member copy key, `alias/ebs-event-hub-dr`): "You can't share snapshots that are encrypted with the
 * default AWS managed key. You can only share snapshots that are encrypted with a customer managed key."
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
 */
export const copyKmsKeyId = (config: Pick<StepConfig, 'kmsKeyId' | 'memberKmsKeyId'>): string | undefined => config.kmsKeyId ?? config.memberKmsKeyId;

interface VaultCtx extends Ctx {
  vault: VaultStepConfig;
  phase: VaultData;
  /** The member-side copy (shared, copied from, unshared, deleted). */
  memberCopyId: string;
  /** EC2 in the vault account and the copy's region, under the vault role. */
  vaultEc2: (forCopy?: boolean) => Ec2Sender;
  target: CopyTarget;
}

/** The `data` a vault step answers: the phase's progress kept under `vault`. */
const answer = (c: VaultCtx, outcome: CopyData['outcome'], vault: Partial<VaultData> = {}, extra: Partial<CopyData> = {}): CopyData => {
  const { lastError: _e, waitSeconds: _w, ...rest } = c.data;
  return { ...rest, ...extra, outcome, vault: { ...c.phase, ...vault } };
};

/**
 * Vault mode, member-side Find: the ledger records a vault copy of this snapshot in this region (its
 * member copy was deleted once vaulted, or a retry comes after the vault copy was made). The vault
 * steps take over from it (VaultFind) instead of copying the snapshot again.
 */
export async function vaultedCopy(ctx: Ctx): Promise<Partial<CopyData> | undefined> {
  const vault = ctx.deps.config.vault;
  if (!vault) return undefined;
  const { input, deps } = ctx;
  const ids = await deps.ledger.copiesOf(vault.accountId, input.destinationRegion, input.snapshotId);
  if (ids.length === 0) return undefined;
  const entry = (await deps.ledger.entries(vault.accountId, input.destinationRegion, ids)).find((e) => e.memberCopySnapshotId !== undefined);
  if (!entry) return undefined;
  deps.logger.info(`the vault already holds copy ${entry.copySnapshotId} of this snapshot: the vault steps take over`, { ...ctx.keys, step: 'find', outcome: 'vaulted', vaultCopySnapshotId: entry.copySnapshotId });
  return { outcome: 'vaulted', copySnapshotId: entry.memberCopySnapshotId! };
}

/** Runs one vault step (vault mode), its deadlines and backoffs counted from the start of the vault phase. */
export async function runVaultStep(ctx: Ctx): Promise<CopyData> {
  const { deps, input, data } = ctx;
  const vault = deps.config.vault;
  if (!vault) throw new StepError(STEP_ERRORS.invalidInput, `step ${ctx.step} needs vault mode, but VAULT_ACCOUNT_ID is not set`, ctx.keys);
  const memberCopyId = data.copySnapshotId;
  if (typeof memberCopyId !== 'string' || !/^snap-[0-9a-f]+$/.test(memberCopyId)) {
    throw new StepError(STEP_ERRORS.invalidInput, `step ${ctx.step} without the member copy's id (copySnapshotId ${JSON.stringify(memberCopyId)})`, ctx.keys);
  }
  const phase: VaultData = data.vault ?? { startedAt: deps.now().toISOString(), waitsAtStart: ctx.waits, outagesAtStart: ctx.outages };
  const roleArn = `arn:${deps.self.partition}:iam::${vault.accountId}:role/${vault.roleName}`;
  const vaultEc2 = (forCopy = false) => deps.clients.ec2({ region: input.destinationRegion, roleArn, roleSessionName: roleSessionName(input.snapshotId), forCopy });
  const c: VaultCtx = {
    ...ctx,
    data: { ...data, vault: phase },
    keys: { ...ctx.keys, copySnapshotId: memberCopyId, vaultAccount: vault.accountId, ...(phase.copySnapshotId ? { vaultCopySnapshotId: phase.copySnapshotId } : {}) },
    phaseStartTime: phase.startedAt,
    waits: Math.max(0, ctx.waits - phase.waitsAtStart),
    outages: Math.max(0, ctx.outages - phase.outagesAtStart),
    denied: STEP_ERRORS.vaultPermissionDenied,
    vault,
    phase,
    memberCopyId,
    vaultEc2,
    target: {
      account: vault.accountId,
      region: input.destinationRegion,
      ec2: vaultEc2,
      max: vault.maxInFlightCopies,
      slot: slotKey(vault.accountId, input.destinationRegion),
      what: `vault account ${vault.accountId}`,
    },
  };
  switch (ctx.step as VaultStep) {
    case 'vault-share':
      return orWaitOutOutage(c, () => share(c));
    case 'vault-find':
      return orWaitOutOutage(c, () => findVaultCopy(c, false));
    case 'vault-confirm':
      return orWaitOutOutage(c, () => findVaultCopy(c, true));
    case 'vault-admit':
      return admitTo(c, c.target, 'waiting for a vault copy slot');
    case 'vault-copy':
      return copyIntoVault(c);
    case 'vault-poll':
      return pollVaultCopy(c);
    case 'vault-release':
      return answerAfter(c, await releaseSlot(c, c.target));
    case 'vault-lock':
      return orWaitOutOutage(c, () => lock(c));
    case 'vault-unshare':
      return orWaitOutOutage(c, () => unshare(c));
    case 'vault-delete-member':
      return orWaitOutOutage(c, () => deleteMemberCopy(c));
  }
}

/** Release keeps the data as it is (with the phase). */
const answerAfter = (c: VaultCtx, data: CopyData): CopyData => ({ ...data, vault: { ...c.phase, ...data.vault } });

/** `createVolumePermission` of the member copy for the vault account: add or remove (member role). */
const permission = (c: VaultCtx, operation: 'add' | 'remove') =>
  new ModifySnapshotAttributeCommand({ SnapshotId: c.memberCopyId, Attribute: 'createVolumePermission', OperationType: operation, UserIds: [c.vault.accountId] });

/**
 * Shares the member copy with the vault account, only when the ledger records it as this app's copy
 * (a snapshot that merely carries our tags is never shared). Adding a permission that is there is no
 * error, so a redelivery shares nothing twice. AccessDenied means the member's own stack, which
 * grants the share right, is not applied yet (members come in later waves than central and the
 * vault): the workflow waits for it (the admission backoff) for 7 days.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html
 */
async function share(c: VaultCtx): Promise<CopyData> {
  const { input, deps } = c;
  const ours = await deps.ledger.recorded(input.account, input.destinationRegion, [c.memberCopyId]);
  if (!ours.has(c.memberCopyId)) {
    throw new StepError(STEP_ERRORS.vaultShareRefused, `vault-share: ${c.memberCopyId} is not in the copy ledger as this app's copy of ${input.snapshotId} in account ${input.account}; it is not shared`, c.keys);
  }
  try {
    await c.destination().send(permission(c, 'add'));
  } catch (caught) {
    const e = asError(caught);
    switch (classifyEc2Error(e)) {
      case 'not-found':
        throw memberCopyGone(c, 'vault-share', e);
      case 'denied':
        if (waitedLongerThan(c.phaseStartTime, deps.now(), MAX_WAIT_SECONDS)) {
          throw new StepError(
            STEP_ERRORS.vaultPermissionDenied,
            `vault-share: account ${input.account} has refused to share ${c.memberCopyId} with the vault account ${c.vault.accountId} for ${MAX_WAIT_SECONDS / 86_400} days (${e.name}: ${e.message}): apply its member stack (the share right of its copy role)`,
            c.keys,
            { cause: e },
          );
        }
        return waitForSlot(c, `vault-share: account ${input.account} refused to share ${c.memberCopyId} (${e.name}): its member stack, which grants the share right, may not be applied yet`, errorKeys(e));
      case 'refused':
        throw new StepError(STEP_ERRORS.vaultShareRefused, `vault-share: EC2 refused to share ${c.memberCopyId} of account ${input.account} with the vault account ${c.vault.accountId}: ${e.name}: ${e.message}`, c.keys, { cause: e });
      default:
        throw readFailure(e, c, `vault-share: ModifySnapshotAttribute of ${c.memberCopyId}`);
    }
  }
  deps.logger.info('member copy shared with the vault account', { ...c.keys, step: c.step, outcome: 'shared' });
  return answer(c, 'shared', { shared: true });
}

function memberCopyGone(c: VaultCtx, step: string, cause: Error): StepError {
  const { input } = c;
  const message =
    `${step}: the member copy ${c.memberCopyId} of snapshot ${input.snapshotId} (account ${input.account}, ${input.destinationRegion}) no longer exists ` +
    `(or is no longer shared with the vault account ${c.vault.accountId}); nothing was copied into the vault. It is not copied again by itself: ` +
    'someone deleted the DR copy this app made; npm run copies -- retry makes it again from the source snapshot, if that still exists';
  c.deps.logger.error(message, { ...c.keys, step, decision: 'failed', ...errorKeys(cause) });
  return new StepError(STEP_ERRORS.memberCopyGone, message, c.keys, { cause });
}

/** Find (and, after an ambiguous CopySnapshot, ConfirmCopy) of the vault: the ledger first, then a copy provably the attempt's. */
async function findVaultCopy(c: VaultCtx, confirming: boolean): Promise<CopyData> {
  const { input, deps, vault } = c;
  const ids = await deps.ledger.copiesOf(vault.accountId, input.destinationRegion, input.snapshotId);
  let existing: { snapshotId: string; state: string } | undefined;
  if (ids.length > 0) {
    const described = await describe(c.vaultEc2(), ledgerCopiesQuery(ids), c, `DescribeSnapshots of recorded vault copies in ${input.destinationRegion}`);
    existing = findExistingCopy(described.filter((s) => s.SnapshotId !== undefined && ids.includes(s.SnapshotId)));
  }
  if (!existing && confirming) existing = await adoptVaultCopy(c);
  if (!existing) {
    if (confirming) throw new StepError(STEP_ERRORS.copyNotVisibleYet, `vault-confirm: no vault copy of ${input.snapshotId} visible in ${input.destinationRegion} after an ambiguous CopySnapshot error`, c.keys);
    deps.logger.info('no vault copy yet', { ...c.keys, step: c.step, outcome: 'absent' });
    return answer(c, 'absent');
  }
  const outcome = existing.state === 'completed' && !confirming ? 'vaulted' : 'found';
  deps.logger.info(`vault copy ${existing.snapshotId} (${existing.state}) exists`, { ...c.keys, step: c.step, outcome, vaultCopySnapshotId: existing.snapshotId });
  return answer(c, outcome, { copySnapshotId: existing.snapshotId, copyStartedAt: c.phase.copyStartedAt ?? deps.now().toISOString() });
}

/** After an ambiguous vault CopySnapshot: vault copies provably the attempt's (provenance, Description, StartTime), recorded. */
async function adoptVaultCopy(c: VaultCtx): Promise<{ snapshotId: string; state: string } | undefined> {
  const { input, deps, vault } = c;
  const candidates = await describe(c.vaultEc2(), existingCopiesQuery(input.snapshotId), c, `DescribeSnapshots of vault copies in ${input.destinationRegion}`);
  const attemptedAt = copyAttemptedAt(c.data.lastError) ?? new Date(c.phase.startedAt);
  const ours = candidates.filter((s) => provablyOurs(s, input, attemptedAt, vaultCopyDescription(input)));
  for (const copy of ours) {
    const memberCopy = copy.Tags?.find((t) => t.Key === MEMBER_COPY_TAG)?.Value ?? c.memberCopyId;
    const expiry = adoptedExpiry(copy, vault.retentionDays);
    await deps.ledger.record(
      vaultCopyEntry(input, vault.accountId, copy.SnapshotId!, memberCopy, { executionName: c.holder, createdAt: copy.StartTime instanceof Date ? copy.StartTime : deps.now(), recordedBy: 'confirm', ...(expiry ? { expiresAt: expiry } : {}) }),
    );
  }
  return findExistingCopy(ours);
}

/**
 * CopySnapshot into the vault (vault role), once: it has no idempotency token, so an answer that does
 * not prove EC2 refused is CopyOutcomeUnknown and VaultConfirm looks before anything is copied again.
 */
async function copyIntoVault(c: VaultCtx): Promise<CopyData> {
  const { input, deps, vault } = c;
  deadline(c, c.phaseStartTime, 'waiting for a vault copy slot');
  const now = deps.now();
  const lost = await holdSlot(c, c.target, now);
  if (lost) return lost;
  const expiry = vault.retentionDays !== undefined ? expiresAt(now, vault.retentionDays) : undefined;
  const { tags } = buildCopyTags(c.data.sourceTags, input, expiry, c.memberCopyId);
  let copyId: string | undefined;
  try {
    copyId = (await c.vaultEc2(true).send(new CopySnapshotCommand(vaultCopyRequest(input, c.memberCopyId, tags, vault.kmsKeyId)))).SnapshotId;
  } catch (caught) {
    const e = asError(caught);
    const keys = { ...c.keys, step: c.step, ...errorKeys(e) };
    switch (classifyEc2Error(e)) {
      case 'quota':
        return waitForSlot(c, 'EC2 refused the vault copy: too many copies in progress in the vault account (ResourceLimitExceeded)', { quotaRefusedAt: now.toISOString(), ...errorKeys(e) });
      case 'throttled':
        return waitForSlot(c, 'EC2 throttled CopySnapshot into the vault (nothing was copied)', errorKeys(e));
      case 'denied':
        deps.logger.error('CopySnapshot into the vault refused: permissions', keys);
        throw new StepError(STEP_ERRORS.vaultPermissionDenied, `vault-copy: CopySnapshot of ${c.memberCopyId} into the vault account ${vault.accountId} (${input.destinationRegion}) refused: ${e.name}: ${e.message}`, c.keys, { cause: e });
      case 'not-found':
        throw memberCopyGone(c, 'vault-copy', e);
      case 'refused':
        deps.logger.error('CopySnapshot into the vault refused', keys);
        throw new StepError(STEP_ERRORS.vaultCopyFailed, `vault-copy: EC2 refused CopySnapshot of ${c.memberCopyId} into the vault account ${vault.accountId} (${input.destinationRegion}): ${e.name}: ${e.message}`, c.keys, { cause: e });
      default:
        deps.logger.warn('CopySnapshot into the vault: outcome unknown; the workflow looks for the copy before copying again', keys);
        throw new StepError(STEP_ERRORS.copyOutcomeUnknown, `vault CopySnapshot of ${c.memberCopyId} attempted at ${now.toISOString()}: outcome unknown (${e.name}: ${e.message})`, c.keys, { cause: e });
    }
  }
  if (!copyId) throw new StepError(STEP_ERRORS.copyOutcomeUnknown, `vault CopySnapshot of ${c.memberCopyId} attempted at ${now.toISOString()} answered without a SnapshotId`, c.keys);
  try {
    await deps.ledger.record(vaultCopyEntry(input, vault.accountId, copyId, c.memberCopyId, { executionName: c.holder, createdAt: now, recordedBy: 'copy', ...(expiry ? { expiresAt: expiry } : {}) }));
  } catch (caught) {
    const e = asError(caught);
    deps.logger.warn('vault copy made but not recorded in the ledger; VaultConfirm records it', { ...c.keys, step: c.step, vaultCopySnapshotId: copyId, ...errorKeys(e) });
    throw new StepError(STEP_ERRORS.copyOutcomeUnknown, `vault CopySnapshot of ${c.memberCopyId} attempted at ${now.toISOString()} made ${copyId}, but recording it in the copy ledger failed (${e.name}: ${e.message})`, c.keys, { cause: e });
  }
  deps.logger.info('vault copy started', { ...c.keys, step: c.step, outcome: 'copying', vaultCopySnapshotId: copyId });
  return answer(c, 'copying', { copySnapshotId: copyId, copyStartedAt: now.toISOString() });
}

/** A hint for the final VaultCopyFailed when EC2's state message names a key. */
function vaultKeyHint(stateMessage: string | undefined, c: VaultCtx): string | undefined {
  if (stateMessage === undefined || !/\bkms\b|\bkey\b/i.test(stateMessage)) return undefined;
  return (
    `reason: KMS (EC2's state message names a key): the vault role ${c.vault.roleName} must be able to use the member copy's key ` +
    `(${copyKmsKeyId(c.deps.config) ?? 'the member copy key'} of account ${c.input.account}, whose key policy must admit it: README "Vault mode") and the vault key ${c.vault.kmsKeyId} in ${c.input.destinationRegion}`
  );
}

async function pollVaultCopy(c: VaultCtx): Promise<CopyData> {
  const { input, deps, phase } = c;
  const copyId = phase.copySnapshotId;
  if (!copyId) throw new StepError(STEP_ERRORS.invalidInput, 'vault-poll without a vault copy id', c.keys);
  let copy: Snapshot | undefined;
  let unseen: StepError | undefined;
  try {
    copy = (await describe(c.vaultEc2(), { SnapshotIds: [copyId], OwnerIds: ['self'] }, c, `DescribeSnapshots of vault copy ${copyId}`)).find((s) => s.SnapshotId === copyId);
  } catch (error) {
    if (isOutage(error)) unseen = error;
    else if (classifyEc2Error((error as { cause?: unknown }).cause ?? error) !== 'not-found') throw error;
  }
  const recopies = phase.recopies ?? 0;
  const decision = unseen ? ({ kind: 'pending' } as const) : decideOnCopy(copy, { recopies, copyStartedAt: phase.copyStartedAt, now: deps.now() });
  const keys = { ...c.keys, step: c.step, vaultCopySnapshotId: copyId };
  switch (decision.kind) {
    case 'pending': {
      deadline(c, phase.copyStartedAt, `waiting for vault copy ${copyId}`);
      const young = !waitedLongerThan(phase.copyStartedAt, deps.now(), POLL_FAST_SECONDS);
      throw new StepError(young ? STEP_ERRORS.copyPending : STEP_ERRORS.copyStillPending, `vault copy ${copyId} of ${input.snapshotId} is still pending${unseen ? ` (not seen: ${unseen.message})` : ''}`, keys);
    }
    case 'copied':
      deps.logger.info('vault copy completed', { ...keys, outcome: 'copied' });
      return answer(c, 'copied');
    case 'recopy':
      deps.logger.warn(`vault copy failed, copying again (${recopies + 1} of ${MAX_RECOPIES}): ${decision.reason}`, { ...keys, outcome: 'recopy', recopies: recopies + 1 });
      return answer(c, 'recopy', { copySnapshotId: undefined, copyStartedAt: undefined, recopies: recopies + 1, failedCopies: [...(phase.failedCopies ?? []), { copySnapshotId: copyId, reason: decision.reason }] });
    case 'failed': {
      const hint = vaultKeyHint(copy?.StateMessage, c);
      const message =
        `vault copy of snapshot ${input.snapshotId} (member copy ${c.memberCopyId}, account ${input.account} → vault account ${c.vault.accountId}, ${input.destinationRegion}) failed ` +
        `${recopies + 1} times; last copy ${copyId}: ${decision.reason}${hint !== undefined ? `; ${hint}` : ''}`;
      deps.logger.error(message, { ...keys, decision: 'failed' });
      throw new StepError(STEP_ERRORS.vaultCopyFailed, message, keys);
    }
  }
}

/**
 * Locks the vault copy (vault role) unless it carries an equal or stronger lock already (./decide
 * decideOnLock): LockSnapshot with `LockDuration`, the mode and, in compliance mode, the cooling-off
 * period. After the vault copy completed, though "You can lock a snapshot that is in the pending or
 * completed state" (https://docs.aws.amazon.com/ebs/latest/userguide/lock-snapshot.html): a copy that
 * ended in `error` while locked could not be deleted and made again until its lock expires.
 */
async function lock(c: VaultCtx): Promise<CopyData> {
  const { deps, vault, phase, input } = c;
  const copyId = phase.copySnapshotId;
  if (!copyId) throw new StepError(STEP_ERRORS.invalidInput, 'vault-lock without a vault copy id', c.keys);
  if (!vault.lock) return answer(c, 'locked');
  const keys = { ...c.keys, step: c.step, vaultCopySnapshotId: copyId };
  const refused = (e: Error, what: string): Error => {
    const kind = classifyEc2Error(e);
    if (kind === 'not-found') return new StepError(STEP_ERRORS.vaultLockFailed, `vault-lock: vault copy ${copyId} of ${input.snapshotId} no longer exists in the vault account ${vault.accountId} (${input.destinationRegion})`, keys, { cause: e });
    if (kind === 'refused') return new StepError(STEP_ERRORS.vaultLockFailed, `vault-lock: EC2 refused ${what} of vault copy ${copyId}: ${e.name}: ${e.message}`, keys, { cause: e });
    return readFailure(e, c, `vault-lock: ${what} of ${copyId}`);
  };
  let existing: LockedSnapshotsInfo | undefined;
  try {
    existing = (await c.vaultEc2().send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [copyId] }))).Snapshots?.find((s) => s.SnapshotId === copyId);
  } catch (caught) {
    throw refused(asError(caught), 'DescribeLockedSnapshots');
  }
  const decision = decideOnLock(existing, vault.lock);
  if (decision.kind === 'keep') {
    await expireNotBeforeLock(c, copyId, existing!, keys);
    deps.logger.info(`vault copy ${decision.reason}: kept`, { ...keys, outcome: 'locked' });
    return answer(c, 'locked', { lock: lockOf(existing!) });
  }
  let locked;
  try {
    locked = await c.vaultEc2().send(new LockSnapshotCommand({ SnapshotId: copyId, ...decision.request }));
  } catch (caught) {
    throw refused(asError(caught), 'LockSnapshot');
  }
  await expireNotBeforeLock(c, copyId, locked, keys);
  deps.logger.info(`vault copy locked (${decision.reason})`, { ...keys, outcome: 'locked', lockState: locked.LockState });
  return answer(c, 'locked', { lock: lockOf(locked) });
}

/**
 * With `retentionDays`, the vault copy's ledger expiry (copy start + retentionDays) is raised to its
 * lock's expiry: the lock runs from VaultLock, after the copy completed, and `retentionDays` may equal
 * `lock.days`, so the sweep would otherwise meet a copy still locked, fail to delete it ("While a
 * snapshot is locked, it can't be deleted by any user":
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-snapshot-lock.html) and report the sweep
 * incomplete. The expiry is EC2's own `LockExpiresOn` ("The date and time at which the lock will
 * expire", LockSnapshot's and DescribeLockedSnapshots' answer), whatever a cooling-off period does to
 * the duration's start: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLockedSnapshots.html
 * (LockedSnapshotsInfo). Not "Required" there: without it, now + the lock's days (the copy is
 * completed, so its duration has started: LockDurationStartTime), never earlier than the lock's end.
 * Conditional (./ledger raiseExpiry): it only raises, so a redelivered VaultLock changes nothing.
 */
async function expireNotBeforeLock(c: VaultCtx, copyId: string, lock: Pick<LockedSnapshotsInfo, 'LockExpiresOn' | 'LockDuration' | 'LockDurationStartTime' | 'LockCreatedOn'>, keys: Record<string, unknown>): Promise<void> {
  const { deps, vault, input } = c;
  if (vault.retentionDays === undefined || !vault.lock) return;
  const expiresOn = lock.LockExpiresOn instanceof Date ? lock.LockExpiresOn : new Date(deps.now().getTime() + (lockDays(lock) ?? vault.lock.days) * 86_400_000);
  if (await deps.ledger.raiseExpiry(vault.accountId, input.destinationRegion, copyId, expiresOn)) {
    deps.logger.info('vault copy expiry raised to its lock expiry in the copy ledger', { ...keys, lockExpiresOn: expiresOn.toISOString() });
  }
}

const lockOf = (l: Pick<LockedSnapshotsInfo, 'LockState' | 'LockExpiresOn' | 'LockDuration'>): NonNullable<VaultData['lock']> => ({
  state: l.LockState ?? 'unknown',
  ...(l.LockExpiresOn instanceof Date ? { expiresOn: l.LockExpiresOn.toISOString() } : {}),
  ...(typeof l.LockDuration === 'number' ? { durationDays: l.LockDuration } : {}),
});

/** Removes the vault's permission on the member copy (member role): removing what is not there, or from a deleted copy, is success. */
async function unshare(c: VaultCtx): Promise<CopyData> {
  const { deps, input } = c;
  try {
    await c.destination().send(permission(c, 'remove'));
  } catch (caught) {
    const e = asError(caught);
    const kind = classifyEc2Error(e);
    if (kind === 'refused') throw new StepError(STEP_ERRORS.vaultShareRefused, `vault-unshare: EC2 refused to remove the vault's permission on ${c.memberCopyId} of account ${input.account}: ${e.name}: ${e.message}`, c.keys, { cause: e });
    if (kind !== 'not-found') throw readFailure(e, c, `vault-unshare: ModifySnapshotAttribute of ${c.memberCopyId}`);
    deps.logger.info('member copy gone: nothing to unshare', { ...c.keys, step: c.step, outcome: 'unshared' });
    return answer(c, 'unshared', { unshared: true });
  }
  deps.logger.info('member copy no longer shared with the vault account', { ...c.keys, step: c.step, outcome: 'unshared' });
  return answer(c, 'unshared', { unshared: true });
}

const LOCKED = new Set(['governance', 'compliance-cooloff', 'compliance']);

/**
 * keepMemberCopy false: deletes the member-side copy (member role), only once its vault copy is
 * locked (when a lock is configured: VaultLock's answer is in the data, which only the steps write),
 * then marks its ledger item. Deleting what is gone is success; a copy an AMI uses
 * (InvalidSnapshot.InUse: "The snapshot that you are trying to delete is in use by one or more AMIs")
 * is kept, and said so.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
async function deleteMemberCopy(c: VaultCtx): Promise<CopyData> {
  const { deps, vault, phase, input } = c;
  if (vault.keepMemberCopy) throw new StepError(STEP_ERRORS.invalidInput, 'vault-delete-member with VAULT_KEEP_MEMBER_COPY true', c.keys);
  if (!phase.copySnapshotId || (vault.lock && !LOCKED.has(phase.lock?.state ?? ''))) {
    throw new StepError(STEP_ERRORS.invalidInput, `vault-delete-member before the vault copy is ${vault.lock ? 'locked' : 'made'} (vault ${JSON.stringify({ copySnapshotId: phase.copySnapshotId, lock: phase.lock })}): the member copy is kept`, c.keys);
  }
  let memberCopy: NonNullable<VaultData['memberCopy']> = 'deleted';
  try {
    await c.destination().send(new DeleteSnapshotCommand({ SnapshotId: c.memberCopyId }));
  } catch (caught) {
    const e = asError(caught);
    if (e.name === 'InvalidSnapshot.InUse') memberCopy = 'in-use';
    else if (classifyEc2Error(e) === 'not-found') memberCopy = 'gone';
    else if (classifyEc2Error(e) === 'refused') throw e;
    else throw readFailure(e, c, `vault-delete-member: DeleteSnapshot of ${c.memberCopyId}`);
  }
  if (memberCopy === 'in-use') {
    deps.logger.warn(`member copy ${c.memberCopyId} is in use (an AMI): kept, although its vault copy exists`, { ...c.keys, step: c.step, outcome: 'deleted', decision: 'member-copy-in-use' });
    return answer(c, 'deleted', { memberCopy });
  }
  const marked = await deps.ledger.markVaulted(input.account, input.destinationRegion, c.memberCopyId, { deletedAt: deps.now().toISOString(), vaultCopySnapshotId: phase.copySnapshotId });
  if (!marked) deps.logger.warn('the deleted member copy is not in the copy ledger (nothing to mark)', { ...c.keys, step: c.step });
  deps.logger.info(`member copy ${memberCopy === 'gone' ? 'already gone' : 'deleted'} once its vault copy was locked`, { ...c.keys, step: c.step, outcome: 'deleted', decision: 'vaulted', vaultCopySnapshotId: phase.copySnapshotId });
  return answer(c, 'deleted', { memberCopy });
}
