/**
 * What changes between two syntheses: stacks added, removed and changed; per changed stack,
 * resources added, removed and changed (by Terraform address, with the changed attributes and
 * the ones that force replacement, directly or through a reference to a value that changes),
 * and every policy change as statements.
 */
import { readFileSync } from 'node:fs';
import { checkStackJson, resourcesOf, type StackJson, type Suppression, type SynthResource } from '../../stacks/guardrails';
import { parsePolicy } from '../../stacks/policy/found-policy';
import { POLICY_LOCATIONS } from '../../stacks/guardrails/policy-documents';
import { describeReason, DESTROY_CONSEQUENCES, knownType, leafChanges, META_ARGUMENTS, referencesIn, replacementReasons, type LeafChange } from './force-new';
import { diffJson, diffStateMachine, parseJsonDocument, STATE_MACHINE_DEFINITIONS, type JsonChange, type StateMachineDiff } from './json-diff';
import { readStack, type SynthOutput } from './load';
import { diffPolicies, type StatementChange } from './policy-diff';

export interface AttributeChange {
  readonly attribute: string;
  readonly before: string;
  readonly after: string;
  /** The literal is unchanged, but it refers to a value that changes (Terraform plans the new one). */
  readonly via?: string;
  /** A JSON document held as a string: what changed inside it. */
  readonly json?: readonly JsonChange[];
  /** A state machine definition: the states added, removed and changed. */
  readonly stateMachine?: StateMachineDiff;
}

export interface ResourceRef {
  readonly address: string;
  readonly path: string;
}

/** A destroyed resource, with what destroying it loses. */
export interface DestroyedResource extends ResourceRef {
  /** In words, for the types whose destruction loses something (DESTROY_CONSEQUENCES). */
  readonly loses?: string;
  readonly dataLoss?: boolean;
}

export interface ConditionalReplacement {
  readonly attribute: string;
  /** The condition, as the provider source states it. */
  readonly condition: string;
}

export interface ResourceChange extends ResourceRef {
  readonly attributes: readonly AttributeChange[];
  /** Changed arguments the provider replaces the resource for (empty: updated in place). */
  readonly replacedFor: readonly string[];
  /** Changed arguments that replace it only under a condition the plan decides. */
  readonly mayBeReplacedFor: readonly ConditionalReplacement[];
  /** What the replacement destroys, in words (replaced, or maybe replaced, resources of DESTROY_CONSEQUENCES types). */
  readonly loses?: string;
  readonly dataLoss?: boolean;
  /** The type has no entry in the ForceNew table: whether it is replaced is the plan's to say. */
  readonly unknownType?: true;
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
  readonly removed: readonly DestroyedResource[];
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
  readonly unchangedStacks: readonly string[];
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

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Attribute paths that differ (objects recursed into, lists and scalars compared whole). A string
 * holding a JSON document on both sides carries what changed inside it (`json`).
 */
export function changedAttributes(before: unknown, after: unknown, prefix = ''): AttributeChange[] {
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedAttributes(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const change: AttributeChange = { attribute: prefix, before: show(before), after: show(after) };
  const b = parseJsonDocument(before);
  const a = parseJsonDocument(after);
  return [b && a ? { ...change, json: diffJson(b, a) } : change];
}

const counts = (resources: Iterable<SynthResource>): Record<string, number> => {
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
    const statements = before && !after ? diffPolicies(b, []) : diffPolicies(before ? b : undefined, a);
    if (statements.length) out.push({ address: (after ?? before)!.address, label: location.label, attribute: location.attribute, newPolicy: !before, statements });
  }
  return out;
}

/** The region of each provider configuration of a stack: `aws` (default) and `aws.<alias>`. */
function providerRegions(stack: Record<string, unknown> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const aws = (stack?.provider as { aws?: Array<{ alias?: string; region?: string }> } | undefined)?.aws ?? [];
  for (const p of aws) if (typeof p.region === 'string') out.set(p.alias ? `aws.${p.alias}` : 'aws', p.region);
  return out;
}

interface PlannedChange {
  readonly leaves: readonly LeafChange[];
  readonly certain: readonly string[];
  readonly conditional: readonly ConditionalReplacement[];
}

/**
 * What Terraform plans for every resource present on both sides: its changed leaves (literal, or
 * through a reference to a value that changes) and why it is replaced. Iterated to a fixed point:
 * a replaced resource changes every computed attribute others refer to, which may replace them.
 */
function planChanges(b: ReadonlyMap<string, SynthResource>, a: ReadonlyMap<string, SynthResource>, regions: ReadonlyMap<string, string>): Map<string, PlannedChange> {
  const planned = new Map<string, PlannedChange>();
  const replaced = new Set<string>();
  /** Why `address.attribute` has another value after this change, if it does. */
  const changedValue = (address: string, attribute: string): string | undefined => {
    const after = a.get(address);
    if (!after || !b.has(address)) return undefined; // a new or removed address: its references differ literally
    if (attribute in after.config) {
      return planned.get(address)?.leaves.some((l) => l.path === attribute || l.path.startsWith(`${attribute}.`)) ? `${address}.${attribute} changes` : undefined;
    }
    return replaced.has(address) ? `${address} is replaced: new ${attribute}` : undefined;
  };
  const changedRef = (value: string) => {
    for (const ref of referencesIn(value)) {
      const why = changedValue(ref.address, ref.attribute);
      if (why) return why;
    }
    return undefined;
  };
  for (let pass = 0, stable = false; !stable; pass++) {
    if (pass > a.size + 1) throw new Error('review: replacement propagation did not settle');
    stable = true;
    for (const [address, r] of a) {
      const old = b.get(address);
      if (!old) continue;
      const leaves = leafChanges(withoutMeta(old.config), withoutMeta(r.config), '', changedRef);
      const prior = planned.get(address);
      if (prior && prior.leaves.length === leaves.length) continue;
      stable = false;
      const provider = typeof r.config.provider === 'string' ? r.config.provider : 'aws';
      const reasons = replacementReasons(r.type, leaves, { providerRegion: regions.get(provider) });
      planned.set(address, {
        leaves,
        certain: reasons.certain.map(describeReason),
        conditional: reasons.conditional.map((c) => ({ attribute: describeReason(c), condition: c.condition! })),
      });
      if (reasons.certain.length) replaced.add(address);
    }
  }
  return planned;
}

const destroyed = (r: SynthResource): DestroyedResource => {
  const c = DESTROY_CONSEQUENCES[r.type];
  return { address: r.address, path: r.path, ...(c ? { loses: c.words, dataLoss: c.dataLoss } : {}) };
};

/** Diff of one stack; `before` or `after` undefined for an added or removed stack. */
export function diffStack(id: string, before: StackJson & Record<string, unknown> | undefined, after: StackJson & Record<string, unknown> | undefined): StackDiff {
  const b = new Map((before ? resourcesOf(before) : []).map((r) => [r.address, r]));
  const a = new Map((after ? resourcesOf(after) : []).map((r) => [r.address, r]));
  const added: ResourceRef[] = [];
  const removed: DestroyedResource[] = [];
  const changed: ResourceChange[] = [];
  const policyChanges: PolicyChange[] = [];
  const planned = before && after ? planChanges(b, a, providerRegions(after)) : new Map<string, PlannedChange>();
  for (const [address, r] of a) {
    const old = b.get(address);
    if (!old) {
      added.push({ address, path: r.path });
      policyChanges.push(...policyChangesOf(undefined, r));
      continue;
    }
    const plan = planned.get(address)!;
    const policyAttributes = POLICY_LOCATIONS.filter((l) => l.type === r.type).map((l) => l.attribute);
    const literal = changedAttributes(withoutMeta(old.config), withoutMeta(r.config)).map((c) => {
      if (policyAttributes.includes(c.attribute)) return { attribute: c.attribute, before: POLICY_PLACEHOLDER, after: POLICY_PLACEHOLDER };
      if (STATE_MACHINE_DEFINITIONS.has(`${r.type}.${c.attribute}`) && c.json) {
        const { json: _json, ...rest } = c;
        return { ...rest, stateMachine: diffStateMachine(JSON.parse(String(old.config[c.attribute])), JSON.parse(String(r.config[c.attribute]))) };
      }
      return c;
    });
    const throughReferences = plan.leaves.filter((l) => l.via).map((l) => ({ attribute: l.path, before: show(l.before), after: show(l.after), via: l.via }));
    const suppressionChanges = changedAttributes((old.config['//'] as { guardrails?: unknown })?.guardrails, (r.config['//'] as { guardrails?: unknown })?.guardrails, '//guardrails');
    if (literal.length === 0 && throughReferences.length === 0 && suppressionChanges.length === 0) continue;
    policyChanges.push(...policyChangesOf(old, r));
    const consequence = plan.certain.length || plan.conditional.length ? DESTROY_CONSEQUENCES[r.type] : undefined;
    const onlyMeta = [...literal, ...throughReferences].every((c) => META_ARGUMENTS.includes(c.attribute.split('.')[0]!));
    changed.push({
      address,
      path: r.path,
      attributes: [...literal, ...throughReferences, ...suppressionChanges],
      replacedFor: plan.certain,
      mayBeReplacedFor: plan.conditional,
      ...(consequence ? { loses: consequence.words, dataLoss: consequence.dataLoss } : {}),
      ...(!knownType(r.type) && !onlyMeta ? { unknownType: true as const } : {}),
    });
  }
  for (const [address, r] of b) {
    if (a.has(address)) continue;
    removed.push(destroyed(r));
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
    resourceTypes: counts((after ? a : b).values()),
  };
}

/** Compares two outputs, parsing only stacks whose bytes differ. */
export function diffOutputs(base: SynthOutput, head: SynthOutput): OutputDiff {
  const addedStacks = [...head.hashes.keys()].filter((id) => !base.hashes.has(id));
  const removedStacks = [...base.hashes.keys()].filter((id) => !head.hashes.has(id));
  const common = [...head.hashes.keys()].filter((id) => base.hashes.has(id));
  const changedStacks = common.filter((id) => base.hashes.get(id) !== head.hashes.get(id));
  const unchangedStacks = common.filter((id) => base.hashes.get(id) === head.hashes.get(id));
  const stacks = [
    ...addedStacks.map((id) => diffStack(id, undefined, readStack(head, id))),
    ...removedStacks.map((id) => diffStack(id, readStack(base, id), undefined)),
    ...changedStacks.map((id) => diffStack(id, readStack(base, id), readStack(head, id))),
  ];
  return { addedStacks, removedStacks, changedStacks, unchangedStacks, stacks, suppressions: suppressionsOf(head) };
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
