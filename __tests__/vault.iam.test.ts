/**
 * Vault mode in IAM (issue 14, "Proof"), on the policies as synthesized into the Terraform (read
 * back from `cdk.tf.json`, not rebuilt): the central step role may assume the vault role and
 * nothing else in the central account may; the vault role may copy only snapshots shared from the
 * organization's member accounts, may lock (its own copies, for exactly the configured days), and
 * may delete only its own expired copies; a member role may share only the app's copies and only
 * with the vault account; the key policies admit exactly these callers, through EC2.
 *
 * Contexts come from the documented-keys table (stacks/policy/context-keys.ts): only keys AWS
 * documents as sent. EC2 authorizes snapshot actions on identity policies only (snapshots have no
 * resource policy; sharing is `createVolumePermission`) and snapshot ARNs carry no account, so EC2
 * requests are simulated in the caller's own account; the owner is `ec2:Owner`.
 */
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../config/load';
import type { OrgConfigInput } from '../config/schema';
import { buildApp } from '../stacks/app';
import { documentedContext } from '../stacks/policy/context-keys';
import { policyDocument, type PolicyDocument } from '../stacks/policy/policy';
import { fakeBundle } from './support/bundle';
import { expectDecision, type SimulationRequest } from './support/iam';
import { inlinePoliciesOf, parsed, resourcesOf, synthStack, theResource, type StackJson } from './support/synth';
import { VAULT_ACCOUNT, VAULT_ALL_FEATURES, VAULT_WITH_KMS_KEY_ID } from './support/vault-configs';

const CENTRAL = '111111111111';
const MEMBER = '222222222222';
const OUTSIDER = '444444444444';
const REGION = 'eu-central-1';
const SNAP = 'snap-0123456789abcdef0';
const SNAPSHOT = `arn:aws:ec2:${REGION}::snapshot/${SNAP}`;
const VAULT_ROLE = `arn:aws:iam::${VAULT_ACCOUNT}:role/ebs-event-hub-vault-copy`;
const STEP_ROLE = `arn:aws:iam::${CENTRAL}:role/ebs-event-hub-copy-step`;
const SWEEP_ROLE = `arn:aws:iam::${CENTRAL}:role/ebs-event-hub-copy-sweep`;
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/ebs-event-hub-snapshot-copy`;
const PROVENANCE = 'aws:ResourceTag/ebs-event-hub:source-snapshot-id';
const EXPIRY = 'aws:ResourceTag/ebs-event-hub:expires-at';
const EC2 = `ec2.${REGION}.amazonaws.com`;

function synthesized(raw: OrgConfigInput) {
  const built = buildApp({ config: parseOrgConfig(raw), outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle() });
  const member = (account: string) => synthStack(built.members.find((m) => m.accountId === account)!);
  return { central: synthStack(built.central), vault: synthStack(built.vault!), member };
}

const roleNames = (stack: StackJson): string[] => resourcesOf(stack, 'aws_iam_role').map((r) => String(r.name));
const trustOf = (stack: StackJson, name: string): PolicyDocument => parsed(theResource(stack, 'aws_iam_role', (r) => r.name === name).assume_role_policy);
const keyPolicyOf = (stack: StackJson, region: string): PolicyDocument => parsed(theResource(stack, 'aws_kms_key', (k) => k.region === region).policy);
const session = (principal: string) => ({ 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': principal.split(':')[4]! });

/** A request of `principal` (its own synthesized policies) in its own account, with documented keys only. */
const request = (principal: string, identity: Record<string, PolicyDocument>, action: string, resource: string, context: Record<string, string | readonly string[]> = {}, extra: Partial<SimulationRequest> = {}): SimulationRequest => ({
  principal,
  action,
  resource,
  resourceAccount: principal.split(':')[4]!,
  identityPolicies: identity,
  context: documentedContext('iam-role-session', action, { 'aws:PrincipalArn': principal, ...context }),
  ...extra,
});

describe('vault mode in IAM, on the synthesized policies (vault retention, lock, keepMemberCopy false, no kmsKeyId)', () => {
  const { central, vault, member } = synthesized(VAULT_ALL_FEATURES);
  const vaultTrust = trustOf(vault, 'ebs-event-hub-vault-copy');
  const vaultPolicies = inlinePoliciesOf(vault, 'ebs-event-hub-vault-copy');
  const asVault = (action: string, context: Record<string, string | readonly string[]> = {}, resource = SNAPSHOT) => request(VAULT_ROLE, vaultPolicies, action, resource, context);

  describe('who may assume the vault role', () => {
    const assume = (principal: string, identity: Record<string, PolicyDocument>): SimulationRequest => ({
      principal,
      action: 'sts:AssumeRole',
      resource: VAULT_ROLE,
      resourceAccount: VAULT_ACCOUNT,
      identityPolicies: identity,
      resourcePolicy: vaultTrust,
      context: documentedContext('iam-role-session', 'sts:AssumeRole', session(principal)),
    });
    /** What an administrator-like role of the central account could hold: assume any role. */
    const anyRole: PolicyDocument = { Version: '2012-10-17', Statement: [{ Sid: 'AssumeAnything', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] };

    it('GIVEN every role of the central stack with its own policies THEN only the step role and (vault retention) the sweep role may', async () => {
      const roles = roleNames(central);
      for (const name of roles) {
        const arn = `arn:aws:iam::${CENTRAL}:role/${name}`;
        await expectDecision(assume(arn, inlinePoliciesOf(central, name)), [STEP_ROLE, SWEEP_ROLE].includes(arn) ? 'Allowed' : 'ImplicitlyDenied');
      }
      expect(roles).toEqual(expect.arrayContaining(['ebs-event-hub-copy-step', 'ebs-event-hub-copy-sweep', 'ebs-event-hub-copy-start']));
    });

    it('GIVEN any other role of the central account, even one allowed to assume anything THEN the trust refuses it; a role of that name in another account too', async () => {
      await expectDecision(assume(`arn:aws:iam::${CENTRAL}:role/Admin`, { any: anyRole }), 'ImplicitlyDenied');
      await expectDecision(assume(`arn:aws:iam::${CENTRAL}:role/OrganizationAccountAccessRole`, { any: anyRole }), 'ImplicitlyDenied');
      await expectDecision(assume(`arn:aws:iam::${MEMBER}:role/ebs-event-hub-copy-step`, { any: anyRole }), 'ImplicitlyDenied');
      await expectDecision(assume(MEMBER_ROLE, { any: anyRole }), 'ImplicitlyDenied');
    });

    it('GIVEN the step role WHEN it assumes another role of the vault account THEN its own policy refuses (it names the vault role only)', async () => {
      await expectDecision({ ...assume(STEP_ROLE, inlinePoliciesOf(central, 'ebs-event-hub-copy-step')), resource: `arn:aws:iam::${VAULT_ACCOUNT}:role/Admin`, resourcePolicy: policyDocument('trust', [{ Sid: 'Open', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CENTRAL}:root` }, Action: 'sts:AssumeRole' }]) }, 'ImplicitlyDenied');
    });
  });

  describe('the vault role: copy only member snapshots shared with it, tag on creation', () => {
    it.each([CENTRAL, MEMBER, '333333333333'])('GIVEN a snapshot owned by member %s WHEN the vault role copies it THEN allowed', async (owner) => {
      await expectDecision(asVault('ec2:CopySnapshot', { 'ec2:Owner': owner }), 'Allowed');
    });

    it.each([OUTSIDER, 'amazon', 'aws-marketplace'])('GIVEN a snapshot owned by %s (not a member) WHEN the vault role copies it THEN denied', async (owner) => {
      await expectDecision(asVault('ec2:CopySnapshot', { 'ec2:Owner': owner }), 'ImplicitlyDenied');
      // Tagging the request does not help a foreign source.
      await expectDecision(asVault('ec2:CopySnapshot', { 'ec2:Owner': owner, 'aws:RequestTag/ebs-event-hub:source-snapshot-id': SNAP }), 'ImplicitlyDenied');
    });

    it('GIVEN the copy being created WHEN it carries the provenance tag THEN allowed; untagged, or in a region that is no copy destination, denied', async () => {
      await expectDecision(asVault('ec2:CopySnapshot', { 'aws:RequestTag/ebs-event-hub:source-snapshot-id': SNAP }), 'Allowed');
      await expectDecision(asVault('ec2:CopySnapshot'), 'ImplicitlyDenied');
      await expectDecision(asVault('ec2:CopySnapshot', { 'ec2:Owner': MEMBER }, `arn:aws:ec2:ap-south-1::snapshot/${SNAP}`), 'ImplicitlyDenied');
    });

    it('GIVEN tags WHEN applied by CopySnapshot THEN allowed; a direct CreateTags, denied', async () => {
      await expectDecision(asVault('ec2:CreateTags', { 'ec2:CreateAction': 'CopySnapshot' }), 'Allowed');
      await expectDecision(asVault('ec2:CreateTags'), 'ImplicitlyDenied');
      await expectDecision(asVault('ec2:CreateTags', { 'ec2:CreateAction': 'CreateSnapshot' }), 'ImplicitlyDenied');
    });
  });

  describe('the vault role: lock its own copies, delete only its own expired copies, nothing else', () => {
    const own = { 'ec2:Owner': VAULT_ACCOUNT, [PROVENANCE]: SNAP };

    it('GIVEN its own tagged copy WHEN locked for exactly lock.days THEN allowed; shorter (LockSnapshot would shorten a governance lock), longer, another owner\'s, or an untagged snapshot, denied', async () => {
      await expectDecision(asVault('ec2:LockSnapshot', { ...own, 'ec2:SnapshotLockDuration': '365' }), 'Allowed');
      await expectDecision(asVault('ec2:LockSnapshot', { ...own, 'ec2:SnapshotLockDuration': '30' }), 'ImplicitlyDenied');
      await expectDecision(asVault('ec2:LockSnapshot', { ...own, 'ec2:SnapshotLockDuration': '1' }), 'ImplicitlyDenied');
      await expectDecision(asVault('ec2:LockSnapshot', { ...own, 'ec2:SnapshotLockDuration': '36500' }), 'ImplicitlyDenied');
      await expectDecision(asVault('ec2:LockSnapshot', { ...own, 'ec2:Owner': MEMBER, 'ec2:SnapshotLockDuration': '365' }), 'ImplicitlyDenied');
      await expectDecision(asVault('ec2:LockSnapshot', { 'ec2:Owner': VAULT_ACCOUNT, 'ec2:SnapshotLockDuration': '365' }), 'ImplicitlyDenied');
    });

    it('GIVEN its own copy with provenance and expiry tags WHEN deleted THEN allowed; without expiry tag, untagged, or a member\'s shared snapshot, denied', async () => {
      await expectDecision(asVault('ec2:DeleteSnapshot', { ...own, [EXPIRY]: '2027-12-01T00:00:00Z' }), 'Allowed');
      await expectDecision(asVault('ec2:DeleteSnapshot', own), 'ImplicitlyDenied');
      await expectDecision(asVault('ec2:DeleteSnapshot', { 'ec2:Owner': VAULT_ACCOUNT }), 'ImplicitlyDenied');
      await expectDecision(asVault('ec2:DeleteSnapshot', { ...own, 'ec2:Owner': MEMBER, [EXPIRY]: '2027-12-01T00:00:00Z' }), 'ImplicitlyDenied');
    });

    it.each(['ec2:UnlockSnapshot', 'ec2:ModifySnapshotAttribute', 'ec2:ResetSnapshotAttribute', 'ec2:DeleteTags', 'ec2:ModifySnapshotTier'])('GIVEN the vault role WHEN it calls %s THEN denied', async (action) => {
      // No context: nothing in its policy conditions these actions, so none can match them.
      await expectDecision({ principal: VAULT_ROLE, action, resource: SNAPSHOT, resourceAccount: VAULT_ACCOUNT, identityPolicies: vaultPolicies }, 'ImplicitlyDenied');
    });
  });

  describe('a member role: share only the app\'s copies, only with the vault account', () => {
    const memberPolicies = inlinePoliciesOf(member(MEMBER), 'ebs-event-hub-snapshot-copy');
    const asMember = (action: string, context: Record<string, string | readonly string[]>) => request(MEMBER_ROLE, memberPolicies, action, SNAPSHOT, context);
    const tagged = { [PROVENANCE]: SNAP };

    it('GIVEN one of the app\'s copies WHEN shared with the vault account THEN allowed, and the share removed again', async () => {
      await expectDecision(asMember('ec2:ModifySnapshotAttribute', { ...tagged, 'ec2:Add/userId': VAULT_ACCOUNT }), 'Allowed');
      await expectDecision(asMember('ec2:ModifySnapshotAttribute', { ...tagged, 'ec2:Remove/userId': VAULT_ACCOUNT }), 'Allowed');
    });

    it('GIVEN a share with another account, a group (public), both at once, or a snapshot without provenance THEN denied', async () => {
      await expectDecision(asMember('ec2:ModifySnapshotAttribute', { ...tagged, 'ec2:Add/userId': OUTSIDER }), 'ImplicitlyDenied');
      await expectDecision(asMember('ec2:ModifySnapshotAttribute', { ...tagged, 'ec2:Add/group': 'all' }), 'ImplicitlyDenied');
      await expectDecision(asMember('ec2:ModifySnapshotAttribute', { ...tagged, 'ec2:Add/userId': VAULT_ACCOUNT, 'ec2:Add/group': 'all' }), 'ImplicitlyDenied');
      await expectDecision(asMember('ec2:ModifySnapshotAttribute', { 'ec2:Add/userId': VAULT_ACCOUNT }), 'ImplicitlyDenied');
      await expectDecision(asMember('ec2:ModifySnapshotAttribute', { ...tagged, 'ec2:Remove/userId': OUTSIDER }), 'ImplicitlyDenied');
    });

    it('GIVEN keepMemberCopy false WHEN the member role deletes one of the app\'s copies THEN allowed; an untagged snapshot, denied', async () => {
      await expectDecision(asMember('ec2:DeleteSnapshot', tagged), 'Allowed');
      await expectDecision(asMember('ec2:DeleteSnapshot', {}), 'ImplicitlyDenied');
    });

    it('GIVEN the central account (also a member) WHEN its step role shares its own copies THEN as a member role: with the vault only', async () => {
      const step = inlinePoliciesOf(central, 'ebs-event-hub-copy-step');
      await expectDecision(request(STEP_ROLE, step, 'ec2:ModifySnapshotAttribute', SNAPSHOT, { ...tagged, 'ec2:Add/userId': VAULT_ACCOUNT }), 'Allowed');
      await expectDecision(request(STEP_ROLE, step, 'ec2:ModifySnapshotAttribute', SNAPSHOT, { ...tagged, 'ec2:Add/userId': OUTSIDER }), 'ImplicitlyDenied');
    });
  });

  describe('key policies admit exactly their callers, through EC2', () => {
    const KEY = (account: string) => `arn:aws:kms:${REGION}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const kms = (principal: string, identity: Record<string, PolicyDocument>, keyAccount: string, keyPolicy: PolicyDocument, action: string, context: Record<string, string | readonly string[]> = {}): SimulationRequest => ({
      ...request(principal, identity, action, KEY(keyAccount), context),
      resourceAccount: keyAccount,
      resourcePolicy: keyPolicy,
    });
    /** A role holding every KMS right through IAM: the key policy alone decides. */
    const anyKey: PolicyDocument = { Version: '2012-10-17', Statement: [{ Sid: 'AnyKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:CreateGrant', 'kms:GenerateDataKeyWithoutPlaintext'], Resource: '*' }] };
    const viaEc2 = { 'kms:ViaService': EC2 };
    const grant = { ...viaEc2, 'kms:GrantIsForAWSResource': 'true' };

    describe('the vault key (alias/ebs-event-hub-vault)', () => {
      const key = keyPolicyOf(vault, REGION);
      const asVaultRole = (action: string, context: Record<string, string | readonly string[]>) =>
        kms(VAULT_ROLE, vaultPolicies, VAULT_ACCOUNT, key, action, { 'kms:ResourceAliases': ['alias/ebs-event-hub-vault'], ...context });

      it('GIVEN the vault role through EC2 of the key\'s region THEN allowed (encrypt its copies, grant to EC2)', async () => {
        await expectDecision(asVaultRole('kms:GenerateDataKeyWithoutPlaintext', viaEc2), 'Allowed');
        await expectDecision(asVaultRole('kms:CreateGrant', grant), 'Allowed');
      });

      it('GIVEN the vault role directly, through another service, or a grant not for an AWS resource THEN denied', async () => {
        await expectDecision(asVaultRole('kms:Decrypt', {}), 'ImplicitlyDenied');
        await expectDecision(asVaultRole('kms:Decrypt', { 'kms:ViaService': `s3.${REGION}.amazonaws.com` }), 'ImplicitlyDenied');
        await expectDecision(asVaultRole('kms:CreateGrant', { ...viaEc2, 'kms:GrantIsForAWSResource': 'false' }), 'ImplicitlyDenied');
        // Its own key, in its own account: the key policy delegates to IAM, and the role's policy
        // admits EC2 of every vault region (so EC2 in eu-west-1 may read this key to copy a vault
        // copy there, which only the vault role itself can ask for).
        await expectDecision(asVaultRole('kms:Decrypt', { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' }), 'Allowed');
        await expectDecision(asVaultRole('kms:Decrypt', { 'kms:ViaService': 'ec2.ap-south-1.amazonaws.com' }), 'ImplicitlyDenied');
      });

      it('GIVEN a member role, or the central step role, with any KMS right THEN denied: the vault key admits no other account', async () => {
        await expectDecision(kms(MEMBER_ROLE, { any: anyKey }, VAULT_ACCOUNT, key, 'kms:Decrypt', viaEc2), 'ImplicitlyDenied');
        await expectDecision(kms(STEP_ROLE, { any: anyKey }, VAULT_ACCOUNT, key, 'kms:CreateGrant', grant), 'ImplicitlyDenied');
      });
    });

    describe('a member copy key (alias/ebs-event-hub-dr)', () => {
      const key = keyPolicyOf(member(MEMBER), REGION);
      const memberPolicies = inlinePoliciesOf(member(MEMBER), 'ebs-event-hub-snapshot-copy');

      it('GIVEN the vault role through EC2 of the key\'s region THEN allowed to read the shared copy and grant to EC2; directly, denied', async () => {
        await expectDecision(kms(VAULT_ROLE, vaultPolicies, MEMBER, key, 'kms:Decrypt', viaEc2), 'Allowed');
        await expectDecision(kms(VAULT_ROLE, vaultPolicies, MEMBER, key, 'kms:CreateGrant', grant), 'Allowed');
        await expectDecision(kms(VAULT_ROLE, vaultPolicies, MEMBER, key, 'kms:Decrypt', {}), 'ImplicitlyDenied');
        await expectDecision(kms(VAULT_ROLE, { any: anyKey }, MEMBER, key, 'kms:Decrypt', {}), 'ImplicitlyDenied');
      });

      it('GIVEN the member\'s copy role through EC2 THEN allowed; directly, denied', async () => {
        await expectDecision(kms(MEMBER_ROLE, memberPolicies, MEMBER, key, 'kms:GenerateDataKeyWithoutPlaintext', viaEc2), 'Allowed');
        await expectDecision(kms(MEMBER_ROLE, memberPolicies, MEMBER, key, 'kms:CreateGrant', grant), 'Allowed');
        await expectDecision(kms(MEMBER_ROLE, memberPolicies, MEMBER, key, 'kms:Decrypt', {}), 'ImplicitlyDenied');
      });

      it('GIVEN another role of the vault account, another account\'s role, or the central step role THEN denied, whatever their own policies grant', async () => {
        await expectDecision(kms(`arn:aws:iam::${VAULT_ACCOUNT}:role/Admin`, { any: anyKey }, MEMBER, key, 'kms:Decrypt', viaEc2), 'ImplicitlyDenied');
        await expectDecision(kms(`arn:aws:iam::${OUTSIDER}:role/ebs-event-hub-vault-copy`, { any: anyKey }, MEMBER, key, 'kms:Decrypt', viaEc2), 'ImplicitlyDenied');
        await expectDecision(kms(STEP_ROLE, { any: anyKey }, MEMBER, key, 'kms:Decrypt', viaEc2), 'ImplicitlyDenied');
      });

      it('GIVEN the central account\'s own copy key THEN its step role (which copies there) is admitted through EC2', async () => {
        const own = keyPolicyOf(member(CENTRAL), REGION);
        await expectDecision(kms(STEP_ROLE, inlinePoliciesOf(central, 'ebs-event-hub-copy-step'), CENTRAL, own, 'kms:GenerateDataKeyWithoutPlaintext', viaEc2), 'Allowed');
        await expectDecision(kms(STEP_ROLE, inlinePoliciesOf(central, 'ebs-event-hub-copy-step'), CENTRAL, own, 'kms:Decrypt', {}), 'ImplicitlyDenied');
      });
    });
  });
});

describe('vault mode in IAM without vault retention and with member copies kept', () => {
  const { central, vault, member } = synthesized(VAULT_WITH_KMS_KEY_ID);
  const vaultPolicies = inlinePoliciesOf(vault, 'ebs-event-hub-vault-copy');

  it('GIVEN no vault retention THEN the sweep role may not assume the vault role, by its policy and by the trust', async () => {
    await expectDecision(
      {
        principal: SWEEP_ROLE,
        action: 'sts:AssumeRole',
        resource: VAULT_ROLE,
        resourceAccount: VAULT_ACCOUNT,
        identityPolicies: inlinePoliciesOf(central, 'ebs-event-hub-copy-sweep'),
        resourcePolicy: trustOf(vault, 'ebs-event-hub-vault-copy'),
        context: documentedContext('iam-role-session', 'sts:AssumeRole', session(SWEEP_ROLE)),
      },
      'ImplicitlyDenied',
    );
  });

  it('GIVEN no vault retention THEN the vault role may not delete even its own tagged, expired copies', async () => {
    await expectDecision(request(VAULT_ROLE, vaultPolicies, 'ec2:DeleteSnapshot', SNAPSHOT, { 'ec2:Owner': VAULT_ACCOUNT, [PROVENANCE]: SNAP, [EXPIRY]: '2020-01-01T00:00:00Z' }), 'ImplicitlyDenied');
  });

  it('GIVEN keepMemberCopy true THEN a member role may not delete a copy that has no expiry tag', async () => {
    const policies = inlinePoliciesOf(member(MEMBER), 'ebs-event-hub-snapshot-copy');
    await expectDecision(request(MEMBER_ROLE, policies, 'ec2:DeleteSnapshot', SNAPSHOT, { [PROVENANCE]: SNAP }), 'ImplicitlyDenied');
    await expectDecision(request(MEMBER_ROLE, policies, 'ec2:ModifySnapshotAttribute', SNAPSHOT, { [PROVENANCE]: SNAP, 'ec2:Add/userId': VAULT_ACCOUNT }), 'Allowed');
  });

  it('GIVEN a governance lock of 30 days THEN the vault role locks for exactly 30', async () => {
    const own = { 'ec2:Owner': VAULT_ACCOUNT, [PROVENANCE]: SNAP };
    await expectDecision(request(VAULT_ROLE, vaultPolicies, 'ec2:LockSnapshot', SNAPSHOT, { ...own, 'ec2:SnapshotLockDuration': '30' }), 'Allowed');
    await expectDecision(request(VAULT_ROLE, vaultPolicies, 'ec2:LockSnapshot', SNAPSHOT, { ...own, 'ec2:SnapshotLockDuration': '29' }), 'ImplicitlyDenied');
    await expectDecision(request(VAULT_ROLE, vaultPolicies, 'ec2:LockSnapshot', SNAPSHOT, { ...own, 'ec2:SnapshotLockDuration': '31' }), 'ImplicitlyDenied');
  });
});

describe('the sweep with vault retention only (no snapshotCopy.retentionDays): it deletes vault copies, never member copies', () => {
  const { retentionDays: _none, ...copy } = VAULT_WITH_KMS_KEY_ID.snapshotCopy!;
  const { central, vault, member } = synthesized({ ...VAULT_WITH_KMS_KEY_ID, snapshotCopy: { ...copy, vault: { accountId: VAULT_ACCOUNT, lock: { mode: 'governance', days: 30 }, retentionDays: 60 } } });
  const sweepPolicies = inlinePoliciesOf(central, 'ebs-event-hub-copy-sweep');
  const assume = (role: string, account: string, trust: PolicyDocument): SimulationRequest => ({
    principal: SWEEP_ROLE,
    action: 'sts:AssumeRole',
    resource: role,
    resourceAccount: account,
    identityPolicies: sweepPolicies,
    resourcePolicy: trust,
    context: documentedContext('iam-role-session', 'sts:AssumeRole', { ...session(SWEEP_ROLE), 'aws:ResourceOrgID': 'o-a1b2c3d4e5' }),
  });

  it('GIVEN the synthesized sweep role THEN it may assume the vault role (its policy and the vault role\'s trust), and the vault role may delete its own tagged expired copies', async () => {
    await expectDecision(assume(VAULT_ROLE, VAULT_ACCOUNT, trustOf(vault, 'ebs-event-hub-vault-copy')), 'Allowed');
    await expectDecision(
      request(VAULT_ROLE, inlinePoliciesOf(vault, 'ebs-event-hub-vault-copy'), 'ec2:DeleteSnapshot', SNAPSHOT, { 'ec2:Owner': VAULT_ACCOUNT, [PROVENANCE]: SNAP, [EXPIRY]: '2020-01-01T00:00:00Z' }),
      'Allowed',
    );
  });

  it('GIVEN a member copy role THEN the sweep role may not assume it: its policy has no member statement, and the member role trusts the step role only', async () => {
    await expectDecision(assume(MEMBER_ROLE, MEMBER, trustOf(member(MEMBER), 'ebs-event-hub-snapshot-copy')), 'ImplicitlyDenied');
    expect(sweepPolicies['ebs-event-hub-copy-sweep']!.Statement.map((s) => s.Sid)).not.toContain('AssumeMemberCopyRole');
    expect(JSON.stringify(trustOf(member(MEMBER), 'ebs-event-hub-snapshot-copy'))).not.toContain('ebs-event-hub-copy-sweep');
  });
});
