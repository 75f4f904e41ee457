/**
 * Vault mode's stacks (issue 14): the `vault-<accountId>` stack (its provider, keys, role, plan
 * role), the member copy keys and share rights, the central step and sweep functions' vault
 * environment, and where the vault stack sits in the app, the manifest, the synth stamp and the
 * waves. The policies' decisions are in `vault.iam.test.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { renderPlan } from '../cli/waves';
import { wavePlan } from '../cli/common/wave-plan';
import { parseOrgConfig } from '../config/load';
import type { OrgConfigInput } from '../config/schema';
import { buildApp } from '../stacks/app';
import type { ProviderRole } from '../stacks/base-stack';
import { CopyKey } from '../stacks/copy-key';
import { planRolePolicy } from '../stacks/policy/deployment-role-policy';
import { vaultKeyPolicy } from '../stacks/policy/vault-permissions';
import { vaultAccessOf, vaultStepEnvironment } from '../stacks/central/snapshot-copy-vault';
import { SnapshotCopyWorkflow } from '../stacks/central/snapshot-copy-workflow';
import { synthStamp } from '../stacks/synth-stamp';
import { RolePolicyTooLargeError } from '../stacks/policy/role-with-policies';
import { VaultStack } from '../stacks/vault-stack';
import { fakeBundle } from './support/bundle';
import { rawConfig, testConfig } from './support/config';
import { runMain } from './support/run-main';
import { inlinePoliciesOf, parsed, resourcesOf, synthStack, theResource, type StackJson } from './support/synth';
import { VAULT_ACCOUNT, VAULT_ALL_FEATURES, VAULT_WITH_KMS_KEY_ID } from './support/vault-configs';

const build = (raw: OrgConfigInput, providerRole?: ProviderRole) =>
  buildApp({ config: parseOrgConfig(raw), outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle(), providerRole });
const lambdaEnv = (stack: StackJson, name: string) => (theResource(stack, 'aws_lambda_function', (f) => f.function_name === name).environment as { variables: Record<string, string> }).variables;

describe('vault stack (snapshotCopy.vault)', () => {
  const built = build(VAULT_ALL_FEATURES);
  const vault = synthStack(built.vault!);

  it('is vault-<accountId>, after central, and nothing else depends on it', () => {
    expect(built.vault!.node.id).toBe(`vault-${VAULT_ACCOUNT}`);
    expect(built.vault!.dependencies).toEqual([built.central]);
    for (const member of built.members) expect(member.dependencies).not.toContain(built.vault);
  });

  it('deploys into the vault account only, through deployment.roleName, tagged as its stack; in a plan synth through the plan role', () => {
    expect(vault.json.provider?.aws?.[0]).toMatchObject({
      allowed_account_ids: [VAULT_ACCOUNT],
      assume_role: [{ role_arn: `arn:aws:iam::${VAULT_ACCOUNT}:role/OrganizationAccountAccessRole`, session_name: `ebs-event-hub-vault-${VAULT_ACCOUNT}` }],
      default_tags: [{ tags: { 'ebs-event-hub:stack': `vault-${VAULT_ACCOUNT}`, project: 'ebs-event-hub' } }],
      region: 'eu-central-1',
    });
    const plan = synthStack(build(VAULT_ALL_FEATURES, 'plan').vault!);
    expect(plan.json.provider?.aws?.[0]).toMatchObject({ assume_role: [{ role_arn: `arn:aws:iam::${VAULT_ACCOUNT}:role/ebs-event-hub-plan` }] });
    expect(plan.json.resource).toEqual(vault.json.resource);
  });

  it('has a rotated customer managed key per copy destination region, aliased alias/ebs-event-hub-vault, deleted after 30 days at the earliest', () => {
    // ALL_FEATURES copies into eu-central-1 (eu-west-1, us-east-1 sources) and eu-west-1 (eu-central-1 source).
    const keys = resourcesOf(vault, 'aws_kms_key');
    expect(keys.map((k) => k.region).sort()).toEqual(['eu-central-1', 'eu-west-1']);
    for (const key of keys) expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    // Terraform refuses to plan a destroy or replacement of a vault key (the vault copies under it would be lost).
    for (const key of keys) expect(key.lifecycle).toEqual({ prevent_destroy: true });
    const aliases = resourcesOf(vault, 'aws_kms_alias');
    expect(aliases.map((a) => [a.region, a.name]).sort()).toEqual([
      ['eu-central-1', 'alias/ebs-event-hub-vault'],
      ['eu-west-1', 'alias/ebs-event-hub-vault'],
    ]);
    for (const alias of aliases) expect(alias.target_key_id).toMatch(/^\$\{aws_kms_key\.key-(eu-central-1|eu-west-1)_key_[0-9A-F]{8}\.key_id\}$/);
    expect(Object.keys(vault.json.resource!.aws_kms_key!).sort()).toEqual([expect.stringMatching(/^key-eu-central-1_key_/), expect.stringMatching(/^key-eu-west-1_key_/)]);
  });

  it('each key policy names its own region\'s EC2 endpoint for the vault role', () => {
    for (const key of resourcesOf(vault, 'aws_kms_key')) {
      const statements = parsed<{ Statement: { Sid: string; Condition?: { StringEquals?: Record<string, string> } }[] }>(key.policy).Statement;
      expect(statements.map((s) => s.Sid)).toEqual(['AccountAdministersKey', 'VaultRoleUsesKeyThroughEc2', 'VaultRoleGrantsKeyToEc2']);
      expect(statements[1]!.Condition!.StringEquals!['kms:ViaService']).toBe(`ec2.${key.region as string}.amazonaws.com`);
    }
  });

  it('has the role ebs-event-hub-vault-copy, trusted by the central account for the step and (vault retention) sweep roles only, with one inline policy', () => {
    const role = theResource(vault, 'aws_iam_role', (r) => r.name === 'ebs-event-hub-vault-copy');
    expect(role.max_session_duration).toBe(3600);
    expect(parsed(role.assume_role_policy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CentralCopyFunctionsAssume',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111111111111:root' },
          Action: 'sts:AssumeRole',
          Condition: { ArnEquals: { 'aws:PrincipalArn': ['arn:aws:iam::111111111111:role/ebs-event-hub-copy-step', 'arn:aws:iam::111111111111:role/ebs-event-hub-copy-sweep'] } },
        },
      ],
    });
    expect(Object.keys(inlinePoliciesOf(vault, 'ebs-event-hub-vault-copy'))).toEqual(['vault-copies']);
    // Without vault retention, only the step role.
    const noRetention = synthStack(build(VAULT_WITH_KMS_KEY_ID).vault!);
    const trust = parsed<{ Statement: { Condition: unknown }[] }>(theResource(noRetention, 'aws_iam_role', (r) => r.name === 'ebs-event-hub-vault-copy').assume_role_policy);
    expect(trust.Statement[0]!.Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/ebs-event-hub-copy-step' } });
  });

  it('grants lock and delete only as configured: LockSnapshot with a lock (at most lock.days), DeleteSnapshot with vault retention', () => {
    const sids = (stack: StackJson) => inlinePoliciesOf(stack, 'ebs-event-hub-vault-copy')['vault-copies']!.Statement.map((s) => s.Sid);
    expect(sids(vault)).toEqual(expect.arrayContaining(['LockOwnVaultCopies', 'DescribeLockedSnapshots', 'DeleteOwnExpiredVaultCopies']));
    const lock = inlinePoliciesOf(vault, 'ebs-event-hub-vault-copy')['vault-copies']!.Statement.find((s) => s.Sid === 'LockOwnVaultCopies')!;
    // Exactly lock.days: LockSnapshot also modifies a lock, and a shorter one would let the role shorten a governance lock.
    expect(lock.Condition).toMatchObject({ NumericEquals: { 'ec2:SnapshotLockDuration': '365' } });
    const bare = synthStack(build({ ...VAULT_WITH_KMS_KEY_ID, snapshotCopy: { ...VAULT_WITH_KMS_KEY_ID.snapshotCopy!, vault: { accountId: VAULT_ACCOUNT } } }).vault!);
    expect(sids(bare)).not.toEqual(expect.arrayContaining(['LockOwnVaultCopies']));
    expect(sids(bare).some((s) => /Lock|Delete/.test(s))).toBe(false);
  });

  it('GIVEN planPrincipalArns THEN the vault stack creates the plan role reading the vault stack only', () => {
    const config = parseOrgConfig(VAULT_ALL_FEATURES);
    expect(inlinePoliciesOf(vault, 'ebs-event-hub-plan')).toEqual({ 'read-vault': JSON.parse(JSON.stringify(planRolePolicy(config, 'vault'))) });
  });

  it('holds nothing but its keys, aliases, roles and their policies', () => {
    expect(Object.keys(vault.json.resource ?? {}).sort()).toEqual(['aws_iam_role', 'aws_iam_role_policies_exclusive', 'aws_iam_role_policy', 'aws_kms_alias', 'aws_kms_key']);
  });

  it('GIVEN no vault THEN no vault stack, and VaultStack refuses to be built', () => {
    const plain = build(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } }));
    expect(plain.vault).toBeUndefined();
    expect(plain.app.node.children.map((c) => c.node.id)).not.toContainEqual(expect.stringMatching(/^vault-/));
    expect(() => new VaultStack(Testing.app(), { config: testConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } }) })).toThrow(/snapshotCopy\.vault is not set/);
  });

  it('GIVEN more member accounts than the vault role can name THEN one user error naming the role, the size and the limit; 400 fit', () => {
    const org = (n: number) =>
      parseOrgConfig({
        organizationId: 'o-a1b2c3d4e5',
        central: { accountId: '111111111111', region: 'eu-west-1', busName: 'b' },
        members: Array.from({ length: n }, (_, i) => ({ accountId: String(200_000_000_000 + i), regions: ['eu-west-1', 'us-east-1'] })),
        snapshotCopy: { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1' }, vault: { accountId: VAULT_ACCOUNT, lock: { mode: 'compliance', days: 30 }, retentionDays: 30 } },
      });
    expect(() => new VaultStack(Testing.app(), { config: org(400) })).not.toThrow();
    expect(() => new VaultStack(Testing.app(), { config: org(600) })).toThrow(RolePolicyTooLargeError);
    expect(() => new VaultStack(Testing.app(), { config: org(600) })).toThrow(/^role ebs-event-hub-vault-copy: its inline policies take \d+ characters; IAM allows 10240 per role\. The vault role names every member account/);
  });

  it('refuses an alias a customer cannot create (alias/aws/…)', () => {
    const stack = new VaultStack(Testing.app(), { config: parseOrgConfig(VAULT_WITH_KMS_KEY_ID) });
    const policy = vaultKeyPolicy({ accountId: VAULT_ACCOUNT, region: 'eu-west-1' });
    expect(() => new CopyKey(stack, 'bad', { region: 'eu-west-1', aliasName: 'alias/aws/ebs', description: 'x', policy })).toThrow(
      /aliasName "alias\/aws\/ebs" is not alias\/<name>/,
    );
  });
});

describe('member side of vault mode', () => {
  it('GIVEN no kmsKeyId THEN every member stack has a copy key per destination region, alias/ebs-event-hub-dr, admitting its copy roles and the vault role', () => {
    const built = build(VAULT_ALL_FEATURES);
    const expected: Record<string, string[]> = { '111111111111': ['eu-central-1'], '222222222222': ['eu-central-1', 'eu-west-1'], '333333333333': ['eu-central-1'] };
    for (const member of built.members) {
      const stack = synthStack(member);
      expect(resourcesOf(stack, 'aws_kms_key').map((k) => k.region).sort(), member.node.id).toEqual(expected[member.accountId]);
      expect(new Set(resourcesOf(stack, 'aws_kms_alias').map((a) => a.name))).toEqual(new Set(['alias/ebs-event-hub-dr']));
      // Member copy keys can be destroyed with their member (rollout --destroy): only the vault's are protected.
      for (const key of resourcesOf(stack, 'aws_kms_key')) expect(key.lifecycle).toBeUndefined();
      for (const key of resourcesOf(stack, 'aws_kms_key')) {
        const statements = parsed<{ Statement: { Sid: string; Principal: { AWS: string }; Condition?: { ArnEquals: Record<string, unknown> } }[] }>(key.policy).Statement;
        expect(statements.map((s) => s.Sid)).toEqual(['AccountAdministersKey', 'CopyRolesUseKeyThroughEc2', 'CopyRolesGrantKeyToEc2', 'VaultRoleUsesKeyThroughEc2', 'VaultRoleGrantsKeyToEc2']);
        expect(statements[3]!.Principal).toEqual({ AWS: `arn:aws:iam::${VAULT_ACCOUNT}:root` });
        // In the central account (also a member) the step role copies with its own credentials.
        const copyRoles = [`arn:aws:iam::${member.accountId}:role/ebs-event-hub-snapshot-copy`, ...(member.accountId === '111111111111' ? ['arn:aws:iam::111111111111:role/ebs-event-hub-copy-step'] : [])].sort();
        expect(statements[1]!.Condition!.ArnEquals['aws:PrincipalArn']).toEqual(copyRoles.length === 1 ? copyRoles[0] : copyRoles);
      }
      expect(Object.keys(stack.json.resource!.aws_kms_key!).every((address) => address.startsWith('copy-keys_'))).toBe(true);
    }
  });

  it('GIVEN kmsKeyId THEN no member stack creates a key (the README says what the key must grant; verify checks it)', () => {
    for (const member of build(VAULT_WITH_KMS_KEY_ID).members) expect(resourcesOf(synthStack(member), 'aws_kms_key')).toEqual([]);
  });

  it('gives the member copy role the share statements, and with keepMemberCopy false the delete statement', () => {
    const sids = (raw: OrgConfigInput) =>
      inlinePoliciesOf(synthStack(build(raw).members.find((m) => m.accountId === '222222222222')!), 'ebs-event-hub-snapshot-copy')['copy-snapshots']!.Statement.map((s) => s.Sid);
    expect(sids(VAULT_ALL_FEATURES)).toEqual(expect.arrayContaining(['ShareCopiesWithVaultOnly', 'UnshareCopiesFromVault', 'DeleteCopiesOnceVaulted']));
    expect(sids(VAULT_WITH_KMS_KEY_ID)).toEqual(expect.arrayContaining(['ShareCopiesWithVaultOnly', 'UnshareCopiesFromVault']));
    expect(sids(VAULT_WITH_KMS_KEY_ID)).not.toContain('DeleteCopiesOnceVaulted');
    const { vault: _none, ...withoutVault } = VAULT_WITH_KMS_KEY_ID.snapshotCopy!;
    expect(sids({ ...VAULT_WITH_KMS_KEY_ID, snapshotCopy: withoutVault }).filter((s) => /Vault/.test(s))).toEqual([]);
  });
});

describe('central side of vault mode', () => {
  const central = synthStack(build(VAULT_ALL_FEATURES).central);

  it('tells the step function the vault account, role, key alias, lock, retention, whether to keep the member copy, and the member key alias', () => {
    expect(lambdaEnv(central, 'ebs-event-hub-copy-step')).toMatchObject({
      VAULT_ACCOUNT_ID: VAULT_ACCOUNT,
      VAULT_ROLE_NAME: 'ebs-event-hub-vault-copy',
      VAULT_KMS_KEY_ID: 'alias/ebs-event-hub-vault',
      VAULT_LOCK_MODE: 'compliance',
      VAULT_LOCK_DAYS: '365',
      VAULT_LOCK_COOL_OFF_HOURS: '24',
      VAULT_RETENTION_DAYS: '400',
      VAULT_KEEP_MEMBER_COPY: 'false',
      MEMBER_KMS_KEY_ID: 'alias/ebs-event-hub-dr',
    });
    expect(lambdaEnv(central, 'ebs-event-hub-copy-sweep')).toMatchObject({ VAULT_ACCOUNT_ID: VAULT_ACCOUNT, VAULT_ROLE_NAME: 'ebs-event-hub-vault-copy' });
  });

  it('with kmsKeyId, no lock cooling-off and no vault retention, sets only what applies', () => {
    const env = lambdaEnv(synthStack(build(VAULT_WITH_KMS_KEY_ID).central), 'ebs-event-hub-copy-step');
    expect(Object.keys(env).filter((k) => k.startsWith('VAULT_') || k.startsWith('MEMBER_KMS')).sort()).toEqual([
      'VAULT_ACCOUNT_ID',
      'VAULT_KEEP_MEMBER_COPY',
      'VAULT_KMS_KEY_ID',
      'VAULT_LOCK_DAYS',
      'VAULT_LOCK_MODE',
      'VAULT_ROLE_NAME',
    ]);
    expect(env.VAULT_KEEP_MEMBER_COPY).toBe('true');
    // Without vault retention, the sweep is not told of the vault (it never assumes the vault role).
    expect(Object.keys(lambdaEnv(synthStack(build(VAULT_WITH_KMS_KEY_ID).central), 'ebs-event-hub-copy-sweep')).filter((k) => k.startsWith('VAULT_'))).toEqual([]);
  });

  it('without a vault, no VAULT_ variable and no vault statement anywhere in central', () => {
    const plain = synthStack(build(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', retentionDays: 30 } })).central);
    expect(plain.raw).not.toMatch(/VAULT_|vault/i);
  });

  it('validates the vault access a workflow unit is given, naming the prop and value', () => {
    const vault = vaultAccessOf(parseOrgConfig(VAULT_ALL_FEATURES))!;
    expect(vaultStepEnvironment(vault).VAULT_LOCK_COOL_OFF_HOURS).toBe('24');
    const unit = (v: typeof vault) => () =>
      new SnapshotCopyWorkflow(Testing.app(), {
        accountId: '111111111111',
        region: 'eu-west-1',
        logRetentionDays: 30,
        kmsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/x',
        alertTopicArn: 'arn:aws:sns:eu-west-1:111111111111:t',
        memberRoleName: 'r',
        memberAccountIds: ['222222222222'],
        code: { filename: 'x.zip', sourceCodeHash: 'h' },
        maxInFlightCopies: 10,
        vault: v,
      });
    expect(unit({ ...vault, accountId: '12' })).toThrow('SnapshotCopyWorkflow: vault.accountId "12" is not a 12-digit AWS account ID');
    expect(unit({ ...vault, lock: { mode: 'governance', days: 7, coolOffHours: 3 } })).toThrow('SnapshotCopyWorkflow: vault.lock.coolOffHours 3 is set with a governance lock');
    expect(unit({ ...vault, lock: { mode: 'compliance', days: 40_000 } })).toThrow('SnapshotCopyWorkflow: vault.lock.days 40000 is not a whole number from 1 to 36500');
    expect(unit({ ...vault, retentionDays: 10 })).toThrow('SnapshotCopyWorkflow: vault.retentionDays 10 is not a whole number from 365 to 36500');
  });
});

describe('the vault stack in the rollout', () => {
  const config = parseOrgConfig(VAULT_ALL_FEATURES);

  it('is a wave-0 stack after central in the synth stamp and in `npm run waves`', () => {
    expect(synthStamp(config).stacks.slice(0, 2)).toEqual([
      { id: 'central', accountId: '111111111111', wave: 0 },
      { id: `vault-${VAULT_ACCOUNT}`, accountId: VAULT_ACCOUNT, wave: 0 },
    ]);
    expect(wavePlan(config)[0]).toEqual({ wave: 0, stacks: ['central', `vault-${VAULT_ACCOUNT}`] });
    expect(renderPlan(wavePlan(config))).toContain(`wave 0 (central, vault): 2 stacks\n  npm run rollout -- --wave 0\n  central vault-${VAULT_ACCOUNT}`);
    expect(renderPlan(wavePlan(testConfig()))).toContain('wave 0 (central): 1 stack\n');
  });

  it('GIVEN a synth THEN the manifest lists the vault stack depending on central, and the stamp has it', () => {
    const run = runMain(VAULT_WITH_KMS_KEY_ID);
    expect(run.status, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(run.outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { dependencies: string[] }> };
    expect(manifest.stacks[`vault-${VAULT_ACCOUNT}`]!.dependencies).toEqual(['central']);
    expect(Object.keys(manifest.stacks).sort()).toEqual(['central', 'member-111111111111', 'member-222222222222', 'member-333333333333', `vault-${VAULT_ACCOUNT}`]);
    const stamp = JSON.parse(readFileSync(join(run.outdir, 'ebs-event-hub.synth.json'), 'utf8')) as { stacks: { id: string }[] };
    expect(stamp.stacks.map((s) => s.id)).toContain(`vault-${VAULT_ACCOUNT}`);
  });
});
