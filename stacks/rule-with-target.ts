import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import type { EventPattern } from './event-patterns';

/**
 * Retry for a day (EventBridge's maximum age) with its maximum attempts; what still fails goes to
 * the dead-letter queue. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 */
export const TARGET_RETRY = { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 } as const;

export interface RuleWithTargetProps {
  /** Rule name: 1-64 characters of `[.\-_A-Za-z0-9]`. */
  readonly ruleName: string;
  readonly description: string;
  readonly region: string;
  /**
   * Bus the rule listens on. A custom bus of the same stack must be given by reference
   * (`bus.name`), so Terraform creates the rule (and its target) after the bus: a literal name
   * races the bus on the first apply.
   * @default 'default' — the account's default bus
   */
  readonly eventBusName?: string;
  readonly pattern: EventPattern;
  readonly targetArn: string;
  /** Role EventBridge assumes to reach the target. @default - none (resource policies admit EventBridge) */
  readonly roleArn?: string;
  /** Every target dead-letters: an asynchronous edge without a DLQ loses events. */
  readonly deadLetterQueueArn: string;
  /**
   * What must exist before the target: the target resource and the resource policy that admits
   * EventBridge to it (topic, queue or log resource policy), and the dead-letter queue, whenever
   * `targetArn` or `deadLetterQueueArn` is a literal ARN rather than a reference. cdktf 0.21's
   * `node.addDependency()` writes no `depends_on`; this does.
   * @default [] — nothing beyond what the arguments reference
   */
  readonly targetDependsOn?: readonly ITerraformDependable[];
}

/** One EventBridge rule with its one target, retry policy and dead-letter queue. */
export class RuleWithTarget extends Construct {
  readonly rule: CloudwatchEventRule;
  readonly target: CloudwatchEventTarget;

  constructor(scope: Construct, id: string, props: RuleWithTargetProps) {
    super(scope, id);
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(props.ruleName)) {
      throw new Error(`RuleWithTarget: ruleName ${JSON.stringify(props.ruleName)} is not 1-64 characters of . - _ A-Z a-z 0-9`);
    }
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: props.ruleName,
      description: props.description,
      region: props.region,
      eventBusName: props.eventBusName ?? 'default',
      eventPattern: JSON.stringify(props.pattern),
      state: 'ENABLED',
    });
    this.target = new CloudwatchEventTarget(this, 'target', {
      rule: this.rule.name,
      eventBusName: this.rule.eventBusName,
      region: props.region,
      targetId: 'target',
      arn: props.targetArn,
      roleArn: props.roleArn,
      retryPolicy: { ...TARGET_RETRY },
      deadLetterConfig: { arn: props.deadLetterQueueArn },
      ...(props.targetDependsOn?.length ? { dependsOn: [...props.targetDependsOn] } : {}),
    });
  }
}
