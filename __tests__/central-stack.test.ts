import { TerraformStack, Testing } from 'cdktf';
import { CloudwatchEventArchive } from '@cdktf/provider-aws/lib/cloudwatch-event-archive';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogResourcePolicy } from '@cdktf/provider-aws/lib/cloudwatch-log-resource-policy';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../stacks/app';
import { AlertAlarm, queueNotEmpty } from '../stacks/central/alert-alarm';
import { emailSubscriptionIds } from '../stacks/central/alerts';
import { ALERT_PATTERNS, centralIntakePattern, EC2_SOURCE, FORWARDED_DETAIL_TYPES } from '../stacks/event-patterns';
import type { PolicyDocument } from '../stacks/policy/policy';
import { parseOrgConfig } from '../config/load';
import type { OrgConfigInput } from '../config/schema';
import { BUS_NAME, CENTRAL_ACCOUNT, CENTRAL_REGION, manyMembers, ORG_ID, rawConfig } from './support/config';
import { parsed, refTo, resourcesOf, synthStack, theResource } from './support/synth';

import { RuleFailureAlarms } from '../stacks/central/alert-alarm';

const BUS_ARN = `arn:aws:events:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:event-bus/${BUS_NAME}`;

function synthCentral(raw: OrgConfigInput = rawConfig()) {
  const { central } = buildApp({ config: parseOrgConfig(raw), outdir: Testing.app().outdir });
  return synthStack(central);
}

describe('central stack', () => {
  // GIVEN the small test org; WHEN the central stack is synthesized (once for the read-only checks)
  const stack = synthCentral(rawConfig({ alerts: { emails: ['ops@example.com', 'oncall@example.com'] } }));

  it('deploys into the central account through the deployment role, in the central region', () => {
    const providers = stack.json.provider?.aws ?? [];
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({
      region: CENTRAL_REGION,
      allowed_account_ids: [CENTRAL_ACCOUNT],
      assume_role: [{ role_arn: `arn:aws:iam::${CENTRAL_ACCOUNT}:role/OrganizationAccountAccessRole` }],
      default_tags: [{ tags: { 'ebs-event-hub:stack': 'central' } }],
    });
  });

  it('creates the custom bus under its configured name', () => {
    expect(Testing.toHaveResourceWithProperties(stack.raw, CloudwatchEventBus.tfResourceType, { name: BUS_NAME, region: CENTRAL_REGION })).toBe(true);
  });

  it('has exactly one bus policy and never an event permission (which it would overwrite)', () => {
    expect(resourcesOf(stack, CloudwatchEventBusPolicy.tfResourceType)).toHaveLength(1);
    expect(resourcesOf(stack, 'aws_cloudwatch_event_permission')).toHaveLength(0);
  });

  it('admits only PutEvents by the members\' forwarding rules, from the organization', () => {
    const policy = parsed<PolicyDocument>(theResource(stack, CloudwatchEventBusPolicy.tfResourceType).policy);
    expect(policy.Statement).toHaveLength(1);
    const [statement] = policy.Statement;
    expect(statement).toEqual({
      Sid: 'OrganizationForwardingRulesPutEvents',
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: BUS_ARN,
      Condition: {
        StringEquals: { 'aws:PrincipalOrgID': ORG_ID },
        ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/ebs-event-hub-forward-to-central' },
      },
    });
    // no condition on events:source/detail-type, which no page documents for rule-forwarded deliveries
    const text = JSON.stringify(statement);
    for (const value of [EC2_SOURCE, ...FORWARDED_DETAIL_TYPES, 'events:source', 'events:detail-type']) expect(text).not.toContain(value);
  });

  it('archives forwarded events from the bus with the configured retention', () => {
    const archive = theResource(stack, CloudwatchEventArchive.tfResourceType);
    expect(archive.retention_days).toBe(365);
    expect(archive.event_source_arn).toMatch(/^\$\{aws_cloudwatch_event_bus\.[\w-]+\.arn\}$/);
    expect(parsed(archive.event_pattern)).toEqual(centralIntakePattern());
  });

  it('writes every forwarded event to an encrypted audit log group with retention, admitted by one log resource policy', () => {
    const group = theResource(stack, CloudwatchLogGroup.tfResourceType, (r) => String(r.name).startsWith('/aws/events/'));
    expect(group).toMatchObject({ name: `/aws/events/${BUS_NAME}/audit`, retention_in_days: 90 });
    expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\.[\w-]+\.arn\}$/);
    expect(resourcesOf(stack, CloudwatchLogResourcePolicy.tfResourceType)).toHaveLength(1);
    const rule = theResource(stack, CloudwatchEventRule.tfResourceType, (r) => r.name === 'ebs-event-hub-audit');
    expect(rule.event_bus_name).toBe(refTo(stack, CloudwatchEventBus.tfResourceType, 'name'));
    expect(parsed(rule.event_pattern)).toEqual(centralIntakePattern());
    const target = theResource(stack, CloudwatchEventTarget.tfResourceType, (t) => String(t.arn).includes(':log-group:'));
    expect(target.arn).toBe(`arn:aws:logs:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:log-group:/aws/events/${BUS_NAME}/audit`);
  });

  it('sends each failure pattern to the alert topic encrypted with a customer managed key', () => {
    const topic = theResource(stack, SnsTopic.tfResourceType);
    expect(topic.name).toBe('ebs-event-hub-alerts');
    expect(topic.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.[\w-]+\.arn\}$/);
    expect(topic.kms_master_key_id).not.toContain('alias/aws/sns');
    for (const alert of ALERT_PATTERNS) {
      const rule = theResource(stack, CloudwatchEventRule.tfResourceType, (r) => r.name === `ebs-event-hub-alert-${alert.id}`);
      expect(parsed(rule.event_pattern)).toEqual(alert.pattern);
      expect(rule.event_bus_name).toBe(refTo(stack, CloudwatchEventBus.tfResourceType, 'name'));
    }
    const topicTargets = resourcesOf(stack, CloudwatchEventTarget.tfResourceType).filter((t) => String(t.arn).includes(':sns:'));
    expect(topicTargets).toHaveLength(ALERT_PATTERNS.length);
  });

  it('lets EventBridge (by topic encryption context only) and CloudWatch (by source) use the topic key, names the log groups, and rotates it', () => {
    const key = theResource(stack, KmsKey.tfResourceType);
    expect(key.enable_key_rotation).toBe(true);
    const policy = parsed<PolicyDocument>(key.policy);
    const topic = `arn:aws:sns:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:ebs-event-hub-alerts`;
    expect(policy.Statement.find((s) => s.Sid === 'AlertRulesEncryptForAlertTopic')).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': topic } },
    });
    expect(policy.Statement.find((s) => s.Sid === 'AlarmsEncryptForAlertTopic')).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': topic, 'aws:SourceAccount': CENTRAL_ACCOUNT } },
    });
    const logs = policy.Statement.find((s) => s.Sid === 'CloudWatchLogsEncryptsLogGroups');
    expect(logs?.Condition).toEqual({
      ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': [`arn:aws:logs:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:log-group:/aws/events/${BUS_NAME}/audit`] },
    });
    expect(key.policy).not.toContain('log-group:*');
  });

  it('alarms on FailedInvocations and InvocationsSentToDLQ of every rule on the central bus, with its bus and rule dimensions by reference', () => {
    const rules = Object.entries(stack.json.resource?.[CloudwatchEventRule.tfResourceType] ?? {});
    expect(rules.length).toBe(1 + ALERT_PATTERNS.length);
    const [busKey] = Object.keys(stack.json.resource?.[CloudwatchEventBus.tfResourceType] ?? {});
    const alarms = resourcesOf(stack, CloudwatchMetricAlarm.tfResourceType).filter((a) => a.namespace === 'AWS/Events');
    for (const [key, rule] of rules) {
      for (const metric of ['FailedInvocations', 'InvocationsSentToDLQ']) {
        const ruleRef = `\${aws_cloudwatch_event_rule.${key}.name}`;
        const alarm = alarms.find((a) => a.metric_name === metric && (a.dimensions as Record<string, string>).RuleName === ruleRef);
        expect(alarm, `${metric} alarm of ${String((rule as { name: string }).name)}`).toMatchObject({
          // a custom bus's rules report with both dimensions (eb-monitoring); by reference: created after them
          dimensions: { EventBusName: `\${aws_cloudwatch_event_bus.${busKey}.name}`, RuleName: ruleRef },
          statistic: 'Sum',
          threshold: 0,
          comparison_operator: 'GreaterThanThreshold',
          treat_missing_data: 'notBreaching',
        });
        expect(String(alarm?.alarm_name)).toMatch(/^ebs-event-hub-rule-/);
        expect(alarm?.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\.[\w-]+\.arn\}$/)]);
      }
    }
    expect(alarms).toHaveLength(2 * rules.length);
  });

  it('sends member alarm state changes arriving on the bus to the alert topic', () => {
    const rule = theResource(stack, CloudwatchEventRule.tfResourceType, (r) => r.name === 'ebs-event-hub-alert-member-alarm');
    expect(parsed(rule.event_pattern)).toMatchObject({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] });
  });

  it('subscribes addresses that differ only in characters a construct id drops, and merges those equal but for case', () => {
    const emails = ['a.b@example.com', 'a-b@example.com', 'A.B@Example.com', 'a_b@example.com'];
    const subs = resourcesOf(synthCentral(rawConfig({ alerts: { emails } })), SnsTopicSubscription.tfResourceType);
    expect(subs.map((s) => s.endpoint).sort()).toEqual(['a-b@example.com', 'a.b@example.com', 'a_b@example.com']);
    const ids = emailSubscriptionIds(emails).map(([id]) => id);
    expect(ids[0]).toBe('email-a-b-example-com'); // the first keeps the id it always had
    expect(new Set(ids).size).toBe(3);
  });

  it('subscribes each configured email address', () => {
    const subs = resourcesOf(stack, SnsTopicSubscription.tfResourceType);
    expect(subs.map((s) => `${s.protocol}:${s.endpoint}`).sort()).toEqual(['email:oncall@example.com', 'email:ops@example.com']);
  });

  it('gives every target a retry policy and the encrypted central dead-letter queue, and alarms when it fills', () => {
    const targets = resourcesOf(stack, CloudwatchEventTarget.tfResourceType);
    expect(targets.length).toBe(1 + ALERT_PATTERNS.length);
    const dlqArn = refTo(stack, SqsQueue.tfResourceType, 'arn');
    for (const target of targets) {
      expect(target.dead_letter_config).toEqual({ arn: dlqArn });
      expect(target.retry_policy).toEqual({ maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 });
    }
    expect(theResource(stack, SqsQueue.tfResourceType)).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
    const alarm = theResource(stack, CloudwatchMetricAlarm.tfResourceType, (a) => a.alarm_name === 'ebs-event-hub-central-target-dlq-not-empty');
    // SQS stops publishing an idle queue's metrics: missing data must not bring the alarm back to OK.
    expect(alarm).toMatchObject({ namespace: 'AWS/SQS', dimensions: { QueueName: refTo(stack, SqsQueue.tfResourceType, 'name') }, threshold: 0, treat_missing_data: 'ignore' });
    // A dead letter is deleted 14 days after it arrived: a second alarm at 7 days.
    expect(theResource(stack, CloudwatchMetricAlarm.tfResourceType, (a) => a.alarm_name === 'ebs-event-hub-central-target-dlq-messages-expiring')).toMatchObject({
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: refTo(stack, SqsQueue.tfResourceType, 'name') },
      statistic: 'Maximum',
      threshold: 604800,
      comparison_operator: 'GreaterThanThreshold',
      treat_missing_data: 'ignore',
      alarm_actions: [refTo(stack, 'aws_sns_topic', 'arn')],
    });
  });

  it('outputs the bus ARN and the topic ARN', () => {
    expect(Object.keys(stack.json.output ?? {})).toEqual(expect.arrayContaining(['event_bus_arn', 'alert_topic_arn']));
  });

  it('uses no wildcard action in any policy it renders', () => {
    const policies = [...stack.raw.matchAll(/"(?:policy|policy_document)": "((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(JSON.parse(`"${m[1]}"`)) as PolicyDocument);
    expect(policies.length).toBeGreaterThanOrEqual(5);
    for (const policy of policies) {
      for (const s of policy.Statement) {
        expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
        for (const action of [s.Action].flat()) expect(action).not.toContain('*');
      }
    }
  });
});

describe('central stack without organizationId', () => {
  it('lists the member accounts as principals instead', () => {
    const { organizationId: _omit, ...raw } = rawConfig();
    const stack = synthCentral(raw);
    const policy = parsed<PolicyDocument>(theResource(stack, CloudwatchEventBusPolicy.tfResourceType).policy);
    expect(policy.Statement[0]!.Principal).toEqual({ AWS: ['arn:aws:iam::222222222222:root', 'arn:aws:iam::333333333333:root'] });
    expect(policy.Statement[0]!.Condition).not.toHaveProperty('StringEquals');
  });

  it('fails synthesis, saying to set organizationId, when the account list would exceed 10,240 characters', () => {
    const { organizationId: _omit, ...raw } = rawConfig({ members: manyMembers(400) });
    expect(() => synthCentral(raw)).toThrowError(/organizationId: not set, .* 400 member accounts.*EventBridge allows 10240\. Set organizationId/);
  });

  it('accepts the same 400 accounts when organizationId is set', () => {
    expect(() => synthCentral(rawConfig({ members: manyMembers(400) }))).not.toThrow();
  });
});

describe('AlertAlarm', () => {
  it('refuses an alarm name the alert topic would not admit', () => {
    const stack = new TerraformStack(Testing.app(), 'alarms');
    const props = { description: 'd', region: CENTRAL_REGION, metric: queueNotEmpty('q'), topicArn: 'arn:aws:sns:eu-west-1:111111111111:t' };
    expect(() => new AlertAlarm(stack, 'bad', { ...props, alarmName: 'other-alarm' })).toThrowError(
      'AlertAlarm: alarmName "other-alarm" must start with "ebs-event-hub-" (the alert topic admits only those alarms)',
    );
    new AlertAlarm(stack, 'good', { ...props, alarmName: 'ebs-event-hub-q-not-empty' });
    expect(theResource(synthStack(stack), CloudwatchMetricAlarm.tfResourceType)).toMatchObject({
      alarm_name: 'ebs-event-hub-q-not-empty',
      comparison_operator: 'GreaterThanThreshold',
      alarm_actions: ['arn:aws:sns:eu-west-1:111111111111:t'],
    });
  });
});

describe('RuleFailureAlarms', () => {
  const topicArn = 'arn:aws:sns:eu-west-1:111111111111:ebs-event-hub-alerts';

  it('GIVEN a rule on the default bus WHEN alarmed THEN its metrics carry only the RuleName dimension (eb-monitoring)', () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        new CloudwatchEventRule(scope, 'scheduled', { name: 'ebs-event-hub-sweep', scheduleExpression: 'rate(1 day)' });
        new RuleFailureAlarms(scope, 'alarms', { region: 'eu-west-1', busName: 'ignored-for-default-bus', topicArn });
      }),
    ) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const alarms = Object.values(json.resource[CloudwatchMetricAlarm.tfResourceType] ?? {});
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) expect(alarm.dimensions).toEqual({ RuleName: '${aws_cloudwatch_event_rule.scheduled.name}' });
  });

  it('GIVEN a rule whose name is not a literal WHEN alarmed THEN it throws naming the rule (alarm names need it)', () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const first = new CloudwatchEventRule(scope, 'first', { name: 'ebs-event-hub-a', scheduleExpression: 'rate(1 day)' });
        new CloudwatchEventRule(scope, 'derived', { name: first.name, scheduleExpression: 'rate(1 day)' });
        new RuleFailureAlarms(scope, 'alarms', { region: 'eu-west-1', busName: 'b', topicArn });
      }),
    ).toThrow(/rule .*derived has no literal name/);
  });
});
