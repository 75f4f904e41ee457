/**
 * The retention sweep's state machine definition: valid ASL (asl-validator), and its loop run offline
 * (aws-local-stepfunctions) with a scripted stand-in for `ebs-event-hub-copy-sweep` that answers as
 * the handler does (`{ outcome, cursor?, summary, cause }`): the pages go on while it answers `more`,
 * up to the bound; how the execution ends. The real handler behind the synthesized definition:
 * __tests__/handler/sweep-workflow.test.ts.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  SWEEP_BACKLOG_ERROR,
  SWEEP_INCOMPLETE_ERROR,
  SWEEP_MAX_PAGES,
  SWEEP_PAGE_SIZE,
  SWEEP_STATES,
  SWEEP_STOP_AFTER_SECONDS,
  sweepWorkflowDefinition,
} from '../stacks/central/sweep-workflow';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

const SWEEP_ARN = 'arn:aws:lambda:eu-west-1:111111111111:function:ebs-event-hub-copy-sweep';
const definition = sweepWorkflowDefinition({ sweepFunctionArn: SWEEP_ARN });

type Answer = { outcome: string; cursor?: unknown; summary: Record<string, unknown>; cause: string };
const summary = (over: Record<string, unknown> = {}) => ({ examined: 0, deleted: 0, gone: 0, notExpired: 0, inUse: 0, kept: 0, failed: 0, ...over });

/** Runs the definition; `page(event, i)` stands in for the function (the `lambda:invoke` result shape: `{ Payload }`). */
async function run(page: (event: Record<string, unknown>, i: number) => Answer) {
  const events: Array<Record<string, unknown>> = [];
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run({ 'detail-type': 'Scheduled Event' } as never, {
    overrides: {
      taskResourceLocalHandlers: {
        [SWEEP_STATES.page]: async (parameters) => {
          const p = parameters as { FunctionName: string; Payload: Record<string, unknown> };
          expect(p.FunctionName).toBe(SWEEP_ARN);
          events.push(p.Payload);
          return { StatusCode: 200, Payload: page(p.Payload, events.length - 1) } as never;
        },
      },
      retryIntervalOverrides: { [SWEEP_STATES.page]: 0 },
    },
    context: { Execution: { Name: 'daily' } } as never,
  });
  const outcome = await execution.result.then(
    (output) => ({ status: 'SUCCEEDED', output: output as unknown as Answer, error: undefined, cause: undefined }),
    (e: Error & { cause?: Error }) => ({ status: 'FAILED', output: undefined, error: e.cause?.name, cause: e.cause?.message }),
  );
  return { ...outcome, events };
}

describe('sweep workflow definition', () => {
  it('GIVEN the definition THEN it is valid ASL, and names no account, region or chunk', () => {
    const { isValid, errors } = aslValidator(structuredClone(definition));
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
    expect(JSON.stringify(definition)).not.toMatch(/\d{12}#|chunk|"Map"/);
  });

  it('GIVEN a function ARN that is not one THEN it refuses to build', () => {
    expect(() => sweepWorkflowDefinition({ sweepFunctionArn: `${SWEEP_ARN}:live` })).toThrowError(/is not a Lambda function ARN/);
  });

  it('GIVEN three pages THEN each call gets the state the previous one answered, the execution start and the limits; done ends it Swept with the summary', async () => {
    const result = await run((_event, i) =>
      i < 2 ? { outcome: 'more', cursor: { kind: 'member-copy', after: { page: i } }, summary: summary({ examined: i + 1 }), cause: `page ${i}` } : { outcome: 'done', summary: summary({ examined: 3, deleted: 3 }), cause: 'all done' },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ outcome: 'done', summary: summary({ examined: 3, deleted: 3 }), cause: 'all done' });
    // One cut-off for every page: the execution's start ($$.Execution.StartTime; the library sets it to when it ran).
    const START = result.events[0]!['executionStartTime'];
    expect(Date.parse(String(START))).toBeGreaterThan(Date.now() - 60_000);
    expect(result.events).toEqual([
      { executionStartTime: START, state: { outcome: 'start', cause: 'no page swept yet' }, pageSize: SWEEP_PAGE_SIZE, stopAfterSeconds: SWEEP_STOP_AFTER_SECONDS },
      { executionStartTime: START, state: { outcome: 'more', cursor: { kind: 'member-copy', after: { page: 0 } }, summary: summary({ examined: 1 }), cause: 'page 0' }, pageSize: SWEEP_PAGE_SIZE, stopAfterSeconds: SWEEP_STOP_AFTER_SECONDS },
      { executionStartTime: START, state: { outcome: 'more', cursor: { kind: 'member-copy', after: { page: 1 } }, summary: summary({ examined: 2 }), cause: 'page 1' }, pageSize: SWEEP_PAGE_SIZE, stopAfterSeconds: SWEEP_STOP_AFTER_SECONDS },
    ]);
  });

  it('GIVEN copies that failed on the way THEN the pages still go on to the end, and the execution fails SweepIncomplete with the cause the function wrote', async () => {
    const result = await run((_e, i) => (i === 0 ? { outcome: 'more', cursor: {}, summary: summary({ failed: 1 }), cause: 'x' } : { outcome: 'done', summary: summary({ failed: 1, deleted: 5 }), cause: '6 expired copies examined: 5 deleted, 1 failed; first failure: …' }));
    expect(result).toMatchObject({ status: 'FAILED', error: SWEEP_INCOMPLETE_ERROR, cause: '6 expired copies examined: 5 deleted, 1 failed; first failure: …' });
    expect(result.events).toHaveLength(2);
  });

  it(`GIVEN a function that always has more THEN the execution stops after ${SWEEP_MAX_PAGES} pages (its bound) and fails SweepBacklog`, async () => {
    const result = await run(() => ({ outcome: 'more', cursor: {}, summary: summary({ deleted: 1000 }), cause: 'expired copies remain' }));
    expect(result).toMatchObject({ status: 'FAILED', error: SWEEP_BACKLOG_ERROR, cause: 'expired copies remain' });
    expect(result.events).toHaveLength(SWEEP_MAX_PAGES);
  });

  it('GIVEN the function out of time THEN the execution fails SweepBacklog at once', async () => {
    const result = await run(() => ({ outcome: 'out-of-time', cursor: {}, summary: summary(), cause: 'time' }));
    expect(result).toMatchObject({ status: 'FAILED', error: SWEEP_BACKLOG_ERROR, cause: 'time' });
    expect(result.events).toHaveLength(1);
  });

  it('GIVEN a page whose invocation fails once (Lambda throttled) THEN it is retried and the sweep goes on; GIVEN one that keeps failing THEN PageFailed ends it SweepIncomplete naming the error and what was swept before', async () => {
    let calls = 0;
    const retried = await run((_e, i) => {
      if (++calls === 2) throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      return i === 0 ? { outcome: 'more', cursor: {}, summary: summary(), cause: 'p0' } : { outcome: 'done', summary: summary(), cause: 'done' };
    });
    expect(retried.status).toBe('SUCCEEDED');
    const failed = await run((_e, i) => {
      if (i >= 1) throw Object.assign(new Error('DynamoDB throttled'), { name: 'SlotTableUnavailable' });
      return { outcome: 'more', cursor: {}, summary: summary({ deleted: 7 }), cause: '7 deleted so far' };
    });
    expect(failed).toMatchObject({ status: 'FAILED', error: SWEEP_INCOMPLETE_ERROR, cause: 'a sweep page failed after its retries (SlotTableUnavailable); before it: 7 deleted so far' });
    // The first page, then the second with its every attempt (1 + 2 of States.ALL).
    expect(failed.events).toHaveLength(1 + 3);
  });
});
