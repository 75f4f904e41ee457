/**
 * The copy ledger's and copy slots' permissions, evaluated with the IAM simulator on the policies the
 * central stack renders: each role may do on each table exactly what its function does, nothing else.
 * No request context: the statements condition nothing (Query on an index is authorized on the
 * index's ARN, resource type `index`: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html).
 */
import { describe, it } from 'vitest';
import { startFunctionPolicy } from '../../stacks/central/snapshot-copy-intake';
import { copyLedgerIndexArn, copyLedgerTableArn } from '../../stacks/central/snapshot-copy-ledger';
import { sweepFunctionPolicy } from '../../stacks/central/snapshot-copy-sweep';
import { copySlotsTableArn, stepFunctionPolicy } from '../../stacks/central/snapshot-copy-workflow';
import { COPY_START_FUNCTION_NAME, COPY_STEP_FUNCTION_NAME, COPY_SWEEP_FUNCTION_NAME, roleArn } from '../../stacks/names';
import type { PolicyDocument } from '../../stacks/policy/policy';
import { expectDecision, type Decision } from '../support/iam';

const CENTRAL = '111111111111';
const scope = { accountId: CENTRAL, region: 'eu-west-1' };
const roleProps = { ...scope, organizationId: 'o-a1b2c3d4e5', memberRoleName: 'ebs-event-hub-snapshot-copy', memberAccountIds: ['222222222222'] };
const STEP = { principal: roleArn(CENTRAL, COPY_STEP_FUNCTION_NAME), policy: stepFunctionPolicy(roleProps) };
const SWEEP = { principal: roleArn(CENTRAL, COPY_SWEEP_FUNCTION_NAME), policy: sweepFunctionPolicy({ ...roleProps, memberRetention: true, vault: { accountId: '999999999999', keepMemberCopy: true, retentionDays: 30 } }) };
const START = { principal: roleArn(CENTRAL, COPY_START_FUNCTION_NAME), policy: startFunctionPolicy(scope) };

const LEDGER = copyLedgerTableArn(scope);
const BY_SOURCE = copyLedgerIndexArn(scope, 'bySource');
const BY_KIND_EXPIRY = copyLedgerIndexArn(scope, 'byKindExpiry');
/** The index the version before this one had (per account × region); deleted from the table, and never granted. */
const OLD_BY_EXPIRY = `${LEDGER}/index/by-expiry`;
const SLOTS = copySlotsTableArn(scope);

const decide = (role: { principal: string; policy: PolicyDocument }, action: string, resource: string, expected: Decision) =>
  expectDecision({ principal: role.principal, action, resource, resourceAccount: CENTRAL, identityPolicies: { p: role.policy } }, expected);

describe('copy ledger permissions (IAM simulation)', () => {
  it('GIVEN the step role THEN it may record copies, ask which are recorded and find a source\'s copies; nothing else on the ledger', async () => {
    await decide(STEP, 'dynamodb:PutItem', LEDGER, 'Allowed');
    await decide(STEP, 'dynamodb:BatchGetItem', LEDGER, 'Allowed');
    await decide(STEP, 'dynamodb:Query', BY_SOURCE, 'Allowed');
    for (const action of ['dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:DeleteTable', 'dynamodb:UpdateContinuousBackups']) {
      await decide(STEP, action, LEDGER, 'ImplicitlyDenied');
    }
    await decide(STEP, 'dynamodb:Query', BY_KIND_EXPIRY, 'ImplicitlyDenied');
    await decide(STEP, 'dynamodb:Scan', BY_SOURCE, 'ImplicitlyDenied');
  });

  it('GIVEN the sweep role THEN it may read expired copies (the index by-kind-expiry only) and forget deleted ones; it cannot write, update, find by source, scan, or touch the copy slots', async () => {
    await decide(SWEEP, 'dynamodb:Query', BY_KIND_EXPIRY, 'Allowed');
    await decide(SWEEP, 'dynamodb:Query', OLD_BY_EXPIRY, 'ImplicitlyDenied');
    await decide(SWEEP, 'dynamodb:Scan', BY_KIND_EXPIRY, 'ImplicitlyDenied');
    await decide(SWEEP, 'dynamodb:DeleteItem', LEDGER, 'Allowed');
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:DeleteTable']) {
      await decide(SWEEP, action, LEDGER, 'ImplicitlyDenied');
    }
    await decide(SWEEP, 'dynamodb:Query', BY_SOURCE, 'ImplicitlyDenied');
    for (const action of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query']) await decide(SWEEP, action, SLOTS, 'ImplicitlyDenied');
  });

  it('GIVEN the step role THEN on the copy slots only UpdateItem, and none of its ledger rights carry over to the slots table', async () => {
    await decide(STEP, 'dynamodb:UpdateItem', SLOTS, 'Allowed');
    for (const action of ['dynamodb:PutItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:DeleteItem']) await decide(STEP, action, SLOTS, 'ImplicitlyDenied');
  });

  it('GIVEN the starter role THEN it has no right on the ledger', async () => {
    for (const [action, resource] of [['dynamodb:PutItem', LEDGER], ['dynamodb:DeleteItem', LEDGER], ['dynamodb:Query', BY_SOURCE], ['dynamodb:Query', BY_KIND_EXPIRY]] as const) {
      await decide(START, action, resource, 'ImplicitlyDenied');
    }
  });

  it('GIVEN vault mode THEN the step role may also mark a member copy deleted once vaulted (UpdateItem on the ledger) only with keepMemberCopy false, never delete items', async () => {
    const withVault = (keepMemberCopy: boolean, more: { lock?: { mode: 'governance'; days: number }; retentionDays?: number } = {}) =>
      ({ principal: STEP.principal, policy: stepFunctionPolicy({ ...roleProps, vault: { accountId: '999999999999', keepMemberCopy, ...more } }) });
    const lock = { mode: 'governance' as const, days: 30 };
    await decide(withVault(false), 'dynamodb:UpdateItem', LEDGER, 'Allowed');
    await decide(withVault(true), 'dynamodb:UpdateItem', LEDGER, 'ImplicitlyDenied');
    // VaultLock raises a vault copy's expiry to its lock's: only with both a lock and vault retention.
    await decide(withVault(true, { lock, retentionDays: 30 }), 'dynamodb:UpdateItem', LEDGER, 'Allowed');
    await decide(withVault(true, { lock }), 'dynamodb:UpdateItem', LEDGER, 'ImplicitlyDenied');
    await decide(withVault(true, { retentionDays: 30 }), 'dynamodb:UpdateItem', LEDGER, 'ImplicitlyDenied');
    for (const role of [withVault(false), withVault(true), withVault(true, { lock, retentionDays: 30 })]) {
      await decide(role, 'dynamodb:DeleteItem', LEDGER, 'ImplicitlyDenied');
      await decide(role, 'dynamodb:Query', BY_KIND_EXPIRY, 'ImplicitlyDenied');
      await decide(role, 'dynamodb:UpdateItem', LEDGER.replace(CENTRAL, '999999999999'), 'ImplicitlyDenied');
    }
  });

  it('GIVEN a table of the same name in another account or region THEN nothing is allowed there', async () => {
    await decide(STEP, 'dynamodb:PutItem', LEDGER.replace(CENTRAL, '999999999999'), 'ImplicitlyDenied');
    await decide(SWEEP, 'dynamodb:DeleteItem', LEDGER.replace('eu-west-1', 'us-east-1'), 'ImplicitlyDenied');
  });
});
