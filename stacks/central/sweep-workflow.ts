/**
 * The retention sweep's state machine definition (pure data, no cdktf): a counted loop over pages of
 * the copy ledger's expired copies, each page one invocation of `ebs-event-hub-copy-sweep`
 * (handlers/snapshot-copy/sweep.ts), which Queries the ledger's index `by-kind-expiry` after a
 * cursor, deletes up to SWEEP_PAGE_SIZE expired copies in whatever accounts and regions they are,
 * and answers the next cursor. The definition names no account and no region: it is the same for
 * 10 member accounts and for 10,000, and the work follows the ledger.
 *
 *   Prepare ─▶ SweepPage ─▶ NextPage ──more (pages < B)──▶ CountPage ─▶ SweepPage
 *                  │              ├─ a copy failed ──▶ SweepIncomplete (Fail: the counts, the first failure)
 *                  │              ├─ done ──▶ Swept (Succeed)
 *                  │              └─ more at the bound, or out of time ──▶ SweepBacklog (Fail)
 *                  └─ error after its retries ──▶ PageFailed ─▶ SweepIncomplete
 *
 * The data: `Prepare` starts `$.task.data` (the function's state: outcome, cursor, summary, cause)
 * and the page counter `$.loops.pages.n`. The task passes `$.task.data` to the function and puts its
 * answer back there (`ResultSelector` + `ResultPath: $.task`), so the function never touches the
 * counter; only `CountPage` raises it (`States.MathAdd`; `PageFailed` builds its cause with
 * `States.Format`: https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html), and
 * `NextPage` loops only while it is below
 * SWEEP_PAGE_BOUND: a count the definition shows, from which stacks/central/history-budget.ts proves
 * every path within the 20,000-event budget (a Standard execution fails, uncatchably, at 25,000).
 *
 * Capacity: SWEEP_MAX_PAGES pages of SWEEP_PAGE_SIZE copies a day (sized from the history budget),
 * within SWEEP_STOP_AFTER_SECONDS of work (the function answers `out-of-time` after that, so the
 * execution ends before its timeout and long before the next day's starts). What is left then is
 * swept by the next day's execution, which starts again from the oldest expired copy (the ones
 * deleted are gone from the index; the ones kept or failed come first): the execution ends
 * `SweepBacklog` so that a backlog is seen. A failed copy (throttling, AccessDenied, a locked vault
 * copy) stops nothing: the function counts it and goes on, and the execution ends `SweepIncomplete`
 * naming the first one.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
import { LAMBDA_SERVICE_ERRORS, type AslDefinition } from './copy-workflow';
import { analyzeHistory, HISTORY_EVENT_BUDGET } from './history-budget';

/** Expired copies one invocation sweeps at most (its Query `Limit`; the function accepts 1-1,000). */
export const SWEEP_PAGE_SIZE = 1000;
/**
 * The function stops taking pages (answers `out-of-time`) once the execution has run this long: with
 * a page's retries (SWEEP_PAGE_WORST_SECONDS) it ends within SWEEP_TIMEOUT_SECONDS (tested).
 */
export const SWEEP_STOP_AFTER_SECONDS = 18 * 3600;
/** An execution ends well before the next daily one starts. */
export const SWEEP_TIMEOUT_SECONDS = 20 * 3600;
/** The error a sweep execution fails with when any copy could not be swept (or a page failed). */
export const SWEEP_INCOMPLETE_ERROR = 'SweepIncomplete';
/** The error a sweep execution fails with when expired copies are left for the next day. */
export const SWEEP_BACKLOG_ERROR = 'SweepBacklog';

/** State names (the tests run and count the definition by them). */
export const SWEEP_STATES = {
  prepare: 'Prepare',
  page: 'SweepPage',
  next: 'NextPage',
  count: 'CountPage',
  pageFailed: 'PageFailed',
  incomplete: SWEEP_INCOMPLETE_ERROR,
  backlog: SWEEP_BACKLOG_ERROR,
  swept: 'Swept',
} as const;

/** Where the state data keeps things (JSONPath). */
export const SWEEP_PATHS = { data: '$.task.data', pages: '$.loops.pages.n' } as const;

/**
 * Lambda errors worth retrying quickly: the service's own (LAMBDA_SERVICE_ERRORS), except those that
 * may follow a page that ran its full 15 minutes (Lambda.Unknown, ClientExecutionTimeoutException):
 * those, a timeout, a crash and the function's own errors (the ledger's DynamoDB after the SDK's
 * retries) take the slow States.ALL retrier. A page is idempotent: running it again deletes nothing
 * twice (a copy already deleted is gone, its item forgotten).
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
const LAMBDA_TRANSIENT = LAMBDA_SERVICE_ERRORS.filter((e) => e !== 'Lambda.Unknown' && e !== 'Lambda.ClientExecutionTimeoutException');
const PAGE_RETRY = [
  { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' },
  { ErrorEquals: ['States.ALL'], IntervalSeconds: 60, MaxAttempts: 2, BackoffRate: 2, JitterStrategy: 'FULL' },
] as const;

/** The function's timeout (its worst page, every attempt running to it: see SWEEP_PAGE_WORST_SECONDS). */
export const SWEEP_FUNCTION_TIMEOUT_SECONDS = 900;
/** The longest one page can take: every attempt of its retriers running to the function's timeout, every backoff at its longest. */
export const SWEEP_PAGE_WORST_SECONDS = PAGE_RETRY.reduce(
  (total, r) => total + r.MaxAttempts * SWEEP_FUNCTION_TIMEOUT_SECONDS + Array.from({ length: r.MaxAttempts }, (_, i) => r.IntervalSeconds * r.BackoffRate ** i).reduce((a, b) => a + b, 0),
  SWEEP_FUNCTION_TIMEOUT_SECONDS,
);

function buildDefinition(sweepFunctionArn: string, pageBound: number): AslDefinition {
  const data = SWEEP_PATHS.data;
  return {
    Comment: 'ebs-event-hub: deletes the expired snapshot copies the copy ledger records, a page at a time (ebs-event-hub-copy-sweep per page)',
    StartAt: SWEEP_STATES.prepare,
    TimeoutSeconds: SWEEP_TIMEOUT_SECONDS,
    States: {
      [SWEEP_STATES.prepare]: {
        Type: 'Pass',
        Comment: "the function's state starts empty; the page counter at 0 (the schedule's input is not used)",
        Parameters: { task: { data: { outcome: 'start', cause: 'no page swept yet' } }, loops: { pages: { n: 0 } } },
        Next: SWEEP_STATES.page,
      },
      [SWEEP_STATES.page]: {
        Type: 'Task',
        // `$$.Execution.StartTime`: the Context object's, the same for every page of the execution
        // (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
        Comment: 'one page of expired copies (the execution start is the expiry cut-off)',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: sweepFunctionArn,
          Payload: { 'executionStartTime.$': '$$.Execution.StartTime', 'state.$': data, pageSize: SWEEP_PAGE_SIZE, stopAfterSeconds: SWEEP_STOP_AFTER_SECONDS },
        },
        // The answer goes back to $.task.data; the counter in $.loops stays out of the function's reach.
        ResultSelector: { 'data.$': '$.Payload' },
        ResultPath: '$.task',
        Retry: PAGE_RETRY,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.pageError', Next: SWEEP_STATES.pageFailed }],
        Next: SWEEP_STATES.next,
      },
      [SWEEP_STATES.next]: {
        Type: 'Choice',
        Choices: [
          { And: [{ Variable: `${data}.outcome`, StringEquals: 'more' }, { Variable: SWEEP_PATHS.pages, NumericLessThan: pageBound }], Next: SWEEP_STATES.count },
          { Variable: `${data}.summary.failed`, NumericGreaterThan: 0, Next: SWEEP_STATES.incomplete },
          { Variable: `${data}.outcome`, StringEquals: 'done', Next: SWEEP_STATES.swept },
        ],
        Default: SWEEP_STATES.backlog,
      },
      [SWEEP_STATES.count]: { Type: 'Pass', Parameters: { 'n.$': `States.MathAdd(${SWEEP_PATHS.pages}, 1)` }, ResultPath: '$.loops.pages', Next: SWEEP_STATES.page },
      // The page's error by name (its cause, possibly long, stays in the history), and what was swept before it.
      [SWEEP_STATES.pageFailed]: {
        Type: 'Pass',
        Parameters: { 'cause.$': `States.Format('a sweep page failed after its retries ({}); before it: {}', $.pageError.Error, ${data}.cause)` },
        ResultPath: data,
        Next: SWEEP_STATES.incomplete,
      },
      [SWEEP_STATES.incomplete]: { Type: 'Fail', Comment: 'some expired copies could not be swept; the cause counts them and names the first', Error: SWEEP_INCOMPLETE_ERROR, CausePath: `${data}.cause` },
      [SWEEP_STATES.backlog]: { Type: 'Fail', Comment: 'expired copies are left for the next daily sweep (page bound or work time reached)', Error: SWEEP_BACKLOG_ERROR, CausePath: `${data}.cause` },
      [SWEEP_STATES.swept]: { Type: 'Succeed', Comment: 'every expired copy the ledger records was swept', OutputPath: data },
    },
  };
}

/**
 * How many times the loop may go round: (HISTORY_EVENT_BUDGET − the execution's own states) ÷ the
 * worst case of one more page (its task's every attempt, the Choice, CountPage), both counted by
 * stacks/central/history-budget.ts from the definition itself.
 */
export const SWEEP_PAGE_BOUND = (() => {
  const probe = (bound: number) => analyzeHistory(buildDefinition('arn:aws:lambda:us-east-1:111111111111:function:probe', bound)).worst.events;
  const perPage = probe(2) - probe(1);
  const overhead = probe(1) - perPage;
  return Math.floor((HISTORY_EVENT_BUDGET - overhead) / perPage);
})();
/** Pages one execution sweeps at most: the first, then SWEEP_PAGE_BOUND more. */
export const SWEEP_MAX_PAGES = SWEEP_PAGE_BOUND + 1;
/** Expired copies one execution (one day) sweeps at most. */
export const SWEEP_DAILY_CAPACITY = SWEEP_MAX_PAGES * SWEEP_PAGE_SIZE;

export function sweepWorkflowDefinition(props: { readonly sweepFunctionArn: string }): AslDefinition {
  if (!/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/.test(props.sweepFunctionArn)) {
    throw new Error(`sweepWorkflowDefinition: sweepFunctionArn "${props.sweepFunctionArn}" is not a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>)`);
  }
  return buildDefinition(props.sweepFunctionArn, SWEEP_PAGE_BOUND);
}
