import { Construct } from 'constructs';
import { policyDocument, type PolicyDocument } from '../policy';
import { RoleWithPolicies } from '../role-with-policies';
import { copyPermissionStatements, type CopyPermissionsProps } from '../snapshot-copy-permissions';

export interface SnapshotCopyRoleProps extends CopyPermissionsProps {
  readonly roleName: string;
  /** The central copy function's role: the only principal that may assume this one. */
  readonly functionRoleArn: string;
}

/** Only the central function's role may assume the member copy role. */
export function snapshotCopyRoleTrustPolicy(functionRoleArn: string): PolicyDocument {
  return policyDocument('trust', [
    { Sid: 'CentralCopyFunctionAssumes', Effect: 'Allow', Principal: { AWS: functionRoleArn }, Action: 'sts:AssumeRole' },
  ]);
}

export const snapshotCopyRolePolicy = (props: CopyPermissionsProps): PolicyDocument => policyDocument('identity', copyPermissionStatements(props));

/**
 * The role the central function assumes to copy this account's snapshots in this account: the
 * copy stays with its owner, and no snapshot has to be shared (snapshots under the default
 * `aws/ebs` key cannot be shared at all).
 */
export class SnapshotCopyRole extends Construct {
  readonly role: RoleWithPolicies;
  readonly trustPolicy: PolicyDocument;
  readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: SnapshotCopyRoleProps) {
    super(scope, id);
    this.trustPolicy = snapshotCopyRoleTrustPolicy(props.functionRoleArn);
    this.policy = snapshotCopyRolePolicy(props);
    this.role = new RoleWithPolicies(this, 'role', {
      roleName: props.roleName,
      description: 'Assumed by the central snapshot-copy function to copy this account\'s snapshots to the DR region',
      trustPolicy: this.trustPolicy,
      policies: { 'copy-snapshots': this.policy },
      maxSessionDuration: 3600,
    });
  }
}
