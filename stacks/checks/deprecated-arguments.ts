/**
 * Arguments hashicorp/aws 6.25.0 marks deprecated, for every resource type this app uses, and a
 * pure check that finds them (and resource types nobody has reviewed yet) in a synthesized stack.
 *
 * A deprecated argument works today, prints a warning on every plan and goes away in a later
 * major version; `aws_iam_role.inline_policy` also fights `aws_iam_role_policy` over the same
 * policies. Read from the provider's source at v6.25.0 (the `Deprecated:` field of each schema
 * attribute), through the index of its Go declarations: repository
 * lonegunmanb/terraform-provider-aws-index, commit add8b630a ("index files for v6.25.0"), files
 * `index/internal/service/<service>/func.resource<Name>.goindex` (framework resources:
 * `method.<name>Resource.Schema.goindex`). A type with no deprecated argument is listed with `[]`
 * so that "checked, none" differs from "never checked".
 */

/** One deprecated argument: its path in the resource (`inline_policy`, `block.argument`) and where it is declared. */
export interface DeprecatedArgument {
  readonly argument: string;
  /** The provider's own message. */
  readonly message: string;
  readonly source: string;
}

/** The provider's v6.25.0 declarations, as indexed (the index names functions, not files). */
const SRC = 'github.com/lonegunmanb/terraform-provider-aws-index@add8b630a:index/internal/service';

/** Every resource type the stacks use, with the arguments hashicorp/aws 6.25.0 deprecates. */
export const DEPRECATED_ARGUMENTS: Readonly<Record<string, readonly DeprecatedArgument[]>> = {
  aws_cloudwatch_event_archive: [],
  aws_cloudwatch_event_bus: [],
  aws_cloudwatch_event_bus_policy: [],
  aws_cloudwatch_event_rule: [
    { argument: 'is_enabled', message: 'is_enabled is deprecated. Use state instead.', source: `${SRC}/events/func.resourceRule.goindex` },
  ],
  aws_cloudwatch_event_target: [],
  aws_cloudwatch_log_group: [],
  aws_cloudwatch_log_resource_policy: [],
  aws_cloudwatch_metric_alarm: [],
  // No argument of resourceTable's schema is marked Deprecated in v6.25.0 (dynamodb/func.resourceTable.goindex).
  aws_dynamodb_table: [],
  aws_iam_role: [
    {
      argument: 'inline_policy',
      message: 'inline_policy is deprecated. Use the aws_iam_role_policy resource instead (aws_iam_role_policies_exclusive for exclusive management).',
      source: `${SRC}/iam/func.resourceRole.goindex`,
    },
    {
      argument: 'managed_policy_arns',
      message: 'managed_policy_arns is deprecated. Use the aws_iam_role_policy_attachment resource instead (aws_iam_role_policy_attachments_exclusive for exclusive management).',
      source: `${SRC}/iam/func.resourceRole.goindex`,
    },
  ],
  aws_iam_role_policies_exclusive: [],
  aws_iam_role_policy: [],
  aws_kms_alias: [],
  aws_kms_key: [],
  aws_lambda_event_source_mapping: [],
  aws_lambda_function: [],
  aws_sns_topic: [],
  aws_sns_topic_policy: [],
  aws_sns_topic_subscription: [],
  // No argument of resourceStateMachine's schema is marked Deprecated in v6.25.0 (func.resourceStateMachine.goindex).
  aws_sfn_state_machine: [],
  aws_sqs_queue: [],
};

export interface DeprecatedArgumentFinding {
  /** `type.name`. */
  readonly resource: string;
  /** The deprecated argument used, or `(type)` for a resource type missing from the table. */
  readonly argument: string;
  readonly message: string;
}

/** The value at a dotted path; blocks may be objects or lists of objects. */
function present(body: unknown, path: readonly string[]): boolean {
  if (path.length === 0) return body !== undefined && body !== null;
  if (Array.isArray(body)) return body.some((item) => present(item, path));
  if (typeof body !== 'object' || body === null) return false;
  return present((body as Record<string, unknown>)[path[0]!], path.slice(1));
}

/**
 * Deprecated arguments set in `stack` (a synthesized `cdk.tf.json`), and resource types the table
 * does not cover (their deprecations were never looked up: add them, with the source).
 */
export function findDeprecatedArguments(
  stack: { readonly resource?: Readonly<Record<string, Readonly<Record<string, unknown>>>> },
  table: Readonly<Record<string, readonly DeprecatedArgument[]>> = DEPRECATED_ARGUMENTS,
): DeprecatedArgumentFinding[] {
  const findings: DeprecatedArgumentFinding[] = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    const deprecated = table[type];
    for (const [name, body] of Object.entries(byName)) {
      const resource = `${type}.${name}`;
      if (!deprecated) {
        findings.push({ resource, argument: '(type)', message: `${type} is not in the table of deprecated arguments: look its arguments up in hashicorp/aws 6.25.0 and add it` });
        continue;
      }
      for (const d of deprecated) {
        if (present(body, d.argument.split('.'))) findings.push({ resource, argument: d.argument, message: `${d.message} (${d.source})` });
      }
    }
  }
  return findings;
}
