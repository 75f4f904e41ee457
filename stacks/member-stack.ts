import type { Construct } from 'constructs';
import type { MemberConfig, OrgConfig } from '../config/schema';
import { AccountStack } from './base-stack';
import { Forwarding } from './member/forwarding';
import { centralBusArn, memberStackId } from './names';

export interface MemberStackProps {
  readonly config: OrgConfig;
  readonly member: MemberConfig;
}

/** One member account, all of its regions: forwarding rules, their DLQs and the forwarder role. */
export class MemberStack extends AccountStack {
  readonly forwarding: Forwarding;

  constructor(scope: Construct, props: MemberStackProps) {
    const { config, member } = props;
    super(scope, memberStackId(member.accountId), {
      config,
      accountId: member.accountId,
      region: member.regions[0]!,
      description: `member ${member.name ?? member.accountId}`,
    });
    this.forwarding = new Forwarding(this, 'forwarding', {
      accountId: member.accountId,
      regions: member.regions,
      centralBusArn: centralBusArn(config),
    });
  }
}
