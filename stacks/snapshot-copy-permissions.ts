/**
 * What copying a snapshot takes, as policy statements. Shared by the member role (copies in a
 * member account) and the central function's role (copies in the central account itself).
 *
 * Scoped as tightly as EC2 allows: snapshot ARNs carry no account (`arn:aws:ec2:REGION::snapshot/ID`),
 * so the scope is the regions involved; `ec2:CreateTags` only as part of `CopySnapshot`
 * (`ec2:CreateAction`), so the role can tag its copies and nothing else.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 */
import type { SnapshotCopyConfig } from '../config/schema';
import type { Statement } from './policy';

export interface CopyPermissionsProps {
  /** The account the copies are made in. */
  readonly accountId: string;
  /** Regions snapshots are copied from. */
  readonly sourceRegions: readonly string[];
  /** Regions copies are made in. */
  readonly destinationRegions: readonly string[];
  /** `snapshotCopy.kmsKeyId`, when copies are encrypted under a chosen key. */
  readonly kmsKeyId?: string;
}

const uniqueSorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();
const ec2Endpoints = (regions: Iterable<string>): string[] => uniqueSorted([...regions].map((r) => `ec2.${r}.amazonaws.com`));

/** KMS actions EBS performs on the caller's behalf for an encrypted copy. */
const EBS_KMS_ACTIONS = ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];

/** Resource and condition naming the destination key, whichever form `kmsKeyId` takes. */
function destinationKeyScope(props: CopyPermissionsProps): Pick<Statement, 'Resource' | 'Condition'> {
  const keyId = props.kmsKeyId!;
  const via = { StringEquals: { 'kms:ViaService': ec2Endpoints(props.destinationRegions) } };
  if (keyId.startsWith('arn:aws:kms:') && keyId.includes(':key/')) return { Resource: keyId, Condition: via };
  const alias = keyId.startsWith('arn:aws:kms:') ? keyId.slice(keyId.indexOf(':alias/') + 1) : keyId.startsWith('alias/') ? keyId : undefined;
  const keysIn = props.destinationRegions.map((r) => `arn:aws:kms:${r}:${props.accountId}:key/${alias ? '*' : keyId}`);
  return {
    Resource: uniqueSorted(keysIn),
    // An alias resolves to a key per account and region; the policy names the alias, not a key.
    Condition: alias ? { ...via, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [alias] } } : via,
  };
}

export function copyPermissionStatements(props: CopyPermissionsProps): Statement[] {
  const snapshotArns = (regions: Iterable<string>) => uniqueSorted([...regions].map((r) => `arn:aws:ec2:${r}::snapshot/*`));
  const statements: Statement[] = [
    {
      // DescribeSnapshots supports no resource-level permissions.
      Sid: 'DescribeSnapshots',
      Effect: 'Allow',
      Action: 'ec2:DescribeSnapshots',
      Resource: '*',
    },
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
      Condition: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
    },
    {
      // Encrypted sources: EBS decrypts them through the owning account's keys, via EC2 only.
      Sid: 'UseSourceSnapshotKeysThroughEc2',
      Effect: 'Allow',
      Action: EBS_KMS_ACTIONS,
      Resource: uniqueSorted(props.sourceRegions.map((r) => `arn:aws:kms:${r}:${props.accountId}:key/*`)),
      Condition: { StringEquals: { 'kms:ViaService': ec2Endpoints(props.sourceRegions) } },
    },
  ];
  if (props.kmsKeyId) {
    statements.push({ Sid: 'EncryptCopiesUnderDestinationKey', Effect: 'Allow', Action: EBS_KMS_ACTIONS, ...destinationKeyScope(props) });
  }
  return statements;
}

/**
 * Copy permissions for an account whose snapshots come from `sourceRegions`, or undefined when
 * every one of them maps to itself (the handler never copies a snapshot onto its own region).
 */
export function copyPermissionsFor(copy: SnapshotCopyConfig, accountId: string, sourceRegions: readonly string[]): CopyPermissionsProps | undefined {
  const copied = sourceRegions.filter((r) => (copy.regionMap?.[r] ?? copy.destinationRegion) !== r);
  if (copied.length === 0) return undefined;
  return {
    accountId,
    sourceRegions: copied,
    destinationRegions: uniqueSorted(copied.map((r) => copy.regionMap?.[r] ?? copy.destinationRegion)),
    kmsKeyId: copy.kmsKeyId,
  };
}
