/**
 * An in-process model of EC2's snapshot API on a simulated clock, for `npm run bench:burst` and the
 * tests that run the copy workflow for simulated hours or days (scripts/support/asl-interpreter.ts).
 * NOT handler code. It answers the SDK's own command objects (DescribeSnapshotsCommand,
 * CopySnapshotCommand) the way the EC2 API reference says:
 * - at most 20 concurrent snapshot copies per destination region and account, every copy counted
 *   (this app's, DLM's, AWS Backup's): beyond, CopySnapshot fails with ResourceLimitExceeded (400)
 *   ("up to twenty concurrent snapshot copy requests to a single destination Region":
 *   https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html;
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html);
 * - request throttling with EC2's token buckets per account and region (non-mutating 100 burst / 20
 *   per s, mutating 200 / 5 per s), and whatever `throttled(…)` adds (a storm): RequestLimitExceeded, HTTP 503
 *   (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html);
 * - a new copy invisible to DescribeSnapshots for `visibilityLagSeconds` (eventual consistency:
 *   https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html), NotFound for an
 *   unknown id, `pending` for the copy's duration then `completed`;
 * - a share of CopySnapshot calls (`ambiguousRate`) make the copy and then answer 500 InternalError;
 * - vault mode, by the rules of ./snapshot-rules.ts (each citing its page): ModifySnapshotAttribute
 *   (`createVolumePermission`), CopySnapshot of another account's snapshot only when shared with the
 *   caller (else NotFound) and ending in `error` when the caller may not use its key (`keyAdmits`),
 *   LockSnapshot, DescribeLockedSnapshots, DeleteSnapshot (refused while locked);
 * - DescribeSnapshots filters `tag:<key>`, `tag-key`, `status` and `snapshot-id`; any other filter is
 *   refused (the model must not answer what it does not model); each snapshot with its `StartTime`
 *   ("the time stamp when the snapshot was initiated") and a copy with CopySnapshot's `Description`
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html,
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html).
 * Its clients retry throttled reads as the SDK's standard retry strategy does (DEFAULT_EC2_CONFIG's
 * attempts, a random backoff of up to 0.5 s × 2^attempt, at most 20 s, waited in simulated time:
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html); CopySnapshot once.
 */
import {
  CopySnapshotCommand,
  DeleteSnapshotCommand,
  DescribeLockedSnapshotsCommand,
  DescribeSnapshotsCommand,
  LockSnapshotCommand,
  ModifySnapshotAttributeCommand,
  type Filter,
  type LockedSnapshotsInfo,
  type Snapshot,
  type Tag,
} from '@aws-sdk/client-ec2';
import { COPY_EC2_CONFIG, DEFAULT_EC2_CONFIG, type ClientProvider, type Ec2Target } from '../../handlers/snapshot-copy/clients';
import { PROVENANCE_TAGS } from '../../handlers/snapshot-copy/decide';
import { applyLock, crossAccountKeyFailure, deleteRefusal, lockExpiresOn, lockState, modifyShare, startOnCompletion, visibleTo, type SnapshotLock } from './snapshot-rules';

export interface ModelSnapshot {
  id: string;
  account: string;
  region: string;
  state: 'pending' | 'completed' | 'error';
  tags: Tag[];
  createdAt: number;
  completesAt: number;
  /** Copies: the source snapshot's id. */
  source?: string;
  /** Copies: CopySnapshot's Description (ConfirmCopy adopts a copy only with this app's). */
  description?: string;
  encrypted?: boolean;
  kmsKeyId?: string;
  /** Accounts with `createVolumePermission`. */
  sharedWith?: Set<string>;
  /** EBS snapshot lock (ms of the simulated clock × 1000). */
  lock?: SnapshotLock;
  /** A copy that ends in `error` at `completesAt` (EC2's StateMessage). */
  failsWith?: string;
}

export interface Ec2ModelOptions {
  now: () => number;
  random: () => number;
  /** Schedules `run` `seconds` from now on the simulated clock (the SDK's backoff). */
  sleep: (seconds: number) => Promise<void>;
  /** Account of calls made without a member role (the function's own). */
  ownAccount: string;
  /**
   * The wall-clock time of the simulated clock's 0 (ms since 1970): snapshots' StartTime, which the
   * step compares with its own clock (`now`).
   * @default 0
   */
  epochMs?: number;
  /** How long a copy of `sourceId` takes (s). */
  copySeconds: (sourceId: string) => number;
  /** @default 5 */
  visibilityLagSeconds?: number;
  /** @default 0 */
  ambiguousRate?: number;
  /** Extra throttling (a storm, an outage): true refuses the call with RequestLimitExceeded. */
  throttled?: (account: string, region: string, action: string) => boolean;
  /** Whether `user` may use `owner`'s key `keyId` (a copy of another account's snapshot reads it). @default - no other account may */
  keyAdmits?: (owner: string, keyId: string, user: string) => boolean;
}

export const EC2_COPY_QUOTA = 20;

/** The commands the model answers, by the action name its counters use. */
const ACTIONS: ReadonlyArray<readonly [new (...args: never[]) => unknown, string]> = [
  [CopySnapshotCommand, 'CopySnapshot'],
  [DescribeSnapshotsCommand, 'DescribeSnapshots'],
  [ModifySnapshotAttributeCommand, 'ModifySnapshotAttribute'],
  [LockSnapshotCommand, 'LockSnapshot'],
  [DescribeLockedSnapshotsCommand, 'DescribeLockedSnapshots'],
  [DeleteSnapshotCommand, 'DeleteSnapshot'],
];
/** Mutating actions draw on EC2's mutating token bucket; the others on the non-mutating one. */
const MUTATING = new Set(['CopySnapshot', 'ModifySnapshotAttribute', 'LockSnapshot', 'DeleteSnapshot']);

/** A token bucket (EC2's and Step Functions' API throttling), on the simulated clock. */
export class TokenBucket {
  private tokens: number;
  private at = 0;
  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (this.now() - this.at) * this.perSecond);
    this.at = this.now();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const ec2Error = (name: string, status: number): Error => Object.assign(new Error(`${name} (simulated)`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

export class Ec2Model {
  readonly snapshots = new Map<string, ModelSnapshot>();
  readonly calls = { total: 0, byAction: new Map<string, number>(), byStep: new Map<string, number>(), throttled: 0, refusedQuota: 0, ambiguous: 0 };
  /** Label the next calls are counted under (the workflow step running). */
  currentStep = 'start';
  /** The most of this app's copies pending at once, per account and region. */
  readonly peakOurs = new Map<string, number>();
  private readonly byAccountRegion = new Map<string, ModelSnapshot[]>();
  private readonly buckets = new Map<string, TokenBucket>();
  private idCounter = 0;

  constructor(private readonly options: Ec2ModelOptions) {}

  private key = (account: string, region: string): string => `${account}|${region}`;

  add(s: ModelSnapshot): void {
    this.snapshots.set(s.id, s);
    const k = this.key(s.account, s.region);
    (this.byAccountRegion.get(k) ?? this.byAccountRegion.set(k, []).get(k)!).push(s);
  }

  stateOf(s: ModelSnapshot): ModelSnapshot['state'] {
    return s.state === 'pending' && this.options.now() >= s.completesAt ? (s.failsWith !== undefined ? 'error' : 'completed') : s.state;
  }

  /** Its lock, the duration of one taken while it was pending starting at its completion. */
  lockOf(s: ModelSnapshot): SnapshotLock | undefined {
    return this.stateOf(s) === 'completed' ? startOnCompletion(s.lock, s.completesAt * 1000) : s.lock;
  }

  /** Every copy pending in the region (EC2's quota counts them all). */
  pendingCount(account: string, region: string): number {
    return (this.byAccountRegion.get(this.key(account, region)) ?? []).filter((s) => s.source !== undefined && this.stateOf(s) === 'pending').length;
  }

  oursPending(account: string, region: string): number {
    return (this.byAccountRegion.get(this.key(account, region)) ?? []).filter((s) => s.tags.some((t) => t.Key === PROVENANCE_TAGS.sourceSnapshotId) && this.stateOf(s) === 'pending').length;
  }

  /** This app's copies of `sourceId` (any state). */
  copiesOf(sourceId: string): ModelSnapshot[] {
    return [...this.snapshots.values()].filter((s) => s.source === sourceId && s.tags.some((t) => t.Key === PROVENANCE_TAGS.sourceSnapshotId && t.Value === sourceId));
  }

  private bucket(account: string, region: string, mutating: boolean): TokenBucket {
    const k = `${account}|${region}|${mutating}`;
    return this.buckets.get(k) ?? this.buckets.set(k, mutating ? new TokenBucket(200, 5, this.options.now) : new TokenBucket(100, 20, this.options.now)).get(k)!;
  }

  private matches(s: ModelSnapshot, filters: Filter[] | undefined): boolean {
    return (filters ?? []).every((f) => {
      const name = f.Name ?? '';
      if (name.startsWith('tag:')) return s.tags.some((t) => t.Key === name.slice(4) && (f.Values ?? []).includes(t.Value ?? ''));
      if (name === 'tag-key') return s.tags.some((t) => (f.Values ?? []).includes(t.Key ?? ''));
      if (name === 'status') return (f.Values ?? []).includes(this.stateOf(s));
      if (name === 'snapshot-id') return (f.Values ?? []).includes(s.id);
      throw new Error(`the EC2 model does not model the DescribeSnapshots filter ${name}`);
    });
  }

  private toSdk = (s: ModelSnapshot): Snapshot => ({
    SnapshotId: s.id,
    OwnerId: s.account,
    State: this.stateOf(s),
    ...(this.stateOf(s) === 'error' && s.failsWith !== undefined ? { StateMessage: s.failsWith } : {}),
    StorageTier: 'standard',
    Tags: s.tags,
    StartTime: new Date((this.options.epochMs ?? 0) + s.createdAt * 1000),
    ...(s.description !== undefined ? { Description: s.description } : {}),
  });

  /** One EC2 API request (one attempt). */
  request(account: string, region: string, command: unknown): unknown {
    const now = this.options.now();
    const action = ACTIONS.find(([type]) => command instanceof type)?.[1] ?? 'other';
    this.calls.total++;
    this.calls.byAction.set(action, (this.calls.byAction.get(action) ?? 0) + 1);
    this.calls.byStep.set(this.currentStep, (this.calls.byStep.get(this.currentStep) ?? 0) + 1);
    if (this.options.throttled?.(account, region, action) || !this.bucket(account, region, MUTATING.has(action)).take()) {
      this.calls.throttled++;
      throw ec2Error('RequestLimitExceeded', 503);
    }
    if (command instanceof DescribeSnapshotsCommand) {
      const input = command.input;
      const lag = this.options.visibilityLagSeconds ?? 5;
      const visible = (this.byAccountRegion.get(this.key(account, region)) ?? []).filter((s) => now - s.createdAt >= lag || s.source === undefined);
      if (input.SnapshotIds?.length) {
        const found = input.SnapshotIds.map((id) => visible.find((s) => s.id === id));
        if (found.some((s) => s === undefined)) throw ec2Error('InvalidSnapshot.NotFound', 400);
        return { Snapshots: (found as ModelSnapshot[]).map(this.toSdk), $metadata: {} };
      }
      return { Snapshots: visible.filter((s) => this.matches(s, input.Filters)).map(this.toSdk), $metadata: {} };
    }
    if (command instanceof CopySnapshotCommand) {
      const input = command.input;
      const source = this.snapshots.get(input.SourceSnapshotId ?? '');
      if (!source || source.region !== (input.SourceRegion ?? region) || !visibleTo({ ownerId: source.account, sharedWith: source.sharedWith }, account)) throw ec2Error('InvalidSnapshot.NotFound', 400);
      if (this.pendingCount(account, region) >= EC2_COPY_QUOTA) {
        this.calls.refusedQuota++;
        throw ec2Error('ResourceLimitExceeded', 400);
      }
      const copy: ModelSnapshot = {
        id: `snap-c${(++this.idCounter).toString(16).padStart(16, '0')}`,
        account,
        region,
        state: 'pending',
        tags: input.TagSpecifications?.[0]?.Tags ?? [],
        createdAt: now,
        completesAt: now + this.options.copySeconds(source.id),
        source: source.id,
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        ...(input.Encrypted || source.encrypted ? { encrypted: true } : {}),
        ...(input.KmsKeyId !== undefined ? { kmsKeyId: input.KmsKeyId } : source.kmsKeyId !== undefined && source.account === account ? { kmsKeyId: source.kmsKeyId } : {}),
      };
      const keyFailure = crossAccountKeyFailure({ ownerId: source.account, ...(source.encrypted ? { encrypted: true } : {}), ...(source.kmsKeyId ? { kmsKeyId: source.kmsKeyId } : {}) }, account, this.options.keyAdmits ?? (() => false));
      if (keyFailure !== undefined) copy.failsWith = keyFailure;
      this.add(copy);
      const k = this.key(account, region);
      this.peakOurs.set(k, Math.max(this.peakOurs.get(k) ?? 0, this.oursPending(account, region)));
      if (this.options.random() < (this.options.ambiguousRate ?? 0)) {
        this.calls.ambiguous++;
        throw ec2Error('InternalError', 500); // the copy exists; the answer is lost
      }
      return { SnapshotId: copy.id, $metadata: {} };
    }
    const own = (id: string | undefined): ModelSnapshot => {
      const found = this.snapshots.get(id ?? '');
      if (!found || found.account !== account || found.region !== region) throw ec2Error('InvalidSnapshot.NotFound', 400);
      return found;
    };
    if (command instanceof ModifySnapshotAttributeCommand) {
      const input = command.input;
      const snapshot = own(input.SnapshotId);
      if (input.Attribute !== 'createVolumePermission') throw new Error(`the EC2 model does not model the attribute ${String(input.Attribute)}`);
      const refused = modifyShare(snapshot, input.OperationType, input.UserIds ?? []);
      if (refused) throw ec2Error(refused.code, 400);
      return { $metadata: {} };
    }
    if (command instanceof LockSnapshotCommand) {
      const input = command.input;
      const snapshot = own(input.SnapshotId);
      const result = applyLock(
        this.lockOf(snapshot),
        { LockMode: input.LockMode, LockDuration: input.LockDuration, CoolOffPeriod: input.CoolOffPeriod, ...(input.ExpirationDate ? { ExpirationDate: input.ExpirationDate.getTime() } : {}) },
        { state: this.stateOf(snapshot) },
        now * 1000,
      );
      if ('error' in result) throw ec2Error(result.error.code, 400);
      snapshot.lock = result.lock;
      return { ...this.lockInfo(snapshot), $metadata: {} };
    }
    if (command instanceof DescribeLockedSnapshotsCommand) {
      const ids = command.input.SnapshotIds ?? [];
      const found = ids.map((id) => own(id));
      return { Snapshots: found.filter((s) => s.lock).map((s) => this.lockInfo(s)), $metadata: {} };
    }
    if (command instanceof DeleteSnapshotCommand) {
      const snapshot = own(command.input.SnapshotId);
      const refused = deleteRefusal(this.lockOf(snapshot), now * 1000);
      if (refused) throw ec2Error(refused.code, 400);
      this.snapshots.delete(snapshot.id);
      const list = this.byAccountRegion.get(this.key(account, region))!;
      list.splice(list.indexOf(snapshot), 1);
      return { $metadata: {} };
    }
    throw new Error(`unexpected command ${String(command)}`);
  }

  /** A locked snapshot as DescribeLockedSnapshots and LockSnapshot describe it. */
  lockInfo(s: ModelSnapshot): LockedSnapshotsInfo {
    const lock = this.lockOf(s)!;
    const at = (ms: number | undefined) => (ms !== undefined ? new Date((this.options.epochMs ?? 0) + ms) : undefined);
    const expires = at(lockExpiresOn(lock));
    const start = at(lock.durationStart);
    return {
      OwnerId: s.account,
      SnapshotId: s.id,
      LockState: lockState(lock, this.options.now() * 1000),
      LockDuration: lock.durationDays,
      LockCreatedOn: at(lock.createdOn),
      ...(lock.coolOffHours !== undefined ? { CoolOffPeriod: lock.coolOffHours } : {}),
      ...(expires ? { LockExpiresOn: expires } : {}),
      ...(start ? { LockDurationStartTime: start } : {}),
    };
  }

  /** The ClientProvider the step uses: a member role's account from its ARN, the SDK's retries in simulated time. */
  clients(): ClientProvider {
    return {
      ec2: (target: Ec2Target) => {
        const account = target.roleArn ? /iam::(\d{12}):/.exec(target.roleArn)![1]! : this.options.ownAccount;
        const attempts = Number((target.forCopy ? COPY_EC2_CONFIG : DEFAULT_EC2_CONFIG).maxAttempts);
        return {
          send: (async (command: unknown) => {
            for (let attempt = 1; ; attempt++) {
              try {
                return this.request(account, target.region, command);
              } catch (error) {
                if ((error as Error).name !== 'RequestLimitExceeded' || attempt >= attempts) throw error;
                await this.options.sleep(this.options.random() * Math.min(20, 0.5 * 2 ** attempt));
              }
            }
          }) as never,
        };
      },
    };
  }
}
