import { Construct } from 'constructs';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { queueArn } from './names';
import { policyDocument, renderPolicy, type PolicyDocument } from './policy/policy';
import { assertPolicyFits } from './policy/policy-limits';

/** 14 days, SQS's maximum: the longest window to inspect and redrive what failed. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

export interface EventDeadLetterQueueProps {
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  /** ARNs of the EventBridge rules whose targets may dead-letter here (and nothing else may). */
  readonly sourceRuleArns: readonly string[];
}

/** Only EventBridge, on behalf of the named rules, may send to the queue. */
export function deadLetterQueuePolicy(props: EventDeadLetterQueueProps): PolicyDocument {
  return policyDocument('resource', [
    {
      Sid: 'EventBridgeRulesSendFailedEvents',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArn(props.region, props.accountId, props.name),
      Condition: { ArnEquals: { 'aws:SourceArn': [...props.sourceRuleArns] } },
    },
  ]);
}

/**
 * The SQS dead-letter queue of EventBridge targets. Without one, an event that exhausts its
 * retries (185 attempts over 24 h by default) is dropped:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 *
 * Encrypted with SSE-SQS: EventBridge can write to it without a key policy (a customer managed
 * key would need one admitting events.amazonaws.com in every member region). The queue policy is
 * set inline: one resource per region instead of two (a member stack has one queue per region).
 */
export class EventDeadLetterQueue extends Construct {
  readonly queue: SqsQueue;
  /**
   * The queue's ARN by reference (`queue.arn`): a target naming its DLQ through it is created
   * after the queue (and its inline policy admitting EventBridge).
   */
  readonly arn: string;
  readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: EventDeadLetterQueueProps) {
    super(scope, id);
    if (props.sourceRuleArns.length === 0) throw new Error(`EventDeadLetterQueue ${props.name}: sourceRuleArns is empty; name the rules that may use it`);
    this.policy = deadLetterQueuePolicy(props);
    const policy = renderPolicy(this.policy);
    assertPolicyFits('sqsQueuePolicy', policy, `queue ${props.name}`);
    this.queue = new SqsQueue(this, 'queue', {
      name: props.name,
      region: props.region,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      policy,
    });
    this.arn = this.queue.arn;
  }
}
