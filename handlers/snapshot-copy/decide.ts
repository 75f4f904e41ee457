/**
 * Pure decisions of the copy path: no I/O, no clock (callers pass `now`). The adapters (start.ts,
 * steps.ts, sweep.ts) feed in what EC2 / Step Functions answered and act on the result.
 */
import type { CopySnapshotCommandInput, DescribeSnapshotsCommandInput, LockedSnapshotsInfo, LockSnapshotCommandInput, Snapshot, Tag } from '@aws-sdk/client-ec2';
import { isRegionName, type CopyTagFilter } from './config';
import { ConfigurationError, STEP_ERRORS, StepError } from './errors';

export const PROVENANCE_TAGS = {
  sourceSnapshotId: 'ebs-event-hub:source-snapshot-id',
  sourceRegion: 'ebs-event-hub:source-region',
  sourceAccount: 'ebs-event-hub:source-account',
} as const;
/** With retention: when the copy may be deleted by the sweep (ISO-8601 UTC date-time). */
export const EXPIRES_AT_TAG = 'ebs-event-hub:expires-at';
/** A vault copy: the member-side copy it was made from (in the member account, same region). */
export const MEMBER_COPY_TAG = 'ebs-event-hub:member-copy-id';

/** EC2 allows at most 50 tags per resource. */
export const MAX_TAGS_PER_RESOURCE = 50;

/** The give-up bound of each waiting phase (admission; the copy itself). Equal to copy-workflow.ts MAX_WAIT_SECONDS (tested). */
export const MAX_WAIT_SECONDS = 7 * 24 * 3600;
/** A copy ending in `error` is made again at most this often. Equal to copy-workflow.ts MAX_RECOPIES (tested). */
export const MAX_RECOPIES = 2;
/**
 * A copy id CopySnapshot returned may be invisible to DescribeSnapshots for a while (eventual
 * consistency): NotFound within this time after the copy started means "not visible yet".
 * https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
 */
export const COPY_VISIBILITY_GRACE_SECONDS = 15 * 60;

/** Who the function is: from context.invokedFunctionArn. */
export interface FunctionIdentity {
  account: string;
  partition: string;
}

const FUNCTION_ARN = /^arn:(aws[a-z-]*):lambda:[a-z0-9-]+:(\d{12}):function:[^:]+(?::[^:]+)?$/;

/** The function's own account and partition, from context.invokedFunctionArn. */
export function identityFromArn(arn: unknown): FunctionIdentity {
  const match = typeof arn === 'string' ? FUNCTION_ARN.exec(arn) : null;
  if (!match) {
    throw new ConfigurationError(`context.invokedFunctionArn ${JSON.stringify(arn)} is not a Lambda function ARN: cannot tell the function's own account`);
  }
  return { partition: match[1]!, account: match[2]! };
}

/** The execution's input: exactly these four keys, in this order. */
export interface CopyInput {
  account: string;
  sourceRegion: string;
  snapshotId: string;
  destinationRegion: string;
}

export function destinationFor(sourceRegion: string, config: { destinationRegion: string; regionMap: Readonly<Record<string, string>> }): string {
  return config.regionMap[sourceRegion] ?? config.destinationRegion;
}

/** The canonical input: two deliveries about one snapshot produce byte-identical JSON. */
export function canonicalInput(job: { account: string; sourceRegion: string; snapshotId: string }, destinationRegion: string): CopyInput {
  return { account: job.account, sourceRegion: job.sourceRegion, snapshotId: job.snapshotId, destinationRegion };
}

/**
 * `<account>-<sourceRegion>-<snapshotId>-<destinationRegion>`: at most 80 characters of
 * [A-Za-z0-9-_] (StartExecution `name`). https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
export function executionName(input: CopyInput): string {
  const name = `${input.account}-${input.sourceRegion}-${input.snapshotId}-${input.destinationRegion}`;
  if (name.length > 80 || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new StepError(STEP_ERRORS.invalidInput, `execution name "${name}" is not at most 80 characters of [A-Za-z0-9-_]`);
  }
  return name;
}

const SNAPSHOT_ID = /^snap-[0-9a-f]{8,17}$/;

/** Validates the copy input inside the data a step receives. Throws InvalidCopyInput naming the field. */
export function parseCopyInput(data: unknown): CopyInput {
  if (typeof data !== 'object' || data === null) throw new StepError(STEP_ERRORS.invalidInput, `step data is not an object: ${JSON.stringify(data)}`);
  const d = data as Record<string, unknown>;
  const check = (field: keyof CopyInput, ok: (v: string) => boolean, expected: string): string => {
    const v = d[field];
    if (typeof v !== 'string' || !ok(v)) throw new StepError(STEP_ERRORS.invalidInput, `input ${field} ${JSON.stringify(v)} is not ${expected}`);
    return v;
  };
  return {
    account: check('account', (v) => /^\d{12}$/.test(v), 'a 12-digit account id'),
    sourceRegion: check('sourceRegion', isRegionName, 'a region name'),
    snapshotId: check('snapshotId', (v) => SNAPSHOT_ID.test(v), 'a snap- id'),
    destinationRegion: check('destinationRegion', isRegionName, 'a region name'),
  };
}

/** RoleSessionName: [\w+=,.@-], 2 to 64 characters. */
export function roleSessionName(snapshotId: string): string {
  return `snapshot-copy-${snapshotId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/** The member role to assume for `account`, or undefined for the function's own account (its own credentials). */
export function roleArnFor(account: string, self: FunctionIdentity, memberRoleName: string): string | undefined {
  return account === self.account ? undefined : `arn:${self.partition}:iam::${account}:role/${memberRoleName}`;
}

export function matchesCopyTag(tags: readonly Tag[] | undefined, filter: CopyTagFilter | undefined): boolean {
  if (filter === undefined) return true;
  return (tags ?? []).some((t) => t.Key === filter.key && (filter.value === undefined || t.Value === filter.value));
}

export interface CopyTags {
  tags: Tag[];
  /** User tag keys left off because of the 50-tag limit. */
  dropped: string[];
}

/** `now + days`, ISO-8601 UTC, second precision. */
export function expiresAt(now: Date, retentionDays: number): string {
  return new Date(now.getTime() + retentionDays * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The copy's tags: provenance first (they always fit and always win; with retention the expiry
 * too), then the source's user tags in their order, without reserved `aws:` keys (EC2 rejects them)
 * or stale provenance keys, up to 50.
 */
export function buildCopyTags(
  sourceTags: readonly Tag[] | undefined,
  input: Pick<CopyInput, 'snapshotId' | 'sourceRegion' | 'account'>,
  expiry?: string,
  /** A vault copy: the member-side copy it was made from (MEMBER_COPY_TAG). */
  memberCopyId?: string,
): CopyTags {
  const provenance: Tag[] = [
    { Key: PROVENANCE_TAGS.sourceSnapshotId, Value: input.snapshotId },
    { Key: PROVENANCE_TAGS.sourceRegion, Value: input.sourceRegion },
    { Key: PROVENANCE_TAGS.sourceAccount, Value: input.account },
    ...(memberCopyId !== undefined ? [{ Key: MEMBER_COPY_TAG, Value: memberCopyId }] : []),
    ...(expiry !== undefined ? [{ Key: EXPIRES_AT_TAG, Value: expiry }] : []),
  ];
  const reserved = new Set<string>([...Object.values(PROVENANCE_TAGS), EXPIRES_AT_TAG, MEMBER_COPY_TAG]);
  const user = (sourceTags ?? []).filter(
    (t): t is Tag & { Key: string } => typeof t.Key === 'string' && t.Key !== '' && !t.Key.toLowerCase().startsWith('aws:') && !reserved.has(t.Key),
  );
  const room = MAX_TAGS_PER_RESOURCE - provenance.length;
  const kept = user.slice(0, room).map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
  return { tags: [...provenance, ...kept], dropped: user.slice(room).map((t) => t.Key) };
}

/** Why the inspect step ends an execution without copying (log key `decision`). */
export type SourceSkip =
  | 'skipped-source-gone'
  | 'skipped-not-owned'
  | 'skipped-source-error'
  | 'skipped-archive-tier'
  | 'skipped-outpost'
  | 'skipped-local-zone'
  | 'skipped-untagged';

export type SourceDecision =
  | { kind: 'skip'; decision: SourceSkip; reason: string }
  | { kind: 'not-ready'; state: string }
  /** Encrypted under a customer managed key of another account: the member role cannot use it. */
  | { kind: 'key-not-accessible'; keyArn: string; keyAccount: string }
  | { kind: 'copy'; userTags: Tag[] };

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):key\/.+$/;

/** The account a KMS key ARN names, or undefined for anything that is not a key ARN. */
export function kmsKeyAccount(keyId: string | undefined): string | undefined {
  return keyId === undefined ? undefined : KMS_KEY_ARN.exec(keyId)?.[1];
}

/**
 * Decision on the source as DescribeSnapshots (SnapshotIds, OwnerIds self) described it; `undefined`
 * = InvalidSnapshot.NotFound or not returned. Not copyable to another region (EC2 User Guide, "Copy
 * an Amazon EBS snapshot"; CopySnapshot): snapshots in the archive tier (restore first), snapshots on
 * an Outpost, and local snapshots in a Local Zone, which "can be copied within that Local Zone, to
 * another Local Zone in the same zone group, or to the parent Region of the Local Zone" only (the
 * destination is never the source region: the starter skips same-region copies). DescribeSnapshots
 * reports a local snapshot's zone in `AvailabilityZone` ("The Availability Zone or Local Zone of the
 * snapshot", e.g. `us-west-2-lax-1a`); a regional snapshot has none.
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html
 * https://docs.aws.amazon.com/ebs/latest/userguide/snapshots-localzones.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html (AvailabilityZone, KmsKeyId)
 * https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-archive.html (StorageTier `archive`)
 *
 * A snapshot encrypted under another account's customer managed key (its `KmsKeyId`, "the Amazon
 * Resource Name (ARN) of the KMS key", names another account) cannot be copied under the member role,
 * whose KMS permissions cover its own account's keys only: it ends the execution with a named error
 * (SourceKeyNotAccessible) rather than three copies that EC2 fails later.
 */
export function decideOnSource(
  input: CopyInput,
  snapshot: Pick<Snapshot, 'State' | 'Tags' | 'OwnerId' | 'StorageTier' | 'OutpostArn' | 'AvailabilityZone' | 'Encrypted' | 'KmsKeyId'> | undefined,
  copyTag: CopyTagFilter | undefined,
): SourceDecision {
  if (snapshot === undefined) {
    return { kind: 'skip', decision: 'skipped-source-gone', reason: `source snapshot ${input.snapshotId} is not among account ${input.account}'s snapshots in ${input.sourceRegion} (deleted?)` };
  }
  if (snapshot.OwnerId !== undefined && snapshot.OwnerId !== input.account) {
    return { kind: 'skip', decision: 'skipped-not-owned', reason: `source snapshot is owned by ${snapshot.OwnerId}, not by the event's account ${input.account}` };
  }
  const state = snapshot.State ?? 'unknown';
  if (state === 'error') return { kind: 'skip', decision: 'skipped-source-error', reason: 'source snapshot is in state "error"' };
  if (snapshot.StorageTier === 'archive') return { kind: 'skip', decision: 'skipped-archive-tier', reason: 'source snapshot is in the archive tier (restore it to copy it)' };
  if (snapshot.OutpostArn) return { kind: 'skip', decision: 'skipped-outpost', reason: `source snapshot is on Outpost ${snapshot.OutpostArn}` };
  if (snapshot.AvailabilityZone) {
    return {
      kind: 'skip',
      decision: 'skipped-local-zone',
      reason:
        `source snapshot is a local snapshot stored in zone ${snapshot.AvailabilityZone}: it can be copied only within that zone, ` +
        `to another Local Zone of its zone group, or to its parent region ${input.sourceRegion}, never to ${input.destinationRegion}`,
    };
  }
  if (!matchesCopyTag(snapshot.Tags, copyTag)) {
    const want = copyTag!.value === undefined ? copyTag!.key : `${copyTag!.key}=${copyTag!.value}`;
    return { kind: 'skip', decision: 'skipped-untagged', reason: `source snapshot has no tag ${want} (COPY_TAG)` };
  }
  const keyAccount = snapshot.Encrypted === false ? undefined : kmsKeyAccount(snapshot.KmsKeyId);
  if (keyAccount !== undefined && keyAccount !== input.account) return { kind: 'key-not-accessible', keyArn: snapshot.KmsKeyId!, keyAccount };
  if (state !== 'completed') return { kind: 'not-ready', state };
  return { kind: 'copy', userTags: [...(snapshot.Tags ?? [])] };
}

/**
 * The cause of SourceKeyNotAccessible: the snapshot, the key, why, and what to do. Re-encrypting the
 * snapshot under one of the account's own keys is an in-region CopySnapshot with `KmsKeyId`
 * (changing the key of a copy is allowed; the copy is then a full copy).
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html
 */
export function sourceKeyNotAccessibleMessage(input: CopyInput, keyArn: string, keyAccount: string, memberRoleName: string): string {
  return (
    `source snapshot ${input.snapshotId} of account ${input.account} in ${input.sourceRegion} is encrypted under KMS key ${keyArn} of account ${keyAccount}; ` +
    `the copy role ${memberRoleName} may use only account ${input.account}'s own keys, so EC2 cannot read the snapshot for a copy. ` +
    `Re-encrypt it under a key of account ${input.account} (aws ec2 copy-snapshot --region ${input.sourceRegion} --source-region ${input.sourceRegion} ` +
    `--source-snapshot-id ${input.snapshotId} --encrypted --kms-key-id <a key of ${input.account}>) and copy that snapshot, ` +
    'or keep such snapshots out of the copy (snapshotCopy.copyTag)'
  );
}

/**
 * DescribeSnapshots input that finds earlier copies of a snapshot in the destination region.
 * Filters `tag:<key>`, `tag-key` and `status` (pending | completed | error), and `OwnerIds: self`
 * (recommended over the `owner-id` filter), as the API reference lists them:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
 */
export function existingCopiesQuery(snapshotId: string): DescribeSnapshotsCommandInput {
  return { OwnerIds: ['self'], Filters: [{ Name: `tag:${PROVENANCE_TAGS.sourceSnapshotId}`, Values: [snapshotId] }] };
}

/** A copy that counts: any state but `error` (a failed copy is made again). Prefers a completed one. */
export function findExistingCopy(snapshots: readonly Pick<Snapshot, 'SnapshotId' | 'State'>[] | undefined): { snapshotId: string; state: string } | undefined {
  const usable = (snapshots ?? []).filter((s) => s.State !== 'error' && typeof s.SnapshotId === 'string');
  const found = usable.find((s) => s.State === 'completed') ?? usable[0];
  return found ? { snapshotId: found.SnapshotId!, state: found.State ?? 'unknown' } : undefined;
}

/** DescribeSnapshots input counting this app's copies in flight in a region: tagged with provenance, `pending`. */
export function pendingCopiesQuery(): DescribeSnapshotsCommandInput {
  return {
    OwnerIds: ['self'],
    Filters: [
      { Name: 'tag-key', Values: [PROVENANCE_TAGS.sourceSnapshotId] },
      { Name: 'status', Values: ['pending'] },
    ],
  };
}

/**
 * The wait before checking for a copy slot again, after `waits` waits (and after EC2 refused a copy:
 * its 20-copy quota, shared with DLM and AWS Backup, or throttling). base = min(capSeconds,
 * firstSeconds × 2^waits); the wait is base/2 + random × base/2 ("equal jitter": half fixed, half
 * random), so hundreds of waiting executions spread out yet each wait has a floor; whole seconds (a
 * Wait state's SecondsPath takes a non-negative integer). The count lives in the state data, so the
 * backoff carries on across every re-entry of Admit. Equal to copy-workflow.ts ADMISSION_WAIT (tested).
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
 */
export const ADMISSION_WAIT = { firstSeconds: 400, capSeconds: 7200 } as const;

export function admissionWaitSeconds(waits: number, random: number): number {
  const n = Number.isInteger(waits) && waits > 0 ? waits : 0;
  const base = Math.min(ADMISSION_WAIT.capSeconds, ADMISSION_WAIT.firstSeconds * 2 ** Math.min(n, 30));
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0.5;
  return Math.ceil(base / 2 + (r * base) / 2);
}

/**
 * The wait before trying Inspect, Find or ConfirmCopy again after EC2 (or STS) stayed unavailable
 * through the SDK's retries (throttling, 5xx, timeouts), after `outages` such waits. Equal jitter over
 * a base of 1, 2, 4, 8 minutes, then 10 minutes for the next 12 waits (about 1.5 hours: a burst's
 * throttling or a storm of another client ends, and the execution notices within minutes), then
 * doubling to 4 hours (a long outage costs few states; the floor bounds the count of waits in a week).
 * Equal to copy-workflow.ts OUTAGE_WAIT (tested).
 */
export const OUTAGE_WAIT = { firstSeconds: 60, plateauSeconds: 600, plateauWaits: 16, capSeconds: 14_400 } as const;

export function outageWaitBase(n: number): number {
  const k = Number.isInteger(n) && n > 0 ? Math.min(n, 60) : 0;
  return k < OUTAGE_WAIT.plateauWaits
    ? Math.min(OUTAGE_WAIT.plateauSeconds, OUTAGE_WAIT.firstSeconds * 2 ** k)
    : Math.min(OUTAGE_WAIT.capSeconds, OUTAGE_WAIT.plateauSeconds * 2 ** (k - OUTAGE_WAIT.plateauWaits + 1));
}

export function outageWaitSeconds(outages: number, random: number): number {
  const base = outageWaitBase(outages);
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0.5;
  return Math.ceil(base / 2 + (r * base) / 2);
}

/**
 * A pending copy younger than this is polled every 6 minutes (CopyPending); older, it is polled
 * less and less often (CopyStillPending). Equal to copy-workflow.ts POLL_FAST_SECONDS (tested).
 */
export const POLL_FAST_SECONDS = 9_000;

/** Admission: a free slot while fewer than `max` of this app's copies are pending. */
export function hasFreeSlot(pendingCopies: number, maxInFlightCopies: number): boolean {
  return pendingCopies < maxInFlightCopies;
}

/** True once `seconds` have passed since `sinceIso` (an unparseable start counts as now: never already late). */
export function waitedLongerThan(sinceIso: string | undefined, now: Date, seconds: number): boolean {
  const since = sinceIso === undefined ? Number.NaN : Date.parse(sinceIso);
  return Number.isFinite(since) && now.getTime() - since >= seconds * 1000;
}

export function copyDescription(input: CopyInput): string {
  return `Copy of ${input.snapshotId} from ${input.sourceRegion} (account ${input.account}) by ebs-event-hub snapshot-copy`;
}

export function copyRequest(input: CopyInput, tags: readonly Tag[], kmsKeyId: string | undefined): CopySnapshotCommandInput {
  return {
    SourceRegion: input.sourceRegion,
    SourceSnapshotId: input.snapshotId,
    Description: copyDescription(input),
    TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...tags] }],
    ...(kmsKeyId !== undefined ? { Encrypted: true, KmsKeyId: kmsKeyId } : {}),
  };
}

/** A vault copy's Description (ConfirmCopy of the vault adopts a copy only with exactly this one). */
export function vaultCopyDescription(input: CopyInput): string {
  return `Vault copy of ${input.snapshotId} from ${input.sourceRegion} (account ${input.account}) by ebs-event-hub snapshot-copy`;
}

/**
 * CopySnapshot into the vault, sent to the vault account (the vault role) in the member copy's
 * region: the source is the member-side copy, shared with the vault (`SourceRegion` = its region,
 * the destination region of the DR copy), encrypted under the vault's key; tagged on creation
 * (provenance of the ORIGINAL snapshot, the member copy id, the vault expiry: the vault role may
 * create only copies that carry `ebs-event-hub:source-snapshot-id`). CopySnapshot has no ClientToken:
 * like the member-side copy, it is sent once and an ambiguous answer is confirmed before any new copy.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html
 */
export function vaultCopyRequest(input: CopyInput, memberCopyId: string, tags: readonly Tag[], vaultKmsKeyId: string): CopySnapshotCommandInput {
  return {
    SourceRegion: input.destinationRegion,
    SourceSnapshotId: memberCopyId,
    Description: vaultCopyDescription(input),
    TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...tags] }],
    Encrypted: true,
    KmsKeyId: vaultKmsKeyId,
  };
}

/** The lock vault copies get (VAULT_LOCK_*). */
export interface WantedLock {
  mode: 'compliance' | 'governance';
  days: number;
  coolOffHours?: number;
}

/** What VaultLock does with a vault copy, as DescribeLockedSnapshots shows it (`undefined`: not locked). */
export type LockDecision = { kind: 'keep'; reason: string } | { kind: 'lock'; request: Omit<LockSnapshotCommandInput, 'SnapshotId'>; reason: string };

const DAY_MS = 86_400_000;
const LOCKED_STATES = new Set(['governance', 'compliance-cooloff', 'compliance']);

/** A lock's duration in days: LockDuration, else (a lock set until a date) its expiry less its start. */
export function lockDays(lock: Pick<LockedSnapshotsInfo, 'LockDuration' | 'LockExpiresOn' | 'LockDurationStartTime' | 'LockCreatedOn'>): number | undefined {
  if (typeof lock.LockDuration === 'number') return lock.LockDuration;
  const start = lock.LockDurationStartTime ?? lock.LockCreatedOn;
  return lock.LockExpiresOn instanceof Date && start instanceof Date ? Math.floor((lock.LockExpiresOn.getTime() - start.getTime()) / DAY_MS) : undefined;
}

/**
 * Re-entry and redelivery make VaultLock meet a copy it (or someone) locked already. Lock states
 * (LockedSnapshotsInfo.LockState): `governance` and `compliance-cooloff` may be changed by anyone with
 * the rights, `compliance` (cooling-off over) only lengthened, `expired` is no lock.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockedSnapshotsInfo.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html
 * - A lock of the same or a stronger mode (compliance ≥ governance) for the same or a longer duration
 *   is kept: success, nothing sent (a redelivered VaultLock, or a lock someone made longer).
 * - Otherwise LockSnapshot with `LockDuration` (never `ExpirationDate`: the vault role may lock only
 *   for at most `lock.days`, `ec2:SnapshotLockDuration`) in the stronger of the two modes. A
 *   cooling-off period only on a new compliance lock: when extending a compliance lock whose
 *   cooling-off has lapsed "omit this parameter. If you specify a cooling-period in such a request,
 *   the request fails", and a lock still cooling off keeps its own period.
 */
export function decideOnLock(existing: LockedSnapshotsInfo | undefined, wanted: WantedLock): LockDecision {
  const state = existing?.LockState;
  if (existing === undefined || state === undefined || !LOCKED_STATES.has(state)) {
    return {
      kind: 'lock',
      reason: state === 'expired' ? 'its earlier lock expired' : 'not locked',
      request: { LockMode: wanted.mode, LockDuration: wanted.days, ...(wanted.mode === 'compliance' && wanted.coolOffHours !== undefined ? { CoolOffPeriod: wanted.coolOffHours } : {}) },
    };
  }
  const mode = state === 'governance' ? 'governance' : 'compliance';
  const days = lockDays(existing);
  const strongEnough = mode === 'compliance' || wanted.mode === 'governance';
  if (strongEnough && days !== undefined && days >= wanted.days) return { kind: 'keep', reason: `already locked (${state}, ${days} days)` };
  const lockMode = mode === 'compliance' ? 'compliance' : wanted.mode;
  return {
    kind: 'lock',
    reason: `locked ${state} for ${days ?? 'an unknown number of'} days; the vault wants ${wanted.mode} for ${wanted.days}`,
    request: { LockMode: lockMode, LockDuration: wanted.days, ...(lockMode === 'compliance' && mode === 'governance' && wanted.coolOffHours !== undefined ? { CoolOffPeriod: wanted.coolOffHours } : {}) },
  };
}

export type Ec2ErrorClass = 'not-found' | 'denied' | 'quota' | 'throttled' | 'unavailable' | 'refused' | 'ambiguous';

/**
 * Refusals of the caller: EC2's UnauthorizedOperation, AuthFailure and Blocked (errors-overview,
 * "Common client error codes"); STS's AccessDenied (403: the member or vault role does not trust
 * the function's role, "not authorized to perform sts:AssumeRole"), AccessDeniedException and
 * InvalidClientTokenId (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
 */
const DENIED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException', 'AuthFailure', 'InvalidClientTokenId', 'Blocked']);
/**
 * InvalidSnapshot.NotFound: "The specified snapshot does not exist" (errors-overview).
 * InvalidSnapshotID.NotFound is not in today's list (an older spelling): kept, as "gone" is the only
 * meaning it can have.
 */
const NOT_FOUND = new Set(['InvalidSnapshot.NotFound', 'InvalidSnapshotID.NotFound']);

/**
 * What an EC2 (or STS) error means for the workflow. EC2 answers a request it refused with an error
 * code and a 4xx status (RequestLimitExceeded: 503), so a code with a 4xx status proves nothing was
 * done; a 5xx, a reset connection or a timeout does not: EC2 may have made the copy.
 * ResourceLimitExceeded (400): "You have exceeded an Amazon EC2 resource limit", for CopySnapshot
 * the 20 concurrent copies per destination region; RequestLimitExceeded (503, among the server error
 * codes) and STS's Throttling / ThrottlingException: a throttled request, not carried out.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
 */
export function classifyEc2Error(error: unknown): Ec2ErrorClass {
  const e = (error ?? {}) as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (NOT_FOUND.has(name)) return 'not-found';
  if (DENIED.has(name)) return 'denied';
  if (name === 'ResourceLimitExceeded') return 'quota';
  if (name === 'RequestLimitExceeded' || name === 'Throttling' || name === 'ThrottlingException') return 'throttled';
  if (typeof status === 'number' && status >= 400 && status < 500) return 'refused';
  return status !== undefined && status >= 500 ? 'unavailable' : 'ambiguous';
}

/** What the poll step does with the copy as the destination describes it (`undefined`: not found). */
export type PollDecision =
  | { kind: 'pending' }
  | { kind: 'copied' }
  | { kind: 'recopy'; reason: string }
  | { kind: 'failed'; reason: string };

export function decideOnCopy(
  copy: Pick<Snapshot, 'State' | 'StateMessage'> | undefined,
  context: { recopies: number; copyStartedAt: string | undefined; now: Date },
): PollDecision {
  if (copy === undefined) {
    if (!waitedLongerThan(context.copyStartedAt, context.now, COPY_VISIBILITY_GRACE_SECONDS)) return { kind: 'pending' };
    const reason = 'the copy no longer exists (deleted?)';
    return context.recopies < MAX_RECOPIES ? { kind: 'recopy', reason } : { kind: 'failed', reason };
  }
  if (copy.State === 'completed') return { kind: 'copied' };
  if (copy.State === 'error') {
    const reason = `the copy ended in state "error": ${copy.StateMessage ?? '(no StateMessage)'}`;
    return context.recopies < MAX_RECOPIES ? { kind: 'recopy', reason } : { kind: 'failed', reason };
  }
  return { kind: 'pending' };
}

/**
 * What the sweep does with a copy the ledger records as expired, as the destination describes it
 * (`undefined`: no longer there). The ledger decides what is ours and when it expires; the copy's
 * tags can only keep it longer: its `expires-at` tag must have passed too (someone may have moved it
 * later), and its provenance tag must still name the source the ledger recorded. Both are what the
 * member role's IAM condition on ec2:DeleteSnapshot requires (defence in depth), so a copy whose tags
 * were changed is kept, not refused by IAM every day.
 */
export type SweepDecision =
  | { kind: 'delete' }
  | { kind: 'forget' }
  | { kind: 'keep'; reason: 'not-expired' | 'tags-changed' | 'bad-expiry' };

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

export function decideSweep(snapshot: Pick<Snapshot, 'Tags'> | undefined, recorded: { sourceSnapshotId: string }, now: Date): SweepDecision {
  if (snapshot === undefined) return { kind: 'forget' };
  const tags = snapshot.Tags ?? [];
  if (!tags.some((t) => t.Key === PROVENANCE_TAGS.sourceSnapshotId && t.Value === recorded.sourceSnapshotId)) return { kind: 'keep', reason: 'tags-changed' };
  const expiry = tags.find((t) => t.Key === EXPIRES_AT_TAG)?.Value;
  const at = expiry !== undefined && ISO_UTC.test(expiry) ? Date.parse(expiry) : Number.NaN;
  if (!Number.isFinite(at)) return { kind: 'keep', reason: 'bad-expiry' };
  return at <= now.getTime() ? { kind: 'delete' } : { kind: 'keep', reason: 'not-expired' };
}

/**
 * A hint for the final CopyFailed when EC2's StateMessage names KMS. The messages are not
 * documented ("error state details to help you diagnose why the error occurred", e.g. "if the proper
 * KMS permissions are not obtained"), so the copy is still made again MAX_RECOPIES times (a transient
 * KMS throttle passes), and only the final error says what to check.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html (StateMessage)
 */
export function copyFailureHint(stateMessage: string | undefined, keys: { sourceKeyId?: string; destinationKeyId?: string; destinationRegion: string }): string | undefined {
  if (stateMessage === undefined || !/\bkms\b|\bkey\b/i.test(stateMessage)) return undefined;
  const used = [...(keys.sourceKeyId !== undefined ? [`source key ${keys.sourceKeyId}`] : []), `destination key ${keys.destinationKeyId ?? `(the default EBS key of ${keys.destinationRegion})`}`];
  return `reason: KMS (EC2's state message names a key): the copy role, or a key policy, does not let EC2 use ${used.join(' or ')}`;
}
