import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { COPY_SWEEP_FUNCTION_NAME, COPY_SWEEP_STATE_MACHINE_NAME, lambdaArn, PREFIX, ruleArn, stateMachineArn } from '../names';
import { policyDocument, serviceTrustPolicy, type PolicyDocument } from '../policy/policy';
import { RoleWithPolicies } from '../policy/role-with-policies';
import { sweepPermissionStatements, type CopyPermissionsProps } from '../policy/snapshot-copy-permissions';
import { TARGET_RETRY } from '../rule-with-target';
import {
  assumeMemberRole,
  checkMemberRoleAccess,
  checkScope,
  MEMBER_LIST_SIZE_HINT,
  policiesByName,
  POWERTOOLS_ENVIRONMENT,
  rolesByName,
  type CopyScope,
  type CopyUnitProps,
  type FunctionCode,
  type MemberRoleAccess,
} from './snapshot-copy-common';
import { CopyFunction, writeOwnLogGroup } from './snapshot-copy-function';
import { COPY_LEDGER_TABLE_NAME, ledgerSweepStatements } from './snapshot-copy-ledger';
import { CopyStateMachine } from './snapshot-copy-state-machine';
import { checkVaultAccess, vaultSweepEnvironment, vaultSweepStatements, type VaultAccess } from './snapshot-copy-vault';
import { SWEEP_FUNCTION_TIMEOUT_SECONDS, sweepWorkflowDefinition } from './sweep-workflow';

/** Scheduled rule on the central account's default bus that starts the retention sweep. */
export const COPY_SWEEP_RULE_NAME = `${PREFIX}-copy-sweep`;
/** The sweep runs once a day: expiry is a date, and a day late costs one day of storage. */
export const COPY_SWEEP_SCHEDULE = 'rate(1 day)';
/** One page of expired copies: the function stops starting calls well before this (handlers/snapshot-copy/sweep.ts SWEEP_RESERVE_MS). */
export const COPY_SWEEP_TIMEOUT_SECONDS = SWEEP_FUNCTION_TIMEOUT_SECONDS;

export const sweepStateMachineArn = (p: CopyScope): string => stateMachineArn(p.region, p.accountId, COPY_SWEEP_STATE_MACHINE_NAME);
/** ARN of the scheduled sweep rule (default bus): the central target DLQ admits it. */
export const copySweepRuleArn = (p: CopyScope): string => ruleArn(p.region, p.accountId, COPY_SWEEP_RULE_NAME);

/** What the sweep function's policy depends on. */
export interface SweepFunctionProps extends CopyScope, MemberRoleAccess {
  /**
   * `snapshotCopy.retentionDays` is set: member copies expire, and the sweep deletes them under the
   * member role.
   * @default false
   */
  readonly memberRetention?: boolean;
  /**
   * Delete permissions in the central account itself, when it is also a member (its own copies
   * are swept with the function's own credentials; with `memberRetention` only).
   * @default - none: the function acts only through member roles
   */
  readonly ownAccountCopy?: CopyPermissionsProps;
  /**
   * Vault mode: with `vault.retentionDays`, vault copies expire and the sweep deletes them under the
   * vault role.
   * @default - no vault
   */
  readonly vault?: VaultAccess;
}

/** The kinds of copy that expire (the handler's SWEEP_KINDS, in the order swept): at least one for a sweep. */
export const sweptKinds = (props: Pick<SweepFunctionProps, 'memberRetention' | 'vault'>): string[] => [
  ...(props.memberRetention ? ['member-copy'] : []),
  ...(props.vault?.retentionDays !== undefined ? ['vault-copy'] : []),
];

/**
 * The sweep function reads the copy ledger's expired copies and forgets the ones it deleted
 * (ledgerSweepStatements); with member retention it assumes the member role (and deletes in its own
 * account when it is a member), with vault retention the vault role. Nothing that depends on how
 * many accounts copy, with an organization id (without one, the member roles are listed, as for the
 * step role).
 */
export function sweepFunctionPolicy(props: SweepFunctionProps): PolicyDocument {
  return policyDocument('identity', [
    ...(props.memberRetention ? [assumeMemberRole(props)] : []),
    writeOwnLogGroup(props, COPY_SWEEP_FUNCTION_NAME),
    ...ledgerSweepStatements(props),
    ...(props.memberRetention && props.ownAccountCopy ? sweepPermissionStatements(props.ownAccountCopy) : []),
    ...(props.vault ? vaultSweepStatements(props.vault) : []),
  ]);
}

/** The sweep function's environment (handlers/snapshot-copy/README.md, "Environment"). */
export const sweepEnvironment = (props: Pick<SweepFunctionProps, 'memberRoleName' | 'memberRetention' | 'vault'>): Record<string, string> => ({
  MEMBER_ROLE_NAME: props.memberRoleName,
  LEDGER_TABLE_NAME: COPY_LEDGER_TABLE_NAME,
  SWEEP_KINDS: sweptKinds(props).join(','),
  ...(props.vault ? vaultSweepEnvironment(props.vault) : {}),
  ...POWERTOOLS_ENVIRONMENT,
});

export interface SnapshotCopySweepProps extends CopyUnitProps, SweepFunctionProps {
  readonly code: FunctionCode;
  /** The central target DLQ: the schedule's target dead-letters there. */
  readonly deadLetterQueueArn: string;
  /** The copy ledger table (`SnapshotCopyWorkflow.ledgerTable`): the function is created after it. */
  readonly ledgerTable: ITerraformDependable;
}

/**
 * The retention sweep (with `snapshotCopy.retentionDays` or `snapshotCopy.vault.retentionDays`): a
 * daily rule on the default bus starts the sweep state machine `ebs-event-hub-copy-sweep` (through
 * the role `ebs-event-hub-copy-sweep-events`), which invokes the sweep function
 * `ebs-event-hub-copy-sweep` page after page over the copy ledger's expired copies
 * (sweep-workflow.ts); their roles, log groups and execution alarms. Nothing here depends on the
 * number of member accounts or regions: the ledger says where the expired copies are.
 *
 * Built into `scope` (the `SnapshotCopy` construct) with the ids `sweep-log-group` / `-role` /
 * `-function`, `sweep-states-role` / `-states-log-group` / `-state-machine` / `-executions-*`,
 * `sweep-events-role`, `sweep-rule` and `sweep-target`.
 */
export class SnapshotCopySweep {
  readonly sweep: CopyFunction;
  readonly machine: CopyStateMachine;
  readonly eventsRole: RoleWithPolicies;
  readonly rule: CloudwatchEventRule;
  readonly target: CloudwatchEventTarget;
  /** Each role by role name, and each role's policy: what the IAM tests evaluate. */
  readonly roles: Readonly<Record<string, RoleWithPolicies>>;
  readonly rolePolicies: Readonly<Record<string, PolicyDocument>>;

  constructor(scope: Construct, props: SnapshotCopySweepProps) {
    const unit = 'SnapshotCopySweep';
    checkScope(unit, props);
    checkMemberRoleAccess(unit, props);
    if (props.vault) checkVaultAccess(unit, props.vault);
    if (sweptKinds(props).length === 0) {
      throw new Error(`${unit}: nothing expires (memberRetention is false and vault.retentionDays is not set); build the sweep only with snapshotCopy.retentionDays or snapshotCopy.vault.retentionDays`);
    }
    const { region, accountId } = props;
    const common = { accountId, region, logRetentionDays: props.logRetentionDays, kmsKeyArn: props.kmsKeyArn };

    this.sweep = new CopyFunction(scope, 'sweep', {
      ...common,
      code: props.code,
      functionName: COPY_SWEEP_FUNCTION_NAME,
      handler: 'index.sweep',
      description: 'Deletes the expired snapshot copies the copy ledger records, one page a call (the retention sweep)',
      timeoutSeconds: COPY_SWEEP_TIMEOUT_SECONDS,
      policy: sweepFunctionPolicy(props),
      environment: sweepEnvironment(props),
      sizeHint: MEMBER_LIST_SIZE_HINT,
      after: [props.ledgerTable],
    });
    const sweepArn = lambdaArn(region, accountId, COPY_SWEEP_FUNCTION_NAME);
    this.machine = new CopyStateMachine(scope, 'sweep', {
      ...common,
      alertTopicArn: props.alertTopicArn,
      name: COPY_SWEEP_STATE_MACHINE_NAME,
      description: 'Retention sweep state machine: invokes only ebs-event-hub-copy-sweep, writes its log group',
      taskFunctionArn: sweepArn,
      taskFunction: this.sweep.function,
      definition: sweepWorkflowDefinition({ sweepFunctionArn: sweepArn }),
    });

    const eventsRoleName = `${COPY_SWEEP_RULE_NAME}-events`;
    const eventsPolicy = policyDocument('identity', [
      { Sid: 'StartSweepExecutions', Effect: 'Allow', Action: 'states:StartExecution', Resource: sweepStateMachineArn(props) },
    ]);
    this.eventsRole = new RoleWithPolicies(scope, 'sweep-events-role', {
      roleName: eventsRoleName,
      description: 'EventBridge starts the daily retention sweep',
      trustPolicy: serviceTrustPolicy('events.amazonaws.com', accountId),
      policies: { [eventsRoleName]: eventsPolicy },
    });
    this.rule = new CloudwatchEventRule(scope, 'sweep-rule', {
      name: COPY_SWEEP_RULE_NAME,
      description: 'Starts the retention sweep of expired snapshot copies once a day',
      region,
      eventBusName: 'default',
      scheduleExpression: COPY_SWEEP_SCHEDULE,
      state: 'ENABLED',
    });
    // One target: the definition holds no account list, and one execution sweeps every expired copy.
    this.target = new CloudwatchEventTarget(scope, 'sweep-target', {
      rule: this.rule.name,
      eventBusName: this.rule.eventBusName,
      region,
      targetId: 'sweep',
      arn: this.machine.stateMachine.arn,
      roleArn: this.eventsRole.role.arn,
      input: JSON.stringify({}),
      retryPolicy: { ...TARGET_RETRY },
      deadLetterConfig: { arn: props.deadLetterQueueArn },
      dependsOn: [...this.eventsRole.policies],
    });

    const owned = [this.sweep, this.machine, { roleName: eventsRoleName, role: this.eventsRole, policy: eventsPolicy }];
    this.roles = rolesByName(owned);
    this.rolePolicies = policiesByName(owned);
  }
}
