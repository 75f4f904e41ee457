/**
 * The retention sweep's state machine definition: valid ASL (asl-validator), and run offline
 * (aws-local-stepfunctions) with a local stand-in for `ebs-event-hub-copy-sweep`.
 */
import { StateMachine, ExecutionError } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  SWEEP_CHUNK_SIZE,
  SWEEP_INCOMPLETE_ERROR,
  STATE_PAYLOAD_MAX_BYTES,
  SWEEP_MAX_CHUNKS,
  sweepChunks,
  SweepTooLargeError,
  sweepWorkflowDefinition,
  type SweepTarget,
} from '../stacks/central/sweep-workflow';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

const SWEEP_ARN = 'arn:aws:lambda:eu-west-1:111111111111:function:ebs-event-hub-copy-sweep';
const targets = (n: number): SweepTarget[] => Array.from({ length: n }, (_, i) => ({ account: String(200_000_000_000 + i), region: 'eu-central-1' }));

/** Runs the definition; `sweep` stands in for the Lambda task (the `lambda:invoke` result shape: `{ Payload }`). */
async function run(definition: Record<string, unknown>, input: unknown, sweep: (item: { account: string; region: string }) => unknown) {
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: {
        SweepOne: async (parameters) => {
          const p = parameters as { FunctionName: string; Payload: { account: string; region: string } };
          expect(p.FunctionName).toBe(SWEEP_ARN);
          return { StatusCode: 200, Payload: await sweep(p.Payload) } as never;
        },
      },
      retryIntervalOverrides: { SweepOne: 0 },
    },
  });
  return execution.result;
}

describe('sweep workflow definition', () => {
  it('GIVEN one chunk or several WHEN validated with asl-validator THEN it is valid ASL', () => {
    for (const n of [1, SWEEP_CHUNK_SIZE + 1]) {
      const { isValid, errors } = aslValidator(structuredClone(sweepWorkflowDefinition({ sweepFunctionArn: SWEEP_ARN, targets: targets(n) })));
      expect(errors).toEqual([]);
      expect(isValid).toBe(true);
    }
  });

  it('GIVEN three accounts WHEN the sweep runs THEN each account and region is swept once and the execution succeeds', async () => {
    const seen: string[] = [];
    await run(sweepWorkflowDefinition({ sweepFunctionArn: SWEEP_ARN, targets: targets(3) }), {}, (item) => {
      seen.push(`${item.account}/${item.region}`);
      return { deleted: 0 };
    });
    expect(seen.sort()).toEqual(targets(3).map((t) => `${t.account}/${t.region}`));
  });

  it('GIVEN one account whose sweep keeps failing WHEN the sweep runs THEN the others are still swept and the execution fails naming it', async () => {
    const swept: string[] = [];
    const bad = targets(3)[1]!.account;
    const failure = run(sweepWorkflowDefinition({ sweepFunctionArn: SWEEP_ARN, targets: targets(3) }), {}, (item) => {
      if (item.account === bad) throw Object.assign(new Error('AccessDenied: not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' });
      swept.push(item.account);
      return { deleted: 1 };
    });
    const error = await failure.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExecutionError);
    expect(((error as Error).cause as Error).name).toBe(SWEEP_INCOMPLETE_ERROR);
    expect((error as Error).message).toContain(`1 account/region sweep(s) failed; first: {"account":"${bad}","region":"eu-central-1","failed":true,"error":"AccessDenied"}`);
    expect(swept.sort()).toEqual([targets(3)[0]!.account, targets(3)[2]!.account]);
  });

  it('GIVEN more targets than one chunk WHEN started with {"chunk": 1} THEN only the second chunk is swept', async () => {
    const all = targets(SWEEP_CHUNK_SIZE + 2);
    const seen: string[] = [];
    await run(sweepWorkflowDefinition({ sweepFunctionArn: SWEEP_ARN, targets: all }), { chunk: 1 }, (item) => {
      seen.push(item.account);
      return {};
    });
    expect(seen.sort()).toEqual(all.slice(SWEEP_CHUNK_SIZE).map((t) => t.account));
  });

  it('GIVEN an input naming no chunk WHEN the multi-chunk sweep starts THEN it fails rather than sweep nothing silently', async () => {
    const error = await run(sweepWorkflowDefinition({ sweepFunctionArn: SWEEP_ARN, targets: targets(SWEEP_CHUNK_SIZE + 1) }), { chunk: 7 }, () => ({})).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(((error as Error).cause as Error).name).toBe('UnknownChunk');
  });

  it('GIVEN a full chunk with the longest region names WHEN its state is at its largest (targets and results) THEN it fits the 256 KB payload quota', () => {
    const full = Array.from({ length: SWEEP_CHUNK_SIZE }, (_, i) => ({ account: String(200_000_000_000 + i), region: 'ap-southeast-5' }));
    const definition = sweepWorkflowDefinition({ sweepFunctionArn: SWEEP_ARN, targets: full }) as { States: Record<string, { Result: unknown }> };
    const failedResult = { account: full[0]!.account, region: full[0]!.region, failed: true, error: 'Lambda.Unknown-with-a-long-error-name' };
    const state = { ...(definition.States.Chunk0!.Result as object), results: full.map(() => failedResult) };
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThan(STATE_PAYLOAD_MAX_BYTES);
  });

  it('GIVEN more account × region pairs than the chunks can hold WHEN the definition is built THEN a clear error names the limit', () => {
    expect(sweepChunks(targets(SWEEP_CHUNK_SIZE * SWEEP_MAX_CHUNKS))).toHaveLength(SWEEP_MAX_CHUNKS);
    expect(() => sweepChunks(targets(SWEEP_CHUNK_SIZE * SWEEP_MAX_CHUNKS + 1))).toThrowError(SweepTooLargeError);
    expect(() => sweepChunks(targets(SWEEP_CHUNK_SIZE * SWEEP_MAX_CHUNKS + 1))).toThrowError(`at most ${SWEEP_CHUNK_SIZE * SWEEP_MAX_CHUNKS} are supported (${SWEEP_MAX_CHUNKS} executions of ${SWEEP_CHUNK_SIZE})`);
    expect(() => sweepWorkflowDefinition({ sweepFunctionArn: SWEEP_ARN, targets: [] })).toThrowError(SweepTooLargeError);
  });
});
