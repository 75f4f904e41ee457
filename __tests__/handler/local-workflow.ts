/**
 * The REAL copy workflow definition (stacks/central/copy-workflow.ts) run offline by
 * aws-local-stepfunctions, with the handler's `step` entry as every Task (through the real SDK
 * against the loopback EC2 stand-in) and a local Step Functions for the `start` entry that keeps
 * StartExecution's documented name semantics:
 *   same name + same input while running → success, the running execution (idempotent);
 *   name of a closed execution, or same name with another input → ExecutionAlreadyExists.
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * Wait and Retry intervals are compressed to milliseconds (the library's documented overrides); the
 * retriers, catchers, choices and attempt counts are the definition's own.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, StartExecutionCommand, type StartExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DEFAULT_EC2_CONFIG, createClientProvider } from '../../handlers/snapshot-copy/clients';
import { loadStartConfig, loadStepConfig, type StepConfig } from '../../handlers/snapshot-copy/config';
import { identityFromArn } from '../../handlers/snapshot-copy/decide';
import { createHolderStatusReader, type HolderStatusReader } from '../../handlers/snapshot-copy/executions';
import type { Log } from '../../handlers/snapshot-copy/logger';
import { handleStart, type StartDeps } from '../../handlers/snapshot-copy/start';
import { createLedgerStore } from '../../handlers/snapshot-copy/ledger';
import { createSlotStore } from '../../handlers/snapshot-copy/slots';
import { runStep, type StepEvent } from '../../handlers/snapshot-copy/steps';
import { LEDGER_TABLE, withLedgerTable } from '../../scripts/support/copy-tables';
import { DynamoDbStandin } from '../../scripts/support/dynamodb-standin';
import { copyWorkflowDefinition } from '../../stacks/central/copy-workflow';
import { startEc2Standin, type Ec2Standin, type StandinOptions } from '../../scripts/support/ec2-standin';
import { FUNCTION_ARN, OWN_ACCOUNT, createSnapshotEvent, sqsBatch, sqsRecord } from './support';

export const STEP_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:111111111111:function:ebs-event-hub-copy-step';
export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:ebs-event-hub-snapshot-copy';
export const COPY_QUEUE_ARN = 'arn:aws:sqs:us-east-1:111111111111:ebs-event-hub-snapshot-copy';

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer T> ? T : never;

/** The states of `definition` of one type (Task: their local handlers and retry intervals; Wait: compressed). */
const statesOfType = (definition: Record<string, unknown>, type: string): string[] =>
  Object.entries((definition as { States: Record<string, { Type: string }> }).States)
    .filter(([, state]) => state.Type === type)
    .map(([name]) => name);
export const SLOTS_TABLE = 'ebs-event-hub-copy-slots';
/** The longest delay a Node timer holds. */
const NODE_TIMER_MAX_MS = 2 ** 31 - 1;

export interface ExecutionRecord {
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  result: Promise<unknown>;
  error?: Error & { cause?: Error };
  output?: unknown;
  events: EventLog[];
}

export interface LocalWorkflowOptions {
  env?: Record<string, string>;
  logger: Log;
  /** ms between retries / for Wait states (compressed time). */
  intervalMs?: number;
  /** The copy-slots and copy-ledger tables (DynamoDB stand-in). @default - a fresh one */
  dynamodb?: DynamoDbStandin;
  /** Called before a task runs (e.g. to delete the source mid-execution); what it throws is the task's error (as Lambda's). */
  beforeTask?: (state: string, event: StepEvent) => void;
  /** Holder status reader (DescribeExecution). @default - the real reader over this local Step Functions */
  holders?: HolderStatusReader;
  /**
   * The definition to run, e.g. the one a central stack synthesized (vault mode), with the step
   * function its tasks name. @default - copyWorkflowDefinition({ stepFunctionArn: STEP_FUNCTION_ARN })
   */
  definition?: { readonly json: Record<string, unknown>; readonly stepFunctionArn: string };
}

export class LocalWorkflow {
  readonly executions = new Map<string, ExecutionRecord>();
  readonly definition: Record<string, unknown>;
  readonly machine: StateMachine;
  private readonly stepFunctionArn: string;
  readonly config: StepConfig;
  /** The steps' clock runs 1,000× faster than real time, like the compressed waits (1 ms ≈ 1 s). */
  private readonly origin = Date.now();
  readonly now = (): Date => new Date(this.origin + (Date.now() - this.origin) * 1_000);

  constructor(private readonly options: LocalWorkflowOptions) {
    this.definition = options.definition?.json ?? copyWorkflowDefinition({ stepFunctionArn: STEP_FUNCTION_ARN });
    this.stepFunctionArn = options.definition?.stepFunctionArn ?? STEP_FUNCTION_ARN;
    // aws-local-stepfunctions times TimeoutSeconds with a Node timer, which cannot hold more than
    // 2^31 − 1 ms (~24.8 days: a longer delay fires at once). The vault definition's 30 days would
    // time every execution out at its start; a compressed run lasts seconds, so the cap changes nothing.
    const timeout = (this.definition as { TimeoutSeconds?: number }).TimeoutSeconds;
    this.machine = new StateMachine((timeout !== undefined && timeout * 1000 > NODE_TIMER_MAX_MS ? { ...this.definition, TimeoutSeconds: Math.floor(NODE_TIMER_MAX_MS / 1000) } : this.definition) as never);
    this.config = loadStepConfig({
      MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
      MAX_IN_FLIGHT_COPIES: '15',
      AWS_REGION: 'us-east-1',
      SLOTS_TABLE_NAME: SLOTS_TABLE,
      LEDGER_TABLE_NAME: LEDGER_TABLE,
      STATE_MACHINE_ARN,
      ...options.env,
    });
    this.dynamodb = withLedgerTable(options.dynamodb ?? new DynamoDbStandin(), this.config.ledgerTableName);
    this.slots = createSlotStore(this.dynamodb.client as never, this.config.slotsTableName);
    this.ledger = createLedgerStore(this.dynamodb.client as never, this.config.ledgerTableName);
  }

  readonly dynamodb: DynamoDbStandin;
  private readonly slots: ReturnType<typeof createSlotStore>;
  /** The copy ledger the steps write (in `dynamodb`). */
  readonly ledger: ReturnType<typeof createLedgerStore>;
  /** DescribeExecution calls the steps made. */
  readonly describeCalls: string[] = [];
  /** DescribeExecution of these execution names fails with this error (e.g. ThrottlingException). */
  readonly describeFaults = new Map<string, Error>();
  private readonly holders = (): HolderStatusReader => (this.options.holders ??= createHolderStatusReader(this.describer(), this.config.stateMachineArn, () => this.now().getTime()));

  /**
   * DescribeExecution with the service's answers: the execution's status, or ExecutionDoesNotExist.
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
   */
  describer(): { send: (command: DescribeExecutionCommand) => Promise<{ status: string }> } {
    return {
      send: async (command) => {
        if (!(command instanceof DescribeExecutionCommand)) throw new Error('only DescribeExecution');
        const arn = command.input.executionArn!;
        this.describeCalls.push(arn);
        const prefix = `${this.config.stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
        const name = arn.startsWith(prefix) ? arn.slice(prefix.length) : '';
        const fault = this.describeFaults.get(name);
        if (fault) throw fault;
        const record = this.executions.get(name);
        if (!record) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, $metadata: {} });
        return { status: record.status };
      },
    };
  }

  private readonly clients = createClientProvider({
    stsRegion: 'us-east-1',
    // Reads retry as shipped (maxAttempts), 5 ms apart; CopySnapshot's client ignores this (one attempt).
    ec2Config: { retryStrategy: new ConfiguredRetryStrategy(DEFAULT_EC2_CONFIG.maxAttempts as number, 5) },
  });

  /** The Lambda invoke integration: `{ FunctionName, Payload }` in, `{ StatusCode, Payload }` out; a thrown error's name is the state's Error. */
  private task(state: string) {
    return async (parameters: unknown): Promise<never> => {
      const { FunctionName, Payload } = parameters as { FunctionName: string; Payload: StepEvent };
      if (FunctionName !== this.stepFunctionArn) throw new Error(`task ${state} invoked ${FunctionName}`);
      this.options.beforeTask?.(state, Payload);
      const out = await runStep(JSON.parse(JSON.stringify(Payload)) as StepEvent, {
        config: this.config,
        clients: this.clients,
        slots: this.slots,
        holders: this.holders(),
        ledger: this.ledger,
        logger: this.options.logger,
        self: identityFromArn(FUNCTION_ARN),
        now: this.now,
        random: Math.random,
      });
      return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: JSON.parse(JSON.stringify(out)) } as never;
    };
  }

  /** StartExecution with the service's name semantics. */
  start(name: string, input: string): ExecutionRecord {
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}'`, $metadata: {} });
    }
    const ms = this.options.intervalMs ?? 2;
    const tasks = statesOfType(this.definition, 'Task');
    const overrides = {
      taskResourceLocalHandlers: Object.fromEntries(tasks.map((t) => [t, this.task(t)])),
      waitTimeOverrides: Object.fromEntries(statesOfType(this.definition, 'Wait').map((w) => [w, ms])),
      retryIntervalOverrides: Object.fromEntries(tasks.map((t) => [t, ms])),
    };
    const execution = this.machine.run(JSON.parse(input) as never, { overrides, context: { Execution: { Name: name, StartTime: this.now().toISOString() } } as never });
    const record: ExecutionRecord = { name, input, status: 'RUNNING', result: Promise.resolve(), events: [] };
    const collect = (async () => {
      for await (const e of execution.eventLogs) record.events.push(e);
    })();
    record.result = execution.result.then(
      (output) => {
        record.status = 'SUCCEEDED';
        record.output = output;
      },
      (error: Error & { cause?: Error }) => {
        record.status = 'FAILED';
        record.error = error;
      },
    ).then(() => collect);
    this.executions.set(name, record);
    return record;
  }

  /** The `sfn` dependency of the start entry. */
  sfn(): StartDeps['sfn'] {
    return {
      send: (async (command: StartExecutionCommand): Promise<StartExecutionCommandOutput> => {
        if (!(command instanceof StartExecutionCommand)) throw new Error('only StartExecution');
        const { name, input, stateMachineArn } = command.input;
        if (stateMachineArn !== STATE_MACHINE_ARN) throw new Error(`StartExecution of ${stateMachineArn}`);
        this.start(name!, input!);
        return { executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`, startDate: new Date(), $metadata: {} };
      }) as never,
    };
  }

  async settle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.result));
  }

  /** An execution this local Step Functions knows with that status (running, stopped, timed out, failed, …), run elsewhere. */
  known(name: string, status: ExecutionRecord['status']): void {
    this.executions.set(name, { name, input: '{}', status, result: Promise.resolve(), events: [] });
  }

  /** Retries the definition made in one state (StateRetried events). */
  retries(name: string, state: string): number {
    return this.executions.get(name)!.events.filter((e) => e.type === 'StateRetried' && (e as { state?: { name?: string } }).state?.name === state).length;
  }

  /** States entered, in order. */
  path(name: string): string[] {
    return this.executions
      .get(name)!
      .events.filter((e) => e.type === 'StateEntered')
      .map((e) => (e as { state?: { name?: string } }).state?.name ?? '?');
  }
}

/**
 * Points the SDK of this process at an EC2/STS stand-in with static test credentials (the member
 * role is "assumed" there too); returns what restores the environment.
 */
function useStandinEndpoints(url: string): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, { AWS_ENDPOINT_URL_EC2: url, AWS_ENDPOINT_URL_STS: url, AWS_ACCESS_KEY_ID: 'AKIDSTANDINFUNCTION', AWS_SECRET_ACCESS_KEY: 'standin-secret' });
  for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL']) delete process.env[k];
  return () => {
    process.env = saved;
  };
}

/** Delivers createSnapshot events for `(snapshotId, region)` of `account` to the start entry, which starts executions of `workflow`. */
export function snapshotDeliverer(workflow: LocalWorkflow, logger: Log, startEnv: Record<string, string>, account: string) {
  const config = loadStartConfig({ STATE_MACHINE_ARN, COPY_QUEUE_ARN, ...startEnv });
  return (snapshotId: string, region: string) =>
    handleStart(sqsBatch({ ...sqsRecord('m-1', createSnapshotEvent({ snapshotId, region, account })), eventSourceARN: COPY_QUEUE_ARN }), { config, sfn: workflow.sfn(), logger });
}

/**
 * An EC2/STS stand-in for the calling test file (vitest hooks): started before its tests with the SDK
 * pointed at it, reset before each test, closed after. Returns the running stand-in.
 */
export function ec2StandinForTests(options: Partial<StandinOptions> = {}): () => Ec2Standin {
  let standin: Ec2Standin | undefined;
  let restore = (): void => undefined;
  beforeAll(async () => {
    standin = await startEc2Standin({ defaultAccount: OWN_ACCOUNT, copyDurationMs: 40, ...options });
    restore = useStandinEndpoints(standin.url);
  });
  afterAll(async () => {
    await standin?.close();
    restore();
  });
  beforeEach(() => standin?.reset());
  return () => standin!;
}
