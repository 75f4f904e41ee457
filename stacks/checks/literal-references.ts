/**
 * Unordered references: a resource that names another resource of the same stack by a literal
 * string (its name, or an ARN containing its name) without referencing it (`${type.name.attr}`)
 * or listing it in `depends_on`, directly or through resources it depends on.
 *
 * Terraform orders resources only by references and `depends_on`. A literal name gives it no
 * order, so on the first apply both are created at once and the one that needs the other fails
 * (a rule on a custom bus named by a literal string races the bus). cdktf 0.21's
 * `node.addDependency()` between constructs writes no `depends_on`, so it does not help:
 * https://developer.hashicorp.com/terraform/language/meta-arguments/depends_on
 *
 * A pure function over a synthesized stack (`cdk.tf.json`), returning findings; the tests run it
 * on every stack of the example org and of a 300-member org, and a synth guardrail can reuse it.
 */

/** A synthesized stack, as `cdk.tf.json` holds it (only the parts this check reads). */
export interface SynthesizedStack {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
}

export interface LiteralReferenceFinding {
  /** `type.name` of the resource holding the literal. */
  readonly resource: string;
  /** Where in it: `dead_letter_config.arn`, `dimensions.QueueName`. */
  readonly attribute: string;
  /** The literal string. */
  readonly literal: string;
  /** `type.name` of the resource it names, which `resource` neither references nor depends on. */
  readonly names: string;
}

/**
 * Attributes whose value is a resource's own name, by resource type (`name` for every type that
 * has it). A resource naming itself orders nothing; a name derived from another resource's name
 * (the audit log group `/aws/events/<bus>/audit`) is a naming convention, not a use.
 */
export const NAME_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_lambda_function: ['function_name'],
  aws_cloudwatch_metric_alarm: ['alarm_name'],
  aws_cloudwatch_log_resource_policy: ['policy_name'],
};

/**
 * Attributes exempt from the check, with the reason. Each holds names that may, or must, be
 * written before the resource they name exists:
 * - policy documents: IAM and resource policies name principals and resources as strings, which
 *   AWS evaluates at request time; policies here are literal JSON by design (reviewable in the
 *   plan), and a policy naming its own rules' ARNs (a DLQ policy) cannot reference them without a
 *   cycle (the targets reference the queue);
 * - `redrive_allow_policy`: an SQS dead-letter queue names the queues allowed to use it, which
 *   reference it in their `redrive_policy` (the other direction would be a cycle);
 * - free text (`description`): not a name, whatever it mentions.
 */
export const EXEMPT_ATTRIBUTES: readonly string[] = [
  'policy',
  'assume_role_policy',
  'policy_document',
  'redrive_allow_policy',
  'description',
  'alarm_description',
  'tags',
  'tags_all',
];

/** Terraform resource types by the ARN service whose resources they are. */
const TYPES_BY_ARN_SERVICE: Readonly<Record<string, readonly string[]>> = {
  events: ['aws_cloudwatch_event_bus', 'aws_cloudwatch_event_rule', 'aws_cloudwatch_event_archive'],
  sqs: ['aws_sqs_queue'],
  sns: ['aws_sns_topic'],
  logs: ['aws_cloudwatch_log_group'],
  iam: ['aws_iam_role', 'aws_iam_policy'],
  lambda: ['aws_lambda_function'],
  kms: ['aws_kms_key', 'aws_kms_alias'],
  cloudwatch: ['aws_cloudwatch_metric_alarm'],
  states: ['aws_sfn_state_machine'],
};

interface Named {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly region?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every string leaf of `value`, with its path (list indices dropped: `dimensions.QueueName`). */
function* stringLeaves(value: unknown, path: string[]): Generator<[string, string]> {
  if (typeof value === 'string') yield [path.join('.'), value];
  else if (Array.isArray(value)) for (const item of value) yield* stringLeaves(item, path);
  else if (isRecord(value)) for (const [key, child] of Object.entries(value)) yield* stringLeaves(child, [...path, key]);
}

/** `name` bounded by start/end or an ARN separator (`:` `/`) inside `text`. */
function containsBounded(text: string, name: string): boolean {
  for (let at = text.indexOf(name); at !== -1; at = text.indexOf(name, at + 1)) {
    const before = at === 0 ? '' : text[at - 1]!;
    const after = text[at + name.length] ?? '';
    if ((before === '' || before === ':' || before === '/') && (after === '' || after === ':' || after === '/')) return true;
  }
  return false;
}

/**
 * What a plain (non-ARN) name in an attribute can name, by the attribute's key: `event_bus_name`
 * names a bus, `dimensions.QueueName` a queue, `role` a role. An equal string under an unrelated
 * key (`POWERTOOLS_SERVICE_NAME: snapshot-copy`) is a coincidence, not a use.
 */
export const KIND_BY_TYPE: Readonly<Record<string, RegExp>> = {
  aws_cloudwatch_event_bus: /bus/,
  aws_cloudwatch_event_rule: /rule/,
  aws_cloudwatch_event_archive: /archive/,
  aws_sqs_queue: /queue/,
  aws_sns_topic: /topic/,
  aws_iam_role: /role/,
  aws_iam_role_policy: /polic/,
  aws_lambda_function: /function/,
  aws_cloudwatch_log_group: /loggroup/,
  aws_kms_key: /key/,
  aws_kms_alias: /key|alias/,
  aws_cloudwatch_metric_alarm: /alarm/,
};

/** The resources a literal names: an ARN by service, region and name; any other string by its whole value. */
function namedBy(literal: string, key: string, named: readonly Named[], holderRegion: string | undefined): Named[] {
  const arn = /^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$/.exec(literal);
  if (!arn) {
    const kindKey = key.toLowerCase().replace(/[^a-z]/g, '');
    const exact = named.filter((n) => n.name === literal && (KIND_BY_TYPE[n.type]?.test(kindKey) ?? false));
    // Several resources with one name (one queue per region): the one in the holder's region.
    const sameRegion = exact.filter((n) => n.region === undefined || holderRegion === undefined || n.region === holderRegion);
    return sameRegion.length > 0 ? sameRegion : exact;
  }
  const [, service, region, , resourcePart] = arn;
  const types = TYPES_BY_ARN_SERVICE[service!] ?? [];
  return named.filter(
    (n) =>
      types.includes(n.type) &&
      (region === '' || n.region === undefined || n.region === region) &&
      containsBounded(resourcePart!, n.name),
  );
}

/** Finds every literal naming of a same-stack resource that Terraform would not order. */
export function findLiteralReferences(stack: SynthesizedStack): LiteralReferenceFinding[] {
  const resources: [string, string, Readonly<Record<string, unknown>>][] = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) resources.push([`${type}.${name}`, type, body]);
  }
  const addresses = new Set(resources.map(([address]) => address));

  // Direct edges: references `${type.name.…}` anywhere in the body, and `depends_on`.
  const edges = new Map<string, Set<string>>();
  for (const [address, , body] of resources) {
    const out = new Set<string>();
    const text = JSON.stringify(body);
    for (const m of text.matchAll(/\$\{([a-z0-9_]+\.[\w-]+)[.}]/g)) if (addresses.has(m[1]!)) out.add(m[1]!);
    const dependsOn = body.depends_on;
    if (Array.isArray(dependsOn)) for (const d of dependsOn) if (typeof d === 'string' && addresses.has(d)) out.add(d);
    out.delete(address);
    edges.set(address, out);
  }
  const reachable = new Map<string, Set<string>>();
  const after = (address: string): Set<string> => {
    const known = reachable.get(address);
    if (known) return known;
    const seen = new Set<string>();
    const stackToVisit = [...(edges.get(address) ?? [])];
    while (stackToVisit.length > 0) {
      const next = stackToVisit.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stackToVisit.push(...(edges.get(next) ?? []));
    }
    reachable.set(address, seen);
    return seen;
  };

  const named: Named[] = [];
  for (const [address, type, body] of resources) {
    const region = typeof body.region === 'string' ? body.region : undefined;
    for (const attribute of ['name', ...(NAME_ATTRIBUTES[type] ?? [])]) {
      const value = body[attribute];
      if (typeof value === 'string' && value !== '' && !value.includes('${')) named.push({ address, type, name: value, region });
    }
  }

  const findings: LiteralReferenceFinding[] = [];
  for (const [address, type, body] of resources) {
    const own = new Set(['name', ...(NAME_ATTRIBUTES[type] ?? [])]);
    const holderRegion = typeof body.region === 'string' ? body.region : undefined;
    for (const [key, value] of Object.entries(body)) {
      if (own.has(key) || EXEMPT_ATTRIBUTES.includes(key) || key === 'depends_on' || key === 'region' || key === 'provider' || key === 'lifecycle') continue;
      for (const [path, literal] of stringLeaves(value, [key])) {
        if (literal.includes('${')) continue; // a reference (tokens render as `${…}`)
        for (const target of namedBy(literal, path.split('.').pop()!, named, holderRegion)) {
          if (target.address === address || after(address).has(target.address)) continue;
          findings.push({ resource: address, attribute: path, literal, names: target.address });
        }
      }
    }
  }
  return findings;
}
