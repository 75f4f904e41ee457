/**
 * The queue, topic, log and key policies, evaluated with an IAM simulator
 * (@cloud-copilot/iam-simulate) on the very policy objects the stacks render into Terraform.
 *
 * The callers are AWS service principals (EventBridge, CloudWatch, CloudWatch Logs): for them
 * only the resource policy counts, scoped to this app's rules, alarms and log groups by
 * `aws:SourceArn`, `aws:SourceAccount` or the KMS encryption context (confused deputy).
 */
import { describe, it } from 'vitest';
import { alertRuleArns, alertRuleName, alertTopicPolicy, ALERT_TOPIC_NAME, type AlertsProps } from '../stacks/central/alerts';
import { auditLogGroupName, auditLogResourcePolicy, type AuditLogProps } from '../stacks/central/audit-log';
import { hubKeyPolicy } from '../stacks/central/hub-key';
import { AUDIT_RULE_NAME } from '../stacks/central-stack';
import { deadLetterQueuePolicy } from '../stacks/dead-letter-queue';
import { FORWARD_DLQ_NAME, FORWARD_RULE_NAME, logGroupArn, queueArn, ruleArn, topicArn } from '../stacks/names';
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

  it.each(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:PurgeQueue'])('GIVEN EventBridge acting for a listed rule WHEN it calls %s on the queue THEN it is denied', async (action) => {
    await expectDecision(send({ action }), 'ImplicitlyDenied');
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
  const alarmArn = (name: string): string => `arn:aws:cloudwatch:${REGION}:${CENTRAL}:alarm:${name}`;
  const publish = (over: Partial<SimulationRequest> = {}): SimulationRequest => ({
    principal: EVENTS,
    action: 'sns:Publish',
    resource: TOPIC,
    resourceAccount: CENTRAL,
    resourcePolicy: policy,
    ...over,
  });

  it.each(alertRuleArns(props))('GIVEN EventBridge acting for alert rule %s WHEN it publishes to the topic THEN it is allowed', async (rule) => {
    await expectDecision(publish({ context: { 'aws:SourceArn': rule } }), 'Allowed');
  });

  it('GIVEN EventBridge acting for a rule that is not an alert rule WHEN it publishes to the topic THEN it is denied', async () => {
    for (const rule of [
      ruleArn(REGION, CENTRAL, alertRuleName('not-an-alert'), BUS_NAME),
      ruleArn(REGION, CENTRAL, AUDIT_RULE_NAME, BUS_NAME),
      ruleArn(REGION, CENTRAL, alertRuleName('ami-failure')), // an alert name, but on the default bus
      ruleArn(REGION, STRANGER, alertRuleName('ami-failure'), BUS_NAME),
    ]) {
      await expectDecision(publish({ context: { 'aws:SourceArn': rule } }), 'ImplicitlyDenied');
    }
  });

  it('GIVEN CloudWatch acting for one of this app\'s alarms in the account WHEN it publishes to the topic THEN it is allowed', async () => {
    await expectDecision(
      publish({ principal: CLOUDWATCH, context: { 'aws:SourceArn': alarmArn('ebs-event-hub-x'), 'aws:SourceAccount': CENTRAL } }),
      'Allowed',
    );
  });

  it('GIVEN CloudWatch acting for an alarm outside this app WHEN it publishes to the topic THEN it is denied', async () => {
    await expectDecision(publish({ principal: CLOUDWATCH, context: { 'aws:SourceArn': alarmArn('other-x'), 'aws:SourceAccount': CENTRAL } }), 'ImplicitlyDenied');
    // this app's alarm name, but the alarm's account is not the topic's
    await expectDecision(
      publish({ principal: CLOUDWATCH, context: { 'aws:SourceArn': alarmArn('ebs-event-hub-x'), 'aws:SourceAccount': STRANGER } }),
      'ImplicitlyDenied',
    );
  });

  it('GIVEN EventBridge acting for an alert rule WHEN it subscribes to the topic THEN it is denied', async () => {
    await expectDecision(publish({ action: 'sns:Subscribe', context: { 'aws:SourceArn': alertRuleArns(props)[0]! } }), 'ImplicitlyDenied');
  });
});

describe('audit log resource policy', () => {
  const AUDIT_RULE = ruleArn(REGION, CENTRAL, AUDIT_RULE_NAME, BUS_NAME);
  const props: AuditLogProps = {
    accountId: CENTRAL,
    region: REGION,
    busName: BUS_NAME,
    ruleName: AUDIT_RULE_NAME,
    ruleArn: AUDIT_RULE,
    retentionInDays: 365,
    kmsKeyArn: `arn:aws:kms:${REGION}:${CENTRAL}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    deadLetterQueueArn: queueArn(REGION, CENTRAL, 'ebs-event-hub-target-dlq'),
  };
  const policy = auditLogResourcePolicy(props);
  const stream = (logGroupName: string): string => `${logGroupArn(REGION, CENTRAL, logGroupName)}:log-stream:0a1b2c3d`;
  const putLogEvents = (over: Partial<SimulationRequest> = {}): SimulationRequest => ({
    principal: EVENTS,
    action: 'logs:PutLogEvents',
    resource: stream(auditLogGroupName(BUS_NAME)),
    resourceAccount: CENTRAL,
    resourcePolicy: policy,
    context: { 'aws:SourceArn': AUDIT_RULE },
    ...over,
  });

  it('GIVEN EventBridge acting for the audit rule WHEN it writes to a stream of the audit log group THEN it is allowed', async () => {
    await expectDecision(putLogEvents(), 'Allowed');
  });

  it('GIVEN EventBridge acting for another rule, or for none WHEN it writes to the audit log group THEN it is denied', async () => {
    await expectDecision(putLogEvents({ context: { 'aws:SourceArn': ruleArn(REGION, CENTRAL, 'another-rule', BUS_NAME) } }), 'ImplicitlyDenied');
    await expectDecision(putLogEvents({ context: {} }), 'ImplicitlyDenied');
  });

  it('GIVEN EventBridge acting for the audit rule WHEN it writes to another log group THEN it is denied', async () => {
    for (const group of ['/aws/events/other-bus/audit', `/aws/events/${BUS_NAME}/audit-copy`, '/aws/lambda/ebs-event-hub-snapshot-copy']) {
      await expectDecision(putLogEvents({ resource: stream(group) }), 'ImplicitlyDenied');
    }
  });
});

describe('hub key policy', () => {
  const KEY = `arn:aws:kms:${REGION}:${CENTRAL}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const policy = hubKeyPolicy({ accountId: CENTRAL, region: REGION });
  const useKey = (principal: string, action: string, context: Record<string, string>): SimulationRequest => ({
    principal,
    action,
    resource: KEY,
    resourceAccount: CENTRAL,
    resourcePolicy: policy,
    context,
  });
  const LOGS_CONTEXT = 'kms:EncryptionContext:aws:logs:arn';

  it('GIVEN EventBridge acting for the key\'s account WHEN it generates a data key THEN it is allowed', async () => {
    await expectDecision(useKey(EVENTS, 'kms:GenerateDataKey', { 'aws:SourceAccount': CENTRAL }), 'Allowed');
  });

  it('GIVEN EventBridge acting for another account WHEN it generates a data key THEN it is denied', async () => {
    await expectDecision(useKey(EVENTS, 'kms:GenerateDataKey', { 'aws:SourceAccount': STRANGER }), 'ImplicitlyDenied');
    await expectDecision(useKey(EVENTS, 'kms:GenerateDataKey', {}), 'ImplicitlyDenied');
  });

  it('GIVEN CloudWatch Logs encrypting a log group of the account WHEN it calls kms:Encrypt THEN it is allowed', async () => {
    await expectDecision(useKey(LOGS, 'kms:Encrypt', { [LOGS_CONTEXT]: logGroupArn(REGION, CENTRAL, auditLogGroupName(BUS_NAME)) }), 'Allowed');
  });

  it('GIVEN CloudWatch Logs encrypting another account\'s log group, or no log group WHEN it calls kms:Encrypt THEN it is denied', async () => {
    await expectDecision(useKey(LOGS, 'kms:Encrypt', { [LOGS_CONTEXT]: logGroupArn(REGION, STRANGER, auditLogGroupName(BUS_NAME)) }), 'ImplicitlyDenied');
    await expectDecision(useKey(LOGS, 'kms:Encrypt', { [LOGS_CONTEXT]: logGroupArn('us-east-1', CENTRAL, auditLogGroupName(BUS_NAME)) }), 'ImplicitlyDenied');
    await expectDecision(useKey(LOGS, 'kms:Encrypt', {}), 'ImplicitlyDenied');
  });

  it('GIVEN CloudWatch Logs of another region WHEN it encrypts a log group of the account THEN it is denied', async () => {
    await expectDecision(
      useKey('logs.us-east-1.amazonaws.com', 'kms:Encrypt', { [LOGS_CONTEXT]: logGroupArn(REGION, CENTRAL, auditLogGroupName(BUS_NAME)) }),
      'ImplicitlyDenied',
    );
  });

  it.each(['kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy', 'kms:DisableKey', 'kms:CreateGrant'])(
    'GIVEN EventBridge acting for the key\'s account WHEN it calls %s THEN it is denied',
    async (action) => {
      await expectDecision(useKey(EVENTS, action, { 'aws:SourceAccount': CENTRAL }), 'ImplicitlyDenied');
    },
  );
});
