/**
 * Arguments whose change makes the provider replace the resource (destroy, then create), for the
 * resource types this app writes. From hashicorp/aws 6.25's schemas (`ForceNew: true`), as
 * indexed in lonegunmanb/terraform-provider-aws-index:
 * - aws_sqs_queue: index/internal/service/sqs/var.queueSchema.goindex (name, name_prefix, fifo_queue)
 * - aws_cloudwatch_event_rule: index/internal/service/events/func.resourceRule.goindex (name, name_prefix, event_bus_name)
 * - aws_cloudwatch_event_target: index/internal/service/events/func.resourceTarget.goindex (rule, target_id, event_bus_name)
 * - aws_cloudwatch_log_group: index/internal/service/logs/func.resourceGroup.goindex (name, name_prefix, log_group_class)
 * A type or argument not listed is reported as an in-place change; the plan has the last word.
 */
export const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  aws_sqs_queue: ['name', 'name_prefix', 'fifo_queue'],
  aws_cloudwatch_event_rule: ['name', 'name_prefix', 'event_bus_name'],
  aws_cloudwatch_event_target: ['rule', 'target_id', 'event_bus_name'],
  aws_cloudwatch_log_group: ['name', 'name_prefix', 'log_group_class'],
};

/** The top-level arguments among `changed` that force replacement of a `type`. */
export const forcesReplacement = (type: string, changed: readonly string[]): string[] => changed.filter((a) => (FORCE_NEW[type] ?? []).includes(a.split('.')[0]!));
