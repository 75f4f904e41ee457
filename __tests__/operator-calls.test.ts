/**
 * `npm run verify` and `npm run copies` act under the deployment role (deployment.roleName): the
 * least-privilege deployment policy must allow every AWS call they make (OPERATOR_CALLS), and the
 * table must list every SDK command their code sends, so a new call cannot be forgotten.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH, loadOrgConfig, parseOrgConfig } from '../config/load';
import { deploymentRolePolicy, OPERATOR_CALLS } from '../stacks/policy/deployment-role-policy';
import type { PolicyDocument } from '../stacks/policy/policy';
import { rawConfig } from './support/config';
import { asDeploymentRole, expectDecision, type SimulationRequest } from './support/iam';

const ROOT = join(__dirname, '..');
/** Made with the operator's own credentials, not the deployment role (its trust admits them). */
const OWN_CREDENTIALS = new Set(['AssumeRoleCommand', 'GetCallerIdentityCommand']);

/** Every `new XCommand(` in the code of the two commands and what they share. */
function sentCommands(): Set<string> {
  const found = new Set<string>();
  for (const dir of ['cli/verify', 'cli/copies', 'cli/common']) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(join(ROOT, dir, file), 'utf8').matchAll(/new (\w+Command)\(/g)) found.add(m[1]!);
    }
  }
  for (const own of OWN_CREDENTIALS) found.delete(own);
  return found;
}

describe('OPERATOR_CALLS: what verify and copies call under the deployment role', () => {
  it('GIVEN the code of verify and copies THEN every SDK command it sends has a row, and every row is a command it sends', () => {
    expect([...new Set(OPERATOR_CALLS.map((c) => c.sdkCommand))].sort()).toEqual([...sentCommands()].sort());
  });

  it('GIVEN each row THEN its IAM action is the command\'s own name (service:Operation)', () => {
    for (const call of OPERATOR_CALLS) expect(call.action.split(':')[1], call.sdkCommand).toBe(call.sdkCommand.replace(/Command$/, ''));
  });
});

describe('the deployment policy allows them (simulated)', () => {
  const example = loadOrgConfig(EXAMPLE_CONFIG_PATH);
  const C = example.central.accountId;
  const R = example.central.region;
  const M = '222222222222';
  const central = deploymentRolePolicy(example, 'central');
  const member = deploymentRolePolicy(example, 'member');
  const as = asDeploymentRole;

  it('GIVEN the central policy THEN verify reads the bus and metrics, and copies lists, describes and starts copy executions; another state machine is denied', async () => {
    await expectDecision(as(C, central, 'events:DescribeEventBus', `arn:aws:events:${R}:${C}:event-bus/${example.central.busName}`), 'Allowed');
    expect(central.Statement.some((st) => [st.Action].flat().includes('cloudwatch:GetMetricData') && [st.Resource].flat().includes('*'))).toBe(true);
    const machine = `arn:aws:states:${R}:${C}:stateMachine:ebs-event-hub-snapshot-copy`;
    await expectDecision(as(C, central, 'states:ListExecutions', machine), 'Allowed');
    await expectDecision(as(C, central, 'states:ListExecutions', `arn:aws:states:${R}:${C}:stateMachine:ebs-event-hub-copy-sweep`), 'Allowed');
    await expectDecision(as(C, central, 'states:DescribeExecution', `arn:aws:states:${R}:${C}:execution:ebs-event-hub-snapshot-copy:222222222222-eu-west-1-snap-0123456789abcdef0-eu-central-1`), 'Allowed');
    await expectDecision(as(C, central, 'states:StartExecution', machine), 'Allowed');
    // Only the copy state machine is started again; never the sweep, never anything else.
    await expectDecision(as(C, central, 'states:StartExecution', `arn:aws:states:${R}:${C}:stateMachine:ebs-event-hub-copy-sweep`), 'ImplicitlyDenied');
    await expectDecision(as(C, central, 'states:StartExecution', `arn:aws:states:${R}:${C}:stateMachine:payments`), 'ImplicitlyDenied');
    await expectDecision(as(C, central, 'states:DescribeExecution', `arn:aws:states:${R}:${C}:execution:payments:x`), 'ImplicitlyDenied');
  });

  it('GIVEN the member policy THEN verify reads the forwarding rule, its DLQ and metrics; another queue is denied', async () => {
    await expectDecision(as(M, member, 'events:DescribeRule', `arn:aws:events:us-east-1:${M}:rule/ebs-event-hub-forward-to-central`), 'Allowed');
    await expectDecision(as(M, member, 'events:ListTargetsByRule', `arn:aws:events:us-east-1:${M}:rule/ebs-event-hub-forward-to-central`), 'Allowed');
    await expectDecision(as(M, member, 'sqs:GetQueueUrl', `arn:aws:sqs:us-east-1:${M}:ebs-event-hub-forward-dlq`), 'Allowed');
    await expectDecision(as(M, member, 'sqs:GetQueueAttributes', `arn:aws:sqs:us-east-1:${M}:ebs-event-hub-forward-dlq`), 'Allowed');
    expect(member.Statement.some((st) => [st.Action].flat().includes('cloudwatch:GetMetricData') && [st.Resource].flat().includes('*'))).toBe(true);
    await expectDecision(as(M, member, 'sqs:GetQueueAttributes', `arn:aws:sqs:us-east-1:${M}:payments`), 'ImplicitlyDenied');
  });

  it('GIVEN vault mode with snapshotCopy.kmsKeyId an alias THEN verify may read the policy of the key behind that alias only; without a vault it reads no key', async () => {
    const key = `arn:aws:kms:eu-central-1:${M}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    // The key's own policy as KMS creates it by default: it delegates to IAM in its account
    // (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
    const defaultKeyPolicy = { Version: '2012-10-17', Statement: [{ Sid: 'EnableIamPolicies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${M}:root` }, Action: 'kms:*', Resource: '*' }] } as unknown as PolicyDocument;
    const onKey = (policy: PolicyDocument, action: string, resource: string, context: SimulationRequest['context'] = {}) => ({ ...as(M, policy, action, resource, context), resourcePolicy: defaultKeyPolicy });
    const withVault = parseOrgConfig(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', kmsKeyId: 'alias/dr-copies', vault: { accountId: '555555555555' } } }));
    const vaultMember = deploymentRolePolicy(withVault, 'member');
    for (const action of ['kms:DescribeKey', 'kms:GetKeyPolicy']) {
      await expectDecision(onKey(vaultMember, action, key, { 'kms:ResourceAliases': ['alias/dr-copies'] }), 'Allowed');
      await expectDecision(onKey(vaultMember, action, key, { 'kms:ResourceAliases': ['alias/payments'] }), 'ImplicitlyDenied');
      await expectDecision(onKey(member, action, key, { 'kms:ResourceAliases': ['alias/ebs-dr'] }), 'ImplicitlyDenied');
    }
    const byArn = parseOrgConfig(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', kmsKeyId: key, vault: { accountId: '555555555555' } } }));
    await expectDecision(onKey(deploymentRolePolicy(byArn, 'member'), 'kms:GetKeyPolicy', key), 'Allowed');
    await expectDecision(onKey(deploymentRolePolicy(byArn, 'member'), 'kms:GetKeyPolicy', key.replace('1234abcd', 'ffffffff')), 'ImplicitlyDenied');
  });
});
