/**
 * The snapshot-copy roles, evaluated with the IAM simulator on the objects the stacks render:
 * the central function's role may assume only the member copy role; the member role may copy
 * snapshots and tag the copies, and may not delete or modify snapshots.
 */
import { describe, it } from 'vitest';
import { copyFunctionPolicy } from '../stacks/central/snapshot-copy';
import { snapshotCopyRolePolicy, snapshotCopyRoleTrustPolicy } from '../stacks/member/snapshot-copy-role';
import { COPY_FUNCTION_ROLE_NAME, roleArn } from '../stacks/names';
import { policyDocument } from '../stacks/policy';
import { copyPermissionsFor } from '../stacks/snapshot-copy-permissions';
import { expectDecision, type SimulationRequest } from './support/iam';
import { testConfig } from './support/config';

const CENTRAL = '111111111111';
const MEMBER = '222222222222';
const ORG_ID = 'o-a1b2c3d4e5';
const MEMBER_ROLE = 'ebs-event-hub-snapshot-copy';
const FUNCTION_ROLE = roleArn(CENTRAL, COPY_FUNCTION_ROLE_NAME);
const MEMBER_ROLE_ARN = roleArn(MEMBER, MEMBER_ROLE);

const config = testConfig({
  snapshotCopy: { destinationRegion: 'eu-central-1', kmsKeyId: 'alias/ebs-dr' },
});
const functionPolicy = copyFunctionPolicy({
  accountId: CENTRAL,
  region: 'eu-west-1',
  busName: 'ebs-events-central',
  organizationId: ORG_ID,
  destinationRegion: 'eu-central-1',
  memberRoleName: MEMBER_ROLE,
  memberAccountIds: [MEMBER],
  maxConcurrency: 5,
  logRetentionDays: 90,
  kmsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k',
  alertTopicArn: 'arn:aws:sns:eu-west-1:111111111111:ebs-event-hub-alerts',
  deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:111111111111:dlq',
});
// member 222222222222 copies eu-west-1 and us-east-1 snapshots to eu-central-1
const memberPermissions = copyPermissionsFor(config.snapshotCopy!, MEMBER, ['eu-west-1', 'us-east-1'])!;
const memberPolicy = snapshotCopyRolePolicy(memberPermissions);

const assume = (over: Partial<SimulationRequest> = {}): SimulationRequest => ({
  principal: FUNCTION_ROLE,
  action: 'sts:AssumeRole',
  resource: MEMBER_ROLE_ARN,
  resourceAccount: MEMBER,
  identityPolicies: { 'snapshot-copy': functionPolicy },
  resourcePolicy: snapshotCopyRoleTrustPolicy(FUNCTION_ROLE),
  context: { 'aws:ResourceOrgID': ORG_ID },
  ...over,
});

const asMember = (action: string, resource: string, context: SimulationRequest['context'] = {}): SimulationRequest => ({
  principal: MEMBER_ROLE_ARN,
  action,
  resource,
  resourceAccount: MEMBER,
  identityPolicies: { 'copy-snapshots': memberPolicy },
  context,
});

describe('central copy function role', () => {
  it('GIVEN the function role WHEN it assumes the member copy role in an org account THEN it is allowed', async () => {
    await expectDecision(assume(), 'Allowed');
  });

  it('GIVEN the function role WHEN it assumes another role in the member account THEN it is denied', async () => {
    const other = roleArn(MEMBER, 'OrganizationAccountAccessRole');
    await expectDecision(assume({ resource: other, resourcePolicy: snapshotCopyRoleTrustPolicy(FUNCTION_ROLE) }), 'ImplicitlyDenied');
  });

  it('GIVEN the function role WHEN it assumes the copy role name in an account outside the organization THEN it is denied', async () => {
    await expectDecision(assume({ resource: roleArn('999999999999', MEMBER_ROLE), resourceAccount: '999999999999', context: { 'aws:ResourceOrgID': 'o-zzzzzzzzzz' } }), 'ImplicitlyDenied');
  });

  it('GIVEN another central role WHEN it assumes the member copy role THEN the trust policy denies it', async () => {
    await expectDecision(assume({ principal: roleArn(CENTRAL, 'someone-else') }), 'ImplicitlyDenied');
  });

  it('GIVEN the function role (central account not a member) WHEN it calls EC2 itself THEN it is denied', async () => {
    await expectDecision(
      { principal: FUNCTION_ROLE, action: 'ec2:CopySnapshot', resource: 'arn:aws:ec2:eu-west-1::snapshot/snap-0123456789abcdef0', resourceAccount: CENTRAL, identityPolicies: { 'snapshot-copy': functionPolicy } },
      'ImplicitlyDenied',
    );
  });

  it('GIVEN the function role WHEN it writes another log group THEN it is denied', async () => {
    await expectDecision(
      { principal: FUNCTION_ROLE, action: 'logs:PutLogEvents', resource: 'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/other:log-stream:s', resourceAccount: CENTRAL, identityPolicies: { 'snapshot-copy': functionPolicy } },
      'ImplicitlyDenied',
    );
    await expectDecision(
      { principal: FUNCTION_ROLE, action: 'logs:PutLogEvents', resource: 'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/ebs-event-hub-snapshot-copy:log-stream:s', resourceAccount: CENTRAL, identityPolicies: { 'snapshot-copy': functionPolicy } },
      'Allowed',
    );
  });
});

describe('member copy role', () => {
  it('GIVEN the member role WHEN it copies a source-region snapshot THEN it is allowed', async () => {
    await expectDecision(asMember('ec2:CopySnapshot', 'arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0'), 'Allowed');
  });

  it('GIVEN the member role WHEN it copies a snapshot of a region it does not handle THEN it is denied', async () => {
    await expectDecision(asMember('ec2:CopySnapshot', 'arn:aws:ec2:ap-south-1::snapshot/snap-0123456789abcdef0'), 'ImplicitlyDenied');
  });

  it('GIVEN the member role WHEN it tags a copy as part of CopySnapshot THEN it is allowed', async () => {
    await expectDecision(asMember('ec2:CreateTags', 'arn:aws:ec2:eu-central-1::snapshot/snap-0123456789abcdef0', { 'ec2:CreateAction': 'CopySnapshot' }), 'Allowed');
  });

  it('GIVEN the member role WHEN it tags a snapshot outside CopySnapshot THEN it is denied', async () => {
    await expectDecision(asMember('ec2:CreateTags', 'arn:aws:ec2:eu-central-1::snapshot/snap-0123456789abcdef0'), 'ImplicitlyDenied');
    await expectDecision(asMember('ec2:CreateTags', 'arn:aws:ec2:eu-central-1::snapshot/snap-0123456789abcdef0', { 'ec2:CreateAction': 'CreateSnapshot' }), 'ImplicitlyDenied');
  });

  it.each(['ec2:DeleteSnapshot', 'ec2:ModifySnapshotAttribute', 'ec2:ResetSnapshotAttribute', 'ec2:DeleteTags', 'ec2:ModifySnapshotTier'])(
    'GIVEN the member role WHEN it calls %s on a snapshot THEN it is denied',
    async (action) => {
      await expectDecision(asMember(action, 'arn:aws:ec2:eu-central-1::snapshot/snap-0123456789abcdef0'), 'ImplicitlyDenied');
    },
  );

  it('GIVEN the member role WHEN it uses the destination key through EC2 in the destination region THEN it is allowed; directly, it is denied', async () => {
    const key = 'arn:aws:kms:eu-central-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const ctx = { 'kms:ViaService': 'ec2.eu-central-1.amazonaws.com', 'kms:ResourceAliases': ['alias/ebs-dr'] };
    // The key's own policy delegates to IAM (as a default key policy does); the role policy decides.
    const keyPolicy = policyDocument('resource', [
      { Sid: 'AccountDelegatesToIam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 'kms:CreateGrant', Resource: '*' },
    ]);
    const withKey = (c: SimulationRequest['context']) => ({ ...asMember('kms:CreateGrant', key, c), resourcePolicy: keyPolicy });
    await expectDecision(withKey(ctx), 'Allowed');
    await expectDecision(withKey({ 'kms:ResourceAliases': ['alias/ebs-dr'] }), 'ImplicitlyDenied');
    await expectDecision(withKey({ ...ctx, 'kms:ResourceAliases': ['alias/other'] }), 'ImplicitlyDenied');
    await expectDecision(withKey({ ...ctx, 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' }), 'ImplicitlyDenied');
  });

  it('GIVEN the trust policy WHEN the function role of the central account assumes THEN it is allowed, and any other principal is denied', async () => {
    const trust = snapshotCopyRoleTrustPolicy(FUNCTION_ROLE);
    const grant = { g: { Version: '2012-10-17' as const, Statement: [{ Sid: 'G', Effect: 'Allow' as const, Action: 'sts:AssumeRole', Resource: MEMBER_ROLE_ARN }] } };
    await expectDecision({ principal: FUNCTION_ROLE, action: 'sts:AssumeRole', resource: MEMBER_ROLE_ARN, resourceAccount: MEMBER, identityPolicies: grant, resourcePolicy: trust }, 'Allowed');
    await expectDecision({ principal: roleArn('999999999999', COPY_FUNCTION_ROLE_NAME), action: 'sts:AssumeRole', resource: MEMBER_ROLE_ARN, resourceAccount: MEMBER, identityPolicies: grant, resourcePolicy: trust }, 'ImplicitlyDenied');
    await expectDecision({ principal: 'lambda.amazonaws.com', action: 'sts:AssumeRole', resource: MEMBER_ROLE_ARN, resourceAccount: MEMBER, resourcePolicy: trust }, 'ImplicitlyDenied');
  });
});
