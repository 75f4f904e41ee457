/**
 * What copying a snapshot (and, with retention, deleting an expired copy) takes, as policy
 * statements. Shared by the member role (copies in a member account) and the central roles
 * (copies in the central account itself, when it is also a member).
 *
 * Scoped as tightly as EC2 allows: snapshot ARNs carry no account (`arn:aws:ec2:REGION::snapshot/ID`),
 * so the scope is the regions involved; `ec2:CreateTags` only as part of `CopySnapshot`
 * (`ec2:CreateAction`), so the role can tag its copies and nothing else; `ec2:DeleteSnapshot` only
 * on snapshots bearing this app's provenance and expiry tags (`aws:ResourceTag/…`).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 */
import type { OrgConfig, SnapshotCopyConfig } from '../../config/schema';
import type { Statement } from './policy';

/** Provenance tags every copy carries (COPY-CONTRACT.md); the expiry tag only with retention. */
export const PROVENANCE_TAG = 'ebs-event-hub:source-snapshot-id';
export const EXPIRY_TAG = 'ebs-event-hub:expires-at';

export interface CopyPermissionsProps {
  /** The account the copies are made in. */
  readonly accountId: string;
  /** Regions snapshots are copied from. */
  readonly sourceRegions: readonly string[];
  /** Regions copies are made in. */
  readonly destinationRegions: readonly string[];
  /** `snapshotCopy.kmsKeyId`, when copies are encrypted under a chosen key. */
  readonly kmsKeyId?: string;
  /**
   * `snapshotCopy.retentionDays` is set: expired copies are deleted by the sweep.
   * @default false - no delete permission at all
   */
  readonly deleteExpiredCopies?: boolean;
}

// Exported for the vault's statements (vault-permissions.ts), which scope the same way.
export const uniqueSorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();
/** EC2's endpoint in `region`, as KMS sees it in `kms:ViaService` when EBS calls it for the caller. */
export const ec2Endpoint = (region: string): string => `ec2.${region}.amazonaws.com`;
export const ec2Endpoints = (regions: Iterable<string>): string[] => uniqueSorted([...regions].map(ec2Endpoint));
export const snapshotArns = (regions: Iterable<string>): string[] => uniqueSorted([...regions].map((r) => `arn:aws:ec2:${r}::snapshot/*`));
export const keysIn = (regions: Iterable<string>, accountId: string, keyId = '*'): string[] =>
  uniqueSorted([...regions].map((r) => `arn:aws:kms:${r}:${accountId}:key/${keyId}`));

/**
 * KMS actions EBS performs with the caller's permissions for an encrypted copy, except
 * `kms:CreateGrant` (its own statement, so it also requires `kms:GrantIsForAWSResource`: only EC2
 * may create the grant, never the role directly).
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html
 * `kms:GrantIsForAWSResource`: true only when an AWS service integrated with KMS calls CreateGrant
 * for the principal: https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html
 */
export const EBS_KMS_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];

/** Resource and condition naming the destination key, whichever form `kmsKeyId` takes. */
function destinationKeyScope(props: CopyPermissionsProps): Pick<Statement, 'Resource' | 'Condition'> {
  const keyId = props.kmsKeyId!;
  const via = { StringEquals: { 'kms:ViaService': ec2Endpoints(props.destinationRegions) } };
  if (keyId.startsWith('arn:aws:kms:') && keyId.includes(':key/')) return { Resource: keyId, Condition: via };
  const alias = keyId.startsWith('arn:aws:kms:') ? keyId.slice(keyId.indexOf(':alias/') + 1) : keyId.startsWith('alias/') ? keyId : undefined;
  return {
    Resource: keysIn(props.destinationRegions, props.accountId, alias ? '*' : keyId),
    // An alias resolves to a key per account and region; the policy names the alias, not a key.
    Condition: alias ? { ...via, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [alias] } } : via,
  };
}

/**
 * Without `kmsKeyId` the copy is encrypted under the destination region's EBS default key, which
 * may be a customer managed key of this account: any key of the account in the destination
 * regions, but only through EC2 there.
 * https://docs.aws.amazon.com/ebs/latest/userguide/work-with-ebs-encr.html#encryption-by-default
 */
const defaultKeyScope = (props: CopyPermissionsProps): Pick<Statement, 'Resource' | 'Condition'> => ({
  Resource: keysIn(props.destinationRegions, props.accountId),
  Condition: { StringEquals: { 'kms:ViaService': ec2Endpoints(props.destinationRegions) } },
});

/** Adds the `kms:GrantIsForAWSResource` requirement to a KMS scope (for `kms:CreateGrant`). */
export const forAwsResource = (scope: Pick<Statement, 'Resource' | 'Condition'>): Pick<Statement, 'Resource' | 'Condition'> => ({
  Resource: scope.Resource,
  Condition: { ...scope.Condition, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
});

export const describeSnapshots: Statement = {
  // Documented exception to resource scoping: DescribeSnapshots supports no resource-level
  // permissions (the service authorization reference lists no resource type for it).
  Sid: 'DescribeSnapshots',
  Effect: 'Allow',
  Action: 'ec2:DescribeSnapshots',
  Resource: '*',
};

/**
 * The source snapshot's key, used by EBS during a cross-region copy. AWS does not document which
 * region's EC2 endpoint appears in `kms:ViaService` when EBS decrypts or re-encrypts with the source
 * key during a copy requested in the destination region: both the source and the destination
 * regions' endpoints are allowed (every region of this role's copies; still only through EC2).
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
const sourceKeyScope = (props: CopyPermissionsProps): Pick<Statement, 'Resource' | 'Condition'> => ({
  Resource: keysIn(props.sourceRegions, props.accountId),
  Condition: { StringEquals: { 'kms:ViaService': ec2Endpoints([...props.sourceRegions, ...props.destinationRegions]) } },
});

/**
 * With `kmsKeyId`, the destination-key statements name that key only; but EBS also describes the
 * destination region's default EBS key (which may be a customer managed key of the account) when it
 * handles an encrypted copy: the EBS encryption requirements list `kms:DescribeKey` among the
 * actions users must be allowed on a key EBS uses
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html#ebs-encryption-permissions),
 * and the default key is per account and region
 * (https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html). Describing a key
 * reveals its metadata only; still only through EC2 in the destination regions.
 */
const describeDestinationKeys = (props: CopyPermissionsProps): Statement => ({
  Sid: 'DescribeDestinationKeysThroughEc2',
  Effect: 'Allow',
  Action: 'kms:DescribeKey',
  ...defaultKeyScope(props),
});

/** Copying: describe, copy, tag the copy as it is created, use keys through EC2 only. */
export function copyPermissionStatements(props: CopyPermissionsProps): Statement[] {
  const sourceKeys = sourceKeyScope(props);
  const destinationKeys = props.kmsKeyId ? destinationKeyScope(props) : defaultKeyScope(props);
  return [
    describeSnapshots,
    {
      Sid: 'CopySnapshotsToDestinationRegions',
      Effect: 'Allow',
      Action: 'ec2:CopySnapshot',
      Resource: snapshotArns([...props.sourceRegions, ...props.destinationRegions]),
    },
    {
      Sid: 'TagCopiesWhenCreated',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: snapshotArns(props.destinationRegions),
      // `ec2:CreateAction` names the creating API when tags are applied on creation (CopySnapshot's
      // TagSpecifications); a direct CreateTags call does not match it.
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
      Condition: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
    },
    // Encrypted sources: EBS decrypts them through the owning account's keys, via EC2 only.
    { Sid: 'UseSourceSnapshotKeysThroughEc2', Effect: 'Allow', Action: EBS_KMS_ACTIONS, ...sourceKeys },
    { Sid: 'GrantSourceSnapshotKeysToEc2', Effect: 'Allow', Action: 'kms:CreateGrant', ...forAwsResource(sourceKeys) },
    { Sid: 'EncryptCopiesUnderDestinationKey', Effect: 'Allow', Action: EBS_KMS_ACTIONS, ...destinationKeys },
    { Sid: 'GrantDestinationKeyToEc2', Effect: 'Allow', Action: 'kms:CreateGrant', ...forAwsResource(destinationKeys) },
    // Without kmsKeyId the destination statements above already cover every key there.
    ...(props.kmsKeyId ? [describeDestinationKeys(props)] : []),
  ];
}

/**
 * The retention sweep: find this app's copies and delete the expired ones. Only snapshots that
 * carry both the provenance tag and the expiry tag (copies made by this app with retention on)
 * can be deleted; IAM evaluates the tags of the snapshot itself (`aws:ResourceTag`).
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/control-access-with-tags.html
 */
export function sweepPermissionStatements(props: Pick<CopyPermissionsProps, 'destinationRegions'>): Statement[] {
  return [
    describeSnapshots,
    {
      Sid: 'DeleteExpiredCopiesOnly',
      Effect: 'Allow',
      Action: 'ec2:DeleteSnapshot',
      Resource: snapshotArns(props.destinationRegions),
      Condition: {
        StringLike: { [`aws:ResourceTag/${PROVENANCE_TAG}`]: 'snap-*' },
        Null: { [`aws:ResourceTag/${EXPIRY_TAG}`]: 'false' },
      },
    },
  ];
}

/** Everything the member role needs: copying, and with retention the sweep. */
export function memberPermissionStatements(props: CopyPermissionsProps): Statement[] {
  const copy = copyPermissionStatements(props);
  return props.deleteExpiredCopies ? [...copy, ...sweepPermissionStatements(props).filter((s) => s.Sid !== describeSnapshots.Sid)] : copy;
}

/** The region each source region's snapshots are copied to. */
export const destinationOf = (copy: SnapshotCopyConfig, sourceRegion: string): string => copy.regionMap?.[sourceRegion] ?? copy.destinationRegion;

/**
 * Copy permissions for an account whose snapshots come from `sourceRegions`, or undefined when
 * every one of them maps to itself (the handler never copies a snapshot onto its own region).
 */
export function copyPermissionsFor(copy: SnapshotCopyConfig, accountId: string, sourceRegions: readonly string[]): CopyPermissionsProps | undefined {
  const copied = sourceRegions.filter((r) => destinationOf(copy, r) !== r);
  if (copied.length === 0) return undefined;
  return {
    accountId,
    sourceRegions: copied,
    destinationRegions: uniqueSorted(copied.map((r) => destinationOf(copy, r))),
    kmsKeyId: copy.kmsKeyId,
    deleteExpiredCopies: copy.retentionDays !== undefined,
  };
}

/**
 * The regions a member forwards from: its own, then the destinations of its copies (in that
 * order, without repeats), so `copySnapshot` results in a destination region reach the central bus
 * even when `members[].regions` omits it.
 */
export function forwardingRegions(copy: SnapshotCopyConfig | undefined, memberRegions: readonly string[]): string[] {
  return [...new Set([...memberRegions, ...destinationOnlyRegions(copy, memberRegions)])];
}

/**
 * The destinations of a member's copies that it does not list itself: forwarded from only so that
 * a copy failing there reports `copySnapshot` `failed` to the central bus, never so that a snapshot
 * made there is copied (the member role has no copy rights for a region it does not list). A listed
 * region that is also a destination stays listed.
 */
export function destinationOnlyRegions(copy: SnapshotCopyConfig | undefined, memberRegions: readonly string[]): string[] {
  const permissions = copy && copyPermissionsFor(copy, '000000000000', memberRegions);
  return (permissions?.destinationRegions ?? []).filter((r) => !memberRegions.includes(r));
}

/**
 * The regions the copy starter copies from: the union over members of their `regions` whose
 * destination is another region, sorted. Defence in depth behind the destination-only forwarding
 * rules, which never forward a creation: the starter skips a snapshot of any other region.
 * Per-account precision comes from the forwarding rules (a region listed by one member is in this
 * set for all of them).
 */
export function configuredSourceRegions(config: Pick<OrgConfig, 'members' | 'snapshotCopy'>): string[] {
  const copy = config.snapshotCopy;
  if (!copy) return [];
  return uniqueSorted(config.members.flatMap((m) => m.regions.filter((r) => destinationOf(copy, r) !== r)));
}

/**
 * Every member account × destination region copies land in, in config order (accounts), destination
 * regions sorted (the vault's regions and source accounts are read from it; the retention sweep no
 * longer visits them one by one: it reads the copy ledger's expired copies).
 */
export function sweepTargetsOf(config: OrgConfig): { account: string; region: string }[] {
  const copy = config.snapshotCopy;
  if (!copy) return [];
  return config.members.flatMap((m) => (copyPermissionsFor(copy, m.accountId, m.regions)?.destinationRegions ?? []).map((region) => ({ account: m.accountId, region })));
}
