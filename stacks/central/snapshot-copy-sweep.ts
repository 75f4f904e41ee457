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
import { vaultSweepEnvironment, vaultSweepStatements, type VaultAccess } from './snapshot-copy-vault';
import { sweepChunks, sweepWorkflowDefinition, type SweepTarget } from './sweep-workflow';

/** Scheduled rule on the central account's default bus that starts the retention sweep. */
export const COPY_SWEEP_RULE_NAME = `${PREFIX}-copy-sweep`;
/** The sweep runs once a day: expiry is a date, and a day late costs one day of storage. */
export const COPY_SWEEP_SCHEDULE = 'rate(1 day)';
/** One account and region: describe this app's copies and delete the expired ones. */
export const COPY_SWEEP_TIMEOUT_SECONDS = 900;

export const sweepStateMachineArn = (p: CopyScope): string => stateMachineArn(p.region, p.accountId, COPY_SWEEP_STATE_MACHINE_NAME);
/** ARN of the scheduled sweep rule (default bus): the central target DLQ admits it. */
export const copySweepRuleArn = (p: CopyScope): string => ruleArn(p.region, p.accountId, COPY_SWEEP_RULE_NAME);

/** What the sweep function's policy depends on. */
export interface SweepFunctionProps extends CopyScope, MemberRoleAccess {
  /**
   * Delete permissions in the central account itself, when it is also a member (its own copies
   * are swept with the function's own credentials).
   * @default - none: the function acts only through member roles
   */
  readonly ownAccountCopy?: CopyPermissionsProps;
  /**
   * Vault mode: with `vault.retentionDays`, the sweep function assumes the vault role.
   * @default - no vault
   */
  readonly vault?: VaultAccess;
}

/**
 * The sweep function assumes the member role (and sweeps its own account when it is a member), and
 * reads the copy ledger's expired copies and forgets the ones it deleted (ledgerSweepStatements).
 */
export function sweepFunctionPolicy(props: SweepFunctionProps): PolicyDocument {
  return policyDocument('identity', [
    assumeMemberRole(props),
    writeOwnLogGroup(props, COPY_SWEEP_FUNCTION_NAME),
    ...ledgerSweepStatements(props),
    ...(props.ownAccountCopy ? sweepPermissionStatements(props.ownAccountCopy) : []),
    ...(props.vault ? vaultSweepStatements(props.vault) : []),
  ]);
}

/** The sweep function's environment (handlers/snapshot-copy/README.md, "Environment"). */
export const sweepEnvironment = (props: Pick<SweepFunctionProps, 'memberRoleName' | 'vault'>): Record<string, string> => ({
  MEMBER_ROLE_NAME: props.memberRoleName,
  LEDGER_TABLE_NAME: COPY_LEDGER_TABLE_NAME,
  ...(props.vault ? vaultSweepEnvironment(props.vault) : {}),
  ...POWERTOOLS_ENVIRONMENT,
});

export interface SnapshotCopySweepProps extends CopyUnitProps, SweepFunctionProps {
  readonly code: FunctionCode;
  /** Every member account × destination region the sweep visits: at least one. */
  readonly sweepTargets: readonly SweepTarget[];
  /** The central target DLQ: the schedule's targets dead-letter there. */
  readonly deadLetterQueueArn: string;
  /** The copy ledger table (`SnapshotCopyWorkflow.ledgerTable`): the function is created after it. */
  readonly ledgerTable: ITerraformDependable;
}

/**
 * The retention sweep (with `snapshotCopy.retentionDays`): a daily rule on the default bus starts
 * the sweep state machine `ebs-event-hub-copy-sweep` once per chunk of targets (through the role
 * `ebs-event-hub-copy-sweep-events`), whose Map invokes the sweep function
 * `ebs-event-hub-copy-sweep` per account and destination region; their roles, log groups and
 * execution alarms.
 *
 * Built into `scope` (the `SnapshotCopy` construct) with the ids `sweep-log-group` / `-role` /
 * `-function`, `sweep-states-role` / `-states-log-group` / `-state-machine` / `-executions-*`,
 * `sweep-events-role`, `sweep-rule` and `sweep-target-<i>`.
 */
export class SnapshotCopySweep {
  readonly sweep: CopyFunction;
  readonly machine: CopyStateMachine;
  readonly eventsRole: RoleWithPolicies;
  readonly rule: CloudwatchEventRule;
  readonly targets: readonly CloudwatchEventTarget[];
  /** Each role by role name, and each role's policy: what the IAM tests evaluate. */
  readonly roles: Readonly<Record<string, RoleWithPolicies>>;
  readonly rolePolicies: Readonly<Record<string, PolicyDocument>>;

  constructor(scope: Construct, props: SnapshotCopySweepProps) {
    const unit = 'SnapshotCopySweep';
    checkScope(unit, props);
    checkMemberRoleAccess(unit, props);
    if (props.sweepTargets.length === 0) throw new Error(`${unit}: sweepTargets is empty; give every member account × destination region`);
    // Too many targets fail here (SweepTooLargeError), before anything is built.
    const chunks = sweepChunks(props.sweepTargets);
    const { region, accountId } = props;
    const common = { accountId, region, logRetentionDays: props.logRetentionDays, kmsKeyArn: props.kmsKeyArn };

    this.sweep = new CopyFunction(scope, 'sweep', {
      ...common,
      code: props.code,
      functionName: COPY_SWEEP_FUNCTION_NAME,
      handler: 'index.sweep',
      description: 'Deletes expired snapshot copies (expiry tag) in one account and destination region',
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
      definition: sweepWorkflowDefinition({ sweepFunctionArn: sweepArn, targets: props.sweepTargets }),
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
    this.targets = chunks.map(
      (_, i) =>
        new CloudwatchEventTarget(scope, `sweep-target-${i}`, {
          rule: this.rule.name,
          eventBusName: this.rule.eventBusName,
          region,
          targetId: `sweep-chunk-${i}`,
          arn: this.machine.stateMachine.arn,
          roleArn: this.eventsRole.role.arn,
          input: JSON.stringify({ chunk: i }),
          retryPolicy: { ...TARGET_RETRY },
          deadLetterConfig: { arn: props.deadLetterQueueArn },
          dependsOn: [...this.eventsRole.policies],
        }),
    );

    const owned = [this.sweep, this.machine, { roleName: eventsRoleName, role: this.eventsRole, policy: eventsPolicy }];
    this.roles = rolesByName(owned);
    this.rolePolicies = policiesByName(owned);
  }
}
