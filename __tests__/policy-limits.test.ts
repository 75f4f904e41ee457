import { existsSync } from 'node:fs';
import { TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../stacks/app';
import { BUS_POLICY_MAX_CHARS, BusPolicyTooLargeError, centralBusPolicy } from '../stacks/central/event-bus';
import { findOversizedPolicies } from '../stacks/checks/policy-sizes';
import { policyDocument, renderPolicy, type PolicyDocument, type PolicyKind } from '../stacks/policy/policy';
import { assertPolicyFits, POLICY_LIMITS, PolicyTooLargeError, policySize, type PolicyLimitName } from '../stacks/policy/policy-limits';
import { iamPolicySize, ROLE_INLINE_POLICIES_MAX_CHARS, RolePolicyTooLargeError, RoleWithPolicies } from '../stacks/policy/role-with-policies';
import { manyMembers, rawConfig, testConfig } from './support/config';
import { fakeBundle } from './support/bundle';
import { runMain } from './support/run-main';

/** A one-statement policy of `kind` whose rendered JSON is exactly `size` characters (ASCII). */
function policyOfSize(kind: PolicyKind, size: number, padding = 'a'): PolicyDocument {
  const make = (n: number) =>
    kind === 'trust'
      ? policyDocument('trust', [{ Sid: 'T', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::111111111111:role/${padding.repeat(n)}` }, Action: 'sts:AssumeRole' }])
      : policyDocument(kind, [
          { Sid: 'P', Effect: 'Allow', ...(kind === 'resource' ? { Principal: { Service: 'events.amazonaws.com' } } : {}), Action: 's3:GetObject', Resource: `arn:aws:s3:::${padding.repeat(n)}` },
        ]);
  const base = renderPolicy(make(0)).length;
  const doc = make((size - base) / padding.length);
  expect(renderPolicy(doc).length).toBe(size);
  return doc;
}

function roleWith(policies: Record<string, PolicyDocument>, trust = policyOfSize('trust', 200)) {
  return () => {
    const stack = new TerraformStack(Testing.app(), 's');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    return new RoleWithPolicies(stack, 'role', { roleName: 'r', description: 'd', trustPolicy: trust, policies });
  };
}

describe('IAM role inline policies: 10,240 characters per role, all policies together', () => {
  it('GIVEN policies of exactly 10,240 characters together THEN the role is built', () => {
    expect(ROLE_INLINE_POLICIES_MAX_CHARS).toBe(10_240);
    const a = policyOfSize('identity', 4_000);
    const b = policyOfSize('identity', 10_240 - 4_000);
    expect(iamPolicySize(a) + iamPolicySize(b)).toBe(10_240);
    expect(roleWith({ a, b })).not.toThrow();
  });

  it('GIVEN 10,241 characters THEN RolePolicyTooLargeError names the role, the size and the limit', () => {
    const build = roleWith({ a: policyOfSize('identity', 4_000), b: policyOfSize('identity', 6_241) });
    expect(build).toThrowError(RolePolicyTooLargeError);
    expect(build).toThrowError('role r: its inline policies take 10241 characters; IAM allows 10240 per role');
  });

  it('GIVEN a trust policy of 2,048 characters THEN the role is built; of 2,049 THEN PolicyTooLargeError', () => {
    const policies = { a: policyOfSize('identity', 500) };
    expect(roleWith(policies, policyOfSize('trust', 2_048))).not.toThrow();
    expect(roleWith(policies, policyOfSize('trust', 2_049))).toThrowError(/^role r: the IAM role trust policy takes 2049 characters; AWS allows 2048/);
  });
});

describe('each AWS policy limit, at the boundary', () => {
  const cases: [PolicyLimitName, PolicyKind][] = [
    ['eventBusPolicy', 'resource'],
    ['sqsQueuePolicy', 'resource'],
    ['snsTopicPolicy', 'resource'],
    ['logResourcePolicy', 'resource'],
    ['kmsKeyPolicy', 'resource'],
    ['roleTrustPolicy', 'trust'],
    ['iamManagedPolicy', 'identity'],
  ];

  it.each(cases)('%s: exactly the limit passes, one more is refused, citing the source', (name, kind) => {
    const limit = POLICY_LIMITS[name];
    expect(() => assertPolicyFits(name, policyOfSize(kind, limit.max), 'subject')).not.toThrow();
    const over = () => assertPolicyFits(name, policyOfSize(kind, limit.max + 1), 'subject');
    expect(over).toThrowError(PolicyTooLargeError);
    expect(over).toThrowError(`subject: the ${limit.what} takes ${limit.max + 1} ${limit.unit}; AWS allows ${limit.max} (${limit.source})`);
  });

  it('counts bytes where AWS counts bytes: an SQS policy of 8,192 characters with one two-byte character is over', () => {
    const limit = POLICY_LIMITS.sqsQueuePolicy;
    const doc = policyOfSize('resource', limit.max);
    const withAccent = renderPolicy(doc).replace('a', 'é');
    expect(withAccent.length).toBe(limit.max);
    expect(policySize(withAccent, limit)).toBe(limit.max + 1);
    expect(() => assertPolicyFits('sqsQueuePolicy', withAccent, 'queue q')).toThrowError(PolicyTooLargeError);
  });

  it('uses the documented values', () => {
    expect(Object.fromEntries(Object.entries(POLICY_LIMITS).map(([k, v]) => [k, v.max]))).toEqual({
      roleInlinePolicies: 10_240,
      roleTrustPolicy: 2_048,
      iamManagedPolicy: 6_144,
      eventBusPolicy: 10_240,
      sqsQueuePolicy: 8_192,
      snsTopicPolicy: 30_720,
      logResourcePolicy: 5_120,
      kmsKeyPolicy: 32_768,
    });
  });
});

describe('central bus policy: 10,240 characters', () => {
  /** The account-listing bus policy for `n` accounts, its bus ARN padded so the policy is `size` characters. */
  function busPolicyArgs(n: number, size: number) {
    const memberAccountIds = manyMembers(n).map((m) => m.accountId);
    const bare = renderPolicy(centralBusPolicy({ busArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/', memberAccountIds })).length;
    return { busArn: `arn:aws:events:eu-west-1:111111111111:event-bus/${'b'.repeat(size - bare)}`, memberAccountIds };
  }

  it('GIVEN a policy of exactly 10,240 characters THEN it is accepted', () => {
    const args = busPolicyArgs(280, BUS_POLICY_MAX_CHARS);
    expect(renderPolicy(centralBusPolicy(args)).length).toBe(10_240);
  });

  it('GIVEN 10,241 characters THEN BusPolicyTooLargeError says to set organizationId', () => {
    const args = busPolicyArgs(280, BUS_POLICY_MAX_CHARS + 1);
    expect(() => centralBusPolicy(args)).toThrowError(BusPolicyTooLargeError);
    expect(() => centralBusPolicy(args)).toThrowError(/takes 10241 characters; EventBridge allows 10240\. Set organizationId/);
  });
});

describe('snapshot-copy function role without organizationId: one member role ARN per account', () => {
  const withoutOrg = (members: number) => {
    const { organizationId: _omit, ...raw } = rawConfig({ members: manyMembers(members), snapshotCopy: { destinationRegion: 'eu-central-1' } });
    return raw;
  };

  it('GIVEN 150 member accounts THEN the app builds', () => {
    expect(() => buildApp({ config: testConfig(withoutOrg(150)), outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle() })).not.toThrow();
  });

  it('GIVEN 200 member accounts THEN synth fails with one line naming organizationId, exit 1, nothing written', () => {
    const run = runMain(withoutOrg(200));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: role ebs-event-hub-copy-step: its inline policies take \d+ characters; IAM allows 10240 per role\. .*set organizationId/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(run.outdir)).toBe(false);
  });
});

describe('findOversizedPolicies (pure check over synthesized Terraform)', () => {
  const at = (size: number) => renderPolicy(policyOfSize('resource', size));

  it('GIVEN a queue policy at the limit THEN nothing; one over THEN the queue, its size and the limit', () => {
    expect(findOversizedPolicies({ resource: { aws_sqs_queue: { q: { policy: at(8_192) } } } })).toEqual([]);
    expect(findOversizedPolicies({ resource: { aws_sqs_queue: { q: { policy: at(8_193) } } } })).toEqual([
      { resource: 'aws_sqs_queue.q', limit: 'sqsQueuePolicy', size: 8_193, max: 8_192 },
    ]);
  });

  it('GIVEN two inline policies of one role over 10,240 together THEN the role is reported; split over two roles THEN not', () => {
    const policy = (role: string, size: number) => ({ role: `\${aws_iam_role.${role}.name}`, policy: renderPolicy(policyOfSize('identity', size)) });
    expect(findOversizedPolicies({ resource: { aws_iam_role_policy: { a: policy('r', 6_000), b: policy('r', 4_241) } } })).toEqual([
      { resource: 'aws_iam_role.r', limit: 'roleInlinePolicies', size: 10_241, max: 10_240 },
    ]);
    expect(findOversizedPolicies({ resource: { aws_iam_role_policy: { a: policy('r', 6_000), b: policy('s', 4_241) } } })).toEqual([]);
  });

  it('GIVEN a policy that is not literal JSON (a reference inside) THEN it is reported without a size', () => {
    expect(findOversizedPolicies({ resource: { aws_sns_topic_policy: { p: { policy: '{"Resource":"${aws_sns_topic.t.arn}"}' } } } })).toEqual([
      { resource: 'aws_sns_topic_policy.p', limit: 'snsTopicPolicy', max: 30_720 },
    ]);
  });
});
