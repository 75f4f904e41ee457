/**
 * The snapshot-copy workflow: one AWS Step Functions (Standard) execution per snapshot and
 * destination region, as an Amazon States Language definition (a plain JSON object).
 *
 * Pure data: no cdktf import, no I/O. The central stack renders it with JSON.stringify into
 * `aws_sfn_state_machine.definition`; the tests run this very object offline (aws-local-stepfunctions)
 * with the handler's `step` entry point as its task and count its worst-case history from the
 * synthesized JSON (stacks/central/history-budget.ts); `scripts/bench-burst.ts` interprets it state
 * by state, so its timing model cannot drift from what is deployed.
 *
 *   Prepare ─▶ Inspect ─▶ CopyOrSkip ──skip──▶ Skipped (Succeed)
 *                 ▲          │ unavailable (outages < O): CountOutageInspect ─▶ WaitOutageInspect ─▶ Inspect
 *              Find ─▶ AlreadyCopied ──copied──▶ Copied, ──found──▶ WaitForCopy
 *                 │          │ unavailable (outages < O): CountOutageFind ─▶ WaitOutageFind ─▶ Find
 *   ┌────────▶ Admit ─▶ AdmittedOrWait ──admitted──▶ Copy ─▶ CopyingOrWait ──copying──▶ WaitForCopy ─▶ Poll
 *   │                        │ wait (waits < W)                   │ wait (waits < W)                    │
 *   │  WaitForSlot ◀── CountWait ◀────────────────────────────────┘                  CopiedOrRecopy ◀─┘
 *   │                                                                    recopy (copies < C) │   │ copied
 *   └──────────────────────────────── CountCopy ◀────────────────────────────────────────────┘   ▼
 *                                         ▲ copies < C (CopyAgain)                       ReleaseSlot ─▶ Copied
 *        Copy ──CopyOutcomeUnknown──▶ ConfirmCopy ──not visible after its retries──┘
 *                                         └─▶ ConfirmedOrWait ──found──▶ WaitForCopy; unavailable (outages < O) ─▶ wait, ConfirmCopy
 *   waits ≥ W ─▶ WaitedTooLong, copies ≥ C ─▶ CopyGaveUp, outages ≥ O ─▶ UnavailableTooLong: ─▶ ReleaseSlotFailed ─▶ Failed
 *
 * The data: `Prepare` moves the execution's input to `$.task.data` and starts three counters,
 * `$.loops.waits.n`, `$.loops.copies.n` and `$.loops.outages.n`. Every Task passes `$.task.data` to the function and puts
 * its answer back there (`ResultSelector` + `ResultPath: $.task`), so no function can touch the
 * counters; only the `Count*` Pass states raise them (`States.MathAdd`), and a Choice leaves each
 * loop at a constant bound: a count the definition shows, which the history test reads
 * (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-math-operation).
 * A Standard execution fails, uncatchably, at 25,000 history events; every path stays under 20,000
 * (stacks/central/history-budget.ts; https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 *
 * Waiting:
 * - for a slot (or after EC2 refused a copy: its 20-copy quota, throttling): the step answers
 *   `outcome: wait` with `waitSeconds` computed from the wait count (the handler's ADMISSION_WAIT:
 *   "equal jitter", half the backoff fixed and half random, so hundreds of executions do not check
 *   in lockstep and each wait has a floor), and `WaitForSlot` waits that long (`SecondsPath`). The
 *   backoff survives every re-entry (it is in the data), and the floor makes ADMISSION_WAIT_BOUND
 *   waits last at least MAX_WAIT_SECONDS: the step's 7-day deadline (CopyWaitTimedOut) comes first.
 *   `SecondsPath` takes an integer number of seconds (the step answers whole seconds), and a Standard
 *   workflow's Wait lasts at most a year: https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
 * - for a copy: `Poll`'s retriers, one entry each copy (CopyPending every 6 minutes for the first
 *   hours, then CopyStillPending backing off to 2 hours), up to the step's 7-day deadline.
 * - through an outage: throttling and 5xx of EC2, STS or DynamoDB (the copy slots, the copy ledger)
 *   that outlive the SDK's retries. Admit and Copy answer `wait` (the admission backoff); Poll
 *   answers pending; Inspect, Find and ConfirmCopy answer
 *   `unavailable` with the next wait (the handler's OUTAGE_WAIT over `$.loops.outages.n`: minutes
 *   apart for the first hours, so a storm's end is noticed soon, then hours apart), for 7 days.
 * Lambda's own errors, a timeout (`Sandbox.Timedout`, `Lambda.Unknown`) or a crash
 * (`Runtime.ExitError`) are retried on every state but Copy, where they mean "maybe copied" and go
 * to ConfirmCopy.
 *
 * The copy ledger (handlers/snapshot-copy/ledger.ts) decides what is this app's copy: Find trusts only
 * the copies it records, Copy records its copy right after CopySnapshot (a failed write is
 * CopyOutcomeUnknown: ConfirmCopy adopts the copy only when it is provably this attempt's, its cause
 * saying `attempted at <ISO time>`), Admit counts only recorded pending copies.
 *
 * Copy slots (handlers/snapshot-copy/slots.ts): Admit takes a slot in the DynamoDB table, Copy
 * re-confirms it, and every exit after Admit releases it: Poll copied → ReleaseSlot → Copied;
 * SourceSnapshotGone → ReleaseSlotSkipped → Skipped; any other error of Admit, Copy, ConfirmCopy or
 * Poll (Catch States.ALL into `$.task.data.lastError`) and a loop's bound → ReleaseSlotFailed →
 * Failed, a Fail state that ends the execution with that Error and Cause (ErrorPath/CausePath:
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html). Executions stopped, timed
 * out or failed at the history limit run no state: Admit reclaims their slots (DescribeExecution).
 *
 * Every Task invokes ONE Lambda function (`ebs-event-hub-copy-step`) through the optimized
 * integration `arn:aws:states:::lambda:invoke` with the payload
 * `{ "step", "executionName": $$.Execution.Name, "executionStartTime": $$.Execution.StartTime, "data": $.task.data,
 * "waits": $.loops.waits.n, "outages": $.loops.outages.n }` (the execution's own name is its copy-slot
 * holder: a retry started by `npm run copies -- retry` runs under `<name>-r<N>` with the same input;
 * the Context object's `Execution.Name` and `Execution.StartTime`:
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
 * Errors the function throws carry the error's `name` as the state's `Error`, which Retry/Catch match.
 *   https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */

/** The member-side steps: every definition invokes these. */
export const MEMBER_STEP_NAMES = ['inspect', 'find', 'confirm', 'admit', 'copy', 'poll', 'release'] as const;
/** Step names: the `step` field of the task payload, dispatched by the handler's `step` export (the vault steps in vault mode only). */
export const STEP_NAMES = [
  ...MEMBER_STEP_NAMES,
  'vault-share',
  'vault-find',
  'vault-admit',
  'vault-copy',
  'vault-confirm',
  'vault-poll',
  'vault-release',
  'vault-lock',
  'vault-unshare',
  'vault-delete-member',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/**
 * Error names (`Error` values) the step function throws and the definition matches.
 * Terminal ones are not retried or caught: the execution fails with them (an alarm fires).
 */
export const WORKFLOW_ERRORS = {
  /** The source snapshot is still `pending`: retried (SOURCE_RETRY). */
  sourceNotReady: 'SourceSnapshotNotReady',
  /**
   * Terminal: EC2 (or STS, or DynamoDB on the copy ledger) throttled or failed (5xx, timeouts)
   * through the SDK's retries on Inspect, Find or ConfirmCopy for MAX_WAIT_SECONDS. Until then those steps answer `unavailable` and wait;
   * Admit, Copy and Poll never throw it: they wait for a slot, or poll again.
   */
  ec2Unavailable: 'Ec2Unavailable',
  /** CopySnapshot failed in a way that does not prove EC2 refused it: caught → ConfirmCopy. */
  copyOutcomeUnknown: 'CopyOutcomeUnknown',
  /** ConfirmCopy found no copy yet (DescribeSnapshots is eventually consistent): retried, then caught → CopyAgain. */
  copyNotVisibleYet: 'CopyNotVisibleYet',
  /** The copy is still `pending` (it started less than POLL_FAST_SECONDS ago): retried every 6 minutes (POLL_RETRY). */
  copyPending: 'CopyPending',
  /** The copy is still `pending` after POLL_FAST_SECONDS: retried, backing off to 2 hours (POLL_SLOW_RETRY). */
  copyStillPending: 'CopyStillPending',
  /** Terminal: the wait for a slot, or for the copy, exceeded MAX_WAIT_SECONDS. */
  waitTimedOut: 'CopyWaitTimedOut',
  /** Terminal: the copy ended in `error` more than MAX_RECOPIES times (cause carries EC2's StateMessage). */
  copyFailed: 'CopyFailed',
  /** Terminal: AccessDenied / UnauthorizedOperation / STS refusal: a permission problem retrying cannot fix. */
  permissionDenied: 'CopyPermissionDenied',
  /** The source snapshot disappeared between Inspect and Copy (InvalidSnapshot.NotFound): caught → Skipped. */
  sourceGone: 'SourceSnapshotGone',
  /** Terminal: the execution's input is not the canonical copy input. */
  invalidInput: 'InvalidCopyInput',
  /**
   * DynamoDB throttling or a 5xx/network failure on the copy-slots or copy-ledger table after the
   * SDK's retries: retried on the Release states (THROTTLE_RETRY). Never ends an execution: Admit
   * and Copy wait for a slot instead, Find and ConfirmCopy (the ledger) answer `unavailable`, a
   * failed ledger write after CopySnapshot is CopyOutcomeUnknown, and the Release states catch it.
   */
  slotTableUnavailable: 'SlotTableUnavailable',
  /**
   * Terminal (Inspect, before any slot is taken): the source is encrypted under another account's
   * customer managed key, which the member role cannot use; the cause names the snapshot, the key and
   * what to do. Plain: no retrier or catcher names it.
   */
  sourceKeyNotAccessible: 'SourceKeyNotAccessible',
  /**
   * Terminal (vault mode): the member-side copy was deleted (or its share removed) before its vault
   * copy was made. Not copied again by the workflow: someone deleted the DR copy this app made (on
   * purpose, or the threat the vault answers), and a re-copy loop would join the member and vault
   * loops into one, beyond the history budget; `npm run copies -- retry` copies again from the source.
   */
  memberCopyGone: 'MemberCopyGone',
  /** Terminal (vault mode): EC2 refused to share (or unshare) the member copy (e.g. OperationNotPermitted: not under a customer managed key), or the ledger does not record it as this app's. */
  vaultShareRefused: 'VaultShareRefused',
  /** Terminal (vault mode): the vault role (or the member role, for the share: after 7 days of waiting for its stack) refused. */
  vaultPermissionDenied: 'VaultPermissionDenied',
  /** Terminal (vault mode): the vault copy ended in `error` more than MAX_RECOPIES times, or EC2 refused CopySnapshot into the vault. */
  vaultCopyFailed: 'VaultCopyFailed',
  /** Terminal (vault mode): LockSnapshot refused (other than permissions), or the vault copy disappeared before it was locked. */
  vaultLockFailed: 'VaultLockFailed',
} as const;

/** Errors the definition itself ends an execution with (a loop's bound), never thrown by the function. */
export const DEFINITION_ERRORS = {
  /** The copy was made again COPY_AGAIN_BOUND times (re-copies and unconfirmed ambiguous copies): Failed. */
  copyAttemptsExhausted: 'CopyAttemptsExhausted',
} as const;

/**
 * Errors of the Lambda service itself (not of our code), which AWS recommends retrying.
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  // Out of memory or the function's timeout (same page): on a read, simply run the step again.
  'Lambda.Unknown',
] as const;

/**
 * The function ran out of time or its runtime died. The Step Functions guide reports a function
 * timeout as `Lambda.Unknown` (above); executions report `Sandbox.Timedout` (the Lambda
 * troubleshooting guide's "Task timed out"), and a crashed runtime `Runtime.ExitError`
 * (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html). Retried on every
 * state but Copy, where the step may have copied.
 */
export const LAMBDA_RUNTIME_ERRORS = ['Sandbox.Timedout', 'Runtime.ExitError'] as const;

/**
 * On the Copy task these mean "the function may have run and copied, we do not know": they go to
 * ConfirmCopy rather than being retried blindly. Lambda.TooManyRequestsException proves the
 * function did not run: retried. States.Timeout / Sandbox.Timedout: the function ran out of time.
 */
export const COPY_AMBIGUOUS_ERRORS = [
  WORKFLOW_ERRORS.copyOutcomeUnknown,
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
  'Runtime.ExitError',
  'States.Timeout',
] as const;

export interface RetryParameters {
  readonly IntervalSeconds: number;
  readonly BackoffRate: number;
  readonly MaxAttempts: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** The give-up bound of each waiting phase (documented in the README): 7 days. */
export const MAX_WAIT_SECONDS = 7 * 24 * 3600;
/** Backstop over the whole execution: admission (7 d) + copy (7 d) + slack. */
export const EXECUTION_TIMEOUT_SECONDS = 15 * 24 * 3600;
/** Vault mode: the member side (7 d + 7 d) and then the vault side, whose deadlines count from its own start (7 d + 7 d), + slack. */
export const VAULT_EXECUTION_TIMEOUT_SECONDS = 30 * 24 * 3600;
/** A copy that ends in `error` is made again at most this many times, then the execution fails. */
export const MAX_RECOPIES = 2;

/**
 * Retry's delay before retry i (0-based): IntervalSeconds × BackoffRate^i, capped by MaxDelaySeconds;
 * FULL jitter draws it uniformly between 0 and that value, so its expectation is half of it.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error
 */
export function expectedRetryDelay(p: Omit<RetryParameters, 'MaxAttempts'>, i: number): number {
  const delay = Math.min(p.IntervalSeconds * p.BackoffRate ** i, p.MaxDelaySeconds ?? Infinity);
  return p.JitterStrategy === 'FULL' ? delay / 2 : delay;
}

/** The fewest retries whose delays add up to `seconds` in expectation. */
export function retriesToCover(p: Omit<RetryParameters, 'MaxAttempts'>, seconds: number): number {
  let total = 0;
  let n = 0;
  while (total < seconds) total += expectedRetryDelay(p, n++);
  return n;
}

/** The fewest waits whose floors add up to `seconds`. */
function countToCover(floor: (n: number) => number, seconds: number): number {
  let total = 0;
  let n = 0;
  while (total < seconds) total += floor(n++);
  return n;
}

/**
 * Waiting for a copy slot (and after EC2 refused a copy), computed by the step from the number of
 * waits so far, n: base = min(capSeconds, firstSeconds × 2^n), wait = base/2 + random × base/2
 * ("equal jitter"). Same mean at the cap as the full-jitter 3-hour retrier it replaces (1.5 h);
 * the floor (1 h at the cap) bounds the number of waits a week can take. Kept equal to the
 * handler's ADMISSION_WAIT (tested; handlers may not import stacks/). Tuned with `npm run bench:burst`.
 */
export const ADMISSION_WAIT = { firstSeconds: 400, capSeconds: 7200 } as const;
/** The shortest wait after n waits (the floor of equal jitter). */
export const admissionWaitFloor = (n: number): number => Math.min(ADMISSION_WAIT.capSeconds, ADMISSION_WAIT.firstSeconds * 2 ** n) / 2;
/**
 * How many admission waits an execution may take: enough that, even at their floors, they last
 * MAX_WAIT_SECONDS; so the step's own 7-day deadline (CopyWaitTimedOut), not this count, ends a
 * normal wait. The count keeps the history bounded whatever the clock says.
 */
export const ADMISSION_WAIT_BOUND = countToCover(admissionWaitFloor, MAX_WAIT_SECONDS);
/**
 * How many times a copy may be made again: after a copy ended in `error` (at most MAX_RECOPIES, the
 * step's own bound) or after an ambiguous CopySnapshot whose copy ConfirmCopy did not find.
 */
export const COPY_AGAIN_BOUND = MAX_RECOPIES + 2;

/** Polling a copy: every 6 minutes while it is younger than this (the step then throws CopyStillPending). Equal to the handler's (tested). */
export const POLL_FAST_SECONDS = 9_000;
/** The wait before the first poll of a copy (copies take minutes at least). */
export const FIRST_POLL_WAIT_SECONDS = 300;
/**
 * Polling a young copy (CopyPending): 5 minutes, then every 6 minutes, so a finished copy is seen
 * within 6 minutes (copies take minutes to hours; bench:burst measures the drain). Enough attempts
 * for POLL_FAST_SECONDS with room to spare.
 */
export const POLL_RETRY: RetryParameters = { IntervalSeconds: 300, BackoffRate: 1.25, MaxDelaySeconds: 360, MaxAttempts: 30, JitterStrategy: 'NONE' };
const POLL_SLOW: Omit<RetryParameters, 'MaxAttempts'> = { IntervalSeconds: 900, BackoffRate: 1.5, MaxDelaySeconds: 7200, JitterStrategy: 'NONE' };
/** Polling a copy pending for hours (CopyStillPending): 15 minutes growing to 2 hours, until the step's 7-day deadline. */
export const POLL_SLOW_RETRY: RetryParameters = { ...POLL_SLOW, MaxAttempts: retriesToCover(POLL_SLOW, MAX_WAIT_SECONDS - POLL_FAST_SECONDS) + 1 };
/** After an ambiguous CopySnapshot error: look for the copy at growing intervals before copying again (~7.5 min). */
export const CONFIRM_RETRY: RetryParameters = { IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 4, JitterStrategy: 'NONE' };
/**
 * Waiting out an outage of EC2 (or STS) on Inspect, Find and ConfirmCopy, computed by the step from
 * the number of such waits, n: equal jitter over a base of 1, 2, 4, 8 minutes, then 10 minutes until
 * n = plateauWaits (about 1.5 hours: a burst's throttling, or another client's storm, ends and the
 * execution notices within minutes), then doubling to 4 hours. Kept equal to the handler's
 * OUTAGE_WAIT (tested).
 */
export const OUTAGE_WAIT = { firstSeconds: 60, plateauSeconds: 600, plateauWaits: 16, capSeconds: 14_400 } as const;
/** The shortest wait after n outage waits (the floor of equal jitter). */
export const outageWaitFloor = (n: number): number =>
  (n < OUTAGE_WAIT.plateauWaits
    ? Math.min(OUTAGE_WAIT.plateauSeconds, OUTAGE_WAIT.firstSeconds * 2 ** n)
    : Math.min(OUTAGE_WAIT.capSeconds, OUTAGE_WAIT.plateauSeconds * 2 ** (n - OUTAGE_WAIT.plateauWaits + 1))) / 2;
/** How many outage waits an execution may take: at their floors they last MAX_WAIT_SECONDS (the step's deadline ends a real outage first). */
export const OUTAGE_WAIT_BOUND = countToCover(outageWaitFloor, MAX_WAIT_SECONDS);
/** DynamoDB trouble on the Release states: a few minutes, then the slot is left to reclamation (Admit: DescribeExecution). */
export const THROTTLE_RETRY: RetryParameters = { IntervalSeconds: 15, BackoffRate: 2, MaxDelaySeconds: 300, MaxAttempts: 3, JitterStrategy: 'FULL' };
/** A source snapshot not `completed` yet (an event seen before DescribeSnapshots catches up): about half an hour. */
export const SOURCE_RETRY: RetryParameters = { IntervalSeconds: 30, BackoffRate: 2, MaxDelaySeconds: 900, MaxAttempts: 8, JitterStrategy: 'FULL' };
/**
 * Lambda's errors (AWS's recommended retrier, with fewer attempts: every state that retries them is
 * re-entered by a loop, and its worst case multiplies with the entries).
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const LAMBDA_RETRY: RetryParameters = { IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3, JitterStrategy: 'FULL' };

/** State names of the definition (the tests override Wait/Retry timing by these names). */
export const STATES = {
  prepare: 'Prepare',
  inspect: 'Inspect',
  sourceChoice: 'CopyOrSkip',
  skipped: 'Skipped',
  find: 'Find',
  foundChoice: 'AlreadyCopied',
  admit: 'Admit',
  admitChoice: 'AdmittedOrWait',
  countOutageInspect: 'CountOutageInspect',
  waitOutageInspect: 'WaitOutageInspect',
  countOutageFind: 'CountOutageFind',
  waitOutageFind: 'WaitOutageFind',
  confirmChoice: 'ConfirmedOrWait',
  countOutageConfirm: 'CountOutageConfirm',
  waitOutageConfirm: 'WaitOutageConfirm',
  unavailableTooLong: 'UnavailableTooLong',
  countWait: 'CountWait',
  waitForSlot: 'WaitForSlot',
  waitedTooLong: 'WaitedTooLong',
  copy: 'Copy',
  copyChoice: 'CopyingOrWait',
  confirm: 'ConfirmCopy',
  copyAgain: 'CopyAgain',
  countCopy: 'CountCopy',
  copyGaveUp: 'CopyGaveUp',
  waitForCopy: 'WaitForCopy',
  poll: 'Poll',
  pollChoice: 'CopiedOrRecopy',
  copied: 'Copied',
  release: 'ReleaseSlot',
  releaseSkipped: 'ReleaseSlotSkipped',
  releaseFailed: 'ReleaseSlotFailed',
  failed: 'Failed',
  // Vault mode only.
  vaultShare: 'VaultShare',
  vaultShareChoice: 'SharedOrWait',
  countShareWait: 'CountShareWait',
  waitForShare: 'WaitForShare',
  countOutageShare: 'CountOutageShare',
  waitOutageShare: 'WaitOutageShare',
  vaultFind: 'VaultFind',
  vaultFoundChoice: 'AlreadyVaulted',
  countOutageVaultFind: 'CountOutageVaultFind',
  waitOutageVaultFind: 'WaitOutageVaultFind',
  vaultAdmit: 'VaultAdmit',
  vaultAdmitChoice: 'VaultAdmittedOrWait',
  countVaultWait: 'CountVaultWait',
  waitForVaultSlot: 'WaitForVaultSlot',
  vaultCopy: 'VaultCopy',
  vaultCopyChoice: 'VaultCopyingOrWait',
  vaultConfirm: 'VaultConfirmCopy',
  vaultConfirmChoice: 'VaultConfirmedOrWait',
  countOutageVaultConfirm: 'CountOutageVaultConfirm',
  waitOutageVaultConfirm: 'WaitOutageVaultConfirm',
  vaultCopyAgain: 'VaultCopyAgain',
  countVaultCopy: 'CountVaultCopy',
  waitForVaultCopy: 'WaitForVaultCopy',
  vaultPoll: 'VaultPoll',
  vaultPollChoice: 'VaultCopiedOrRecopy',
  vaultRelease: 'ReleaseVaultSlot',
  vaultLock: 'VaultLock',
  vaultLockChoice: 'LockedOrWait',
  countOutageLock: 'CountOutageLock',
  waitOutageLock: 'WaitOutageLock',
  vaultUnshare: 'VaultUnshare',
  vaultUnshareChoice: 'UnsharedOrWait',
  countOutageUnshare: 'CountOutageUnshare',
  waitOutageUnshare: 'WaitOutageUnshare',
  deleteMember: 'DeleteMemberCopy',
  deleteMemberChoice: 'DeletedOrWait',
  countOutageDelete: 'CountOutageDelete',
  waitOutageDelete: 'WaitOutageDelete',
  vaultWaitedTooLong: 'VaultWaitedTooLong',
  vaultUnavailableTooLong: 'VaultUnavailableTooLong',
  vaultCopyGaveUp: 'VaultCopyGaveUp',
  vaultReleaseFailed: 'ReleaseVaultSlotFailed',
} as const;

/** Where the state data keeps things (JSONPath). */
export const DATA_PATHS = {
  /** The step function's data: the input, then each step's answer. */
  data: '$.task.data',
  waits: '$.loops.waits.n',
  copies: '$.loops.copies.n',
  outages: '$.loops.outages.n',
} as const;

/** A JSON object: the ASL definition. */
export type AslDefinition = { readonly [key: string]: unknown };

/** Vault mode as the definition needs it: which vault states exist. */
export interface VaultWorkflowProps {
  /** `snapshotCopy.vault.lock` is set: VaultLock runs (else the vault copy goes straight to VaultUnshare). */
  readonly lock: boolean;
  /** `snapshotCopy.vault.keepMemberCopy`: false, DeleteMemberCopy runs after VaultUnshare. */
  readonly keepMemberCopy: boolean;
}

export interface CopyWorkflowProps {
  /** Literal ARN of the `ebs-event-hub-copy-step` function. */
  readonly stepFunctionArn: string;
  /**
   * Vault mode (`snapshotCopy.vault`): after the member-side copy completed, the vault states.
   * @default - no vault: the definition ends at Copied
   */
  readonly vault?: VaultWorkflowProps;
}

const retrier = (errors: readonly string[], p: RetryParameters): Record<string, unknown> => ({ ErrorEquals: [...errors], ...p });
const LAMBDA_ERRORS = [...LAMBDA_SERVICE_ERRORS, ...LAMBDA_RUNTIME_ERRORS];
const UNAVAILABLE = [WORKFLOW_ERRORS.ec2Unavailable, WORKFLOW_ERRORS.slotTableUnavailable];

export function copyWorkflowDefinition(props: CopyWorkflowProps): AslDefinition {
  const arn = props.stepFunctionArn;
  const match = /^arn:(aws[a-z-]*):lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/.exec(arn);
  if (!match) {
    throw new Error(`copyWorkflowDefinition: stepFunctionArn "${arn}" is not a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>)`);
  }
  // The optimized integration's ARN carries the partition: arn:aws:states:::lambda:invoke in the
  // commercial partition, arn:aws-us-gov:… / arn:aws-cn:… elsewhere.
  const invoke = `arn:${match[1]}:states:::lambda:invoke`;
  const task = (step: StepName, next: string, retry: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    Type: 'Task',
    Comment: `step "${step}" of the copy-step function`,
    Resource: invoke,
    Parameters: {
      FunctionName: arn,
      // executionName: the slot holder is the execution's own name (a retry, `<name>-r<N>`, runs the original's input).
      Payload: {
        step,
        'executionName.$': '$$.Execution.Name',
        'executionStartTime.$': '$$.Execution.StartTime',
        'data.$': DATA_PATHS.data,
        'waits.$': DATA_PATHS.waits,
        'outages.$': DATA_PATHS.outages,
      },
    },
    // The answer goes back to $.task.data; the counters in $.loops stay out of the function's reach.
    ResultSelector: { 'data.$': '$.Payload' },
    ResultPath: '$.task',
    Retry: retry,
    ...extra,
    Next: next,
  });
  const outcomeIs = (value: string) => ({ Variable: `${DATA_PATHS.data}.outcome`, StringEquals: value });
  const below = (path: string, bound: number) => ({ Variable: path, NumericLessThan: bound });
  const count = (path: string, next: string) => ({
    Type: 'Pass',
    Parameters: { 'n.$': `States.MathAdd(${path}, 1)` },
    ResultPath: path.replace(/\.n$/, ''),
    Next: next,
  });
  const lastError = `${DATA_PATHS.data}.lastError`;
  /**
   * The rules every phase (the member copy, the vault copy) applies alike; only the states they end
   * in are the phase's own: the release-then-fail state and the give-up states at the bounds.
   */
  const phase = (ends: PhaseEnds): Phase => ({
      // Any error the other catchers and retriers leave (terminal ones: CopyWaitTimedOut, CopyFailed,
      // CopyPermissionDenied, …) releases the phase's copy slot first, then fails with the original error.
      releaseThenFail: { ErrorEquals: ['States.ALL'], ResultPath: lastError, Next: ends.releaseFailed },
      giveUp: (error, cause) => ({ Type: 'Pass', Result: { Error: error, Cause: cause }, ResultPath: lastError, Next: ends.releaseFailed }),
      // An outage of EC2 answered `unavailable`: wait (the step's backoff) and run the step again, while outages < OUTAGE_WAIT_BOUND.
      outageRules: (countState) => [
        { And: [outcomeIs('unavailable'), below(DATA_PATHS.outages, OUTAGE_WAIT_BOUND)], Next: countState },
        { ...outcomeIs('unavailable'), Next: ends.unavailableTooLong },
      ],
      /** `done` goes on to `next`; `wait` counts a wait (`countState`) while waits < ADMISSION_WAIT_BOUND; else give up. */
      waitOrGiveUp: (done, next, countState, extra = []) => ({
        Type: 'Choice',
        Choices: [
          { ...outcomeIs(done), Next: next },
          { And: [outcomeIs('wait'), below(DATA_PATHS.waits, ADMISSION_WAIT_BOUND)], Next: countState },
          ...extra,
        ],
        Default: ends.waitedTooLong,
      }),
  });
  const lambda = retrier(LAMBDA_ERRORS, LAMBDA_RETRY);
  const { releaseThenFail, giveUp, outageRules, waitOrGiveUp } = phase({ releaseFailed: STATES.releaseFailed, unavailableTooLong: STATES.unavailableTooLong, waitedTooLong: STATES.waitedTooLong });
  const waitOut = (step: string): Record<string, unknown> => ({ Type: 'Wait', Comment: "the step's outage backoff (equal jitter), from the number of outage waits so far", SecondsPath: `${DATA_PATHS.data}.waitSeconds`, Next: step });
  // CopyPending retried quickly, CopyStillPending slowly (the poll's own errors), then the Lambda errors.
  const pollRetry = [retrier([WORKFLOW_ERRORS.copyPending], POLL_RETRY), retrier([WORKFLOW_ERRORS.copyStillPending], POLL_SLOW_RETRY), lambda];

  /** After a poll: copy again (counted, while copies < C), give up at the bound, else go on. */
  const recopyChoice = (countState: string, gaveUp: string, next: string) => ({
    Type: 'Choice',
    Choices: [
      { And: [outcomeIs('recopy'), below(DATA_PATHS.copies, COPY_AGAIN_BOUND)], Next: countState },
      { ...outcomeIs('recopy'), Next: gaveUp },
    ],
    Default: next,
  });
  /** Releasing a slot: idempotent, retried; a release that keeps failing is left to reclamation and the execution goes on to `next`. */
  const releaseTask = (step: 'release' | 'vault-release', next: string) =>
    task(step, next, [retrier(UNAVAILABLE, THROTTLE_RETRY), lambda], { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.releaseError', Next: next }] });

  // Vault mode: a completed member-side copy goes on to the vault states instead of ending.
  const vault = props.vault;
  const afterCopied = vault ? STATES.vaultShare : STATES.copied;

  return {
    Comment:
      'ebs-event-hub: copy one EBS snapshot to its disaster-recovery region, once (input: account, sourceRegion, snapshotId, destinationRegion)',
    StartAt: STATES.prepare,
    TimeoutSeconds: vault ? VAULT_EXECUTION_TIMEOUT_SECONDS : EXECUTION_TIMEOUT_SECONDS,
    States: {
      [STATES.prepare]: {
        Type: 'Pass',
        Comment: 'the input becomes the step data; the loop counters start at 0',
        Parameters: { task: { 'data.$': '$' }, loops: { waits: { n: 0 }, copies: { n: 0 }, outages: { n: 0 } } },
        Next: STATES.inspect,
      },
      [STATES.inspect]: task('inspect', STATES.sourceChoice, [retrier([WORKFLOW_ERRORS.sourceNotReady], SOURCE_RETRY), lambda]),
      [STATES.sourceChoice]: { Type: 'Choice', Choices: [{ ...outcomeIs('skip'), Next: STATES.skipped }, ...outageRules(STATES.countOutageInspect)], Default: STATES.find },
      [STATES.countOutageInspect]: count(DATA_PATHS.outages, STATES.waitOutageInspect),
      [STATES.waitOutageInspect]: waitOut(STATES.inspect),
      [STATES.skipped]: { Type: 'Succeed', Comment: 'not copied on purpose (archive tier, Outpost, deleted, untagged, …): logged by the step', OutputPath: DATA_PATHS.data },
      [STATES.find]: task('find', STATES.foundChoice, [lambda]),
      [STATES.foundChoice]: {
        Type: 'Choice',
        Choices: [
          { ...outcomeIs('copied'), Next: afterCopied },
          ...(vault ? [{ ...outcomeIs('vaulted'), Next: STATES.vaultFind }] : []),
          { ...outcomeIs('found'), Next: STATES.waitForCopy },
          ...outageRules(STATES.countOutageFind),
        ],
        Default: STATES.admit,
      },
      [STATES.countOutageFind]: count(DATA_PATHS.outages, STATES.waitOutageFind),
      [STATES.waitOutageFind]: waitOut(STATES.find),
      [STATES.unavailableTooLong]: giveUp(WORKFLOW_ERRORS.ec2Unavailable, `EC2 (or the copy ledger's DynamoDB) unavailable through ${OUTAGE_WAIT_BOUND} outage waits (at least ${MAX_WAIT_SECONDS / 86_400} days)`),
      [STATES.admit]: task('admit', STATES.admitChoice, [lambda], { Catch: [releaseThenFail] }),
      [STATES.admitChoice]: waitOrGiveUp('admitted', STATES.copy, STATES.countWait),
      [STATES.countWait]: count(DATA_PATHS.waits, STATES.waitForSlot),
      [STATES.waitForSlot]: { Type: 'Wait', Comment: "the step's backoff (equal jitter), from the number of waits so far", SecondsPath: `${DATA_PATHS.data}.waitSeconds`, Next: STATES.admit },
      [STATES.waitedTooLong]: giveUp(WORKFLOW_ERRORS.waitTimedOut, `no copy slot after ${ADMISSION_WAIT_BOUND} admission waits (at least ${MAX_WAIT_SECONDS / 86_400} days)`),
      // Not retried on the ambiguous Lambda errors: the function may have copied. Lambda.TooManyRequestsException proves it did not run.
      [STATES.copy]: task('copy', STATES.copyChoice, [retrier(['Lambda.TooManyRequestsException'], LAMBDA_RETRY)], {
        Catch: [
          { ErrorEquals: [...COPY_AMBIGUOUS_ERRORS], ResultPath: lastError, Next: STATES.confirm },
          { ErrorEquals: [WORKFLOW_ERRORS.sourceGone], ResultPath: lastError, Next: STATES.releaseSkipped },
          releaseThenFail,
        ],
      }),
      [STATES.copyChoice]: waitOrGiveUp('copying', STATES.waitForCopy, STATES.countWait),
      [STATES.confirm]: task('confirm', STATES.confirmChoice, [retrier([WORKFLOW_ERRORS.copyNotVisibleYet], CONFIRM_RETRY), lambda], {
        Catch: [{ ErrorEquals: [WORKFLOW_ERRORS.copyNotVisibleYet], ResultPath: lastError, Next: STATES.copyAgain }, releaseThenFail],
      }),
      [STATES.confirmChoice]: { Type: 'Choice', Choices: [{ ...outcomeIs('found'), Next: STATES.waitForCopy }, ...outageRules(STATES.countOutageConfirm)], Default: STATES.unavailableTooLong },
      [STATES.countOutageConfirm]: count(DATA_PATHS.outages, STATES.waitOutageConfirm),
      [STATES.waitOutageConfirm]: waitOut(STATES.confirm),
      [STATES.copyAgain]: { Type: 'Choice', Choices: [{ ...below(DATA_PATHS.copies, COPY_AGAIN_BOUND), Next: STATES.countCopy }], Default: STATES.copyGaveUp },
      [STATES.countCopy]: count(DATA_PATHS.copies, STATES.admit),
      [STATES.copyGaveUp]: giveUp(DEFINITION_ERRORS.copyAttemptsExhausted, `the copy was made again ${COPY_AGAIN_BOUND} times (copies in error, or unconfirmed after an ambiguous CopySnapshot)`),
      [STATES.waitForCopy]: { Type: 'Wait', Seconds: FIRST_POLL_WAIT_SECONDS, Next: STATES.poll },
      [STATES.poll]: task('poll', STATES.pollChoice, pollRetry, { Catch: [releaseThenFail] }),
      [STATES.pollChoice]: recopyChoice(STATES.countCopy, STATES.copyGaveUp, STATES.release),
      // Releasing is idempotent (an execution that found an existing copy holds no slot). A release
      // that still fails after its retries leaves the slot to reclamation (the execution is no longer
      // running): the copy itself is done, so the execution still succeeds.
      [STATES.release]: releaseTask('release', afterCopied),
      [STATES.copied]: { Type: 'Succeed', Comment: 'the copy is completed in the destination region', OutputPath: DATA_PATHS.data },
      [STATES.releaseSkipped]: releaseTask('release', STATES.skipped),
      // A release that fails for good leaves the slot to reclamation; the execution still fails with the original error.
      [STATES.releaseFailed]: releaseTask('release', STATES.failed),
      [STATES.failed]: {
        Type: 'Fail',
        Comment: 'the error that ended the execution (caught into $.task.data.lastError), after its copy slot was released',
        ErrorPath: `${lastError}.Error`,
        CausePath: `${lastError}.Cause`,
      },
      ...(vault ? vaultStates(vault, { task, outcomeIs, below, count, waitOut, lambda, pollRetry, lastError, recopyChoice, releaseTask, phase }) : {}),
    },
  };
}

/** The states a phase ends in (see `phase` in copyWorkflowDefinition). */
interface PhaseEnds {
  readonly releaseFailed: string;
  readonly unavailableTooLong: string;
  readonly waitedTooLong: string;
}

interface Phase {
  releaseThenFail: Record<string, unknown>;
  giveUp: (error: string, cause: string) => Record<string, unknown>;
  outageRules: (countState: string) => Array<Record<string, unknown>>;
  waitOrGiveUp: (done: string, next: string, countState: string, extra?: Array<Record<string, unknown>>) => Record<string, unknown>;
}

interface Builders {
  task: (step: StepName, next: string, retry: Array<Record<string, unknown>>, extra?: Record<string, unknown>) => Record<string, unknown>;
  outcomeIs: (value: string) => Record<string, unknown>;
  below: (path: string, bound: number) => Record<string, unknown>;
  count: (path: string, next: string) => Record<string, unknown>;
  waitOut: (step: string) => Record<string, unknown>;
  lambda: Record<string, unknown>;
  pollRetry: Array<Record<string, unknown>>;
  lastError: string;
  recopyChoice: (countState: string, gaveUp: string, next: string) => Record<string, unknown>;
  releaseTask: (step: 'release' | 'vault-release', next: string) => Record<string, unknown>;
  phase: (ends: PhaseEnds) => Phase;
}

/**
 * The vault states (README "Vault mode"), after the member-side copy completed (Find → copied, or
 * Poll → copied → ReleaseSlot) or was vaulted already (Find → vaulted, a re-entry after the member
 * copy was deleted):
 *
 *   VaultShare ─▶ SharedOrWait ──shared──▶ VaultFind ─▶ AlreadyVaulted ──vaulted──▶ VaultLock
 *                   │ wait: CountShareWait ─▶ WaitForShare ─▶ VaultShare              │ found ─▶ WaitForVaultCopy
 *   ┌─▶ VaultAdmit ─▶ VaultAdmittedOrWait ──admitted──▶ VaultCopy ─▶ VaultCopyingOrWait ──copying──▶ WaitForVaultCopy ─▶ VaultPoll
 *   │        wait: CountVaultWait ─▶ WaitForVaultSlot ─▶ VaultAdmit        VaultCopy ──ambiguous──▶ VaultConfirmCopy
 *   └── CountVaultCopy ◀── VaultCopyAgain / recopy ◀── VaultCopiedOrRecopy ──copied──▶ ReleaseVaultSlot ─▶ VaultLock
 *   VaultLock ─▶ VaultUnshare ─▶ DeleteMemberCopy (keepMemberCopy false) ─▶ Copied
 *   any error, or a loop at its bound ─▶ ReleaseVaultSlotFailed ─▶ Failed
 *
 * The counters are the execution's: `$.loops.waits.n` (share and admission waits), `$.loops.outages.n`
 * (every `unavailable`), `$.loops.copies.n` (copies made again), raised only by `Count*` Pass states
 * and bounded by the same constants, so the history bound stays one execution's whatever the phase
 * (the step's own 7-day deadlines count from the vault phase's start, and its backoffs start again
 * there). No vault state leads back to a member state: a member copy deleted before its vault copy
 * was made ends the execution (MemberCopyGone) rather than copy again.
 */
function vaultStates(vault: VaultWorkflowProps, b: Builders): Record<string, Record<string, unknown>> {
  const { task, outcomeIs, below, count, waitOut, lambda, pollRetry, lastError, recopyChoice, releaseTask } = b;
  const { releaseThenFail, giveUp, outageRules, waitOrGiveUp } = b.phase({
    releaseFailed: STATES.vaultReleaseFailed,
    unavailableTooLong: STATES.vaultUnavailableTooLong,
    waitedTooLong: STATES.vaultWaitedTooLong,
  });
  /** A step that answers `done` or waits out an outage (its own count and wait states). */
  const outageLoop = (done: string, next: string, choice: string, countState: string, waitState: string, step: string) => ({
    [choice]: { Type: 'Choice', Choices: [{ ...outcomeIs(done), Next: next }, ...outageRules(countState)], Default: STATES.vaultUnavailableTooLong },
    [countState]: count(DATA_PATHS.outages, waitState),
    [waitState]: waitOut(step),
  });
  const afterLock = STATES.vaultUnshare;
  const lockOrOn = vault.lock ? STATES.vaultLock : afterLock;
  const afterUnshare = vault.keepMemberCopy ? STATES.copied : STATES.deleteMember;
  return {
    [STATES.vaultShare]: task('vault-share', STATES.vaultShareChoice, [lambda], { Catch: [releaseThenFail] }),
    [STATES.vaultShareChoice]: waitOrGiveUp('shared', STATES.vaultFind, STATES.countShareWait, outageRules(STATES.countOutageShare)),
    [STATES.countShareWait]: count(DATA_PATHS.waits, STATES.waitForShare),
    [STATES.waitForShare]: { Type: 'Wait', Comment: "the member account may not share yet (its stack comes in a later wave): the step's backoff", SecondsPath: `${DATA_PATHS.data}.waitSeconds`, Next: STATES.vaultShare },
    [STATES.countOutageShare]: count(DATA_PATHS.outages, STATES.waitOutageShare),
    [STATES.waitOutageShare]: waitOut(STATES.vaultShare),
    [STATES.vaultFind]: task('vault-find', STATES.vaultFoundChoice, [lambda], { Catch: [releaseThenFail] }),
    [STATES.vaultFoundChoice]: {
      Type: 'Choice',
      Choices: [{ ...outcomeIs('vaulted'), Next: lockOrOn }, { ...outcomeIs('found'), Next: STATES.waitForVaultCopy }, ...outageRules(STATES.countOutageVaultFind)],
      Default: STATES.vaultAdmit,
    },
    [STATES.countOutageVaultFind]: count(DATA_PATHS.outages, STATES.waitOutageVaultFind),
    [STATES.waitOutageVaultFind]: waitOut(STATES.vaultFind),
    [STATES.vaultAdmit]: task('vault-admit', STATES.vaultAdmitChoice, [lambda], { Catch: [releaseThenFail] }),
    [STATES.vaultAdmitChoice]: waitOrGiveUp('admitted', STATES.vaultCopy, STATES.countVaultWait),
    [STATES.countVaultWait]: count(DATA_PATHS.waits, STATES.waitForVaultSlot),
    [STATES.waitForVaultSlot]: { Type: 'Wait', Comment: "a vault copy slot: the step's backoff (equal jitter), from the number of waits of the vault phase", SecondsPath: `${DATA_PATHS.data}.waitSeconds`, Next: STATES.vaultAdmit },
    // As Copy: never retried on an error after which the vault copy may exist.
    [STATES.vaultCopy]: task('vault-copy', STATES.vaultCopyChoice, [retrier(['Lambda.TooManyRequestsException'], LAMBDA_RETRY)], {
      Catch: [{ ErrorEquals: [...COPY_AMBIGUOUS_ERRORS], ResultPath: lastError, Next: STATES.vaultConfirm }, releaseThenFail],
    }),
    [STATES.vaultCopyChoice]: waitOrGiveUp('copying', STATES.waitForVaultCopy, STATES.countVaultWait),
    [STATES.vaultConfirm]: task('vault-confirm', STATES.vaultConfirmChoice, [retrier([WORKFLOW_ERRORS.copyNotVisibleYet], CONFIRM_RETRY), lambda], {
      Catch: [{ ErrorEquals: [WORKFLOW_ERRORS.copyNotVisibleYet], ResultPath: lastError, Next: STATES.vaultCopyAgain }, releaseThenFail],
    }),
    [STATES.vaultConfirmChoice]: { Type: 'Choice', Choices: [{ ...outcomeIs('found'), Next: STATES.waitForVaultCopy }, ...outageRules(STATES.countOutageVaultConfirm)], Default: STATES.vaultUnavailableTooLong },
    [STATES.countOutageVaultConfirm]: count(DATA_PATHS.outages, STATES.waitOutageVaultConfirm),
    [STATES.waitOutageVaultConfirm]: waitOut(STATES.vaultConfirm),
    [STATES.vaultCopyAgain]: { Type: 'Choice', Choices: [{ ...below(DATA_PATHS.copies, COPY_AGAIN_BOUND), Next: STATES.countVaultCopy }], Default: STATES.vaultCopyGaveUp },
    [STATES.countVaultCopy]: count(DATA_PATHS.copies, STATES.vaultAdmit),
    [STATES.waitForVaultCopy]: { Type: 'Wait', Seconds: FIRST_POLL_WAIT_SECONDS, Next: STATES.vaultPoll },
    [STATES.vaultPoll]: task('vault-poll', STATES.vaultPollChoice, pollRetry, { Catch: [releaseThenFail] }),
    [STATES.vaultPollChoice]: recopyChoice(STATES.countVaultCopy, STATES.vaultCopyGaveUp, STATES.vaultRelease),
    // The vault copy is complete: its slot (EC2 counts copies in progress) is free for the next one
    // before the lock, whose outage waits must not hold it. Idempotent; a release that keeps failing
    // is left to reclamation.
    [STATES.vaultRelease]: releaseTask('vault-release', lockOrOn),
    ...(vault.lock
      ? {
          [STATES.vaultLock]: task('vault-lock', STATES.vaultLockChoice, [lambda], { Catch: [releaseThenFail] }),
          ...outageLoop('locked', afterLock, STATES.vaultLockChoice, STATES.countOutageLock, STATES.waitOutageLock, STATES.vaultLock),
        }
      : {}),
    [STATES.vaultUnshare]: task('vault-unshare', STATES.vaultUnshareChoice, [lambda], { Catch: [releaseThenFail] }),
    ...outageLoop('unshared', afterUnshare, STATES.vaultUnshareChoice, STATES.countOutageUnshare, STATES.waitOutageUnshare, STATES.vaultUnshare),
    ...(vault.keepMemberCopy
      ? {}
      : {
          // Only after VaultLock (or, without a lock, after the vault copy completed): the order of the states, and the step checks it again.
          [STATES.deleteMember]: task('vault-delete-member', STATES.deleteMemberChoice, [lambda], { Catch: [releaseThenFail] }),
          ...outageLoop('deleted', STATES.copied, STATES.deleteMemberChoice, STATES.countOutageDelete, STATES.waitOutageDelete, STATES.deleteMember),
        }),
    [STATES.vaultWaitedTooLong]: giveUp(WORKFLOW_ERRORS.waitTimedOut, `vault phase: no vault copy slot, or no right to share the member copy, after ${ADMISSION_WAIT_BOUND} waits of the execution (at least ${MAX_WAIT_SECONDS / 86_400} days)`),
    [STATES.vaultUnavailableTooLong]: giveUp(WORKFLOW_ERRORS.ec2Unavailable, `vault phase: EC2 (or the copy ledger's DynamoDB) unavailable through ${OUTAGE_WAIT_BOUND} outage waits of the execution (at least ${MAX_WAIT_SECONDS / 86_400} days)`),
    [STATES.vaultCopyGaveUp]: giveUp(DEFINITION_ERRORS.copyAttemptsExhausted, `vault phase: a copy was made again ${COPY_AGAIN_BOUND} times in this execution (copies in error, or unconfirmed after an ambiguous CopySnapshot)`),
    // Releases the vault slot (none held is success), then fails with the original error.
    [STATES.vaultReleaseFailed]: releaseTask('vault-release', STATES.failed),
  };
}

/** Execution name: `<account>-<sourceRegion>-<snapshotId>-<destinationRegion>` (≤ 80 of [A-Za-z0-9-_]). */
export function executionName(input: { account: string; sourceRegion: string; snapshotId: string; destinationRegion: string }): string {
  const name = `${input.account}-${input.sourceRegion}-${input.snapshotId}-${input.destinationRegion}`;
  if (name.length > 80 || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new Error(`execution name "${name}" is not at most 80 characters of [A-Za-z0-9-_]`);
  }
  return name;
}
