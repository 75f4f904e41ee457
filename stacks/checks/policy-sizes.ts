/**
 * Policies over AWS's size limits in a synthesized stack (`cdk.tf.json`): every policy argument of
 * the resource types that carry one, and the inline policies of each role added up. The constructs
 * check their own policies where they build them (`assertPolicyFits`); this pure function checks
 * the Terraform as written, whichever construct wrote it, for the tests and a synth guardrail.
 */
import { POLICY_LIMITS, policySize, type PolicyLimitName } from '../policy-limits';

/** Which argument of which resource type holds a policy, and its limit. */
export const POLICY_ARGUMENTS: readonly { readonly type: string; readonly argument: string; readonly limit: PolicyLimitName }[] = [
  { type: 'aws_sqs_queue', argument: 'policy', limit: 'sqsQueuePolicy' },
  { type: 'aws_sqs_queue_policy', argument: 'policy', limit: 'sqsQueuePolicy' },
  { type: 'aws_sns_topic_policy', argument: 'policy', limit: 'snsTopicPolicy' },
  { type: 'aws_cloudwatch_event_bus_policy', argument: 'policy', limit: 'eventBusPolicy' },
  { type: 'aws_cloudwatch_log_resource_policy', argument: 'policy_document', limit: 'logResourcePolicy' },
  { type: 'aws_kms_key', argument: 'policy', limit: 'kmsKeyPolicy' },
  { type: 'aws_iam_role', argument: 'assume_role_policy', limit: 'roleTrustPolicy' },
];

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
  for (const { type, argument, limit } of POLICY_ARGUMENTS) {
    for (const [name, body] of Object.entries(resources[type] ?? {})) {
      if (body[argument] !== undefined) check(`${type}.${name}`, limit, [body[argument]]);
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
