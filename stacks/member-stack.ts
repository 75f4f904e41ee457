import type { Construct } from 'constructs';
import type { MemberConfig, OrgConfig } from '../config/schema';
import { AccountStack, type ProviderRole } from './base-stack';
import { Forwarding } from './member/forwarding';
import { SnapshotCopyRole } from './member/snapshot-copy-role';
import { centralBusArn, MEMBER_TAG_KEY, memberCopyRoleTrustedArns, memberStackId } from './names';
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
      });
    }
  }
}
