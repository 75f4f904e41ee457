/**
 * The read-only plan role (`deployment.planRoleName`): what the providers assume when the app is
 * synthesized for planning (`EBS_EVENT_HUB_ROLE=plan`, the PR workflow). Every stack creates it in
 * its account when `deployment.planPrincipalArns` names the CI principals that may assume it, so
 * the first deploy (with the deployment role) bootstraps planning; until then a plan cannot assume
 * it (README, "Deployment identity").
 */
import { Construct } from 'constructs';
import type { OrgConfig } from '../config/schema';
import { planRolePolicy, type DeploymentTarget } from './policy/deployment-role-policy';
import { accountRootArn, CENTRAL_STACK_ID, vaultStackId } from './names';
import { policyDocument, type PolicyDocument } from './policy/policy';
import { RoleWithPolicies } from './policy/role-with-policies';

/**
 * Trusts each principal's account root, admitting only the named roles by `aws:PrincipalArn`
 * (ArnEquals): IAM stores a role principal as its unique id, so a role ARN principal stops matching
 * when the CI role is deleted and recreated, while `aws:PrincipalArn` on the account root survives
 * it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles).
 * `aws:PrincipalArn` of a role session is the role's ARN
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 */
export function planRoleTrustPolicy(principalArns: readonly string[]): PolicyDocument {
  if (principalArns.length === 0) throw new Error('planRoleTrustPolicy: principalArns is empty; name the CI roles that plan');
  const roots = [...new Set(principalArns.map((arn) => accountRootArn(arn.split(':')[4]!)))];
  return policyDocument('trust', [
    {
      Sid: 'PlanPrincipalsAssume',
      Effect: 'Allow',
      Principal: { AWS: roots.length === 1 ? roots[0]! : roots },
      Action: 'sts:AssumeRole',
      Condition: { ArnEquals: { 'aws:PrincipalArn': [...principalArns] } },
    },
  ]);
}

/**
 * The plan policies a stack's plan role needs, by inline policy name: `central` reads the central
 * stack and, when the central account is also a member, the member stack there too (one role per
 * account: the member stack of the central account creates none). Empty: this stack creates no
 * plan role (no principals configured, or the central stack's role covers this account).
 */
export function planRolePoliciesFor(config: OrgConfig, stackId: string, accountId: string): Record<string, PolicyDocument> {
  if (!config.deployment.planPrincipalArns) return {};
  const centralIsMember = config.members.some((m) => m.accountId === config.central.accountId);
  let targets: DeploymentTarget[];
  if (stackId === CENTRAL_STACK_ID) targets = centralIsMember ? ['central', 'member'] : ['central'];
  // The vault account is neither central nor a member (config/schema.ts): its stack is its own.
  else if (config.snapshotCopy?.vault && stackId === vaultStackId(config.snapshotCopy.vault.accountId)) targets = ['vault'];
  else targets = accountId === config.central.accountId ? [] : ['member'];
  return Object.fromEntries(targets.map((t) => [`read-${t}`, planRolePolicy(config, t)]));
}

export interface PlanRoleProps {
  readonly roleName: string;
  /** IAM role ARNs that may assume it (`deployment.planPrincipalArns`). */
  readonly principalArns: readonly string[];
  /** Inline policies by name: `planRolePoliciesFor`. At least one. */
  readonly policies: Readonly<Record<string, PolicyDocument>>;
}

/** The plan role in one account: the trust of `planRoleTrustPolicy`, the read-only policies inline. */
export class PlanRole extends Construct {
  readonly role: RoleWithPolicies;
  readonly trustPolicy: PolicyDocument;

  constructor(scope: Construct, id: string, props: PlanRoleProps) {
    super(scope, id);
    this.trustPolicy = planRoleTrustPolicy(props.principalArns);
    this.role = new RoleWithPolicies(this, 'role', {
      roleName: props.roleName,
      description: 'Read-only: assumed by CI to plan ebs-event-hub (EBS_EVENT_HUB_ROLE=plan); reads what the stacks manage and their state',
      trustPolicy: this.trustPolicy,
      policies: props.policies,
    });
  }
}
