import { Testing, type TerraformStack } from 'cdktf';
import type { PolicyDocument } from '../../stacks/policy/policy';

/** A synthesized stack's Terraform JSON. */
export interface StackJson {
  readonly raw: string;
  readonly json: {
    resource?: Record<string, Record<string, Record<string, unknown>>>;
    provider?: Record<string, Record<string, unknown>[]>;
    output?: Record<string, Record<string, unknown>>;
    terraform?: Record<string, unknown>;
  };
}

export function synthStack(stack: TerraformStack): StackJson {
  const raw = Testing.synth(stack);
  return { raw, json: JSON.parse(raw) };
}

/** All resources of one Terraform type, in the order synthesized. */
export function resourcesOf(stack: StackJson, type: string): Record<string, unknown>[] {
  return Object.values(stack.json.resource?.[type] ?? {});
}

/** The one resource of `type` matching `where`, failing loudly when there is not exactly one. */
export function theResource(stack: StackJson, type: string, where: (r: Record<string, unknown>) => boolean = () => true): Record<string, unknown> {
  const found = resourcesOf(stack, type).filter(where);
  if (found.length !== 1) throw new Error(`expected exactly one ${type} matching, found ${found.length}`);
  return found[0]!;
}

/** Parses a policy (or pattern) attribute: they are literal JSON strings in the Terraform. */
export const parsed = <T = Record<string, unknown>>(value: unknown): T => JSON.parse(String(value)) as T;

/**
 * The inline policies of the role named `roleName`, by policy name: the `aws_iam_role_policy`
 * resources whose `role` references that role, with the names `aws_iam_role_policies_exclusive`
 * keeps (failing loudly when the two disagree).
 */
export function inlinePoliciesOf(stack: StackJson, roleName: string): Record<string, PolicyDocument> {
  const roles = stack.json.resource?.['aws_iam_role'] ?? {};
  const address = Object.entries(roles).find(([, r]) => r.name === roleName)?.[0];
  if (!address) throw new Error(`no aws_iam_role named ${roleName}`);
  const ref = `\${aws_iam_role.${address}.name}`;
  const policies = Object.values(stack.json.resource?.['aws_iam_role_policy'] ?? {}).filter((p) => p.role === ref);
  const exclusive = Object.values(stack.json.resource?.['aws_iam_role_policies_exclusive'] ?? {}).filter((p) => p.role_name === ref);
  if (exclusive.length !== 1) throw new Error(`role ${roleName}: expected one aws_iam_role_policies_exclusive, found ${exclusive.length}`);
  const kept = (exclusive[0]!.policy_names as string[]).length;
  if (kept !== policies.length) throw new Error(`role ${roleName}: ${policies.length} inline policies, but the exclusive resource keeps ${kept}`);
  return Object.fromEntries(policies.map((p) => [String(p.name), parsed<PolicyDocument>(p.policy)]));
}

/** The Terraform address (`type.name`) of the one resource of `type` matching `where`. */
export function addressOf(stack: StackJson, type: string, where: (r: Record<string, unknown>) => boolean = () => true): string {
  const found = Object.entries(stack.json.resource?.[type] ?? {}).filter(([, r]) => where(r));
  if (found.length !== 1) throw new Error(`expected exactly one ${type} matching, found ${found.length}`);
  return `${type}.${found[0]![0]}`;
}

/** The reference Terraform orders by: `${type.name.attribute}` of the one resource of `type` matching `where`. */
export const refTo = (stack: StackJson, type: string, attribute: string, where?: (r: Record<string, unknown>) => boolean): string =>
  `\${${addressOf(stack, type, where)}.${attribute}}`;
