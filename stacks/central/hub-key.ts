import type { Construct } from 'constructs';
import { CopyKey } from '../copy-key';
import { accountRootArn, logGroupArn, PREFIX } from '../names';
import { policyDocument, type PolicyDocument } from '../policy/policy';
import { KEY_ADMIN_ACTIONS } from '../policy/key-admin-actions';

export interface HubKeyProps {
  readonly accountId: string;
  readonly region: string;
  /** The alert topic the key encrypts (computed from config: the topic is created after the key). */
  readonly alertTopicArn: string;
  /**
   * Names of the log groups CloudWatch Logs may encrypt with the key (the audit log, each function's
   * and state machine's log group). At least one.
   */
  readonly logGroupNames: readonly string[];
}

/** A key prop is empty or malformed. */
export class HubKeyPropsError extends Error {
  override readonly name = 'HubKeyPropsError';
}

// Shared with the vault mode keys (stacks/policy/vault-permissions.ts), which the CLI reads without cdktf.
export { KEY_ADMIN_ACTIONS };

/**
 * Key policy of the central key:
 * - the account administers it through IAM;
 * - EventBridge (the alert rules) may encrypt for the alert topic only. No `aws:SourceAccount`,
 *   `aws:SourceArn` or `aws:SourceOrgID`: the SNS guide says they are "not supported for
 *   EventBridge-to-encrypted topics" (Landing Zone Accelerator issue #407: alerts silently stopped).
 *   SNS passes the topic ARN as encryption context `aws:sns:topicArn`, which scopes the grant:
 *   https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 *   EventBridge cannot publish to a topic under the AWS-managed `alias/aws/sns` key at all:
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html#eb-sns-encrypted
 * - CloudWatch (this app's alarms) may encrypt for the alert topic, for alarms of this account
 *   (`aws:SourceAccount`, `aws:SourceArn`: supported for CloudWatch, same SNS page); a separate
 *   statement so the EventBridge one carries no source condition;
 * - CloudWatch Logs may use it for the named log groups of this account and region only
 *   (`kms:EncryptionContext:aws:logs:arn`, the log group ARN):
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function hubKeyPolicy(props: HubKeyProps): PolicyDocument {
  if (props.logGroupNames.length === 0) throw new HubKeyPropsError('HubKey: logGroupNames is empty; name the log groups the key encrypts');
  const bad = props.logGroupNames.find((n) => !/^[\w\-/.#]{1,512}$/.test(n));
  if (bad !== undefined) throw new HubKeyPropsError(`HubKey: logGroupNames has ${JSON.stringify(bad)}, not a log group name (1-512 of A-Z a-z 0-9 _ - / . #)`);
  const topicContext = { 'kms:EncryptionContext:aws:sns:topicArn': props.alertTopicArn };
  return policyDocument('resource', [
    {
      Sid: 'AccountAdministersKey',
      Effect: 'Allow',
      Principal: { AWS: accountRootArn(props.accountId) },
      Action: [...KEY_ADMIN_ACTIONS],
      Resource: '*',
    },
    {
      Sid: 'AlertRulesEncryptForAlertTopic',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: topicContext },
    },
    {
      Sid: 'AlarmsEncryptForAlertTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        StringEquals: { ...topicContext, 'aws:SourceAccount': props.accountId },
        ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${props.region}:${props.accountId}:alarm:${PREFIX}-*` },
      },
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
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': [...new Set(props.logGroupNames)].sort().map((n) => logGroupArn(props.region, props.accountId, n)),
        },
      },
    },
  ]);
}

/**
 * The central account's customer managed key for the alert topic and the log groups, `alias/ebs-event-hub`:
 * built like every key of the app (CopyKey: rotated yearly, 30-day deletion window, the same ids
 * `key` and `alias`), with the hub key's policy.
 */
export class HubKey extends CopyKey {
  constructor(scope: Construct, id: string, props: HubKeyProps) {
    super(scope, id, { region: props.region, aliasName: `alias/${PREFIX}`, description: `${PREFIX}: alert topic and log groups`, policy: hubKeyPolicy(props) });
  }
}
