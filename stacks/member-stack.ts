import type { Construct } from 'constructs';
import type { MemberConfig, OrgConfig } from '../config/schema';
import { AccountStack, type ProviderRole } from './base-stack';
import { Forwarding } from './member/forwarding';
import { SnapshotCopyRole } from './member/snapshot-copy-role';
import { centralBusArn, COPY_STEP_FUNCTION_NAME, MEMBER_TAG_KEY, memberCopyRoleTrustedArns, memberStackId, roleArn } from './names';
import type { CopyKey } from './copy-key';
import { MemberCopyKeys } from './member/copy-keys';
import { copyRoleArnsOf } from './policy/vault-permissions';
import { copyPermissionsFor, destinationOnlyRegions } from './policy/snapshot-copy-permissions';

export interface MemberStackProps {
  readonly config: OrgConfig;
  readonly member: MemberConfig;
  /** The role the provider assumes. @default 'deploy' */
  readonly providerRole?: ProviderRole;
}

/**
 * One member account, all of its regions: forwarding rules, their DLQs and the forwarder role;
 * with `snapshotCopy`, the role the central copy function assumes here.
 */
export class MemberStack extends AccountStack {
  readonly forwarding: Forwarding;
  readonly snapshotCopyRole?: SnapshotCopyRole;
  /** Vault mode without `snapshotCopy.kmsKeyId`: the copy key of each destination region. */
  readonly copyKeys?: readonly CopyKey[];

  constructor(scope: Construct, props: MemberStackProps) {
    const { config, member } = props;
    super(scope, memberStackId(member.accountId), {
      config,
      accountId: member.accountId,
      region: member.regions[0]!,
      tags: member.name ? { [MEMBER_TAG_KEY]: member.name } : {},
      providerRole: props.providerRole,
    });
    this.forwarding = new Forwarding(this, 'forwarding', {
      accountId: member.accountId,
      regions: member.regions,
      // The copy destination regions it does not list, for copy results only: a copy that fails (EC2
      // checks its key after CopySnapshot returns) emits copySnapshot `failed` there, and it must
      // reach the central alert rule; a snapshot created there must not start a copy.
      copyResultRegions: destinationOnlyRegions(config.snapshotCopy, member.regions),
      centralBusArn: centralBusArn(config),
    });
    const copy = config.snapshotCopy;
    const permissions = copy && copyPermissionsFor(copy, member.accountId, member.regions);
    if (copy && permissions) {
      this.snapshotCopyRole = new SnapshotCopyRole(this, 'snapshot-copy-role', {
        ...permissions,
        roleName: copy.memberRoleName,
        trustedRoleArns: memberCopyRoleTrustedArns(config),
        ...(copy.vault ? { vault: { vaultAccountId: copy.vault.accountId, deleteMemberCopies: !copy.vault.keepMemberCopy } } : {}),
      });
      // Vault mode without kmsKeyId: copies must be under a customer managed key the vault may use
      // (an AWS managed key cannot be shared), so this account gets one per destination region.
      if (copy.vault && !copy.kmsKeyId) {
        const central = config.central.accountId;
        this.copyKeys = new MemberCopyKeys(this, 'copy-keys', {
          accountId: member.accountId,
          regions: permissions.destinationRegions,
          // In the central account the step role copies with its own credentials.
          copyRoleArns: copyRoleArnsOf(member.accountId, copy.memberRoleName, member.accountId === central ? roleArn(central, COPY_STEP_FUNCTION_NAME) : undefined),
          vaultAccountId: copy.vault.accountId,
        }).keys;
      }
    }
  }
}
