/**
 * The retention sweep offline: a sweep state machine definition (the synthesized one, in the tests
 * that matter) run by aws-local-stepfunctions, with the handler's `sweep` entry as its task, through
 * the real SDK against the loopback EC2/STS stand-in (every account's role "assumed" there) and the
 * copy ledger in the DynamoDB stand-in. Retry intervals are compressed to milliseconds (the library's
 * documented override); the retriers, the Choice and its bound are the definition's own.
 *
 * `sweepUntilDone` is the same loop without Step Functions, for handler tests that only need the
 * outcome: it calls the entry with the state it answered, as the definition does, until `done`.
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { StateMachine } from 'aws-local-stepfunctions';
import { DEFAULT_EC2_CONFIG, createClientProvider } from '../../handlers/snapshot-copy/clients';
import { loadSweepConfig } from '../../handlers/snapshot-copy/config';
import { identityFromArn } from '../../handlers/snapshot-copy/decide';
import type { LedgerStore } from '../../handlers/snapshot-copy/ledger';
import type { Log } from '../../handlers/snapshot-copy/logger';
import { handleSweep, type SweepDeps, type SweepEvent, type SweepState, type SweepSummary } from '../../handlers/snapshot-copy/sweep';
import { LEDGER_TABLE } from '../../scripts/support/copy-tables';
import { SWEEP_PAGE_SIZE, SWEEP_STATES, SWEEP_STOP_AFTER_SECONDS } from '../../stacks/central/sweep-workflow';

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer T> ? T : never;

/** The sweep function's environment as the central stack sets it, for a config with both retentions. */
export const SWEEP_ENV = { MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy', LEDGER_TABLE_NAME: LEDGER_TABLE, SWEEP_KINDS: 'member-copy', AWS_REGION: 'eu-west-1' } as const;

/** The handler's dependencies over the stand-ins (EC2 reads retried as shipped, 5 ms apart). */
export function sweepDeps(options: { env?: Record<string, string>; ledger: LedgerStore; logger: Log; functionArn: string; now?: () => Date; timeLeftMs?: () => number }): SweepDeps {
  return {
    config: loadSweepConfig({ ...SWEEP_ENV, ...options.env }),
    clients: createClientProvider({ stsRegion: 'eu-west-1', ec2Config: { retryStrategy: new ConfiguredRetryStrategy(DEFAULT_EC2_CONFIG.maxAttempts as number, 5) } }),
    ledger: options.ledger,
    logger: options.logger,
    self: identityFromArn(options.functionArn),
    now: options.now ?? (() => new Date()),
    timeLeftMs: options.timeLeftMs ?? (() => 900_000),
  };
}

export interface LocalSweepRun {
  status: 'SUCCEEDED' | 'FAILED';
  /** The Fail state's Error and Cause, when it failed. */
  error?: string;
  cause?: string;
  output?: SweepState;
  /** Every event the function received, in order. */
  pages: SweepEvent[];
  /** States entered, in order. */
  path: string[];
  events: EventLog[];
}

/**
 * Runs `definition` once with `deps` behind its task. The library sets `$$.Execution.StartTime`
 * (the expiry cut-off) to the time it runs. `beforePage(i)` runs before the i-th invocation
 * (0-based); what it throws is the invocation's error (as Lambda's).
 */
export async function runLocalSweep(definition: unknown, deps: SweepDeps, options: { beforePage?: (i: number) => void } = {}): Promise<LocalSweepRun> {
  const functionArn = (definition as { States: Record<string, { Parameters?: { FunctionName?: string } }> }).States[SWEEP_STATES.page]!.Parameters!.FunctionName!;
  const pages: SweepEvent[] = [];
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run({} as never, {
    overrides: {
      taskResourceLocalHandlers: {
        [SWEEP_STATES.page]: async (parameters: unknown) => {
          const { FunctionName, Payload } = parameters as { FunctionName: string; Payload: SweepEvent };
          if (FunctionName !== functionArn) throw new Error(`the sweep invoked ${FunctionName}`);
          options.beforePage?.(pages.length);
          pages.push(structuredClone(Payload));
          // Through JSON both ways, as Lambda's payloads are.
          const out = await handleSweep(JSON.parse(JSON.stringify(Payload)), deps);
          return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: JSON.parse(JSON.stringify(out)) } as never;
        },
      },
      retryIntervalOverrides: { [SWEEP_STATES.page]: 1 },
    },
    context: { Execution: { Name: 'sweep-test' } } as never,
  });
  const events: EventLog[] = [];
  const collect = (async () => {
    for await (const e of execution.eventLogs) events.push(e);
  })();
  const run = await execution.result.then(
    (output) => ({ status: 'SUCCEEDED' as const, output: output as unknown as SweepState }),
    (e: Error & { cause?: Error }) => ({ status: 'FAILED' as const, error: e.cause?.name ?? e.name, cause: e.cause?.message ?? e.message }),
  );
  await collect;
  const path = events.filter((e) => e.type === 'StateEntered').map((e) => (e as { state?: { name?: string } }).state?.name ?? '?');
  return { ...run, pages, path, events };
}

/** The handler's loop without Step Functions: pages until `done` (at most `maxPages`), the summary. */
export async function sweepUntilDone(deps: SweepDeps, startTime: Date, maxPages = 1000): Promise<SweepSummary & { pages: number }> {
  let state: SweepState = { outcome: 'start', cause: 'no page swept yet' };
  let pages = 0;
  while (state.outcome !== 'done') {
    if (pages++ >= maxPages) throw new Error(`sweepUntilDone: not done after ${maxPages} pages (${state.outcome})`);
    state = await handleSweep({ executionStartTime: startTime.toISOString(), state, pageSize: SWEEP_PAGE_SIZE, stopAfterSeconds: SWEEP_STOP_AFTER_SECONDS }, deps);
  }
  return { ...state.summary!, pages };
}
