import type { Construct } from 'constructs';
import type { OrgConfig } from '../config/schema';
import { AccountStack, type ProviderRole } from './base-stack';
import { CopyKey } from './copy-key';
import { snapshotCopyRoleTrustPolicy } from './member/snapshot-copy-role';
import { PREFIX, VAULT_KEY_ALIAS, VAULT_ROLE_NAME, vaultRoleTrustedArns, vaultStackId } from './names';
import type { PolicyDocument } from './policy/policy';
import { RoleWithPolicies } from './policy/role-with-policies';
import { VAULT_ROLE_DESCRIPTION, vaultKeyPolicy, vaultRegionsOf, vaultRolePolicyOf } from './policy/vault-permissions';

export interface VaultStackProps {
  /** A config with `snapshotCopy.vault`. */
  readonly config: OrgConfig;
  /** The role the provider assumes. @default 'deploy' */
  readonly providerRole?: ProviderRole;
}

/** Advice when the vault role's policy passes IAM's size quota (it names every member that copies). */
export const VAULT_SOURCES_SIZE_HINT =
  'The vault role names every member account that copies as a source owner (ec2:Owner, the only account key EC2 documents for the source of a copy), about 15 characters each: vault mode fits some 450 copying member accounts';

/**
 * The vault account (`snapshotCopy.vault.accountId`), stack `vault-<accountId>`: every copy
 * destination region gets a customer managed key for vault copies (`alias/ebs-event-hub-vault`,
 * rotated), and the account gets the role the central copy step (and, with `vault.retentionDays`,
 * the sweep) assumes, `ebs-event-hub-vault-copy`. One provider assuming `deployment.roleName` (or
 * the plan role) in the vault account; each key in its region through the per-resource `region`.
 *
 * Rollout: wave 0, after `central` (README "Vault mode"). Nothing in it refers to another stack's
 * resources by principal (the role's trust names the central account with `aws:PrincipalArn`), so
 * neither order is a creation dependency; the vault must exist before the copy workflow's first
 * vault copy, which the central stack enables.
 */
export class VaultStack extends AccountStack {
  readonly keys: readonly CopyKey[];
  readonly role: RoleWithPolicies;
  readonly rolePolicy: PolicyDocument;
  readonly trustPolicy: PolicyDocument;

  constructor(scope: Construct, props: VaultStackProps) {
    const { config } = props;
    const vault = config.snapshotCopy?.vault;
    if (!vault) throw new Error('VaultStack: config.snapshotCopy.vault is not set; only a config with a vault has a vault stack');
    const regions = vaultRegionsOf(config);
    if (regions.length === 0) throw new Error('VaultStack: no member copies to any region, so the vault has no region; check snapshotCopy');
    super(scope, vaultStackId(vault.accountId), { config, accountId: vault.accountId, region: regions[0]!, providerRole: props.providerRole });

    this.keys = regions.map(
      (region) =>
        new CopyKey(this, `key-${region}`, {
          region,
          aliasName: VAULT_KEY_ALIAS,
          description: `${PREFIX}: vault copies of member snapshots (${region})`,
          policy: vaultKeyPolicy({ accountId: vault.accountId, region }),
          // A locked vault copy outlives any delete call, but not its key: a destroy (or a
          // replacement) of the vault stack would schedule the keys for deletion, and every vault
          // copy under them would be unreadable 30 days later. Terraform refuses such a plan.
          preventDestroy: true,
        }),
    );
    this.trustPolicy = snapshotCopyRoleTrustPolicy(vaultRoleTrustedArns(config));
    this.rolePolicy = vaultRolePolicyOf(config);
    this.role = new RoleWithPolicies(this, 'vault-role', {
      roleName: VAULT_ROLE_NAME,
      description: VAULT_ROLE_DESCRIPTION,
      trustPolicy: this.trustPolicy,
      policies: { 'vault-copies': this.rolePolicy },
      maxSessionDuration: 3600,
      sizeHint: VAULT_SOURCES_SIZE_HINT,
    });
  }
}
