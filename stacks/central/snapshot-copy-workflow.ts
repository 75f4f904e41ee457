import type { Construct } from 'constructs';
import { COPY_MAX_RETENTION_DAYS } from '../../config/schema';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { suppress } from '../guardrails';
import { COPY_STATE_MACHINE_NAME, COPY_STEP_FUNCTION_NAME, lambdaArn, PREFIX, stateMachineArn } from '../names';
import { policyDocument, type PolicyDocument } from '../policy/policy';
import type { RoleWithPolicies } from '../policy/role-with-policies';
import { copyPermissionStatements, type CopyPermissionsProps } from '../policy/snapshot-copy-permissions';
import { copyWorkflowDefinition, MEMBER_STEP_NAMES, STEP_NAMES } from './copy-workflow';
import {
  assumeMemberRole,
  checkMaxInFlightCopies,
  checkMemberRoleAccess,
  checkScope,
  checkWholeNumber,
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
import { COPY_LEDGER_TABLE_NAME, copyLedgerTable, ledgerStepStatements } from './snapshot-copy-ledger';
import { CopyStateMachine } from './snapshot-copy-state-machine';
import { checkVaultAccess, vaultStepEnvironment, vaultStepStatements, type VaultAccess } from './snapshot-copy-vault';

/**
 * The copy-slots table: the DynamoDB semaphore that makes `maxInFlightCopies` strict (one item per
 * account and destination region; handlers/snapshot-copy/slots.ts).
 */
export const COPY_SLOTS_TABLE_NAME = `${PREFIX}-copy-slots`;
export const copySlotsTableArn = (p: CopyScope): string => `arn:aws:dynamodb:${p.region}:${p.accountId}:table/${COPY_SLOTS_TABLE_NAME}`;
export const copyStateMachineArn = (p: CopyScope): string => stateMachineArn(p.region, p.accountId, COPY_STATE_MACHINE_NAME);
/** Every execution of the copy state machine (`execution:<state machine>:<name>`): the copy-slot holders. */
export const copyExecutionsArn = (p: CopyScope): string => `arn:aws:states:${p.region}:${p.accountId}:execution:${COPY_STATE_MACHINE_NAME}:*`;

/** One workflow step: a few EC2 calls, throttling retried by the SDK inside it. */
export const COPY_STEP_TIMEOUT_SECONDS = 120;

/** What the step function's policy and environment depend on. */
export interface StepFunctionProps extends CopyScope, MemberRoleAccess {
  /**
   * Copy permissions in the central account itself, when it is also a member (its own snapshots
   * are copied with the function's own credentials).
   * @default - none: the function acts only through member roles
   */
  readonly ownAccountCopy?: CopyPermissionsProps;
  /**
   * Vault mode: the step function assumes the vault role (and shares its own account's copies).
   * @default - no vault
   */
  readonly vault?: VaultAccess;
}

/**
 * The step function assumes the member role (and copies in its own account when it is a member),
 * and takes, holds and releases copy slots: UpdateItem (conditional) on the slots table only. It
 * reads items only through UpdateItem's ReturnValuesOnConditionCheckFailure, which needs no
 * dynamodb:GetItem (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html).
 * It asks whether a slot holder still runs: states:DescribeExecution on the copy state machine's
 * executions only (resource type `execution`:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
 * It records copies in the copy ledger and reads it (./snapshot-copy-ledger ledgerStepStatements).
 */
export function stepFunctionPolicy(props: StepFunctionProps): PolicyDocument {
  return policyDocument('identity', [
    assumeMemberRole(props),
    writeOwnLogGroup(props, COPY_STEP_FUNCTION_NAME),
    { Sid: 'UseCopySlots', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: copySlotsTableArn(props) },
    { Sid: 'ReadCopySlotHolders', Effect: 'Allow', Action: 'states:DescribeExecution', Resource: copyExecutionsArn(props) },
    ...ledgerStepStatements(props),
    ...(props.ownAccountCopy ? copyPermissionStatements(props.ownAccountCopy) : []),
    ...(props.vault ? vaultStepStatements(props.vault, props, props.ownAccountCopy) : []),
  ]);
}

/** The step function's environment (handlers/snapshot-copy/README.md, "Environment"). */
export function stepEnvironment(props: CopyScope & Pick<SnapshotCopyWorkflowProps, 'memberRoleName' | 'kmsKeyId' | 'copyTag' | 'maxInFlightCopies' | 'retentionDays' | 'vault'>): Record<string, string> {
  return {
    MEMBER_ROLE_NAME: props.memberRoleName,
    STATE_MACHINE_ARN: copyStateMachineArn(props),
    ...(props.kmsKeyId ? { KMS_KEY_ID: props.kmsKeyId } : {}),
    ...(props.copyTag ? { COPY_TAG: props.copyTag } : {}),
    MAX_IN_FLIGHT_COPIES: String(props.maxInFlightCopies),
    SLOTS_TABLE_NAME: COPY_SLOTS_TABLE_NAME,
    LEDGER_TABLE_NAME: COPY_LEDGER_TABLE_NAME,
    ...(props.retentionDays !== undefined ? { RETENTION_DAYS: String(props.retentionDays) } : {}),
    ...(props.vault ? vaultStepEnvironment(props.vault) : {}),
    ...POWERTOOLS_ENVIRONMENT,
  };
}

export interface SnapshotCopyWorkflowProps extends CopyUnitProps, StepFunctionProps {
  readonly code: FunctionCode;
  /**
   * `snapshotCopy.kmsKeyId`: copies are encrypted under this key.
   * @default - none: EC2's choice (the account's default EBS key in the destination region)
   */
  readonly kmsKeyId?: string;
  /**
   * `snapshotCopy.copyTag`: only snapshots bearing this tag are copied.
   * @default - none: every completed snapshot
   */
  readonly copyTag?: string;
  /** `snapshotCopy.maxInFlightCopies` (1 to `EC2_MAX_CONCURRENT_SNAPSHOT_COPIES`). */
  readonly maxInFlightCopies: number;
  /**
   * `snapshotCopy.retentionDays`: copies are tagged to expire after this many days (1-36500).
   * @default - none: copies are kept
   */
  readonly retentionDays?: number;
}

/**
 * The copy workflow: the Standard state machine `ebs-event-hub-snapshot-copy` (one execution per
 * snapshot), the step function `ebs-event-hub-copy-step` its tasks invoke, the copy-slots table the
 * step function holds slots in, and the copy ledger it records every copy in; their roles, log
 * groups and execution alarms.
 *
 * Built into `scope` (the `SnapshotCopy` construct) with the ids `slots-table`, `ledger-table`,
 * `step-log-group` / `-role` / `-function` and `copy-states-role` / `-states-log-group` /
 * `-state-machine` / `-executions-*`.
 */
export class SnapshotCopyWorkflow {
  readonly slotsTable: DynamodbTable;
  /** The copy ledger (./snapshot-copy-ledger): the sweep reads it too. */
  readonly ledgerTable: DynamodbTable;
  readonly step: CopyFunction;
  readonly machine: CopyStateMachine;
  /** Each role by role name, and each role's policy: what the IAM tests evaluate. */
  readonly roles: Readonly<Record<string, RoleWithPolicies>>;
  readonly rolePolicies: Readonly<Record<string, PolicyDocument>>;

  constructor(scope: Construct, props: SnapshotCopyWorkflowProps) {
    const unit = 'SnapshotCopyWorkflow';
    checkScope(unit, props);
    checkMemberRoleAccess(unit, props);
    checkMaxInFlightCopies(unit, props.maxInFlightCopies);
    if (props.retentionDays !== undefined) checkWholeNumber(unit, 'retentionDays', props.retentionDays, 1, COPY_MAX_RETENTION_DAYS);
    if (props.vault) checkVaultAccess(unit, props.vault);
    const { region, accountId } = props;

    // A few items (one per account × destination region), a few writes per snapshot: on-demand
    // billing. Encrypted at rest always; with no `server_side_encryption` block under an AWS owned
    // key, which needs no key policy or grant
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html).
    // No point-in-time recovery: the slots are rebuilt from EC2 (stale holders are reconciled), so
    // losing the table loses nothing. Deletion protection off: `terraform destroy` removes the app.
    this.slotsTable = new DynamodbTable(scope, 'slots-table', {
      name: COPY_SLOTS_TABLE_NAME,
      region,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'slot',
      attribute: [{ name: 'slot', type: 'S' }],
      deletionProtectionEnabled: false,
    });
    this.ledgerTable = copyLedgerTable(scope, props);

    this.step = new CopyFunction(scope, 'step', {
      accountId,
      region,
      logRetentionDays: props.logRetentionDays,
      kmsKeyArn: props.kmsKeyArn,
      code: props.code,
      functionName: COPY_STEP_FUNCTION_NAME,
      handler: 'index.step',
      description:
        `Snapshot-copy workflow step (${MEMBER_STEP_NAMES.join(', ')}) in the snapshot's own account` +
        (props.vault ? `; vault-(${STEP_NAMES.filter((s) => s.startsWith('vault-')).map((s) => s.slice('vault-'.length)).join(', ')}) with the vault` : ''),
      timeoutSeconds: COPY_STEP_TIMEOUT_SECONDS,
      policy: stepFunctionPolicy(props),
      environment: stepEnvironment(props),
      sizeHint: MEMBER_LIST_SIZE_HINT,
      after: [this.slotsTable, this.ledgerTable],
    });

    // STATE_MACHINE_ARN names the state machine, which is created after this function (its definition
    // names the function by literal ARN): the function only reads it at run time (DescribeExecution of
    // slot holders), so no ordering is needed, and a depends_on would be a cycle.
    suppress(
      this.step.function,
      'literal-reference',
      'STATE_MACHINE_ARN is read only when the function runs (DescribeExecution of copy-slot holders); the state machine depends on this function, so ordering the function after it would be a cycle',
    );

    const stepArn = lambdaArn(region, accountId, COPY_STEP_FUNCTION_NAME);
    this.machine = new CopyStateMachine(scope, 'copy', {
      accountId,
      region,
      logRetentionDays: props.logRetentionDays,
      kmsKeyArn: props.kmsKeyArn,
      alertTopicArn: props.alertTopicArn,
      name: COPY_STATE_MACHINE_NAME,
      description: 'Snapshot-copy state machine: invokes only ebs-event-hub-copy-step, writes its log group',
      whatToDo: 'after fixing the cause, start them again with npm run copies -- retry',
      taskFunctionArn: stepArn,
      taskFunction: this.step.function,
      definition: copyWorkflowDefinition({ stepFunctionArn: stepArn, ...(props.vault ? { vault: { lock: props.vault.lock !== undefined, keepMemberCopy: props.vault.keepMemberCopy } } : {}) }),
    });

    this.roles = rolesByName([this.step, this.machine]);
    this.rolePolicies = policiesByName([this.step, this.machine]);
  }
}
