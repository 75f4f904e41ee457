/**
 * Guardrails on the Terraform itself, as thin wrappers over the pure whole-stack checks in
 * `stacks/checks/` (one implementation each; these only report their findings per resource):
 * - deprecated provider arguments (`stacks/checks/deprecated-arguments.ts`, each with its source
 *   in hashicorp/aws 6.25.0), and resource types nobody looked up yet;
 * - a resource that names another of its stack by a literal string without a reference or
 *   `depends_on`, so Terraform may create it first (`stacks/checks/literal-references.ts`);
 * - a policy over AWS's size limit for its kind, or not literal JSON so its size cannot be known
 *   (`stacks/checks/policy-sizes.ts`, limits and their pages in `stacks/policy/policy-limits.ts`).
 */
import { findDeprecatedArguments } from '../checks/deprecated-arguments';
import { findLiteralReferences } from '../checks/literal-references';
import { findOversizedPolicies } from '../checks/policy-sizes';
import { POLICY_LIMITS } from '../policy/policy-limits';
import { stackCheckRule } from './stack-check';
import type { GuardrailRule } from './types';

export const deprecatedArgument: GuardrailRule = stackCheckRule({
  id: 'deprecated-argument',
  description: 'No resource sets an argument the provider (hashicorp/aws 6.25) deprecates, and every resource type has been checked for deprecations',
  fix: 'use the replacement named in the message (or add the resource type to stacks/checks/deprecated-arguments.ts with its source)',
  find: (stack) => findDeprecatedArguments(stack),
  addressOf: (f) => f.resource,
  message: (f) => `${f.argument}: ${f.message}`,
});

export const literalReference: GuardrailRule = stackCheckRule({
  id: 'literal-reference',
  description: 'A resource that uses another of its stack references it (or lists it in depends_on), so Terraform creates them in order',
  fix: 'pass the other resource\'s attribute (bus.name, queue.arn) instead of the literal, or add it to dependsOn',
  find: (stack) => findLiteralReferences(stack),
  addressOf: (f) => f.resource,
  message: (f) => `${f.attribute} names ${f.names} by the literal "${f.literal}", without a reference or depends_on: Terraform may create this first`,
});

export const policyTooLarge: GuardrailRule = stackCheckRule({
  id: 'policy-too-large',
  description: "A policy fits AWS's size limit for its kind (a role's inline policies together fit 10,240 characters)",
  fix: 'shrink the policy: merge statements, use an organization condition instead of listing accounts, or split it across resources',
  find: (stack) => findOversizedPolicies(stack),
  addressOf: (f) => f.resource,
  message: (f) =>
    f.size === undefined
      ? `the ${POLICY_LIMITS[f.limit].what} is not literal JSON: its size cannot be checked`
      : `the ${POLICY_LIMITS[f.limit].what} takes ${f.size}; AWS allows ${f.max} (${POLICY_LIMITS[f.limit].source})`,
});

export const TERRAFORM_RULES: readonly GuardrailRule[] = [deprecatedArgument, literalReference, policyTooLarge];
