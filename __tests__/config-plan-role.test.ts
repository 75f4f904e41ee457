/**
 * `deployment.planRoleName` and `deployment.planPrincipalArns`: the read-only plan role's name
 * (checked against every role the stacks create, like `roleName`) and the CI principals it trusts.
 */
import { describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../config/load';
import { DEFAULT_PLAN_ROLE_NAME, MAX_PLAN_PRINCIPALS } from '../config/schema';
import { problemsOf, rawConfig } from './support/config';

const withDeployment = (deployment: Record<string, unknown>, extra: Record<string, unknown> = {}) => rawConfig({ deployment: deployment as never, ...extra });
const CI = 'arn:aws:iam::999999999999:role/github-plan';

describe('deployment.planRoleName', () => {
  it('defaults to ebs-event-hub-plan, also when deployment is omitted; planPrincipalArns defaults to none', () => {
    expect(DEFAULT_PLAN_ROLE_NAME).toBe('ebs-event-hub-plan');
    expect(parseOrgConfig(rawConfig()).deployment.planRoleName).toBe('ebs-event-hub-plan');
    expect(parseOrgConfig(withDeployment({ roleName: 'Deployer' })).deployment.planRoleName).toBe('ebs-event-hub-plan');
    expect(parseOrgConfig(rawConfig()).deployment.planPrincipalArns).toBeUndefined();
  });

  it('accepts any IAM role name', () => {
    expect(parseOrgConfig(withDeployment({ planRoleName: 'ci-plan_reader+1' })).deployment.planRoleName).toBe('ci-plan_reader+1');
  });

  it.each([
    ['a/b', 'is not an IAM role name (1-64 characters of A-Z a-z 0-9 + = , . @ _ -)'],
    ['', 'is not an IAM role name (1-64 characters of A-Z a-z 0-9 + = , . @ _ -)'],
    ['x'.repeat(65), 'is not an IAM role name (1-64 characters of A-Z a-z 0-9 + = , . @ _ -)'],
  ])('rejects %j', (planRoleName, message) => {
    expect(problemsOf(withDeployment({ planRoleName }))).toEqual([`deployment.planRoleName: ${JSON.stringify(planRoleName)} ${message}`]);
  });

  it.each(['ebs-event-hub-forwarder', 'EBS-Event-Hub-Forwarder'])('rejects %j: the forwarder role every member account gets', (planRoleName) => {
    expect(problemsOf(withDeployment({ planRoleName }))).toEqual([
      `deployment.planRoleName: ${JSON.stringify(planRoleName)} is the name of the forwarder role every member account gets (IAM role names are unique per account, regardless of case): choose another name`,
    ]);
  });

  it('GIVEN snapshotCopy THEN a copy workflow role (in the central account, where the plan role also is) is rejected; without it, accepted', () => {
    const copy = { snapshotCopy: { destinationRegion: 'eu-central-1' } };
    expect(problemsOf(withDeployment({ planRoleName: 'ebs-event-hub-copy-step' }, copy))).toEqual([
      'deployment.planRoleName: "ebs-event-hub-copy-step" is the name of a role of the snapshot-copy workflow, in the central account (IAM role names are unique per account, regardless of case): choose another name',
    ]);
    expect(parseOrgConfig(withDeployment({ planRoleName: 'ebs-event-hub-copy-step' })).deployment.planRoleName).toBe('ebs-event-hub-copy-step');
  });

  it('rejects the deployment role, on the field that was set', () => {
    expect(problemsOf(withDeployment({ roleName: 'Deployer', planRoleName: 'deployer' }))).toEqual([
      'deployment.planRoleName: "deployer" is the deployment role (deployment.roleName): the plan role must be a separate, read-only role',
    ]);
    expect(problemsOf(withDeployment({ roleName: 'EBS-EVENT-HUB-PLAN' }))).toEqual([
      'deployment.roleName: "EBS-EVENT-HUB-PLAN" is the name of the plan role (deployment.planRoleName, default "ebs-event-hub-plan"): choose another name',
    ]);
  });

  it('GIVEN snapshotCopy THEN the member copy role is rejected, on the field that was set', () => {
    expect(problemsOf(withDeployment({ planRoleName: 'ebs-event-hub-snapshot-copy' }, { snapshotCopy: { destinationRegion: 'eu-central-1' } }))).toEqual([
      'deployment.planRoleName: "ebs-event-hub-snapshot-copy" is the member copy role (snapshotCopy.memberRoleName, default "ebs-event-hub-snapshot-copy"), which the stacks create: choose another name',
    ]);
    expect(problemsOf(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', memberRoleName: 'ebs-event-hub-plan' } }))).toEqual([
      'snapshotCopy.memberRoleName: "ebs-event-hub-plan" is the name of the plan role (deployment.planRoleName, default "ebs-event-hub-plan"): choose another name',
    ]);
    expect(problemsOf(withDeployment({ planRoleName: 'dr' }, { snapshotCopy: { destinationRegion: 'eu-central-1', memberRoleName: 'DR' } }))).toEqual([
      'deployment.planRoleName: "dr" is the member copy role (snapshotCopy.memberRoleName), which the stacks create: choose another name',
    ]);
  });
});

describe('deployment.planPrincipalArns', () => {
  it('accepts role ARNs, with a path', () => {
    const arns = [CI, 'arn:aws:iam::888888888888:role/ci/github/plan-reader'];
    expect(parseOrgConfig(withDeployment({ planPrincipalArns: arns })).deployment.planPrincipalArns).toEqual(arns);
  });

  it.each([
    'arn:aws:iam::999999999999:user/alice',
    'arn:aws:sts::999999999999:assumed-role/github-plan/session',
    'arn:aws:iam::99999999999:role/short-account',
    'arn:aws-cn:iam::999999999999:role/other-partition',
    'arn:aws:iam::999999999999:role/*',
    'arn:aws:iam::999999999999:role/ci*/plan',
    'arn:aws:iam::999999999999:role/ci//plan',
    'arn:aws:iam::999999999999:root',
    '999999999999',
  ])('rejects %j: not an IAM role ARN', (arn) => {
    expect(problemsOf(withDeployment({ planPrincipalArns: [arn] }))).toEqual([
      `deployment.planPrincipalArns[0]: ${JSON.stringify(arn)} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/[path/]name)`,
    ]);
  });

  it('rejects an empty list, a duplicate, and more than the trust policy can hold', () => {
    expect(problemsOf(withDeployment({ planPrincipalArns: [] }))).toEqual(['deployment.planPrincipalArns: [] must list at least one role ARN (omit the field to create no plan role)']);
    expect(problemsOf(withDeployment({ planPrincipalArns: [CI, 'arn:aws:iam::999999999999:role/b', CI] }))).toEqual([
      `deployment.planPrincipalArns[2]: ${JSON.stringify(CI)} is listed twice (first at deployment.planPrincipalArns[0])`,
    ]);
    const many = Array.from({ length: MAX_PLAN_PRINCIPALS + 1 }, (_, i) => `arn:aws:iam::999999999999:role/r${i}`);
    expect(problemsOf(withDeployment({ planPrincipalArns: many }))[0]).toMatch(
      /^deployment\.planPrincipalArns: .* lists more than 10 role ARNs \(the plan role's trust policy must fit IAM's 2,048 characters\)$/,
    );
  });
});
