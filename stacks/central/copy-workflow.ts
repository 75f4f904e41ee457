/**
 * The snapshot-copy workflow: one AWS Step Functions (Standard) execution per snapshot and
 * destination region, as an Amazon States Language definition (a plain JSON object).
 *
 * Pure data: no cdktf import, no I/O. The central stack renders it with JSON.stringify into
 * `aws_sfn_state_machine.definition`; the tests run this very object offline (aws-local-stepfunctions)
 * with the handler's `step` entry point as its task; `scripts/bench-burst.ts` imports the retry
 * parameters below so its timing model cannot drift from what is deployed.
 *
 *   Inspect ──skip──▶ Skipped (Succeed)
 *      │
 *   Find ──found──▶ WaitForCopy ─▶ Poll ──copied──▶ Copied (Succeed)   (Find ──copied──▶ Copied)
 *      │                 ▲           │ recopy (copy ended in `error`, at most MAX_RECOPIES times)
 *   Admit ◀──────────────┼───────────┘◀───────────────────CopyQuotaExceeded──┐
 *      │ (CopySlotsFull: Retry, jittered backoff, for days)                   │
 *   Copy ─────────────────────────────────────────────────────────────────────┤
 *      │ (Ec2Unavailable: Retry)  ──CopyOutcomeUnknown──▶ ConfirmCopy ──found──▶ WaitForCopy
 *      │                          ──SourceSnapshotGone──▶ Skipped   │ CopyNotVisibleYet after its retries
 *      └──────────▶ WaitForCopy                                     └──────────▶ Admit (copy again)
 *
 * Copy slots (handlers/snapshot-copy/slots.ts): Admit takes a slot in the DynamoDB table, Copy
 * re-confirms it (CopySlotsFull: dropped → Admit), and every exit after Admit releases it: Poll
 * copied → ReleaseSlot → Copied; SourceSnapshotGone → ReleaseSlotSkipped → Skipped; any other error
 * of Admit, Copy, ConfirmCopy or Poll (Catch States.ALL into $.lastError) → ReleaseSlotFailed →
 * Failed, a Fail state that ends the execution with the caught Error and Cause (ErrorPath/CausePath:
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html). Executions aborted or timed
 * out run no state: their slot is reconciled (dropped once stale and without a pending copy in EC2).
 *
 * Every Task invokes ONE Lambda function (`ebs-event-hub-copy-step`) through the optimized
 * integration `arn:aws:states:::lambda:invoke` with the payload
 * `{ "step": <name>, "executionStartTime": $$.Execution.StartTime, "data": $ }` and keeps the
 * function's answer (`$.Payload`) as the execution's data. Errors the function throws carry the
 * error's `name` as the state's `Error` (Lambda's `errorType`), which `Retry`/`Catch` match.
 *   https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 *
 * Waiting is the state machine's `Retry` (IntervalSeconds × BackoffRate^n, capped by
 * MaxDelaySeconds, `JitterStrategy: FULL` = a random delay between 0 and that value): no function
 * sleeps or loops. The bound: the `admit`, `copy` and `poll` steps throw CopyWaitTimedOut (not
 * retried: the execution fails and the failed-executions alarm fires) the first time they run
 * MAX_WAIT_SECONDS (7 days) after the execution started (admission) or after the copy started
 * (polling). The retriers' MaxAttempts are set so high that this deadline, not the attempt count,
 * ends the wait; EXECUTION_TIMEOUT_SECONDS is a backstop above both phases.
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error
 */

/** Step names: the `step` field of the task payload, dispatched by the handler's `step` export. */
export const STEP_NAMES = ['inspect', 'find', 'confirm', 'admit', 'copy', 'poll', 'release'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/**
 * Error names (`Error` values) the step function throws and the definition matches.
 * Terminal ones are not retried or caught: the execution fails with them (an alarm fires).
 */
export const WORKFLOW_ERRORS = {
  /** The source snapshot is still `pending`: retried (SOURCE_RETRY). */
  sourceNotReady: 'SourceSnapshotNotReady',
  /** This app already has maxInFlightCopies copies pending in the destination: retried (ADMISSION_RETRY). */
  copySlotsFull: 'CopySlotsFull',
  /**
   * EC2 ResourceLimitExceeded on CopySnapshot (20 concurrent copies per destination region, shared
   * with DLM and AWS Backup): caught → Admit, which counts it as "full" for QUOTA_BACKOFF_SECONDS
   * (the refusal time is in the error's cause) and so backs off with its jittered Retry.
   */
  copyQuotaExceeded: 'CopyQuotaExceeded',
  /**
   * EC2 throttling (RequestLimitExceeded) or a 5xx/network failure of a read-only call after the SDK's
   * own retries; on CopySnapshot only RequestLimitExceeded (a proven refusal): retried (THROTTLE_RETRY).
   */
  ec2Unavailable: 'Ec2Unavailable',
  /** CopySnapshot failed in a way that does not prove EC2 refused it: caught → ConfirmCopy. */
  copyOutcomeUnknown: 'CopyOutcomeUnknown',
  /** ConfirmCopy found no copy yet (DescribeSnapshots is eventually consistent): retried, then caught → Admit. */
  copyNotVisibleYet: 'CopyNotVisibleYet',
  /** The copy is still `pending`: retried (POLL_RETRY). */
  copyPending: 'CopyPending',
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
  /** DynamoDB throttling or a 5xx/network failure on the copy-slots or copy-ledger table after the SDK's retries: retried (THROTTLE_RETRY). */
  slotTableUnavailable: 'SlotTableUnavailable',
  /**
   * Terminal (Inspect, before any slot is taken): the source is encrypted under another account's
   * customer managed key, which the member role cannot use; the cause names the snapshot, the key and
   * what to do. Plain: no retrier or catcher names it.
   */
  sourceKeyNotAccessible: 'SourceKeyNotAccessible',
} as const;
export type WorkflowErrorName = (typeof WORKFLOW_ERRORS)[keyof typeof WORKFLOW_ERRORS];

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
/** A copy that ends in `error` is made again at most this many times, then the execution fails. */
export const MAX_RECOPIES = 2;

/**
 * Waiting for a copy slot (CopySlotsFull; also for 5 minutes after EC2 refused a copy with
 * ResourceLimitExceeded, see the handler's QUOTA_BACKOFF_SECONDS). Full jitter spreads hundreds of waiting executions so
 * they neither check in lockstep nor leave a freed slot idle for long (with N executions waiting, a
 * freed slot is noticed after about MaxDelaySeconds / 2N); the cap keeps the cost of a day-long
 * wait at about one conditional UpdateItem (and, when a holder may be stale, one DescribeSnapshots)
 * per MaxDelaySeconds / 2 (1.5 h) per execution. Tuned with `npm run bench:burst` (500 at once in
 * one account: drain 1.08-1.12× the ideal over seeds 1-7 with strict copy slots, about 10 admission
 * checks per snapshot). MaxAttempts is effectively unbounded: MAX_WAIT_SECONDS ends the wait.
 */
export const ADMISSION_RETRY: RetryParameters = { IntervalSeconds: 600, BackoffRate: 2, MaxDelaySeconds: 10800, MaxAttempts: 99_999_999, JitterStrategy: 'FULL' };
/**
 * Polling a started copy (after FIRST_POLL_WAIT_SECONDS): 5 minutes, then every 6 minutes, so a
 * finished copy is seen within 6 minutes (copies take minutes to hours): 8 polls for a 45-minute
 * copy. A longer cap polls less but ends executions later (bench:burst: 10 accounts' drains).
 */
export const POLL_RETRY: RetryParameters = { IntervalSeconds: 300, BackoffRate: 1.25, MaxDelaySeconds: 360, MaxAttempts: 99_999_999, JitterStrategy: 'NONE' };
/** The wait before the first poll of a copy (copies take minutes at least). */
export const FIRST_POLL_WAIT_SECONDS = 300;
/** After an ambiguous CopySnapshot error: look for the copy at growing intervals before copying again (~7.5 min). */
export const CONFIRM_RETRY: RetryParameters = { IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 4, JitterStrategy: 'NONE' };
/**
 * EC2 throttling (RequestLimitExceeded) that outlived the SDK's retries: back off, jittered (EC2's
 * token buckets refill at 20 reads per second per account and region; a burst of 500 executions
 * needs about a minute to get through Inspect and Find).
 */
export const THROTTLE_RETRY: RetryParameters = { IntervalSeconds: 15, BackoffRate: 2, MaxDelaySeconds: 300, MaxAttempts: 12, JitterStrategy: 'FULL' };
/** A source snapshot not `completed` yet (an event seen before DescribeSnapshots catches up): about 2 hours. */
export const SOURCE_RETRY: RetryParameters = { IntervalSeconds: 30, BackoffRate: 2, MaxDelaySeconds: 900, MaxAttempts: 12, JitterStrategy: 'FULL' };
/** Lambda service errors (AWS's recommended retrier). */
export const LAMBDA_RETRY: RetryParameters = { IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 6, JitterStrategy: 'FULL' };

/** State names of the definition (the tests override Wait/Retry timing by these names). */
export const STATES = {
  inspect: 'Inspect',
  sourceChoice: 'CopyOrSkip',
  skipped: 'Skipped',
  find: 'Find',
  foundChoice: 'AlreadyCopied',
  admit: 'Admit',
  copy: 'Copy',
  confirm: 'ConfirmCopy',
  waitForCopy: 'WaitForCopy',
  poll: 'Poll',
  pollChoice: 'CopiedOrRecopy',
  copied: 'Copied',
  release: 'ReleaseSlot',
  releaseSkipped: 'ReleaseSlotSkipped',
  releaseFailed: 'ReleaseSlotFailed',
  failed: 'Failed',
} as const;

/** A JSON object: the ASL definition. */
export type AslDefinition = { readonly [key: string]: unknown };

export interface CopyWorkflowProps {
  /** Literal ARN of the `ebs-event-hub-copy-step` function. */
  readonly stepFunctionArn: string;
}

const retrier = (errors: readonly string[], p: RetryParameters): Record<string, unknown> => ({ ErrorEquals: [...errors], ...p });

export function copyWorkflowDefinition(props: CopyWorkflowProps): AslDefinition {
  const arn = props.stepFunctionArn;
  const match = /^arn:(aws[a-z-]*):lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/.exec(arn);
  if (!match) {
    throw new Error(`copyWorkflowDefinition: stepFunctionArn "${arn}" is not a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>)`);
  }
  // The optimized integration's ARN carries the partition: arn:aws:states:::lambda:invoke in the
  // commercial partition, arn:aws-us-gov:… / arn:aws-cn:… elsewhere.
  const invoke = `arn:${match[1]}:states:::lambda:invoke`;
  const task = (step: StepName, next: string, extra: Record<string, unknown> = {}): Record<string, unknown> => {
    const { Retry = [], ...rest } = extra as { Retry?: unknown[] };
    return {
      Type: 'Task',
      Comment: `step "${step}" of the copy-step function`,
      Resource: invoke,
      Parameters: {
        FunctionName: arn,
        Payload: { step, 'executionStartTime.$': '$$.Execution.StartTime', 'data.$': '$' },
      },
      OutputPath: '$.Payload',
      Retry: [...Retry, retrier([WORKFLOW_ERRORS.ec2Unavailable, WORKFLOW_ERRORS.slotTableUnavailable], THROTTLE_RETRY), retrier(LAMBDA_SERVICE_ERRORS, LAMBDA_RETRY)],
      ...rest,
      Next: next,
    };
  };
  const outcomeIs = (value: string, next: string) => ({ Variable: '$.outcome', StringEquals: value, Next: next });
  // Any error the other catchers and retriers leave (terminal ones: CopyWaitTimedOut, CopyFailed,
  // CopyPermissionDenied, …) releases the copy slot first, then fails with the original error.
  const releaseThenFail = { ErrorEquals: ['States.ALL'], ResultPath: '$.lastError', Next: STATES.releaseFailed };

  return {
    Comment:
      'ebs-event-hub: copy one EBS snapshot to its disaster-recovery region, once (input: account, sourceRegion, snapshotId, destinationRegion)',
    StartAt: STATES.inspect,
    TimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
    States: {
      [STATES.inspect]: task('inspect', STATES.sourceChoice, { Retry: [retrier([WORKFLOW_ERRORS.sourceNotReady], SOURCE_RETRY)] }),
      [STATES.sourceChoice]: { Type: 'Choice', Choices: [outcomeIs('skip', STATES.skipped)], Default: STATES.find },
      [STATES.skipped]: { Type: 'Succeed', Comment: 'not copied on purpose (archive tier, Outpost, deleted, untagged, …): logged by the step' },
      [STATES.find]: task('find', STATES.foundChoice),
      [STATES.foundChoice]: { Type: 'Choice', Choices: [outcomeIs('copied', STATES.copied), outcomeIs('found', STATES.waitForCopy)], Default: STATES.admit },
      [STATES.admit]: task('admit', STATES.copy, { Retry: [retrier([WORKFLOW_ERRORS.copySlotsFull], ADMISSION_RETRY)], Catch: [releaseThenFail] }),
      [STATES.copy]: {
        ...task('copy', STATES.waitForCopy),
        // Not retried on the ambiguous Lambda service errors: the function may have copied.
        Retry: [
          retrier([WORKFLOW_ERRORS.ec2Unavailable, WORKFLOW_ERRORS.slotTableUnavailable], THROTTLE_RETRY),
          // Proves the function did not run: safe to invoke again.
          retrier(['Lambda.TooManyRequestsException'], LAMBDA_RETRY),
        ],
        Catch: [
          { ErrorEquals: [...COPY_AMBIGUOUS_ERRORS], ResultPath: '$.lastError', Next: STATES.confirm },
          { ErrorEquals: [WORKFLOW_ERRORS.sourceGone], ResultPath: '$.lastError', Next: STATES.releaseSkipped },
          // Back through admission: Admit treats a refusal in the last minutes as "full" and backs off,
          // jittered; CopySlotsFull here means the slot was dropped before CopySnapshot: acquire again.
          { ErrorEquals: [WORKFLOW_ERRORS.copyQuotaExceeded, WORKFLOW_ERRORS.copySlotsFull], ResultPath: '$.lastError', Next: STATES.admit },
          releaseThenFail,
        ],
      },
      [STATES.confirm]: task('confirm', STATES.waitForCopy, {
        Retry: [retrier([WORKFLOW_ERRORS.copyNotVisibleYet], CONFIRM_RETRY)],
        Catch: [{ ErrorEquals: [WORKFLOW_ERRORS.copyNotVisibleYet], ResultPath: '$.lastError', Next: STATES.admit }, releaseThenFail],
      }),
      [STATES.waitForCopy]: { Type: 'Wait', Seconds: FIRST_POLL_WAIT_SECONDS, Next: STATES.poll },
      [STATES.poll]: task('poll', STATES.pollChoice, { Retry: [retrier([WORKFLOW_ERRORS.copyPending], POLL_RETRY)], Catch: [releaseThenFail] }),
      [STATES.pollChoice]: { Type: 'Choice', Choices: [outcomeIs('recopy', STATES.admit)], Default: STATES.release },
      // Releasing is idempotent (an execution that found an existing copy holds no slot). A release
      // that still fails after its retries leaves the slot to reconciliation (SLOT_STALE_AFTER_SECONDS,
      // no pending copy): the copy itself is done, so the execution still succeeds.
      [STATES.release]: task('release', STATES.copied, { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.lastError', Next: STATES.copied }] }),
      [STATES.copied]: { Type: 'Succeed', Comment: 'the copy is completed in the destination region' },
      [STATES.releaseSkipped]: task('release', STATES.skipped, { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.lastError', Next: STATES.skipped }] }),
      // No Catch: should the release itself fail for good, the execution fails with that error.
      [STATES.releaseFailed]: task('release', STATES.failed),
      [STATES.failed]: {
        Type: 'Fail',
        Comment: 'the error that ended the execution (caught into $.lastError), after its copy slot was released',
        ErrorPath: '$.lastError.Error',
        CausePath: '$.lastError.Cause',
      },
    },
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
