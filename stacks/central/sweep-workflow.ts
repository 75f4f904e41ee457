/**
 * The retention sweep's state machine definition (pure data, no cdktf): every member account ×
 * destination region is one `{ "account", "region" }` item, swept by `ebs-event-hub-copy-sweep`.
 *
 * Why a state machine with the targets written into its definition:
 * - an EventBridge target's `Input` holds at most 8,192 characters, and an item is ~50, so a
 *   scheduled rule cannot carry 1,000 accounts' targets itself; a state machine definition may
 *   be 1 MB (Step Functions quotas), enough for ~20,000 items;
 * - one Lambda invocation per account and region keeps each within its 15-minute limit, and a
 *   failing account (its role not deployed yet, say) fails only its own item: the others are
 *   swept, then the execution fails (alarm and alert) naming the failed items.
 * A Standard execution's history holds at most 25,000 events, and an inline Map records every item's
 * events in it (MapIterationStarted, the item's states, each attempt of its task, MapIterationSucceeded),
 * so the items are split into chunks of `SWEEP_CHUNK_SIZE`, sized from the history budget: the worst
 * case of one item (every retrier exhausted, then caught), counted by stacks/central/history-budget.ts
 * from the item processor itself. Each chunk is started by its own target of the schedule rule with
 * input `{ "chunk": i }` (a rule has at most 5 targets).
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html (Input: 8192)
 */
import { LAMBDA_SERVICE_ERRORS, type AslDefinition } from './copy-workflow';
import { analyzeHistory, HISTORY_EVENT_BUDGET } from './history-budget';

export interface SweepTarget {
  readonly account: string;
  readonly region: string;
}

/** Step Functions' payload quota: the state that holds a chunk's items and results stays far below it (tested). */
export const STATE_PAYLOAD_MAX_BYTES = 262_144;
/** EventBridge allows 5 targets per rule: one chunk each. */
export const SWEEP_MAX_CHUNKS = 5;
/** Sweeps of one account and region in flight at once (EC2 API calls stay low). */
export const SWEEP_MAX_CONCURRENCY = 10;
/** An execution ends well before the next daily one starts. */
export const SWEEP_TIMEOUT_SECONDS = 20 * 3600;
/** The error a sweep execution fails with when any item failed. */
export const SWEEP_INCOMPLETE_ERROR = 'SweepIncomplete';

/** Too many account × region items for the sweep (a configuration the app cannot serve). */
export class SweepTooLargeError extends Error {
  override readonly name = 'SweepTooLargeError';
}

/**
 * Lambda errors worth retrying quickly: the service's own (LAMBDA_SERVICE_ERRORS), except those that
 * may follow a sweep that ran its full 15 minutes (Lambda.Unknown, ClientExecutionTimeoutException):
 * those take the slow States.ALL retrier. Few attempts: each one is three events of every item's
 * worst case, and a failed item is swept again the next day.
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
const LAMBDA_TRANSIENT = LAMBDA_SERVICE_ERRORS.filter((e) => e !== 'Lambda.Unknown' && e !== 'Lambda.ClientExecutionTimeoutException');

/** One account and region: the Map's item processor. */
function itemProcessor(sweepFunctionArn: string): AslDefinition {
  return {
    ProcessorConfig: { Mode: 'INLINE' },
    StartAt: 'SweepOne',
    States: {
      SweepOne: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: sweepFunctionArn, Payload: { 'account.$': '$.account', 'region.$': '$.region' } },
        // Each item's output stays tiny: the Map's result array is part of the state (256 KB).
        ResultSelector: { failed: false },
        Retry: [
          { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' },
          { ErrorEquals: ['States.ALL'], IntervalSeconds: 60, MaxAttempts: 1, BackoffRate: 2, JitterStrategy: 'FULL' },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'SweepOneFailed' }],
        End: true,
      },
      SweepOneFailed: {
        Type: 'Pass',
        Parameters: { 'account.$': '$.account', 'region.$': '$.region', failed: true, 'error.$': '$.error.Error' },
        End: true,
      },
    },
  };
}

/**
 * Items per execution, from the history budget: (HISTORY_EVENT_BUDGET − the execution's own states)
 * ÷ the worst case of one item (its MapIterationStarted/…Succeeded|Failed, its task's every attempt, the catch).
 */
export const SWEEP_CHUNK_SIZE = (() => {
  const probe = (items: number) => analyzeHistory(buildDefinition('arn:aws:lambda:us-east-1:111111111111:function:probe', [Array.from({ length: items }, () => ({ account: '111111111111', region: 'us-east-1' })), []]));
  const perItem = probe(2).worst.events - probe(1).worst.events;
  const overhead = probe(1).worst.events - perItem;
  return Math.floor((HISTORY_EVENT_BUDGET - overhead) / perItem);
})();

/** Splits the targets into the chunks one execution each sweeps. */
export function sweepChunks(targets: readonly SweepTarget[]): SweepTarget[][] {
  const max = SWEEP_CHUNK_SIZE * SWEEP_MAX_CHUNKS;
  if (targets.length > max) {
    throw new SweepTooLargeError(
      `snapshotCopy.retentionDays: the sweep would cover ${targets.length} account × destination region pairs; at most ${max} are supported (${SWEEP_MAX_CHUNKS} executions of ${SWEEP_CHUNK_SIZE})`,
    );
  }
  const chunks: SweepTarget[][] = [];
  for (let i = 0; i < targets.length; i += SWEEP_CHUNK_SIZE) chunks.push(targets.slice(i, i + SWEEP_CHUNK_SIZE));
  return chunks;
}

export function sweepWorkflowDefinition(props: { readonly sweepFunctionArn: string; readonly targets: readonly SweepTarget[] }): AslDefinition {
  const chunks = sweepChunks(props.targets);
  if (chunks.length === 0) throw new SweepTooLargeError('sweepWorkflowDefinition: no targets; the sweep needs at least one account and destination region');
  return buildDefinition(props.sweepFunctionArn, chunks);
}

function buildDefinition(sweepFunctionArn: string, chunks: readonly (readonly SweepTarget[])[]): AslDefinition {
  const chunkStates = Object.fromEntries(
    chunks.map((chunk, i) => [`Chunk${i}`, { Type: 'Pass', Comment: `${chunk.length} account × region items`, Result: { targets: chunk.map((t) => ({ account: t.account, region: t.region })) }, Next: 'Sweep' }]),
  );
  return {
    Comment: 'Deletes expired snapshot copies in every member account and destination region (ebs-event-hub-copy-sweep per item)',
    StartAt: chunks.length === 1 ? 'Chunk0' : 'PickChunk',
    TimeoutSeconds: SWEEP_TIMEOUT_SECONDS,
    States: {
      ...(chunks.length > 1
        ? {
            PickChunk: {
              Type: 'Choice',
              Choices: chunks.map((_, i) => ({ Variable: '$.chunk', NumericEquals: i, Next: `Chunk${i}` })),
              Default: 'UnknownChunk',
            },
            UnknownChunk: { Type: 'Fail', Error: 'UnknownChunk', Cause: 'The input names no chunk of this sweep ({"chunk": 0..n-1})' },
          }
        : {}),
      ...chunkStates,
      Sweep: {
        Type: 'Map',
        ItemsPath: '$.targets',
        MaxConcurrency: SWEEP_MAX_CONCURRENCY,
        ItemProcessor: itemProcessor(sweepFunctionArn),
        ResultPath: '$.results',
        Next: 'AnyFailed',
      },
      // AWS's own example use of States.ArrayContains: "detect if there was an error in a Map state
      // iteration"; intrinsics nest up to 10 deep in a Pass state's Parameters:
      // https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
      AnyFailed: {
        Type: 'Pass',
        Parameters: { 'anyFailed.$': 'States.ArrayContains($.results[*].failed, true)', 'results.$': '$.results' },
        Next: 'Outcome',
      },
      Outcome: {
        Type: 'Choice',
        Choices: [{ Variable: '$.anyFailed', BooleanEquals: true, Next: 'CollectFailures' }],
        Default: 'Swept',
      },
      // Reached only when at least one item failed, so the filter matches something.
      CollectFailures: {
        Type: 'Pass',
        Parameters: { 'failed.$': '$.results[?(@.failed == true)]' },
        Next: 'DescribeFailures',
      },
      DescribeFailures: {
        Type: 'Pass',
        Parameters: {
          // Bounded: a Fail cause holds at most 32,768 characters; the history has every item.
          'cause.$': "States.Format('{} account/region sweep(s) failed; first: {}', States.ArrayLength($.failed), States.JsonToString($.failed[0]))",
        },
        Next: SWEEP_INCOMPLETE_ERROR,
      },
      [SWEEP_INCOMPLETE_ERROR]: { Type: 'Fail', Error: SWEEP_INCOMPLETE_ERROR, CausePath: '$.cause' },
      Swept: { Type: 'Succeed' },
    },
  };
}
