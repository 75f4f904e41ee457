/**
 * The central side of vault mode (`snapshotCopy.vault`, README "Vault mode"): what the copy step
 * function (and, with `vault.retentionDays`, the sweep function) may do and is told about the vault.
 * The vault's own resources are in its own stack (stacks/vault-stack.ts), the member side in the
 * member stacks; here only the statements and environment the workflow and sweep units add when a
 * vault is configured. No resource of its own yet: the vault steps of the workflow definition
 * (stacks/central/copy-workflow.ts) read this environment.
 */
import { COPY_MAX_RETENTION_DAYS, SNAPSHOT_LOCK_MAX_COOL_OFF_HOURS, SNAPSHOT_LOCK_MAX_DAYS, type OrgConfig, type VaultConfig } from '../../config/schema';
import { MEMBER_COPY_KEY_ALIAS, VAULT_KEY_ALIAS, VAULT_ROLE_NAME } from '../names';
import type { Statement } from '../policy/policy';
import type { CopyPermissionsProps } from '../policy/snapshot-copy-permissions';
import { assumeVaultRole, shareWithVaultStatements } from '../policy/vault-permissions';
import { checkWholeNumber, invalidProp, type CopyScope } from './snapshot-copy-common';
import { copyLedgerTableArn } from './snapshot-copy-ledger';

/** What the central copy functions know of the vault. */
export interface VaultAccess {
  /** The vault account (`snapshotCopy.vault.accountId`). */
  readonly accountId: string;
  /**
   * `snapshotCopy.vault.lock`: every vault copy is locked in this mode for this long.
   * @default - no lock
   */
  readonly lock?: VaultConfig['lock'];
  /**
   * `snapshotCopy.vault.retentionDays`: vault copies expire (and the sweep deletes them) after this many days.
   * @default - vault copies are kept
   */
  readonly retentionDays?: number;
  /** `snapshotCopy.vault.keepMemberCopy`: false, the member-side copy is deleted once its vault copy is locked. */
  readonly keepMemberCopy: boolean;
  /**
   * Without `snapshotCopy.kmsKeyId`: the alias of the key each member stack creates for its copies
   * (`alias/ebs-event-hub-dr`), under which member-side copies must be made to be shareable.
   * @default - `kmsKeyId` is set: copies use it
   */
  readonly memberKeyAlias?: string;
}

/** The vault access of a config, or undefined without a vault. */
export function vaultAccessOf(config: Pick<OrgConfig, 'snapshotCopy'>): VaultAccess | undefined {
  const copy = config.snapshotCopy;
  const vault = copy?.vault;
  if (!copy || !vault) return undefined;
  return {
    accountId: vault.accountId,
    ...(vault.lock ? { lock: vault.lock } : {}),
    ...(vault.retentionDays !== undefined ? { retentionDays: vault.retentionDays } : {}),
    keepMemberCopy: vault.keepMemberCopy,
    ...(copy.kmsKeyId ? {} : { memberKeyAlias: MEMBER_COPY_KEY_ALIAS }),
  };
}

/** Validates the vault access a unit is given (aws-events style: the unit, the prop, the value, what is allowed). */
export function checkVaultAccess(unit: string, vault: VaultAccess): void {
  if (!/^\d{12}$/.test(vault.accountId)) throw invalidProp(unit, 'vault.accountId', vault.accountId, 'is not a 12-digit AWS account ID');
  if (vault.lock) {
    checkWholeNumber(unit, 'vault.lock.days', vault.lock.days, 1, SNAPSHOT_LOCK_MAX_DAYS);
    if (vault.lock.coolOffHours !== undefined) {
      if (vault.lock.mode !== 'compliance') throw invalidProp(unit, 'vault.lock.coolOffHours', vault.lock.coolOffHours, 'is set with a governance lock: EBS takes a cooling-off period in compliance mode only');
      checkWholeNumber(unit, 'vault.lock.coolOffHours', vault.lock.coolOffHours, 1, SNAPSHOT_LOCK_MAX_COOL_OFF_HOURS);
    }
  }
  if (vault.retentionDays !== undefined) checkWholeNumber(unit, 'vault.retentionDays', vault.retentionDays, vault.lock?.days ?? 1, COPY_MAX_RETENTION_DAYS);
}

/**
 * The step function's environment in vault mode (the handler's contract, README "Vault mode"):
 * `VAULT_ACCOUNT_ID`, `VAULT_ROLE_NAME`, `VAULT_KMS_KEY_ID` (the vault key's alias, resolved in the
 * vault account and the copy's region), `VAULT_KEEP_MEMBER_COPY` (`true`/`false`); with a lock
 * `VAULT_LOCK_MODE`, `VAULT_LOCK_DAYS` and, in compliance mode with a cooling-off period,
 * `VAULT_LOCK_COOL_OFF_HOURS`; with retention `VAULT_RETENTION_DAYS`; without `kmsKeyId`
 * `MEMBER_KMS_KEY_ID` (the member copy key's alias).
 */
export function vaultStepEnvironment(vault: VaultAccess): Record<string, string> {
  return {
    VAULT_ACCOUNT_ID: vault.accountId,
    VAULT_ROLE_NAME,
    VAULT_KMS_KEY_ID: VAULT_KEY_ALIAS,
    VAULT_KEEP_MEMBER_COPY: String(vault.keepMemberCopy),
    ...(vault.lock
      ? {
          VAULT_LOCK_MODE: vault.lock.mode,
          VAULT_LOCK_DAYS: String(vault.lock.days),
          ...(vault.lock.coolOffHours !== undefined ? { VAULT_LOCK_COOL_OFF_HOURS: String(vault.lock.coolOffHours) } : {}),
        }
      : {}),
    ...(vault.retentionDays !== undefined ? { VAULT_RETENTION_DAYS: String(vault.retentionDays) } : {}),
    ...(vault.memberKeyAlias ? { MEMBER_KMS_KEY_ID: vault.memberKeyAlias } : {}),
  };
}

/** The sweep function's environment with vault retention: which role to assume where. */
export const vaultSweepEnvironment = (vault: VaultAccess): Record<string, string> =>
  vault.retentionDays !== undefined ? { VAULT_ACCOUNT_ID: vault.accountId, VAULT_ROLE_NAME } : {};

/**
 * The step role's vault statements: assume the vault role (one ARN), and when the central account is
 * also a member (its copies made with the step role's own credentials), share those copies with
 * the vault and, with `keepMemberCopy: false`, delete them, exactly as a member role may.
 * `dynamodb:UpdateItem` on the copy ledger when a vault step updates an item
 * (handlers/snapshot-copy/ledger.ts): with `keepMemberCopy: false`, a member copy deleted once
 * vaulted keeps its item, marked (`deletedAt`, `vaultCopySnapshotId`), so a later execution for the
 * same snapshot goes to the vault copy rather than copying again; with `lock` and `retentionDays`,
 * VaultLock raises a vault copy's expiry to its lock's (the lock starts after the copy completed).
 */
export function vaultStepStatements(vault: VaultAccess, scope: CopyScope, ownAccountCopy?: CopyPermissionsProps): Statement[] {
  const updatesLedger = !vault.keepMemberCopy || (vault.lock !== undefined && vault.retentionDays !== undefined);
  return [
    assumeVaultRole(vault.accountId),
    ...(updatesLedger ? [{ Sid: 'UpdateLedgerItems', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: copyLedgerTableArn(scope) } satisfies Statement] : []),
    ...(ownAccountCopy
      ? shareWithVaultStatements({ destinationRegions: ownAccountCopy.destinationRegions, vaultAccountId: vault.accountId, deleteMemberCopies: !vault.keepMemberCopy })
      : []),
  ];
}

/** The sweep role's vault statement: with `vault.retentionDays` only, assume the vault role. */
export const vaultSweepStatements = (vault: VaultAccess): Statement[] => (vault.retentionDays !== undefined ? [assumeVaultRole(vault.accountId)] : []);
