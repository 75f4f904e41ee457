/**
 * Guardrails on data at rest and on failure paths: encryption on every queue, topic and log
 * group, retention on every log group, a DLQ and retry policy on every EventBridge target, and a
 * failure path for every Lambda function.
 */
import type { GuardrailRule, RuleContext, SynthResource } from './types';

/** A single nested block: cdktf writes an object, hand-written JSON may hold a one-element list. */
export const block = (v: unknown): Record<string, unknown> | undefined => {
  const b = Array.isArray(v) ? v[0] : v;
  return b && typeof b === 'object' ? (b as Record<string, unknown>) : undefined;
};
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && v !== false;

/**
 * SSE-SQS (`sqs_managed_sse_enabled`) or a KMS key (`kms_master_key_id`):
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
 */
export const queueEncryption: GuardrailRule = {
  id: 'queue-encryption',
  description: 'Every SQS queue is encrypted at rest',
  fix: 'set sqsManagedSseEnabled: true, or kmsMasterKeyId to a key whose policy admits the producers',
  appliesTo: ['aws_sqs_queue'],
  check: ({ config }) => (config.sqs_managed_sse_enabled === true || present(config.kms_master_key_id) ? [] : ['the queue sets neither sqs_managed_sse_enabled nor kms_master_key_id']),
};

/**
 * A customer managed key: EventBridge cannot publish to a topic under `alias/aws/sns`:
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 */
export const topicEncryption: GuardrailRule = {
  id: 'topic-encryption',
  description: 'Every SNS topic is encrypted with a customer managed KMS key',
  fix: 'set kmsMasterKeyId to a customer managed key (not alias/aws/sns) whose policy admits the publishers',
  appliesTo: ['aws_sns_topic'],
  check: ({ config }) => {
    const key = config.kms_master_key_id;
    if (!present(key)) return ['the topic has no kms_master_key_id'];
    return key === 'alias/aws/sns' ? ['the topic uses the AWS managed key alias/aws/sns, which EventBridge and CloudWatch alarms cannot publish under'] : [];
  },
};

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html */
export const logGroupEncryption: GuardrailRule = {
  id: 'log-group-encryption',
  description: 'Every log group is encrypted with a KMS key',
  fix: 'set kmsKeyId to a key whose policy admits logs.<region>.amazonaws.com',
  appliesTo: ['aws_cloudwatch_log_group'],
  check: ({ config }) => (present(config.kms_key_id) ? [] : ['the log group has no kms_key_id']),
};

/** `retention_in_days` 0 or unset keeps events forever (provider default 0). */
export const logGroupRetention: GuardrailRule = {
  id: 'log-group-retention',
  description: 'Every log group has a retention',
  fix: 'set retentionInDays (config: central.logRetentionDays)',
  appliesTo: ['aws_cloudwatch_log_group'],
  check: ({ config }) => (typeof config.retention_in_days === 'number' && config.retention_in_days > 0 ? [] : ['the log group keeps events forever (no retention_in_days)']),
};

/**
 * Without a DLQ an event that exhausts its retries is dropped; without an explicit retry policy
 * the reader cannot see how long EventBridge keeps trying:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */
export const targetDeadLetter: GuardrailRule = {
  id: 'target-dlq-retry',
  description: 'Every EventBridge target has a dead-letter queue and a retry policy',
  fix: 'use RuleWithTarget (stacks/rule-with-target.ts), which sets deadLetterConfig and retryPolicy',
  appliesTo: ['aws_cloudwatch_event_target'],
  check: ({ config }) => {
    const problems: string[] = [];
    if (!present(block(config.dead_letter_config)?.arn)) problems.push('the target has no dead_letter_config.arn');
    if (!block(config.retry_policy)) problems.push('the target has no retry_policy');
    return problems;
  },
};

/** Whether `value` (any depth) references the resource at `address`. */
export const references = (value: unknown, address: string): boolean => JSON.stringify(value ?? null).includes(`\${${address}.`);

const of = (context: RuleContext, type: string): SynthResource[] => [...context.resources.values()].filter((r) => r.type === type);

/** The queue an event source mapping reads, when it is a queue of this stack. */
function sourceQueue(mapping: SynthResource, context: RuleContext): SynthResource | undefined {
  return of(context, 'aws_sqs_queue').find((q) => references(mapping.config.event_source_arn, q.address) || (typeof q.config.name === 'string' && String(mapping.config.event_source_arn).endsWith(`:${q.config.name}`)));
}

function redrivesToDlq(queue: SynthResource): boolean {
  try {
    return typeof queue.config.redrive_policy === 'string' && present((JSON.parse(queue.config.redrive_policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn);
  } catch {
    return false;
  }
}

/**
 * A function's failure path, by how it is invoked:
 * - asynchronously (EventBridge, SNS, S3 need an aws_lambda_permission): a DLQ
 *   (`dead_letter_config`) or an on-failure destination (`aws_lambda_function_event_invoke_config`)
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 * - only synchronously, by an SQS event source mapping: the queue's redrive policy to a DLQ
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 * - only synchronously, by a Step Functions state machine (its definition references the
 *   function): the state machine's Retry/Catch handle failures
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export const lambdaFailurePath: GuardrailRule = {
  id: 'lambda-failure-path',
  description: 'Every Lambda function has a failure path: a DLQ or on-failure destination, or only synchronous invokers that have one',
  fix: 'set deadLetterConfig or an on-failure destination (aws_lambda_function_event_invoke_config); for an SQS event source give the queue a redrive policy to a DLQ',
  appliesTo: ['aws_lambda_function'],
  check(fn, context) {
    if (present(block(fn.config.dead_letter_config)?.target_arn)) return [];
    const name = fn.config.function_name;
    const invokes = (v: unknown) => references(v, fn.address) || (typeof name === 'string' && (v === name || (typeof v === 'string' && v.endsWith(`:function:${name}`))));
    const invokeConfigs = of(context, 'aws_lambda_function_event_invoke_config').filter((c) => invokes(c.config.function_name));
    if (invokeConfigs.some((c) => present(block(block(block(c.config.destination_config)?.on_failure))?.destination))) return [];
    if (of(context, 'aws_lambda_permission').some((p) => invokes(p.config.function_name))) {
      return ['the function is invoked asynchronously (an aws_lambda_permission admits a service) and has neither a dead_letter_config nor an on-failure destination'];
    }
    const mappings = of(context, 'aws_lambda_event_source_mapping').filter((m) => invokes(m.config.function_name));
    const stateMachines = of(context, 'aws_sfn_state_machine').filter((s) => invokes(s.config.definition) || (typeof name === 'string' && String(s.config.definition).includes(`function:${name}`)));
    if (mappings.length === 0 && stateMachines.length === 0) return ['nothing in the stack invokes the function with a failure path: no DLQ, no on-failure destination, no event source mapping, no state machine'];
    const problems: string[] = [];
    for (const m of mappings) {
      if (present(block(block(block(m.config.destination_config)?.on_failure))?.destination_arn)) continue;
      const queue = sourceQueue(m, context);
      if (!queue) problems.push(`event source mapping ${m.address} reads a source this stack does not define, and has no on-failure destination`);
      else if (!redrivesToDlq(queue)) problems.push(`event source mapping ${m.address} reads queue ${queue.address}, which has no redrive policy to a DLQ`);
    }
    return problems;
  },
};

export const RESILIENCE_RULES: readonly GuardrailRule[] = [queueEncryption, topicEncryption, logGroupEncryption, logGroupRetention, targetDeadLetter, lambdaFailurePath];
