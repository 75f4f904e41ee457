/**
 * The condition keys AWS documents as present in the request context, per caller and API.
 *
 * One table, used by the IAM simulation tests (every simulated request is built from it, and a
 * test that needs a key the table does not list fails) and by the synth guardrail that rejects a
 * policy conditioning a caller's request on a key that caller does not send.
 *
 * A policy that passes a simulator can still fail in AWS: a simulator decides only on the
 * context it is given. Each row says what AWS sends, with the page that says so.
 */

/**
 * Who makes the request:
 * - a service principal, as it appears in a policy (`events.amazonaws.com`,
 *   `logs.eu-west-1.amazonaws.com` is written `logs.<region>.amazonaws.com`);
 * - `iam-role-session`: an IAM role session (a role assumed with `sts:AssumeRole`, including a
 *   role a service assumes on the app's behalf, such as a Lambda execution role);
 * - `rule-forward`: EventBridge delivering to a target event bus in another account, with the
 *   rule's role.
 */
export type Caller = string;

export interface DocumentedContextKeys {
  readonly caller: Caller;
  /** `service:Action` */
  readonly action: string;
  /** Condition keys AWS documents as present for this caller and API. */
  readonly keys: readonly string[];
  /** Keys with one value per request element (for `ForAllValues:`/`ForAnyValue:`). */
  readonly multiValued?: readonly string[];
  /** The page(s) that say so. */
  readonly docs: readonly string[];
  /** What the page says, briefly, when it is not obvious. */
  readonly note?: string;
}

/** Rows: add one per caller and API a policy of this app admits, with its source. */
export const DOCUMENTED_CONTEXT_KEYS: readonly DocumentedContextKeys[] = [
  // --- snapshot-copy path (i7-infra) ---
  {
    caller: 'events.amazonaws.com',
    action: 'sqs:SendMessage',
    keys: ['aws:SourceArn', 'aws:SourceAccount', 'aws:PrincipalServiceName', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions', 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn', 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalservicename'],
    note: 'A rule delivering to its SQS target: aws:SourceArn is the rule ARN. aws:PrincipalArn is not listed (the global keys page lists its values for IAM principals only), so policies here never rely on it being present for a service principal.',
  },
  {
    caller: 'iam-role-session',
    action: 'sqs:SendMessage',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html'],
    note: 'A role session (a Lambda execution role polling through an event source mapping included): aws:PrincipalArn is the role ARN, not the session ARN; no aws:SourceArn.',
  },
  {
    caller: 'iam-role-session',
    action: 'sqs:ReceiveMessage',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html'],
    note: 'A role session (a Lambda execution role polling through an event source mapping included): aws:PrincipalArn is the role ARN, not the session ARN; no aws:SourceArn.',
  },
  {
    caller: 'iam-role-session',
    action: 'sqs:DeleteMessage',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html'],
    note: 'A role session (a Lambda execution role polling through an event source mapping included): aws:PrincipalArn is the role ARN, not the session ARN; no aws:SourceArn.',
  },
  {
    caller: 'iam-role-session',
    action: 'sqs:ChangeMessageVisibility',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html'],
    note: 'A role session (a Lambda execution role polling through an event source mapping included): aws:PrincipalArn is the role ARN, not the session ARN; no aws:SourceArn.',
  },
  {
    caller: 'iam-role-session',
    action: 'sqs:PurgeQueue',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html'],
    note: 'A role session (a Lambda execution role polling through an event source mapping included): aws:PrincipalArn is the role ARN, not the session ARN; no aws:SourceArn.',
  },
  {
    caller: 'iam-role-session',
    action: 'sqs:GetQueueAttributes',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html'],
    note: 'A role session (a Lambda execution role polling through an event source mapping included): aws:PrincipalArn is the role ARN, not the session ARN; no aws:SourceArn.',
  },
  {
    caller: 'iam-role-session',
    action: 'sqs:SetQueueAttributes',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html'],
    note: 'A role session (a Lambda execution role polling through an event source mapping included): aws:PrincipalArn is the role ARN, not the session ARN; no aws:SourceArn.',
  },
  {
    caller: 'iam-role-session',
    action: 'states:StartExecution',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'lambda:InvokeFunction',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html'],
    note: "Step Functions invokes task functions with the state machine role's session.",
  },
  {
    caller: 'iam-role-session',
    action: 'sts:AssumeRole',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'aws:ResourceOrgID', 'aws:ResourceAccount'],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html'],
    note: 'aws:ResourceOrgID: the organization of the account owning the role being assumed (present when that account is in an organization).',
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:DescribeSnapshots',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'ec2:Region'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:CopySnapshot',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'ec2:Region', 'ec2:Encrypted', 'ec2:SnapshotTime', 'ec2:VolumeSize', 'ec2:OutpostArn', 'aws:TagKeys'],
    multiValued: ['aws:TagKeys'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html', 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:CreateTags',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'ec2:Region', 'ec2:CreateAction', 'aws:TagKeys'],
    multiValued: ['aws:TagKeys'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html', 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html'],
    note: 'ec2:CreateAction names the creating API (CopySnapshot) when tags are applied by TagSpecifications; absent for a direct CreateTags call.',
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:DeleteSnapshot',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'ec2:Region', 'aws:ResourceTag/ebs-event-hub:source-snapshot-id', 'aws:ResourceTag/ebs-event-hub:expires-at', 'ec2:Encrypted', 'ec2:SnapshotTime', 'ec2:VolumeSize'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html', 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/control-access-with-tags.html'],
    note: 'aws:ResourceTag/<key> is present for each tag the snapshot has, absent for a tag it lacks.',
  },
  {
    caller: 'iam-role-session',
    action: 'kms:CreateGrant',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'kms:ViaService', 'kms:CallerAccount', 'kms:GrantIsForAWSResource', 'kms:ResourceAliases', 'kms:GrantOperations', 'kms:EncryptionContextKeys'],
    multiValued: ['kms:ResourceAliases', 'kms:GrantOperations', 'kms:EncryptionContextKeys'],
    docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service', 'https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource', 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html'],
    note: "EC2 calls KMS on the caller's behalf: kms:ViaService is ec2.<region>.amazonaws.com and kms:GrantIsForAWSResource is true when EC2 creates the grant.",
  },
  {
    caller: 'iam-role-session',
    action: 'kms:Decrypt',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'kms:ViaService', 'kms:CallerAccount', 'kms:ResourceAliases'],
    multiValued: ['kms:ResourceAliases'],
    docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service', 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'kms:DescribeKey',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'kms:ViaService', 'kms:CallerAccount', 'kms:ResourceAliases'],
    multiValued: ['kms:ResourceAliases'],
    docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service', 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'kms:GenerateDataKeyWithoutPlaintext',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'kms:ViaService', 'kms:CallerAccount', 'kms:ResourceAliases'],
    multiValued: ['kms:ResourceAliases'],
    docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service', 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'kms:ReEncryptFrom',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'kms:ViaService', 'kms:CallerAccount', 'kms:ResourceAliases'],
    multiValued: ['kms:ResourceAliases'],
    docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service', 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'kms:ReEncryptTo',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'kms:ViaService', 'kms:CallerAccount', 'kms:ResourceAliases'],
    multiValued: ['kms:ResourceAliases'],
    docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service', 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:ModifySnapshotAttribute',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'ec2:Region', 'aws:ResourceTag/ebs-event-hub:source-snapshot-id', 'aws:ResourceTag/ebs-event-hub:expires-at'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html'],
    note: 'Listed so the tests can prove the member role may NOT call it.',
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:ResetSnapshotAttribute',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'ec2:Region', 'aws:ResourceTag/ebs-event-hub:source-snapshot-id', 'aws:ResourceTag/ebs-event-hub:expires-at'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html'],
    note: 'Listed so the tests can prove the member role may NOT call it.',
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:DeleteTags',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'ec2:Region', 'aws:ResourceTag/ebs-event-hub:source-snapshot-id', 'aws:ResourceTag/ebs-event-hub:expires-at'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html'],
    note: 'Listed so the tests can prove the member role may NOT call it.',
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:ModifySnapshotTier',
    keys: ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService', 'ec2:Region', 'aws:ResourceTag/ebs-event-hub:source-snapshot-id', 'aws:ResourceTag/ebs-event-hub:expires-at'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html'],
    note: 'Listed so the tests can prove the member role may NOT call it.',
  },
  {
    caller: 'states.amazonaws.com',
    action: 'sts:AssumeRole',
    keys: ['aws:SourceAccount', 'aws:SourceArn'],
    docs: ['https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html', 'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html'],
    note: 'Step Functions assuming a state machine role: aws:SourceArn is the state machine ARN, aws:SourceAccount its account (cross-service confused deputy prevention).',
  },
];

/** Normalizes a regional service principal (`logs.eu-west-1.amazonaws.com`) to its table form. */
export const callerForm = (caller: Caller): Caller => caller.replace(/^([a-z0-9-]+)\.[a-z]{2}(-gov)?-[a-z]+-\d\.amazonaws\.com$/, '$1.<region>.amazonaws.com');

/** The row for `caller` calling `action`, or undefined when the table has none. */
export function documentedKeys(caller: Caller, action: string): DocumentedContextKeys | undefined {
  const form = callerForm(caller);
  return DOCUMENTED_CONTEXT_KEYS.find((row) => row.caller === form && row.action === action);
}
