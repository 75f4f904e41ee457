import { Construct } from 'constructs';
import { accountRootArn } from '../names';
import { policyDocument, type PolicyDocument } from '../policy/policy';
import { RoleWithPolicies } from '../policy/role-with-policies';
import { memberPermissionStatements, type CopyPermissionsProps } from '../policy/snapshot-copy-permissions';
import { shareWithVaultStatements, type ShareWithVaultProps } from '../policy/vault-permissions';

export interface SnapshotCopyRoleProps extends CopyPermissionsProps {
  readonly roleName: string;
  /**
   * The central roles that may assume this one: the copy step function's (copies) and, with
   * retention, the sweep function's (deletes expired copies). Nothing else.
   */
  readonly trustedRoleArns: readonly string[];
  /**
   * Vault mode: the role may share the app's copies with the vault account only (and, with
   * `keepMemberCopy: false`, delete them once vaulted): `shareWithVaultStatements`.
   * @default - no vault
   */
  readonly vault?: Omit<ShareWithVaultProps, 'destinationRegions'>;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/[\w+=,.@/-]+$/;

/**
 * Only the central copy-path roles may assume the member copy role, named by `aws:PrincipalArn`
 * (ArnEquals) under the central account's principal (`arn:aws:iam::<central>:root`), not as role
 * principals: IAM stores a role principal as the role's unique id when the policy is saved, so a
 * central role that is deleted and recreated (a rollback, a renamed stack) would no longer match in
 * any member until every member stack saved its trust policy again
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles).
 * `aws:PrincipalArn` is a global key "always included in the request context" of a signed request,
 * and for a role session it is the role's ARN, not the session's
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn):
 * it matches the recreated role by name. The account principal also means the central roles need
 * not exist when a member stack is applied. A central role still needs its own identity policy to
 * allow `sts:AssumeRole` (cross-account: both sides must allow).
 */
export function snapshotCopyRoleTrustPolicy(trustedRoleArns: readonly string[]): PolicyDocument {
  if (trustedRoleArns.length === 0) throw new Error('snapshotCopyRoleTrustPolicy: trustedRoleArns is empty; name the central roles that assume the member role');
  const accounts = new Set<string>();
  for (const arn of trustedRoleArns) {
    const account = ROLE_ARN.exec(arn)?.[1];
    if (!account) throw new Error(`snapshotCopyRoleTrustPolicy: trustedRoleArns ${JSON.stringify(arn)} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    accounts.add(account);
  }
  if (accounts.size !== 1) throw new Error(`snapshotCopyRoleTrustPolicy: trustedRoleArns ${JSON.stringify(trustedRoleArns)} are roles of ${accounts.size} accounts; they must all be the central account's`);
  return policyDocument('trust', [
    {
      Sid: 'CentralCopyFunctionsAssume',
      Effect: 'Allow',
      Principal: { AWS: accountRootArn([...accounts][0]!) },
      Action: 'sts:AssumeRole',
      Condition: { ArnEquals: { 'aws:PrincipalArn': trustedRoleArns.length === 1 ? trustedRoleArns[0]! : [...trustedRoleArns] } },
    },
  ]);
}

export const snapshotCopyRolePolicy = (props: CopyPermissionsProps & Pick<SnapshotCopyRoleProps, 'vault'>): PolicyDocument =>
  policyDocument('identity', [
    ...memberPermissionStatements(props),
    ...(props.vault ? shareWithVaultStatements({ ...props.vault, destinationRegions: props.destinationRegions }) : []),
  ]);

/**
 * The role the central functions assume to copy this account's snapshots in this account (and,
 * with retention, delete its expired copies): the copy stays with its owner, and no snapshot has to
 * be shared (snapshots under the default `aws/ebs` key cannot be shared at all).
 */
export class SnapshotCopyRole extends Construct {
  readonly role: RoleWithPolicies;
  readonly trustPolicy: PolicyDocument;
  readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: SnapshotCopyRoleProps) {
    super(scope, id);
    this.trustPolicy = snapshotCopyRoleTrustPolicy(props.trustedRoleArns);
    this.policy = snapshotCopyRolePolicy(props);
    this.role = new RoleWithPolicies(this, 'role', {
      roleName: props.roleName,
      description: 'Assumed by the central snapshot-copy functions to copy this account\'s snapshots to the DR region (and delete expired copies)',
      trustPolicy: this.trustPolicy,
      policies: { 'copy-snapshots': this.policy },
      maxSessionDuration: 3600,
    });
  }
}
