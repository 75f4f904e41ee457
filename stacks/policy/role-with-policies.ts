import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePoliciesExclusive } from '@cdktf/provider-aws/lib/iam-role-policies-exclusive';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { renderPolicy, type PolicyDocument } from './policy';
import { assertPolicyFits, POLICY_LIMITS } from './policy-limits';

/**
 * IAM's quota on a role's inline policies: their total size, whitespace not counted.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */
export const ROLE_INLINE_POLICIES_MAX_CHARS = POLICY_LIMITS.roleInlinePolicies.max;

/** The inline policies of a role would exceed IAM's size quota. */
export class RolePolicyTooLargeError extends Error {
  override readonly name = 'RolePolicyTooLargeError';
}

/** Characters IAM counts for a policy: its JSON without whitespace outside strings. */
export const iamPolicySize = (doc: PolicyDocument): number => renderPolicy(doc).length;

export interface RoleWithPoliciesProps {
  /** Role name: 1-64 of `[\w+=,.@-]`. */
  readonly roleName: string;
  readonly description: string;
  /** Who may assume the role. */
  readonly trustPolicy: PolicyDocument;
  /** Inline policies by name (1-128 of `[\w+=,.@-]`). At least one. */
  readonly policies: Readonly<Record<string, PolicyDocument>>;
  /** @default 3600 (IAM's default) */
  readonly maxSessionDuration?: number;
  /**
   * Advice appended to the size error, naming the config change that shrinks the policy.
   * @default - none
   */
  readonly sizeHint?: string;
}

/**
 * An IAM role with its inline policies as separate `aws_iam_role_policy` resources, and
 * `aws_iam_role_policies_exclusive` so Terraform removes inline policies added out of band.
 *
 * Not `aws_iam_role.inline_policy`: deprecated since hashicorp/aws 5.68 (plan prints a warning):
 * https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/iam_role#inline_policy
 * Each policy references `role.name`, so it is created after the role; the exclusive resource
 * references the policies' names through them, so it is created after them.
 */
export class RoleWithPolicies extends Construct {
  readonly role: IamRole;
  readonly policies: readonly IamRolePolicy[];

  constructor(scope: Construct, id: string, props: RoleWithPoliciesProps) {
    super(scope, id);
    const names = Object.keys(props.policies);
    if (names.length === 0) throw new Error(`RoleWithPolicies ${props.roleName}: policies is empty; give the role at least one inline policy`);
    for (const name of names) {
      if (!/^[\w+=,.@-]{1,128}$/.test(name)) throw new Error(`RoleWithPolicies ${props.roleName}: policy name ${JSON.stringify(name)} is not 1-128 characters of A-Z a-z 0-9 + = , . @ _ -`);
    }
    const total = Object.values(props.policies).reduce((sum, doc) => sum + iamPolicySize(doc), 0);
    if (total > ROLE_INLINE_POLICIES_MAX_CHARS) {
      throw new RolePolicyTooLargeError(
        `role ${props.roleName}: its inline policies take ${total} characters; IAM allows ${ROLE_INLINE_POLICIES_MAX_CHARS} per role` +
          (props.sizeHint ? `. ${props.sizeHint}` : ''),
      );
    }
    assertPolicyFits('roleTrustPolicy', props.trustPolicy, `role ${props.roleName}`);
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: renderPolicy(props.trustPolicy),
      ...(props.maxSessionDuration ? { maxSessionDuration: props.maxSessionDuration } : {}),
    });
    this.policies = names.map(
      (name) => new IamRolePolicy(this, `policy-${name}`, { name, role: this.role.name, policy: renderPolicy(props.policies[name]!) }),
    );
    new IamRolePoliciesExclusive(this, 'exclusive', {
      roleName: this.role.name,
      policyNames: this.policies.map((p) => p.name),
    });
  }
}
