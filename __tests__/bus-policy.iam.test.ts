/**
 * The central bus policy and the member forwarder role, evaluated with an IAM simulator
 * (@cloud-copilot/iam-simulate) on the very policy objects the stacks render into Terraform.
 *
 * The forwarder role is in a member account and the bus in the central account, so a put is
 * cross-account: the role's identity policy AND the bus policy must both allow it. Where a test
 * is about one of the two, the other is made to allow, so the one under test decides.
 *
 * A forward is simulated as AWS documents it (caller `rule-forward` in stacks/policy/context-keys.ts):
 * the sending rule's ARN, `events:eventBusInvocation` and the role session's principal keys; never
 * `events:source`/`events:detail-type`, which no page says are present for rule delivery.
 */
import { describe, expect, it } from 'vitest';
import { BUS_POLICY_MAX_CHARS, BusPolicyTooLargeError, centralBusPolicy } from '../stacks/central/event-bus';
import { documentedKeys, UndocumentedContextKeyError } from '../stacks/policy/context-keys';
import { FORWARDED_DETAIL_TYPES } from '../stacks/event-patterns';
import { forwarderPolicy, forwarderTrustPolicy } from '../stacks/member/forwarding';
import { busArn, FORWARD_DLQ_NAME, FORWARD_RULE_NAME, FORWARDER_ROLE_NAME, queueArn, roleArn, ruleArn } from '../stacks/names';
import { policyDocument, renderPolicy, type PolicyDocument } from '../stacks/policy/policy';
import { expectDecision, simulate, simulateWithDetails, SimulationInputError, type SimulationRequest } from './support/iam';
import { BUS_NAME, CENTRAL_ACCOUNT as CENTRAL, CENTRAL_REGION as REGION, ORG_ID } from './support/config';

const MEMBER = '222222222222';
const OTHER_MEMBER = '333333333333';
const STRANGER = '999999999999';
const CENTRAL_BUS = busArn(REGION, CENTRAL, BUS_NAME);
const OTHER_BUS = busArn(REGION, CENTRAL, 'some-other-bus');
const forwarderRole = (account: string): string => roleArn(account, FORWARDER_ROLE_NAME);

const ORG_BUS_POLICY = centralBusPolicy({ busArn: CENTRAL_BUS, organizationId: ORG_ID, memberAccountIds: [MEMBER] });
const LIST_BUS_POLICY = centralBusPolicy({ busArn: CENTRAL_BUS, memberAccountIds: [MEMBER, OTHER_MEMBER] });

/** The forwarding rule of `account` in `region` (on its default bus). */
const forwardRule = (account: string, region = 'us-east-1', name = FORWARD_RULE_NAME): string => ruleArn(region, account, name);

/**
 * A member's forwarding rule delivering to the central bus with the forwarder role: only the keys
 * AWS documents for rule-based delivery (`rule-forward` in stacks/policy/context-keys.ts).
 */
const forwardedPut = (over: Partial<SimulationRequest> = {}, account = MEMBER): SimulationRequest => ({
  principal: forwarderRole(account),
  caller: 'rule-forward',
  action: 'events:PutEvents',
  resource: CENTRAL_BUS,
  resourceAccount: CENTRAL,
  identityPolicies: { 'put-events-on-central-bus': forwarderPolicy(CENTRAL_BUS) },
  resourcePolicy: ORG_BUS_POLICY,
  context: { 'aws:PrincipalOrgID': ORG_ID, 'aws:SourceArn': forwardRule(account), 'events:eventBusInvocation': 'true' },
  ...over,
});

/** A role of a member account calling PutEvents itself (no rule): `iam-role-session`. */
const directPut = (sources: readonly string[], detailTypes: readonly string[], over: Partial<SimulationRequest> = {}): SimulationRequest => ({
  principal: roleArn(MEMBER, 'app-publisher'),
  action: 'events:PutEvents',
  resource: CENTRAL_BUS,
  resourceAccount: CENTRAL,
  identityPolicies: grants('events:PutEvents', CENTRAL_BUS),
  resourcePolicy: ORG_BUS_POLICY,
  context: { 'aws:PrincipalOrgID': ORG_ID, 'events:source': sources, 'events:detail-type': detailTypes, 'events:eventBusInvocation': 'false' },
  ...over,
});

/** A test-only identity policy granting `action` on `resource`, so the resource policy decides. */
const grants = (action: string, resource: string): Record<string, PolicyDocument> => ({
  'test-grant': policyDocument('identity', [{ Sid: 'TestGrant', Effect: 'Allow', Action: action, Resource: resource }]),
});

const accountIds = (n: number): string[] => Array.from({ length: n }, (_, i) => String(100_000_000_000 + i));

describe('central bus policy, organization mode', () => {
  it.each(['us-east-1', 'eu-west-1', 'ap-southeast-2'])('GIVEN the forwarding rule of an org member in %s WHEN it delivers to the central bus with its role THEN it is allowed', async (region) => {
    await expectDecision(
      forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, 'aws:SourceArn': forwardRule(MEMBER, region), 'events:eventBusInvocation': 'true' } }),
      'Allowed',
    );
  });

  it('GIVEN the same forwarding rule carrying a member alarm state change (aws.cloudwatch) WHEN it delivers THEN it is allowed: the request names the rule, not the event', async () => {
    // One rule forwards both kinds (forwardingPattern's $or); the documented keys of a rule delivery
    // carry no event content, so the alarm forward is admitted exactly as an EC2 forward is.
    await expectDecision(forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, 'aws:SourceArn': forwardRule(MEMBER, 'eu-central-1'), 'events:eventBusInvocation': 'true' } }), 'Allowed');
  });

  it('GIVEN a forward WHEN the request carries only aws:PrincipalOrgID and aws:SourceArn (eventBusInvocation absent) THEN it is still allowed: no condition needs more', async () => {
    await expectDecision(forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, 'aws:SourceArn': forwardRule(MEMBER) } }), 'Allowed');
  });

  it('GIVEN the bus policy WHEN its conditions are read THEN they use only keys documented for rule-forwarded PutEvents', () => {
    for (const statement of ORG_BUS_POLICY.Statement) {
      const keys = Object.values(statement.Condition ?? {}).flatMap((byKey) => Object.keys(byKey));
      const documented = documentedKeys('rule-forward', 'events:PutEvents')!.keys;
      expect(keys.filter((k) => !documented.includes(k))).toEqual([]);
    }
  });

  it('GIVEN an org member rule with another name WHEN it delivers to the central bus THEN it is denied', async () => {
    for (const rule of [forwardRule(MEMBER, 'us-east-1', 'some-other-rule'), ruleArn('us-east-1', MEMBER, FORWARD_RULE_NAME, 'custom-bus')]) {
      await expectDecision(forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, 'aws:SourceArn': rule, 'events:eventBusInvocation': 'true' } }), 'ImplicitlyDenied');
    }
  });

  it('GIVEN a forwarding rule in another organization, or in none WHEN it delivers to the central bus THEN it is denied', async () => {
    await expectDecision(
      forwardedPut({ context: { 'aws:PrincipalOrgID': 'o-zzzzzzzzzz', 'aws:SourceArn': forwardRule(STRANGER), 'events:eventBusInvocation': 'true' } }, STRANGER),
      'ImplicitlyDenied',
    );
    await expectDecision(forwardedPut({ context: { 'aws:SourceArn': forwardRule(STRANGER), 'events:eventBusInvocation': 'true' } }, STRANGER), 'ImplicitlyDenied');
  });

  it.each([
    [['custom.app'], ['OrderCreated']],
    [['aws.ec2'], [FORWARDED_DETAIL_TYPES[0]!]],
  ])('GIVEN an org member role allowed to put events WHEN it calls PutEvents directly with sources %j THEN the bus policy denies it', async (sources, detailTypes) => {
    await expectDecision(directPut(sources, detailTypes), 'ImplicitlyDenied');
  });

  it.each([
    ['events:PutRule', ruleArn(REGION, CENTRAL, 'injected-rule', BUS_NAME)],
    ['events:DeleteEventBus', CENTRAL_BUS],
  ])('GIVEN an org member whose own policies allow it WHEN it calls %s on the central bus THEN the bus policy denies it', async (action, resource) => {
    await expectDecision(
      { principal: forwarderRole(MEMBER), action, resource, resourceAccount: CENTRAL, identityPolicies: grants(action, resource), resourcePolicy: ORG_BUS_POLICY, context: { 'aws:PrincipalOrgID': ORG_ID } },
      'ImplicitlyDenied',
    );
  });

  it('GIVEN another bus with an equally open policy WHEN the forwarder role delivers to it THEN its identity policy denies it', async () => {
    const otherBusPolicy = centralBusPolicy({ busArn: OTHER_BUS, organizationId: ORG_ID, memberAccountIds: [] });
    await expectDecision(forwardedPut({ resource: OTHER_BUS, resourcePolicy: otherBusPolicy }), 'ImplicitlyDenied');
    // control: the same request from a role allowed to put on that bus goes through
    await expectDecision(
      forwardedPut({ resource: OTHER_BUS, resourcePolicy: otherBusPolicy, identityPolicies: { p: forwarderPolicy(OTHER_BUS) } }),
      'Allowed',
    );
  });
});

describe('central bus policy, account-list mode (no organizationId)', () => {
  const listed = (account: string, over: Partial<SimulationRequest> = {}) =>
    forwardedPut({ resourcePolicy: LIST_BUS_POLICY, context: { 'aws:SourceArn': forwardRule(account), 'events:eventBusInvocation': 'true' }, ...over }, account);

  it.each([MEMBER, OTHER_MEMBER])('GIVEN the forwarding rule of listed account %s WHEN it delivers with its role THEN it is allowed', async (account) => {
    await expectDecision(listed(account), 'Allowed');
  });

  it('GIVEN the forwarding rule of an account that is not listed WHEN it delivers THEN it is denied', async () => {
    await expectDecision(listed(STRANGER), 'ImplicitlyDenied');
  });

  it('GIVEN a listed account WHEN a role of it calls PutEvents directly, or another of its rules delivers THEN it is denied', async () => {
    await expectDecision(directPut(['custom.app'], ['OrderCreated'], { resourcePolicy: LIST_BUS_POLICY, context: { 'events:source': ['custom.app'], 'events:detail-type': ['OrderCreated'] } }), 'ImplicitlyDenied');
    await expectDecision(listed(MEMBER, { context: { 'aws:SourceArn': forwardRule(MEMBER, 'us-east-1', 'other-rule'), 'events:eventBusInvocation': 'true' } }), 'ImplicitlyDenied');
  });
});

describe('forwarder role identity policy', () => {
  it.each([
    ['events:PutEvents', busArn(REGION, MEMBER, 'default')],
    ['events:PutEvents', OTHER_BUS],
    ['sqs:SendMessage', queueArn(REGION, MEMBER, FORWARD_DLQ_NAME)],
    ['iam:PassRole', roleArn(MEMBER, 'admin')],
  ])('GIVEN the forwarder role and no resource policy WHEN it calls %s on %s THEN it is denied', async (action, resource) => {
    const account = resource.split(':')[4]!;
    await expectDecision(
      { principal: forwarderRole(MEMBER), action, resource, resourceAccount: account, identityPolicies: { p: forwarderPolicy(CENTRAL_BUS) } },
      'ImplicitlyDenied',
    );
  });

  it('GIVEN the forwarder role WHEN its identity policy is evaluated for a put on the central bus THEN that policy alone allows it', async () => {
    const outcome = await simulateWithDetails(forwardedPut());
    expect(outcome.raw.analysis.identityAnalysis?.result, outcome.explanation).toBe('Allowed');
  });
});

describe('forwarder trust policy', () => {
  const assume = (principal: string, context: Record<string, string>): SimulationRequest => ({
    principal,
    action: 'sts:AssumeRole',
    resource: forwarderRole(MEMBER),
    resourceAccount: MEMBER,
    resourcePolicy: forwarderTrustPolicy(MEMBER),
    context,
  });

  it('GIVEN EventBridge acting for the member account WHEN it assumes the forwarder role THEN it is allowed', async () => {
    await expectDecision(assume('events.amazonaws.com', { 'aws:SourceAccount': MEMBER }), 'Allowed');
  });

  it('GIVEN EventBridge acting for another account WHEN it assumes the forwarder role THEN it is denied', async () => {
    await expectDecision(assume('events.amazonaws.com', { 'aws:SourceAccount': OTHER_MEMBER }), 'ImplicitlyDenied');
    await expectDecision(assume('events.amazonaws.com', {}), 'ImplicitlyDenied');
  });

  it('GIVEN another service WHEN it assumes the forwarder role THEN it is denied', async () => {
    await expectDecision(assume('lambda.amazonaws.com', { 'aws:SourceAccount': MEMBER }), 'ImplicitlyDenied');
  });

  it('GIVEN a role of the member account WHEN it assumes the forwarder role THEN it is denied even with sts:AssumeRole in its own policy', async () => {
    const caller = roleArn(MEMBER, 'admin');
    await expectDecision(
      { ...assume(caller, {}), identityPolicies: grants('sts:AssumeRole', forwarderRole(MEMBER)) },
      'ImplicitlyDenied',
    );
  });
});

describe('central bus policy size', () => {
  it('GIVEN 400 member accounts and no organizationId WHEN the bus policy is built THEN it throws BusPolicyTooLargeError telling to set organizationId', () => {
    const build = () => centralBusPolicy({ busArn: CENTRAL_BUS, memberAccountIds: accountIds(400) });
    expect(build).toThrow(BusPolicyTooLargeError);
    expect(build).toThrow(/Set organizationId/);
  });

  it('GIVEN the same 400 member accounts and an organizationId WHEN the bus policy is built THEN it fits and admits a member', async () => {
    const policy = centralBusPolicy({ busArn: CENTRAL_BUS, organizationId: ORG_ID, memberAccountIds: accountIds(400) });
    expect(renderPolicy(policy).length).toBeLessThanOrEqual(BUS_POLICY_MAX_CHARS);
    const account = accountIds(400)[399]!;
    await expectDecision(forwardedPut({ resourcePolicy: policy, context: { 'aws:PrincipalOrgID': ORG_ID, 'aws:SourceArn': forwardRule(account) } }, account), 'Allowed');
  });

  it('GIVEN 250 member accounts and no organizationId WHEN the bus policy is built THEN it fits and admits a listed account', async () => {
    const policy = centralBusPolicy({ busArn: CENTRAL_BUS, memberAccountIds: accountIds(250) });
    expect(renderPolicy(policy).length).toBeLessThanOrEqual(BUS_POLICY_MAX_CHARS);
    const account = accountIds(250)[249]!;
    await expectDecision(forwardedPut({ resourcePolicy: policy, context: { 'aws:SourceArn': forwardRule(account) } }, account), 'Allowed');
  });
});

describe('the simulator harness (how the library decides, checked once)', () => {
  it('GIVEN a cross-account put WHEN only one of identity and bus policy allows THEN it is denied', async () => {
    await expectDecision(forwardedPut({ identityPolicies: {} }), 'ImplicitlyDenied');
    await expectDecision(forwardedPut({ resourcePolicy: undefined }), 'ImplicitlyDenied');
  });

  it('GIVEN a same-account put WHEN either the identity or the bus policy allows THEN it is allowed', async () => {
    const centralRole = roleArn(CENTRAL, 'some-central-role');
    await expectDecision(forwardedPut({ principal: centralRole, identityPolicies: {}, context: { 'aws:PrincipalOrgID': ORG_ID, 'aws:SourceArn': forwardRule(CENTRAL) } }), 'Allowed');
    await expectDecision(forwardedPut({ principal: centralRole, resourcePolicy: undefined, context: {} }), 'Allowed');
  });

  it('GIVEN a context key AWS does not document for the caller and API WHEN simulated THEN the harness throws UndocumentedContextKeyError', async () => {
    // events:source is documented for a direct PutEvents, not for a rule-forwarded delivery
    await expect(simulate(forwardedPut({ context: { 'aws:SourceArn': forwardRule(MEMBER), 'events:source': ['aws.ec2'] } }))).rejects.toThrow(UndocumentedContextKeyError);
    // aws:SourceArn is never sent on a direct call by a role
    await expect(simulate(directPut(['custom.app'], ['x'], { context: { 'aws:SourceArn': forwardRule(MEMBER) } }))).rejects.toThrow(UndocumentedContextKeyError);
    await expect(simulate(forwardedPut({ context: { 'ec2:CreateAction': 'CreateSnapshot' } }))).rejects.toThrow(UndocumentedContextKeyError);
    await expect(simulate(forwardedPut({ context: { 'events:no-such-key': 'x' } }))).rejects.toThrow(UndocumentedContextKeyError);
    // no row at all for this caller and API
    await expect(simulate(forwardedPut({ action: 'events:PutPermission', context: { 'aws:SourceArn': forwardRule(MEMBER) } }))).rejects.toThrow(/no row/);
  });

  it('GIVEN a list for a single-valued key WHEN simulated THEN the harness throws instead of keeping the first element', async () => {
    await expect(simulate(forwardedPut({ context: { 'aws:PrincipalOrgID': [ORG_ID, 'o-zzzzzzzzzz'] } }))).rejects.toThrow(SimulationInputError);
  });
});
