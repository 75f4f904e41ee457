import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import type { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import type { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { COPY_START_FUNCTION_NAME, COPY_STATE_MACHINE_NAME, COPY_STEP_FUNCTION_NAME, COPY_SWEEP_FUNCTION_NAME, COPY_SWEEP_STATE_MACHINE_NAME } from '../names';
import type { PolicyDocument } from '../policy/policy';
import type { RoleWithPolicies } from '../policy/role-with-policies';
import type { CopyPermissionsProps } from '../policy/snapshot-copy-permissions';
import { checkMaxInFlightCopies, functionLogGroupName, stateMachineLogGroupName, type CopyScope } from './snapshot-copy-common';
import { copyExecutionAlertRuleArn, CopyExecutionAlert } from './snapshot-copy-execution-alert';
import { copyRuleArn, SnapshotCopyIntake } from './snapshot-copy-intake';
import { copySweepRuleArn, SnapshotCopySweep } from './snapshot-copy-sweep';
import { SnapshotCopyWorkflow } from './snapshot-copy-workflow';
import type { VaultAccess } from './snapshot-copy-vault';

/** The built handler (`npm run build`): its deployment zip and the SHA-256 of its code. */
export interface HandlerBundle {
  /** `dist/snapshot-copy.zip`: `index.js` at the root, deterministic bytes. */
  readonly zipFile: string;
  /**
   * Base64 SHA-256 of the bundle's content, `index.js` (not of a zip: cdktf's own zips carry
   * timestamps, so their hash would change every synth and every plan would redeploy the function).
   */
  readonly sha256: string;
}

/**
 * The retention sweep is deployed when copies expire: member copies (`snapshotCopy.retentionDays`)
 * or vault copies (`snapshotCopy.vault.retentionDays`).
 */
export const sweepDeployed = (copy: { readonly retentionDays?: number; readonly vault?: { readonly retentionDays?: number } }): boolean =>
  copy.retentionDays !== undefined || copy.vault?.retentionDays !== undefined;

/** Every log group of the copy path (the hub key's policy must admit them: exported for it). */
export function copyLogGroupNames(props: { readonly retention: boolean }): string[] {
  return [
    functionLogGroupName(COPY_START_FUNCTION_NAME),
    functionLogGroupName(COPY_STEP_FUNCTION_NAME),
    stateMachineLogGroupName(COPY_STATE_MACHINE_NAME),
    ...(props.retention ? [functionLogGroupName(COPY_SWEEP_FUNCTION_NAME), stateMachineLogGroupName(COPY_SWEEP_STATE_MACHINE_NAME)] : []),
  ];
}

/** The copy path's rules whose targets dead-letter to the central target DLQ. */
export const copyRuleArns = (p: CopyScope & { readonly busName: string; readonly retention: boolean }): string[] => [
  copyRuleArn(p),
  copyExecutionAlertRuleArn(p),
  ...(p.retention ? [copySweepRuleArn(p)] : []),
];

export interface SnapshotCopyProps {
  readonly accountId: string;
  readonly region: string;
  /** The central bus's name (literal: the ARNs in policies are built from it). */
  readonly busName: string;
  /** The bus, by reference (`bus.name`): the copy rule is created after it. @default - `busName` */
  readonly eventBusName?: string;
  readonly organizationId?: string;
  readonly bundle: HandlerBundle;
  readonly destinationRegion: string;
  readonly regionMap?: Readonly<Record<string, string>>;
  /** The regions snapshots are copied from (`configuredSourceRegions`): the starter skips others. */
  readonly sourceRegions: readonly string[];
  readonly kmsKeyId?: string;
  readonly copyTag?: string;
  /** Role assumed in each member account. */
  readonly memberRoleName: string;
  /** Member accounts (named in the role policies when there is no organization id). */
  readonly memberAccountIds: readonly string[];
  /**
   * Copy permissions in the central account itself, when it is also a member (its own snapshots
   * are copied and swept with the functions' own credentials).
   * @default - none: the functions act only through member roles
   */
  readonly ownAccountCopy?: CopyPermissionsProps;
  /** `snapshotCopy.maxInFlightCopies` (1 to `EC2_MAX_CONCURRENT_SNAPSHOT_COPIES`). */
  readonly maxInFlightCopies: number;
  /**
   * `snapshotCopy.retentionDays`: copies expire and the sweep deletes them.
   * @default - none: copies are kept (no sweep is deployed unless `vault.retentionDays` is set)
   */
  readonly retentionDays?: number;
  /**
   * Vault mode (`snapshotCopy.vault`): the step (and, with `vault.retentionDays`, the sweep)
   * function assumes the vault role (`snapshot-copy-vault.ts`).
   * @default - no vault
   */
  readonly vault?: VaultAccess;
  /** Role that deploys the central stack: the documented exception of the copy queue's policy (redrive). */
  readonly deploymentRoleName: string;
  readonly logRetentionDays: number;
  readonly kmsKeyArn: string;
  readonly alertTopicArn: string;
  readonly deadLetterQueueArn: string;
}

/**
 * The snapshot-copy path in the central account (handlers/snapshot-copy/README.md), composed of
 * its units, each in its own file with its own props and tests:
 * - intake (`snapshot-copy-intake.ts`): copy rule (central bus) → SQS copy queue (SSE, DLQ) →
 *   `ebs-event-hub-copy-start` (event source mapping, partial batch failures);
 * - workflow (`snapshot-copy-workflow.ts`): Standard state machine `ebs-event-hub-snapshot-copy`,
 *   one execution per snapshot → `ebs-event-hub-copy-step` for each step; the copy-slots table and
 *   the copy ledger (`snapshot-copy-ledger.ts`);
 * - sweep (`snapshot-copy-sweep.ts`, with retention of member or vault copies): a daily rule starts
 *   the sweep state machine, which invokes `ebs-event-hub-copy-sweep` page after page over the copy
 *   ledger's expired copies;
 * - the execution alert (`snapshot-copy-execution-alert.ts`): executions that end badly → alert topic.
 * Shared pieces: `snapshot-copy-common.ts` (props, names, validation), `snapshot-copy-function.ts`
 * (a function with its role and log group), `snapshot-copy-state-machine.ts` (a state machine with
 * its role, log group and alarms).
 *
 * Every unit builds into this construct (not into a child construct of its own): resource
 * addresses are construct paths, and they must not change (`__tests__/synth-golden.test.ts`).
 * The vault unit (`snapshot-copy-vault.ts`) adds statements and environment to the step and sweep
 * functions (the `vault` prop they are given); its resources are in the vault stack.
 *
 * Failure paths: the queue's DLQ (starts that keep failing), the state machines' Retry/Catch and
 * Fail states (steps and sweeps are invoked synchronously by Step Functions: no asynchronous
 * Lambda invocation exists here, so no Lambda destinations), the central target DLQ for the rules;
 * alarms and an execution-status rule to the alert topic.
 */
export class SnapshotCopy extends Construct {
  readonly intake: SnapshotCopyIntake;
  readonly workflow: SnapshotCopyWorkflow;
  /** With `retentionDays` or `vault.retentionDays` only (`sweepDeployed`). */
  readonly sweep?: SnapshotCopySweep;
  readonly executionAlert: CopyExecutionAlert;
  readonly functions: Readonly<Record<'start' | 'step' | 'sweep', LambdaFunction | undefined>>;
  readonly roles: Readonly<Record<string, RoleWithPolicies>>;
  readonly queue: SqsQueue;
  readonly stateMachine: SfnStateMachine;
  readonly sweepStateMachine?: SfnStateMachine;
  readonly queuePolicy: PolicyDocument;
  readonly slotsTable: DynamodbTable;
  readonly ledgerTable: DynamodbTable;
  /** Each role's policy, by role name: what the IAM tests evaluate. */
  readonly rolePolicies: Readonly<Record<string, PolicyDocument>>;

  constructor(scope: Construct, id: string, props: SnapshotCopyProps) {
    super(scope, id);
    const { region, accountId } = props;
    checkMaxInFlightCopies('SnapshotCopy', props.maxInFlightCopies);

    const asset = new TerraformAsset(this, 'code', { path: props.bundle.zipFile, type: AssetType.FILE });
    const code = { filename: asset.path, sourceCodeHash: props.bundle.sha256 };
    const unit = { accountId, region, logRetentionDays: props.logRetentionDays, kmsKeyArn: props.kmsKeyArn, alertTopicArn: props.alertTopicArn };
    const memberRoles = { organizationId: props.organizationId, memberRoleName: props.memberRoleName, memberAccountIds: props.memberAccountIds, ownAccountCopy: props.ownAccountCopy, vault: props.vault };

    this.workflow = new SnapshotCopyWorkflow(this, {
      ...unit,
      ...memberRoles,
      code,
      kmsKeyId: props.kmsKeyId,
      copyTag: props.copyTag,
      maxInFlightCopies: props.maxInFlightCopies,
      retentionDays: props.retentionDays,
    });
    this.intake = new SnapshotCopyIntake(this, {
      ...unit,
      code,
      busName: props.busName,
      eventBusName: props.eventBusName,
      destinationRegion: props.destinationRegion,
      regionMap: props.regionMap,
      sourceRegions: props.sourceRegions,
      deploymentRoleName: props.deploymentRoleName,
      deadLetterQueueArn: props.deadLetterQueueArn,
      stateMachine: this.workflow.machine.stateMachine,
    });
    if (sweepDeployed(props)) {
      this.sweep = new SnapshotCopySweep(this, {
        ...unit,
        ...memberRoles,
        code,
        memberRetention: props.retentionDays !== undefined,
        deadLetterQueueArn: props.deadLetterQueueArn,
        ledgerTable: this.workflow.ledgerTable,
      });
    }
    this.executionAlert = new CopyExecutionAlert(this, {
      accountId,
      region,
      stateMachines: [this.workflow.machine, ...(this.sweep ? [this.sweep.machine] : [])],
      alertTopicArn: props.alertTopicArn,
      deadLetterQueueArn: props.deadLetterQueueArn,
    });

    this.functions = { start: this.intake.start.function, step: this.workflow.step.function, sweep: this.sweep?.sweep.function };
    this.roles = { ...this.workflow.roles, ...this.intake.roles, ...this.sweep?.roles };
    this.rolePolicies = { ...this.workflow.rolePolicies, ...this.intake.rolePolicies, ...this.sweep?.rolePolicies };
    this.queue = this.intake.queue;
    this.queuePolicy = this.intake.queuePolicy;
    this.stateMachine = this.workflow.machine.stateMachine;
    this.sweepStateMachine = this.sweep?.machine.stateMachine;
    this.slotsTable = this.workflow.slotsTable;
    this.ledgerTable = this.workflow.ledgerTable;
  }
}
