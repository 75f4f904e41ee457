import type { OrgConfigInput } from '../../config/schema';
import { ALL_FEATURES } from './all-features';

/** The vault account of the vault configs (not central, not a member). */
export const VAULT_ACCOUNT = '999999999999';

/**
 * Vault mode with every vault feature on top of ALL_FEATURES (central account also a member, no
 * organizationId, retention, region map): a compliance lock with a cooling-off period, vault
 * retention, member copies deleted once vaulted, and no kmsKeyId (so every member stack creates
 * its copy keys, alias/ebs-event-hub-dr).
 */
export const VAULT_ALL_FEATURES: OrgConfigInput = {
  ...ALL_FEATURES,
  snapshotCopy: {
    ...(({ kmsKeyId: _omit, ...copy }) => copy)(ALL_FEATURES.snapshotCopy!),
    retentionDays: 400,
    vault: { accountId: VAULT_ACCOUNT, lock: { mode: 'compliance', days: 365, coolOffHours: 24 }, retentionDays: 400, keepMemberCopy: false },
  },
  deployment: { ...ALL_FEATURES.deployment, planPrincipalArns: ['arn:aws:iam::777777777777:role/github-plan'] },
};

/**
 * Vault mode with the member copies under the user's key (kmsKeyId set: no member copy keys), a
 * governance lock without retention, member copies kept, within an organization.
 */
export const VAULT_WITH_KMS_KEY_ID: OrgConfigInput = {
  ...ALL_FEATURES,
  organizationId: 'o-a1b2c3d4e5',
  snapshotCopy: { ...ALL_FEATURES.snapshotCopy!, vault: { accountId: VAULT_ACCOUNT, lock: { mode: 'governance', days: 30 } } },
};
