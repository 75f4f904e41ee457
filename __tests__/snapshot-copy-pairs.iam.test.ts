/**
 * Issue 12 items 1, 6 and 7, proven on the SYNTHESIZED Terraform, not on the functions that build it.
 *
 * For every member of the example org and of configs with every copy feature (regionMap chains,
 * the central account as a member, several region sets), every (account, source, destination) the
 * copy starter can produce is found the way AWS would produce it: a `createSnapshot` /
 * `createSnapshots` succeeded event of each region whose synthesized forwarding rule matches it
 * (the repo's event-pattern matcher on the synthesized pattern), that the synthesized central copy
 * rule also matches, handed to the real starter (`handleStart`) configured from the synthesized
 * starter environment. Each pair it starts is then simulated (`@cloud-copilot/iam-simulate`, only
 * documented context keys) against the synthesized role that copies in that account: the member
 * copy role, or the central step role when the central account is itself a member.
 */
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { describe, expect, it } from 'vitest';
import { loadOrgConfig, parseOrgConfig } from '../config/load';
import type { OrgConfig, OrgConfigInput } from '../config/schema';
import { loadStartConfig } from '../handlers/snapshot-copy/config';
import type { Log } from '../handlers/snapshot-copy/logger';
import { handleStart } from '../handlers/snapshot-copy/start';
import { buildApp } from '../stacks/app';
import { FORWARD_DLQ_ALARM_NAME } from '../stacks/member/forwarding';
import { COPY_START_FUNCTION_NAME, COPY_STEP_FUNCTION_NAME, COPY_SWEEP_FUNCTION_NAME, FORWARD_RULE_NAME, roleArn } from '../stacks/names';
import { documentedContext } from '../stacks/policy/context-keys';
import type { PolicyDocument } from '../stacks/policy/policy';
import { loadFixture, type AwsEvent, type FixtureName } from './fixtures/events';
import { alarmEvent } from './support/alarm-events';
import { ALL_FEATURES } from './support/all-features';
import { fakeBundle } from './support/bundle';
import { matchesPattern } from './support/event-pattern-matcher';
import { expectDecision, simulate, type SimulationRequest } from './support/iam';
import { inlinePoliciesOf, parsed, resourcesOf, synthStack, theResource, type StackJson } from './support/synth';

/** Region chains (a → b → c), a region mapped onto itself, the central account a member, retention, an organization. */
const CHAINS: OrgConfigInput = {
  organizationId: 'o-a1b2c3d4e5',
  central: { accountId: '111111111111', region: 'eu-west-1', busName: 'ebs-events-central' },
  members: [
    { accountId: '111111111111', regions: ['eu-west-1', 'us-west-2'] },
    { accountId: '222222222222', regions: ['eu-central-1', 'eu-west-1', 'eu-west-2'] },
    { accountId: '333333333333', regions: ['us-east-1', 'ap-south-1'] },
    { accountId: '444444444444', regions: ['us-west-2'] },
  ],
  snapshotCopy: {
    destinationRegion: 'eu-central-1',
    // eu-central-1 → eu-west-1 → eu-west-2 (→ eu-central-1, the default); us-east-1 → us-west-2 (not copied: itself)
    regionMap: { 'eu-central-1': 'eu-west-1', 'eu-west-1': 'eu-west-2', 'us-east-1': 'us-west-2', 'us-west-2': 'us-west-2' },
    retentionDays: 30,
  },
};

const CONFIGS: Record<string, () => OrgConfig> = {
  'example org': () => loadOrgConfig(join(__dirname, '..', 'config', 'example-org.json')),
  'all-features (golden)': () => parseOrgConfig(ALL_FEATURES, 'all-features'),
  'region chains, central member, retention': () => parseOrgConfig(CHAINS, 'chains'),
};

interface Synthesized {
  readonly config: OrgConfig;
  readonly central: StackJson;
  readonly members: ReadonlyMap<string, StackJson>;
}

function synthesize(config: OrgConfig): Synthesized {
  const built = buildApp({ config, outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle() });
  return {
    config,
    central: synthStack(built.central),
    members: new Map(built.members.map((m, i) => [config.members[i]!.accountId, synthStack(m)])),
  };
}

/** One of the AWS guide's samples, as sent by `account` in `region`. */
const eventIn = (fixture: FixtureName, account: string, region: string): AwsEvent => ({ ...loadFixture(fixture), account, region });
const CREATIONS: readonly FixtureName[] = ['ebs-snapshot-create-succeeded.region-colon-layout', 'ebs-multi-volume-snapshots-create-succeeded'];

const forwardRules = (stack: StackJson) => resourcesOf(stack, CloudwatchEventRule.tfResourceType).filter((r) => r.name === FORWARD_RULE_NAME);

const silentLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface Pair {
  readonly account: string;
  readonly sourceRegion: string;
  readonly destinationRegion: string;
}

/**
 * Every (account, source, destination) the starter starts an execution for: each creation event of
 * each member region whose synthesized forwarding rule and central copy rule both match it, handed to
 * the real starter configured from the synthesized environment.
 */
async function pairsTheStarterProduces(s: Synthesized): Promise<Pair[]> {
  const startFunction = theResource(s.central, 'aws_lambda_function', (f) => f.function_name === COPY_START_FUNCTION_NAME);
  const env = (startFunction.environment as { variables: Record<string, string> }).variables;
  const config = loadStartConfig(env);
  const copyRule = parsed(theResource(s.central, CloudwatchEventRule.tfResourceType, (r) => r.name === 'ebs-event-hub-snapshot-copy').event_pattern);
  const started: Pair[] = [];
  const sfn = {
    send: async (command: { input: { input?: string } }) => {
      const input = JSON.parse(command.input.input!) as Pair;
      started.push({ account: input.account, sourceRegion: input.sourceRegion, destinationRegion: input.destinationRegion });
      return { executionArn: 'arn:x', startDate: new Date() };
    },
  };
  for (const [account, stack] of s.members) {
    for (const rule of forwardRules(stack)) {
      for (const fixture of CREATIONS) {
        const event = eventIn(fixture, account, String(rule.region));
        if (!matchesPattern(parsed(rule.event_pattern), event) || !matchesPattern(copyRule, event)) continue;
        const record = { messageId: `${account}-${String(rule.region)}`, body: JSON.stringify(event), eventSource: 'aws:sqs', eventSourceARN: config.copyQueueArn, attributes: {} };
        const answer = await handleStart({ Records: [record] }, { config, sfn: sfn as never, logger: silentLog });
        expect(answer.batchItemFailures).toEqual([]);
      }
    }
  }
  const unique = new Map(started.map((p) => [`${p.account} ${p.sourceRegion} ${p.destinationRegion}`, p]));
  return [...unique.values()];
}

/** The role that copies in `account`, with its synthesized inline policies. */
function copierOf(s: Synthesized, account: string): { principal: string; policies: Record<string, PolicyDocument> } {
  if (account === s.config.central.accountId) {
    return { principal: roleArn(account, COPY_STEP_FUNCTION_NAME), policies: inlinePoliciesOf(s.central, COPY_STEP_FUNCTION_NAME) };
  }
  const stack = s.members.get(account)!;
  const roleName = s.config.snapshotCopy!.memberRoleName;
  return { principal: roleArn(account, roleName), policies: inlinePoliciesOf(stack, roleName) };
}

/** The key's own policy delegates to IAM in its account (as a default key policy does): the role policy decides. */
const delegatingKeyPolicy = (account: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AccountDelegatesToIam',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      Resource: '*',
    },
  ],
});

const SNAP = 'snap-0123456789abcdef0';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const DEFAULT_KEY_ID = '0000abcd-12ab-34cd-56ef-1234567890ab';
/**
 * The KMS actions EBS performs with the caller's permissions for an encrypted copy:
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html#ebs-encryption-permissions
 */
const EBS_KMS_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:CreateGrant'];

function requests(s: Synthesized, pair: Pair) {
  const { principal, policies } = copierOf(s, pair.account);
  const as = (action: string, resource: string, context: Record<string, string | readonly string[]> = {}, resourcePolicy?: PolicyDocument): SimulationRequest => ({
    principal,
    action,
    resource,
    resourceAccount: pair.account,
    identityPolicies: policies,
    ...(resourcePolicy ? { resourcePolicy } : {}),
    context: documentedContext('iam-role-session', action, { 'aws:PrincipalArn': principal, ...context }),
  });
  const kms = (action: string, region: string, via: string, extra: Record<string, string | readonly string[]> = {}, keyId = KEY_ID) =>
    as(action, `arn:aws:kms:${region}:${pair.account}:key/${keyId}`, { 'kms:ViaService': `ec2.${via}.amazonaws.com`, ...(action === 'kms:CreateGrant' ? { 'kms:GrantIsForAWSResource': 'true' } : {}), ...extra }, delegatingKeyPolicy(pair.account));
  return { as, kms };
}

describe.each(Object.entries(CONFIGS))('%s, synthesized', (_name, load) => {
  const s = synthesize(load());
  const copy = s.config.snapshotCopy!;

  it('GIVEN each member\'s forwarding rules WHEN an EC2 creation happens in a region it does not list THEN no rule forwards it; copy results and the forward-DLQ alarm still are', () => {
    let destinationOnly = 0;
    for (const member of s.config.members) {
      for (const rule of forwardRules(s.members.get(member.accountId)!)) {
        const region = String(rule.region);
        const pattern = parsed(rule.event_pattern);
        const listed = (member.regions as readonly string[]).includes(region);
        for (const fixture of CREATIONS) expect(matchesPattern(pattern, eventIn(fixture, member.accountId, region)), `${member.accountId} ${region} ${fixture}`).toBe(listed);
        expect(matchesPattern(pattern, eventIn('ebs-snapshot-copy-failed.region-colon-layout', member.accountId, region))).toBe(true);
        expect(matchesPattern(pattern, eventIn('ebs-snapshot-copy-succeeded.region-colon-layout', member.accountId, region))).toBe(true);
        expect(matchesPattern(pattern, alarmEvent({ alarmName: FORWARD_DLQ_ALARM_NAME, account: member.accountId, region }))).toBe(true);
        expect(matchesPattern(pattern, alarmEvent({ alarmName: FORWARD_DLQ_ALARM_NAME, account: member.accountId, region, state: 'OK', previousState: 'ALARM' }))).toBe(true);
        if (!listed) destinationOnly += 1;
      }
    }
    expect(destinationOnly, 'the config has members whose copies go to a region they do not list').toBeGreaterThan(0);
  });

  it('GIVEN every pair the starter can produce WHEN the copying role copies, tags on creation and lets EBS use the keys THEN IAM allows each call', async () => {
    const pairs = await pairsTheStarterProduces(s);
    expect(pairs.length).toBeGreaterThan(0);
    for (const pair of pairs) {
      const { as, kms } = requests(s, pair);
      // CopySnapshot is authorized on the source snapshot and on the copy it creates:
      // https://aws.amazon.com/blogs/storage/enhancing-resource-level-permissions-for-copying-amazon-ebs-snapshots/
      for (const region of [pair.sourceRegion, pair.destinationRegion]) {
        await expectDecision(as('ec2:CopySnapshot', `arn:aws:ec2:${region}::snapshot/${SNAP}`, { 'ec2:Region': pair.destinationRegion }), 'Allowed');
      }
      await expectDecision(as('ec2:CreateTags', `arn:aws:ec2:${pair.destinationRegion}::snapshot/${SNAP}`, { 'ec2:CreateAction': 'CopySnapshot', 'ec2:Region': pair.destinationRegion }), 'Allowed');
      // The source key: which region's EC2 endpoint EBS calls KMS through is not documented: both.
      for (const via of [pair.sourceRegion, pair.destinationRegion]) {
        for (const action of EBS_KMS_ACTIONS) await expectDecision(kms(action, pair.sourceRegion, via), 'Allowed');
      }
      // The destination key: the kmsKeyId alias, or any key there (the default EBS key may be a CMK).
      const aliases: Record<string, readonly string[]> = copy.kmsKeyId ? { 'kms:ResourceAliases': [copy.kmsKeyId] } : {};
      for (const action of EBS_KMS_ACTIONS) await expectDecision(kms(action, pair.destinationRegion, pair.destinationRegion, aliases), 'Allowed');
      // The destination region's default EBS key, whatever it is, may be described through EC2 there.
      await expectDecision(kms('kms:DescribeKey', pair.destinationRegion, pair.destinationRegion, { 'kms:ResourceAliases': ['alias/aws/ebs'] }, DEFAULT_KEY_ID), 'Allowed');
      // And what makes it so: a member copies only from the regions it lists, never onto the same region.
      const member = s.config.members.find((m) => m.accountId === pair.account)!;
      expect(member.regions as readonly string[], `${pair.account} copies only from regions it lists`).toContain(pair.sourceRegion);
      expect(pair.destinationRegion).not.toBe(pair.sourceRegion);
    }
  });

  it('GIVEN the same pairs WHEN a key is used directly, or through EC2 of a region the pair does not involve THEN IAM denies it', async () => {
    for (const pair of await pairsTheStarterProduces(s)) {
      const { kms } = requests(s, pair);
      const elsewhere = 'ap-northeast-3'; // in no config here
      await expectDecision(kms('kms:Decrypt', pair.sourceRegion, elsewhere), 'ImplicitlyDenied');
      await expectDecision(kms('kms:CreateGrant', pair.sourceRegion, pair.destinationRegion, { 'kms:GrantIsForAWSResource': 'false' }), 'ImplicitlyDenied');
      const alsoASource = (s.config.members.find((m) => m.accountId === pair.account)!.regions as readonly string[]).includes(pair.destinationRegion);
      if (copy.kmsKeyId && !alsoASource) {
        // With kmsKeyId, the other destination keys may only be described, never used (in a region
        // that is also one of the account's sources, any of its keys may be a source snapshot's key).
        await expectDecision(kms('kms:GenerateDataKeyWithoutPlaintext', pair.destinationRegion, pair.destinationRegion, { 'kms:ResourceAliases': ['alias/other'] }), 'ImplicitlyDenied');
      }
    }
  });

  it('GIVEN each synthesized member copy role WHEN central roles and others assume it THEN only the step role (and with retention the sweep role) is allowed', async () => {
    const central = s.config.central.accountId;
    const roleName = copy.memberRoleName;
    const org = s.config.organizationId;
    const stepPolicies = inlinePoliciesOf(s.central, COPY_STEP_FUNCTION_NAME);
    // Someone with every sts:AssumeRole right in their own account: only the trust policy stops them.
    const anyRole: PolicyDocument = { Version: '2012-10-17', Statement: [{ Sid: 'AnyRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] };
    let checked = 0;
    for (const [account, stack] of s.members) {
      if (account === central) continue;
      const role = resourcesOf(stack, IamRole.tfResourceType).find((r) => r.name === roleName);
      if (!role) {
        // Only a member none of whose regions is copied has no copy role (444444444444 in CHAINS: us-west-2 onto itself).
        expect(s.config.members.find((m) => m.accountId === account)!.regions.every((r) => (copy.regionMap?.[r] ?? copy.destinationRegion) === r)).toBe(true);
        continue;
      }
      const assume = (principal: string, identityPolicies: Record<string, PolicyDocument>) =>
        simulate({
          principal,
          action: 'sts:AssumeRole',
          resource: roleArn(account, roleName),
          resourceAccount: account,
          identityPolicies,
          resourcePolicy: parsed<PolicyDocument>(role.assume_role_policy),
          // Every account here is in the organization (aws:ResourceOrgID is sent when the role's account is in one).
          context: documentedContext('iam-role-session', 'sts:AssumeRole', { 'aws:PrincipalArn': principal, ...(org ? { 'aws:ResourceOrgID': org } : {}) }),
        });
      expect(await assume(roleArn(central, COPY_STEP_FUNCTION_NAME), stepPolicies)).toBe('Allowed');
      if (copy.retentionDays !== undefined) expect(await assume(roleArn(central, COPY_SWEEP_FUNCTION_NAME), inlinePoliciesOf(s.central, COPY_SWEEP_FUNCTION_NAME))).toBe('Allowed');
      expect(await assume(roleArn(central, COPY_START_FUNCTION_NAME), { p: anyRole })).toBe('ImplicitlyDenied');
      expect(await assume(roleArn(central, 'AdminRole'), { p: anyRole })).toBe('ImplicitlyDenied');
      expect(await assume(roleArn('999999999999', COPY_STEP_FUNCTION_NAME), { p: anyRole })).toBe('ImplicitlyDenied');
      checked += 1;
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('the example org (issue 12 item 1)', () => {
  it('GIVEN member 333333333333 (eu-west-1 only; its copies go to eu-central-1) WHEN it creates a tagged snapshot in eu-central-1 THEN nothing starts; the pairs are exactly the listed regions', async () => {
    const s = synthesize(CONFIGS['example org']!());
    const pairs = (await pairsTheStarterProduces(s)).map((p) => `${p.account} ${p.sourceRegion}->${p.destinationRegion}`).sort();
    expect(pairs).toEqual([
      '222222222222 eu-central-1->eu-west-1',
      '222222222222 eu-west-1->eu-central-1',
      '333333333333 eu-west-1->eu-central-1',
      '444444444444 eu-west-1->eu-central-1',
      '444444444444 us-east-1->eu-central-1',
    ]);
  });
});
