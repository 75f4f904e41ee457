/**
 * Policies as found in synthesized Terraform (any shape AWS accepts, not only what `policy.ts`
 * builds): the readers shared by the condition-keys table (`context-keys.ts`), the guardrails
 * (`stacks/guardrails/`) and the review report's policy diff. Plain functions over plain data, no
 * imports: everything that reads a policy may depend on this file, and it on nothing.
 */

/** A found policy's kind: identity (a role's), resource (bus, queue, topic, log), trust (a role's assume-role policy), key (KMS). */
export type PolicyKind = 'identity' | 'resource' | 'trust' | 'key';

/** A statement as found in a synthesized policy (any shape AWS accepts). */
export interface RawStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export const asList = <T>(v: T | readonly T[] | undefined | null): readonly T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T]);

/** Parses a literal policy; undefined for a reference or an interpolation (not knowable at synth). */
export function parsePolicy(text: unknown): readonly RawStatement[] | undefined {
  if (typeof text !== 'string' || text.includes('${')) return undefined;
  try {
    const doc = JSON.parse(text) as { Statement?: RawStatement | RawStatement[] };
    return asList(doc.Statement);
  } catch {
    return undefined;
  }
}

/** Principals of a statement as `kind:value` strings (`*` for the anonymous wildcard). */
export function principalsOf(principal: unknown): string[] {
  if (principal === undefined || principal === null) return [];
  if (principal === '*') return ['*'];
  if (typeof principal !== 'object') return [String(principal)];
  const out: string[] = [];
  for (const [kind, values] of Object.entries(principal as Record<string, unknown>)) {
    for (const v of asList(values as string | string[])) out.push(v === '*' ? '*' : `${kind}:${v}`);
  }
  return out;
}
