/**
 * Guardrails: rules every synthesized stack must satisfy, run at every synth as a cdktf Aspect
 * (cdk-nag style). Each rule is a pure function over a resource's synthesized configuration
 * (see `types.ts`); a failure names the stack, the construct path, the Terraform address, the
 * rule and the fix. A deliberate exception is a reviewed suppression (`suppress`), written into
 * the synthesized resource (`"//": {"guardrails": {"suppressed": {rule: reason}}}`) so the review
 * report lists it.
 */
import { Aspects, TerraformResource, TerraformStack, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { DOCUMENTED_CONTEXT_KEYS, type DocumentedContextKeys } from '../policy/context-keys';
import { POLICY_RULES } from './policy-rules';
import { RESILIENCE_RULES } from './resilience-rules';
import { TERRAFORM_RULES } from './terraform-rules';
import type { GuardrailRule, StackJson, Suppression, SynthResource, Violation } from './types';

export type { GuardrailRule, StackJson, Suppression, SynthResource, Violation } from './types';

export const RULES: readonly GuardrailRule[] = [...POLICY_RULES, ...RESILIENCE_RULES, ...TERRAFORM_RULES];
export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

/** One or more stacks break a guardrail: a user-facing error (one message, no stack trace). */
export class GuardrailError extends Error {
  override readonly name = 'GuardrailError';
  constructor(readonly violations: readonly Violation[]) {
    super(formatViolations(violations));
  }
}

/** A suppression that cannot be accepted (unknown rule, no reason, nothing to suppress). */
export class SuppressionError extends Error {
  override readonly name = 'SuppressionError';
}

export function formatViolations(violations: readonly Violation[]): string {
  const lines = violations.map((v) => `  - [${v.ruleId}] ${v.stack}: ${v.path} (${v.address}): ${v.message}\n    fix: ${v.fix}`);
  return `${violations.length} guardrail violation${violations.length === 1 ? '' : 's'}:\n${lines.join('\n')}\n` + 'A deliberate exception needs suppress(construct, ruleId, reason) from stacks/guardrails (reviewed in the PR).';
}

/** Where a suppression is written in a synthesized resource. */
const SUPPRESSED = (config: Readonly<Record<string, unknown>>): Record<string, string> =>
  ((config['//'] as { guardrails?: { suppressed?: Record<string, string> } } | undefined)?.guardrails?.suppressed ?? {});

/** The minimum length of a suppression's reason: a sentence a reviewer can judge. */
export const MIN_REASON_LENGTH = 20;

/**
 * Suppresses `ruleId` on every Terraform resource under `scope` (created before this call), with
 * the reason a reviewer accepted. The reason is synthesized into each resource and listed by
 * `npm run review`.
 */
export function suppress(scope: IConstruct, ruleId: string, reason: string): void {
  if (!RULE_IDS.includes(ruleId)) throw new SuppressionError(`suppress(${scope.node.path}): rule ${JSON.stringify(ruleId)} does not exist; rules: ${RULE_IDS.join(', ')}`);
  const why = reason.trim();
  if (why.length < MIN_REASON_LENGTH) throw new SuppressionError(`suppress(${scope.node.path}, ${ruleId}): the reason must say why in at least ${MIN_REASON_LENGTH} characters, got ${JSON.stringify(reason)}`);
  const resources = scope.node.findAll().filter((c): c is TerraformResource => TerraformResource.isTerraformResource(c));
  if (resources.length === 0) throw new SuppressionError(`suppress(${scope.node.path}, ${ruleId}): no Terraform resource under this construct; call it after creating the resources`);
  for (const r of resources) r.addOverride(`//.guardrails.suppressed.${ruleId}`, why);
}

/** The resources of a synthesized stack. */
export function resourcesOf(tf: StackJson): SynthResource[] {
  const out: SynthResource[] = [];
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      const path = (config['//'] as { metadata?: { path?: string } } | undefined)?.metadata?.path ?? `${type}.${name}`;
      out.push({ type, name, address: `${type}.${name}`, path, config });
    }
  }
  return out;
}

export interface CheckOptions {
  /** @default RULES */
  readonly rules?: readonly GuardrailRule[];
  /** @default DOCUMENTED_CONTEXT_KEYS */
  readonly contextKeys?: readonly DocumentedContextKeys[];
}

export interface CheckResult {
  readonly violations: Violation[];
  readonly suppressions: Suppression[];
}

/** Runs the rules over one synthesized stack. Pure. */
export function checkStackJson(stack: string, tf: StackJson, options: CheckOptions = {}): CheckResult {
  const rules = options.rules ?? RULES;
  const resources = resourcesOf(tf);
  const context = { resources: new Map(resources.map((r) => [r.address, r])), contextKeys: options.contextKeys ?? DOCUMENTED_CONTEXT_KEYS };
  const violations: Violation[] = [];
  const suppressions: Suppression[] = [];
  for (const resource of resources) {
    const suppressed = SUPPRESSED(resource.config);
    for (const [ruleId, reason] of Object.entries(suppressed)) suppressions.push({ stack, path: resource.path, address: resource.address, ruleId, reason });
    for (const rule of rules) {
      if (rule.appliesTo !== 'all' && !rule.appliesTo.includes(resource.type)) continue;
      if (rule.id in suppressed) continue;
      for (const message of rule.check(resource, context)) {
        violations.push({ stack, path: resource.path, address: resource.address, ruleId: rule.id, message, fix: rule.fix });
      }
    }
  }
  return { violations, suppressions };
}

const checked = new WeakMap<TerraformStack, CheckResult>();

/**
 * Checks a stack as it will be synthesized (its `toTerraform()`), once per stack. Call after
 * `prepareStack()` (the backend is added there).
 */
export function checkStack(stack: TerraformStack): CheckResult {
  let result = checked.get(stack);
  if (!result) {
    result = checkStackJson(stack.node.id, stack.toTerraform() as StackJson);
    checked.set(stack, result);
  }
  return result;
}

/**
 * The Aspect: fails the synth of a stack that breaks a rule. cdktf invokes aspects stack by
 * stack while writing, so `synthesize()` (stacks/synth.ts) also checks every stack of the app
 * first (`assertGuardrails`): a failing synth writes nothing.
 */
export class GuardrailAspect implements IAspect {
  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    const { violations } = checkStack(node);
    if (violations.length > 0) throw new GuardrailError(violations);
  }
}

/** Every violation in the given stacks that carry a GuardrailAspect, checked before anything is written. */
export function guardrailViolations(stacks: readonly TerraformStack[]): Violation[] {
  return stacks
    .filter((s) => Aspects.of(s).all.some((a) => a instanceof GuardrailAspect))
    .flatMap((s) => {
      s.prepareStack();
      return checkStack(s).violations;
    });
}
