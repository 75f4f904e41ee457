/**
 * A guardrail over a check that reads a whole synthesized stack at once (such as the pure checks
 * in `stacks/checks/`: literal references, deprecated arguments, policy sizes), reported per
 * resource like every other rule. The check runs once per stack; its findings are handed to the
 * resources they name.
 */
import type { GuardrailRule, RuleContext, StackJson } from './types';

export interface StackCheckRuleProps<F> {
  readonly id: string;
  readonly description: string;
  readonly fix: string;
  /** The check: findings for one synthesized stack. */
  readonly find: (stack: StackJson) => readonly F[];
  /** The Terraform address (`type.name`) a finding belongs to. */
  readonly addressOf: (finding: F) => string;
  /** One line saying what is wrong. */
  readonly message: (finding: F) => string;
}

export function stackCheckRule<F>(props: StackCheckRuleProps<F>): GuardrailRule {
  const byContext = new WeakMap<RuleContext, Map<string, string[]>>();
  const findingsFor = (context: RuleContext): Map<string, string[]> => {
    let found = byContext.get(context);
    if (!found) {
      const resource: Record<string, Record<string, Readonly<Record<string, unknown>>>> = {};
      for (const r of context.resources.values()) (resource[r.type] ??= {})[r.name] = r.config;
      found = new Map();
      for (const f of props.find({ resource })) {
        const address = props.addressOf(f);
        found.set(address, [...(found.get(address) ?? []), props.message(f)]);
      }
      byContext.set(context, found);
    }
    return found;
  };
  return {
    id: props.id,
    description: props.description,
    fix: props.fix,
    appliesTo: 'all',
    check: (resource, context) => findingsFor(context).get(resource.address) ?? [],
  };
}
