/**
 * Guardrails on the Terraform itself: deprecated provider arguments, and resources that name
 * another resource of their stack by a literal string (Terraform then does not order them).
 *
 * Minimal versions written for the guardrails; the i6-terraform helper writes fuller pure checks
 * in `stacks/checks/`: when both exist, these should call those.
 */
import type { GuardrailRule, SynthResource } from './types';
import { references } from './resilience-rules';

/**
 * Deprecated arguments of hashicorp/aws 6.25 this app could plausibly write:
 * - aws_iam_role.inline_policy and managed_policy_arns: deprecated since 5.68
 *   https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/iam_role
 * - aws_cloudwatch_event_rule.is_enabled: "is_enabled is deprecated. Use state instead."
 *   (internal/service/events/rule.go, resourceRule schema)
 */
export const DEPRECATED_ARGUMENTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  aws_iam_role: {
    inline_policy: 'use aws_iam_role_policy and aws_iam_role_policies_exclusive (stacks/role-with-policies.ts)',
    managed_policy_arns: 'use aws_iam_role_policy_attachment and aws_iam_role_policy_attachments_exclusive',
  },
  aws_cloudwatch_event_rule: { is_enabled: 'use state = "ENABLED" or "DISABLED"' },
};

export const deprecatedArgument: GuardrailRule = {
  id: 'deprecated-argument',
  description: 'No resource sets an argument the provider (hashicorp/aws 6.25) deprecates',
  fix: 'use the replacement named in the message',
  appliesTo: Object.keys(DEPRECATED_ARGUMENTS),
  check: ({ type, config }) =>
    Object.entries(DEPRECATED_ARGUMENTS[type] ?? {})
      .filter(([arg]) => config[arg] !== undefined)
      .map(([arg, instead]) => `${type}.${arg} is deprecated: ${instead}`),
};

/**
 * Arguments never checked: the resource's own names and free text, policy documents (they name
 * principals and resources AWS evaluates at request time; a DLQ policy naming the rules that
 * target it cannot reference them without a cycle), a dead-letter queue's `redrive_allow_policy`
 * (the other direction would be a cycle), alarm dimensions and function environments (data, not
 * a use at create time).
 */
const EXEMPT_ARGUMENTS = new Set([
  'name', 'name_prefix', 'function_name', 'description', 'alarm_name', 'alarm_description', 'policy_name', 'target_id', 'tags', 'tags_all', 'region',
  '//', 'depends_on', 'provider', 'lifecycle', 'policy', 'assume_role_policy', 'policy_document', 'redrive_allow_policy', 'dimensions', 'environment',
]);

/** ARN service of the resources of a Terraform type. */
const ARN_SERVICE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^aws_cloudwatch_event_/, 'events'],
  [/^aws_sqs_/, 'sqs'],
  [/^aws_sns_/, 'sns'],
  [/^aws_cloudwatch_log_/, 'logs'],
  [/^aws_lambda_/, 'lambda'],
  [/^aws_iam_/, 'iam'],
  [/^aws_kms_/, 'kms'],
  [/^aws_sfn_/, 'states'],
];

/** The literal name a resource is known by, when it has one. */
const literalName = (r: SynthResource): string | undefined => {
  const n = r.config.function_name ?? r.config.name;
  return typeof n === 'string' && n.length >= 3 && !n.includes('${') ? n : undefined;
};

/**
 * Whether a literal string names `other`: its name exactly (arguments of name form), or an ARN of
 * its service, in its region (when it sets one), ending with its name.
 */
function namesResource(value: string, other: SynthResource, name: string): boolean {
  if (!value.startsWith('arn:')) return value === name;
  const [, , service, region] = value.split(':');
  const expected = ARN_SERVICE.find(([re]) => re.test(other.type))?.[1];
  if (!expected || service !== expected) return false;
  if (typeof other.config.region === 'string' && region !== '' && region !== other.config.region) return false;
  return value.endsWith(`:${name}`) || value.endsWith(`/${name}`);
}

function literalStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (!value.includes('${')) out.push(value);
  } else if (Array.isArray(value)) value.forEach((v) => literalStrings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => literalStrings(v, out));
  return out;
}

export const literalReference: GuardrailRule = {
  id: 'literal-reference',
  description: 'A resource that names another resource of its stack by a literal string also references it or lists it in depends_on',
  fix: "pass the other resource's attribute (e.g. bus.name, queue.arn) instead of the string, or add it to dependsOn",
  appliesTo: 'all',
  check(resource, context) {
    const problems: string[] = [];
    const dependsOn = (resource.config.depends_on as string[] | undefined) ?? [];
    for (const [arg, value] of Object.entries(resource.config)) {
      if (EXEMPT_ARGUMENTS.has(arg)) continue;
      const strings = literalStrings(value);
      if (strings.length === 0) continue;
      for (const other of context.resources.values()) {
        if (other.address === resource.address) continue;
        const name = literalName(other);
        if (!name || !strings.some((s) => namesResource(s, other, name))) continue;
        if (dependsOn.includes(other.address) || references(resource.config, other.address)) continue;
        problems.push(`${arg} names ${other.address} ("${name}") by a literal string, without a reference or depends_on: Terraform may create this first`);
      }
    }
    return problems;
  },
};

export const TERRAFORM_RULES: readonly GuardrailRule[] = [deprecatedArgument];

/**
 * Rules written and tested, not yet run at synth: the app on this branch still names the central
 * bus, topic and queues by literal strings (fixed on the i6-terraform branch, which also brings a
 * fuller pure check, `stacks/checks/literal-references.ts`). After merging it, move
 * `literalReference` into TERRAFORM_RULES (or wrap `findLiteralReferences` there).
 */
export const PENDING_RULES: readonly GuardrailRule[] = [literalReference];
