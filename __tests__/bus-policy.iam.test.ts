/**
 * The central bus policy and the member forwarder role, evaluated with an IAM simulator
 * (@cloud-copilot/iam-simulate) on the very policy objects the stacks render into Terraform.
 *
 * The forwarder role is in a member account and the bus in the central account, so a put is
 * cross-account: the role's identity policy AND the bus policy must both allow it. Where a test
 * is about one of the two, the other is made to allow, so the one under test decides.
 */
import { describe, expect, it } from 'vitest';
import { BUS_POLICY_MAX_CHARS, BusPolicyTooLargeError, centralBusPolicy } from '../stacks/central/event-bus';
import { FORWARDED_DETAIL_TYPES } from '../stacks/event-patterns';
import { forwarderPolicy, forwarderTrustPolicy } from '../stacks/member/forwarding';
import { busArn, FORWARD_DLQ_NAME, FORWARDER_ROLE_NAME, queueArn, roleArn, ruleArn } from '../stacks/names';
import { policyDocument, renderPolicy, type PolicyDocument } from '../stacks/policy';
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

/** An ordinary EC2/EBS forward: one entry, source aws.ec2, a forwarded detail-type. */
const ec2Events = (detailTypes: readonly string[], sources: readonly string[] = ['aws.ec2']) => ({
  'events:source': sources,
  'events:detail-type': detailTypes,
});

/** The forwarder role of `account` putting events on the central bus, with the real policies. */
const forwardedPut = (over: Partial<SimulationRequest> = {}): SimulationRequest => ({
  principal: forwarderRole(MEMBER),
  action: 'events:PutEvents',
  resource: CENTRAL_BUS,
  resourceAccount: CENTRAL,
  identityPolicies: { 'put-events-on-central-bus': forwarderPolicy(CENTRAL_BUS) },
  resourcePolicy: ORG_BUS_POLICY,
  context: { 'aws:PrincipalOrgID': ORG_ID, ...ec2Events([FORWARDED_DETAIL_TYPES[0]!]) },
  ...over,
});

/** A test-only identity policy granting `action` on `resource`, so the resource policy decides. */
const grants = (action: string, resource: string): Record<string, PolicyDocument> => ({
  'test-grant': policyDocument('identity', [{ Sid: 'TestGrant', Effect: 'Allow', Action: action, Resource: resource }]),
});

const accountIds = (n: number): string[] => Array.from({ length: n }, (_, i) => String(100_000_000_000 + i));

describe('central bus policy, organization mode', () => {
  it('GIVEN an org member WHEN its request carries no events:source or events:detail-type THEN it is denied (ForAllValues is not vacuously true)', async () => {
    await expectDecision(forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID } }), 'ImplicitlyDenied');
    await expectDecision(forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, 'events:source': ['aws.ec2'] } }), 'ImplicitlyDenied');
  });

  it.each(FORWARDED_DETAIL_TYPES)('GIVEN the forwarder role of an org member WHEN it puts an aws.ec2 "%s" event THEN it is allowed', async (detailType) => {
    await expectDecision(forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, ...ec2Events([detailType]) } }), 'Allowed');
  });

  it('GIVEN the forwarder role of an org member WHEN one PutEvents call carries several forwarded detail-types THEN it is allowed', async () => {
    await expectDecision(forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, ...ec2Events(FORWARDED_DETAIL_TYPES) } }), 'Allowed');
    await expectDecision(
      forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, ...ec2Events(FORWARDED_DETAIL_TYPES.slice(1, 3)) } }),
      'Allowed',
    );
  });

  it('GIVEN a principal in another organization WHEN it puts a forwarded event THEN it is denied', async () => {
    await expectDecision(forwardedPut({ context: { 'aws:PrincipalOrgID': 'o-zzzzzzzzzz', ...ec2Events([FORWARDED_DETAIL_TYPES[0]!]) } }), 'ImplicitlyDenied');
  });

  it('GIVEN a principal in no organization WHEN it puts a forwarded event THEN it is denied', async () => {
    await expectDecision(
      forwardedPut({ principal: forwarderRole(STRANGER), context: ec2Events([FORWARDED_DETAIL_TYPES[0]!]) }),
      'ImplicitlyDenied',
    );
  });

  it.each([[['aws.s3']], [['aws.ec2', 'custom.app']], [['custom.app']]])(
    'GIVEN an org member WHEN it puts events whose sources are %j THEN it is denied',
    async (sources) => {
      await expectDecision(
        forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, ...ec2Events([FORWARDED_DETAIL_TYPES[0]!], sources) } }),
        'ImplicitlyDenied',
      );
    },
  );

  it('GIVEN an org member WHEN it puts an aws.ec2 event of a detail-type that is not forwarded THEN it is denied', async () => {
    const notForwarded = 'EC2 Instance State-change Notification';
    await expectDecision(forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, ...ec2Events([notForwarded]) } }), 'ImplicitlyDenied');
    // one foreign entry in an otherwise admissible batch spoils the call (ForAllValues)
    await expectDecision(
      forwardedPut({ context: { 'aws:PrincipalOrgID': ORG_ID, ...ec2Events([...FORWARDED_DETAIL_TYPES, notForwarded]) } }),
      'ImplicitlyDenied',
    );
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

  it('GIVEN another bus with an equally open policy WHEN the forwarder role puts a forwarded event on it THEN its identity policy denies it', async () => {
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
  it.each([MEMBER, OTHER_MEMBER])('GIVEN listed account %s WHEN its forwarder role puts a forwarded event THEN it is allowed', async (account) => {
    await expectDecision(
      forwardedPut({ principal: forwarderRole(account), resourcePolicy: LIST_BUS_POLICY, context: ec2Events(FORWARDED_DETAIL_TYPES) }),
      'Allowed',
    );
  });

  it('GIVEN an account that is not listed WHEN its forwarder role puts a forwarded event THEN it is denied', async () => {
    await expectDecision(
      forwardedPut({ principal: forwarderRole(STRANGER), resourcePolicy: LIST_BUS_POLICY, context: ec2Events(FORWARDED_DETAIL_TYPES) }),
      'ImplicitlyDenied',
    );
  });

  it('GIVEN a listed account WHEN it puts events of another source or detail-type THEN it is denied', async () => {
    for (const context of [ec2Events(FORWARDED_DETAIL_TYPES, ['aws.s3']), ec2Events(['EC2 Instance State-change Notification'])]) {
      await expectDecision(forwardedPut({ resourcePolicy: LIST_BUS_POLICY, context }), 'ImplicitlyDenied');
    }
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
      { ...assume(caller, { 'aws:SourceAccount': MEMBER }), identityPolicies: grants('sts:AssumeRole', forwarderRole(MEMBER)) },
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
    await expectDecision(forwardedPut({ principal: forwarderRole(accountIds(400)[399]!), resourcePolicy: policy }), 'Allowed');
  });

  it('GIVEN 250 member accounts and no organizationId WHEN the bus policy is built THEN it fits and admits a listed account', async () => {
    const policy = centralBusPolicy({ busArn: CENTRAL_BUS, memberAccountIds: accountIds(250) });
    expect(renderPolicy(policy).length).toBeLessThanOrEqual(BUS_POLICY_MAX_CHARS);
    await expectDecision(
      forwardedPut({ principal: forwarderRole(accountIds(250)[249]!), resourcePolicy: policy, context: ec2Events(FORWARDED_DETAIL_TYPES) }),
      'Allowed',
    );
  });
});

describe('the simulator harness (how the library decides, checked once)', () => {
  it('GIVEN a cross-account put WHEN only one of identity and bus policy allows THEN it is denied', async () => {
    await expectDecision(forwardedPut({ identityPolicies: {} }), 'ImplicitlyDenied');
    await expectDecision(forwardedPut({ resourcePolicy: undefined }), 'ImplicitlyDenied');
  });

  it('GIVEN a same-account put WHEN either the identity or the bus policy allows THEN it is allowed', async () => {
    const centralRole = roleArn(CENTRAL, 'some-central-role');
    await expectDecision(forwardedPut({ principal: centralRole, identityPolicies: {} }), 'Allowed');
    await expectDecision(forwardedPut({ principal: centralRole, resourcePolicy: undefined }), 'Allowed');
  });

  it('GIVEN a context key the action does not know or a list for a single-valued key WHEN simulated THEN the harness throws instead of dropping it', async () => {
    await expect(simulate(forwardedPut({ context: { 'ec2:CreateAction': 'CreateSnapshot' } }))).rejects.toThrow(SimulationInputError);
    await expect(simulate(forwardedPut({ context: { 'aws:PrincipalOrgID': [ORG_ID, 'o-zzzzzzzzzz'] } }))).rejects.toThrow(SimulationInputError);
    await expect(simulate(forwardedPut({ context: { 'events:no-such-key': 'x' } }))).rejects.toThrow(SimulationInputError);
  });
});
