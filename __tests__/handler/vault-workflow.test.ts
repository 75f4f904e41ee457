/**
 * Vault mode, offline: the definition the central stack SYNTHESIZES for the vault configs, run by the
 * local Step Functions (./local-workflow.ts) with the handler's `step` entry as every task, told
 * what the synthesized step function's environment tells it, through the real SDK against the
 * loopback EC2 stand-in (scripts/support/ec2-standin.ts: sharing, cross-account copies, snapshot
 * lock and locked deletes as the EC2 API reference states them). Time is compressed; every
 * Retry/Catch/Choice decision is the synthesized definition's.
 */
import { describe, expect, it } from 'vitest';
import { MEMBER_COPY_TAG, EXPIRES_AT_TAG, PROVENANCE_TAGS, executionName, type CopyInput } from '../../handlers/snapshot-copy/decide';
import { slotKey } from '../../handlers/snapshot-copy/slots';
import type { StandinSnapshot } from '../../scripts/support/ec2-standin';
import { STATES } from '../../stacks/central/copy-workflow';
import { parseOrgConfig } from '../../config/load';
import type { OrgConfigInput } from '../../config/schema';
import { parsed } from '../support/synth';
import { VAULT_ACCOUNT, VAULT_ALL_FEATURES, VAULT_WITH_KMS_KEY_ID } from '../support/vault-configs';
import { envOf, fnNamed, machineNamed, synthAll } from '../snapshot-copy/support';
import { LocalWorkflow, ec2StandinForTests, SLOTS_TABLE } from './local-workflow';
import { recordingLogger } from './support';

const standin = ec2StandinForTests({ copyDurationMs: 60 });

const MEMBER = '222222222222';
const SOURCE = 'eu-west-1';
const DEST = 'eu-central-1';
const CENTRAL_STEP = 'arn:aws:lambda:eu-west-1:111111111111:function:ebs-event-hub-copy-step';
const MEMBER_KEY = 'alias/ebs-event-hub-dr';
const VAULT_KEY = 'alias/ebs-event-hub-vault';

/** The synthesized definition and step environment of a vault config (once per config). */
const synthesized = new Map<OrgConfigInput, { json: Record<string, unknown>; env: Record<string, string> }>();
function synthOf(config: OrgConfigInput) {
  if (!synthesized.has(config)) {
    const { central } = synthAll(config);
    synthesized.set(config, { json: parsed(machineNamed(central, 'ebs-event-hub-snapshot-copy').definition), env: envOf(fnNamed(central, 'ebs-event-hub-copy-step')) });
  }
  return synthesized.get(config)!;
}

let counter = 0;
const snapId = () => `snap-0${(++counter).toString(16).padStart(16, 'b')}`;

function setup(config: OrgConfigInput = VAULT_ALL_FEATURES, options: { beforeTask?: ConstructorParameters<typeof LocalWorkflow>[0]['beforeTask'] } = {}) {
  const { json, env } = synthOf(config);
  const logger = recordingLogger();
  const workflow = new LocalWorkflow({ logger, env: { ...env, AWS_REGION: 'us-east-1' }, definition: { json, stepFunctionArn: CENTRAL_STEP }, ...options });
  standin().setReportedClock(workflow.now);
  return { workflow, logger };
}

/** A completed source snapshot of `account` (tagged for the configs' copyTag), whose copies under `key` the vault may read. */
function addSource(account = MEMBER, key = MEMBER_KEY): CopyInput {
  const snapshotId = snapId();
  const s: StandinSnapshot = { snapshotId, region: SOURCE, ownerId: account, state: 'completed', tags: [{ key: 'dr-copy', value: 'true' }, { key: 'Name', value: 'db' }] };
  standin().addSnapshot(s);
  standin().allowKeyUse(account, key, VAULT_ACCOUNT);
  return { account, sourceRegion: SOURCE, snapshotId, destinationRegion: DEST };
}

const run = async (workflow: LocalWorkflow, input: CopyInput, name = executionName(input)) => {
  const execution = workflow.start(name, JSON.stringify(input));
  await execution.result;
  return execution;
};

const byOwner = (owner: string, input: CopyInput) =>
  standin()
    .snapshots()
    .filter((s) => s.ownerId === owner && s.region === DEST && s.tags.some((t) => t.key === PROVENANCE_TAGS.sourceSnapshotId && t.value === input.snapshotId));
const calls = (action: string, account?: string) => standin().calls(action).filter((r) => account === undefined || r.account === account);
const slotHolders = async (workflow: LocalWorkflow, key: string) => {
  const item = (await workflow.dynamodb.client.send(new (await import('@aws-sdk/client-dynamodb')).GetItemCommand({ TableName: SLOTS_TABLE, Key: { slot: { S: key } } }))) as { Item?: { holders?: { M?: Record<string, unknown> } } };
  return Object.keys(item.Item?.holders?.M ?? {});
};

describe('vault mode, the synthesized definition offline', () => {
  it('GIVEN vault mode without kmsKeyId WHEN a snapshot completes THEN the member copy is made under the member copy key, shared, copied into the vault under its key, locked, unshared, and only then deleted; the ledger records both', async () => {
    const input = addSource();
    const { workflow } = setup();
    const execution = await run(workflow, input);

    expect(execution.status, `${execution.error?.name}: ${execution.error?.message} ${String(execution.error?.cause?.message)}`).toBe('SUCCEEDED');
    expect(workflow.path(execution.name)).toEqual([
      STATES.prepare, STATES.inspect, STATES.sourceChoice, STATES.find, STATES.foundChoice, STATES.admit, STATES.admitChoice, STATES.copy, STATES.copyChoice, STATES.waitForCopy, STATES.poll, STATES.pollChoice, STATES.release,
      STATES.vaultShare, STATES.vaultShareChoice, STATES.vaultFind, STATES.vaultFoundChoice, STATES.vaultAdmit, STATES.vaultAdmitChoice, STATES.vaultCopy, STATES.vaultCopyChoice, STATES.waitForVaultCopy, STATES.vaultPoll, STATES.vaultPollChoice,
      STATES.vaultRelease, STATES.vaultLock, STATES.vaultLockChoice, STATES.vaultUnshare, STATES.vaultUnshareChoice, STATES.deleteMember, STATES.deleteMemberChoice, STATES.copied,
    ]);
    // Item 1: a snapshot under the default aws/ebs key cannot be shared, so the member copy is made under alias/ebs-event-hub-dr.
    const [memberCopyCall] = calls('CopySnapshot', MEMBER);
    expect(memberCopyCall!.params).toMatchObject({ Encrypted: 'true', KmsKeyId: MEMBER_KEY, SourceSnapshotId: input.snapshotId });
    const memberCopyId = (execution.output as { copySnapshotId: string }).copySnapshotId;
    // The vault copy: made by the vault account from the shared member copy, under the vault key, tagged with provenance, locked.
    const [vaultCopy, ...more] = byOwner(VAULT_ACCOUNT, input);
    expect(more).toEqual([]);
    expect(vaultCopy).toMatchObject({ kmsKeyId: VAULT_KEY, encrypted: true, state: 'completed', copiedFrom: { region: DEST, snapshotId: memberCopyId } });
    expect(Object.fromEntries(vaultCopy!.tags.map((t) => [t.key, t.value]))).toMatchObject({
      [PROVENANCE_TAGS.sourceSnapshotId]: input.snapshotId,
      [PROVENANCE_TAGS.sourceRegion]: SOURCE,
      [PROVENANCE_TAGS.sourceAccount]: MEMBER,
      [MEMBER_COPY_TAG]: memberCopyId,
      Name: 'db',
    });
    const expiry = Date.parse(vaultCopy!.tags.find((t) => t.key === EXPIRES_AT_TAG)!.value);
    expect(Math.round((expiry - workflow.now().getTime()) / 86_400_000)).toBe(400);
    expect(calls('LockSnapshot', VAULT_ACCOUNT).map((r) => r.params)).toEqual([expect.objectContaining({ SnapshotId: vaultCopy!.snapshotId, LockMode: 'compliance', LockDuration: '365', CoolOffPeriod: '24' })]);
    expect(calls('LockSnapshot')[0]!.params['ExpirationDate']).toBeUndefined();
    expect(vaultCopy!.lock).toMatchObject({ mode: 'compliance', durationDays: 365, coolOffHours: 24 });
    // Shared with the vault only, then unshared; the member copy deleted only after the lock, by the member.
    const order = standin().requests.filter((r) => ['ModifySnapshotAttribute', 'LockSnapshot', 'DeleteSnapshot'].includes(r.action) || (r.action === 'CopySnapshot' && r.account === VAULT_ACCOUNT));
    expect(order.map((r) => `${r.action}${r.params['OperationType'] ? `:${r.params['OperationType']}` : ''}@${r.account}`)).toEqual([
      `ModifySnapshotAttribute:add@${MEMBER}`, `CopySnapshot@${VAULT_ACCOUNT}`, `LockSnapshot@${VAULT_ACCOUNT}`, `ModifySnapshotAttribute:remove@${MEMBER}`, `DeleteSnapshot@${MEMBER}`,
    ]);
    expect(calls('ModifySnapshotAttribute')[0]!.params).toMatchObject({ SnapshotId: memberCopyId, Attribute: 'createVolumePermission', 'UserId.1': VAULT_ACCOUNT });
    expect(byOwner(MEMBER, input)).toEqual([]);
    // The ledger: the vault copy under the vault's partition, with its expiry; the member copy marked.
    const [vaultEntry] = await workflow.ledger.entries(VAULT_ACCOUNT, DEST, [vaultCopy!.snapshotId]);
    expect(vaultEntry).toMatchObject({ kind: 'vault-copy', copyAccount: VAULT_ACCOUNT, account: MEMBER, sourceSnapshotId: input.snapshotId, sourceRegion: SOURCE, destinationRegion: DEST, memberCopySnapshotId: memberCopyId, recordedBy: 'copy' });
    expect(Date.parse(vaultEntry!.expiresAt!)).toBe(expiry);
    const [memberEntry] = await workflow.ledger.entries(MEMBER, DEST, [memberCopyId]);
    expect(memberEntry).toMatchObject({ kind: 'member-copy', copyAccount: MEMBER, vaultCopySnapshotId: vaultCopy!.snapshotId, deletedAt: expect.any(String) });
    expect(await slotHolders(workflow, slotKey(VAULT_ACCOUNT, DEST))).toEqual([]);
    expect(await slotHolders(workflow, slotKey(MEMBER, DEST))).toEqual([]);
  });

  it('GIVEN a snapshot already vaulted (its member copy deleted) WHEN it runs again (a retry) THEN nothing is copied again: the vault steps find the vault copy, its lock, and the member copy gone', async () => {
    const input = addSource();
    const { workflow } = setup();
    expect((await run(workflow, input)).status).toBe('SUCCEEDED');
    const copiesBefore = calls('CopySnapshot').length;
    const locksBefore = calls('LockSnapshot').length;

    const retry = await run(workflow, input, `${executionName(input)}-r1`);
    expect(retry.status, String(retry.error?.cause?.message)).toBe('SUCCEEDED');
    expect(workflow.path(retry.name)).toEqual([
      STATES.prepare, STATES.inspect, STATES.sourceChoice, STATES.find, STATES.foundChoice, STATES.vaultFind, STATES.vaultFoundChoice, STATES.vaultLock, STATES.vaultLockChoice,
      STATES.vaultUnshare, STATES.vaultUnshareChoice, STATES.deleteMember, STATES.deleteMemberChoice, STATES.copied,
    ]);
    expect(calls('CopySnapshot')).toHaveLength(copiesBefore);
    expect(calls('LockSnapshot')).toHaveLength(locksBefore);
    expect(byOwner(VAULT_ACCOUNT, input)).toHaveLength(1);
  });

  it('GIVEN EC2 makes the vault copy but the answer is lost (500) THEN VaultConfirmCopy finds and records it: one vault copy, never a second', async () => {
    const input = addSource();
    const { workflow } = setup(VAULT_ALL_FEATURES, { beforeTask: (state) => state === STATES.vaultCopy && standin().ambiguousAfterCopy('500') });
    const execution = await run(workflow, input);

    expect(execution.status, `${execution.error?.name}: ${execution.error?.message} ${String(execution.error?.cause?.message)}`).toBe('SUCCEEDED');
    expect(workflow.path(execution.name)).toContain(STATES.vaultConfirm);
    expect(calls('CopySnapshot', VAULT_ACCOUNT)).toHaveLength(1);
    const copies = byOwner(VAULT_ACCOUNT, input);
    expect(copies).toHaveLength(1);
    const [entry] = await workflow.ledger.entries(VAULT_ACCOUNT, DEST, [copies[0]!.snapshotId]);
    expect(entry).toMatchObject({ kind: 'vault-copy', recordedBy: 'confirm' });
    expect(copies[0]!.lock).toBeDefined();
  });

  it('GIVEN the member copy is shared with the vault already WHEN VaultShare runs THEN adding it again is no error and nothing else changes', async () => {
    const input = addSource(MEMBER, 'alias/ebs-dr');
    const { workflow } = setup(VAULT_WITH_KMS_KEY_ID, {
      beforeTask: (state, event) => {
        if (state === STATES.vaultShare) standin().share(event.data.copySnapshotId!, VAULT_ACCOUNT);
      },
    });
    const execution = await run(workflow, input);

    expect(execution.status, `${execution.error?.name}: ${execution.error?.message} ${String(execution.error?.cause?.message)}`).toBe('SUCCEEDED');
    expect(calls('ModifySnapshotAttribute').map((r) => r.params['OperationType'])).toEqual(['add', 'remove']);
    // kmsKeyId set: the member copy under it; keepMemberCopy true: kept, and no longer shared.
    const [memberCopy] = byOwner(MEMBER, input);
    expect(memberCopy).toMatchObject({ kmsKeyId: 'alias/ebs-dr' });
    expect([...(memberCopy!.sharedWith ?? [])]).toEqual([]);
    expect(calls('DeleteSnapshot')).toEqual([]);
    expect(byOwner(VAULT_ACCOUNT, input)[0]!.lock).toMatchObject({ mode: 'governance', durationDays: 30 });
  });

  it.each([
    ['the same lock (a redelivered VaultLock)', { mode: 'governance' as const, durationDays: 30 }, 0, 30],
    ['a longer lock', { mode: 'governance' as const, durationDays: 90 }, 0, 90],
    ['a stronger, longer lock (compliance)', { mode: 'compliance' as const, durationDays: 60 }, 0, 60],
    ['a shorter lock', { mode: 'governance' as const, durationDays: 10 }, 1, 30],
  ])('GIVEN the vault copy carries %s WHEN VaultLock runs THEN it succeeds, never shortening a lock', async (_what, lock, lockCalls, days) => {
    const input = addSource(MEMBER, 'alias/ebs-dr');
    const { workflow } = setup(VAULT_WITH_KMS_KEY_ID, {
      beforeTask: (state, event) => {
        const now = Date.now();
        if (state === STATES.vaultLock) standin().setLock(event.data.vault!.copySnapshotId!, { ...lock, createdOn: now, durationStart: now });
      },
    });
    const execution = await run(workflow, input);

    expect(execution.status, `${execution.error?.name}: ${execution.error?.message} ${String(execution.error?.cause?.message)}`).toBe('SUCCEEDED');
    expect(calls('LockSnapshot')).toHaveLength(lockCalls);
    expect(byOwner(VAULT_ACCOUNT, input)[0]!.lock).toMatchObject({ durationDays: days });
  });

  it('GIVEN the member copy is deleted before it is shared THEN the execution fails with MemberCopyGone, copies nothing into the vault, holds no vault slot', async () => {
    const input = addSource();
    const { workflow, logger } = setup(VAULT_ALL_FEATURES, {
      beforeTask: (state, event) => {
        if (state === STATES.vaultShare) standin().deleteSnapshot(event.data.copySnapshotId!);
      },
    });
    const execution = await run(workflow, input);

    expect(execution.status).toBe('FAILED');
    expect(execution.error!.cause!.name).toBe('MemberCopyGone');
    expect(execution.error!.cause!.message).toMatch(/no longer exists .*npm run copies -- retry/);
    expect(workflow.path(execution.name).slice(-3)).toEqual([STATES.vaultShare, STATES.vaultReleaseFailed, STATES.failed]);
    expect(calls('CopySnapshot', VAULT_ACCOUNT)).toEqual([]);
    expect(await slotHolders(workflow, slotKey(VAULT_ACCOUNT, DEST))).toEqual([]);
    expect(logger.lines.find((l) => l.attributes['decision'] === 'failed')?.attributes['step']).toBe('vault-share');
  });

  it('GIVEN the vault role may not lock (keepMemberCopy false) THEN the execution fails with VaultPermissionDenied and the member copy is NOT deleted', async () => {
    const input = addSource();
    standin().denyAction(VAULT_ACCOUNT, 'LockSnapshot');
    const { workflow } = setup();
    const execution = await run(workflow, input);

    expect(execution.status).toBe('FAILED');
    expect(execution.error!.cause!.name).toBe('VaultPermissionDenied');
    expect(execution.error!.cause!.message).toMatch(/vault-lock: LockSnapshot/);
    expect(calls('DeleteSnapshot')).toEqual([]);
    expect(byOwner(MEMBER, input)).toHaveLength(1);
  });

  it('GIVEN the member account may not share yet (its stack comes in a later wave) THEN VaultShare waits for it, and the vault copy is made once it may', async () => {
    const input = addSource();
    const allow = standin().denyAction(MEMBER, 'ModifySnapshotAttribute');
    let refused = 0;
    const { workflow } = setup(VAULT_ALL_FEATURES, {
      beforeTask: (state) => {
        if (state === STATES.vaultShare && ++refused === 3) allow();
      },
    });
    const execution = await run(workflow, input);

    expect(execution.status, `${execution.error?.name}: ${execution.error?.message} ${String(execution.error?.cause?.message)}`).toBe('SUCCEEDED');
    expect(workflow.path(execution.name).filter((s) => s === STATES.countShareWait)).toHaveLength(2);
    expect(byOwner(VAULT_ACCOUNT, input)).toHaveLength(1);
  });

  it("GIVEN 30 snapshots of 30 accounts reaching the vault at once THEN the vault's 20 concurrent copies are the bottleneck: never more than 20 pending in the vault, waits, every snapshot vaulted once, every slot released", async () => {
    const inputs = Array.from({ length: 30 }, (_, i) => addSource(String(400_000_000_000 + i)));
    // Vault copies take longer than the member copies: the vault's quota, not the members', decides.
    standin().setCopyDuration(VAULT_ACCOUNT, 400);
    const { workflow } = setup();
    const executions = inputs.map((input) => workflow.start(executionName(input), JSON.stringify(input)));
    await workflow.settle();

    for (const e of executions) expect(e.status, String(e.error?.cause?.message)).toBe('SUCCEEDED');
    for (const input of inputs) expect(byOwner(VAULT_ACCOUNT, input)).toHaveLength(1);
    expect(standin().peakPendingCopies(VAULT_ACCOUNT, DEST)).toBeLessThanOrEqual(20);
    expect(standin().peakPendingCopies(VAULT_ACCOUNT, DEST)).toBeGreaterThanOrEqual(15);
    expect(executions.some((e) => workflow.path(e.name).includes(STATES.countVaultWait))).toBe(true);
    expect(await slotHolders(workflow, slotKey(VAULT_ACCOUNT, DEST))).toEqual([]);
  });

  it("GIVEN a member whose stack (and so its member copy key) is not applied yet THEN its copies end in error and the execution fails with CopyFailed naming that key and that stack", async () => {
    const input = addSource();
    standin().failCopiesOf(input.snapshotId, 'The KMS key alias/ebs-event-hub-dr does not exist');
    const { workflow } = setup();
    const execution = await run(workflow, input);

    expect(execution.status).toBe('FAILED');
    expect(execution.error!.cause!.name).toBe('CopyFailed');
    expect(execution.error!.cause!.message).toMatch(/alias\/ebs-event-hub-dr is the member copy key the member stack member-222222222222 creates in eu-central-1: apply that stack, then npm run copies -- retry/);
    expect(calls('ModifySnapshotAttribute')).toEqual([]);
  });

  it('GIVEN the vault configs THEN the synthesized step environment parses (the contract the handler reads)', () => {
    for (const config of [VAULT_ALL_FEATURES, VAULT_WITH_KMS_KEY_ID]) {
      const { workflow } = setup(config);
      const vault = parseOrgConfig(config).snapshotCopy!.vault!;
      expect(workflow.config.vault).toMatchObject({ accountId: vault.accountId, keepMemberCopy: vault.keepMemberCopy, maxInFlightCopies: 20, ...(vault.lock ? { lock: { mode: vault.lock.mode, days: vault.lock.days } } : {}) });
    }
  });
});
