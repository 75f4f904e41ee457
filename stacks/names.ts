/**
 * Names and ARNs, derived from the config alone.
 *
 * Member stacks compute the central bus ARN (and the copy roles' ARNs) from config rather
 * than reading another stack's outputs: no cross-stack references, no remote state, so a member
 * stack plans on its own in any rollout wave. Policies embed these literal ARNs, which is what
 * lets a reviewer read them in the plan and the tests evaluate them.
 */
import { COPY_STEP_FUNCTION_NAME, COPY_SWEEP_FUNCTION_NAME, PREFIX, VAULT_ROLE_NAME } from '../config/reserved-names';
import type { OrgConfig } from '../config/schema';

// Defined with the config (its validation needs them), re-exported here with the other names.
export {
  CENTRAL_COPY_ROLE_NAMES,
  COPY_START_FUNCTION_NAME,
  COPY_STATE_MACHINE_NAME,
  COPY_STEP_FUNCTION_NAME,
  COPY_SWEEP_FUNCTION_NAME,
  COPY_SWEEP_STATE_MACHINE_NAME,
  FORWARDER_ROLE_NAME,
  MEMBER_TAG_KEY,
  PREFIX,
  STACK_TAG_KEY,
  VAULT_ROLE_NAME,
} from '../config/reserved-names';

/** Stack ids are a contract: `cdktf deploy central`, `cdktf deploy member-<accountId>`. */
export const CENTRAL_STACK_ID = 'central';
export const memberStackId = (accountId: string): string => `member-${accountId}`;
/** Vault mode (`snapshotCopy.vault`): the stack of the vault account, `cdktf deploy vault-<accountId>`. */
export const vaultStackId = (accountId: string): string => `vault-${accountId}`;

/** The vault account's key for vault copies, one per destination region. */
export const VAULT_KEY_ALIAS = `alias/${PREFIX}-vault`;
/**
 * With a vault and no `snapshotCopy.kmsKeyId`: the key each member stack creates per destination
 * region for its copies (shared snapshots need a customer managed key the vault may use).
 */
export const MEMBER_COPY_KEY_ALIAS = `alias/${PREFIX}-dr`;

export const busArn = (region: string, account: string, busName: string): string =>
  `arn:aws:events:${region}:${account}:event-bus/${busName}`;

export const centralBusArn = (config: OrgConfig): string =>
  busArn(config.central.region, config.central.accountId, config.central.busName);

/**
 * A rule's ARN; rules on a custom bus carry the bus name in theirs (`rule/[bus/]name`):
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-resources-for-iam-policies
 */
export const ruleArn = (region: string, account: string, ruleName: string, busName = 'default'): string =>
  `arn:aws:events:${region}:${account}:rule/${busName === 'default' ? '' : `${busName}/`}${ruleName}`;

export const queueArn = (region: string, account: string, name: string): string => `arn:aws:sqs:${region}:${account}:${name}`;
export const topicArn = (region: string, account: string, name: string): string => `arn:aws:sns:${region}:${account}:${name}`;
export const roleArn = (account: string, name: string): string => `arn:aws:iam::${account}:role/${name}`;
/** The account as a policy principal (`AWS`): every IAM principal of the account its policies allow. */
export const accountRootArn = (account: string): string => `arn:aws:iam::${account}:root`;
export const logGroupArn = (region: string, account: string, name: string): string =>
  `arn:aws:logs:${region}:${account}:log-group:${name}`;

/** Rule on each member region's default bus. */
export const FORWARD_RULE_NAME = `${PREFIX}-forward-to-central`;
/** Dead-letter queue of the forwarding target in each member region. */
export const FORWARD_DLQ_NAME = `${PREFIX}-forward-dlq`;

/** Rule on the central bus sending every forwarded event to the audit log. */
export const AUDIT_RULE_NAME = `${PREFIX}-audit`;
/** Rule on the central bus sending one kind of failure (an `ALERT_PATTERNS` id) to the alert topic. */
export const alertRuleName = (alertId: string): string => `${PREFIX}-alert-${alertId}`;

/** Central roles that assume the member copy role: the step function (copies) and the sweep function (deletes expired copies). */
export const memberCopyRoleTrustedArns = (config: OrgConfig): string[] => [
  roleArn(config.central.accountId, COPY_STEP_FUNCTION_NAME),
  ...(config.snapshotCopy?.retentionDays ? [roleArn(config.central.accountId, COPY_SWEEP_FUNCTION_NAME)] : []),
];
/**
 * Central roles that assume the vault role: the copy step function (vault copies, locks) and, with
 * `vault.retentionDays`, the sweep function (deletes expired vault copies).
 */
export const vaultRoleTrustedArns = (config: OrgConfig): string[] => [
  roleArn(config.central.accountId, COPY_STEP_FUNCTION_NAME),
  ...(config.snapshotCopy?.vault?.retentionDays ? [roleArn(config.central.accountId, COPY_SWEEP_FUNCTION_NAME)] : []),
];
export const vaultRoleArn = (vaultAccountId: string): string => roleArn(vaultAccountId, VAULT_ROLE_NAME);
export const stateMachineArn = (region: string, account: string, name: string): string => `arn:aws:states:${region}:${account}:stateMachine:${name}`;
export const lambdaArn = (region: string, account: string, name: string): string => `arn:aws:lambda:${region}:${account}:function:${name}`;
