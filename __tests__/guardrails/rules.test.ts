import { describe, expect, it } from 'vitest';
import type { DocumentedContextKeys } from '../../stacks/policy/context-keys';
import { RULES, type GuardrailRule, type SynthResource } from '../../stacks/guardrails';
import { publicPrincipal, undocumentedConditionKey, wildcardAction, wildcardResource } from '../../stacks/guardrails/policy-rules';
import {
  lambdaFailurePath,
  logGroupEncryption,
  logGroupRetention,
  queueEncryption,
  targetDeadLetter,
  topicEncryption,
} from '../../stacks/guardrails/resilience-rules';
import { stackCheckRule } from '../../stacks/guardrails/stack-check';
import { deprecatedArgument, literalReference, policyTooLarge } from '../../stacks/guardrails/terraform-rules';

/** A synthesized resource as cdk.tf.json holds it. */
const res = (type: string, name: string, config: Record<string, unknown>): SynthResource => ({ type, name, address: `${type}.${name}`, path: `stack/${name}`, config });

/** Runs one rule on `resource` inside a stack of `others`, with an optional documented-keys table. */
function run(rule: GuardrailRule, resource: SynthResource, others: SynthResource[] = [], contextKeys: DocumentedContextKeys[] = []): readonly string[] {
  const resources = new Map([resource, ...others].map((r) => [r.address, r]));
  return rule.check(resource, { resources, contextKeys });
}

const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const BUS_ARN = 'arn:aws:events:eu-west-1:111111111111:event-bus/central';

describe('guardrail rule ids', () => {
  it('are unique lowercase words, and every rule says what it requires and how to fix it', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(r.description.length).toBeGreaterThan(20);
      expect(r.fix.length).toBeGreaterThan(10);
    }
  });
});

describe('public-principal', () => {
  const bus = (statement: object) => res('aws_cloudwatch_event_bus_policy', 'p', { policy: policy(statement) });
  it('GIVEN "*" scoped by aws:PrincipalOrgID THEN complies', () => {
    expect(run(publicPrincipal, bus({ Sid: 'Org', Effect: 'Allow', Principal: '*', Action: 'events:PutEvents', Resource: BUS_ARN, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } } }))).toEqual([]);
  });
  it('GIVEN "*" with no condition THEN fails naming the statement', () => {
    expect(run(publicPrincipal, bus({ Sid: 'Anyone', Effect: 'Allow', Principal: '*', Action: 'events:PutEvents', Resource: BUS_ARN }))).toEqual([
      'event bus policy: statement Anyone allows principal "*" with no organization, account or source condition',
    ]);
  });
  it('GIVEN {"AWS": "*"} whose only condition is a Null check or a negated operator THEN fails', () => {
    const nullOnly = bus({ Sid: 'N', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'events:PutEvents', Resource: BUS_ARN, Condition: { Null: { 'aws:PrincipalOrgID': 'false' } } });
    const negated = bus({ Sid: 'X', Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 'events:PutEvents', Resource: BUS_ARN, Condition: { StringNotEquals: { 'aws:SourceAccount': '1' } } });
    expect(run(publicPrincipal, nullOnly)).toHaveLength(1);
    expect(run(publicPrincipal, negated)).toHaveLength(1);
  });
  it('GIVEN a Deny with "*" THEN complies (a deny narrows)', () => {
    expect(run(publicPrincipal, bus({ Sid: 'D', Effect: 'Deny', Principal: '*', Action: 'events:PutEvents', Resource: BUS_ARN }))).toEqual([]);
  });
});

describe('wildcard-action', () => {
  const role = (statement: object) => res('aws_iam_role_policy', 'p', { role: 'r', policy: policy(statement) });
  it('GIVEN listed actions THEN complies', () => {
    expect(run(wildcardAction, role({ Sid: 'A', Effect: 'Allow', Action: ['sqs:ReceiveMessage'], Resource: 'arn:aws:sqs:eu-west-1:1:q' }))).toEqual([]);
  });
  it('GIVEN "sqs:*" or NotAction in an Allow THEN fails', () => {
    expect(run(wildcardAction, role({ Sid: 'A', Effect: 'Allow', Action: 'sqs:*', Resource: 'arn:aws:sqs:eu-west-1:1:q' }))).toEqual(['IAM role inline policy: statement A allows wildcard action "sqs:*"']);
    expect(run(wildcardAction, role({ Sid: 'B', Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:sqs:eu-west-1:1:q' }))).toEqual(['IAM role inline policy: statement B allows NotAction (every other action)']);
  });
});

describe('wildcard-resource', () => {
  const role = (statement: object) => res('aws_iam_role_policy', 'p', { role: 'r', policy: policy(statement) });
  it('GIVEN "*" only for ec2:DescribeSnapshots (no resource-level permission exists) THEN complies', () => {
    expect(run(wildcardResource, role({ Sid: 'D', Effect: 'Allow', Action: 'ec2:DescribeSnapshots', Resource: '*' }))).toEqual([]);
  });
  it('GIVEN "*" for ec2:CopySnapshot THEN fails naming the action', () => {
    expect(run(wildcardResource, role({ Sid: 'C', Effect: 'Allow', Action: ['ec2:DescribeSnapshots', 'ec2:CopySnapshot'], Resource: '*' }))).toEqual([
      'IAM role inline policy: statement C allows ec2:CopySnapshot on "*"',
    ]);
  });
  it('GIVEN a key policy with Resource "*" (meaning this key) THEN complies', () => {
    const key = res('aws_kms_key', 'k', { policy: policy({ Sid: 'K', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 'kms:Decrypt', Resource: '*' }) });
    expect(run(wildcardResource, key)).toEqual([]);
  });
});

describe('undocumented-condition-key (table injected)', () => {
  const table: DocumentedContextKeys[] = [{ caller: 'events.amazonaws.com', action: 'sns:Publish', keys: ['aws:SourceArn', 'aws:SourceAccount'], docs: ['https://example.test/doc'] }];
  const topic = (condition: object) =>
    res('aws_sns_topic_policy', 't', { policy: policy({ Sid: 'P', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Resource: 'arn:aws:sns:eu-west-1:1:t', Condition: condition }) });
  it('GIVEN a key the row lists THEN complies', () => {
    expect(run(undocumentedConditionKey, topic({ ArnEquals: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:1:rule/x' } }), [], table)).toEqual([]);
  });
  it('GIVEN a key the row does not list THEN fails naming caller, key, action and the page', () => {
    const found = run(undocumentedConditionKey, topic({ StringEquals: { 'aws:SourceOrgID': 'o-abc1234567' } }), [], table);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('events.amazonaws.com does not send aws:SourceOrgID with sns:Publish');
    expect(found[0]).toContain('https://example.test/doc');
  });
  it('GIVEN a caller and action the table has no row for THEN skips it', () => {
    expect(run(undocumentedConditionKey, topic({ StringEquals: { 'aws:SourceOrgID': 'o-abc1234567' } }), [], [])).toEqual([]);
  });
  it('GIVEN a regional service principal THEN uses the row of its <region> form', () => {
    const rows: DocumentedContextKeys[] = [{ caller: 'logs.<region>.amazonaws.com', action: 'kms:Decrypt', keys: ['kms:EncryptionContext:'], docs: ['d'] }];
    const key = (k: string) => res('aws_kms_key', 'k', { policy: policy({ Sid: 'L', Effect: 'Allow', Principal: { Service: 'logs.eu-west-1.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*', Condition: { ArnLike: { [k]: 'x' } } }) });
    expect(run(undocumentedConditionKey, key('kms:EncryptionContext:aws:logs:arn'), [], rows)).toEqual([]);
    expect(run(undocumentedConditionKey, key('aws:SourceArn'), [], rows)).toHaveLength(1);
  });
});

describe('undocumented-condition-key: callers a statement does not name', () => {
  const rows: DocumentedContextKeys[] = [
    { caller: 'rule-forward', action: 'events:PutEvents', keys: ['aws:SourceArn', 'aws:PrincipalOrgID'], docs: ['rule-doc'] },
    { caller: 'iam-role-session', action: 'events:PutEvents', keys: ['events:source', 'aws:PrincipalOrgID'], docs: ['session-doc'] },
  ];
  const bus = (condition: object) => res('aws_cloudwatch_event_bus_policy', 'b', { policy: policy({ Sid: 'Put', Effect: 'Allow', Principal: '*', Action: 'events:PutEvents', Resource: BUS_ARN, Condition: condition }) });
  it('GIVEN "*" and a key one possible caller sends (a rule forward sends aws:SourceArn) THEN complies', () => {
    expect(run(undocumentedConditionKey, bus({ ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/forward' } }), [], rows)).toEqual([]);
  });
  it('GIVEN "*" and a key no possible caller sends THEN fails once per caller row', () => {
    expect(run(undocumentedConditionKey, bus({ StringEquals: { 'aws:SourceVpc': 'vpc-1' } }), [], rows)).toEqual([
      expect.stringContaining('iam-role-session does not send aws:SourceVpc with events:PutEvents (documented: events:source, aws:PrincipalOrgID; session-doc)'),
      expect.stringContaining('rule-forward does not send aws:SourceVpc with events:PutEvents (documented: aws:SourceArn, aws:PrincipalOrgID; rule-doc)'),
    ]);
  });
  it("GIVEN a row marked conditionedInAwsExample THEN a statement following AWS's example is not flagged", () => {
    const example: DocumentedContextKeys[] = [{ caller: 'logs.<region>.amazonaws.com', action: 'kms:DescribeKey', keys: [], docs: ['d'], conditionedInAwsExample: true }];
    const key = res('aws_kms_key', 'k', { policy: policy({ Sid: 'Logs', Effect: 'Allow', Principal: { Service: 'logs.eu-west-1.amazonaws.com' }, Action: 'kms:DescribeKey', Resource: '*', Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'x' } } }) });
    expect(run(undocumentedConditionKey, key, [], example)).toEqual([]);
  });
  it('GIVEN an identity statement on requests a service makes for the role (kms:ViaService) THEN the direct-call row is not applied', () => {
    const direct: DocumentedContextKeys[] = [{ caller: 'iam-role-session', action: 'kms:DescribeKey', keys: ['aws:PrincipalArn'], docs: ['d'] }];
    const via = res('aws_iam_role_policy', 'p', { role: 'r', policy: policy({ Sid: 'ViaEc2', Effect: 'Allow', Action: 'kms:DescribeKey', Resource: 'arn:aws:kms:eu-west-1:1:key/*', Condition: { StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' } } }) });
    const directCall = res('aws_iam_role_policy', 'p', { role: 'r', policy: policy({ Sid: 'Direct', Effect: 'Allow', Action: 'kms:DescribeKey', Resource: 'arn:aws:kms:eu-west-1:1:key/*', Condition: { StringEquals: { 'aws:ResourceTag/team': 'x' } } }) });
    expect(run(undocumentedConditionKey, via, [], direct)).toEqual([]);
    expect(run(undocumentedConditionKey, directCall, [], direct)).toHaveLength(1);
  });
});

describe('policy-too-large (stacks/checks/policy-sizes.ts per resource)', () => {
  const queue = (n: number) => res('aws_sqs_queue', 'q', { policy: policy(...Array.from({ length: n }, (_, i) => ({ Sid: `S${i}`, Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:111111111111:q'.padEnd(100, 'x') }))) });
  it('GIVEN a queue policy under 8,192 bytes THEN complies', () => {
    expect(run(policyTooLarge, queue(10))).toEqual([]);
  });
  it('GIVEN a queue policy over 8,192 bytes THEN fails with its size, the limit and the quota page', () => {
    const [message] = run(policyTooLarge, queue(60));
    expect(message).toMatch(/^the SQS queue policy takes \d+; AWS allows 8192 \(https:\/\/docs\.aws\.amazon\.com\/AWSSimpleQueueService\/latest\/SQSDeveloperGuide\/quotas-policies\.html\)$/);
  });
  it('GIVEN a policy that is not literal JSON THEN fails: its size cannot be known at synth', () => {
    expect(run(policyTooLarge, res('aws_sqs_queue', 'q', { policy: '${data.aws_iam_policy_document.x.json}' }))).toEqual([expect.stringMatching(/is not literal JSON/)]);
  });
});

describe('encryption and retention', () => {
  it('queue: SSE-SQS or a KMS key complies; neither fails', () => {
    expect(run(queueEncryption, res('aws_sqs_queue', 'q', { sqs_managed_sse_enabled: true }))).toEqual([]);
    expect(run(queueEncryption, res('aws_sqs_queue', 'q', { kms_master_key_id: 'alias/k' }))).toEqual([]);
    expect(run(queueEncryption, res('aws_sqs_queue', 'q', { name: 'q' }))).toEqual(['the queue sets neither sqs_managed_sse_enabled nor kms_master_key_id']);
  });
  it('topic: a customer managed key complies; none, or alias/aws/sns, fails', () => {
    expect(run(topicEncryption, res('aws_sns_topic', 't', { kms_master_key_id: '${aws_kms_key.k.arn}' }))).toEqual([]);
    expect(run(topicEncryption, res('aws_sns_topic', 't', {}))).toEqual(['the topic has no kms_master_key_id']);
    expect(run(topicEncryption, res('aws_sns_topic', 't', { kms_master_key_id: 'alias/aws/sns' }))).toHaveLength(1);
  });
  it('log group: a KMS key and a retention comply; missing either fails', () => {
    const good = res('aws_cloudwatch_log_group', 'l', { kms_key_id: '${aws_kms_key.k.arn}', retention_in_days: 90 });
    expect(run(logGroupEncryption, good)).toEqual([]);
    expect(run(logGroupRetention, good)).toEqual([]);
    expect(run(logGroupEncryption, res('aws_cloudwatch_log_group', 'l', { retention_in_days: 90 }))).toEqual(['the log group has no kms_key_id']);
    expect(run(logGroupRetention, res('aws_cloudwatch_log_group', 'l', { retention_in_days: 0 }))).toEqual(['the log group keeps events forever (no retention_in_days)']);
  });
});

describe('target-dlq-retry', () => {
  it('GIVEN a DLQ and a retry policy THEN complies', () => {
    expect(run(targetDeadLetter, res('aws_cloudwatch_event_target', 't', { dead_letter_config: { arn: 'arn:aws:sqs:eu-west-1:1:dlq' }, retry_policy: { maximum_retry_attempts: 185 } }))).toEqual([]);
  });
  it('GIVEN neither THEN fails twice', () => {
    expect(run(targetDeadLetter, res('aws_cloudwatch_event_target', 't', { arn: 'x' }))).toEqual(['the target has no dead_letter_config.arn', 'the target has no retry_policy']);
  });
});

describe('lambda-failure-path', () => {
  const fn = res('aws_lambda_function', 'f', { function_name: 'copy' });
  const esm = res('aws_lambda_event_source_mapping', 'm', { function_name: '${aws_lambda_function.f.arn}', event_source_arn: '${aws_sqs_queue.q.arn}' });
  it('GIVEN a dead_letter_config THEN complies', () => {
    expect(run(lambdaFailurePath, res('aws_lambda_function', 'f', { dead_letter_config: { target_arn: 'arn:aws:sqs:eu-west-1:1:d' } }))).toEqual([]);
  });
  it('GIVEN only an SQS event source whose queue redrives to a DLQ THEN complies', () => {
    const queue = res('aws_sqs_queue', 'q', { redrive_policy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:1:d', maxReceiveCount: 10 }) });
    expect(run(lambdaFailurePath, fn, [esm, queue])).toEqual([]);
  });
  it('GIVEN an SQS event source whose queue has no redrive policy THEN fails naming the queue', () => {
    expect(run(lambdaFailurePath, fn, [esm, res('aws_sqs_queue', 'q', {})])).toEqual(['event source mapping aws_lambda_event_source_mapping.m reads queue aws_sqs_queue.q, which has no redrive policy to a DLQ']);
  });
  it('GIVEN an asynchronous invoker (aws_lambda_permission) and no DLQ or destination THEN fails', () => {
    const permission = res('aws_lambda_permission', 'p', { function_name: 'copy', principal: 'events.amazonaws.com' });
    expect(run(lambdaFailurePath, fn, [permission])).toHaveLength(1);
  });
  it('GIVEN an asynchronous invoker and an on-failure destination THEN complies', () => {
    const permission = res('aws_lambda_permission', 'p', { function_name: 'copy', principal: 'events.amazonaws.com' });
    const invokeConfig = res('aws_lambda_function_event_invoke_config', 'c', { function_name: '${aws_lambda_function.f.function_name}', destination_config: { on_failure: { destination: 'arn:aws:sqs:eu-west-1:1:d' } } });
    expect(run(lambdaFailurePath, fn, [permission, invokeConfig])).toEqual([]);
  });
  it('GIVEN only a Step Functions state machine that invokes it THEN complies (its Retry/Catch handle failures)', () => {
    const sm = res('aws_sfn_state_machine', 's', { definition: JSON.stringify({ States: { Copy: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${aws_lambda_function.f.arn}' } } } }) });
    expect(run(lambdaFailurePath, fn, [sm])).toEqual([]);
  });
  it('GIVEN nothing that invokes it with a failure path THEN fails', () => {
    expect(run(lambdaFailurePath, fn)).toHaveLength(1);
  });
});

describe('deprecated-argument (stacks/checks/deprecated-arguments.ts per resource)', () => {
  it('GIVEN aws_iam_role without inline_policy THEN complies; WITH it THEN fails naming the replacement', () => {
    expect(run(deprecatedArgument, res('aws_iam_role', 'r', { name: 'r', assume_role_policy: '{}' }))).toEqual([]);
    expect(run(deprecatedArgument, res('aws_iam_role', 'r', { inline_policy: [{ name: 'x', policy: '{}' }] }))).toEqual([expect.stringMatching(/^inline_policy: .*aws_iam_role_policy/)]);
    expect(run(deprecatedArgument, res('aws_cloudwatch_event_rule', 'r', { is_enabled: true }))).toEqual([expect.stringMatching(/^is_enabled: /)]);
  });
  it('GIVEN a resource type nobody checked for deprecations THEN fails, asking for its row', () => {
    expect(run(deprecatedArgument, res('aws_s3_bucket', 'b', { bucket: 'x' }))).toEqual([expect.stringMatching(/aws_s3_bucket is not in the table of deprecated arguments/)]);
  });
});

describe('literal-reference (stacks/checks/literal-references.ts per resource)', () => {
  const bus = res('aws_cloudwatch_event_bus', 'bus', { name: 'central', region: 'eu-west-1' });
  it('GIVEN a rule referencing the bus by ${...} or listing it in depends_on THEN complies', () => {
    expect(run(literalReference, res('aws_cloudwatch_event_rule', 'r', { name: 'r', event_bus_name: '${aws_cloudwatch_event_bus.bus.name}' }), [bus])).toEqual([]);
    expect(run(literalReference, res('aws_cloudwatch_event_rule', 'r', { name: 'r', event_bus_name: 'central', depends_on: ['aws_cloudwatch_event_bus.bus'] }), [bus])).toEqual([]);
  });
  it('GIVEN a rule naming the bus by a literal string only THEN fails', () => {
    expect(run(literalReference, res('aws_cloudwatch_event_rule', 'r', { name: 'r', event_bus_name: 'central' }), [bus])).toEqual([
      'event_bus_name names aws_cloudwatch_event_bus.bus by the literal "central", without a reference or depends_on: Terraform may create this first',
    ]);
  });
});

describe('stackCheckRule (a whole-stack check as a guardrail)', () => {
  it('runs the check once per stack and reports each finding on the resource it names', () => {
    let calls = 0;
    const rule = stackCheckRule({
      id: 'fake-stack-check',
      description: 'a check over the whole stack, for the test',
      fix: 'nothing to fix',
      find: (stack) => {
        calls++;
        return Object.keys(stack.resource?.aws_sqs_queue ?? {}).map((name) => ({ resource: `aws_sqs_queue.${name}`, why: 'queue found' }));
      },
      addressOf: (f) => f.resource,
      message: (f) => f.why,
    });
    const q = res('aws_sqs_queue', 'q', { name: 'q' });
    const t = res('aws_sns_topic', 't', { name: 't' });
    const context = { resources: new Map([q, t].map((r) => [r.address, r])), contextKeys: [] };
    expect(rule.check(q, context)).toEqual(['queue found']);
    expect(rule.check(t, context)).toEqual([]);
    expect(calls).toBe(1);
  });
});
