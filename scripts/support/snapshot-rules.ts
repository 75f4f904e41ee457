/**
 * EBS rules both EC2 stand-ins apply (scripts/support/ec2-standin.ts over HTTP, ec2-model.ts in
 * process): sharing a snapshot, copying a snapshot of another account, snapshot lock, deleting a
 * locked snapshot. Pure functions of a snapshot's state and the request; each rule cites the page it
 * comes from. NOT handler code.
 */

export interface RuleError {
  code: string;
  message: string;
}

// --- sharing -----------------------------------------------------------------------------------

/** The AWS managed key of EBS, by alias: snapshots under it cannot be shared. */
export const EBS_DEFAULT_KEY_ALIAS = 'alias/aws/ebs';

/**
 * ModifySnapshotAttribute `createVolumePermission` add/remove of accounts.
 * - "You can't share snapshots that are encrypted with the default AWS managed key. You can only
 *   share snapshots that are encrypted with a customer managed key." (a snapshot encrypted without a
 *   KmsKeyId of ours, or under `alias/aws/ebs`). EC2 answers OperationNotPermitted ("Encrypted
 *   snapshots with EBS default key cannot be shared"), the code the API reports for this.
 *   https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
 * - Adding an account that has the permission, or removing one that has none, changes nothing and
 *   is no error: the attribute is a set of permissions ("Adds or removes permission settings for the
 *   specified snapshot"). https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html
 * - Only the owner modifies its snapshot's permissions; another account's snapshot is not found.
 * The caller handles NotFound (no such snapshot in the region) itself.
 */
export function modifyShare(
  snapshot: { encrypted?: boolean; kmsKeyId?: string; sharedWith?: Set<string> },
  operation: string | undefined,
  accounts: readonly string[],
): RuleError | undefined {
  if (operation !== 'add' && operation !== 'remove') return { code: 'InvalidParameterValue', message: `OperationType ${String(operation)} is not add or remove` };
  if (accounts.length === 0 || accounts.some((a) => !/^\d{12}$/.test(a))) return { code: 'InvalidParameterValue', message: `UserIds ${JSON.stringify(accounts)} are not account ids` };
  if (operation === 'add' && snapshot.encrypted && (snapshot.kmsKeyId === undefined || snapshot.kmsKeyId === EBS_DEFAULT_KEY_ALIAS)) {
    return { code: 'OperationNotPermitted', message: 'Encrypted snapshots with EBS default key cannot be shared' };
  }
  snapshot.sharedWith ??= new Set();
  for (const a of accounts) {
    if (operation === 'add') snapshot.sharedWith.add(a);
    else snapshot.sharedWith.delete(a);
  }
  return undefined;
}

/**
 * Whether `account` may read `snapshot` (copy it, describe it by id): its own, or one shared with it
 * ("private snapshots owned by other AWS accounts for which you have explicit create volume
 * permissions"); any other snapshot does not exist for it (InvalidSnapshot.NotFound).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
 */
export const visibleTo = (snapshot: { ownerId: string; sharedWith?: Set<string> }, account: string): boolean => snapshot.ownerId === account || (snapshot.sharedWith?.has(account) ?? false);

/**
 * A copy of another account's encrypted snapshot reads it under the source's key, which that account
 * must have shared ("When you share an encrypted snapshot, you must also share the customer managed
 * key used to encrypt the snapshot"; the user of the shared key needs kms:Decrypt, DescribeKey,
 * CreateGrant, GenerateDataKey…, ReEncrypt). EC2 checks keys after CopySnapshot answered ("the action
 * can appear to complete, but eventually fails"): the copy ends in `error` with a StateMessage naming
 * the key. https://docs.aws.amazon.com/ebs/latest/userguide/share-kms-key.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html (KmsKeyId)
 */
export function crossAccountKeyFailure(source: { ownerId: string; encrypted?: boolean; kmsKeyId?: string }, account: string, keyAdmits: (owner: string, keyId: string, user: string) => boolean): string | undefined {
  if (source.ownerId === account || !source.encrypted || source.kmsKeyId === undefined) return undefined;
  return keyAdmits(source.ownerId, source.kmsKeyId, account) ? undefined : `The KMS key ${source.kmsKeyId} of account ${source.ownerId} is not accessible to account ${account} (kms:Decrypt / kms:CreateGrant denied)`;
}

// --- snapshot lock -----------------------------------------------------------------------------

/** A snapshot's lock (times in ms of the stand-in's clock). */
export interface SnapshotLock {
  mode: 'governance' | 'compliance';
  durationDays: number;
  createdOn: number;
  /** When the duration started: the lock's time, or (a pending snapshot) when it completed; undefined while pending. */
  durationStart?: number;
  coolOffHours?: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * LockState of LockedSnapshotsInfo: `compliance-cooloff` (compliance, within the cooling-off period),
 * `governance`, `compliance` (cooling-off over), `expired` (the duration has passed). "If you lock a
 * snapshot that is in the pending state, the lock duration starts only once the snapshot enters the
 * completed state" (LockDurationStartTime).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockedSnapshotsInfo.html
 */
export function lockState(lock: SnapshotLock, now: number): 'compliance-cooloff' | 'governance' | 'compliance' | 'expired' {
  if (lock.durationStart !== undefined && now >= lock.durationStart + lock.durationDays * DAY) return 'expired';
  if (lock.mode === 'governance') return 'governance';
  return lock.coolOffHours !== undefined && now < lock.createdOn + lock.coolOffHours * HOUR ? 'compliance-cooloff' : 'compliance';
}

export const lockExpiresOn = (lock: SnapshotLock): number | undefined => (lock.durationStart !== undefined ? lock.durationStart + lock.durationDays * DAY : undefined);

export interface LockRequest {
  LockMode?: string;
  LockDuration?: number;
  ExpirationDate?: number;
  CoolOffPeriod?: number;
}

/**
 * LockSnapshot, as its API reference states it
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html,
 * https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-concepts.html):
 * - LockMode governance | compliance; a duration (LockDuration 1-36,500 days) or an ExpirationDate,
 *   not both; CoolOffPeriod 1-72 hours, compliance only ("If you are locking the snapshot in
 *   governance mode, omit this parameter").
 * - "You can lock a snapshot that is in the pending or completed state"
 *   (https://docs.aws.amazon.com/ebs/latest/userguide/lock-snapshot.html): a pending snapshot's
 *   duration starts when it completes.
 * - An existing lock: "If the snapshot is locked in governance mode, you can modify the lock mode and
 *   the lock duration or lock expiration date. If the snapshot is locked in compliance mode and it is
 *   in the cooling-off period, you can modify the lock mode and the lock duration or lock expiration
 *   date. If the snapshot is locked in compliance mode and the cooling-off period has lapsed, you can
 *   only increase the lock duration or extend the lock expiration date", and then "omit
 *   [CoolOffPeriod]. If you specify a cooling-period in such a request, the request fails." The code of
 *   that refusal is not documented: the stand-in answers IncorrectState (the documented common code
 *   for a resource in a state that refuses the request:
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 */
export function applyLock(existing: SnapshotLock | undefined, request: LockRequest, snapshot: { state: string; completedAt?: number }, now: number): { lock: SnapshotLock } | { error: RuleError } {
  const error = (code: string, message: string) => ({ error: { code, message } });
  if (request.LockMode !== 'governance' && request.LockMode !== 'compliance') return error('InvalidParameterValue', `LockMode ${String(request.LockMode)} is not governance or compliance`);
  if ((request.LockDuration === undefined) === (request.ExpirationDate === undefined)) return error('InvalidParameterCombination', 'Specify either LockDuration or ExpirationDate');
  if (request.LockDuration !== undefined && (!Number.isInteger(request.LockDuration) || request.LockDuration < 1 || request.LockDuration > 36_500)) {
    return error('InvalidParameterValue', `LockDuration ${request.LockDuration} is not 1-36500 days`);
  }
  if (request.CoolOffPeriod !== undefined) {
    if (request.LockMode !== 'compliance') return error('InvalidParameterCombination', 'CoolOffPeriod is allowed in compliance mode only');
    if (!Number.isInteger(request.CoolOffPeriod) || request.CoolOffPeriod < 1 || request.CoolOffPeriod > 72) return error('InvalidParameterValue', `CoolOffPeriod ${request.CoolOffPeriod} is not 1-72 hours`);
  }
  if (snapshot.state !== 'pending' && snapshot.state !== 'completed') return error('IncorrectState', `Snapshot in state ${snapshot.state} cannot be locked`);
  const start = snapshot.state === 'completed' ? (existing && existing.durationStart !== undefined && lockState(existing, now) !== 'expired' ? existing.durationStart : now) : undefined;
  const days = request.LockDuration ?? Math.ceil((request.ExpirationDate! - (start ?? now)) / DAY);
  const state = existing ? lockState(existing, now) : 'expired';
  if (state === 'compliance') {
    if (request.LockMode !== 'compliance') return error('IncorrectState', 'The lock mode of a snapshot locked in compliance mode after its cooling-off period cannot be changed');
    if (request.CoolOffPeriod !== undefined) return error('IncorrectState', 'A cooling-off period cannot be set on a snapshot locked in compliance mode after its cooling-off period');
    if (days < existing!.durationDays) return error('IncorrectState', 'The lock duration of a snapshot locked in compliance mode after its cooling-off period can only be increased');
    return { lock: { ...existing!, durationDays: days } };
  }
  const keepsCoolOff = state === 'compliance-cooloff' && request.LockMode === 'compliance';
  return {
    lock: {
      mode: request.LockMode,
      durationDays: days,
      createdOn: keepsCoolOff ? existing!.createdOn : now,
      ...(start !== undefined ? { durationStart: start } : {}),
      ...(request.CoolOffPeriod !== undefined ? { coolOffHours: request.CoolOffPeriod } : keepsCoolOff && existing!.coolOffHours !== undefined ? { coolOffHours: existing!.coolOffHours } : {}),
    },
  };
}

/** A pending snapshot's lock starts its duration when the snapshot completes. */
export function startOnCompletion(lock: SnapshotLock | undefined, completedAt: number): SnapshotLock | undefined {
  return lock && lock.durationStart === undefined ? { ...lock, durationStart: completedAt } : lock;
}

/**
 * The error code of DeleteSnapshot of a locked snapshot, as both stand-ins answer it (ec2-standin's
 * lock rules and its LOCKED_SNAPSHOT_FAULT, ec2-model). AWS documents none: neither DeleteSnapshot's
 * page nor the errors overview names one for this case
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). The stand-ins answer
 * IncorrectState, the documented common client error for a resource in a state that refuses the
 * request, with status 400. Nothing in the handler depends on the code: the vault steps never delete
 * a vault copy, and the sweep counts any refusal but NotFound and InvalidSnapshot.InUse as `failed`.
 */
export const LOCKED_SNAPSHOT_DELETE_CODE = 'IncorrectState';

/**
 * DeleteSnapshot of a locked snapshot: "While a snapshot is locked, it can't be deleted by any user,
 * regardless of their IAM permissions" (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-snapshot-lock.html);
 * an `expired` lock no longer protects it. The code: LOCKED_SNAPSHOT_DELETE_CODE (not documented).
 */
export function deleteRefusal(lock: SnapshotLock | undefined, now: number): RuleError | undefined {
  if (!lock) return undefined;
  const state = lockState(lock, now);
  return state === 'expired' ? undefined : { code: LOCKED_SNAPSHOT_DELETE_CODE, message: `The snapshot is locked (${state}) and cannot be deleted until its lock expires` };
}
