/**
 * The snapshot-copy roles and the copy queue's policy, evaluated with the IAM simulator on the
 * objects the stacks render. Every request context is built from the documented-keys table
 * (`stacks/policy/context-keys.ts`, through `documentedContext`): only keys AWS documents as present for
 * that caller and API.
 */
import { describe, expect, it } from 'vitest';
import { copyQueuePolicy, startFunctionPolicy } from '../stacks/central/snapshot-copy-intake';
import { stateMachinePolicy } from '../stacks/central/snapshot-copy-state-machine';
import { sweepFunctionPolicy } from '../stacks/central/snapshot-copy-sweep';
import { copySlotsTableArn, copyStateMachineArn, stepFunctionPolicy } from '../stacks/central/snapshot-copy-workflow';
import { snapshotCopyRolePolicy, snapshotCopyRoleTrustPolicy } from '../stacks/member/snapshot-copy-role';
import { COPY_START_FUNCTION_NAME, COPY_STEP_FUNCTION_NAME, COPY_SWEEP_FUNCTION_NAME, lambdaArn, memberCopyRoleTrustedArns, roleArn } from '../stacks/names';
import { policyDocument, serviceTrustPolicy, type PolicyDocument } from '../stacks/policy/policy';
import { copyPermissionsFor, EXPIRY_TAG, PROVENANCE_TAG } from '../stacks/policy/snapshot-copy-permissions';
import { documentedContext, UndocumentedContextKeyError } from '../stacks/policy/context-keys';
import { expectDecision, type SimulationRequest } from './support/iam';
import { testConfig } from './support/config';
import type { OrgConfigInput } from '../config/schema';

const CENTRAL = '111111111111';
const REGION = 'eu-west-1';
const BUS = 'ebs-events-central';
const MEMBER = '222222222222';
const ORG_ID = 'o-a1b2c3d4e5';
const MEMBER_ROLE = 'ebs-event-hub-snapshot-copy';
const DEPLOYER = roleArn(CENTRAL, 'OrganizationAccountAccessRole');
const STEP_ROLE = roleArn(CENTRAL, COPY_STEP_FUNCTION_NAME);
const SWEEP_ROLE = roleArn(CENTRAL, COPY_SWEEP_FUNCTION_NAME);
const START_ROLE = roleArn(CENTRAL, COPY_START_FUNCTION_NAME);
const MEMBER_ROLE_ARN = roleArn(MEMBER, MEMBER_ROLE);
const QUEUE = `arn:aws:sqs:${REGION}:${CENTRAL}:ebs-event-hub-snapshot-copy`;
const COPY_RULE = `arn:aws:events:${REGION}:${CENTRAL}:rule/${BUS}/ebs-event-hub-snapshot-copy`;
const SNAP = 'snap-0123456789abcdef0';

const scope = { accountId: CENTRAL, region: REGION };
const roleProps = { ...scope, organizationId: ORG_ID, memberRoleName: MEMBER_ROLE, memberAccountIds: [MEMBER] };
const session = (principal: string) => ({ 'aws:PrincipalArn': principal });

const everythingSqs: PolicyDocument = {
  Version: '2012-10-17',
  // A deliberately broad identity policy (not built with policyDocument, which refuses wildcards).
  Statement: [{ Sid: 'AllSqs', Effect: 'Allow', Action: 'sqs:*', Resource: '*' }],
};

describe('documented context', () => {
  it('GIVEN a key the table does not list for the caller and API WHEN a test asks for it THEN it fails', () => {
    expect(() => documentedContext('events.amazonaws.com', 'sqs:SendMessage', { 'aws:PrincipalArn': 'x' })).toThrowError(UndocumentedContextKeyError);
    expect(() => documentedContext('iam-role-session', 'sqs:SendMessage', { 'aws:SourceArn': COPY_RULE })).toThrowError(UndocumentedContextKeyError);
    expect(() => documentedContext('iam-role-session', 'ec2:RunInstances', { 'ec2:Region': 'eu-west-1' })).toThrowError(/no row in DOCUMENTED_CONTEXT_KEYS/);
  });
});

describe('copy queue policy (confused deputy)', () => {
  const queuePolicy = copyQueuePolicy({ ...scope, busName: BUS, deploymentRoleName: 'OrganizationAccountAccessRole' });
  const asRole = (principal: string, action: string, identity: PolicyDocument = everythingSqs): SimulationRequest => ({
    principal,
    action,
    resource: QUEUE,
    resourceAccount: CENTRAL,
    identityPolicies: { p: identity },
    resourcePolicy: queuePolicy,
    context: documentedContext('iam-role-session', action, session(principal)),
  });
  const fromEventBridge = (sourceArn: string): SimulationRequest => ({
    principal: 'events.amazonaws.com',
    action: 'sqs:SendMessage',
    resource: QUEUE,
    resourceAccount: CENTRAL,
    resourcePolicy: queuePolicy,
    context: documentedContext('events.amazonaws.com', 'sqs:SendMessage', { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': CENTRAL }),
  });
  const intruder = roleArn(CENTRAL, 'app-with-sqs-star');

  it('GIVEN an in-account role with sqs:* on * WHEN it sends to the copy queue THEN it is explicitly denied', async () => {
    await expectDecision(asRole(intruder, 'sqs:SendMessage'), 'ExplicitlyDenied');
  });

  it.each(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:PurgeQueue'])(
    'GIVEN an in-account role with sqs:* on * WHEN it calls %s on the copy queue THEN it is explicitly denied',
    async (action) => {
      await expectDecision(asRole(intruder, action), 'ExplicitlyDenied');
    },
  );

  it.each(['sqs:GetQueueAttributes', 'sqs:SetQueueAttributes'])('GIVEN the deploying role with sqs:* WHEN it manages the queue (%s) THEN nothing denies it', async (action) => {
    await expectDecision(asRole(DEPLOYER, action), 'Allowed');
  });

  it('GIVEN the deploying role WHEN it sends (redriving the copy DLQ back) THEN it is allowed (the documented exception), but it cannot receive', async () => {
    await expectDecision(asRole(DEPLOYER, 'sqs:SendMessage'), 'Allowed');
    await expectDecision(asRole(DEPLOYER, 'sqs:ReceiveMessage'), 'ExplicitlyDenied');
  });

  it('GIVEN EventBridge delivering for the copy rule WHEN it sends THEN it is allowed', async () => {
    await expectDecision(fromEventBridge(COPY_RULE), 'Allowed');
  });

  it('GIVEN EventBridge delivering for another rule WHEN it sends THEN it is explicitly denied', async () => {
    await expectDecision(fromEventBridge(`arn:aws:events:${REGION}:${CENTRAL}:rule/${BUS}/someone-elses-rule`), 'ExplicitlyDenied');
  });

  it('GIVEN the starter role with its own policy WHEN it receives, deletes and changes visibility THEN it is allowed; it cannot send or purge', async () => {
    const own = startFunctionPolicy(scope);
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes']) {
      await expectDecision(asRole(START_ROLE, action, own), 'Allowed');
    }
    await expectDecision(asRole(START_ROLE, 'sqs:SendMessage', own), 'ExplicitlyDenied');
    await expectDecision(asRole(START_ROLE, 'sqs:PurgeQueue', own), 'ImplicitlyDenied');
  });
});

describe('central copy-path roles', () => {
  const stepPolicy = stepFunctionPolicy(roleProps);
  const assume = (principal: string, identity: PolicyDocument, over: Partial<SimulationRequest> = {}, orgId = ORG_ID): SimulationRequest => ({
    principal,
    action: 'sts:AssumeRole',
    resource: MEMBER_ROLE_ARN,
    resourceAccount: MEMBER,
    identityPolicies: { p: identity },
    resourcePolicy: snapshotCopyRoleTrustPolicy([STEP_ROLE, SWEEP_ROLE]),
    context: documentedContext('iam-role-session', 'sts:AssumeRole', { ...session(principal), 'aws:ResourceOrgID': orgId }),
    ...over,
  });

  it('GIVEN the step role WHEN it assumes the member copy role in an org account THEN it is allowed', async () => {
    await expectDecision(assume(STEP_ROLE, stepPolicy), 'Allowed');
  });

  it('GIVEN the sweep role with member retention WHEN it assumes the member copy role THEN it is allowed', async () => {
    await expectDecision(assume(SWEEP_ROLE, sweepFunctionPolicy({ ...roleProps, memberRetention: true })), 'Allowed');
  });

  it('GIVEN the sweep role with vault retention only WHEN it assumes the member copy role THEN its own policy denies it (it deletes vault copies only)', async () => {
    await expectDecision(assume(SWEEP_ROLE, sweepFunctionPolicy({ ...roleProps, vault: { accountId: '999999999999', keepMemberCopy: true, retentionDays: 30 } })), 'ImplicitlyDenied');
  });

  it('GIVEN the step role WHEN it assumes another role in the member account THEN it is denied', async () => {
    await expectDecision(assume(STEP_ROLE, stepPolicy, { resource: roleArn(MEMBER, 'OrganizationAccountAccessRole') }), 'ImplicitlyDenied');
  });

  it('GIVEN the step role WHEN it assumes the copy role name in an account outside the organization THEN it is denied', async () => {
    await expectDecision(assume(STEP_ROLE, stepPolicy, { resource: roleArn('999999999999', MEMBER_ROLE), resourceAccount: '999999999999' }, 'o-zzzzzzzzzz'), 'ImplicitlyDenied');
  });

  it('GIVEN the starter role WHEN it assumes the member copy role THEN it is denied (only step and sweep may)', async () => {
    await expectDecision(assume(START_ROLE, startFunctionPolicy(scope)), 'ImplicitlyDenied');
  });

  it('GIVEN the step role WHEN it writes copy slots THEN only UpdateItem on the copy-slots table is allowed: no other table, no other DynamoDB action, and no other role may', async () => {
    // No context: the policy conditions nothing, so the simulation needs no documented keys.
    const slots = (principal: string, identity: PolicyDocument, action: string, resource = copySlotsTableArn(scope)): SimulationRequest => ({
      principal,
      action,
      resource,
      resourceAccount: CENTRAL,
      identityPolicies: { p: identity },
    });
    await expectDecision(slots(STEP_ROLE, stepPolicy, 'dynamodb:UpdateItem'), 'Allowed');
    await expectDecision(slots(STEP_ROLE, stepPolicy, 'dynamodb:UpdateItem', `arn:aws:dynamodb:${REGION}:${CENTRAL}:table/other`), 'ImplicitlyDenied');
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:DeleteTable']) {
      await expectDecision(slots(STEP_ROLE, stepPolicy, action), 'ImplicitlyDenied');
    }
    await expectDecision(slots(START_ROLE, startFunctionPolicy(scope), 'dynamodb:UpdateItem'), 'ImplicitlyDenied');
    await expectDecision(slots(SWEEP_ROLE, sweepFunctionPolicy(roleProps), 'dynamodb:UpdateItem'), 'ImplicitlyDenied');
  });

  it("GIVEN the step role WHEN it asks whether a copy-slot holder still runs (DescribeExecution) THEN only the copy state machine's executions, and no other role may", async () => {
    const describeExecution = (principal: string, identity: PolicyDocument, resource: string): SimulationRequest => ({
      principal,
      action: 'states:DescribeExecution',
      resource,
      resourceAccount: CENTRAL,
      identityPolicies: { p: identity },
      context: documentedContext('iam-role-session', 'states:DescribeExecution', session(principal)),
    });
    const execution = (machine: string, name = `${MEMBER}-us-west-2-${SNAP}-${REGION}`) => `arn:aws:states:${REGION}:${CENTRAL}:execution:${machine}:${name}`;
    await expectDecision(describeExecution(STEP_ROLE, stepPolicy, execution('ebs-event-hub-snapshot-copy')), 'Allowed');
    await expectDecision(describeExecution(STEP_ROLE, stepPolicy, execution('ebs-event-hub-copy-sweep', 'daily')), 'ImplicitlyDenied');
    await expectDecision(describeExecution(STEP_ROLE, stepPolicy, execution('someone-elses-machine')), 'ImplicitlyDenied');
    await expectDecision(describeExecution(STEP_ROLE, stepPolicy, `arn:aws:states:${REGION}:999999999999:execution:ebs-event-hub-snapshot-copy:x`), 'ImplicitlyDenied');
    await expectDecision(describeExecution(START_ROLE, startFunctionPolicy(scope), execution('ebs-event-hub-snapshot-copy')), 'ImplicitlyDenied');
    await expectDecision(describeExecution(SWEEP_ROLE, sweepFunctionPolicy(roleProps), execution('ebs-event-hub-snapshot-copy')), 'ImplicitlyDenied');
  });

  it('GIVEN the starter WHEN it starts executions THEN only of the copy state machine', async () => {
    const start = (resource: string): SimulationRequest => ({
      principal: START_ROLE,
      action: 'states:StartExecution',
      resource,
      resourceAccount: CENTRAL,
      identityPolicies: { p: startFunctionPolicy(scope) },
      context: documentedContext('iam-role-session', 'states:StartExecution', session(START_ROLE)),
    });
    await expectDecision(start(copyStateMachineArn(scope)), 'Allowed');
    await expectDecision(start(`arn:aws:states:${REGION}:${CENTRAL}:stateMachine:other`), 'ImplicitlyDenied');
  });

  it('GIVEN the copy state machine role WHEN it invokes functions THEN only the step function', async () => {
    const smRole = roleArn(CENTRAL, 'ebs-event-hub-snapshot-copy-states');
    const invoke = (fn: string): SimulationRequest => ({
      principal: smRole,
      action: 'lambda:InvokeFunction',
      resource: lambdaArn(REGION, CENTRAL, fn),
      resourceAccount: CENTRAL,
      identityPolicies: { p: stateMachinePolicy(lambdaArn(REGION, CENTRAL, COPY_STEP_FUNCTION_NAME)) },
      context: documentedContext('iam-role-session', 'lambda:InvokeFunction', session(smRole)),
    });
    await expectDecision(invoke(COPY_STEP_FUNCTION_NAME), 'Allowed');
    await expectDecision(invoke(COPY_START_FUNCTION_NAME), 'ImplicitlyDenied');
    await expectDecision(invoke(COPY_SWEEP_FUNCTION_NAME), 'ImplicitlyDenied');
  });

  it('GIVEN the step role (central account not a member) WHEN it calls EC2 itself THEN it is denied', async () => {
    await expectDecision(
      {
        principal: STEP_ROLE,
        action: 'ec2:CopySnapshot',
        resource: `arn:aws:ec2:${REGION}::snapshot/${SNAP}`,
        resourceAccount: CENTRAL,
        identityPolicies: { p: stepPolicy },
        context: documentedContext('iam-role-session', 'ec2:CopySnapshot', session(STEP_ROLE)),
      },
      'ImplicitlyDenied',
    );
  });
});

/** Member 222222222222 copies eu-west-1 and us-east-1 snapshots to eu-central-1. */
function memberPolicyFor(copy: NonNullable<OrgConfigInput['snapshotCopy']>): PolicyDocument {
  const config = testConfig({ snapshotCopy: copy });
  return snapshotCopyRolePolicy(copyPermissionsFor(config.snapshotCopy!, MEMBER, ['eu-west-1', 'us-east-1'])!);
}

const asMember = (policy: PolicyDocument, action: string, resource: string, context: Record<string, string | readonly string[]> = {}, resourcePolicy?: PolicyDocument): SimulationRequest => ({
  principal: MEMBER_ROLE_ARN,
  action,
  resource,
  resourceAccount: MEMBER,
  identityPolicies: { 'copy-snapshots': policy },
  ...(resourcePolicy ? { resourcePolicy } : {}),
  context: documentedContext('iam-role-session', action, { ...session(MEMBER_ROLE_ARN), ...context }),
});

/** The key's own policy delegates to IAM (as a default key policy does): the role policy decides. */
const delegatingKeyPolicy = (action: string): PolicyDocument =>
  policyDocument('resource', [{ Sid: 'AccountDelegatesToIam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: action, Resource: '*' }]);

describe('member copy role: copying', () => {
  const policy = memberPolicyFor({ destinationRegion: 'eu-central-1' });
  const destination = `arn:aws:ec2:eu-central-1::snapshot/${SNAP}`;

  it('GIVEN the member role WHEN it copies a source-region snapshot THEN it is allowed', async () => {
    await expectDecision(asMember(policy, 'ec2:CopySnapshot', `arn:aws:ec2:us-east-1::snapshot/${SNAP}`), 'Allowed');
  });

  it('GIVEN the member role WHEN it copies a snapshot of a region it does not handle THEN it is denied', async () => {
    await expectDecision(asMember(policy, 'ec2:CopySnapshot', `arn:aws:ec2:ap-south-1::snapshot/${SNAP}`), 'ImplicitlyDenied');
  });

  it('GIVEN the member role WHEN it tags a copy as part of CopySnapshot THEN it is allowed; outside CopySnapshot it is denied', async () => {
    await expectDecision(asMember(policy, 'ec2:CreateTags', destination, { 'ec2:CreateAction': 'CopySnapshot' }), 'Allowed');
    await expectDecision(asMember(policy, 'ec2:CreateTags', destination), 'ImplicitlyDenied');
    await expectDecision(asMember(policy, 'ec2:CreateTags', destination, { 'ec2:CreateAction': 'CreateSnapshot' }), 'ImplicitlyDenied');
  });

  it.each(['ec2:DeleteSnapshot', 'ec2:ModifySnapshotAttribute', 'ec2:ResetSnapshotAttribute', 'ec2:DeleteTags', 'ec2:ModifySnapshotTier'])(
    'GIVEN no retention WHEN the member role calls %s on one of this app\'s copies THEN it is denied',
    async (action) => {
      const tags = { [`aws:ResourceTag/${PROVENANCE_TAG}`]: SNAP, [`aws:ResourceTag/${EXPIRY_TAG}`]: '2026-12-01T00:00:00Z' };
      await expectDecision(asMember(policy, action, destination, tags), 'ImplicitlyDenied');
    },
  );

  describe('without kmsKeyId (the destination\'s default EBS key may be a customer managed key)', () => {
    const destKey = `arn:aws:kms:eu-central-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const grant = (context: Record<string, string>) => asMember(policy, 'kms:CreateGrant', destKey, context, delegatingKeyPolicy('kms:CreateGrant'));

    it('GIVEN EC2 in the destination region creating a grant for itself WHEN evaluated THEN it is allowed', async () => {
      await expectDecision(grant({ 'kms:ViaService': 'ec2.eu-central-1.amazonaws.com', 'kms:GrantIsForAWSResource': 'true' }), 'Allowed');
    });

    it('GIVEN a grant not for an AWS resource, or not through EC2, or through EC2 of another region WHEN evaluated THEN it is denied', async () => {
      await expectDecision(grant({ 'kms:ViaService': 'ec2.eu-central-1.amazonaws.com', 'kms:GrantIsForAWSResource': 'false' }), 'ImplicitlyDenied');
      await expectDecision(grant({ 'kms:GrantIsForAWSResource': 'true' }), 'ImplicitlyDenied');
      await expectDecision(grant({ 'kms:ViaService': 'ec2.ap-south-1.amazonaws.com', 'kms:GrantIsForAWSResource': 'true' }), 'ImplicitlyDenied');
    });

    it('GIVEN the destination key WHEN EC2 encrypts with it THEN allowed; used directly, denied', async () => {
      const use = (context: Record<string, string>) => asMember(policy, 'kms:GenerateDataKeyWithoutPlaintext', destKey, context, delegatingKeyPolicy('kms:GenerateDataKeyWithoutPlaintext'));
      await expectDecision(use({ 'kms:ViaService': 'ec2.eu-central-1.amazonaws.com' }), 'Allowed');
      await expectDecision(use({}), 'ImplicitlyDenied');
      await expectDecision(use({ 'kms:ViaService': 's3.eu-central-1.amazonaws.com' }), 'ImplicitlyDenied');
    });
  });

  it('GIVEN kmsKeyId as an alias WHEN EC2 uses the destination key THEN only a key bearing that alias, through EC2 there', async () => {
    const aliased = memberPolicyFor({ destinationRegion: 'eu-central-1', kmsKeyId: 'alias/ebs-dr' });
    const key = `arn:aws:kms:eu-central-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const grant = (context: Record<string, string | readonly string[]>) => asMember(aliased, 'kms:CreateGrant', key, context, delegatingKeyPolicy('kms:CreateGrant'));
    const ok = { 'kms:ViaService': 'ec2.eu-central-1.amazonaws.com', 'kms:GrantIsForAWSResource': 'true', 'kms:ResourceAliases': ['alias/ebs-dr'] };
    await expectDecision(grant(ok), 'Allowed');
    await expectDecision(grant({ ...ok, 'kms:ResourceAliases': ['alias/other'] }), 'ImplicitlyDenied');
    await expectDecision(grant({ ...ok, 'kms:GrantIsForAWSResource': 'false' }), 'ImplicitlyDenied');
  });
});

describe('member copy role: retention', () => {
  const policy = memberPolicyFor({ destinationRegion: 'eu-central-1', retentionDays: 30 });
  const copyTags = { [`aws:ResourceTag/${PROVENANCE_TAG}`]: SNAP, [`aws:ResourceTag/${EXPIRY_TAG}`]: '2026-12-01T00:00:00Z' };
  const del = (resource: string, tags: Record<string, string>) => asMember(policy, 'ec2:DeleteSnapshot', resource, tags);

  it('GIVEN one of this app\'s copies (provenance and expiry tags) in the destination region WHEN the member role deletes it THEN it is allowed', async () => {
    await expectDecision(del(`arn:aws:ec2:eu-central-1::snapshot/${SNAP}`, copyTags), 'Allowed');
  });

  it('GIVEN an untagged snapshot WHEN the member role deletes it THEN it is denied', async () => {
    await expectDecision(del(`arn:aws:ec2:eu-central-1::snapshot/${SNAP}`, {}), 'ImplicitlyDenied');
  });

  it('GIVEN a copy made before retention (provenance tag, no expiry tag) or a snapshot with only an expiry tag WHEN deleted THEN it is denied', async () => {
    await expectDecision(del(`arn:aws:ec2:eu-central-1::snapshot/${SNAP}`, { [`aws:ResourceTag/${PROVENANCE_TAG}`]: SNAP }), 'ImplicitlyDenied');
    await expectDecision(del(`arn:aws:ec2:eu-central-1::snapshot/${SNAP}`, { [`aws:ResourceTag/${EXPIRY_TAG}`]: '2026-12-01T00:00:00Z' }), 'ImplicitlyDenied');
  });

  it('GIVEN a tagged snapshot outside the destination regions WHEN deleted THEN it is denied', async () => {
    await expectDecision(del(`arn:aws:ec2:us-east-1::snapshot/${SNAP}`, copyTags), 'ImplicitlyDenied');
  });
});

describe('member copy role trust', () => {
  const config = testConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', retentionDays: 30 } });
  const trust = snapshotCopyRoleTrustPolicy(memberCopyRoleTrustedArns(config));
  const grant: PolicyDocument = policyDocument('identity', [{ Sid: 'G', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: MEMBER_ROLE_ARN }]);
  const assume = (principal: string): SimulationRequest => ({
    principal,
    action: 'sts:AssumeRole',
    resource: MEMBER_ROLE_ARN,
    resourceAccount: MEMBER,
    identityPolicies: { g: grant },
    resourcePolicy: trust,
    context: documentedContext('iam-role-session', 'sts:AssumeRole', session(principal)),
  });

  it('GIVEN retention WHEN the step or sweep role assumes THEN allowed; the starter, another central role or another account\'s role THEN denied', async () => {
    await expectDecision(assume(STEP_ROLE), 'Allowed');
    await expectDecision(assume(SWEEP_ROLE), 'Allowed');
    await expectDecision(assume(START_ROLE), 'ImplicitlyDenied');
    await expectDecision(assume(roleArn(CENTRAL, 'someone-else')), 'ImplicitlyDenied');
    await expectDecision(assume(roleArn('999999999999', COPY_STEP_FUNCTION_NAME)), 'ImplicitlyDenied');
  });

  it('GIVEN no retention WHEN the sweep role assumes THEN denied (there is no sweep)', async () => {
    const plain = snapshotCopyRoleTrustPolicy(memberCopyRoleTrustedArns(testConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } })));
    await expectDecision({ ...assume(SWEEP_ROLE), resourcePolicy: plain }, 'ImplicitlyDenied');
  });
});

describe('state machine role trust', () => {
  it('GIVEN Step Functions acting for a state machine of the central account WHEN it assumes the role THEN allowed; for another account THEN denied', async () => {
    const trust = serviceTrustPolicy('states.amazonaws.com', CENTRAL);
    const assume = (account: string): SimulationRequest => ({
      principal: 'states.amazonaws.com',
      action: 'sts:AssumeRole',
      resource: roleArn(CENTRAL, 'ebs-event-hub-snapshot-copy-states'),
      resourceAccount: CENTRAL,
      resourcePolicy: trust,
      context: documentedContext('states.amazonaws.com', 'sts:AssumeRole', {
        'aws:SourceAccount': account,
        'aws:SourceArn': `arn:aws:states:${REGION}:${account}:stateMachine:ebs-event-hub-snapshot-copy`,
      }),
    });
    await expectDecision(assume(CENTRAL), 'Allowed');
    await expectDecision(assume('999999999999'), 'ImplicitlyDenied');
  });
});
