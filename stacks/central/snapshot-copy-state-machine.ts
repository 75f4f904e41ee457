import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { stateMachineArn } from '../names';
import { LOG_DELIVERY_ACTIONS, policyDocument, serviceTrustPolicy, type PolicyDocument } from '../policy/policy';
import { RoleWithPolicies } from '../policy/role-with-policies';
import { AlertAlarm, type AlarmMetric } from './alert-alarm';
import { checkScope, invalidProp, stateMachineLogGroupName, type CopyUnitProps } from './snapshot-copy-common';

/** A state machine's role: invoke exactly one function (unqualified ARN, as its definition names it), and deliver its logs. */
export function stateMachinePolicy(functionArn: string): PolicyDocument {
  return policyDocument('identity', [
    { Sid: 'InvokeTaskFunction', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArn },
    { Sid: 'DeliverExecutionLogs', Effect: 'Allow', Action: [...LOG_DELIVERY_ACTIONS], Resource: '*' },
  ]);
}

/**
 * A Step Functions execution metric of one state machine: execution metrics carry the
 * `StateMachineArn` dimension.
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
 */
export const executionMetric = (metricName: string, arn: string): AlarmMetric => ({
  namespace: 'AWS/States',
  metricName,
  dimensions: { StateMachineArn: arn },
  statistic: 'Sum',
  threshold: 0,
});

/** The execution alarms of every state machine: metric, alarm-name suffix, what happened. */
export const EXECUTION_ALARMS = [
  ['ExecutionsFailed', 'failed', 'failed (a copy that could not be made, a sweep item that failed)'],
  ['ExecutionsTimedOut', 'timed-out', 'timed out (waited past its bound)'],
  ['ExecutionsAborted', 'aborted', 'were stopped by someone'],
] as const;

export interface CopyStateMachineProps extends CopyUnitProps {
  /** State machine name, 1-80 of `[A-Za-z0-9_-]`; its role is `<name>-states` (at most 64 characters). */
  readonly name: string;
  /** Its role's description. */
  readonly description: string;
  /** The one function its tasks invoke, by unqualified literal ARN (as the definition names it). */
  readonly taskFunctionArn: string;
  /** That function's resource: created first (the definition names it by literal ARN). */
  readonly taskFunction: ITerraformDependable;
  /** The ASL definition, rendered as literal JSON. */
  readonly definition: Readonly<Record<string, unknown>>;
  /**
   * Appended to the execution alarms' descriptions: what to do about a failed execution.
   * @default nothing appended
   */
  readonly whatToDo?: string;
}

/**
 * A Standard state machine of the copy path with its own role (invoke one function, deliver
 * logs), its own vended-logs log group (retention, the hub key; errors only, no execution data),
 * and alarms to the alert topic on failed, timed-out and aborted executions.
 *
 * Built into `scope` with the ids `<id>-states-role`, `<id>-states-log-group`,
 * `<id>-state-machine` and `<id>-executions-failed` / `-timed-out` / `-aborted`.
 */
export class CopyStateMachine {
  readonly stateMachine: SfnStateMachine;
  readonly role: RoleWithPolicies;
  readonly logGroup: CloudwatchLogGroup;
  /** `<name>-states`. */
  readonly roleName: string;
  readonly policy: PolicyDocument;
  /** The literal ARN (for policies, patterns and environments; `stateMachine.arn` is the reference). */
  readonly arn: string;
  readonly name: string;

  constructor(scope: Construct, id: string, props: CopyStateMachineProps) {
    const unit = `CopyStateMachine ${id}`;
    checkScope(unit, props);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(props.name)) throw invalidProp(unit, 'name', props.name, 'is not 1-80 characters of A-Z a-z 0-9 _ -');
    const { region, accountId } = props;
    this.name = props.name;
    this.roleName = `${props.name}-states`;
    if (this.roleName.length > 64) throw invalidProp(unit, 'name', props.name, `is too long for its role name ${this.roleName} (IAM: at most 64 characters)`);
    this.arn = stateMachineArn(region, accountId, props.name);
    this.policy = stateMachinePolicy(props.taskFunctionArn);
    this.role = new RoleWithPolicies(scope, `${id}-states-role`, {
      roleName: this.roleName,
      description: props.description,
      trustPolicy: serviceTrustPolicy('states.amazonaws.com', accountId),
      policies: { [this.roleName]: this.policy },
    });
    this.logGroup = new CloudwatchLogGroup(scope, `${id}-states-log-group`, {
      name: stateMachineLogGroupName(props.name),
      region,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });
    this.stateMachine = new SfnStateMachine(scope, `${id}-state-machine`, {
      name: props.name,
      region,
      type: 'STANDARD',
      roleArn: this.role.role.arn,
      // Literal JSON: the plan shows the definition as reviewed; the task function by literal ARN.
      definition: JSON.stringify(props.definition),
      loggingConfiguration: { logDestination: `${this.logGroup.arn}:*`, includeExecutionData: false, level: 'ERROR' },
      // The definition names the function by literal ARN, and the role's policies must exist
      // before Step Functions validates the role: explicit ordering.
      dependsOn: [props.taskFunction, ...this.role.policies],
    });
    // Alarm dimensions by reference (`arn`): each alarm is created after what it watches.
    for (const [metric, suffix, what] of EXECUTION_ALARMS) {
      new AlertAlarm(scope, `${id}-executions-${suffix}`, {
        alarmName: `${props.name}-executions-${suffix}`,
        description: `Executions of ${props.name} ${what}: the alert topic also carries each execution's name and cause${props.whatToDo ? `; ${props.whatToDo}` : ''}`,
        region,
        metric: executionMetric(metric, this.stateMachine.arn),
        topicArn: props.alertTopicArn,
      });
    }
  }
}
