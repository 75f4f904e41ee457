/**
 * What hashicorp/aws 6.25 calls while planning, beyond refresh: each written resource type's
 * `CustomizeDiff` (`PLAN_TIME_CALLS`, built from the provider's v6.25.0 source, one cited path per
 * function) and the provider's configure calls. Every such call must be allowed by the deployment
 * policy and by the plan role's policy: a plan that dies on AccessDenied
 * (hashicorp/terraform-provider-aws#39472: states:ValidateStateMachineDefinition) tells the
 * operator nothing about the change.
 */
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../config/load';
import { buildApp } from '../stacks/app';
import {
  deploymentRolePolicy,
  deploymentScope,
  PLAN_TIME_CALLS,
  planRolePolicy,
  PROVIDER_CONFIGURE_CALLS,
  PROVIDER_CONFIGURE_SOURCE,
  PROVIDER_WIDE_PLAN_TIME_SOURCE,
  resourceTypesFor,
  deploymentTargetsOf,
  UnknownResourceTypeError,
  type DeploymentTarget,
} from '../stacks/policy/deployment-role-policy';
import type { PolicyDocument } from '../stacks/policy/policy';
import { fakeBundle } from './support/bundle';
import { rawConfig } from './support/config';
import { simulate } from './support/iam';
import { synthStack } from './support/synth';

const SOURCE = 'https://github.com/lonegunmanb/terraform-provider-aws-index/blob/v6.25.0/index/internal/';
/** The account of a target in the simulations: central, a member, the vault. */
const ACCOUNT: Record<DeploymentTarget, string> = { central: '111111111111', member: '222222222222', vault: '555555555555' };
const VAULT = '555555555555';
/**
 * Every feature on: copy with retention, state, the plan role, the central account also a member,
 * and a vault without kmsKeyId (the vault stack, and member copy keys).
 */
const allFeatures = parseOrgConfig({
  ...rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', retentionDays: 30, memberRoleName: 'dr-copy', vault: { accountId: VAULT, lock: { mode: 'governance', days: 7 } } } }),
  members: [...rawConfig().members, { accountId: '111111111111', regions: ['eu-west-1'] }],
  deployment: { state: { bucket: 'acme-terraform-state', region: 'eu-west-1' }, planPrincipalArns: ['arn:aws:iam::999999999999:role/github-plan'] },
});
const TARGETS = deploymentTargetsOf(allFeatures);

function synthesizedTypes(): Record<DeploymentTarget, Set<string>> {
  const app = buildApp({ config: allFeatures, outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle() });
  const types = { central: new Set<string>(), member: new Set<string>(), vault: new Set<string>() };
  expect(app.vault, 'the all-features config has a vault stack').toBeDefined();
  for (const [target, stack] of [['central', app.central], ['vault', app.vault!], ...app.members.map((m) => ['member', m] as const)] as const) {
    const json = synthStack(stack).json as { resource?: object; data?: object };
    for (const type of Object.keys(json.resource ?? {})) types[target].add(type);
    // Data sources would be read at plan time too: none today, and a new one needs a row here.
    expect(Object.keys(json.data ?? {}), `${stack.node.id} reads data sources`).toEqual([]);
  }
  return types;
}

/** A concrete ARN matched by `pattern` (region and account `*` filled in, any other `*` a name). */
function concrete(pattern: string, target: DeploymentTarget): string {
  if (pattern === '*') return '*'; // an action with no resource type: IAM evaluates it on "*"
  const parts = pattern.split(':');
  if (parts[3] === '*') parts[3] = 'eu-west-1';
  if (parts[4] === '*') parts[4] = ACCOUNT[target];
  return parts.join(':').replaceAll('*', 'example');
}

const decide = (policy: PolicyDocument, target: DeploymentTarget, action: string, resource: string) => {
  const account = ACCOUNT[target];
  return simulate({ principal: `arn:aws:iam::${account}:role/caller`, action, resource, resourceAccount: account, identityPolicies: { policy } });
};

describe('plan-time calls of the provider (PLAN_TIME_CALLS, from the v6.25.0 source)', () => {
  const types = synthesizedTypes();

  it.each(TARGETS)('GIVEN the %s stacks of an all-features org THEN every resource type they write has a row citing the provider source', (target) => {
    const rows = new Map(PLAN_TIME_CALLS.map((r) => [r.type, r]));
    expect([...types[target]].filter((t) => !rows.has(t))).toEqual([]);
    for (const type of types[target]) {
      const row = rows.get(type)!;
      expect(row.source.length, type).toBeGreaterThan(0);
      for (const path of row.source) expect(path, type).toMatch(new RegExp(`^${SOURCE.replaceAll('.', '\\.')}service/[a-z0-9]+/(func|type|method)\\.[\\w.]+\\.goindex$`));
    }
    expect(resourceTypesFor(allFeatures, target).filter((t) => !rows.has(t))).toEqual([]);
  });

  it('lists the one CustomizeDiff that calls AWS: the state machine definition check', () => {
    const calling = PLAN_TIME_CALLS.filter((r) => r.grants.length > 0);
    expect(calling.map((r) => [r.type, r.grants.flatMap((g) => g.actions)])).toEqual([['aws_sfn_state_machine', ['states:ValidateStateMachineDefinition']]]);
    expect(calling[0]!.source).toContain(`${SOURCE}service/sfn/func.stateMachineDefinitionValidate.goindex`);
    // The provider's own interceptors run for every type and call nothing; cited all the same.
    for (const path of PROVIDER_WIDE_PLAN_TIME_SOURCE) expect(path).toMatch(new RegExp(`^${SOURCE.replaceAll('.', '\\.')}provider/sdkv2/func\\.\\w+\\.goindex$`));
  });

  it.each(TARGETS.flatMap((target) => (['deployment', 'plan'] as const).map((role) => [target, role] as const)))(
    'GIVEN the %s %s policy in IAM THEN every plan-time call of the target\'s resource types is allowed',
    async (target, role) => {
      const policy = (role === 'deployment' ? deploymentRolePolicy : planRolePolicy)(allFeatures, target);
      const scope = deploymentScope(allFeatures, target);
      const denied: string[] = [];
      for (const row of PLAN_TIME_CALLS.filter((r) => resourceTypesFor(allFeatures, target).includes(r.type))) {
        for (const grant of row.grants) {
          for (const pattern of grant.resources(scope)) {
            for (const action of grant.actions) {
              const resource = concrete(pattern, target);
              if ((await decide(policy, target, action, resource)) !== 'Allowed') denied.push(`${row.type}: ${action} on ${resource}`);
            }
          }
        }
      }
      expect(denied).toEqual([]);
    },
  );

  it('GIVEN the central deployment policy without the plan-time grant (as before) THEN IAM denies the definition check: the simulation can fail', async () => {
    const policy = deploymentRolePolicy(allFeatures, 'central');
    const without: PolicyDocument = {
      ...policy,
      Statement: policy.Statement.map((s) => ({ ...s, Action: [s.Action].flat().filter((a) => a !== 'states:ValidateStateMachineDefinition') })).filter((s) => s.Action.length > 0),
    };
    expect(await decide(policy, 'central', 'states:ValidateStateMachineDefinition', '*')).toBe('Allowed');
    expect(await decide(without, 'central', 'states:ValidateStateMachineDefinition', '*')).toBe('ImplicitlyDenied');
  });

  it('GIVEN a resource type with no row THEN building either policy for it fails naming the type and the table', () => {
    expect(() => planRolePolicy(allFeatures, 'central', ['aws_s3_bucket'])).toThrow(UnknownResourceTypeError);
    expect(() => deploymentRolePolicy(allFeatures, 'central', ['aws_s3_bucket'])).toThrow(/aws_s3_bucket: no row in TERRAFORM_RESOURCE_PERMISSIONS/);
  });

  it('names the provider configure calls: AssumeRole (granted by the role\'s trust policy) and GetCallerIdentity (needs no permission), from ConfigureProvider', () => {
    expect(PROVIDER_CONFIGURE_CALLS.map((c) => c.action)).toEqual(['sts:AssumeRole', 'sts:GetCallerIdentity']);
    expect(PROVIDER_CONFIGURE_SOURCE).toBe(`${SOURCE}conns/method.Config.ConfigureProvider.goindex`);
    // Neither is in the policies: AssumeRole is the caller's right on the role, GetCallerIdentity is never denied by IAM.
    for (const target of TARGETS) {
      for (const policy of [deploymentRolePolicy(allFeatures, target), planRolePolicy(allFeatures, target)]) {
        expect(JSON.stringify(policy)).not.toMatch(/sts:(AssumeRole|GetCallerIdentity)/);
      }
    }
  });
});
