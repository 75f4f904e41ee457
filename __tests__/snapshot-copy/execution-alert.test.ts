import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { copyExecutionAlertRuleArn, CopyExecutionAlert, EXECUTION_ALERT_INPUT, executionFailedPattern, type CopyExecutionAlertProps } from '../../stacks/central/snapshot-copy-execution-alert';
import { CENTRAL_ACCOUNT, CENTRAL_REGION, rawConfig } from '../support/config';
import { matchesPattern } from '../support/event-pattern-matcher';
import { parsed, refTo, synthStack, theResource } from '../support/synth';
import { ARN, CENTRAL_TARGET_DLQ, idsIn, synthAll, UNIT, unitScope, WITH_RETENTION } from './support';

describe('snapshot copy execution alert, in the central stack', () => {
  // GIVEN an org with snapshotCopy and retention; WHEN synthesized
  const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));
  const CENTRAL_DLQ_REF = () => refTo(central, SqsQueue.tfResourceType, 'arn', (q) => q.name === 'ebs-event-hub-central-target-dlq');

  it('sends every copy or sweep execution that failed, timed out or was aborted, by name and cause, from the DEFAULT bus to the alert topic', () => {
    const rule = theResource(central, CloudwatchEventRule.tfResourceType, (r) => r.name === 'ebs-event-hub-copy-execution-failed');
    expect(rule.event_bus_name).toBe('default');
    const pattern = parsed(rule.event_pattern);
    expect(pattern).toEqual(executionFailedPattern([ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'), ARN('states', 'stateMachine:ebs-event-hub-copy-sweep')]));
    // The Step Functions event as documented (cw-events.html), for an execution that failed.
    const event = {
      version: '0',
      id: '315c1398-40ff-a850-213b-158f73e60175',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: CENTRAL_ACCOUNT,
      time: '2026-11-21T10:00:00Z',
      region: CENTRAL_REGION,
      resources: [ARN('states', 'execution:ebs-event-hub-snapshot-copy:222222222222-eu-west-1-snap-0123456789abcdef0-eu-central-1')],
      detail: {
        executionArn: ARN('states', 'execution:ebs-event-hub-snapshot-copy:222222222222-eu-west-1-snap-0123456789abcdef0-eu-central-1'),
        stateMachineArn: ARN('states', 'stateMachine:ebs-event-hub-snapshot-copy'),
        name: '222222222222-eu-west-1-snap-0123456789abcdef0-eu-central-1',
        status: 'FAILED',
        error: 'CopyFailed',
        cause: 'copy snap-0fedcba9876543210 ended in error: "KMS key is disabled"',
      },
    };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, status: 'SUCCEEDED' } })).toBe(false);
    expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, stateMachineArn: ARN('states', 'stateMachine:other') } })).toBe(false);
    const target = theResource(central, CloudwatchEventTarget.tfResourceType, (t) => t.target_id === 'alert-topic');
    expect(target.arn).toMatch(/^\$\{aws_sns_topic\./);
    expect(target.input_transformer).toEqual({ input_paths: EXECUTION_ALERT_INPUT.inputPaths, input_template: EXECUTION_ALERT_INPUT.inputTemplate });
    expect(EXECUTION_ALERT_INPUT.inputPaths).toMatchObject({ execution: '$.detail.name', cause: '$.detail.cause' });
    // What EventBridge delivers is JSON (placeholders filled with JSON strings), and it tells the reader what to run.
    const delivered = JSON.parse((target.input_transformer as { input_template: string }).input_template.replace(/<[A-Za-z]+>/g, '"x"'));
    expect(delivered.whatToDo).toMatch(/start it again with npm run copies -- retry/);
    expect(target.dead_letter_config).toEqual({ arn: CENTRAL_DLQ_REF() }); // by reference: created after the DLQ
    expect(copyExecutionAlertRuleArn({ accountId: CENTRAL_ACCOUNT, region: CENTRAL_REGION })).toBe(ARN('events', 'rule/ebs-event-hub-copy-execution-failed'));
  });
});

describe('CopyExecutionAlert on its own', () => {
  const build = (arns: readonly string[]) => {
    const { stack, scope } = unitScope();
    const stateMachines = arns.map((arn, i) => ({ arn, stateMachine: new SfnStateMachine(stack, `machine-${i}`, { name: `m${i}`, roleArn: ARN('iam', 'role/x'), definition: '{}' }) }));
    const props: CopyExecutionAlertProps = { accountId: UNIT.accountId, region: UNIT.region, alertTopicArn: UNIT.alertTopicArn, deadLetterQueueArn: CENTRAL_TARGET_DLQ, stateMachines };
    return { stack, scope, make: () => new CopyExecutionAlert(scope, props) };
  };

  it('GIVEN the state machines (a third one, as a vault unit would add) WHEN built THEN the pattern names each in order and the rule waits for each', () => {
    const arns = ['copy', 'sweep', 'vault'].map((n) => ARN('states', `stateMachine:${n}`));
    const { stack, scope, make } = build(arns);
    make();
    expect(idsIn(scope)).toEqual(['execution-alert-rule', 'execution-alert-target']);
    const json = synthStack(stack);
    const rule = theResource(json, CloudwatchEventRule.tfResourceType);
    expect(parsed(rule.event_pattern)).toEqual(executionFailedPattern(arns));
    expect(rule.depends_on).toEqual(['aws_sfn_state_machine.machine-0', 'aws_sfn_state_machine.machine-1', 'aws_sfn_state_machine.machine-2']);
    expect(theResource(json, CloudwatchEventTarget.tfResourceType)).toMatchObject({ arn: UNIT.alertTopicArn, dead_letter_config: { arn: CENTRAL_TARGET_DLQ } });
  });

  it('GIVEN no state machine WHEN built THEN it says what is missing, and builds nothing', () => {
    const { scope, make } = build([]);
    expect(make).toThrowError('CopyExecutionAlert: stateMachines is empty; give the state machines whose executions alert');
    expect(idsIn(scope)).toEqual([]);
  });

  it('GIVEN one state machine twice WHEN built THEN it names the ARN, and builds nothing', () => {
    const arn = ARN('states', 'stateMachine:copy');
    const { scope, make } = build([arn, arn]);
    expect(make).toThrowError(`CopyExecutionAlert: stateMachines "${arn}" is listed twice; give each state machine once`);
    expect(idsIn(scope)).toEqual([]);
  });
});
