/**
 * The least-privilege alternative to `OrganizationAccountAccessRole` (an administrator in every
 * member account): the policy of a deployment role (`deployment.roleName`) that covers exactly
 * the AWS services and name prefixes this app manages, one for the central account and one for
 * member accounts. `npm run deployment-policy` writes them as JSON files a user can apply.
 *
 * Built from one table, resource type -> the API actions Terraform (hashicorp/aws 6.25) calls to
 * create, read, update, delete and tag it, each with the ARNs this app's names allow. A test checks
 * that every resource type the synthesized stacks contain has a row, and that every ARN is within
 * the app's names. Actions AWS does not scope to a resource (the Service Authorization Reference
 * lists no resource type for them) are granted on `*`, and only those.
 */
import type { OrgConfig } from '../../config/schema';
import {
  busArn,
  CENTRAL_STACK_ID,
  COPY_STATE_MACHINE_NAME,
  FORWARDER_ROLE_NAME,
  lambdaArn,
  logGroupArn,
  MEMBER_COPY_KEY_ALIAS,
  memberStackId,
  PREFIX,
  queueArn,
  roleArn,
  ruleArn,
  STACK_TAG_KEY,
  stateMachineArn,
  topicArn,
  VAULT_KEY_ALIAS,
  vaultStackId,
} from '../names';
import { POLICY_LIMITS } from './policy-limits';
import { LOG_DELIVERY_ACTIONS, policyDocument, renderPolicy, type Conditions, type PolicyDocument, type Statement } from './policy';

/** The central account, every member account, and (vault mode) the vault account. */
export type DeploymentTarget = 'central' | 'member' | 'vault';

/** What the ARNs of one target are built from. */
export interface DeploymentScope {
  readonly target: DeploymentTarget;
  /**
   * The account in ARNs: the central account, or `*` for members, so one document serves every
   * member. (A policy variable such as `${aws:PrincipalAccount}` is not allowed there: IAM resolves
   * variables only in the resource part of an ARN, after the fifth colon:
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-wheretouse)
   * The role acts in its own account: another account's resources would need a resource policy
   * admitting it, and none of this app's does for these actions.
   */
  readonly account: string;
  /** The central region, or `*` for members (each member lists its own regions). */
  readonly region: string;
  readonly busName: string;
  /** Role names this target creates (besides the `ebs-event-hub-` prefix): `snapshotCopy.memberRoleName`. */
  readonly extraRoleNames: readonly string[];
}

/** The scope of a target, from the org config. */
export function deploymentScope(config: OrgConfig, target: DeploymentTarget): DeploymentScope {
  const unprefixed = (names: readonly (string | undefined)[]): string[] => names.filter((n): n is string => n !== undefined && !n.startsWith(`${PREFIX}-`));
  // Every stack creates the plan role when the config names the principals it trusts.
  const planRole = config.deployment.planPrincipalArns ? config.deployment.planRoleName : undefined;
  if (target === 'vault') {
    const vault = config.snapshotCopy?.vault;
    if (!vault) throw new Error('deploymentScope: the vault target needs snapshotCopy.vault in the config');
    // One account, its keys in every copy destination region (each member lists its own: `*` here too).
    return { target, account: vault.accountId, region: '*', busName: config.central.busName, extraRoleNames: unprefixed([planRole]) };
  }
  return target === 'central'
    ? { target, account: config.central.accountId, region: config.central.region, busName: config.central.busName, extraRoleNames: unprefixed([planRole]) }
    : { target, account: '*', region: '*', busName: config.central.busName, extraRoleNames: unprefixed([config.snapshotCopy?.memberRoleName, planRole]) };
}

/** One grant: actions on resources, optionally conditioned. */
export interface Grant {
  readonly actions: readonly string[];
  /**
   * Of `actions`, those the provider calls to read the resource (refresh, before every plan): the
   * read-only plan role's policy is these, on the same resources under the same condition.
   * @default - none: the grant only creates, changes or deletes
   */
  readonly read?: readonly string[];
  /**
   * ARNs (within the app's names), or `['*']` for actions AWS does not scope to a resource; none
   * when the grant does not apply to the target.
   */
  readonly resources: (scope: DeploymentScope) => readonly string[];
  readonly condition?: (scope: DeploymentScope) => Conditions;
}

export interface TerraformResourcePermissions {
  /** Terraform resource type, e.g. `aws_sqs_queue`. */
  readonly type: string;
  readonly grants: readonly Grant[];
  /** The provider's page for the resource (what it manages) and AWS's API/authorization pages. */
  readonly docs: readonly string[];
}

const REGISTRY = 'https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources';
/** The provider's v6.25.0 Go declarations, one file per function (read where a row was checked against the source). */
const PROVIDER_INDEX = 'https://github.com/lonegunmanb/terraform-provider-aws-index/blob/v6.25.0/index/internal';
const PROVIDER_SOURCE = `${PROVIDER_INDEX}/service`;
const SAR = 'https://docs.aws.amazon.com/service-authorization/latest/reference';
const ANY = (): readonly string[] => ['*'];

// ARNs within the app's names (stacks/names.ts builds them; `arn` for the kinds it has no helper for).
const arn = (service: string, s: DeploymentScope, rest: string): string => `arn:aws:${service}:${s.region}:${s.account}:${rest}`;
const prefixed = `${PREFIX}-*`;
const rules = (s: DeploymentScope): string[] => [ruleArn(s.region, s.account, prefixed, s.target === 'central' ? s.busName : 'default')];
const queues = (s: DeploymentScope): string[] => [queueArn(s.region, s.account, prefixed)];
const topics = (s: DeploymentScope): string[] => [topicArn(s.region, s.account, prefixed)];
const alarms = (s: DeploymentScope): string[] => [arn('cloudwatch', s, `alarm:${prefixed}`)];
const roles = (s: DeploymentScope): string[] => [prefixed, ...s.extraRoleNames].map((name) => roleArn(s.account, name));
/**
 * Log groups under `/aws/events/<bus>/` (the audit log), and the app's Lambda and Step Functions log
 * groups. A trailing `*` also matches the `…:*` form of a log group ARN (IAM's `*` spans colons).
 */
const logGroups = (s: DeploymentScope): string[] =>
  [`/aws/events/${s.busName}/*`, `/aws/lambda/${prefixed}`, `/aws/vendedlogs/states/${prefixed}`].map((name) => logGroupArn(s.region, s.account, name));
const functions = (s: DeploymentScope): string[] => [lambdaArn(s.region, s.account, prefixed)];
/** Key ids are generated: keys are scoped by the app's stack tag instead (set at creation by the provider's default tags). */
const keys = (s: DeploymentScope): string[] => [arn('kms', s, 'key/*')];
const taggedByApp = (s: DeploymentScope): Conditions => ({
  StringLike: { [`aws:ResourceTag/${STACK_TAG_KEY}`]: s.target === 'vault' ? [vaultStackId(s.account)] : [CENTRAL_STACK_ID, memberStackId('*')] },
});
/** The alias of the keys each target creates: the hub key, the member copy keys (vault mode), the vault keys. */
const keyAlias = (s: DeploymentScope): string => ({ central: `alias/${PREFIX}`, member: MEMBER_COPY_KEY_ALIAS, vault: VAULT_KEY_ALIAS })[s.target];
const role = (s: DeploymentScope, name: string): string => roleArn(s.account, name);

/**
 * resource type -> what Terraform calls. Tagging actions are included for every taggable type:
 * the provider's `default_tags` tag every resource (https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs#default_tags).
 */
export const TERRAFORM_RESOURCE_PERMISSIONS: readonly TerraformResourcePermissions[] = [
  {
    type: 'aws_cloudwatch_event_bus',
    grants: [
      {
        actions: ['events:CreateEventBus', 'events:DescribeEventBus', 'events:UpdateEventBus', 'events:DeleteEventBus', 'events:TagResource', 'events:UntagResource', 'events:ListTagsForResource'],
        read: ['events:DescribeEventBus', 'events:ListTagsForResource'],
        resources: (s) => [busArn(s.region, s.account, s.busName)],
      },
    ],
    // Read: DescribeEventBus (findEventBusByName); tags: ListTagsForResource (listTags, the provider's transparent tagging).
    docs: [`${REGISTRY}/cloudwatch_event_bus`, `${SAR}/list_amazoneventbridge.html`, `${PROVIDER_SOURCE}/events/func.resourceBusRead.goindex`, `${PROVIDER_SOURCE}/events/func.listTags.goindex`],
  },
  {
    type: 'aws_cloudwatch_event_bus_policy',
    grants: [
      { actions: ['events:DescribeEventBus'], read: ['events:DescribeEventBus'], resources: (s) => [busArn(s.region, s.account, s.busName)] },
      // PutPermission/RemovePermission have no resource type in the Service Authorization Reference.
      { actions: ['events:PutPermission', 'events:RemovePermission'], resources: ANY },
    ],
    docs: [`${REGISTRY}/cloudwatch_event_bus_policy`, `${SAR}/list_amazoneventbridge.html`, `${PROVIDER_SOURCE}/events/func.resourceBusPolicyRead.goindex`],
  },
  {
    type: 'aws_cloudwatch_event_rule',
    grants: [
      {
        actions: ['events:PutRule', 'events:DescribeRule', 'events:DeleteRule', 'events:EnableRule', 'events:DisableRule', 'events:ListTargetsByRule', 'events:TagResource', 'events:UntagResource', 'events:ListTagsForResource'],
        read: ['events:DescribeRule', 'events:ListTagsForResource'],
        resources: rules,
      },
    ],
    docs: [`${REGISTRY}/cloudwatch_event_rule`, `${SAR}/list_amazoneventbridge.html`, `${PROVIDER_SOURCE}/events/func.resourceRuleRead.goindex`],
  },
  {
    type: 'aws_cloudwatch_event_target',
    grants: [
      { actions: ['events:PutTargets', 'events:RemoveTargets', 'events:ListTargetsByRule'], read: ['events:ListTargetsByRule'], resources: rules },
      // A target with a role: a bus in another account (members: the forwarder role) or a state machine (central).
      {
        actions: ['iam:PassRole'],
        // Central: the sweep schedule's rule targets the sweep state machine with the app's role.
        resources: (s) => (s.target === 'member' ? [role(s, FORWARDER_ROLE_NAME)] : [role(s, prefixed)]),
        condition: () => ({ StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } }),
      },
    ],
    docs: [`${REGISTRY}/cloudwatch_event_target`, 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html', `${PROVIDER_SOURCE}/events/func.resourceTargetRead.goindex`],
  },
  {
    type: 'aws_cloudwatch_event_archive',
    grants: [
      {
        actions: ['events:CreateArchive', 'events:DescribeArchive', 'events:UpdateArchive', 'events:DeleteArchive'],
        read: ['events:DescribeArchive'],
        resources: (s) => [arn('events', s, `archive/${prefixed}`), busArn(s.region, s.account, s.busName)],
      },
    ],
    docs: [`${REGISTRY}/cloudwatch_event_archive`, `${SAR}/list_amazoneventbridge.html`, `${PROVIDER_SOURCE}/events/func.resourceArchiveRead.goindex`],
  },
  {
    type: 'aws_cloudwatch_log_group',
    grants: [
      {
        actions: ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:AssociateKmsKey', 'logs:DisassociateKmsKey', 'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource'],
        read: ['logs:ListTagsForResource'],
        resources: logGroups,
      },
      { actions: ['logs:DescribeLogGroups'], read: ['logs:DescribeLogGroups'], resources: ANY },
    ],
    // Read: DescribeLogGroups (listLogGroups), then tags.
    docs: [`${REGISTRY}/cloudwatch_log_group`, `${SAR}/list_amazoncloudwatchlogs.html`, `${PROVIDER_SOURCE}/logs/func.resourceGroupRead.goindex`],
  },
  {
    type: 'aws_cloudwatch_log_resource_policy',
    grants: [{ actions: ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DeleteResourcePolicy'], read: ['logs:DescribeResourcePolicies'], resources: ANY }],
    docs: [`${REGISTRY}/cloudwatch_log_resource_policy`, `${SAR}/list_amazoncloudwatchlogs.html`, `${PROVIDER_SOURCE}/logs/func.resourceResourcePolicyRead.goindex`],
  },
  {
    type: 'aws_cloudwatch_metric_alarm',
    grants: [
      {
        actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms', 'cloudwatch:TagResource', 'cloudwatch:UntagResource', 'cloudwatch:ListTagsForResource'],
        read: ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'],
        resources: alarms,
      },
    ],
    docs: [`${REGISTRY}/cloudwatch_metric_alarm`, `${SAR}/list_amazoncloudwatch.html`, `${PROVIDER_SOURCE}/cloudwatch/func.resourceMetricAlarmRead.goindex`],
  },
  {
    type: 'aws_kms_key',
    grants: [
      // CreateKey has no resource; the provider sends the default tags with it, so require the app's stack tag.
      { actions: ['kms:CreateKey'], resources: ANY, condition: () => ({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': [STACK_TAG_KEY] } }) },
      // Tagging at creation needs kms:TagResource on every key of the account and region ("at a minimum,
      // the permission must cover all KMS keys in the account and Region"):
      // https://docs.aws.amazon.com/kms/latest/developerguide/manage-tags-api.html
      // Limited to requests that carry the app's stack tag. (A holder of this role could put that tag
      // on another key whose key policy delegates to IAM, and then manage it: see README.)
      { actions: ['kms:TagResource'], resources: keys, condition: () => ({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': [STACK_TAG_KEY] } }) },
      {
        actions: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:EnableKeyRotation', 'kms:DisableKeyRotation', 'kms:ListResourceTags', 'kms:TagResource', 'kms:UntagResource', 'kms:UpdateKeyDescription', 'kms:ScheduleKeyDeletion'],
        read: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags'],
        resources: keys,
        condition: taggedByApp,
      },
    ],
    // Read: DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags (findKeyInfo).
    docs: [`${REGISTRY}/kms_key`, `${SAR}/list_awskeymanagementservice.html`, `${PROVIDER_SOURCE}/kms/func.findKeyInfo.goindex`],
  },
  {
    type: 'aws_kms_alias',
    grants: [
      { actions: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'], resources: (s) => [arn('kms', s, keyAlias(s))] },
      { actions: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'], resources: keys, condition: taggedByApp },
      { actions: ['kms:ListAliases'], read: ['kms:ListAliases'], resources: ANY },
    ],
    // Read: ListAliases (findAliases).
    docs: [`${REGISTRY}/kms_alias`, 'https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html', `${PROVIDER_SOURCE}/kms/func.resourceAliasRead.goindex`],
  },
  {
    type: 'aws_sns_topic',
    grants: [
      {
        actions: ['sns:CreateTopic', 'sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:DeleteTopic', 'sns:TagResource', 'sns:UntagResource', 'sns:ListTagsForResource'],
        read: ['sns:GetTopicAttributes', 'sns:ListTagsForResource'],
        resources: topics,
      },
    ],
    docs: [`${REGISTRY}/sns_topic`, `${SAR}/list_amazonsns.html`, `${PROVIDER_SOURCE}/sns/func.resourceTopicRead.goindex`],
  },
  {
    type: 'aws_sns_topic_policy',
    grants: [{ actions: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes'], read: ['sns:GetTopicAttributes'], resources: topics }],
    docs: [`${REGISTRY}/sns_topic_policy`, `${SAR}/list_amazonsns.html`, `${PROVIDER_SOURCE}/sns/func.resourceTopicPolicyRead.goindex`],
  },
  {
    type: 'aws_sns_topic_subscription',
    grants: [
      // The Service Authorization Reference checks subscription actions against the topic.
      // Read: GetSubscriptionAttributes, and ListSubscriptionsByTopic (findSubscriptionInTopic) for
      // protocols that wait for confirmation (since provider 5.94; an AuthorizationError is tolerated).
      {
        actions: ['sns:Subscribe', 'sns:Unsubscribe', 'sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes', 'sns:ListSubscriptionsByTopic'],
        read: ['sns:GetSubscriptionAttributes', 'sns:ListSubscriptionsByTopic'],
        resources: topics,
      },
    ],
    docs: [`${REGISTRY}/sns_topic_subscription`, `${SAR}/list_amazonsns.html`, `${PROVIDER_SOURCE}/sns/func.resourceTopicSubscriptionRead.goindex`],
  },
  {
    type: 'aws_sqs_queue',
    grants: [
      {
        actions: ['sqs:CreateQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:DeleteQueue', 'sqs:TagQueue', 'sqs:UntagQueue', 'sqs:ListQueueTags'],
        read: ['sqs:GetQueueAttributes', 'sqs:ListQueueTags'],
        resources: queues,
      },
    ],
    docs: [`${REGISTRY}/sqs_queue`, `${SAR}/list_amazonsqs.html`, `${PROVIDER_SOURCE}/sqs/func.resourceQueueRead.goindex`, `${PROVIDER_SOURCE}/sqs/func.listTags.goindex`],
  },
  {
    type: 'aws_iam_role',
    grants: [
      {
        actions: [
          'iam:CreateRole',
          'iam:GetRole',
          'iam:UpdateRole',
          'iam:UpdateRoleDescription',
          'iam:UpdateAssumeRolePolicy',
          'iam:DeleteRole',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:ListRoleTags',
          'iam:ListRolePolicies',
          'iam:GetRolePolicy',
          'iam:ListAttachedRolePolicies',
          'iam:ListInstanceProfilesForRole',
        ],
        // Read: GetRole (findRole), the inline policies (readRoleInlinePolicies: ListRolePolicies,
        // GetRolePolicy) and attached ones (ListAttachedRolePolicies) for the deprecated arguments, tags.
        read: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRoleTags'],
        resources: roles,
      },
    ],
    docs: [`${REGISTRY}/iam_role`, `${SAR}/list_awsidentityandaccessmanagementiam.html`, `${PROVIDER_SOURCE}/iam/func.resourceRoleRead.goindex`],
  },
  {
    type: 'aws_iam_role_policy',
    grants: [{ actions: ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'], read: ['iam:GetRolePolicy'], resources: roles }],
    docs: [`${REGISTRY}/iam_role_policy`, `${SAR}/list_awsidentityandaccessmanagementiam.html`, `${PROVIDER_SOURCE}/iam/func.resourceRolePolicyRead.goindex`],
  },
  {
    type: 'aws_iam_role_policies_exclusive',
    grants: [{ actions: ['iam:ListRolePolicies', 'iam:DeleteRolePolicy'], read: ['iam:ListRolePolicies'], resources: roles }],
    docs: [`${REGISTRY}/iam_role_policies_exclusive`, `${SAR}/list_awsidentityandaccessmanagementiam.html`, `${PROVIDER_SOURCE}/iam/method.rolePoliciesExclusiveResource.Read.goindex`],
  },
  {
    type: 'aws_lambda_function',
    grants: [
      {
        actions: ['lambda:CreateFunction', 'lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:DeleteFunction', 'lambda:ListVersionsByFunction', 'lambda:GetFunctionCodeSigningConfig', 'lambda:TagResource', 'lambda:UntagResource', 'lambda:ListTags'],
        // GetFunctionConcurrency is called only with `qualifier`, which the stacks never set.
        read: ['lambda:GetFunction', 'lambda:ListVersionsByFunction', 'lambda:GetFunctionCodeSigningConfig', 'lambda:ListTags'],
        resources: functions,
      },
      // The app's function roles (named with the prefix), to Lambda only.
      { actions: ['iam:PassRole'], resources: (s) => [role(s, prefixed)], condition: () => ({ StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } }) },
    ],
    // Read: GetFunction, ListVersionsByFunction (latest version), GetFunctionCodeSigningConfig (resourceFunctionRead).
    docs: [`${REGISTRY}/lambda_function`, 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html', `${PROVIDER_SOURCE}/lambda/func.resourceFunctionRead.goindex`],
  },
  {
    type: 'aws_sfn_state_machine',
    grants: [
      {
        actions: [
          'states:CreateStateMachine',
          'states:DescribeStateMachine',
          'states:UpdateStateMachine',
          'states:DeleteStateMachine',
          'states:ListStateMachineVersions',
          'states:TagResource',
          'states:UntagResource',
          'states:ListTagsForResource',
        ],
        read: ['states:DescribeStateMachine', 'states:ListStateMachineVersions', 'states:ListTagsForResource'],
        resources: (s) => [stateMachineArn(s.region, s.account, prefixed)],
      },
      // The app's state machine roles, to Step Functions only.
      { actions: ['iam:PassRole'], resources: (s) => [role(s, prefixed)], condition: () => ({ StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } }) },
      // Creating or updating a state machine with a logging configuration: the log-delivery actions.
      { actions: [...LOG_DELIVERY_ACTIONS], resources: ANY },
    ],
    // Read: DescribeStateMachine, ListStateMachineVersions (publish), ListTagsForResource (resourceStateMachineRead).
    docs: [`${REGISTRY}/sfn_state_machine`, 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html', `${PROVIDER_SOURCE}/sfn/func.resourceStateMachineRead.goindex`],
  },
  {
    type: 'aws_dynamodb_table',
    grants: [
      {
        actions: [
          'dynamodb:CreateTable',
          'dynamodb:DescribeTable',
          'dynamodb:UpdateTable',
          'dynamodb:DeleteTable',
          'dynamodb:DescribeContinuousBackups',
          'dynamodb:UpdateContinuousBackups',
          'dynamodb:DescribeTimeToLive',
          'dynamodb:UpdateTimeToLive',
          'dynamodb:ListTagsOfResource',
          'dynamodb:TagResource',
          'dynamodb:UntagResource',
        ],
        // The table is encrypted under an AWS owned key: no KMS DescribeKey (clearSSEDefaultKey) on read.
        read: ['dynamodb:DescribeTable', 'dynamodb:DescribeContinuousBackups', 'dynamodb:DescribeTimeToLive', 'dynamodb:ListTagsOfResource'],
        resources: (s) => [arn('dynamodb', s, `table/${prefixed}`)],
      },
    ],
    // Read: DescribeTable (findTableByName), DescribeContinuousBackups, DescribeTimeToLive
    // (resourceTableRead), ListTagsOfResource (transparent tagging); create/update: CreateTable
    // (with tags: TagResource), UpdateTable, UpdateTimeToLive, UpdateContinuousBackups; DeleteTable.
    docs: [`${REGISTRY}/dynamodb_table`, `${SAR}/list_amazondynamodb.html`, `${PROVIDER_SOURCE}/dynamodb/func.resourceTableRead.goindex`],
  },
  {
    type: 'aws_lambda_event_source_mapping',
    grants: [
      // Mapping ids are generated UUIDs: scoped by the function they feed (lambda:FunctionArn).
      {
        actions: ['lambda:CreateEventSourceMapping'],
        resources: ANY,
        condition: (s) => ({ ArnLike: { 'lambda:FunctionArn': functions(s) } }),
      },
      {
        actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'],
        read: ['lambda:GetEventSourceMapping'],
        resources: (s) => [arn('lambda', s, 'event-source-mapping:*')],
        condition: (s) => ({ ArnLike: { 'lambda:FunctionArn': functions(s) } }),
      },
      // Event source mappings are taggable (default tags); tagging actions know no lambda:FunctionArn.
      { actions: ['lambda:TagResource', 'lambda:UntagResource', 'lambda:ListTags'], read: ['lambda:ListTags'], resources: (s) => [arn('lambda', s, 'event-source-mapping:*')] },
    ],
    docs: [
      `${REGISTRY}/lambda_event_source_mapping`,
      'https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html#permissions-resources-eventsource',
      `${PROVIDER_SOURCE}/lambda/func.resourceEventSourceMappingRead.goindex`,
    ],
  },
];

/** Resource types each target's stacks create (a test compares them with the synthesized stacks). */
export const RESOURCE_TYPES_BY_TARGET: Readonly<Record<DeploymentTarget, readonly string[]>> = {
  central: [
    'aws_cloudwatch_event_bus',
    'aws_cloudwatch_event_bus_policy',
    'aws_cloudwatch_event_rule',
    'aws_cloudwatch_event_target',
    'aws_cloudwatch_event_archive',
    'aws_cloudwatch_log_group',
    'aws_cloudwatch_log_resource_policy',
    'aws_cloudwatch_metric_alarm',
    'aws_kms_key',
    'aws_kms_alias',
    'aws_sns_topic',
    'aws_sns_topic_policy',
    'aws_sns_topic_subscription',
    'aws_sqs_queue',
    'aws_iam_role',
    'aws_iam_role_policy',
    'aws_iam_role_policies_exclusive',
    'aws_lambda_function',
    'aws_lambda_event_source_mapping',
    'aws_sfn_state_machine',
    'aws_dynamodb_table',
  ],
  member: [
    'aws_cloudwatch_event_rule',
    'aws_cloudwatch_event_target',
    'aws_cloudwatch_metric_alarm',
    'aws_sqs_queue',
    'aws_iam_role',
    'aws_iam_role_policy',
    'aws_iam_role_policies_exclusive',
  ],
  vault: ['aws_kms_key', 'aws_kms_alias', 'aws_iam_role', 'aws_iam_role_policy', 'aws_iam_role_policies_exclusive'],
};

/**
 * The resource types a target's stacks create for this config: `RESOURCE_TYPES_BY_TARGET`, and in
 * vault mode without `snapshotCopy.kmsKeyId` the member copy keys (stacks/member/copy-keys.ts).
 */
export function resourceTypesFor(config: OrgConfig, target: DeploymentTarget): readonly string[] {
  const copy = config.snapshotCopy;
  if (target === 'member' && copy?.vault && !copy.kmsKeyId) return [...RESOURCE_TYPES_BY_TARGET.member, 'aws_kms_key', 'aws_kms_alias'];
  return RESOURCE_TYPES_BY_TARGET[target];
}

/** The targets of a config: central and member, and the vault with `snapshotCopy.vault`. */
export const deploymentTargetsOf = (config: OrgConfig): DeploymentTarget[] => ['central', 'member', ...(config.snapshotCopy?.vault ? (['vault'] as const) : [])];

/** Where each resource type's schema (and `CustomizeDiff`) is declared in the provider's v6.25.0 source. */
const schemaOf = (path: string): string => `${PROVIDER_SOURCE}/${path}.goindex`;

/**
 * API calls the provider makes while planning, besides the refresh reads of `read`: each resource
 * type's `CustomizeDiff` (run on every plan of a new or changed resource), from hashicorp/aws
 * v6.25.0. `grants` empty: its `CustomizeDiff` calls no AWS API (or it has none), as the cited
 * source shows. A test fails when a synthesized resource type has no row, and checks in IAM that
 * the deployment and plan policies allow every call. Every type also goes through the provider's
 * own `CustomizeDiff` interceptors (`PROVIDER_WIDE_PLAN_TIME_SOURCE`), which call no API.
 */
export interface PlanTimeCalls {
  readonly type: string;
  readonly grants: readonly Grant[];
  /** The provider source of the resource's `CustomizeDiff` (and of each function it runs). */
  readonly source: readonly string[];
}

export const PLAN_TIME_CALLS: readonly PlanTimeCalls[] = [
  ...(
    [
      ['aws_cloudwatch_event_bus', 'events/func.resourceBus'],
      ['aws_cloudwatch_event_bus_policy', 'events/func.resourceBusPolicy'],
      ['aws_cloudwatch_event_rule', 'events/func.resourceRule'],
      ['aws_cloudwatch_event_target', 'events/func.resourceTarget'],
      ['aws_cloudwatch_event_archive', 'events/func.resourceArchive'],
      ['aws_cloudwatch_log_group', 'logs/func.resourceGroup'],
      ['aws_cloudwatch_log_resource_policy', 'logs/func.resourceResourcePolicy'],
      ['aws_kms_key', 'kms/func.resourceKey'],
      ['aws_kms_alias', 'kms/func.resourceAlias'],
      ['aws_sns_topic_policy', 'sns/func.resourceTopicPolicy'],
      ['aws_iam_role', 'iam/func.resourceRole'],
      ['aws_iam_role_policy', 'iam/func.resourceRolePolicy'],
      ['aws_lambda_event_source_mapping', 'lambda/func.resourceEventSourceMapping'],
      // A framework resource: no ModifyPlan method (only Schema, Create, Read, Update, ImportState).
      ['aws_iam_role_policies_exclusive', 'iam/type.rolePoliciesExclusiveResource'],
    ] as const
  ).map(([type, path]): PlanTimeCalls => ({ type, grants: [], source: [schemaOf(path)] })),
  // CustomizeDiff functions that read only the diff (argument combinations, computed attributes):
  {
    type: 'aws_cloudwatch_metric_alarm',
    grants: [],
    source: [schemaOf('cloudwatch/func.resourceMetricAlarm')],
  },
  { type: 'aws_sns_topic', grants: [], source: [schemaOf('sns/func.resourceTopic'), schemaOf('sns/func.resourceTopicCustomizeDiff')] },
  {
    type: 'aws_sns_topic_subscription',
    grants: [],
    source: [schemaOf('sns/func.resourceTopicSubscription'), schemaOf('sns/func.resourceTopicSubscriptionCustomizeDiff')],
  },
  { type: 'aws_sqs_queue', grants: [], source: [schemaOf('sqs/func.resourceQueue'), schemaOf('sqs/func.resourceQueueCustomizeDiff')] },
  {
    type: 'aws_lambda_function',
    grants: [],
    source: [schemaOf('lambda/func.resourceFunction'), schemaOf('lambda/func.checkHandlerRuntimeForZipFunction'), schemaOf('lambda/func.updateComputedAttributesOnPublish')],
  },
  {
    type: 'aws_dynamodb_table',
    grants: [],
    source: [schemaOf('dynamodb/func.resourceTable'), schemaOf('dynamodb/func.validStreamSpec'), schemaOf('dynamodb/func.validateTableAttributes')],
  },
  {
    // A known, new or changed `definition` is sent to ValidateStateMachineDefinition (users' error
    // when the role lacks it: https://github.com/hashicorp/terraform-provider-aws/issues/39472,
    // "not authorized to perform: states:ValidateStateMachineDefinition on resource:
    // arn:aws:states:<region>:<account>:stateMachine:*"). The Service Authorization Reference lists
    // no resource type for the action, so it is granted on `*` (which covers that ARN).
    type: 'aws_sfn_state_machine',
    grants: [{ actions: ['states:ValidateStateMachineDefinition'], read: ['states:ValidateStateMachineDefinition'], resources: ANY }],
    source: [schemaOf('sfn/func.resourceStateMachine'), schemaOf('sfn/func.stateMachineDefinitionValidate'), schemaOf('sfn/func.stateMachineUpdateComputedAttributesOnPublish')],
  },
];

/**
 * The provider's own `CustomizeDiff` interceptors, run for every resource type (wrapResource):
 * region default, replacement on a region change, the region's partition, `tags_all`, required tags
 * (only with `tag_policy_compliance`, which the stacks never set). None calls an AWS API.
 */
export const PROVIDER_WIDE_PLAN_TIME_SOURCE: readonly string[] = ['wrapResource', 'defaultRegion', 'forceNewIfRegionChanges', 'resourceValidateRegion', 'setTagsAll', 'validateRequiredTags'].map(
  (f) => `${PROVIDER_INDEX}/provider/sdkv2/func.${f}.goindex`,
);

/**
 * What the provider calls when it is configured (every plan and apply), before any resource:
 * `ConfigureProvider` (conns) assumes the `assume_role` role, then validates the credentials and
 * learns the account for `allowed_account_ids`. Neither is granted by the policies here:
 * - `sts:AssumeRole` is the caller's (CI's) right, admitted by the assumed role's trust policy;
 * - `sts:GetCallerIdentity` needs no permission ("No permissions are required to perform this
 *   operation": https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 */
export const PROVIDER_CONFIGURE_CALLS = [
  { action: 'sts:AssumeRole', grantedBy: 'the trust policy of the assumed role (plan role: stacks/plan-role.ts) and the caller\'s own policy' },
  { action: 'sts:GetCallerIdentity', grantedBy: 'nothing: no IAM permission is required' },
] as const;
export const PROVIDER_CONFIGURE_SOURCE = `${PROVIDER_INDEX}/conns/method.Config.ConfigureProvider.goindex`;

/** A resource type has no row in `TERRAFORM_RESOURCE_PERMISSIONS`. */
export class UnknownResourceTypeError extends Error {
  override readonly name = 'UnknownResourceTypeError';
}

const sid = (type: string, i: number): string =>
  type
    .replace(/^aws_/, '')
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('') + (i === 0 ? '' : String(i + 1));

/**
 * The S3 backend's bucket and keys (`deployment.state`), when configured: the state objects and,
 * to deploy, their lock files (use_lockfile writes `<key>.tflock` next to the state:
 * https://developer.hashicorp.com/terraform/language/backend/s3#s3-state-locking). Planning reads
 * only: the PR workflow plans with `-lock=false`, so no lock file is written.
 *
 * `s3:ListBucket` is granted on the bucket without an `s3:prefix` condition: a stack's first plan
 * reads a state object that does not exist yet, and S3 answers a missing key with 404 only to a
 * caller that has `s3:ListBucket` on the bucket, else with 403 AccessDenied
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"), which
 * Terraform reports as an error instead of an empty state. A prefix condition cannot match that
 * check (the GetObject request carries no `s3:prefix`). What the grant adds is the bucket's key
 * names: keep the state bucket for state only. Listing the default workspace prefix `env:/` is
 * denied by nothing here and ignored by Terraform >= 1.7 anyway (hashicorp/terraform#34511).
 */
function stateStatements(config: OrgConfig, role: 'deploy' | 'plan'): Statement[] {
  const state = config.deployment.state;
  if (!state) return [];
  const prefix = state.keyPrefix.replace(/\/+$/, '');
  return [
    { Sid: 'TerraformStateList', Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${state.bucket}` },
    {
      Sid: 'TerraformStateObjects',
      Effect: 'Allow',
      Action: role === 'deploy' ? ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] : ['s3:GetObject'],
      Resource: `arn:aws:s3:::${state.bucket}/${prefix}/*`,
    },
  ];
}

/**
 * The AWS calls `npm run verify` and `npm run copies` make under the deployment role (both assume
 * `deployment.roleName` in each account, as the stacks' providers do), per target. `sdkCommand`
 * names the AWS SDK v3 command class, so a test can check that every command those CLIs send has a
 * row (`__tests__/operator-calls.test.ts`). Not listed: `sts:AssumeRole` and
 * `sts:GetCallerIdentity`, made with the operator's own credentials (the role's trust policy admits
 * them). Resources as the Service Authorization Reference scopes each action
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html:
 * GetMetricData has no resource type).
 */
export interface OperatorCall {
  readonly command: 'verify' | 'copies';
  readonly sdkCommand: string;
  readonly action: string;
  readonly targets: readonly DeploymentTarget[];
  /** ARNs for `scope`; none: the call is not made for this config (e.g. no key to check). */
  readonly resources: (scope: DeploymentScope, config: OrgConfig) => readonly string[];
  readonly condition?: (scope: DeploymentScope, config: OrgConfig) => Conditions;
}

/**
 * The key `npm run verify` checks in vault mode when `snapshotCopy.kmsKeyId` is set (the user's own
 * key, not the app's: it carries no stack tag): by ARN, by key id, or by alias through
 * `kms:ResourceAliases` (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases).
 */
const checkedKey = (config: OrgConfig): { resources: string[]; condition?: Conditions } => {
  const copy = config.snapshotCopy;
  const keyId = copy?.vault ? copy.kmsKeyId : undefined;
  if (keyId === undefined) return { resources: [] };
  if (keyId.startsWith('arn:') && keyId.includes(':key/')) return { resources: [keyId] };
  const alias = keyId.startsWith('arn:') ? keyId.slice(keyId.indexOf(':alias/') + 1) : keyId.startsWith('alias/') ? keyId : undefined;
  if (alias === undefined) return { resources: [`arn:aws:kms:*:*:key/${keyId}`] };
  return { resources: ['arn:aws:kms:*:*:key/*'], condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [alias] } } };
};
const copyExecutions = (s: DeploymentScope): string[] => [`arn:aws:states:${s.region}:${s.account}:execution:${prefixed}:*`];

export const OPERATOR_CALLS: readonly OperatorCall[] = [
  { command: 'verify', sdkCommand: 'GetMetricDataCommand', action: 'cloudwatch:GetMetricData', targets: ['central', 'member'], resources: ANY },
  { command: 'verify', sdkCommand: 'DescribeRuleCommand', action: 'events:DescribeRule', targets: ['member'], resources: rules },
  { command: 'verify', sdkCommand: 'ListTargetsByRuleCommand', action: 'events:ListTargetsByRule', targets: ['member'], resources: rules },
  { command: 'verify', sdkCommand: 'GetQueueUrlCommand', action: 'sqs:GetQueueUrl', targets: ['member'], resources: queues },
  { command: 'verify', sdkCommand: 'GetQueueAttributesCommand', action: 'sqs:GetQueueAttributes', targets: ['member'], resources: queues },
  { command: 'verify', sdkCommand: 'DescribeEventBusCommand', action: 'events:DescribeEventBus', targets: ['central'], resources: (s) => [busArn(s.region, s.account, s.busName)] },
  { command: 'verify', sdkCommand: 'DescribeKeyCommand', action: 'kms:DescribeKey', targets: ['member'], resources: (_s, c) => checkedKey(c).resources, condition: (_s, c) => checkedKey(c).condition ?? {} },
  { command: 'verify', sdkCommand: 'GetKeyPolicyCommand', action: 'kms:GetKeyPolicy', targets: ['member'], resources: (_s, c) => checkedKey(c).resources, condition: (_s, c) => checkedKey(c).condition ?? {} },
  // verify counts failed executions; copies lists them to start them again.
  { command: 'copies', sdkCommand: 'ListExecutionsCommand', action: 'states:ListExecutions', targets: ['central'], resources: (s) => [stateMachineArn(s.region, s.account, prefixed)] },
  { command: 'copies', sdkCommand: 'DescribeExecutionCommand', action: 'states:DescribeExecution', targets: ['central'], resources: copyExecutions },
  { command: 'copies', sdkCommand: 'StartExecutionCommand', action: 'states:StartExecution', targets: ['central'], resources: (s) => [stateMachineArn(s.region, s.account, COPY_STATE_MACHINE_NAME)] },
];

/** The deployment role's statements for `npm run verify` and `npm run copies` in `target`. */
function operatorStatements(config: OrgConfig, scope: DeploymentScope): Statement[] {
  return OPERATOR_CALLS.filter((c) => c.targets.includes(scope.target)).flatMap((call): Statement[] => {
    const resources = call.resources(scope, config);
    if (resources.length === 0) return [];
    const condition = call.condition?.(scope, config);
    return [{ Sid: `Operate${call.action.split(':')[1]}`, Effect: 'Allow', Action: [call.action], Resource: [...resources], ...(condition && Object.keys(condition).length > 0 ? { Condition: condition } : {}) }];
  });
}

/** The statements of `rows`' grants for `types`, with the actions `pick` takes from each grant. */
function grantStatements<R extends { readonly type: string; readonly grants: readonly Grant[] }>(
  [table, rows]: readonly [string, readonly R[]],
  types: readonly string[],
  scope: DeploymentScope,
  pick: (grant: Grant) => readonly string[] | undefined,
  sidSuffix = '',
): Statement[] {
  const statements: Statement[] = [];
  for (const type of types) {
    const row = rows.find((r) => r.type === type);
    if (!row) throw new UnknownResourceTypeError(`${type}: no row in ${table}; add what the provider calls for it, with its source`);
    row.grants.forEach((grant, i) => {
      const actions = pick(grant) ?? [];
      const resources = grant.resources(scope);
      if (resources.length === 0 || actions.length === 0) return;
      statements.push({
        Sid: `${sid(type, i)}${sidSuffix}`,
        Effect: 'Allow',
        Action: [...actions],
        Resource: [...resources],
        ...(grant.condition ? { Condition: grant.condition(scope) } : {}),
      });
    });
  }
  return statements;
}

const TABLES = {
  resources: ['TERRAFORM_RESOURCE_PERMISSIONS', TERRAFORM_RESOURCE_PERMISSIONS],
  planTime: ['PLAN_TIME_CALLS', PLAN_TIME_CALLS],
} as const;

/** One identity policy from grant statements (merged) and the state statements. */
const assemble = (statements: readonly Statement[], state: readonly Statement[]): PolicyDocument =>
  policyDocument('identity', [...mergeByCondition(mergeByResources(statements)), ...state]);

/**
 * The deployment role's policy for `target`: one statement per grant of every resource type the
 * target's stacks create, the provider's plan-time calls (`PLAN_TIME_CALLS`), plus the state bucket
 * when `deployment.state` is set.
 */
export function deploymentRolePolicy(config: OrgConfig, target: DeploymentTarget, types: readonly string[] = resourceTypesFor(config, target)): PolicyDocument {
  const scope = deploymentScope(config, target);
  return assemble(
    [
      ...grantStatements(TABLES.resources, types, scope, (g) => g.actions),
      ...grantStatements(TABLES.planTime, types, scope, (g) => g.actions, 'Plan'),
      ...operatorStatements(config, scope),
    ],
    stateStatements(config, 'deploy'),
  );
}

/**
 * The read-only plan role's policy for `target` (`deployment.planRoleName`): the `read` actions of
 * every grant (what the provider calls to refresh the stacks' resources), on the same resources
 * under the same conditions; the provider's plan-time calls; and, with `deployment.state`, reading
 * the state (no lock: plans run with `-lock=false`). Nothing in it creates, changes or deletes.
 */
export function planRolePolicy(config: OrgConfig, target: DeploymentTarget, types: readonly string[] = resourceTypesFor(config, target)): PolicyDocument {
  const scope = deploymentScope(config, target);
  return assemble(
    [...grantStatements(TABLES.resources, types, scope, (g) => g.read), ...grantStatements(TABLES.planTime, types, scope, (g) => g.read, 'Plan')],
    stateStatements(config, 'plan'),
  );
}

/**
 * IAM's limit on a customer managed policy (whitespace not counted; `stacks/policy/policy-limits.ts` has
 * its source): the files must fit it, so a user can attach them as managed policies in every account.
 */
export const MANAGED_POLICY_MAX_CHARS = POLICY_LIMITS.iamManagedPolicy.max;

/**
 * The deployment policy of `target` as customer managed policies, each within IAM's size limit:
 * statements in order, a new policy started when the next one would not fit. A role takes up to
 * 10 managed policies by default.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entities
 */
export function deploymentRolePolicies(config: OrgConfig, target: DeploymentTarget): PolicyDocument[] {
  return splitIntoManagedPolicies(deploymentRolePolicy(config, target));
}

/** The plan role's policy of `target` as customer managed policies, split like `deploymentRolePolicies`. */
export const planRolePolicies = (config: OrgConfig, target: DeploymentTarget): PolicyDocument[] => splitIntoManagedPolicies(planRolePolicy(config, target));

function splitIntoManagedPolicies(policy: PolicyDocument): PolicyDocument[] {
  const parts: Statement[][] = [[]];
  const size = (statements: readonly Statement[]) => renderPolicy({ Version: '2012-10-17', Statement: statements }).length;
  for (const st of policy.Statement) {
    const current = parts[parts.length - 1]!;
    if (current.length > 0 && size([...current, st]) > MANAGED_POLICY_MAX_CHARS) parts.push([st]);
    else current.push(st);
  }
  return parts.map((statements) => policyDocument('identity', statements));
}

/** Statements on the same resources under the same condition become one (actions unioned, in order). */
function mergeByResources(statements: readonly Statement[]): Statement[] {
  const merged = new Map<string, Statement>();
  for (const st of statements) {
    const key = JSON.stringify([st.Resource, st.Condition ?? null]);
    const prior = merged.get(key);
    if (!prior) {
      const unscoped = JSON.stringify(st.Resource) === '["*"]' && st.Condition === undefined;
      merged.set(key, unscoped ? { ...st, Sid: 'ActionsWithoutResourceType' } : st);
      continue;
    }
    const actions = [...new Set([...[prior.Action].flat(), ...[st.Action].flat()])];
    merged.set(key, { ...prior, Action: actions });
  }
  return [...merged.values()];
}

/**
 * Statements with the same actions on the same resources whose only condition is one
 * `StringEquals` key become one statement listing every value (IAM ORs a key's values):
 * `iam:PassRole` of the app's roles to Lambda, Step Functions and EventBridge is one statement.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
 */
function mergeByCondition(statements: readonly Statement[]): Statement[] {
  const merged = new Map<string, Statement>();
  const out: Statement[] = [];
  for (const st of statements) {
    const equals = st.Condition && Object.keys(st.Condition).length === 1 ? st.Condition['StringEquals'] : undefined;
    const keys = equals ? Object.keys(equals) : [];
    if (!equals || keys.length !== 1) {
      out.push(st);
      continue;
    }
    const id = JSON.stringify([[st.Action].flat(), st.Resource, keys[0]]);
    const prior = merged.get(id);
    if (!prior) {
      merged.set(id, st);
      out.push(st);
      continue;
    }
    const key = keys[0]!;
    const values = [...new Set([[prior.Condition!['StringEquals']![key]!].flat(), [equals[key]!].flat()].flat().map(String))];
    const combined: Statement = { ...prior, Condition: { StringEquals: { [key]: values } } };
    merged.set(id, combined);
    out[out.indexOf(prior)] = combined;
  }
  return out;
}
