/**
 * Policies over AWS's size limits in a synthesized stack (`cdk.tf.json`): every policy argument of
 * the resource types that carry one, and the inline policies of each role added up. The constructs
 * check their own policies where they build them (`assertPolicyFits`); this pure function checks
 * the Terraform as written, whichever construct wrote it, for the tests and a synth guardrail.
 */
import { POLICY_LOCATIONS } from '../guardrails/policy-documents';
import { POLICY_LIMITS, policySize, type PolicyLimitName } from '../policy/policy-limits';

export interface PolicySizeFinding {
  /** `type.name`, or for a role's inline policies together, the role's address. */
  readonly resource: string;
  readonly limit: PolicyLimitName;
  /** The size, or undefined when the policy is not literal JSON (it holds a `${…}` reference). */
  readonly size?: number;
  readonly max: number;
}

type Resources = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;

/** Policies over their limit, and policies whose size cannot be known at synth (not literal). */
export function findOversizedPolicies(stack: { readonly resource?: Resources }): PolicySizeFinding[] {
  const resources = stack.resource ?? {};
  const findings: PolicySizeFinding[] = [];
  const check = (resource: string, limit: PolicyLimitName, texts: readonly unknown[]) => {
    const max = POLICY_LIMITS[limit].max;
    if (texts.some((t) => typeof t !== 'string' || t.includes('${'))) {
      findings.push({ resource, limit, max });
      return;
    }
    const size = texts.reduce<number>((sum, t) => sum + policySize(t as string, POLICY_LIMITS[limit]), 0);
    if (size > max) findings.push({ resource, limit, size, max });
  };
  // Each document with a limit of its own (POLICY_LOCATIONS, the one table of where policies live).
  for (const { type, attribute, limit } of POLICY_LOCATIONS) {
    if (!limit) continue;
    for (const [name, body] of Object.entries(resources[type] ?? {})) {
      if (body[attribute] !== undefined) check(`${type}.${name}`, limit, [body[attribute]]);
    }
  }
  // Inline policies count against their role together: group aws_iam_role_policy by `role`.
  const byRole = new Map<string, unknown[]>();
  for (const body of Object.values(resources['aws_iam_role_policy'] ?? {})) {
    const role = String(body.role);
    byRole.set(role, [...(byRole.get(role) ?? []), body.policy]);
  }
  for (const [role, policies] of byRole) {
    const address = /^\$\{(aws_iam_role\.[\w-]+)\.(?:name|id)\}$/.exec(role)?.[1] ?? role;
    check(address, 'roleInlinePolicies', policies);
  }
  return findings;
}
