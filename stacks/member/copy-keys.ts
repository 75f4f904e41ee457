import { Construct } from 'constructs';
import { CopyKey } from '../copy-key';
import { MEMBER_COPY_KEY_ALIAS, PREFIX } from '../names';
import { memberCopyKeyPolicy } from '../policy/vault-permissions';

export interface MemberCopyKeysProps {
  /** The member account. */
  readonly accountId: string;
  /** Its copy destination regions: one key each. */
  readonly regions: readonly string[];
  /** The roles that make its copies (the member copy role; in the central account also the step role). */
  readonly copyRoleArns: readonly string[];
  readonly vaultAccountId: string;
}

/**
 * Vault mode without `snapshotCopy.kmsKeyId`: a customer managed key per destination region,
 * `alias/ebs-event-hub-dr`, for the member's copies. Snapshots encrypted with the default AWS
 * managed key cannot be shared, and a shared encrypted snapshot needs its key shared too
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html); the
 * key policy admits the copy roles and the vault role, through EC2 only (`memberCopyKeyPolicy`).
 *
 * Built with the ids `<region>` (each a `CopyKey`: `key`, `alias`).
 */
export class MemberCopyKeys extends Construct {
  readonly keys: readonly CopyKey[];

  constructor(scope: Construct, id: string, props: MemberCopyKeysProps) {
    super(scope, id);
    if (props.regions.length === 0) throw new Error('MemberCopyKeys: regions is empty; give the copy destination regions');
    this.keys = props.regions.map(
      (region) =>
        new CopyKey(this, region, {
          region,
          aliasName: MEMBER_COPY_KEY_ALIAS,
          description: `${PREFIX}: DR copies of this account's snapshots, shared with the vault (${region})`,
          policy: memberCopyKeyPolicy({ accountId: props.accountId, region, copyRoleArns: props.copyRoleArns, vaultAccountId: props.vaultAccountId }),
        }),
    );
  }
}
