import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import type { EventPattern } from '../event-patterns';
import { PREFIX, ruleArn } from '../names';
import { TARGET_RETRY } from '../rule-with-target';
import { checkScope, invalidProp, type CopyScope } from './snapshot-copy-common';

/** Rule on the central account's default bus: copy (and sweep) executions that failed, timed out or were aborted → alert topic. */
export const COPY_EXECUTION_ALERT_RULE_NAME = `${PREFIX}-copy-execution-failed`;

/**
 * ARN of the rule on the central account's DEFAULT bus that sends failed, timed-out and aborted
 * copy/sweep executions to the alert topic: the alert topic's policy must admit it (rules on the
 * default bus have no bus name in their ARN: `arn:aws:events:R:A:rule/NAME`).
 */
export const copyExecutionAlertRuleArn = (p: CopyScope): string => ruleArn(p.region, p.accountId, COPY_EXECUTION_ALERT_RULE_NAME);

/**
 * Step Functions' execution status events for the copy path's state machines that ended badly.
 * They arrive on the default bus of the state machine's account and region.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
export function executionFailedPattern(stateMachineArns: readonly string[]): EventPattern {
  return {
    source: ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [...stateMachineArns] },
  };
}

/**
 * The alert message: a JSON object template, so EventBridge quotes each value (a `cause` with
 * quotes or newlines stays valid JSON; a missing field becomes null).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
/**
 * What the person reading an execution alert does next (README: "What each alert means"). One text
 * for both state machines: the rule matches either.
 */
export const EXECUTION_ALERT_WHAT_TO_DO =
  'a snapshot-copy execution: fix the cause (README, What each alert means), then start it again with npm run copies -- retry (--dry-run first); a copy-sweep execution runs again the next day';

export const EXECUTION_ALERT_INPUT = {
  inputPaths: {
    execution: '$.detail.name',
    status: '$.detail.status',
    error: '$.detail.error',
    cause: '$.detail.cause',
    executionArn: '$.detail.executionArn',
    stateMachineArn: '$.detail.stateMachineArn',
  },
  inputTemplate:
    '{"alert": "ebs-event-hub snapshot-copy execution ended badly", "execution": <execution>, "status": <status>, "error": <error>, "cause": <cause>, "executionArn": <executionArn>, "stateMachineArn": <stateMachineArn>, ' +
    `"whatToDo": "${EXECUTION_ALERT_WHAT_TO_DO}"}`,
} as const;

/** A state machine the alert watches: its literal ARN (in the pattern) and its resource (created first). */
export interface WatchedStateMachine {
  readonly arn: string;
  readonly stateMachine: ITerraformDependable;
}

export interface CopyExecutionAlertProps extends CopyScope {
  /** The copy path's state machines, in the pattern's order: at least one, each ARN once. */
  readonly stateMachines: readonly WatchedStateMachine[];
  readonly alertTopicArn: string;
  /** The central target DLQ: the rule's target dead-letters there. */
  readonly deadLetterQueueArn: string;
}

/**
 * Every execution of the copy path's state machines that ends badly, by name and cause, to the
 * alert topic: a rule on the central account's default bus (where Step Functions emits execution
 * status events) with one target, retries and the central target DLQ.
 *
 * Built into `scope` (the `SnapshotCopy` construct) with the ids `execution-alert-rule` and
 * `execution-alert-target`.
 */
export class CopyExecutionAlert {
  readonly rule: CloudwatchEventRule;
  readonly target: CloudwatchEventTarget;

  constructor(scope: Construct, props: CopyExecutionAlertProps) {
    const unit = 'CopyExecutionAlert';
    checkScope(unit, props);
    if (props.stateMachines.length === 0) throw new Error(`${unit}: stateMachines is empty; give the state machines whose executions alert`);
    const arns = props.stateMachines.map((m) => m.arn);
    const twice = arns.find((a, i) => arns.indexOf(a) !== i);
    if (twice !== undefined) throw invalidProp(unit, 'stateMachines', twice, 'is listed twice; give each state machine once');
    const { region } = props;
    this.rule = new CloudwatchEventRule(scope, 'execution-alert-rule', {
      name: COPY_EXECUTION_ALERT_RULE_NAME,
      description: 'Snapshot-copy and sweep executions that failed, timed out or were aborted, to the alert topic',
      region,
      eventBusName: 'default',
      eventPattern: JSON.stringify(executionFailedPattern(arns)),
      state: 'ENABLED',
      // The pattern names the state machines by literal ARN.
      dependsOn: props.stateMachines.map((m) => m.stateMachine),
    });
    this.target = new CloudwatchEventTarget(scope, 'execution-alert-target', {
      rule: this.rule.name,
      eventBusName: this.rule.eventBusName,
      region,
      targetId: 'alert-topic',
      arn: props.alertTopicArn,
      inputTransformer: { inputPaths: { ...EXECUTION_ALERT_INPUT.inputPaths }, inputTemplate: EXECUTION_ALERT_INPUT.inputTemplate },
      retryPolicy: { ...TARGET_RETRY },
      deadLetterConfig: { arn: props.deadLetterQueueArn },
    });
  }
}
