/**
 * The queue, topic, log and key policies, evaluated with an IAM simulator
 * (@cloud-copilot/iam-simulate) on the very policy objects the stacks render into Terraform.
 *
 * The callers are AWS service principals (EventBridge, CloudWatch, CloudWatch Logs): for them
 * only the resource policy counts, scoped to this app's rules, alarms, topic and log groups by
 * `aws:SourceArn`, `aws:SourceAccount` or the KMS encryption context (confused deputy), and only
 * by keys AWS documents as sent for that caller and API (stacks/policy/context-keys.ts): every request
 * below is checked against that table by the harness.
 */
import { describe, expect, it } from 'vitest';
import { alertTopicPolicy, ALERT_TOPIC_NAME, type AlertsProps } from '../stacks/central/alerts';
import { auditLogGroupName, auditLogResourcePolicy } from '../stacks/central/audit-log';
import { hubKeyPolicy, HubKeyPropsError } from '../stacks/central/hub-key';
import { AUDIT_RULE_NAME } from '../stacks/central-stack';
import { deadLetterQueuePolicy } from '../stacks/dead-letter-queue';
import { FORWARD_DLQ_NAME, FORWARD_RULE_NAME, logGroupArn, queueArn, ruleArn, topicArn } from '../stacks/names';
import { policyDocument } from '../stacks/policy/policy';
import { expectDecision, type SimulationRequest } from './support/iam';
import { BUS_NAME, CENTRAL_ACCOUNT as CENTRAL, CENTRAL_REGION as REGION } from './support/config';

const MEMBER = '222222222222';
const STRANGER = '999999999999';
const EVENTS = 'events.amazonaws.com';
const CLOUDWATCH = 'cloudwatch.amazonaws.com';
const LOGS = `logs.${REGION}.amazonaws.com`;

describe('dead-letter queue policy', () => {
  const FORWARD_RULE = ruleArn(REGION, MEMBER, FORWARD_RULE_NAME);
  const SECOND_RULE = ruleArn(REGION, MEMBER, 'ebs-event-hub-second');
  const QUEUE = queueArn(REGION, MEMBER, FORWARD_DLQ_NAME);
  const policy = deadLetterQueuePolicy({ name: FORWARD_DLQ_NAME, region: REGION, accountId: MEMBER, sourceRuleArns: [FORWARD_RULE, SECOND_RULE] });
  const send = (over: Partial<SimulationRequest> = {}): SimulationRequest => ({
    principal: EVENTS,
    action: 'sqs:SendMessage',
    resource: QUEUE,
    resourceAccount: MEMBER,
    resourcePolicy: policy,
    context: { 'aws:SourceArn': FORWARD_RULE },
    ...over,
  });

  it.each([FORWARD_RULE, SECOND_RULE])('GIVEN EventBridge acting for listed rule %s WHEN it sends a failed event to the queue THEN it is allowed', async (rule) => {
    await expectDecision(send({ context: { 'aws:SourceArn': rule } }), 'Allowed');
  });

  it('GIVEN EventBridge acting for another rule, or for none WHEN it sends to the queue THEN it is denied', async () => {
    await expectDecision(send({ context: { 'aws:SourceArn': ruleArn(REGION, MEMBER, 'someone-elses-rule') } }), 'ImplicitlyDenied');
    await expectDecision(send({ context: { 'aws:SourceArn': ruleArn(REGION, STRANGER, FORWARD_RULE_NAME) } }), 'ImplicitlyDenied');
    await expectDecision(send({ context: {} }), 'ImplicitlyDenied');
  });

  it.each(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:PurgeQueue'])('GIVEN EventBridge WHEN it calls %s on the queue THEN it is denied', async (action) => {
    await expectDecision(send({ action, context: {} }), 'ImplicitlyDenied');
  });

  it('GIVEN another service principal WHEN it sends to the queue with a listed rule as source THEN it is denied', async () => {
    await expectDecision(send({ principal: 'sns.amazonaws.com' }), 'ImplicitlyDenied');
  });
});

describe('alert topic policy', () => {
  const props: AlertsProps = {
    accountId: CENTRAL,
    region: REGION,
    busName: BUS_NAME,
    kmsKeyArn: `arn:aws:kms:${REGION}:${CENTRAL}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    emails: ['platform@example.com'],
    deadLetterQueueArn: queueArn(REGION, CENTRAL, 'ebs-event-hub-target-dlq'),
  };
  const policy = alertTopicPolicy(props);
  const TOPIC = topicArn(REGION, CENTRAL, ALERT_TOPIC_NAME);
  const alarmArn = (name: string, account = CENTRAL): string => `arn:aws:cloudwatch:${REGION}:${account}:alarm:${name}`;
  const publish = (over: Partial<SimulationRequest> = {}): SimulationRequest => ({
    principal: EVENTS,
    action: 'sns:Publish',
    resource: TOPIC,
    resourceAccount: CENTRAL,
    resourcePolicy: policy,
    context: {},
    ...over,
  });

  it('GIVEN EventBridge delivering for a rule of the account (no condition key: none is documented for EventBridge to SNS) WHEN it publishes to the topic THEN it is allowed', async () => {
    await expectDecision(publish(), 'Allowed');
  });

  it('GIVEN the topic policy WHEN its EventBridge statement is read THEN it has no condition block (AWS does not support one for EventBridge)', () => {
    const statement = policy.Statement.find((s) => s.Principal !== '*' && 'Service' in (s.Principal ?? {}) && (s.Principal as { Service: string }).Service === EVENTS);
    expect(statement?.Condition).toBeUndefined();
  });

  it('GIVEN an execution role of another account (how EventBridge reaches a topic in another account) WHEN it publishes THEN it is denied', async () => {
    const role = `arn:aws:iam::${STRANGER}:role/eventbridge-cross-account-target`;
    const grant = { g: policyDocument('identity', [{ Sid: 'G', Effect: 'Allow', Action: 'sns:Publish', Resource: TOPIC }]) };
    await expectDecision(publish({ principal: role, identityPolicies: grant }), 'ImplicitlyDenied');
  });

  it('GIVEN CloudWatch acting for one of this app\'s alarms in the account WHEN it publishes to the topic THEN it is allowed', async () => {
    await expectDecision(
      publish({ principal: CLOUDWATCH, context: { 'aws:SourceArn': alarmArn('ebs-event-hub-x'), 'aws:SourceAccount': CENTRAL } }),
      'Allowed',
    );
  });

  it('GIVEN CloudWatch acting for an alarm outside this app, or of another account WHEN it publishes to the topic THEN it is denied', async () => {
    await expectDecision(publish({ principal: CLOUDWATCH, context: { 'aws:SourceArn': alarmArn('other-x'), 'aws:SourceAccount': CENTRAL } }), 'ImplicitlyDenied');
    await expectDecision(
      publish({ principal: CLOUDWATCH, context: { 'aws:SourceArn': alarmArn('ebs-event-hub-x', STRANGER), 'aws:SourceAccount': STRANGER } }),
      'ImplicitlyDenied',
    );
    await expectDecision(publish({ principal: CLOUDWATCH, context: {} }), 'ImplicitlyDenied');
  });

  it('GIVEN EventBridge WHEN it subscribes to the topic THEN it is denied', async () => {
    await expectDecision(publish({ action: 'sns:Subscribe' }), 'ImplicitlyDenied');
  });
});

describe('audit log resource policy', () => {
  const AUDIT_RULE = ruleArn(REGION, CENTRAL, AUDIT_RULE_NAME, BUS_NAME);
  const policy = auditLogResourcePolicy({ accountId: CENTRAL, region: REGION, busName: BUS_NAME, ruleArn: AUDIT_RULE });
  const stream = (logGroupName: string): string => `${logGroupArn(REGION, CENTRAL, logGroupName)}:log-stream:0a1b2c3d`;
  const write = (over: Partial<SimulationRequest> = {}): SimulationRequest => ({
    principal: EVENTS,
    action: 'logs:PutLogEvents',
    resource: stream(auditLogGroupName(BUS_NAME)),
    resourceAccount: CENTRAL,
    resourcePolicy: policy,
    context: { 'aws:SourceArn': AUDIT_RULE },
    ...over,
  });

  it.each([EVENTS, 'delivery.logs.amazonaws.com'])('GIVEN %s with no condition key (none documented for CreateLogStream) WHEN it creates a stream in the audit log group THEN it is allowed', async (principal) => {
    await expectDecision(write({ principal, action: 'logs:CreateLogStream', context: {} }), 'Allowed');
  });

  it('GIVEN EventBridge acting for the audit rule WHEN it writes to a stream of the audit log group THEN it is allowed', async () => {
    await expectDecision(write(), 'Allowed');
  });

  it('GIVEN EventBridge acting for another rule, or for none WHEN it writes to the audit log group THEN it is denied', async () => {
    await expectDecision(write({ context: { 'aws:SourceArn': ruleArn(REGION, CENTRAL, 'another-rule', BUS_NAME) } }), 'ImplicitlyDenied');
    await expectDecision(write({ context: {} }), 'ImplicitlyDenied');
  });

  it('GIVEN EventBridge acting for the audit rule WHEN it creates a stream in or writes to another log group THEN it is denied', async () => {
    for (const group of ['/aws/events/other-bus/audit', `/aws/events/${BUS_NAME}/audit-copy`, '/aws/lambda/ebs-event-hub-snapshot-copy']) {
      await expectDecision(write({ resource: stream(group) }), 'ImplicitlyDenied');
      await expectDecision(write({ resource: stream(group), action: 'logs:CreateLogStream', context: {} }), 'ImplicitlyDenied');
    }
  });

  it('GIVEN a service that is not EventBridge WHEN it creates a stream in the audit log group THEN it is denied', async () => {
    await expectDecision(write({ principal: 'lambda.amazonaws.com', action: 'logs:CreateLogStream', context: {} }), 'ImplicitlyDenied');
  });
});

describe('hub key policy', () => {
  const KEY = `arn:aws:kms:${REGION}:${CENTRAL}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const TOPIC = topicArn(REGION, CENTRAL, ALERT_TOPIC_NAME);
  const COPY_LOG_GROUP = '/aws/lambda/ebs-event-hub-snapshot-copy';
  const policy = hubKeyPolicy({ accountId: CENTRAL, region: REGION, alertTopicArn: TOPIC, logGroupNames: [auditLogGroupName(BUS_NAME), COPY_LOG_GROUP] });
  const useKey = (principal: string, action: string, context: Record<string, string>): SimulationRequest => ({
    principal,
    action,
    resource: KEY,
    resourceAccount: CENTRAL,
    resourcePolicy: policy,
    context,
  });
  const SNS_CONTEXT = 'kms:EncryptionContext:aws:sns:topicArn';
  const LOGS_CONTEXT = 'kms:EncryptionContext:aws:logs:arn';
  const alarm = `arn:aws:cloudwatch:${REGION}:${CENTRAL}:alarm:ebs-event-hub-central-target-dlq-not-empty`;

  it.each(['kms:GenerateDataKey', 'kms:Decrypt'])('GIVEN EventBridge publishing to the alert topic (encryption context only, no source keys) WHEN it calls %s THEN it is allowed', async (action) => {
    await expectDecision(useKey(EVENTS, action, { [SNS_CONTEXT]: TOPIC }), 'Allowed');
  });

  it('GIVEN EventBridge publishing to another topic, or with no encryption context WHEN it generates a data key THEN it is denied', async () => {
    await expectDecision(useKey(EVENTS, 'kms:GenerateDataKey', { [SNS_CONTEXT]: topicArn(REGION, CENTRAL, 'someone-elses-topic') }), 'ImplicitlyDenied');
    await expectDecision(useKey(EVENTS, 'kms:GenerateDataKey', { [SNS_CONTEXT]: topicArn(REGION, STRANGER, ALERT_TOPIC_NAME) }), 'ImplicitlyDenied');
    await expectDecision(useKey(EVENTS, 'kms:GenerateDataKey', {}), 'ImplicitlyDenied');
  });

  it('GIVEN the key policy WHEN its EventBridge statement is read THEN it conditions on no aws:Source* key (unsupported for EventBridge-to-encrypted topics)', () => {
    const statement = policy.Statement.find((s) => s.Sid === 'AlertRulesEncryptForAlertTopic');
    expect(JSON.stringify(statement?.Condition)).not.toMatch(/aws:Source/i);
  });

  it('GIVEN CloudWatch acting for this app\'s alarm of the account WHEN it generates a data key for the alert topic THEN it is allowed', async () => {
    await expectDecision(useKey(CLOUDWATCH, 'kms:GenerateDataKey', { [SNS_CONTEXT]: TOPIC, 'aws:SourceAccount': CENTRAL, 'aws:SourceArn': alarm }), 'Allowed');
  });

  it('GIVEN CloudWatch acting for another account or another alarm WHEN it generates a data key THEN it is denied', async () => {
    await expectDecision(useKey(CLOUDWATCH, 'kms:GenerateDataKey', { [SNS_CONTEXT]: TOPIC, 'aws:SourceAccount': STRANGER, 'aws:SourceArn': alarm }), 'ImplicitlyDenied');
    await expectDecision(
      useKey(CLOUDWATCH, 'kms:GenerateDataKey', { [SNS_CONTEXT]: TOPIC, 'aws:SourceAccount': CENTRAL, 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${CENTRAL}:alarm:other` }),
      'ImplicitlyDenied',
    );
  });

  it.each([auditLogGroupName(BUS_NAME), COPY_LOG_GROUP])('GIVEN CloudWatch Logs encrypting the named log group %s WHEN it calls kms:Encrypt THEN it is allowed', async (group) => {
    await expectDecision(useKey(LOGS, 'kms:Encrypt', { [LOGS_CONTEXT]: logGroupArn(REGION, CENTRAL, group) }), 'Allowed');
  });

  it('GIVEN CloudWatch Logs encrypting another log group of the account, of another account or region, or none WHEN it calls kms:Encrypt THEN it is denied', async () => {
    await expectDecision(useKey(LOGS, 'kms:Encrypt', { [LOGS_CONTEXT]: logGroupArn(REGION, CENTRAL, '/aws/lambda/unrelated') }), 'ImplicitlyDenied');
    await expectDecision(useKey(LOGS, 'kms:Encrypt', { [LOGS_CONTEXT]: logGroupArn(REGION, STRANGER, auditLogGroupName(BUS_NAME)) }), 'ImplicitlyDenied');
    await expectDecision(useKey(LOGS, 'kms:Encrypt', { [LOGS_CONTEXT]: logGroupArn('us-east-1', CENTRAL, auditLogGroupName(BUS_NAME)) }), 'ImplicitlyDenied');
    await expectDecision(useKey(LOGS, 'kms:Encrypt', {}), 'ImplicitlyDenied');
  });

  it('GIVEN CloudWatch Logs of another region WHEN it encrypts a named log group THEN it is denied', async () => {
    await expectDecision(
      useKey('logs.us-east-1.amazonaws.com', 'kms:Encrypt', { [LOGS_CONTEXT]: logGroupArn(REGION, CENTRAL, auditLogGroupName(BUS_NAME)) }),
      'ImplicitlyDenied',
    );
  });

  it.each(['kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy', 'kms:DisableKey', 'kms:CreateGrant'])('GIVEN EventBridge WHEN it calls %s THEN it is denied', async (action) => {
    await expectDecision(useKey(EVENTS, action, {}), 'ImplicitlyDenied');
  });

  it('GIVEN no log group names, or a malformed one WHEN the key policy is built THEN it throws HubKeyPropsError naming the prop', () => {
    expect(() => hubKeyPolicy({ accountId: CENTRAL, region: REGION, alertTopicArn: TOPIC, logGroupNames: [] })).toThrow(HubKeyPropsError);
    expect(() => hubKeyPolicy({ accountId: CENTRAL, region: REGION, alertTopicArn: TOPIC, logGroupNames: ['/aws/lambda/x*'] })).toThrow(/logGroupNames has "\/aws\/lambda\/x\*"/);
  });
});
