/**
 * Names and ARNs, derived from the config alone.
 *
 * Member stacks compute the central bus ARN (and the copy function's role ARN) from config rather
 * than reading another stack's outputs: no cross-stack references, no remote state, so a member
 * stack plans on its own in any rollout wave. Policies embed these literal ARNs, which is what
 * lets a reviewer read them in the plan and the tests evaluate them.
 */
import type { OrgConfig } from '../config/schema';

/** Prefix of every resource name this app creates. */
export const PREFIX = 'ebs-event-hub';

/** Stack ids are a contract: `cdktf deploy central`, `cdktf deploy member-<accountId>`. */
export const CENTRAL_STACK_ID = 'central';
export const memberStackId = (accountId: string): string => `member-${accountId}`;

export const busArn = (region: string, account: string, busName: string): string =>
  `arn:aws:events:${region}:${account}:event-bus/${busName}`;

export const centralBusArn = (config: OrgConfig): string =>
  busArn(config.central.region, config.central.accountId, config.central.busName);

/** A rule's ARN; rules on a custom bus carry the bus name in theirs. */
export const ruleArn = (region: string, account: string, ruleName: string, busName = 'default'): string =>
  `arn:aws:events:${region}:${account}:rule/${busName === 'default' ? '' : `${busName}/`}${ruleName}`;

export const queueArn = (region: string, account: string, name: string): string => `arn:aws:sqs:${region}:${account}:${name}`;
export const topicArn = (region: string, account: string, name: string): string => `arn:aws:sns:${region}:${account}:${name}`;
export const roleArn = (account: string, name: string): string => `arn:aws:iam::${account}:role/${name}`;
export const logGroupArn = (region: string, account: string, name: string): string =>
  `arn:aws:logs:${region}:${account}:log-group:${name}`;

/** Role in each member account that EventBridge assumes to put events on the central bus. */
export const FORWARDER_ROLE_NAME = `${PREFIX}-forwarder`;
/** Rule on each member region's default bus. */
export const FORWARD_RULE_NAME = `${PREFIX}-forward-to-central`;
/** Dead-letter queue of the forwarding target in each member region. */
export const FORWARD_DLQ_NAME = `${PREFIX}-forward-dlq`;

/**
 * The snapshot-copy workflow in the central account (COPY-CONTRACT.md): three functions from one
 * bundle, each with a role of the same name, and the Standard state machine that runs one
 * execution per snapshot.
 */
export const COPY_START_FUNCTION_NAME = `${PREFIX}-copy-start`;
export const COPY_STEP_FUNCTION_NAME = `${PREFIX}-copy-step`;
export const COPY_SWEEP_FUNCTION_NAME = `${PREFIX}-copy-sweep`;
export const COPY_STATE_MACHINE_NAME = `${PREFIX}-snapshot-copy`;
/** The retention sweep's state machine (a Map over every member account and destination region). */
export const COPY_SWEEP_STATE_MACHINE_NAME = `${PREFIX}-copy-sweep`;
/**
 * Every IAM role the copy path creates in the central account (the functions' roles share their
 * names; the state machines' and the sweep schedule's roles are suffixed): a member role name must
 * not collide with them when the central account is also a member.
 */
export const CENTRAL_COPY_ROLE_NAMES: readonly string[] = [
  COPY_START_FUNCTION_NAME,
  COPY_STEP_FUNCTION_NAME,
  `${COPY_STATE_MACHINE_NAME}-states`,
  COPY_SWEEP_FUNCTION_NAME,
  `${COPY_SWEEP_STATE_MACHINE_NAME}-states`,
  `${PREFIX}-copy-sweep-events`,
];
/** Central roles that assume the member copy role: the step function (copies) and the sweep function (deletes expired copies). */
export const memberCopyRoleTrustedArns = (config: OrgConfig): string[] => [
  roleArn(config.central.accountId, COPY_STEP_FUNCTION_NAME),
  ...(config.snapshotCopy?.retentionDays ? [roleArn(config.central.accountId, COPY_SWEEP_FUNCTION_NAME)] : []),
];
export const stateMachineArn = (region: string, account: string, name: string): string => `arn:aws:states:${region}:${account}:stateMachine:${name}`;
export const lambdaArn = (region: string, account: string, name: string): string => `arn:aws:lambda:${region}:${account}:function:${name}`;
