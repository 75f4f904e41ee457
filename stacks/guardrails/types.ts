/**
 * Shapes shared by the guardrail rules. Every rule is a pure function over a resource's
 * synthesized Terraform configuration (exactly what `cdk.tf.json` holds), so a rule is tested
 * with a literal object, and the same rules can check a `cdk.tf.json` read from disk.
 */
import type { DocumentedContextKeys } from '../policy/context-keys';

/** A synthesized stack, as `cdk.tf.json` holds it (the parts the rules read). */
export interface StackJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
}

/** One resource of a synthesized stack. */
export interface SynthResource {
  /** Terraform type, e.g. `aws_sqs_queue`. */
  readonly type: string;
  /** Terraform local name (cdktf's unique id). */
  readonly name: string;
  /** `type.name`. */
  readonly address: string;
  /** The construct path (`//.metadata.path`), e.g. `central/alerts/topic`. */
  readonly path: string;
  /** The resource's arguments, snake_case, references as `${type.name.attr}` strings. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** What a rule sees besides the resource: the rest of its stack, and the tables it needs. */
export interface RuleContext {
  /** Every resource of the stack, by address. */
  readonly resources: ReadonlyMap<string, SynthResource>;
  /** The documented condition keys per caller and action (`stacks/policy/context-keys.ts`). */
  readonly contextKeys: readonly DocumentedContextKeys[];
}

export interface GuardrailRule {
  /** Stable id used in messages and suppressions: lowercase words joined by `-`. */
  readonly id: string;
  /** What the rule requires, in one line. */
  readonly description: string;
  /** How to comply, in one line (the failure message repeats it). */
  readonly fix: string;
  /** Resource types the rule looks at. */
  readonly appliesTo: readonly string[] | 'all';
  /** Problems found, one message each; empty when the resource complies. */
  check(resource: SynthResource, context: RuleContext): readonly string[];
}

/** A rule a resource breaks. */
export interface Violation {
  readonly stack: string;
  readonly path: string;
  readonly address: string;
  readonly ruleId: string;
  readonly message: string;
  readonly fix: string;
}

/** A rule deliberately not applied to a resource, with the reason a reviewer accepted. */
export interface Suppression {
  readonly stack: string;
  readonly path: string;
  readonly address: string;
  readonly ruleId: string;
  readonly reason: string;
}
