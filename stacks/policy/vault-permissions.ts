/**
 * Vault mode (`snapshotCopy.vault`, README "Vault mode") as policy statements: the vault role's
 * policy, the vault key's policy, what a member copy key must grant the vault role, what a member
 * (or the central account, when it is a member) may do to share its copies with the vault, and the
 * central roles' right to assume the vault role. Pure functions of the config; the stacks render
 * them and the IAM simulations (`__tests__/vault.iam.test.ts`) evaluate the synthesized result.
 *
 * The vault copy of a snapshot is made in the vault account from the member's DR copy, in the same
 * region (the DR copy's region): that copy is shared with the vault account (`createVolumePermission`),
 * which copies it under its own key, tags it on creation, and locks it. Sharing needs the member copy
 * to be under a customer managed key the vault may use: "You can't share snapshots that are
 * encrypted with the default AWS managed key" and "When you share an encrypted snapshot, you must
 * also share the customer managed key used to encrypt the snapshot"
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html).
 *
 * Cross-account principals are named as the account (`arn:aws:iam::<account>:root`) with the role
 * by `aws:PrincipalArn` (ArnEquals), as the member copy role's trust does
 * (stacks/member/snapshot-copy-role.ts): IAM and KMS store a role principal as the role's unique id,
 * so a recreated role would stop matching, and KMS refuses a key policy whose principal does not
 * exist ("MalformedPolicyDocumentException - Policy contains a statement with one or more invalid
 * principals": https://repost.aws/knowledge-center/kms-policy-error-invalid-principals). With the
 * account principal, no stack has to exist before another saves its policies.
 */
import { KEY_ADMIN_ACTIONS } from './key-admin-actions';
import { accountRootArn, PREFIX, roleArn, VAULT_KEY_ALIAS, vaultRoleArn } from '../names';
import { policyDocument, type PolicyDocument, type Statement } from './policy';
import type { OrgConfig } from '../../config/schema';
import { describeSnapshots, EBS_KMS_ACTIONS, ec2Endpoint, ec2Endpoints, EXPIRY_TAG, forAwsResource, keysIn, PROVENANCE_TAG, snapshotArns, sweepTargetsOf, uniqueSorted } from './snapshot-copy-permissions';

/** The regions vault copies are made in: every member's copy destination regions, sorted. */
export const vaultRegionsOf = (config: OrgConfig): string[] => uniqueSorted(sweepTargetsOf(config).map((t) => t.region));
/** The accounts whose copies the vault receives: every member that copies (the central account too when it is one). */
export const vaultSourceAccountsOf = (config: OrgConfig): string[] => uniqueSorted(sweepTargetsOf(config).map((t) => t.account));

/** Only snapshots that carry this app's provenance tag (a snapshot id) are the app's copies. */
const provenanceTagged = { [`aws:ResourceTag/${PROVENANCE_TAG}`]: 'snap-*' };

/**
 * What a user of a shared customer managed key needs on it to use snapshots encrypted under it, as
 * the EBS guide lists them ("kms:DescribeKey, kms:CreateGrant, kms:GenerateDataKey,
 * kms:GenerateDataKeyWithoutPlaintext, kms:ReEncrypt, kms:Decrypt"), `kms:CreateGrant` apart (its
 * own statement, with `kms:GrantIsForAWSResource`).
 * https://docs.aws.amazon.com/ebs/latest/userguide/share-kms-key.html
 */
export const SHARED_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'] as const;

/** A role of another account (or of this one) through EC2 in one region: the key-policy form. */
function roleThroughEc2(sids: { readonly use: string; readonly grant: string }, account: string, roleArns: readonly string[], region: string, actions: readonly string[]): Statement[] {
  const condition = {
    ArnEquals: { 'aws:PrincipalArn': roleArns.length === 1 ? roleArns[0]! : [...roleArns] },
    StringEquals: { 'kms:ViaService': ec2Endpoint(region) },
  };
  return [
    { Sid: sids.use, Effect: 'Allow', Principal: { AWS: accountRootArn(account) }, Action: [...actions], Resource: '*', Condition: condition },
    {
      Sid: sids.grant,
      Effect: 'Allow',
      Principal: { AWS: accountRootArn(account) },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { ...condition, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ];
}

const VAULT_ROLE_SIDS = { use: 'VaultRoleUsesKeyThroughEc2', grant: 'VaultRoleGrantsKeyToEc2' } as const;

/** The account administers its key through IAM, as the other keys of the app (hub-key.ts). */
const accountAdministersKey = (accountId: string): Statement => ({
  Sid: 'AccountAdministersKey',
  Effect: 'Allow',
  Principal: { AWS: accountRootArn(accountId) },
  Action: [...KEY_ADMIN_ACTIONS],
  Resource: '*',
});

/**
 * The two statements a member copy key's policy must hold for the vault role, in the key's region:
 * the vault copy is made in that region, so EBS uses the key there (`kms:ViaService`
 * `ec2.<region>.amazonaws.com`); never directly. What README "Vault mode" asks of a
 * `snapshotCopy.kmsKeyId` key, and what `npm run verify` simulates against its policy.
 */
export const vaultUsesMemberKeyStatements = (vaultAccountId: string, region: string): Statement[] =>
  roleThroughEc2(VAULT_ROLE_SIDS, vaultAccountId, [vaultRoleArn(vaultAccountId)], region, SHARED_KEY_ACTIONS);

export interface MemberCopyKeyPolicyProps {
  /** The member account owning the key. */
  readonly accountId: string;
  /** The key's region (a copy destination region). */
  readonly region: string;
  /**
   * The roles that make this account's copies: the member copy role, and in the central account
   * (also a member) the central step role, which copies there with its own credentials.
   */
  readonly copyRoleArns: readonly string[];
  readonly vaultAccountId: string;
}

/**
 * Policy of a member copy key (`alias/ebs-event-hub-dr`, created when there is a vault and no
 * `kmsKeyId`): the account administers it; the copy roles encrypt copies under it, and the vault
 * role reads them for its own copy, both only through EC2 in the key's region. Nothing else: no
 * other account, no direct use.
 */
export function memberCopyKeyPolicy(props: MemberCopyKeyPolicyProps): PolicyDocument {
  if (props.copyRoleArns.length === 0) throw new Error('memberCopyKeyPolicy: copyRoleArns is empty; name the roles that copy in this account');
  return policyDocument('resource', [
    accountAdministersKey(props.accountId),
    ...roleThroughEc2({ use: 'CopyRolesUseKeyThroughEc2', grant: 'CopyRolesGrantKeyToEc2' }, props.accountId, uniqueSorted(props.copyRoleArns), props.region, EBS_KMS_ACTIONS),
    ...vaultUsesMemberKeyStatements(props.vaultAccountId, props.region),
  ]);
}

/**
 * Policy of a vault key: the vault account administers it; the vault role encrypts its copies under
 * it through EC2 in the key's region only. No other account may use it.
 */
export function vaultKeyPolicy(props: { readonly accountId: string; readonly region: string }): PolicyDocument {
  return policyDocument('resource', [accountAdministersKey(props.accountId), ...roleThroughEc2(VAULT_ROLE_SIDS, props.accountId, [vaultRoleArn(props.accountId)], props.region, EBS_KMS_ACTIONS)]);
}

export interface VaultRolePolicyProps {
  /** The vault account. */
  readonly accountId: string;
  /** Regions vault copies are made in: every copy destination region. */
  readonly regions: readonly string[];
  /** Accounts whose shared copies the vault copies (`ec2:Owner` of the source snapshot): the members that copy. */
  readonly sourceAccountIds: readonly string[];
  /**
   * `snapshotCopy.vault.lock.days`: the role may lock its own copies, for exactly this many days.
   * @default - no lock: no `ec2:LockSnapshot`
   */
  readonly lockDays?: number;
  /**
   * `snapshotCopy.vault.retentionDays` is set: the role may delete its own expired copies.
   * @default false
   */
  readonly deleteExpiredCopies?: boolean;
}

/**
 * The vault role's policy. Snapshot ARNs carry no account (`arn:aws:ec2:<region>::snapshot/<id>`),
 * so the account is a condition: `ec2:Owner`, which the Service Authorization Reference lists for
 * the snapshot resource of `CopySnapshot`, `LockSnapshot` and `DeleteSnapshot`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 * `CopySnapshot` is authorized on the source snapshot and on the copy being created ("Resource-level
 * permissions specified for this action apply to both the snapshot copy and the source snapshot",
 * same page; https://aws.amazon.com/blogs/storage/enhancing-resource-level-permissions-for-copying-amazon-ebs-snapshots/):
 * - the source: owned by a member account (`ec2:Owner`); `aws:ResourceOrgID`/`aws:ResourceAccount`
 *   are not used: no EC2 page documents them for the source snapshot of a copy;
 * - the copy: carries the provenance tag from its creation (`aws:RequestTag`, listed for the
 *   action), and if EC2 gives it an owner, it is the vault itself (`…IfExists`).
 * Tags only on creation (`ec2:CreateAction`), locks only of its own tagged copies and for exactly
 * `lock.days`, deletes only its own tagged expired copies (a locked one cannot be deleted anyway:
 * https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-concepts.html). KMS only through
 * EC2 in the copy's region: its own vault key (by alias), and the member copy keys the copies it
 * reads are under (any account's key: the key's own policy must name the vault role, which only
 * member copy keys do).
 */
export function vaultRolePolicy(props: VaultRolePolicyProps): PolicyDocument {
  if (props.regions.length === 0) throw new Error('vaultRolePolicy: regions is empty; give the copy destination regions');
  if (props.sourceAccountIds.length === 0) throw new Error('vaultRolePolicy: sourceAccountIds is empty; give the member accounts that copy');
  const snapshots = snapshotArns(props.regions);
  const via = { StringEquals: { 'kms:ViaService': ec2Endpoints(props.regions) } };
  const vaultKeys = { Resource: keysIn(props.regions, props.accountId), Condition: { ...via, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [VAULT_KEY_ALIAS] } } };
  const memberKeys = { Resource: keysIn(props.regions, '*'), Condition: via };
  const own = { 'ec2:Owner': props.accountId };
  return policyDocument('identity', [
    describeSnapshots,
    {
      Sid: 'CopyMemberSnapshotsIntoVault',
      Effect: 'Allow',
      Action: 'ec2:CopySnapshot',
      Resource: snapshots,
      Condition: { StringEquals: { 'ec2:Owner': uniqueSorted(props.sourceAccountIds) } },
    },
    {
      Sid: 'CreateTaggedVaultCopies',
      Effect: 'Allow',
      Action: 'ec2:CopySnapshot',
      Resource: snapshots,
      Condition: { StringEqualsIfExists: own, StringLike: { [`aws:RequestTag/${PROVENANCE_TAG}`]: 'snap-*' } },
    },
    {
      Sid: 'TagVaultCopiesWhenCreated',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: snapshots,
      Condition: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
    },
    ...(props.lockDays !== undefined
      ? [
          {
            Sid: 'LockOwnVaultCopies',
            Effect: 'Allow',
            Action: 'ec2:LockSnapshot',
            Resource: snapshots,
            // ec2:SnapshotLockDuration (days): "restrict users to specific lock durations"
            // (https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-iam.html): exactly the
            // configured lock. Not longer (a caller cannot lock copies in beyond the config), and not
            // shorter: LockSnapshot also MODIFIES a lock ("If the snapshot is locked in governance mode,
            // you can modify ... the lock duration", and in compliance mode during its cooling-off
            // period), so a shorter duration would let whoever assumes this role (the central account)
            // shorten a lock to a day and, once it expired, delete the copy (DeleteExpiredVaultCopies).
            // The copy step always sends LockDuration = lock.days (never ExpirationDate).
            Condition: { StringEquals: own, StringLike: provenanceTagged, NumericEquals: { 'ec2:SnapshotLockDuration': String(props.lockDays) } },
          } satisfies Statement,
          // No resource type in the Service Authorization Reference: "*" only.
          { Sid: 'DescribeLockedSnapshots', Effect: 'Allow', Action: 'ec2:DescribeLockedSnapshots', Resource: '*' } satisfies Statement,
        ]
      : []),
    ...(props.deleteExpiredCopies
      ? [
          {
            Sid: 'DeleteOwnExpiredVaultCopies',
            Effect: 'Allow',
            Action: 'ec2:DeleteSnapshot',
            Resource: snapshots,
            Condition: { StringEquals: own, StringLike: provenanceTagged, Null: { [`aws:ResourceTag/${EXPIRY_TAG}`]: 'false' } },
          } satisfies Statement,
        ]
      : []),
    { Sid: 'EncryptUnderVaultKeyThroughEc2', Effect: 'Allow', Action: [...EBS_KMS_ACTIONS], ...vaultKeys },
    { Sid: 'GrantVaultKeyToEc2', Effect: 'Allow', Action: 'kms:CreateGrant', ...forAwsResource(vaultKeys) },
    { Sid: 'ReadMemberCopyKeysThroughEc2', Effect: 'Allow', Action: [...SHARED_KEY_ACTIONS], ...memberKeys },
    { Sid: 'GrantMemberCopyKeysToEc2', Effect: 'Allow', Action: 'kms:CreateGrant', ...forAwsResource(memberKeys) },
  ]);
}

/** The vault role's policy for a config with `snapshotCopy.vault` (the vault stack's, and what `npm run verify` simulates). */
export function vaultRolePolicyOf(config: OrgConfig): PolicyDocument {
  const vault = config.snapshotCopy?.vault;
  if (!vault) throw new Error('vaultRolePolicyOf: config.snapshotCopy.vault is not set');
  return vaultRolePolicy({
    accountId: vault.accountId,
    regions: vaultRegionsOf(config),
    sourceAccountIds: vaultSourceAccountsOf(config),
    lockDays: vault.lock?.days,
    deleteExpiredCopies: vault.retentionDays !== undefined,
  });
}

export interface ShareWithVaultProps {
  /** Regions the account's copies are in (its copy destination regions). */
  readonly destinationRegions: readonly string[];
  readonly vaultAccountId: string;
  /**
   * `snapshotCopy.vault.keepMemberCopy` is false: the account's copy is deleted once its vault copy
   * is locked.
   * @default false
   */
  readonly deleteMemberCopies?: boolean;
}

/**
 * What the account that owns a copy (a member role, or the central step role for the central
 * account's own copies) may do for the vault: add and remove `createVolumePermission` for the vault
 * account only (`ec2:Add/userId`, `ec2:Remove/userId`, which the Service Authorization Reference
 * lists for `ModifySnapshotAttribute`), never for a group (`ec2:Add/group` absent: `all` would make
 * it public), and only on the app's copies (provenance tag); with `keepMemberCopy: false`, delete
 * the app's copies.
 */
export function shareWithVaultStatements(props: ShareWithVaultProps): Statement[] {
  const snapshots = snapshotArns(props.destinationRegions);
  return [
    {
      Sid: 'ShareCopiesWithVaultOnly',
      Effect: 'Allow',
      Action: 'ec2:ModifySnapshotAttribute',
      Resource: snapshots,
      Condition: { StringEquals: { 'ec2:Add/userId': props.vaultAccountId }, Null: { 'ec2:Add/group': 'true' }, StringLike: provenanceTagged },
    },
    {
      Sid: 'UnshareCopiesFromVault',
      Effect: 'Allow',
      Action: 'ec2:ModifySnapshotAttribute',
      Resource: snapshots,
      Condition: { StringEquals: { 'ec2:Remove/userId': props.vaultAccountId }, StringLike: provenanceTagged },
    },
    ...(props.deleteMemberCopies
      ? [{ Sid: 'DeleteCopiesOnceVaulted', Effect: 'Allow', Action: 'ec2:DeleteSnapshot', Resource: snapshots, Condition: { StringLike: provenanceTagged } } satisfies Statement]
      : []),
  ];
}

/** The central step (and, with vault retention, sweep) role assumes the vault role: one ARN. */
export const assumeVaultRole = (vaultAccountId: string): Statement => ({
  Sid: 'AssumeVaultRole',
  Effect: 'Allow',
  Action: 'sts:AssumeRole',
  Resource: vaultRoleArn(vaultAccountId),
});

/** The vault role's description (IAM role descriptions: at most 1,000 characters). */
export const VAULT_ROLE_DESCRIPTION = `Assumed by the central ${PREFIX} copy step (and sweep) to copy shared member snapshots into this vault account, lock and expire them`;

/** The member copy roles of an account (the central step role too when the account is central). */
export const copyRoleArnsOf = (accountId: string, memberRoleName: string, centralStepRoleArn?: string): string[] =>
  uniqueSorted([roleArn(accountId, memberRoleName), ...(centralStepRoleArn ? [centralStepRoleArn] : [])]);
