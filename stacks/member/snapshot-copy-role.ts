import { Construct } from 'constructs';
import { policyDocument, type PolicyDocument } from '../policy/policy';
import { RoleWithPolicies } from '../policy/role-with-policies';
import { memberPermissionStatements, type CopyPermissionsProps } from '../policy/snapshot-copy-permissions';

export interface SnapshotCopyRoleProps extends CopyPermissionsProps {
  readonly roleName: string;
  /**
   * The central roles that may assume this one: the copy step function's (copies) and, with
   * retention, the sweep function's (deletes expired copies). Nothing else.
   */
  readonly trustedRoleArns: readonly string[];
}

/**
 * Only the central copy-path roles may assume the member copy role. IAM stores a role ARN principal
 * as that role's unique id when the policy is saved: the central roles must exist first (central is
 * rollout wave 0), and if one is deleted and recreated the member trust no longer admits it until
 * the member stack saves the policy again.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
 */
export function snapshotCopyRoleTrustPolicy(trustedRoleArns: readonly string[]): PolicyDocument {
  if (trustedRoleArns.length === 0) throw new Error('snapshotCopyRoleTrustPolicy: trustedRoleArns is empty; name the central roles that assume the member role');
  return policyDocument('trust', [
    {
      Sid: 'CentralCopyFunctionsAssume',
      Effect: 'Allow',
      Principal: { AWS: trustedRoleArns.length === 1 ? trustedRoleArns[0]! : [...trustedRoleArns] },
      Action: 'sts:AssumeRole',
    },
  ]);
}

export const snapshotCopyRolePolicy = (props: CopyPermissionsProps): PolicyDocument => policyDocument('identity', memberPermissionStatements(props));

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
