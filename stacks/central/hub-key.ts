import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { PREFIX } from '../names';
import { policyDocument, renderPolicy, type PolicyDocument } from '../policy';
import { assertPolicyFits } from '../policy-limits';

export interface HubKeyProps {
  readonly accountId: string;
  readonly region: string;
}

/**
 * What the account may do with the key through IAM. Listed rather than `kms:*` (this app allows
 * no wildcard action); enough to administer the key and for Terraform to manage it.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:CreateGrant',
  'kms:ListGrants',
  'kms:RevokeGrant',
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:GenerateDataKey',
] as const;

/**
 * Key policy of the central key:
 * - the account administers it through IAM;
 * - EventBridge (alert rules) and CloudWatch (alarms) may publish to the topic it encrypts.
 *   EventBridge cannot publish to a topic under the AWS-managed `alias/aws/sns` key:
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html#eb-sns-encrypted
 * - CloudWatch Logs encrypts this account's log groups in this region with it:
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function hubKeyPolicy(props: HubKeyProps): PolicyDocument {
  return policyDocument('resource', [
    {
      Sid: 'AccountAdministersKey',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${props.accountId}:root` },
      Action: [...KEY_ADMIN_ACTIONS],
      Resource: '*',
    },
    {
      Sid: 'EventBridgeAndAlarmsPublishToEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: ['events.amazonaws.com', 'cloudwatch.amazonaws.com'] },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': props.accountId } },
    },
    {
      Sid: 'CloudWatchLogsEncryptsLogGroups',
      Effect: 'Allow',
      Principal: { Service: `logs.${props.region}.amazonaws.com` },
      Action: [
        'kms:Encrypt',
        'kms:Decrypt',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'kms:GenerateDataKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:DescribeKey',
      ],
      Resource: '*',
      Condition: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${props.region}:${props.accountId}:log-group:*` },
      },
    },
  ]);
}

/** The central account's customer managed key for the alert topic and the log groups. Rotated yearly. */
export class HubKey extends Construct {
  readonly key: KmsKey;
  readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: HubKeyProps) {
    super(scope, id);
    this.policy = hubKeyPolicy(props);
    assertPolicyFits('kmsKeyPolicy', this.policy, `key alias/${PREFIX}`);
    this.key = new KmsKey(this, 'key', {
      region: props.region,
      description: `${PREFIX}: alert topic and log groups`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: renderPolicy(this.policy),
    });
    new KmsAlias(this, 'alias', { region: props.region, name: `alias/${PREFIX}`, targetKeyId: this.key.keyId });
  }
}
