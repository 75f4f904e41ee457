import { Testing, type TerraformStack } from 'cdktf';

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
