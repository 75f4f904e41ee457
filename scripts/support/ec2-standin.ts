/**
 * Loopback stand-in for the EC2 and STS Query APIs, for tests and the handler benchmark.
 *
 * It is NOT handler code: it never ships in the Lambda bundle. It listens on 127.0.0.1 only, speaks
 * just enough of the EC2 Query protocol (DescribeSnapshots, CopySnapshot) and of STS (AssumeRole) for
 * the real AWS SDK v3 stack to run against it, and records every request it sees (action, signing
 * region and service, access key, form parameters) so callers can count and inspect calls.
 *
 * Point the SDK at it with AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_STS = `standin.url`.
 * Faults are scripted per action with `failNext`.
 *
 * Behaviour it reproduces, as the EC2 documentation states it:
 * - At most 20 concurrent snapshot copies per destination region and account: CopySnapshot beyond
 *   that fails with ResourceLimitExceeded (400).
 *   https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html ("up to twenty concurrent
 *   snapshot copy requests to a single destination Region"), and the code in
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 * - Throttling: RequestLimitExceeded with HTTP 503 (`failNext`, or a token bucket with `requestRate`).
 *   https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
 * - A copy is `pending` for `copyDurationMs`, then `completed`, or `error` with a StateMessage
 *   (`failCopiesOf`): EC2 checks the KMS key after CopySnapshot returned, and the copy "can appear to
 *   complete, but eventually fails". https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html
 * - Ambiguous failures after a successful copy (`ambiguousAfterCopy`): the copy is made, then the
 *   answer is a 500 InternalError or a reset connection, which the caller cannot tell from a refusal.
 * - Eventual consistency (`visibilityDelayMs`): a new copy is missing from DescribeSnapshots for a while.
 *   https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
 * - InvalidSnapshot.NotFound for a deleted snapshot (DeleteSnapshot, `deleteSnapshot`).
 * - DeleteSnapshot of one snapshot refused (`refuseDelete`): throttled (RequestLimitExceeded, 503),
 *   or a locked snapshot, which "can't be deleted" (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-snapshot-lock.html).
 *   The EC2 API reference documents no error code for the latter (errors-overview lists none):
 *   LOCKED_SNAPSHOT_FAULT answers the stand-ins' one choice, LOCKED_SNAPSHOT_DELETE_CODE
 *   (./snapshot-rules.ts: IncorrectState, 400), and callers must not depend on its name.
 * - Archive tier (`storageTier: 'archive'`), Outpost (`outpostArn`) and Local Zone
 *   (`availabilityZone`: "The Availability Zone or Local Zone of the snapshot") snapshots are
 *   described as such; `startTime` is "the time stamp when the snapshot was initiated" (a copy's:
 *   when CopySnapshot made it, on the clock `setReportedClock` gives).
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html
 * - DescribeSnapshots filters `snapshot-id`, `status`, `tag:<key>` and `tag-key`; any other filter
 *   name is refused (InvalidParameterValue), never silently ignored.
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
 * - UnauthorizedOperation (403) for every EC2 call of an account in `denyAccounts`.
 * - Vault mode (the rules in ./snapshot-rules.ts, each citing its page): ModifySnapshotAttribute
 *   (`createVolumePermission` add/remove of accounts; idempotent; OperationNotPermitted for a snapshot
 *   under the default EBS key; NotFound for a missing snapshot or another account's); CopySnapshot of
 *   another account's snapshot only when it is shared with the caller (else InvalidSnapshot.NotFound),
 *   the copy ending in `error` when the caller may not use the source's key (`allowKeyUse`);
 *   LockSnapshot (modes, LockDuration or ExpirationDate, cooling-off, a pending snapshot's duration
 *   starting at completion, re-lock rules), DescribeLockedSnapshots, and DeleteSnapshot refused
 *   (LOCKED_SNAPSHOT_DELETE_CODE) while a snapshot is locked.
 * - A request that is never answered (`hangNext`: nothing done; `ambiguousAfterCopy('hang')`: the copy
 *   made, no answer), as a lost connection or an overloaded endpoint leaves it: the caller only learns
 *   of it from its own timeout, and for a request without an idempotency token (CopySnapshot) cannot
 *   tell whether it took effect ("Ensuring idempotency": a retry after a timeout may do it twice
 *   without a client token: https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCKED_SNAPSHOT_DELETE_CODE, applyLock, crossAccountKeyFailure, deleteRefusal, lockExpiresOn, lockState, modifyShare, startOnCompletion, visibleTo, type SnapshotLock } from './snapshot-rules';

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StandinSnapshot {
  snapshotId: string;
  region: string;
  ownerId: string;
  state: 'pending' | 'completed' | 'error' | 'recoverable' | 'recovering';
  tags: Array<{ key: string; value: string }>;
  description?: string;
  volumeId?: string;
  encrypted?: boolean;
  kmsKeyId?: string;
  /** For copies made through the stand-in: where they came from. */
  copiedFrom?: { region: string; snapshotId: string };
  storageTier?: 'standard' | 'archive';
  outpostArn?: string;
  /** A local snapshot's Local Zone (e.g. `us-west-2-lax-1a`); absent for a regional snapshot. */
  availabilityZone?: string;
  /** StartTime (ms). Default: 2025-01-01T00:00:00Z; a copy's is when it was made. */
  startTime?: number;
  /** EC2's StateMessage (copies that end in `error`). */
  stateMessage?: string;
  /** Copies: stand-in clock time the copy was made (ms). */
  createdAt?: number;
  /** Copies: when it leaves `pending`, and for which state. */
  settlesAt?: number;
  settlesTo?: 'completed' | 'error';
  /** Accounts with `createVolumePermission` (ModifySnapshotAttribute). */
  sharedWith?: Set<string>;
  /** EBS snapshot lock (LockSnapshot). */
  lock?: SnapshotLock;
}

export interface StandinRequest {
  service: string;
  action: string;
  /** Signing region from the SigV4 credential scope. */
  region: string;
  accessKeyId: string;
  /** Account the access key belongs to (assumed-role keys map to the role's account). */
  account: string;
  params: Record<string, string>;
}

export interface StandinFault {
  code: string;
  message?: string;
  /** HTTP status; EC2 answers throttling with 503 and client errors with 400. */
  status?: number;
}

export interface Ec2Standin {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly requests: readonly StandinRequest[];
  /** Requests for one action, in arrival order. */
  calls(action: string): StandinRequest[];
  addSnapshot(snapshot: StandinSnapshot): void;
  snapshots(): StandinSnapshot[];
  /** The next `times` requests for `action` fail with `fault`. */
  failNext(action: string, fault: StandinFault, times?: number): void;
  /** Copies of this source end in `error` with `stateMessage` (the next `times` copies; default all). */
  failCopiesOf(sourceSnapshotId: string, stateMessage: string, times?: number): void;
  /** The next `times` CopySnapshot calls make the copy, then answer 500 InternalError ('500'), reset the connection ('reset') or never answer ('hang'). */
  ambiguousAfterCopy(mode: '500' | 'reset' | 'hang', times?: number): void;
  /** The next `times` requests for `action` are read and never answered (nothing is done). */
  hangNext(action: string, times?: number): void;
  /** Ends these pending copies now (as `completed`, or `error` when scripted so). */
  settleNow(snapshotIds: readonly string[]): void;
  /** Deletes a snapshot: afterwards DescribeSnapshots/CopySnapshot answer InvalidSnapshot.NotFound. */
  deleteSnapshot(snapshotId: string): void;
  /** The next `times` DeleteSnapshot calls of this snapshot fail with `fault` (default: every one). */
  refuseDelete(snapshotId: string, fault: StandinFault, times?: number): void;
  /** EC2 calls signed for these accounts fail with UnauthorizedOperation. */
  denyAccounts: Set<string>;
  /** `action` calls signed for `account` fail with UnauthorizedOperation (e.g. a member role without the share right yet); returns what lifts it. */
  denyAction(account: string, action: string): () => void;
  /** Copies made by `account` stay pending this long (ms), instead of `copyDurationMs`. */
  setCopyDuration(account: string, ms: number): void;
  /** Gives `account` createVolumePermission on a snapshot, as its owner's ModifySnapshotAttribute would. */
  share(snapshotId: string, account: string): void;
  /** Locks a snapshot as a LockSnapshot would have (times in ms of the stand-in's clock). */
  setLock(snapshotId: string, lock: SnapshotLock): void;
  /** `user` may use `owner`'s key `keyId` (its key policy admits it): copies of `owner`'s snapshots under that key succeed. */
  allowKeyUse(owner: string, keyId: string, user: string): void;
  /**
   * The clock whose time a new copy reports as StartTime (the caller's, when it compresses time);
   * undefined: the stand-in's own. Cleared by reset().
   */
  setReportedClock(clock: (() => Date) | undefined): void;
  /** Copies pending now in one account and region. */
  pendingCopies(account: string, region: string): number;
  /** The highest number of copies pending at once seen in one account and region. */
  peakPendingCopies(account: string, region: string): number;
  /** Clears requests, snapshots and scripted faults (keeps the server running). */
  reset(): void;
  close(): Promise<void>;
}

export interface StandinOptions {
  /** Account that owns requests signed with keys the stand-in did not issue. */
  defaultAccount: string;
  /** How long a copy stays `pending` (ms of the stand-in clock). Default 0: completed at the first look. */
  copyDurationMs?: number;
  /** A new copy is absent from DescribeSnapshots for this long (ms). Default 0. */
  visibilityDelayMs?: number;
  /** Concurrent copies per destination region and account (EC2: 20). */
  copyQuota?: number;
  /** Token bucket per account and region: requests per second refilled, and the bucket size. Unset: no throttling. */
  requestRate?: { perSecond: number; burst: number };
  /** The stand-in's clock (ms). Default Date.now. */
  now?: () => number;
}

/** EC2's concurrent snapshot copy quota per destination region and account. */
export const EC2_COPY_QUOTA = 20;
/** DeleteSnapshot of a locked snapshot, as the stand-in answers it (the code is not documented: see above). */
export const LOCKED_SNAPSHOT_FAULT: StandinFault = { code: LOCKED_SNAPSHOT_DELETE_CODE, status: 400, message: 'The snapshot is locked and cannot be deleted (stand-in).' };

const escapeXml = (value: string): string =>
  value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/** `Prefix.1`, `Prefix.2`, … in order. */
function listParam(params: Record<string, string>, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; params[`${prefix}.${i}`] !== undefined; i++) out.push(params[`${prefix}.${i}`]!);
  return out;
}

function parseAuthorization(header: string | undefined): { accessKeyId: string; region: string; service: string } {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(header ?? '');
  return match ? { accessKeyId: match[1]!, region: match[2]!, service: match[3]! } : { accessKeyId: '', region: '', service: '' };
}

function snapshotXml(s: StandinSnapshot): string {
  const tags = s.tags.map((t) => `<item><key>${escapeXml(t.key)}</key><value>${escapeXml(t.value)}</value></item>`).join('');
  return (
    '<item>' +
    `<snapshotId>${s.snapshotId}</snapshotId>` +
    `<volumeId>${s.volumeId ?? 'vol-0123456789abcdef0'}</volumeId>` +
    `<status>${s.state}</status>` +
    `<startTime>${new Date(s.startTime ?? Date.parse('2025-01-01T00:00:00Z')).toISOString()}</startTime>` +
    `<progress>${s.state === 'completed' ? '100%' : '0%'}</progress>` +
    `<ownerId>${s.ownerId}</ownerId>` +
    '<volumeSize>8</volumeSize>' +
    `<description>${escapeXml(s.description ?? '')}</description>` +
    `<encrypted>${s.encrypted ? 'true' : 'false'}</encrypted>` +
    (s.kmsKeyId ? `<kmsKeyId>${escapeXml(s.kmsKeyId)}</kmsKeyId>` : '') +
    (tags ? `<tagSet>${tags}</tagSet>` : '') +
    (s.stateMessage ? `<statusMessage>${escapeXml(s.stateMessage)}</statusMessage>` : '') +
    (s.outpostArn ? `<outpostArn>${escapeXml(s.outpostArn)}</outpostArn>` : '') +
    (s.availabilityZone ? `<availabilityZone>${escapeXml(s.availabilityZone)}</availabilityZone>` : '') +
    `<storageTier>${s.storageTier ?? 'standard'}</storageTier>` +
    '</item>'
  );
}

export async function startEc2Standin(options: StandinOptions): Promise<Ec2Standin> {
  const requests: StandinRequest[] = [];
  let snapshots: StandinSnapshot[] = [];
  const faults = new Map<string, Array<StandinFault>>();
  const keyAccounts = new Map<string, string>();
  const clock = options.now ?? Date.now;
  const quota = options.copyQuota ?? EC2_COPY_QUOTA;
  const copyFailures = new Map<string, Array<string>>();
  let ambiguous: Array<'500' | 'reset' | 'hang'> = [];
  const hangs = new Map<string, number>();
  const denyAccounts = new Set<string>();
  const deleteRefusals = new Map<string, StandinFault[]>();
  let reportedClock: (() => Date) | undefined;
  const peaks = new Map<string, number>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  let counter = 0;
  /** Copies leave `pending` when their time has come (evaluated lazily, on every look). */
  const deniedActions = new Set<string>();
  const copyDurations = new Map<string, number>();
  const keyUsers = new Set<string>();
  const settle = (): void => {
    const t = clock();
    for (const s of snapshots) {
      if (s.state === 'pending' && s.settlesAt !== undefined && s.settlesAt <= t) complete(s, s.settlesTo ?? 'completed', s.settlesAt);
    }
  };
  /** A copy leaves `pending`: a lock taken while it was pending starts its duration now. */
  const complete = (s: StandinSnapshot, state: 'completed' | 'error', at: number): void => {
    s.state = state;
    if (state === 'completed') s.lock = startOnCompletion(s.lock, at);
  };
  const pendingIn = (account: string, region: string): number => {
    settle();
    return snapshots.filter((s) => s.copiedFrom && s.ownerId === account && s.region === region && s.state === 'pending').length;
  };
  const visible = (s: StandinSnapshot): boolean => s.createdAt === undefined || clock() - s.createdAt >= (options.visibilityDelayMs ?? 0);
  const throttled = (account: string, region: string): boolean => {
    if (!options.requestRate) return false;
    const key = `${account}|${region}`;
    const t = clock();
    const b = buckets.get(key) ?? { tokens: options.requestRate.burst, at: t };
    b.tokens = Math.min(options.requestRate.burst, b.tokens + ((t - b.at) / 1000) * options.requestRate.perSecond);
    b.at = t;
    buckets.set(key, b);
    if (b.tokens < 1) return true;
    b.tokens -= 1;
    return false;
  };
  const nextId = (): string => (++counter).toString(16).padStart(17, '0');

  const ec2Error = (res: ServerResponse, status: number, code: string, message: string): void => {
    res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>req-${nextId()}</RequestID></Response>`,
    );
  };
  const stsError = (res: ServerResponse, status: number, code: string, message: string): void => {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>req-${nextId()}</RequestId></ErrorResponse>`,
    );
  };
  const ok = (res: ServerResponse, body: string): void => {
    res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  };

  const describeSnapshots = (req: StandinRequest, res: ServerResponse): void => {
    const ids = listParam(req.params, 'SnapshotId');
    const owners = listParam(req.params, 'Owner').map((o) => (o === 'self' ? req.account : o));
    const filters: Array<{ name: string; values: string[] }> = [];
    for (let i = 1; req.params[`Filter.${i}.Name`] !== undefined; i++) {
      filters.push({ name: req.params[`Filter.${i}.Name`]!, values: listParam(req.params, `Filter.${i}.Value`) });
    }
    const unknown = filters.find((f) => !f.name.startsWith('tag:') && !['tag-key', 'status', 'snapshot-id'].includes(f.name));
    if (unknown) {
      ec2Error(res, 400, 'InvalidParameterValue', `The filter '${unknown.name}' is invalid`);
      return;
    }
    settle();
    // Snapshots available to the caller: its own and those shared with it (./snapshot-rules visibleTo).
    const inRegion = snapshots.filter((s) => s.region === req.region && visible(s) && visibleTo(s, req.account));
    for (const id of ids) {
      if (!inRegion.some((s) => s.snapshotId === id)) {
        ec2Error(res, 400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
        return;
      }
    }
    const found = inRegion.filter((s) => {
      if (ids.length > 0 && !ids.includes(s.snapshotId)) return false;
      if (ids.length === 0 && s.ownerId !== req.account) return false; // no public snapshots here
      if (owners.length > 0 && !owners.includes(s.ownerId)) return false;
      return filters.every((f) => {
        if (f.name.startsWith('tag:')) {
          const key = f.name.slice(4);
          return s.tags.some((t) => t.key === key && f.values.includes(t.value));
        }
        if (f.name === 'tag-key') return s.tags.some((t) => f.values.includes(t.key));
        if (f.name === 'status') return f.values.includes(s.state);
        return f.values.includes(s.snapshotId); // snapshot-id
      });
    });
    // Pagination: MaxResults (5-1000) and an opaque NextToken (here: the offset).
    const max = req.params['MaxResults'] !== undefined ? Number(req.params['MaxResults']) : found.length;
    const offset = req.params['NextToken'] !== undefined ? Number(req.params['NextToken']) : 0;
    const page = found.slice(offset, offset + max);
    const next = offset + max < found.length ? `<nextToken>${offset + max}</nextToken>` : '';
    ok(
      res,
      `<DescribeSnapshotsResponse xmlns="${EC2_NS}"><requestId>req-${nextId()}</requestId><snapshotSet>${page.map(snapshotXml).join('')}</snapshotSet>${next}</DescribeSnapshotsResponse>`,
    );
  };

  const copySnapshot = (req: StandinRequest, res: ServerResponse): void => {
    const sourceRegion = req.params['SourceRegion'] ?? '';
    const sourceId = req.params['SourceSnapshotId'] ?? '';
    // Another account's snapshot only when shared with the caller (./snapshot-rules visibleTo).
    const source = snapshots.find((s) => s.region === sourceRegion && s.snapshotId === sourceId && visibleTo(s, req.account));
    if (!source) {
      ec2Error(res, 400, 'InvalidSnapshot.NotFound', `The snapshot '${sourceId}' does not exist.`);
      return;
    }
    const tags: Array<{ key: string; value: string }> = [];
    for (let i = 1; req.params[`TagSpecification.1.Tag.${i}.Key`] !== undefined; i++) {
      tags.push({ key: req.params[`TagSpecification.1.Tag.${i}.Key`]!, value: req.params[`TagSpecification.1.Tag.${i}.Value`] ?? '' });
    }
    // EC2 tag restrictions: the aws: prefix (any case) is reserved; at most 50 tags per resource.
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions
    // (codes: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)
    if (tags.some((t) => t.key.toLowerCase().startsWith('aws:'))) {
      ec2Error(res, 400, 'InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
      return;
    }
    if (tags.length > 50) {
      ec2Error(res, 400, 'TagLimitExceeded', 'The maximum number of tags per resource is 50');
      return;
    }
    if (pendingIn(req.account, req.region) >= quota) {
      ec2Error(res, 400, 'ResourceLimitExceeded', `You have reached the maximum number of concurrent snapshot copies (${quota}) to this Region.`);
      return;
    }
    const failures = copyFailures.get(sourceId);
    const failure = failures?.shift() ?? crossAccountKeyFailure(source, req.account, (owner, keyId, user) => keyUsers.has(`${owner}|${keyId}|${user}`));
    const t = clock();
    const copy: StandinSnapshot = {
      snapshotId: `snap-${nextId()}`,
      createdAt: t,
      startTime: reportedClock ? reportedClock().getTime() : t,
      settlesAt: t + (copyDurations.get(req.account) ?? options.copyDurationMs ?? 0),
      settlesTo: failure !== undefined ? 'error' : 'completed',
      ...(failure !== undefined ? { stateMessage: failure } : {}),
      region: req.region,
      ownerId: req.account,
      state: 'pending',
      tags,
      description: req.params['Description'] ?? '',
      encrypted: req.params['Encrypted'] === 'true' || source.encrypted === true,
      ...(req.params['KmsKeyId'] ? { kmsKeyId: req.params['KmsKeyId'] } : {}),
      copiedFrom: { region: sourceRegion, snapshotId: sourceId },
    };
    snapshots.push(copy);
    const key = `${req.account}|${req.region}`;
    peaks.set(key, Math.max(peaks.get(key) ?? 0, pendingIn(req.account, req.region)));
    const after = ambiguous.shift();
    if (after === 'hang') return; // made, never answered (closeAllConnections ends it)
    if (after === 'reset') {
      res.socket?.destroy();
      return;
    }
    if (after === '500') {
      ec2Error(res, 500, 'InternalError', 'An internal error has occurred.');
      return;
    }
    ok(res, `<CopySnapshotResponse xmlns="${EC2_NS}"><requestId>req-${nextId()}</requestId><snapshotId>${copy.snapshotId}</snapshotId></CopySnapshotResponse>`);
  };

  const deleteSnapshot = (req: StandinRequest, res: ServerResponse): void => {
    const id = req.params['SnapshotId'] ?? '';
    const refusal = deleteRefusals.get(id)?.shift();
    if (refusal) {
      ec2Error(res, refusal.status ?? 400, refusal.code, refusal.message ?? `${refusal.code} (stand-in fault)`);
      return;
    }
    const i = snapshots.findIndex((s) => s.snapshotId === id && s.region === req.region && s.ownerId === req.account);
    if (i === -1) {
      ec2Error(res, 400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
      return;
    }
    settle();
    const locked = deleteRefusal(snapshots[i]!.lock, clock());
    if (locked) {
      ec2Error(res, 400, locked.code, locked.message);
      return;
    }
    snapshots.splice(i, 1);
    ok(res, `<DeleteSnapshotResponse xmlns="${EC2_NS}"><requestId>req-${nextId()}</requestId><return>true</return></DeleteSnapshotResponse>`);
  };

  /** The caller's own snapshot `id` in the request's region, or NotFound answered. */
  const ownSnapshot = (req: StandinRequest, res: ServerResponse, id: string): StandinSnapshot | undefined => {
    settle();
    const found = snapshots.find((s) => s.snapshotId === id && s.region === req.region && s.ownerId === req.account);
    if (!found) ec2Error(res, 400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
    return found;
  };

  const modifySnapshotAttribute = (req: StandinRequest, res: ServerResponse): void => {
    const snapshot = ownSnapshot(req, res, req.params['SnapshotId'] ?? '');
    if (!snapshot) return;
    if (req.params['Attribute'] !== 'createVolumePermission') {
      ec2Error(res, 400, 'InvalidParameterValue', `Attribute ${req.params['Attribute'] ?? ''} is not modelled (createVolumePermission only)`);
      return;
    }
    const explicit = listParam(req.params, 'UserId');
    // Also `CreateVolumePermission.Add|Remove.N.UserId` (the other form of the request).
    const added = [...Array(50).keys()].map((i) => req.params[`CreateVolumePermission.Add.${i + 1}.UserId`]).filter((v): v is string => v !== undefined);
    const removed = [...Array(50).keys()].map((i) => req.params[`CreateVolumePermission.Remove.${i + 1}.UserId`]).filter((v): v is string => v !== undefined);
    const [operation, accounts] = explicit.length > 0 ? [req.params['OperationType'], explicit] : added.length > 0 ? ['add', added] : ['remove', removed];
    const refused = modifyShare(snapshot, operation, accounts);
    if (refused) {
      ec2Error(res, 400, refused.code, refused.message);
      return;
    }
    ok(res, `<ModifySnapshotAttributeResponse xmlns="${EC2_NS}"><requestId>req-${nextId()}</requestId><return>true</return></ModifySnapshotAttributeResponse>`);
  };

  const lockXml = (s: StandinSnapshot): string => {
    const lock = s.lock!;
    const iso = (ms: number | undefined) => (ms !== undefined ? new Date(ms).toISOString() : undefined);
    const fields: Array<[string, string | number | undefined]> = [
      ['ownerId', s.ownerId],
      ['snapshotId', s.snapshotId],
      ['lockState', lockState(lock, clock())],
      ['lockDuration', lock.durationDays],
      ['coolOffPeriod', lock.coolOffHours],
      ['coolOffPeriodExpiresOn', lock.coolOffHours !== undefined ? iso(lock.createdOn + lock.coolOffHours * 3_600_000) : undefined],
      ['lockCreatedOn', iso(lock.createdOn)],
      ['lockDurationStartTime', iso(lock.durationStart)],
      ['lockExpiresOn', iso(lockExpiresOn(lock))],
    ];
    return fields.filter(([, v]) => v !== undefined).map(([k, v]) => `<${k}>${v}</${k}>`).join('');
  };

  const lockSnapshot = (req: StandinRequest, res: ServerResponse): void => {
    const snapshot = ownSnapshot(req, res, req.params['SnapshotId'] ?? '');
    if (!snapshot) return;
    const number = (name: string) => (req.params[name] !== undefined ? Number(req.params[name]) : undefined);
    const result = applyLock(
      snapshot.lock,
      {
        LockMode: req.params['LockMode'],
        LockDuration: number('LockDuration'),
        CoolOffPeriod: number('CoolOffPeriod'),
        ...(req.params['ExpirationDate'] !== undefined ? { ExpirationDate: Date.parse(req.params['ExpirationDate']) } : {}),
      },
      snapshot,
      clock(),
    );
    if ('error' in result) {
      ec2Error(res, 400, result.error.code, result.error.message);
      return;
    }
    snapshot.lock = result.lock;
    ok(res, `<LockSnapshotResponse xmlns="${EC2_NS}"><requestId>req-${nextId()}</requestId>${lockXml(snapshot).replace(/<ownerId>[^<]*<\/ownerId>/, '')}</LockSnapshotResponse>`);
  };

  /** DescribeLockedSnapshots of the caller's snapshots (`SnapshotId.N`): the locked ones (an unlocked snapshot is not listed). */
  const describeLockedSnapshots = (req: StandinRequest, res: ServerResponse): void => {
    settle();
    const ids = listParam(req.params, 'SnapshotId');
    const mine = snapshots.filter((s) => s.region === req.region && s.ownerId === req.account && (ids.length === 0 || ids.includes(s.snapshotId)));
    for (const id of ids) {
      if (!mine.some((s) => s.snapshotId === id)) {
        ec2Error(res, 400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
        return;
      }
    }
    const items = mine.filter((s) => s.lock).map((s) => `<item>${lockXml(s)}</item>`).join('');
    ok(res, `<DescribeLockedSnapshotsResponse xmlns="${EC2_NS}"><requestId>req-${nextId()}</requestId><snapshotSet>${items}</snapshotSet></DescribeLockedSnapshotsResponse>`);
  };

  const assumeRole = (req: StandinRequest, res: ServerResponse): void => {
    const roleArn = req.params['RoleArn'] ?? '';
    const match = /^arn:aws[\w-]*:iam::(\d{12}):role\/(.+)$/.exec(roleArn);
    if (!match) {
      stsError(res, 400, 'ValidationError', `RoleArn ${roleArn} is not a role ARN`);
      return;
    }
    const account = match[1]!;
    const accessKeyId = `ASIA${account}${nextId().slice(-4)}`;
    keyAccounts.set(accessKeyId, account);
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    ok(
      res,
      `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult>` +
        `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>standin-secret-${account}</SecretAccessKey>` +
        `<SessionToken>standin-token-${account}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROASTANDIN:${escapeXml(req.params['RoleSessionName'] ?? '')}</AssumedRoleId>` +
        `<Arn>arn:aws:sts::${account}:assumed-role/${escapeXml(match[2]!)}/${escapeXml(req.params['RoleSessionName'] ?? '')}</Arn></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>req-${nextId()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  };

  const handle = (httpReq: IncomingMessage, res: ServerResponse, body: string): void => {
    const params = Object.fromEntries(new URLSearchParams(body));
    const auth = parseAuthorization(httpReq.headers.authorization);
    const action = params['Action'] ?? '';
    const req: StandinRequest = {
      service: auth.service,
      action,
      region: auth.region,
      accessKeyId: auth.accessKeyId,
      account: keyAccounts.get(auth.accessKeyId) ?? options.defaultAccount,
      params,
    };
    requests.push(req);
    const hanging = hangs.get(action) ?? 0;
    if (hanging > 0) {
      hangs.set(action, hanging - 1);
      return; // never answered
    }
    const isSts = auth.service === 'sts';
    const queued = faults.get(action);
    const fault = queued?.shift();
    if (fault) {
      (isSts ? stsError : ec2Error)(res, fault.status ?? 400, fault.code, fault.message ?? `${fault.code} (stand-in fault)`);
      return;
    }
    if (isSts && action === 'AssumeRole') return assumeRole(req, res);
    if (!isSts && (denyAccounts.has(req.account) || deniedActions.has(`${req.account}|${action}`))) {
      ec2Error(res, 403, 'UnauthorizedOperation', 'You are not authorized to perform this operation.');
      return;
    }
    if (!isSts && throttled(req.account, req.region)) {
      ec2Error(res, 503, 'RequestLimitExceeded', 'Request limit exceeded.');
      return;
    }
    if (!isSts && action === 'DescribeSnapshots') return describeSnapshots(req, res);
    if (!isSts && action === 'CopySnapshot') return copySnapshot(req, res);
    if (!isSts && action === 'DeleteSnapshot') return deleteSnapshot(req, res);
    if (!isSts && action === 'ModifySnapshotAttribute') return modifySnapshotAttribute(req, res);
    if (!isSts && action === 'LockSnapshot') return lockSnapshot(req, res);
    if (!isSts && action === 'DescribeLockedSnapshots') return describeLockedSnapshots(req, res);
    (isSts ? stsError : ec2Error)(res, 400, 'InvalidAction', `The action ${action} is not valid for this web service (stand-in).`);
  };

  const server = createServer((httpReq, res) => {
    const chunks: Buffer[] = [];
    httpReq.on('data', (c: Buffer) => chunks.push(c));
    httpReq.on('end', () => handle(httpReq, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (action) => requests.filter((r) => r.action === action),
    addSnapshot: (s) => {
      snapshots.push({ ...s, tags: [...s.tags], ...(s.sharedWith ? { sharedWith: new Set(s.sharedWith) } : {}) });
    },
    snapshots: () => snapshots.map((s) => ({ ...s, ...(s.sharedWith ? { sharedWith: new Set(s.sharedWith) } : {}) })),
    failNext: (action, fault, times = 1) => {
      const queue = faults.get(action) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(action, queue);
    },
    failCopiesOf: (sourceSnapshotId, stateMessage, times = 1000) => {
      copyFailures.set(sourceSnapshotId, Array.from({ length: times }, () => stateMessage));
    },
    ambiguousAfterCopy: (mode, times = 1) => {
      for (let i = 0; i < times; i++) ambiguous.push(mode);
    },
    hangNext: (action, times = 1) => {
      hangs.set(action, (hangs.get(action) ?? 0) + times);
    },
    settleNow: (ids) => {
      for (const s of snapshots) if (ids.includes(s.snapshotId) && s.state === 'pending') complete(s, s.settlesTo ?? 'completed', clock());
    },
    deleteSnapshot: (snapshotId) => {
      snapshots = snapshots.filter((s) => s.snapshotId !== snapshotId);
    },
    refuseDelete: (snapshotId, fault, times = 1_000_000) => {
      deleteRefusals.set(snapshotId, [...(deleteRefusals.get(snapshotId) ?? []), ...Array.from({ length: times }, () => fault)]);
    },
    denyAccounts,
    denyAction: (account, action) => {
      deniedActions.add(`${account}|${action}`);
      return () => deniedActions.delete(`${account}|${action}`);
    },
    setCopyDuration: (account, ms) => {
      copyDurations.set(account, ms);
    },
    share: (snapshotId, account) => {
      const found = snapshots.find((s) => s.snapshotId === snapshotId);
      if (!found) throw new Error(`stand-in: no snapshot ${snapshotId}`);
      (found.sharedWith ??= new Set()).add(account);
    },
    setLock: (snapshotId, lock) => {
      const found = snapshots.find((s) => s.snapshotId === snapshotId);
      if (!found) throw new Error(`stand-in: no snapshot ${snapshotId}`);
      found.lock = lock;
    },
    allowKeyUse: (owner, keyId, user) => {
      keyUsers.add(`${owner}|${keyId}|${user}`);
    },
    setReportedClock: (clock) => {
      reportedClock = clock;
    },
    pendingCopies: (account, region) => pendingIn(account, region),
    peakPendingCopies: (account, region) => peaks.get(`${account}|${region}`) ?? 0,
    reset: () => {
      requests.length = 0;
      snapshots = [];
      faults.clear();
      copyFailures.clear();
      ambiguous = [];
      hangs.clear();
      denyAccounts.clear();
      deniedActions.clear();
      keyUsers.clear();
      copyDurations.clear();
      deleteRefusals.clear();
      reportedClock = undefined;
      peaks.clear();
      buckets.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
