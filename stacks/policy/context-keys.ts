/**
 * The condition keys AWS documents as present in the request context, per caller and API.
 *
 * One table, used by the IAM simulation tests (every simulated request is checked against it, and
 * a test that needs a key the table does not list fails) and by `conditionKeyFindings`, the one
 * check of a policy conditioning a caller's request on a key that caller does not send: the synth
 * guardrail `undocumented-condition-key` runs it on every policy, and `undocumentedConditionKeys`
 * (stricter on missing rows) is what a test runs over the synthesized resource and trust policies.
 *
 * A policy that passes a simulator can still fail in AWS: a simulator decides only on the
 * context it is given. Each row says what AWS sends, with the page that says so.
 */

import { asList, type PolicyKind, principalsOf } from './found-policy';

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
  /**
   * The action carries none of the keys, yet AWS's own policy example puts it in a statement
   * conditioned on them (so a policy following the example is not flagged). @default false
   */
  readonly conditionedInAwsExample?: boolean;
}

// Pages cited by several rows.
const IAM_GLOBAL_KEYS = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html';
const EB_CONDITION_KEYS = 'https://docs.aws.amazon.com/eventbridge/latest/userguide/policy-keys-eventbridge.html';
const EB_RESOURCE_POLICIES = 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html';
const EB_BUS_PERMISSIONS = 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html';
const SAR_EVENTBRIDGE = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html';
const SNS_KEY_MANAGEMENT = 'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services';
const LOGS_KMS = 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html';
const EB_LOGS_SAMPLE = 'https://github.com/aws-samples/serverless-patterns/pull/618';
const SAR_EC2 = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html';
const KMS_CONDITIONS = 'https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html';
const EBS_ENCRYPTION = 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html';
const PRINCIPAL_KEYS = ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalOrgID'] as const;
/** The app's provenance tag on copies (stacks/policy/snapshot-copy-permissions.ts: PROVENANCE_TAG). */
const PROVENANCE_TAG_KEY = 'ebs-event-hub:source-snapshot-id';
/** Keys of every request an IAM role session makes (the role ARN, not the session ARN, is aws:PrincipalArn). */
const ROLE_SESSION_KEYS = ['aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:PrincipalType', 'aws:userid', 'aws:PrincipalIsAWSService'] as const;

/**
 * One row per caller and API that a conditioned statement of this app admits or that a test
 * simulates with a context (a simulation with no context needs no row). A caller may send fewer keys than listed (`aws:PrincipalOrgID` is absent outside an
 * organization); it never sends a key that is not listed.
 */
export const DOCUMENTED_CONTEXT_KEYS: readonly DocumentedContextKeys[] = [
  // EventBridge rules delivering to targets in their own account, as the service principal.
  {
    caller: 'events.amazonaws.com',
    action: 'sns:Publish',
    keys: [],
    docs: [`${EB_RESOURCE_POLICIES}#eb-sns-permissions`, SNS_KEY_MANAGEMENT],
    note:
      'The EventBridge guide: condition blocks in an SNS topic policy for EventBridge are not supported. ' +
      'No aws:SourceArn/aws:SourceAccount is relied on for EventBridge-to-SNS delivery.',
  },
  {
    caller: 'events.amazonaws.com',
    action: 'kms:GenerateDataKey',
    keys: ['kms:EncryptionContext:aws:sns:topicArn'],
    docs: [SNS_KEY_MANAGEMENT, 'https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html'],
    note:
      'SNS guide: aws:SourceAccount, aws:SourceArn and aws:SourceOrgID in the key policy are not supported for ' +
      'EventBridge-to-encrypted topics. SNS encrypts with the encryption context aws:sns:topicArn = the topic ARN.',
  },
  {
    caller: 'events.amazonaws.com',
    action: 'kms:Decrypt',
    keys: ['kms:EncryptionContext:aws:sns:topicArn'],
    docs: [SNS_KEY_MANAGEMENT],
    note: 'As kms:GenerateDataKey.',
  },
  {
    caller: 'events.amazonaws.com',
    action: 'sqs:SendMessage',
    keys: ['aws:SourceArn', 'aws:SourceAccount', 'aws:PrincipalServiceName', 'aws:PrincipalIsAWSService'],
    docs: [
      `${EB_RESOURCE_POLICIES}#eb-sqs-permissions`,
      'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html',
      EB_CONDITION_KEYS,
      `${IAM_GLOBAL_KEYS}#condition-keys-sourcearn`,
      `${IAM_GLOBAL_KEYS}#condition-keys-principalservicename`,
    ],
    note:
      'aws:SourceArn is the ARN of the rule whose target (or dead-letter queue) the queue is. aws:PrincipalArn is not listed ' +
      '(the global keys page lists its values for IAM principals only), so policies here never rely on it being present for a service principal.',
  },
  {
    caller: 'events.amazonaws.com',
    action: 'logs:CreateLogStream',
    keys: [],
    docs: [`${EB_RESOURCE_POLICIES}#eb-cloudwatchlogs-permissions`, EB_LOGS_SAMPLE],
    note: 'AWS documents no condition for the log target; the AWS sample found aws:SourceArn applies only to PutLogEvents.',
  },
  {
    caller: 'events.amazonaws.com',
    action: 'logs:PutLogEvents',
    keys: ['aws:SourceArn'],
    docs: [`${EB_RESOURCE_POLICIES}#eb-cloudwatchlogs-permissions`, EB_LOGS_SAMPLE],
    note: 'aws:SourceArn is the rule ARN (AWS sample: "The conditional ARN for the Rule only applies to logs:PutLogEvents").',
  },
  {
    caller: 'delivery.logs.amazonaws.com',
    action: 'logs:CreateLogStream',
    keys: [],
    docs: [`${EB_RESOURCE_POLICIES}#eb-cloudwatchlogs-permissions`, EB_LOGS_SAMPLE],
    note: 'The second principal of AWS\'s documented log-target policy.',
  },
  {
    caller: 'delivery.logs.amazonaws.com',
    action: 'logs:PutLogEvents',
    keys: ['aws:SourceArn'],
    docs: [`${EB_RESOURCE_POLICIES}#eb-cloudwatchlogs-permissions`, EB_LOGS_SAMPLE],
  },
  {
    caller: 'events.amazonaws.com',
    action: 'sts:AssumeRole',
    keys: ['aws:SourceArn', 'aws:SourceAccount'],
    docs: [EB_CONDITION_KEYS, `${IAM_GLOBAL_KEYS}#condition-keys-sourceaccount`],
    note: 'EventBridge assuming a target role for a rule: aws:SourceArn is the rule, aws:SourceAccount its account.',
  },
  {
    caller: 'sns.amazonaws.com',
    action: 'sqs:SendMessage',
    keys: ['aws:SourceArn'],
    docs: ['https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html'],
    note: 'SNS delivering to a subscribed queue: aws:SourceArn is the topic ARN.',
  },
  // CloudWatch alarms publishing to the alert topic.
  {
    caller: 'cloudwatch.amazonaws.com',
    action: 'sns:Publish',
    keys: ['aws:SourceArn', 'aws:SourceAccount'],
    docs: [SNS_KEY_MANAGEMENT, 'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html'],
    note: 'aws:SourceArn is the alarm ARN, aws:SourceAccount its account (the SNS guide conditions CloudWatch on both).',
  },
  {
    caller: 'cloudwatch.amazonaws.com',
    action: 'kms:GenerateDataKey',
    keys: ['aws:SourceArn', 'aws:SourceAccount', 'kms:EncryptionContext:aws:sns:topicArn'],
    docs: [SNS_KEY_MANAGEMENT],
    note: 'The SNS guide\'s key policy for AWS event sources conditions these on aws:SourceAccount/aws:SourceArn.',
  },
  {
    caller: 'cloudwatch.amazonaws.com',
    action: 'kms:Decrypt',
    keys: ['aws:SourceArn', 'aws:SourceAccount', 'kms:EncryptionContext:aws:sns:topicArn'],
    docs: [SNS_KEY_MANAGEMENT],
  },
  // CloudWatch Logs encrypting log groups under the key.
  ...(['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'] as const).map(
    (action): DocumentedContextKeys => ({
      caller: 'logs.<region>.amazonaws.com',
      action,
      keys: action === 'kms:DescribeKey' ? [] : ['kms:EncryptionContext:aws:logs:arn'],
      ...(action === 'kms:DescribeKey' ? { conditionedInAwsExample: true } : {}),
      docs: [LOGS_KMS],
      note: 'The encryption context aws:logs:arn is the log group ARN (DescribeKey carries no encryption context).',
    }),
  ),
  // A member forwarding rule delivering to the central bus in another account, with its role.
  {
    caller: 'rule-forward',
    action: 'events:PutEvents',
    keys: ['aws:SourceArn', 'events:eventBusInvocation', ...PRINCIPAL_KEYS],
    docs: [
      EB_BUS_PERMISSIONS,
      'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-restrict-rule.html',
      `${EB_CONDITION_KEYS}#events-bus-invocation`,
      SAR_EVENTBRIDGE,
      `${IAM_GLOBAL_KEYS}#condition-keys-principalorgid`,
    ],
    note:
      'aws:SourceArn is the sending rule (the bus-permissions guide: "send events only from a specific rule"); ' +
      'events:eventBusInvocation is true for a cross-account bus invocation; the principal keys are those of the ' +
      'rule\'s role session. No page says events:source/events:detail-type are present for rule delivery.',
  },
  // An IAM role session (a person, a pipeline, a Lambda execution role) calling an API itself.
  {
    caller: 'iam-role-session',
    action: 'events:PutEvents',
    keys: ['events:source', 'events:detail-type', 'events:eventBusInvocation', ...PRINCIPAL_KEYS],
    multiValued: ['events:source', 'events:detail-type'],
    docs: [`${EB_CONDITION_KEYS}#events-limit-access-control`, SAR_EVENTBRIDGE, `${IAM_GLOBAL_KEYS}#condition-keys-principalorgid`],
    note: 'A direct PutEvents call: one source and detail-type per entry (multi-valued keys); eventBusInvocation false; no aws:SourceArn.',
  },
  ...(['events:PutRule', 'events:DeleteEventBus'] as const).map(
    (action): DocumentedContextKeys => ({
      caller: 'iam-role-session',
      action,
      keys: [...PRINCIPAL_KEYS],
      docs: [SAR_EVENTBRIDGE, `${IAM_GLOBAL_KEYS}#condition-keys-principalorgid`],
    }),
  ),
  {
    caller: 'iam-role-session',
    action: 'sts:AssumeRole',
    keys: [...ROLE_SESSION_KEYS, 'aws:PrincipalOrgID', 'aws:ResourceOrgID', 'aws:ResourceAccount'],
    docs: [
      `${IAM_GLOBAL_KEYS}#condition-keys-principalarn`,
      `${IAM_GLOBAL_KEYS}#condition-keys-resourceorgid`,
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html',
    ],
    note:
      'aws:PrincipalArn: a global key "always included in the request context" of a signed request; for a role session it is the ' +
      'role ARN (arn:aws:iam::<account>:role/<name>), not the assumed-role session ARN, so a trust policy can name the central ' +
      'copy roles by ARN under the account principal. aws:ResourceOrgID: the organization of the account owning the role being ' +
      'assumed (present when that account is in an organization).',
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:CreateTags',
    keys: [...ROLE_SESSION_KEYS, 'aws:PrincipalOrgID', 'ec2:Region', 'ec2:CreateAction', 'aws:TagKeys'],
    multiValued: ['aws:TagKeys'],
    docs: ['https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html', SAR_EC2],
    note: 'ec2:CreateAction names the creating API (CopySnapshot) when tags are applied by TagSpecifications; absent for a direct CreateTags call.',
  },
  {
    caller: 'iam-role-session',
    action: 'kms:CreateGrant',
    keys: [...ROLE_SESSION_KEYS, 'aws:PrincipalOrgID', 'kms:ViaService', 'kms:CallerAccount', 'kms:GrantIsForAWSResource', 'kms:ResourceAliases', 'kms:GrantOperations', 'kms:EncryptionContextKeys'],
    multiValued: ['kms:ResourceAliases', 'kms:GrantOperations', 'kms:EncryptionContextKeys'],
    docs: [
      `${KMS_CONDITIONS}#conditions-kms-via-service`,
      `${KMS_CONDITIONS}#conditions-kms-resource-aliases`,
      `${KMS_CONDITIONS}#conditions-kms-grant-is-for-aws-resource`,
      EBS_ENCRYPTION,
    ],
    note: "EC2 calls KMS on the caller's behalf: kms:ViaService is ec2.<region>.amazonaws.com and kms:GrantIsForAWSResource is true when EC2 creates the grant.",
  },
  // The deployment role (deployment.roleName) as Terraform uses it: stacks/policy/deployment-role-policy.ts.
  {
    caller: 'iam-role-session',
    action: 'iam:PassRole',
    keys: ['iam:PassedToService', ...PRINCIPAL_KEYS],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService'],
    note: 'iam:PassedToService is the service principal the role is passed to (events.amazonaws.com for a rule target).',
  },
  {
    caller: 'iam-role-session',
    action: 'kms:PutKeyPolicy',
    keys: ['aws:ResourceTag/ebs-event-hub:stack', ...PRINCIPAL_KEYS],
    docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html', `${IAM_GLOBAL_KEYS}#condition-keys-resourcetag`],
    note: 'aws:ResourceTag/<key> carries the key\'s tags (ABAC for KMS); the deployment role is scoped by the app\'s stack tag.',
  },
  // `npm run verify` reading a user-given copy key's policy (vault mode with snapshotCopy.kmsKeyId).
  {
    caller: 'iam-role-session',
    action: 'kms:GetKeyPolicy',
    keys: ['aws:ResourceTag/ebs-event-hub:stack', ...ROLE_SESSION_KEYS, 'aws:PrincipalOrgID', 'kms:CallerAccount', 'kms:ResourceAliases'],
    multiValued: ['kms:ResourceAliases'],
    docs: [`${KMS_CONDITIONS}#conditions-kms-resource-aliases`, 'https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html'],
    note: 'GetKeyPolicy is a key resource operation: kms:ResourceAliases carries the aliases of the key it reads.',
  },
  {
    caller: 'iam-role-session',
    action: 'kms:DescribeKey',
    keys: ['aws:ResourceTag/ebs-event-hub:stack', ...ROLE_SESSION_KEYS, 'aws:PrincipalOrgID', 'kms:ViaService', 'kms:CallerAccount', 'kms:ResourceAliases'],
    multiValued: ['kms:ResourceAliases'],
    docs: [
      'https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html',
      `${IAM_GLOBAL_KEYS}#condition-keys-resourcetag`,
      `${KMS_CONDITIONS}#conditions-kms-via-service`,
      EBS_ENCRYPTION,
    ],
    note:
      'aws:ResourceTag/<key> carries the key\'s tags (ABAC for KMS); the deployment role is scoped by the app\'s stack tag. ' +
      'The copy path\'s roles call it through EC2 (kms:ViaService).',
  },
  {
    caller: 'iam-role-session',
    action: 'kms:CreateKey',
    keys: ['aws:TagKeys', 'aws:RequestTag/ebs-event-hub:stack', ...PRINCIPAL_KEYS],
    multiValued: ['aws:TagKeys'],
    docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html', `${IAM_GLOBAL_KEYS}#condition-keys-tagkeys`],
    note: 'CreateKey with Tags: aws:TagKeys lists the tag keys of the request.',
  },
  {
    caller: 'lambda.amazonaws.com',
    action: 'sts:AssumeRole',
    keys: ['aws:SourceAccount'],
    docs: [`${IAM_GLOBAL_KEYS}#condition-keys-sourceaccount`, 'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html'],
    note: 'Lambda assuming an execution role for a function of the account.',
  },
  // The snapshot-copy workflow's callers (SQS, Step Functions, Lambda, STS, EC2, KMS through EC2).
  ...(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:PurgeQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes'] as const).map(
    (action): DocumentedContextKeys => ({
      caller: 'iam-role-session',
      action,
      keys: [...ROLE_SESSION_KEYS],
      docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html'],
      note: 'A role session (a Lambda execution role polling through an event source mapping included): aws:PrincipalArn is the role ARN, not the session ARN; no aws:SourceArn.',
    }),
  ),
  {
    caller: 'iam-role-session',
    action: 'states:StartExecution',
    keys: [...ROLE_SESSION_KEYS],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'states:DescribeExecution',
    keys: [...ROLE_SESSION_KEYS],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html'],
    note: 'The copy step function asking whether a copy-slot holder still runs (resource type execution; no service-specific condition keys).',
  },
  {
    caller: 'iam-role-session',
    action: 'lambda:InvokeFunction',
    keys: [...ROLE_SESSION_KEYS],
    docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html'],
    note: "Step Functions invokes task functions with the state machine role's session.",
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:DescribeSnapshots',
    keys: [...ROLE_SESSION_KEYS, 'ec2:Region'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html'],
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:CopySnapshot',
    keys: [
      ...ROLE_SESSION_KEYS,
      'ec2:Region',
      'ec2:Encrypted',
      'ec2:SnapshotTime',
      'ec2:VolumeSize',
      'ec2:OutpostArn',
      'aws:TagKeys',
      // Vault mode (stacks/policy/vault-permissions.ts): the owner of the source snapshot, and the
      // tags the copy is created with.
      'ec2:Owner',
      'ec2:SnapshotID',
      `aws:RequestTag/${PROVENANCE_TAG_KEY}`,
    ],
    multiValued: ['aws:TagKeys'],
    docs: [
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
      'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html',
    ],
    note:
      'The Service Authorization Reference lists, for the snapshot resource of CopySnapshot, aws:RequestTag/${TagKey}, aws:TagKeys, ' +
      'ec2:Encrypted, ec2:OutpostArn, ec2:Owner, ec2:ParentSnapshot, ec2:ParentVolume, ec2:ProductCode, ec2:SnapshotID, ec2:SnapshotTime, ' +
      'ec2:VolumeSize, and says the action\'s resource-level permissions "apply to both the snapshot copy and the source snapshot": ' +
      'ec2:Owner is the source snapshot\'s owner; aws:RequestTag the tags of TagSpecifications.',
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:DeleteSnapshot',
    keys: [...ROLE_SESSION_KEYS, 'ec2:Region', 'aws:ResourceTag/ebs-event-hub:source-snapshot-id', 'aws:ResourceTag/ebs-event-hub:expires-at', 'ec2:Encrypted', 'ec2:SnapshotTime', 'ec2:VolumeSize', 'ec2:Owner'],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html', 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/control-access-with-tags.html'],
    note: 'aws:ResourceTag/<key> is present for each tag the snapshot has, absent for a tag it lacks.',
  },
  ...(['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'] as const).map(
    (action): DocumentedContextKeys => ({
      caller: 'iam-role-session',
      action,
      keys: [...ROLE_SESSION_KEYS, 'kms:ViaService', 'kms:CallerAccount', 'kms:ResourceAliases'],
      multiValued: ['kms:ResourceAliases'],
      docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service', 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html'],
    }),
  ),
  // Vault mode: a member shares its copy with the vault account (createVolumePermission), and the
  // vault role locks its copies.
  {
    caller: 'iam-role-session',
    action: 'ec2:ModifySnapshotAttribute',
    keys: [
      ...ROLE_SESSION_KEYS,
      'ec2:Region',
      'ec2:Owner',
      'ec2:Add/userId',
      'ec2:Add/group',
      'ec2:Remove/userId',
      'ec2:Remove/group',
      'ec2:Attribute',
      'aws:ResourceTag/ebs-event-hub:source-snapshot-id',
      'aws:ResourceTag/ebs-event-hub:expires-at',
    ],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html'],
    note:
      'The Service Authorization Reference lists ec2:Add/userId ("the account id being added to a snapshot"), ec2:Add/group, ' +
      'ec2:Remove/userId, ec2:Remove/group and ec2:Attribute for ModifySnapshotAttribute: a request adding a group (all: public) ' +
      'carries ec2:Add/group, not ec2:Add/userId.',
  },
  {
    caller: 'iam-role-session',
    action: 'ec2:LockSnapshot',
    keys: [
      ...ROLE_SESSION_KEYS,
      'ec2:Region',
      'ec2:Owner',
      'ec2:SnapshotLockDuration',
      'ec2:SnapshotCoolOffPeriod',
      'ec2:Encrypted',
      'ec2:SnapshotTime',
      'ec2:VolumeSize',
      'aws:ResourceTag/ebs-event-hub:source-snapshot-id',
      'aws:ResourceTag/ebs-event-hub:expires-at',
    ],
    docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html', 'https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-iam.html'],
    note: 'ec2:SnapshotLockDuration (days) "to restrict users to specific lock durations"; ec2:SnapshotCoolOffPeriod (hours) for compliance mode.',
  },
  ...(['ec2:ResetSnapshotAttribute', 'ec2:DeleteTags', 'ec2:ModifySnapshotTier'] as const).map(
    (action): DocumentedContextKeys => ({
      caller: 'iam-role-session',
      action,
      keys: [...ROLE_SESSION_KEYS, 'ec2:Region', 'aws:ResourceTag/ebs-event-hub:source-snapshot-id', 'aws:ResourceTag/ebs-event-hub:expires-at'],
      docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html'],
      note: 'Listed so the tests can prove the member role may NOT call it.',
    }),
  ),
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

/** A context key the table does not document for that caller and API, or no row at all. */
export class UndocumentedContextKeyError extends Error {
  override readonly name = 'UndocumentedContextKeyError';
}

/**
 * The request context of `caller` calling `action` with `values`, checked against the table:
 * every key must be one AWS documents as sent for that caller and API (case-insensitive, as
 * condition keys are). An empty context needs no row.
 */
export function documentedContext<V>(caller: Caller, action: string, values: Readonly<Record<string, V>>): Record<string, V> {
  const keys = Object.keys(values);
  if (keys.length === 0) return {};
  const row = documentedKeys(caller, action);
  if (!row) {
    throw new UndocumentedContextKeyError(
      `no row in DOCUMENTED_CONTEXT_KEYS for ${callerForm(caller)} calling ${action}; add one with the page that documents its keys before simulating with ${keys.join(', ')}`,
    );
  }
  const documented = new Set(row.keys.map((k) => k.toLowerCase()));
  const extra = keys.filter((k) => !documented.has(k.toLowerCase()));
  if (extra.length > 0) {
    throw new UndocumentedContextKeyError(
      `${callerForm(caller)} calling ${action}: AWS does not document ${extra.join(', ')} as sent (documented: ${row.keys.join(', ') || 'none'}; ${row.docs[0]})`,
    );
  }
  return { ...values };
}

/**
 * Keys that mark a request an AWS service makes on the principal's behalf (EC2 calling KMS with
 * the role's credentials during CopySnapshot): the table's rows describe direct calls, so identity
 * statements conditioned on them are not checked against the rows.
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-calledvia
 */
export const VIA_SERVICE_KEYS = ['kms:ViaService', 'aws:CalledVia', 'aws:CalledViaFirst', 'aws:CalledViaLast', 'aws:ViaAWSService'];

/** Whether `key` is among the documented `keys` (a row key ending in `/`, `:` or `*` is a prefix). */
export function keyDocumented(key: string, keys: readonly string[]): boolean {
  const k = key.toLowerCase();
  return keys.some((documented) => {
    const d = documented.toLowerCase();
    return /[/:*]$/.test(d) ? k.startsWith(d.replace(/\*$/, '')) : k === d;
  });
}

/** A policy statement as far as the check below needs it (any shape AWS accepts). */
export interface ConditionedStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly Action?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * Who makes the requests a statement admits, in the form of the table. A `"*"` or AWS-account
 * principal may be any of several callers (a role session, or EventBridge delivering with a rule's
 * role, which is a role of that account): a key is then flagged only when none of them sends it
 * (`anyOf`). Named service principals are each a caller the statement must work for: a key one of
 * them does not send makes the grant fail closed for that one, so each is checked.
 */
export function callersOf(kind: PolicyKind, statement: Pick<ConditionedStatement, 'Principal'>): { callers: Caller[]; anyOf: boolean } {
  if (kind === 'identity') return { callers: ['iam-role-session'], anyOf: false };
  const principals = principalsOf(statement.Principal);
  const services = principals.filter((p) => p.startsWith('Service:')).map((p) => callerForm(p.slice('Service:'.length)));
  if (principals.some((p) => p === '*' || p.startsWith('AWS:'))) return { callers: [...services, 'iam-role-session', 'rule-forward'], anyOf: true };
  return { callers: services, anyOf: false };
}

/** One finding of `conditionKeyFindings`. */
export type ConditionKeyFinding =
  | { readonly problem: 'no-row'; readonly index: number; readonly statement: ConditionedStatement; readonly action: string; readonly callers: readonly Caller[] }
  | {
      readonly problem: 'not-sent';
      readonly index: number;
      readonly statement: ConditionedStatement;
      readonly action: string;
      readonly callers: readonly Caller[];
      readonly key: string;
      /** The rows of the admitted callers that do not document `key`. */
      readonly rows: readonly DocumentedContextKeys[];
    };

/**
 * The one check of "a condition key the caller does not send", used by the synth guardrail
 * (`undocumented-condition-key`) and by the test over the synthesized policies
 * (`undocumentedConditionKeys`). For each conditioned Allow statement and action: `no-row` when no
 * admitted caller has a row, `not-sent` for a key no admitted caller's row documents (anyOf) or,
 * for named callers, for each row that does not document it.
 *
 * Skipped:
 * - Deny statements: a Deny conditioned on a key a caller does not send (with a negated operator,
 *   `ArnNotEquals aws:SourceArn`) is meant to apply to that caller: an absent key makes a negated
 *   operator true. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * - identity statements on requests a service makes on the role's behalf (VIA_SERVICE_KEYS);
 * - rows marked `conditionedInAwsExample` (AWS's own example conditions that action on keys it
 *   does not carry: a policy following the example is not flagged).
 */
export function conditionKeyFindings(kind: PolicyKind, statements: readonly ConditionedStatement[], table: readonly DocumentedContextKeys[] = DOCUMENTED_CONTEXT_KEYS): ConditionKeyFinding[] {
  const findings: ConditionKeyFinding[] = [];
  statements.forEach((statement, index) => {
    if (statement.Effect !== 'Allow') return;
    const keys = Object.values(statement.Condition ?? {}).flatMap((byKey) => Object.keys(byKey ?? {}));
    if (keys.length === 0) return;
    if (kind === 'identity' && keys.some((key) => VIA_SERVICE_KEYS.some((v) => v.toLowerCase() === key.toLowerCase()))) return;
    const { callers, anyOf } = callersOf(kind, statement);
    if (callers.length === 0) return;
    for (const action of asList(statement.Action)) {
      const found = callers.map((caller) => table.find((r) => r.caller === caller && r.action === action)).filter((r): r is DocumentedContextKeys => r !== undefined);
      if (found.length === 0) {
        findings.push({ problem: 'no-row', index, statement, action, callers });
        continue;
      }
      const rows = found.filter((r) => !r.conditionedInAwsExample);
      if (rows.length === 0) continue;
      for (const key of keys) {
        const missing = rows.filter((row) => !keyDocumented(key, row.keys));
        if (anyOf ? missing.length < rows.length : missing.length === 0) continue;
        findings.push({ problem: 'not-sent', index, statement, action, callers, key, rows: missing });
      }
    }
  });
  return findings;
}

/**
 * Problems of a resource or trust policy (statements without a principal, a role's own, are
 * skipped: their caller is the role, whose keys the simulations check): a conditioned Allow on a
 * key its callers are not documented to send (such a grant can fail closed on every real request,
 * silently), or a conditioned Allow whose callers and action have no row. Stricter than the
 * guardrail, which skips a missing row (it sees identity policies too, and does not guess rows):
 * the app's own resource and trust policies must all have theirs.
 */
export function undocumentedConditionKeys(statements: readonly ConditionedStatement[]): string[] {
  const admitted = statements.filter((s) => s.Principal !== undefined);
  return conditionKeyFindings('resource', admitted).map((f) =>
    f.problem === 'no-row'
      ? `${f.statement.Sid}: no row for ${f.callers.join(' or ')} calling ${f.action}`
      : `${f.statement.Sid}: ${f.key} is not documented as sent by ${f.callers.join(' or ')} calling ${f.action}`,
  );
}
