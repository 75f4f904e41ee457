/**
 * The AWS adapter: for one snapshot, at most three EC2 calls.
 *   1. DescribeSnapshots in the SOURCE region (its state and tags: COPY_TAG, tags to carry over);
 *   2. DescribeSnapshots in the DESTINATION region for an earlier copy (the dedupe: CopySnapshot has
 *      no idempotency token, so the copy's own provenance tag is the record);
 *   3. CopySnapshot sent to the DESTINATION region with SourceRegion.
 * For another account's snapshot all three run under the member role, so the copy stays in that account.
 */
import { CopySnapshotCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import type { ClientProvider } from './clients';
import type { HandlerConfig } from './config';
import { copyRequest, decideOnSource, existingCopiesQuery, findExistingCopy, planCopy, type CopyPlan, type FunctionIdentity } from './decide';
import { CopyQuotaExceededError, SourceSnapshotNotReadyError, asError } from './errors';
import type { CopyJob, Decision } from './events';
import type { Log } from './logger';

export interface CopierDeps {
  clients: ClientProvider;
  config: HandlerConfig;
  logger: Log;
  /**
   * Copies this container started, by account|destination|source id. DescribeSnapshots is eventually
   * consistent: a duplicate of an event in the same batch, handled a moment after the copy started,
   * may not see the new copy yet. Optional; the destination lookup remains the record across containers.
   */
  recentCopies?: RecentCopies;
}

/** A small bounded memory of copies started by this container, forgotten after `ttlMs`. */
export class RecentCopies {
  private readonly entries = new Map<string, { copySnapshotId: string; at: number }>();
  constructor(
    private readonly capacity = 1000,
    private readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  static key(plan: CopyPlan): string {
    return `${plan.account}|${plan.destinationRegion}|${plan.snapshotId}`;
  }

  get(plan: CopyPlan): string | undefined {
    const entry = this.entries.get(RecentCopies.key(plan));
    if (entry === undefined) return undefined;
    if (this.now() - entry.at > this.ttlMs) {
      this.entries.delete(RecentCopies.key(plan));
      return undefined;
    }
    return entry.copySnapshotId;
  }

  remember(plan: CopyPlan, copySnapshotId: string): void {
    this.entries.set(RecentCopies.key(plan), { copySnapshotId, at: this.now() });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

export interface CopyOutcome {
  snapshotId: string;
  account: string;
  sourceRegion: string;
  destinationRegion?: string;
  decision: Exclude<Decision, 'failed'>;
  copySnapshotId?: string;
  reason?: string;
}

const logKeys = (job: CopyJob, destinationRegion: string | undefined) => ({
  snapshotId: job.snapshotId,
  account: job.account,
  sourceRegion: job.sourceRegion,
  ...(destinationRegion !== undefined ? { destinationRegion } : {}),
});

/**
 * Copies one snapshot or decides not to. Resolves with the decision (logged); rejects when the copy
 * must be retried by the queue (logged with decision `failed`).
 */
export async function copySnapshotJob(job: CopyJob, self: FunctionIdentity, deps: CopierDeps): Promise<CopyOutcome> {
  const { config, logger } = deps;
  const planned = planCopy(job, config, self);
  if (planned.kind === 'skip') {
    const destinationRegion = planned.decision === 'skipped-same-region' ? job.sourceRegion : undefined;
    logger.info(`snapshot not copied: ${planned.reason}`, { ...logKeys(job, destinationRegion), decision: planned.decision });
    return { ...job, ...(destinationRegion ? { destinationRegion } : {}), decision: planned.decision, reason: planned.reason };
  }
  const plan = planned.plan;
  try {
    return await copyPlanned(plan, deps);
  } catch (caught) {
    const error = asError(caught);
    const failure = error.name === 'ResourceLimitExceeded' ? new CopyQuotaExceededError(plan.snapshotId, plan.destinationRegion, error) : error;
    if (failure instanceof CopyQuotaExceededError) {
      logger.warn('snapshot copy quota reached in the destination region; the message will be retried by the queue', {
        ...logKeys(plan, plan.destinationRegion),
        decision: 'failed',
        error: { name: failure.name, message: failure.message },
      });
    } else {
      logger.error(`snapshot copy failed: ${failure.name}: ${failure.message}`, {
        ...logKeys(plan, plan.destinationRegion),
        decision: 'failed',
        error: { name: failure.name, message: failure.message },
      });
    }
    throw failure;
  }
}

async function copyPlanned(plan: CopyPlan, deps: CopierDeps): Promise<CopyOutcome> {
  const { clients, config, logger } = deps;
  const keys = logKeys(plan, plan.destinationRegion);
  const started = deps.recentCopies?.get(plan);
  if (started !== undefined) {
    const reason = `copy ${started} was started by this container`;
    logger.info(`snapshot not copied again: ${reason}`, { ...keys, decision: 'already-copied', copySnapshotId: started });
    return { ...keys, decision: 'already-copied', copySnapshotId: started, reason };
  }
  const identity = plan.roleArn !== undefined ? { roleArn: plan.roleArn, roleSessionName: plan.roleSessionName ?? 'snapshot-copy' } : {};

  // 1. The source: state and tags.
  const source = clients.ec2({ region: plan.sourceRegion, ...identity });
  const described = await source.send(new DescribeSnapshotsCommand({ SnapshotIds: [plan.snapshotId] }));
  const snapshot = described.Snapshots?.find((s) => s.SnapshotId === plan.snapshotId);
  if (!snapshot) throw new Error(`DescribeSnapshots in ${plan.sourceRegion} did not return ${plan.snapshotId}`);
  const onSource = decideOnSource(plan, snapshot, config);
  if (onSource.kind === 'skip') {
    logger.info(`snapshot not copied: ${onSource.reason}`, { ...keys, decision: onSource.decision });
    return { ...keys, decision: onSource.decision, reason: onSource.reason };
  }
  if (onSource.kind === 'retry') throw new SourceSnapshotNotReadyError(plan.snapshotId, plan.sourceRegion, onSource.state);

  // 2. The dedupe: an earlier copy in the destination (redelivery, or a retry after a lost response).
  const destination = clients.ec2({ region: plan.destinationRegion, ...identity });
  const earlier = await destination.send(new DescribeSnapshotsCommand(existingCopiesQuery(plan.snapshotId)));
  const existing = findExistingCopy(earlier.Snapshots);
  if (existing) {
    const reason = `copy ${existing.snapshotId} (${existing.state}) already exists in ${plan.destinationRegion}`;
    logger.info(`snapshot not copied again: ${reason}`, { ...keys, decision: 'already-copied', copySnapshotId: existing.snapshotId });
    return { ...keys, decision: 'already-copied', copySnapshotId: existing.snapshotId, reason };
  }

  if (onSource.dropped.length > 0) {
    logger.warn(`copy keeps ${onSource.tags.length} tags (EC2 allows 50); dropped user tags: ${onSource.dropped.join(', ')}`, {
      ...keys,
      droppedTagKeys: onSource.dropped,
    });
  }

  // 3. The copy, sent to the destination region.
  const copied = await destination.send(new CopySnapshotCommand(copyRequest(plan, onSource.tags, config)));
  const copySnapshotId = copied.SnapshotId;
  if (copySnapshotId) deps.recentCopies?.remember(plan, copySnapshotId);
  logger.info('snapshot copy started', { ...keys, decision: 'copied', ...(copySnapshotId ? { copySnapshotId } : {}) });
  return { ...keys, decision: 'copied', ...(copySnapshotId ? { copySnapshotId } : {}) };
}
