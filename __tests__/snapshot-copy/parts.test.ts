/** The shared pieces of the copy path: a function with its role and log group, a state machine with its role, log group and alarms. */
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { copyLogGroupNames } from '../../stacks/central/snapshot-copy';
import { CopyFunction, type CopyFunctionProps } from '../../stacks/central/snapshot-copy-function';
import { CopyStateMachine, type CopyStateMachineProps } from '../../stacks/central/snapshot-copy-state-machine';
import { policyDocument, type PolicyDocument } from '../../stacks/policy/policy';
import { rawConfig } from '../support/config';
import { fakeBundle } from '../support/bundle';
import { inlinePoliciesOf, parsed, resourcesOf, synthStack, theResource } from '../support/synth';
import { ARN, CODE, fnNamed, FUNCTIONS, idsIn, machineNamed, statement, synthAll, UNIT, unitScope, WITH_RETENTION } from './support';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

describe('snapshot copy functions and state machines, in the central stack', () => {
  // GIVEN an org with snapshotCopy and retention; WHEN synthesized
  const bundle = fakeBundle();
  const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }), bundle);

  it('passes asl-validator for both state machines', () => {
    for (const name of ['ebs-event-hub-snapshot-copy', 'ebs-event-hub-copy-sweep']) {
      const { isValid, errors } = aslValidator(parsed(machineNamed(central, name).definition));
      expect(errors, name).toEqual([]);
      expect(isValid).toBe(true);
    }
  });

  it('logs each state machine to its own encrypted log group with retention, and lets its role invoke only its function', () => {
    for (const [name, fn] of [['ebs-event-hub-snapshot-copy', 'ebs-event-hub-copy-step'], ['ebs-event-hub-copy-sweep', 'ebs-event-hub-copy-sweep']] as const) {
      const machine = machineNamed(central, name);
      const logging = machine.logging_configuration as Record<string, unknown>;
      expect(logging).toMatchObject({ level: 'ERROR', include_execution_data: false });
      const group = theResource(central, CloudwatchLogGroup.tfResourceType, (g) => g.name === `/aws/vendedlogs/states/${name}`);
      expect(group).toMatchObject({ retention_in_days: 90 });
      expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
      expect(String(logging.log_destination)).toMatch(/^\$\{aws_cloudwatch_log_group\.[\w-]+\.arn\}:\*$/);
      const policy = inlinePoliciesOf(central, `${name}-states`)[`${name}-states`]!;
      expect(statement(policy, 'InvokeTaskFunction').Resource).toBe(ARN('lambda', `function:${fn}`));
      expect(policy.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith('lambda:')))).toHaveLength(1);
    }
  });

  it('runs each function on nodejs24.x arm64 from the bundle, each with its own role and encrypted log group with retention', () => {
    for (const name of FUNCTIONS) {
      const fn = fnNamed(central, name);
      expect(fn).toMatchObject({ runtime: 'nodejs24.x', architectures: ['arm64'], source_code_hash: bundle.sha256 });
      expect(String(fn.filename)).toMatch(/assets\/.*\.zip$/);
      const role = theResource(central, IamRole.tfResourceType, (r) => r.name === name);
      expect(fn.role).toMatch(/^\$\{aws_iam_role\.[\w-]+\.arn\}$/);
      expect(parsed<PolicyDocument>(role.assume_role_policy).Statement[0]!.Principal).toEqual({ Service: 'lambda.amazonaws.com' });
      const group = theResource(central, CloudwatchLogGroup.tfResourceType, (g) => g.name === `/aws/lambda/${name}`);
      expect(group.retention_in_days).toBe(90);
      expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
      expect((fn.logging_config as Record<string, unknown>).log_group).toMatch(/^\$\{aws_cloudwatch_log_group\./);
    }
    expect(FUNCTIONS.map((n) => fnNamed(central, n).handler)).toEqual(['index.start', 'index.step', 'index.sweep']);
    expect(copyLogGroupNames({ retention: true }).sort()).toEqual(
      resourcesOf(central, CloudwatchLogGroup.tfResourceType).map((g) => String(g.name)).filter((n) => !n.startsWith('/aws/events/')).sort(),
    );
  });
});

const POLICY = policyDocument('identity', [{ Sid: 'Describe', Effect: 'Allow', Action: 'ec2:DescribeSnapshots', Resource: '*' }]);

describe('CopyFunction', () => {
  const props = (over: Partial<CopyFunctionProps> = {}): CopyFunctionProps => ({
    ...UNIT,
    code: CODE,
    functionName: 'ebs-event-hub-copy-test',
    handler: 'index.test',
    description: 'a test function',
    timeoutSeconds: 30,
    policy: POLICY,
    environment: { A: '1' },
    ...over,
  });

  it('GIVEN an id WHEN built THEN it adds <id>-log-group, <id>-role, <id>-function; the function runs from the code with its role, logs to its group, and waits for its policy and `after`', () => {
    const { stack, scope } = unitScope();
    const after = new SqsQueue(stack, 'first', { name: 'first' });
    const fn = new CopyFunction(scope, 'test', props({ after: [after], sizeHint: 'set organizationId' }));
    expect(idsIn(scope)).toEqual(['test-function', 'test-log-group', 'test-role']);
    const json = synthStack(stack);
    const lambda = fnNamed(json, 'ebs-event-hub-copy-test');
    expect(lambda).toMatchObject({
      handler: 'index.test',
      filename: CODE.filename,
      source_code_hash: CODE.sourceCodeHash,
      timeout: 30,
      memory_size: 256,
      environment: { variables: { A: '1' } },
      logging_config: { log_format: 'Text' },
    });
    expect(lambda.depends_on).toEqual([
      expect.stringMatching(/^aws_cloudwatch_log_group\.snapshot-copy_test-log-group_/),
      expect.stringMatching(/^aws_iam_role_policy\.snapshot-copy_test-role_policy-ebs-event-hub-copy-test_/),
      'aws_sqs_queue.first',
    ]);
    expect(theResource(json, CloudwatchLogGroup.tfResourceType)).toMatchObject({ name: '/aws/lambda/ebs-event-hub-copy-test', retention_in_days: 90, kms_key_id: UNIT.kmsKeyArn });
    expect(inlinePoliciesOf(json, 'ebs-event-hub-copy-test')).toEqual({ 'ebs-event-hub-copy-test': POLICY });
    expect(fn.roleName).toBe('ebs-event-hub-copy-test');
  });

  it.each([
    [{ functionName: 'has space' }, 'CopyFunction test: functionName "has space" is not 1-64 characters of A-Z a-z 0-9 _ -'],
    [{ functionName: 'x'.repeat(65) }, `CopyFunction test: functionName "${'x'.repeat(65)}" is not 1-64 characters`],
    [{ handler: 'main.test' }, 'CopyFunction test: handler "main.test" is not index.<export> (the bundle is one index.js)'],
    [{ timeoutSeconds: 0 }, 'CopyFunction test: timeoutSeconds 0 is not a whole number from 1 to 900'],
    [{ timeoutSeconds: 901 }, 'CopyFunction test: timeoutSeconds 901 is not a whole number from 1 to 900'],
    [{ timeoutSeconds: 1.5 }, 'CopyFunction test: timeoutSeconds 1.5 is not a whole number from 1 to 900'],
    [{ accountId: '11111111111' }, 'CopyFunction test: accountId "11111111111" is not a 12-digit AWS account ID'],
  ] as const)('GIVEN %j WHEN built THEN it names the prop, the value and what is allowed, and builds nothing', (over, message) => {
    const { scope } = unitScope();
    expect(() => new CopyFunction(scope, 'test', props(over as Partial<CopyFunctionProps>))).toThrowError(message);
    expect(idsIn(scope)).toEqual([]);
  });
});

describe('CopyStateMachine', () => {
  const build = (over: Partial<CopyStateMachineProps> = {}) => {
    const { stack, scope } = unitScope();
    const task = new SqsQueue(stack, 'task', { name: 'task' });
    const props: CopyStateMachineProps = {
      ...UNIT,
      name: 'ebs-event-hub-test',
      description: 'a test machine',
      taskFunctionArn: ARN('lambda', 'function:ebs-event-hub-copy-test'),
      taskFunction: task,
      definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } },
      ...over,
    };
    return { stack, scope, make: () => new CopyStateMachine(scope, 'test', props) };
  };

  it('GIVEN an id WHEN built THEN it adds its role, log group, state machine and three execution alarms by that id; the machine waits for its task and its role policy', () => {
    const { stack, scope, make } = build();
    const machine = make();
    expect(idsIn(scope)).toEqual(['test-executions-aborted', 'test-executions-failed', 'test-executions-timed-out', 'test-state-machine', 'test-states-log-group', 'test-states-role']);
    const json = synthStack(stack);
    const sfn = machineNamed(json, 'ebs-event-hub-test');
    expect(parsed(sfn.definition)).toEqual({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });
    expect(sfn.depends_on).toEqual(['aws_sqs_queue.task', expect.stringMatching(/^aws_iam_role_policy\.snapshot-copy_test-states-role_policy-ebs-event-hub-test-states_/)]);
    expect(inlinePoliciesOf(json, 'ebs-event-hub-test-states')['ebs-event-hub-test-states']!.Statement.map((s) => s.Sid)).toEqual(['InvokeTaskFunction', 'DeliverExecutionLogs']);
    const alarms = resourcesOf(json, CloudwatchMetricAlarm.tfResourceType);
    expect(alarms.map((a) => a.alarm_name).sort()).toEqual(['ebs-event-hub-test-executions-aborted', 'ebs-event-hub-test-executions-failed', 'ebs-event-hub-test-executions-timed-out']);
    for (const a of alarms) expect(a).toMatchObject({ namespace: 'AWS/States', dimensions: { StateMachineArn: expect.stringMatching(/^\$\{aws_sfn_state_machine\./) }, alarm_actions: [UNIT.alertTopicArn] });
    expect(machine.arn).toBe(ARN('states', 'stateMachine:ebs-event-hub-test'));
    expect(machine.roleName).toBe('ebs-event-hub-test-states');
  });

  it.each([
    [{ name: 'has space' }, 'CopyStateMachine test: name "has space" is not 1-80 characters of A-Z a-z 0-9 _ -'],
    [{ name: 'n'.repeat(58) }, `CopyStateMachine test: name "${'n'.repeat(58)}" is too long for its role name ${'n'.repeat(58)}-states (IAM: at most 64 characters)`],
    [{ region: 'eu-west-1a' }, 'CopyStateMachine test: region "eu-west-1a" is not a commercial AWS region'],
  ] as const)('GIVEN %j WHEN built THEN it names the prop, the value and what is allowed, and builds nothing', (over, message) => {
    const { scope, make } = build(over as Partial<CopyStateMachineProps>);
    expect(make).toThrowError(message);
    expect(idsIn(scope)).toEqual([]);
  });
});
