import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { renderPolicy, type PolicyDocument } from './policy/policy';
import { assertPolicyFits } from './policy/policy-limits';

export interface CopyKeyProps {
  /** The key's region (provider 6's per-resource `region`). */
  readonly region: string;
  /** `alias/<name>`, the same in every region and account: how the copy path names the key. */
  readonly aliasName: string;
  readonly description: string;
  /** The key policy (literal JSON in the Terraform). */
  readonly policy: PolicyDocument;
  /**
   * Terraform refuses any plan that would destroy or replace the key (`lifecycle.prevent_destroy`):
   * for keys whose copies must outlive a mistaken `terraform destroy` (the vault's).
   * https://developer.hashicorp.com/terraform/language/meta-arguments/lifecycle#prevent_destroy
   * @default false
   */
  readonly preventDestroy?: boolean;
}

/**
 * A customer managed key for snapshot copies in one region, with its alias: rotated yearly, and
 * deleted only after the longest waiting period KMS allows (30 days), because every copy encrypted
 * under it is lost with it (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html).
 * The vault's keys (stacks/vault-stack.ts), in vault mode without `kmsKeyId` each member's copy
 * keys (stacks/member-stack.ts), and the central hub key (central/hub-key.ts, its own policy).
 *
 * Built with the ids `key` and `alias` under its own construct: the alias references the key id, so
 * Terraform creates the key first.
 */
export class CopyKey extends Construct {
  readonly key: KmsKey;
  readonly alias: KmsAlias;
  readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: CopyKeyProps) {
    super(scope, id);
    if (!/^alias\/[A-Za-z0-9/_-]{1,250}$/.test(props.aliasName) || props.aliasName.startsWith('alias/aws/')) {
      throw new Error(`CopyKey ${id}: aliasName ${JSON.stringify(props.aliasName)} is not alias/<name> (A-Z a-z 0-9 / _ -, not alias/aws/…)`);
    }
    this.policy = props.policy;
    assertPolicyFits('kmsKeyPolicy', this.policy, `key ${props.aliasName} (${props.region})`);
    this.key = new KmsKey(this, 'key', {
      region: props.region,
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: renderPolicy(this.policy),
      ...(props.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });
    this.alias = new KmsAlias(this, 'alias', { region: props.region, name: props.aliasName, targetKeyId: this.key.keyId });
  }
}
