/**
 * What changes between two syntheses: stacks added, removed and changed; per changed stack,
 * resources added, removed and changed (by Terraform address, with the changed attributes, the
 * ones that force replacement named), and every policy change as statements.
 */
import { readFileSync } from 'node:fs';
import { checkStackJson, resourcesOf, type StackJson, type Suppression, type SynthResource } from '../../stacks/guardrails';
import { parsePolicy } from '../../stacks/policy/found-policy';
import { POLICY_LOCATIONS } from '../../stacks/guardrails/policy-documents';
import { forcesReplacement } from './force-new';
import { readStack, type SynthOutput } from './load';
import { diffStatements, type StatementChange } from './policy-diff';

export interface AttributeChange {
  readonly attribute: string;
  readonly before: string;
  readonly after: string;
}

export interface ResourceRef {
  readonly address: string;
  readonly path: string;
}

export interface ResourceChange extends ResourceRef {
  readonly attributes: readonly AttributeChange[];
  /** Changed arguments the provider replaces the resource for (empty: updated in place). */
  readonly replacedFor: readonly string[];
}

export interface PolicyChange {
  readonly address: string;
  readonly label: string;
  readonly attribute: string;
  /** The resource is new (statements listed, nothing to widen). */
  readonly newPolicy: boolean;
  readonly statements: readonly StatementChange[];
}

export interface Widening {
  readonly stack: string;
  readonly address: string;
  readonly policy: string;
  readonly sid: string;
  readonly reasons: readonly string[];
}

export interface StackDiff {
  readonly id: string;
  readonly status: 'added' | 'removed' | 'changed';
  readonly added: readonly ResourceRef[];
  readonly removed: readonly ResourceRef[];
  readonly changed: readonly ResourceChange[];
  readonly policyChanges: readonly PolicyChange[];
  readonly widenings: readonly Widening[];
  /** Changes outside resources (provider, terraform, output blocks), by attribute path. */
  readonly otherChanges: readonly AttributeChange[];
  /** Resource count by type after the change (before, for a removed stack). */
  readonly resourceTypes: Readonly<Record<string, number>>;
}

export interface OutputDiff {
  readonly addedStacks: readonly string[];
  readonly removedStacks: readonly string[];
  readonly changedStacks: readonly string[];
  readonly unchangedStacks: number;
  readonly stacks: readonly StackDiff[];
  /** Suppressions in the head, every stack. */
  readonly suppressions: readonly Suppression[];
}

/** Shown instead of two JSON strings: the statement diff says what changed. */
export const POLICY_PLACEHOLDER = '(policy document)';

const withoutMeta = (config: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const { '//': _meta, ...rest } = config;
  return rest;
};

const show = (v: unknown): string => {
  if (v === undefined) return '(unset)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
};

/** Attribute paths that differ (objects recursed into, lists and scalars compared whole). */
export function changedAttributes(before: unknown, after: unknown, prefix = ''): AttributeChange[] {
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedAttributes(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ attribute: prefix, before: show(before), after: show(after) }];
}

const counts = (resources: readonly SynthResource[]): Record<string, number> => {
  const c: Record<string, number> = {};
  for (const r of resources) c[r.type] = (c[r.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(c).sort(([a], [b]) => a.localeCompare(b)));
};

function policyChangesOf(before: SynthResource | undefined, after: SynthResource | undefined): PolicyChange[] {
  const type = (after ?? before)!.type;
  const out: PolicyChange[] = [];
  for (const location of POLICY_LOCATIONS.filter((l) => l.type === type)) {
    const b = before ? parsePolicy(before.config[location.attribute]) : undefined;
    const a = after ? parsePolicy(after.config[location.attribute]) : undefined;
    if (!b && !a) continue;
    if (before && after && JSON.stringify(b) === JSON.stringify(a)) continue;
    const statements = before && !after ? diffStatements(b, []) : diffStatements(before ? b : undefined, a);
    if (statements.length) out.push({ address: (after ?? before)!.address, label: location.label, attribute: location.attribute, newPolicy: !before, statements });
  }
  return out;
}

/** Diff of one stack; `before` or `after` undefined for an added or removed stack. */
export function diffStack(id: string, before: StackJson & Record<string, unknown> | undefined, after: StackJson & Record<string, unknown> | undefined): StackDiff {
  const b = new Map((before ? resourcesOf(before) : []).map((r) => [r.address, r]));
  const a = new Map((after ? resourcesOf(after) : []).map((r) => [r.address, r]));
  const added: ResourceRef[] = [];
  const removed: ResourceRef[] = [];
  const changed: ResourceChange[] = [];
  const policyChanges: PolicyChange[] = [];
  for (const [address, r] of a) {
    const old = b.get(address);
    if (!old) {
      added.push({ address, path: r.path });
      policyChanges.push(...policyChangesOf(undefined, r));
      continue;
    }
    const policyAttributes = POLICY_LOCATIONS.filter((l) => l.type === r.type).map((l) => l.attribute);
    const attributes = changedAttributes(withoutMeta(old.config), withoutMeta(r.config));
    const suppressionChanges = changedAttributes((old.config['//'] as { guardrails?: unknown })?.guardrails, (r.config['//'] as { guardrails?: unknown })?.guardrails, '//guardrails');
    if (attributes.length === 0 && suppressionChanges.length === 0) continue;
    const policies = policyChangesOf(old, r);
    policyChanges.push(...policies);
    changed.push({
      address,
      path: r.path,
      // A policy attribute is shown as its statement diff, not as two JSON strings.
      attributes: [...attributes.map((c) => (policyAttributes.includes(c.attribute) ? { ...c, before: POLICY_PLACEHOLDER, after: POLICY_PLACEHOLDER } : c)), ...suppressionChanges],
      replacedFor: forcesReplacement(r.type, attributes.map((c) => c.attribute)),
    });
  }
  for (const [address, r] of b) {
    if (a.has(address)) continue;
    removed.push({ address, path: r.path });
    if (after) policyChanges.push(...policyChangesOf(r, undefined));
  }
  const blocks = (tf: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(tf ?? {}).filter(([k]) => k !== 'resource' && k !== '//'));
  const otherChanges = before && after ? changedAttributes(blocks(before), blocks(after)) : [];
  const widenings: Widening[] = policyChanges.flatMap((p) => p.statements.filter((s) => s.widening.length > 0).map((s) => ({ stack: id, address: p.address, policy: p.label, sid: s.sid, reasons: s.widening })));
  return {
    id,
    status: !before ? 'added' : !after ? 'removed' : 'changed',
    added,
    removed,
    changed,
    // A removed stack's policies go with it: listed as destroyed resources, not statement by statement.
    policyChanges: after ? policyChanges : [],
    widenings,
    otherChanges,
    resourceTypes: counts([...(after ? a : b).values()]),
  };
}

/** Compares two outputs, parsing only stacks whose bytes differ. */
export function diffOutputs(base: SynthOutput, head: SynthOutput): OutputDiff {
  const addedStacks = [...head.hashes.keys()].filter((id) => !base.hashes.has(id));
  const removedStacks = [...base.hashes.keys()].filter((id) => !head.hashes.has(id));
  const common = [...head.hashes.keys()].filter((id) => base.hashes.has(id));
  const changedStacks = common.filter((id) => base.hashes.get(id) !== head.hashes.get(id));
  const stacks = [
    ...addedStacks.map((id) => diffStack(id, undefined, readStack(head, id))),
    ...removedStacks.map((id) => diffStack(id, readStack(base, id), undefined)),
    ...changedStacks.map((id) => diffStack(id, readStack(base, id), readStack(head, id))),
  ];
  return { addedStacks, removedStacks, changedStacks, unchangedStacks: common.length - changedStacks.length, stacks, suppressions: suppressionsOf(head) };
}

/** Suppressions recorded in the head's stacks (only files that mention one are parsed). */
export function suppressionsOf(output: SynthOutput): Suppression[] {
  const out: Suppression[] = [];
  for (const [id, file] of output.files) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('"guardrails"')) continue;
    out.push(...checkStackJson(id, JSON.parse(text) as StackJson, { rules: [] }).suppressions);
  }
  return out;
}
