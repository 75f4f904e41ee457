/**
 * Pure per-snapshot decisions: where a snapshot goes, whether it is copied, with which tags, and
 * whether a copy already exists. No I/O: the copier feeds in what EC2 answered.
 */
import type { CopySnapshotCommandInput, DescribeSnapshotsCommandInput, Snapshot, Tag } from '@aws-sdk/client-ec2';
import type { CopyTagFilter, HandlerConfig } from './config';
import type { CopyJob, SkipDecision } from './events';

export const PROVENANCE_TAGS = {
  sourceSnapshotId: 'ebs-event-hub:source-snapshot-id',
  sourceRegion: 'ebs-event-hub:source-region',
  sourceAccount: 'ebs-event-hub:source-account',
} as const;

/** EC2 allows at most 50 tags per resource. */
export const MAX_TAGS_PER_RESOURCE = 50;

/** Who the function is: from context.invokedFunctionArn. */
export interface FunctionIdentity {
  account: string;
  partition: string;
}

export interface CopyPlan extends CopyJob {
  destinationRegion: string;
  /** Set when the snapshot lives in another account: every EC2 call for it runs under this role. */
  roleArn?: string;
  roleSessionName?: string;
}

export interface Skip {
  kind: 'skip';
  decision: SkipDecision;
  reason: string;
}

export type PlanDecision = Skip | { kind: 'copy'; plan: CopyPlan };

export function destinationFor(sourceRegion: string, config: Pick<HandlerConfig, 'destinationRegion' | 'regionMap'>): string {
  return config.regionMap[sourceRegion] ?? config.destinationRegion;
}

/** RoleSessionName: [\w+=,.@-], 2 to 64 characters. */
export function roleSessionName(snapshotId: string): string {
  return `snapshot-copy-${snapshotId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/** Decision before any I/O: destination, self-copy, other accounts. */
export function planCopy(job: CopyJob, config: HandlerConfig, self: FunctionIdentity): PlanDecision {
  const destinationRegion = destinationFor(job.sourceRegion, config);
  if (destinationRegion === job.sourceRegion) {
    return { kind: 'skip', decision: 'skipped-same-region', reason: `destination region ${destinationRegion} is the snapshot's own region` };
  }
  if (job.account === self.account) return { kind: 'copy', plan: { ...job, destinationRegion } };
  if (config.memberRoleName === undefined) {
    return {
      kind: 'skip',
      decision: 'skipped-foreign-account',
      reason: `snapshot belongs to account ${job.account}, not ${self.account}, and MEMBER_ROLE_NAME is not set`,
    };
  }
  return {
    kind: 'copy',
    plan: {
      ...job,
      destinationRegion,
      roleArn: `arn:${self.partition}:iam::${job.account}:role/${config.memberRoleName}`,
      roleSessionName: roleSessionName(job.snapshotId),
    },
  };
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

/**
 * The copy's tags: provenance first (they always fit and always win), then the source's user tags in
 * their order, without reserved `aws:` keys (EC2 rejects them) or stale provenance keys, up to 50.
 */
export function buildCopyTags(sourceTags: readonly Tag[] | undefined, job: CopyJob): CopyTags {
  const provenance: Tag[] = [
    { Key: PROVENANCE_TAGS.sourceSnapshotId, Value: job.snapshotId },
    { Key: PROVENANCE_TAGS.sourceRegion, Value: job.sourceRegion },
    { Key: PROVENANCE_TAGS.sourceAccount, Value: job.account },
  ];
  const reserved = new Set<string>(Object.values(PROVENANCE_TAGS));
  const user = (sourceTags ?? []).filter(
    (t): t is Tag & { Key: string } =>
      typeof t.Key === 'string' && t.Key !== '' && !t.Key.toLowerCase().startsWith('aws:') && !reserved.has(t.Key),
  );
  const room = MAX_TAGS_PER_RESOURCE - provenance.length;
  const kept = user.slice(0, room).map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
  return { tags: [...provenance, ...kept], dropped: user.slice(room).map((t) => t.Key) };
}

export type SourceDecision = Skip | { kind: 'retry'; reason: string; state: string } | ({ kind: 'copy' } & CopyTags);

/** Decision once the source snapshot has been described. */
export function decideOnSource(plan: CopyPlan, source: Pick<Snapshot, 'State' | 'Tags'>, config: Pick<HandlerConfig, 'copyTag'>): SourceDecision {
  const state = source.State ?? 'unknown';
  if (state === 'error') {
    return { kind: 'skip', decision: 'skipped-source-error', reason: `source snapshot is in state "error"` };
  }
  if (!matchesCopyTag(source.Tags, config.copyTag)) {
    const want = config.copyTag!.value === undefined ? config.copyTag!.key : `${config.copyTag!.key}=${config.copyTag!.value}`;
    return { kind: 'skip', decision: 'skipped-untagged', reason: `source snapshot has no tag ${want} (COPY_TAG)` };
  }
  if (state !== 'completed') {
    return { kind: 'retry', reason: `source snapshot is in state "${state}"`, state };
  }
  return { kind: 'copy', ...buildCopyTags(source.Tags, plan) };
}

/** DescribeSnapshots input that finds earlier copies of a snapshot in the destination region. */
export function existingCopiesQuery(snapshotId: string): DescribeSnapshotsCommandInput {
  return { OwnerIds: ['self'], Filters: [{ Name: `tag:${PROVENANCE_TAGS.sourceSnapshotId}`, Values: [snapshotId] }] };
}

/** A copy that counts: any state but `error` (a failed copy, e.g. under a bad KMS key, is copied again). */
export function findExistingCopy(snapshots: readonly Pick<Snapshot, 'SnapshotId' | 'State'>[] | undefined): { snapshotId: string; state: string } | undefined {
  const found = (snapshots ?? []).find((s) => s.State !== 'error' && typeof s.SnapshotId === 'string');
  return found ? { snapshotId: found.SnapshotId!, state: found.State ?? 'unknown' } : undefined;
}

export function copyDescription(job: CopyJob): string {
  return `Copy of ${job.snapshotId} from ${job.sourceRegion} (account ${job.account}) by ebs-event-hub snapshot-copy`;
}

export function copyRequest(plan: CopyPlan, tags: readonly Tag[], config: Pick<HandlerConfig, 'kmsKeyId'>): CopySnapshotCommandInput {
  return {
    SourceRegion: plan.sourceRegion,
    SourceSnapshotId: plan.snapshotId,
    Description: copyDescription(plan),
    TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...tags] }],
    ...(config.kmsKeyId !== undefined ? { Encrypted: true, KmsKeyId: config.kmsKeyId } : {}),
  };
}
