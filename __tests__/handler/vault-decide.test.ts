/**
 * Vault mode's pure parts: the step function's VAULT_* environment (every rejected value a
 * ConfigurationError naming the variable), the key member-side copies are made under, the vault
 * copy request and tags, and what VaultLock does with a lock it finds.
 */
import { describe, expect, it } from 'vitest';
import { loadStepConfig, VAULT_MAX_IN_FLIGHT_COPIES } from '../../handlers/snapshot-copy/config';
import { buildCopyTags, copyRequest, decideOnLock, EXPIRES_AT_TAG, MEMBER_COPY_TAG, PROVENANCE_TAGS, vaultCopyDescription, vaultCopyRequest, type CopyInput } from '../../handlers/snapshot-copy/decide';
import { copyKmsKeyId } from '../../handlers/snapshot-copy/vault-steps';
import { EC2_MAX_CONCURRENT_SNAPSHOT_COPIES } from '../../config/schema';
import { vaultStepEnvironment } from '../../stacks/central/snapshot-copy-vault';
import { configError } from './support';

const MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:ebs-event-hub-snapshot-copy';
const base = {
  MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
  MAX_IN_FLIGHT_COPIES: '15',
  SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots',
  LEDGER_TABLE_NAME: 'ebs-event-hub-copy-ledger',
  STATE_MACHINE_ARN: MACHINE,
};
/** As the central stack tells the step function (stacks/central/snapshot-copy-vault.ts). */
const vaultEnv = {
  ...base,
  ...vaultStepEnvironment({ accountId: '999999999999', lock: { mode: 'compliance', days: 365, coolOffHours: 24 }, retentionDays: 400, keepMemberCopy: false, memberKeyAlias: 'alias/ebs-event-hub-dr' }),
};
const input: CopyInput = { account: '222222222222', sourceRegion: 'eu-west-1', snapshotId: 'snap-0abc1234', destinationRegion: 'eu-central-1' };


describe('the step function told about the vault', () => {
  it('GIVEN every VAULT_ variable THEN the vault config, the member copy key, and 20 vault copies at once (EC2 per region and account)', () => {
    const config = loadStepConfig(vaultEnv);
    expect(config.vault).toEqual({
      accountId: '999999999999',
      roleName: 'ebs-event-hub-vault-copy',
      kmsKeyId: 'alias/ebs-event-hub-vault',
      keepMemberCopy: false,
      lock: { mode: 'compliance', days: 365, coolOffHours: 24 },
      retentionDays: 400,
      maxInFlightCopies: 20,
    });
    expect(VAULT_MAX_IN_FLIGHT_COPIES).toBe(EC2_MAX_CONCURRENT_SNAPSHOT_COPIES);
    expect(config.memberKmsKeyId).toBe('alias/ebs-event-hub-dr');
    expect(loadStepConfig({ ...base, VAULT_ACCOUNT_ID: '999999999999', VAULT_ROLE_NAME: 'r', VAULT_KMS_KEY_ID: 'k', VAULT_KEEP_MEMBER_COPY: 'true', KMS_KEY_ID: 'alias/mine' }).vault).toEqual({
      accountId: '999999999999',
      roleName: 'r',
      kmsKeyId: 'k',
      keepMemberCopy: true,
      maxInFlightCopies: 20,
    });
    expect(loadStepConfig(base).vault).toBeUndefined();
  });

  it.each([
    ['a VAULT_ variable without VAULT_ACCOUNT_ID', { ...base, VAULT_LOCK_DAYS: '3' }, /VAULT_LOCK_DAYS set without VAULT_ACCOUNT_ID/],
    ['VAULT_ACCOUNT_ID not 12 digits', { ...vaultEnv, VAULT_ACCOUNT_ID: '9999' }, /VAULT_ACCOUNT_ID "9999" is not a 12-digit AWS account ID/],
    ['VAULT_ROLE_NAME missing', { ...vaultEnv, VAULT_ROLE_NAME: '' }, /VAULT_ROLE_NAME is not set: the function needs the role to assume in the vault account/],
    ['VAULT_ROLE_NAME an ARN', { ...vaultEnv, VAULT_ROLE_NAME: 'arn:aws:iam::9:role/r' }, /VAULT_ROLE_NAME "arn:aws:iam::9:role\/r" is not an IAM role name/],
    ['VAULT_KMS_KEY_ID missing', { ...vaultEnv, VAULT_KMS_KEY_ID: ' ' }, /VAULT_KMS_KEY_ID is not set/],
    ['VAULT_KEEP_MEMBER_COPY not a boolean', { ...vaultEnv, VAULT_KEEP_MEMBER_COPY: 'yes' }, /VAULT_KEEP_MEMBER_COPY "yes" is not true or false/],
    ['VAULT_LOCK_MODE alone', { ...vaultEnv, VAULT_LOCK_DAYS: '', VAULT_LOCK_COOL_OFF_HOURS: '' }, /VAULT_LOCK_MODE and VAULT_LOCK_DAYS go together: VAULT_LOCK_MODE is set alone/],
    ['VAULT_LOCK_MODE unknown', { ...vaultEnv, VAULT_LOCK_MODE: 'legal-hold' }, /VAULT_LOCK_MODE "legal-hold" is not compliance or governance/],
    ['VAULT_LOCK_DAYS 0', { ...vaultEnv, VAULT_LOCK_DAYS: '0' }, /VAULT_LOCK_DAYS "0" is not a whole number from 1 to 36500/],
    ['VAULT_LOCK_COOL_OFF_HOURS with governance', { ...vaultEnv, VAULT_LOCK_MODE: 'governance' }, /VAULT_LOCK_COOL_OFF_HOURS "24" is set with a governance lock/],
    ['VAULT_LOCK_COOL_OFF_HOURS 73', { ...vaultEnv, VAULT_LOCK_COOL_OFF_HOURS: '73' }, /VAULT_LOCK_COOL_OFF_HOURS "73" is not a whole number from 1 to 72/],
    ['VAULT_RETENTION_DAYS shorter than the lock', { ...vaultEnv, VAULT_RETENTION_DAYS: '30' }, /VAULT_RETENTION_DAYS "30" is not a whole number from 365 to 36500/],
    ['vault mode without a shareable key for member copies', { ...vaultEnv, MEMBER_KMS_KEY_ID: '' }, /neither KMS_KEY_ID nor MEMBER_KMS_KEY_ID/],
    ['MEMBER_KMS_KEY_ID without a vault', { ...base, MEMBER_KMS_KEY_ID: 'alias/ebs-event-hub-dr' }, /MEMBER_KMS_KEY_ID is set without VAULT_ACCOUNT_ID/],
  ])('rejects %s with a ConfigurationError naming the variable', (_what, env, message) => {
    expect(configError(() => loadStepConfig(env))).toMatch(message);
  });
});

describe('the member copy key (item 1: "You can\'t share snapshots that are encrypted with the default AWS managed key")', () => {
  it('GIVEN vault mode without kmsKeyId THEN member copies are Encrypted under MEMBER_KMS_KEY_ID; with kmsKeyId under it; without a vault as before', () => {
    const tags = [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: input.snapshotId }];
    expect(copyRequest(input, tags, copyKmsKeyId(loadStepConfig(vaultEnv)))).toMatchObject({ Encrypted: true, KmsKeyId: 'alias/ebs-event-hub-dr' });
    expect(copyKmsKeyId(loadStepConfig({ ...vaultEnv, MEMBER_KMS_KEY_ID: '', KMS_KEY_ID: 'alias/mine' }))).toBe('alias/mine');
    const plain = copyRequest(input, tags, copyKmsKeyId(loadStepConfig(base)));
    expect(plain.Encrypted).toBeUndefined();
    expect(plain.KmsKeyId).toBeUndefined();
  });
});

describe('the vault copy request', () => {
  it('copies the member copy from its own region into the vault under the vault key, tagged with the original provenance, the member copy and the vault expiry', () => {
    const { tags } = buildCopyTags([{ Key: 'Name', Value: 'db' }, { Key: MEMBER_COPY_TAG, Value: 'snap-0stale' }], input, '2027-01-01T00:00:00Z', 'snap-0member1');
    expect(vaultCopyRequest(input, 'snap-0member1', tags, 'alias/ebs-event-hub-vault')).toEqual({
      SourceRegion: 'eu-central-1',
      SourceSnapshotId: 'snap-0member1',
      Description: vaultCopyDescription(input),
      Encrypted: true,
      KmsKeyId: 'alias/ebs-event-hub-vault',
      TagSpecifications: [
        {
          ResourceType: 'snapshot',
          Tags: [
            { Key: PROVENANCE_TAGS.sourceSnapshotId, Value: 'snap-0abc1234' },
            { Key: PROVENANCE_TAGS.sourceRegion, Value: 'eu-west-1' },
            { Key: PROVENANCE_TAGS.sourceAccount, Value: '222222222222' },
            { Key: MEMBER_COPY_TAG, Value: 'snap-0member1' },
            { Key: EXPIRES_AT_TAG, Value: '2027-01-01T00:00:00Z' },
            { Key: 'Name', Value: 'db' },
          ],
        },
      ],
    });
    expect(vaultCopyDescription(input)).not.toBe(`Copy of ${input.snapshotId} from ${input.sourceRegion} (account ${input.account}) by ebs-event-hub snapshot-copy`);
  });
});

describe('VaultLock meeting a lock (decideOnLock)', () => {
  const compliance = { mode: 'compliance' as const, days: 365, coolOffHours: 24 };
  const governance = { mode: 'governance' as const, days: 30 };
  it.each([
    ['no lock', undefined, compliance, { kind: 'lock', request: { LockMode: 'compliance', LockDuration: 365, CoolOffPeriod: 24 } }],
    ['an expired lock', { LockState: 'expired', LockDuration: 400 }, governance, { kind: 'lock', request: { LockMode: 'governance', LockDuration: 30 } }],
    ['the same lock (its own, redelivered)', { LockState: 'compliance-cooloff', LockDuration: 365 }, compliance, { kind: 'keep' }],
    ['a longer compliance lock', { LockState: 'compliance', LockDuration: 500 }, compliance, { kind: 'keep' }],
    ['a compliance lock for a governance vault', { LockState: 'compliance', LockDuration: 30 }, governance, { kind: 'keep' }],
    ['a lock set until a date, as long', { LockState: 'governance', LockDurationStartTime: new Date('2026-01-01T00:00:00Z'), LockExpiresOn: new Date('2026-02-01T00:00:00Z') }, governance, { kind: 'keep' }],
    ['a shorter governance lock', { LockState: 'governance', LockDuration: 10 }, governance, { kind: 'lock', request: { LockMode: 'governance', LockDuration: 30 } }],
    ['a governance lock for a compliance vault', { LockState: 'governance', LockDuration: 400 }, compliance, { kind: 'lock', request: { LockMode: 'compliance', LockDuration: 365, CoolOffPeriod: 24 } }],
    ['a shorter compliance lock past its cooling-off (lengthened, no CoolOffPeriod)', { LockState: 'compliance', LockDuration: 100 }, compliance, { kind: 'lock', request: { LockMode: 'compliance', LockDuration: 365 } }],
    ['a shorter compliance lock still cooling off (its own period kept)', { LockState: 'compliance-cooloff', LockDuration: 100, CoolOffPeriod: 2 }, compliance, { kind: 'lock', request: { LockMode: 'compliance', LockDuration: 365 } }],
  ] as const)('GIVEN %s THEN %j', (_what, existing, wanted, expected) => {
    const decision = decideOnLock(existing as never, wanted);
    expect(decision).toMatchObject(expected);
    if (decision.kind === 'lock') {
      expect(decision.request).toEqual((expected as { request: unknown }).request);
      expect(decision.request.ExpirationDate).toBeUndefined();
    }
  });
});
