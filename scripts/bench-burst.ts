/**
 * Burst benchmark of the copy workflow, on simulated time:  npm run bench:burst
 *
 * Scenario (issue 7): 500 snapshots completing at once in one account, plus 200 spread over 20
 * accounts (10 each, completing within the first minute); copy durations drawn uniformly from 5 to
 * 90 minutes; 1% of CopySnapshot calls make the copy and then fail ambiguously (500 InternalError);
 * 5% of events are delivered twice (at once, or up to 30 minutes later). maxInFlightCopies 15.
 *
 * What runs for real:
 *   - the `start` entry (handleStart) on SQS batches of 10 records, against a Step Functions model
 *     with StartExecution's name semantics (running + same input → success; closed → ExecutionAlreadyExists);
 *   - the `step` entry (runStep) for every Task, with every decision (admission, find, confirm, poll,
 *     error classification, deadlines) and the SDK command objects it builds;
 *   - the DEFINITION itself: `copyWorkflowDefinition()` is interpreted state by state (Task, Choice,
 *     Wait, Succeed, Fail; Retry with IntervalSeconds × BackoffRate^n capped by MaxDelaySeconds, FULL
 *     jitter = uniform(0, delay), MaxAttempts; Catch with ResultPath; it refuses to run a definition
 *     using anything else). Its retry parameters are
 *     therefore the deployed ones, imported from stacks/central/copy-workflow.ts: they cannot drift.
 *
 * What is modelled (one process, a discrete-event clock, no real waiting):
 *   - EC2 per account and region: snapshots, copies `pending` for their duration then `completed`;
 *     ResourceLimitExceeded at 20 concurrent copies per destination region and account
 *     (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html); request throttling
 *     with EC2's token buckets (non-mutating 100 burst / 20 per s, mutating 200 / 5 per s:
 *     https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), the SDK retrying a
 *     throttled read up to DEFAULT_EC2_CONFIG.maxAttempts (each attempt counted as a call, its
 *     jittered backoff waited in simulated time);
 *     a new copy invisible to DescribeSnapshots for 5 s (eventual consistency).
 *   - The copy-slots table (DynamoDB): scripts/support/dynamodb-standin.ts, which evaluates the
 *     handler's conditional UpdateItem expressions as DynamoDB documents them, one request at a
 *     time (each UpdateItem is atomic); its write requests are counted (on-demand cost).
 *   - Each Task takes 0.3 s (Lambda invoke + run), each state transition 0.05 s.
 *
 * Metrics: copied, lost (no completed copy at the end), duplicated (more than one copy not in
 * `error`), drain time per account and destination against the ideal lower bound
 * max(sum of copy durations ÷ maxInFlightCopies, longest copy) (reported: the worst ratio), EC2
 * calls per snapshot, state transitions and Lambda invocations per snapshot, DynamoDB writes per
 * snapshot, and the most of this app's copies ever pending at once per account and destination
 * (must never exceed maxInFlightCopies: the semaphore is strict). The last line is
 *   burst: copied N, lost N, duplicated N, drain R× ideal, C EC2 calls per snapshot
 * and the exit code is non-zero when a target is missed (0 lost, 0 duplicated, drain ≤ 1.15×,
 * ≤ 30 EC2 calls per snapshot, never more than maxInFlightCopies of this app's copies pending). A fixed seed makes runs repeatable (BURST_SEED to vary it).
 */
import { CopySnapshotCommand, DescribeSnapshotsCommand, type Filter, type Snapshot, type Tag } from '@aws-sdk/client-ec2';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSRecord } from 'aws-lambda';
import { COPY_EC2_CONFIG, DEFAULT_EC2_CONFIG, type ClientProvider, type Ec2Target } from '../handlers/snapshot-copy/clients';
import { loadStartConfig, loadStepConfig } from '../handlers/snapshot-copy/config';
import { PROVENANCE_TAGS } from '../handlers/snapshot-copy/decide';
import type { Log } from '../handlers/snapshot-copy/logger';
import { handleStart } from '../handlers/snapshot-copy/start';
import { createLedgerStore } from '../handlers/snapshot-copy/ledger';
import { createSlotStore } from '../handlers/snapshot-copy/slots';
import { runStep, type StepEvent } from '../handlers/snapshot-copy/steps';
import { copyWorkflowDefinition } from '../stacks/central/copy-workflow';
import { LEDGER_TABLE, withLedgerTable } from './support/copy-tables';
import { DynamoDbStandin } from './support/dynamodb-standin';

// ---------------------------------------------------------------------------------------------
// Parameters
const SEED = Number(process.env['BURST_SEED'] ?? 7);
const MAX_IN_FLIGHT = 15;
const EC2_COPY_QUOTA = 20;
const AMBIGUOUS_RATE = 0.01;
const DUPLICATE_RATE = 0.05;
const VISIBILITY_LAG_S = 5;
const TASK_S = 0.3;
const TRANSITION_S = 0.05;
const SOURCE = 'us-west-2';
const DEST = 'us-east-1';
const CENTRAL = '000000000000';
const TARGETS = { drain: 1.15, callsPerSnapshot: 30 };

// ---------------------------------------------------------------------------------------------
// Deterministic random numbers (mulberry32)
let seed = SEED >>> 0;
const random = (): number => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// ---------------------------------------------------------------------------------------------
// The simulated clock: a binary heap of timed callbacks.
let now = 0; // seconds since the burst
const EPOCH = Date.parse('2026-01-05T00:00:00Z');
const nowDate = (): Date => new Date(EPOCH + now * 1000);
type Job = { at: number; seq: number; run: () => Promise<void> | void };
const heap: Job[] = [];
let seq = 0;
function schedule(delay: number, run: Job['run']): void {
  const job = { at: now + delay, seq: seq++, run };
  heap.push(job);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (before(heap[p]!, heap[i]!)) break;
    [heap[p], heap[i]] = [heap[i]!, heap[p]!];
    i = p;
  }
}
const before = (a: Job, b: Job): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
function pop(): Job | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0 && last) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i]!, heap[m]!];
      i = m;
    }
  }
  return top;
}

// ---------------------------------------------------------------------------------------------
// EC2 model
interface SimSnapshot {
  id: string;
  account: string;
  region: string;
  state: 'pending' | 'completed' | 'error';
  tags: Tag[];
  createdAt: number;
  completesAt: number;
  source?: string;
  /** CopySnapshot's Description (ConfirmCopy adopts a copy only with this app's). */
  description?: string;
}
const snapshots = new Map<string, SimSnapshot>(); // by id
const byAccountRegion = new Map<string, SimSnapshot[]>();
const durations = new Map<string, number>(); // source id → copy duration (s)
let idCounter = 0;
const ec2Calls = { total: 0, byAction: new Map<string, number>(), byStep: new Map<string, number>(), throttled: 0 };
let currentStep = 'start';
let ambiguousAnswers = 0;
const peakOurs = new Map<string, number>();
/** The same after the burst's first 2 hours. */
const peakOursLater = new Map<string, number>();

const key = (account: string, region: string): string => `${account}|${region}`;
function addSnapshot(s: SimSnapshot): void {
  snapshots.set(s.id, s);
  const k = key(s.account, s.region);
  (byAccountRegion.get(k) ?? byAccountRegion.set(k, []).get(k)!).push(s);
}
const stateOf = (s: SimSnapshot): SimSnapshot['state'] => (s.state === 'pending' && now >= s.completesAt ? 'completed' : s.state);
const pendingCount = (account: string, region: string): number => (byAccountRegion.get(key(account, region)) ?? []).filter((s) => s.source !== undefined && stateOf(s) === 'pending').length;

class Bucket {
  private tokens: number;
  private at = 0;
  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
const buckets = new Map<string, Bucket>();
const bucket = (account: string, region: string, mutating: boolean): Bucket => {
  const k = `${account}|${region}|${mutating}`;
  return buckets.get(k) ?? buckets.set(k, mutating ? new Bucket(200, 5) : new Bucket(100, 20)).get(k)!;
};
const ec2Error = (name: string, status: number): Error => Object.assign(new Error(`${name} (simulated)`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

function matches(s: SimSnapshot, filters: Filter[] | undefined): boolean {
  return (filters ?? []).every((f) => {
    const name = f.Name ?? '';
    if (name.startsWith('tag:')) return s.tags.some((t) => t.Key === name.slice(4) && (f.Values ?? []).includes(t.Value ?? ''));
    if (name === 'tag-key') return s.tags.some((t) => (f.Values ?? []).includes(t.Key ?? ''));
    if (name === 'status') return (f.Values ?? []).includes(stateOf(s));
    if (name === 'snapshot-id') return (f.Values ?? []).includes(s.id);
    throw new Error(`bench-burst does not model the DescribeSnapshots filter ${name}`);
  });
}

/** One EC2 API request (one attempt). */
function ec2Request(account: string, region: string, command: unknown): unknown {
  const action = command instanceof CopySnapshotCommand ? 'CopySnapshot' : command instanceof DescribeSnapshotsCommand ? 'DescribeSnapshots' : 'other';
  ec2Calls.total++;
  ec2Calls.byAction.set(action, (ec2Calls.byAction.get(action) ?? 0) + 1);
  ec2Calls.byStep.set(currentStep, (ec2Calls.byStep.get(currentStep) ?? 0) + 1);
  if (!bucket(account, region, action === 'CopySnapshot').take()) {
    ec2Calls.throttled++;
    throw ec2Error('RequestLimitExceeded', 503);
  }
  if (command instanceof DescribeSnapshotsCommand) {
    const input = command.input;
    const visible = (byAccountRegion.get(key(account, region)) ?? []).filter((s) => now - s.createdAt >= VISIBILITY_LAG_S || s.source === undefined);
    if (input.SnapshotIds?.length) {
      const found = input.SnapshotIds.map((id) => visible.find((s) => s.id === id));
      if (found.some((s) => s === undefined)) throw ec2Error('InvalidSnapshot.NotFound', 400);
      return { Snapshots: (found as SimSnapshot[]).map(toSdk), $metadata: {} };
    }
    return { Snapshots: visible.filter((s) => matches(s, input.Filters)).map(toSdk), $metadata: {} };
  }
  if (command instanceof CopySnapshotCommand) {
    const input = command.input;
    const source = snapshots.get(input.SourceSnapshotId ?? '');
    if (!source || source.account !== account) throw ec2Error('InvalidSnapshot.NotFound', 400);
    if (pendingCount(account, region) >= EC2_COPY_QUOTA) throw ec2Error('ResourceLimitExceeded', 400);
    const copy: SimSnapshot = {
      id: `snap-c${(++idCounter).toString(16).padStart(16, '0')}`,
      account,
      region,
      state: 'pending',
      tags: input.TagSpecifications?.[0]?.Tags ?? [],
      createdAt: now,
      completesAt: now + durations.get(source.id)!,
      source: source.id,
      ...(input.Description !== undefined ? { description: input.Description } : {}),
    };
    addSnapshot(copy);
    const k = key(account, region);
    peakOurs.set(k, Math.max(peakOurs.get(k) ?? 0, pendingCount(account, region)));
    if (now > 7200) peakOursLater.set(k, Math.max(peakOursLater.get(k) ?? 0, pendingCount(account, region)));
    if (random() < AMBIGUOUS_RATE) {
      ambiguousAnswers++;
      throw ec2Error('InternalError', 500); // the copy exists; the answer is lost
    }
    return { SnapshotId: copy.id, $metadata: {} };
  }
  throw new Error(`unexpected command ${String(command)}`);
}
const toSdk = (s: SimSnapshot): Snapshot => ({
  SnapshotId: s.id,
  OwnerId: s.account,
  State: stateOf(s),
  StorageTier: 'standard',
  Tags: s.tags,
  StartTime: new Date(EPOCH + s.createdAt * 1000),
  ...(s.description !== undefined ? { Description: s.description } : {}),
});

/** Waits `seconds` of simulated time (the task keeps running meanwhile, as a Lambda waiting on the SDK does). */
const sleep = (seconds: number): Promise<void> => new Promise((resolve) => schedule(seconds, resolve));

/**
 * The SDK's standard retry strategy: reads retried on throttling up to DEFAULT_EC2_CONFIG.maxAttempts, each after a
 * random delay of up to 0.5 s × 2^attempt (capped at 20 s); CopySnapshot one attempt (COPY_EC2_CONFIG).
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
const clients: ClientProvider = {
  ec2(target: Ec2Target) {
    const account = target.roleArn ? /iam::(\d{12}):/.exec(target.roleArn)![1]! : CENTRAL;
    const attempts = Number((target.forCopy ? COPY_EC2_CONFIG : DEFAULT_EC2_CONFIG).maxAttempts);
    return {
      send: (async (command: unknown) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return ec2Request(account, target.region, command);
          } catch (error) {
            if ((error as Error).name !== 'RequestLimitExceeded' || attempt >= attempts) throw error;
            await sleep(random() * Math.min(20, 0.5 * 2 ** attempt));
          }
        }
      }) as never,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Step Functions model: the definition, interpreted.
type State = Record<string, unknown> & { Type: string; Next?: string };
type Retrier = { ErrorEquals: string[]; IntervalSeconds?: number; BackoffRate?: number; MaxAttempts?: number; MaxDelaySeconds?: number; JitterStrategy?: string };
type Catcher = { ErrorEquals: string[]; Next: string; ResultPath?: string };
const definition = copyWorkflowDefinition({ stepFunctionArn: `arn:aws:lambda:us-east-1:${CENTRAL}:function:ebs-event-hub-copy-step` }) as unknown as { StartAt: string; States: Record<string, State> };

/** The model interprets only these features: refuse to run (rather than mis-model) a definition using others. */
function assertModelled(def: { States: Record<string, State> }): void {
  const problems: string[] = [];
  for (const [name, state] of Object.entries(def.States)) {
    if (!['Task', 'Choice', 'Wait', 'Succeed', 'Fail'].includes(state.Type)) problems.push(`${name}: Type ${state.Type}`);
    if (state.Type === 'Wait' && typeof state['Seconds'] !== 'number') problems.push(`${name}: Wait without Seconds`);
    if (state.Type === 'Fail' && (state['ErrorPath'] !== '$.lastError.Error' || 'Error' in state)) problems.push(`${name}: Fail without ErrorPath $.lastError.Error`);
    if (state.Type === 'Choice') {
      for (const c of state['Choices'] as Array<Record<string, unknown>>) {
        if (Object.keys(c).sort().join() !== 'Next,StringEquals,Variable' || c['Variable'] !== '$.outcome') problems.push(`${name}: choice ${JSON.stringify(c)}`);
      }
    }
    if (state.Type === 'Task') {
      if (state['OutputPath'] !== '$.Payload' || 'ResultPath' in state || 'ResultSelector' in state || 'InputPath' in state) problems.push(`${name}: paths`);
      for (const c of (state['Catch'] ?? []) as Catcher[]) if (c.ResultPath !== '$.lastError') problems.push(`${name}: Catch ResultPath ${c.ResultPath}`);
    }
  }
  if (problems.length > 0) throw new Error(`bench-burst does not model: ${problems.join('; ')}`);
}
assertModelled(definition);

const silent: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const dynamodb = withLedgerTable(new DynamoDbStandin());
const SLOTS_TABLE = 'ebs-event-hub-copy-slots';
const stepDeps = {
  config: loadStepConfig({ MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy', MAX_IN_FLIGHT_COPIES: String(MAX_IN_FLIGHT), AWS_REGION: 'us-east-1', SLOTS_TABLE_NAME: SLOTS_TABLE, LEDGER_TABLE_NAME: LEDGER_TABLE }),
  clients,
  slots: createSlotStore(dynamodb.client as never, SLOTS_TABLE),
  ledger: createLedgerStore(dynamodb.client as never, LEDGER_TABLE),
  logger: silent,
  self: { account: CENTRAL, partition: 'aws' },
  now: nowDate,
};

interface Execution {
  name: string;
  input: string;
  account: string;
  snapshotId: string;
  startedAt: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  endedAt?: number;
  error?: string;
}
const executions = new Map<string, Execution>();
let transitions = 0;
let stepInvocations = 0;
let startInvocations = 0;

const errorMatches = (names: string[], error: string): boolean => names.includes(error) || names.includes('States.ALL') || names.includes('States.TaskFailed');

function enter(execution: Execution, stateName: string, data: Record<string, unknown>, attempts: number[] = []): void {
  transitions++;
  const state = definition.States[stateName]!;
  const finish = (status: Execution['status'], error?: string) => {
    execution.status = status;
    execution.endedAt = now;
    if (error) execution.error = error;
  };
  switch (state.Type) {
    case 'Succeed':
      return finish('SUCCEEDED');
    case 'Fail': {
      const lastError = data['lastError'] as { Error?: string; Cause?: string } | undefined;
      return finish('FAILED', `${lastError?.Error}: ${lastError?.Cause}`);
    }
    case 'Wait':
      return schedule(Number(state['Seconds']), () => enter(execution, state.Next!, data));
    case 'Choice': {
      const choices = state['Choices'] as Array<{ Variable: string; StringEquals: string; Next: string }>;
      const hit = choices.find((c) => c.Variable === '$.outcome' && data['outcome'] === c.StringEquals);
      return schedule(TRANSITION_S, () => enter(execution, hit ? hit.Next : String(state['Default']), data));
    }
    case 'Task': {
      const payload = (state['Parameters'] as { Payload: { step: string } }).Payload;
      const retriers = (state['Retry'] ?? []) as Retrier[];
      const counts = attempts.length ? attempts : retriers.map(() => 0);
      return schedule(TASK_S, async () => {
        stepInvocations++;
        const event: StepEvent = { step: payload.step as StepEvent['step'], executionStartTime: new Date(EPOCH + execution.startedAt * 1000).toISOString(), data: data as never };
        currentStep = payload.step;
        try {
          const out = (await runStep(JSON.parse(JSON.stringify(event)) as StepEvent, stepDeps)) as unknown as Record<string, unknown>;
          schedule(TRANSITION_S, () => enter(execution, state.Next!, JSON.parse(JSON.stringify(out)) as Record<string, unknown>));
        } catch (caught) {
          const name = (caught as Error).name;
          const i = retriers.findIndex((r) => errorMatches(r.ErrorEquals, name));
          if (i !== -1 && counts[i]! < (retriers[i]!.MaxAttempts ?? 3)) {
            const r = retriers[i]!;
            let delay = Math.min((r.IntervalSeconds ?? 1) * Math.pow(r.BackoffRate ?? 2, counts[i]!), r.MaxDelaySeconds ?? Infinity);
            if (r.JitterStrategy === 'FULL') delay = random() * delay;
            counts[i]!++;
            schedule(delay, () => enter(execution, stateName, data, counts));
            return;
          }
          const c = ((state['Catch'] ?? []) as Catcher[]).find((k) => errorMatches(k.ErrorEquals, name));
          if (c) {
            const next = c.ResultPath === '$.lastError' ? { ...data, lastError: { Error: name, Cause: (caught as Error).message } } : data;
            schedule(TRANSITION_S, () => enter(execution, c.Next, next));
            return;
          }
          finish('FAILED', `${name}: ${(caught as Error).message}`);
        }
      });
    }
    default:
      throw new Error(`state type ${state.Type} is not modelled`);
  }
}

const sfn = {
  send: (async (command: StartExecutionCommand) => {
    const { name, input } = command.input;
    const existing = executions.get(name!);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn: name, startDate: nowDate(), $metadata: {} };
      throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
    }
    const parsed = JSON.parse(input!) as { account: string; snapshotId: string };
    const execution: Execution = { name: name!, input: input!, account: parsed.account, snapshotId: parsed.snapshotId, startedAt: now, status: 'RUNNING' };
    executions.set(name!, execution);
    schedule(TRANSITION_S, () => enter(execution, definition.StartAt, JSON.parse(input!) as Record<string, unknown>));
    return { executionArn: name, startDate: nowDate(), $metadata: {} };
  }) as never,
};
const QUEUE = `arn:aws:sqs:us-east-1:${CENTRAL}:ebs-event-hub-snapshot-copy`;
const startDeps = {
  config: loadStartConfig({ STATE_MACHINE_ARN: `arn:aws:states:us-east-1:${CENTRAL}:stateMachine:ebs-event-hub-snapshot-copy`, COPY_QUEUE_ARN: QUEUE, DESTINATION_REGION: DEST, SOURCE_REGIONS: SOURCE }),
  sfn,
  logger: silent,
};

// ---------------------------------------------------------------------------------------------
// The burst
interface Planned {
  account: string;
  snapshotId: string;
  at: number;
  duration: number;
}
const planned: Planned[] = [];
const BIG = '100000000000';
const snapshotId = (): string => `snap-0${(++idCounter).toString(16).padStart(16, '0')}`;
function plan(account: string, at: number): void {
  const id = snapshotId();
  const duration = (5 + random() * 85) * 60;
  durations.set(id, duration);
  addSnapshot({ id, account, region: SOURCE, state: 'completed', tags: [{ Key: 'Name', Value: id }], createdAt: -3600, completesAt: -3600 });
  planned.push({ account, snapshotId: id, at, duration });
}
for (let i = 0; i < 500; i++) plan(BIG, 0);
for (let a = 0; a < 20; a++) for (let i = 0; i < 10; i++) plan(String(200000000000 + a), random() * 60);

const event = (p: Planned) => ({
  version: '0',
  id: `evt-${p.snapshotId}`,
  'detail-type': 'EBS Snapshot Notification',
  source: 'aws.ec2',
  account: p.account,
  time: new Date(EPOCH + p.at * 1000).toISOString(),
  region: SOURCE,
  resources: [`arn:aws:ec2:${SOURCE}::snapshot/${p.snapshotId}`],
  detail: { event: 'createSnapshot', result: 'succeeded', cause: '', 'request-id': '', snapshot_id: `arn:aws:ec2:${SOURCE}::snapshot/${p.snapshotId}`, source: `arn:aws:ec2:${SOURCE}::volume/vol-1` },
});

// Deliveries: each event once, 5% twice (half at the same moment, half up to 30 minutes later).
const deliveries: Array<{ at: number; body: unknown }> = [];
let duplicates = 0;
for (const p of planned) {
  deliveries.push({ at: p.at + 1, body: event(p) });
  if (random() < DUPLICATE_RATE) {
    duplicates++;
    deliveries.push({ at: p.at + 1 + (random() < 0.5 ? 0 : random() * 1800), body: event(p) });
  }
}
deliveries.sort((a, b) => a.at - b.at);
// The starter receives batches of 10 as they arrive (an SQS event source mapping).
let messageId = 0;
for (let i = 0; i < deliveries.length; i += 10) {
  const batch = deliveries.slice(i, i + 10);
  schedule(batch.at(-1)!.at, async () => {
    startInvocations++;
    const records = batch.map((d) => ({ messageId: `m-${++messageId}`, receiptHandle: 'r', body: JSON.stringify(d.body), attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: QUEUE, awsRegion: 'us-east-1' }) as unknown as SQSRecord);
    const answer = await handleStart({ Records: records }, startDeps);
    if (answer.batchItemFailures.length > 0) throw new Error(`start failed records: ${JSON.stringify(answer.batchItemFailures)}`);
  });
}

async function main(): Promise<void> {
  // Jobs may suspend (an SDK backoff is a scheduled wake-up): run each, then let every promise it
  // resolved settle (the EC2 model does no real I/O) before the clock moves on.
  for (let job = pop(); job; job = pop()) {
    now = job.at;
    void job.run();
    await new Promise((resolve) => setImmediate(resolve));
  }

  // -------------------------------------------------------------------------------------------
  const copiesBySource = new Map<string, SimSnapshot[]>();
  for (const s of snapshots.values()) if (s.source !== undefined) (copiesBySource.get(s.source) ?? copiesBySource.set(s.source, []).get(s.source)!).push(s);
  let copied = 0;
  let lost = 0;
  let duplicated = 0;
  for (const p of planned) {
    const copies = (copiesBySource.get(p.snapshotId) ?? []).filter((c) => stateOf(c) !== 'error' && c.tags.some((t) => t.Key === PROVENANCE_TAGS.sourceSnapshotId && t.Value === p.snapshotId));
    if (copies.some((c) => stateOf(c) === 'completed')) copied++;
    else lost++;
    if (copies.length > 1) duplicated++;
  }
  const failed = [...executions.values()].filter((e) => e.status !== 'SUCCEEDED');

  // Drain per account (one destination region here).
  const groups = new Map<string, Planned[]>();
  for (const p of planned) (groups.get(p.account) ?? groups.set(p.account, []).get(p.account)!).push(p);
  const drains = [...groups.entries()].map(([account, ps]) => {
    const first = Math.min(...ps.map((p) => p.at));
    const last = Math.max(...ps.map((p) => executions.get(`${account}-${SOURCE}-${p.snapshotId}-${DEST}`)?.endedAt ?? Infinity));
    const ideal = Math.max(ps.reduce((n, p) => n + p.duration, 0) / MAX_IN_FLIGHT, Math.max(...ps.map((p) => p.duration)));
    return { account, snapshots: ps.length, drain: last - first, ideal, ratio: (last - first) / ideal, peak: peakOurs.get(key(account, DEST)) ?? 0, peakLater: peakOursLater.get(key(account, DEST)) ?? 0 };
  });
  drains.sort((a, b) => b.ratio - a.ratio);
  const worst = drains[0]!;
  const big = drains.find((d) => d.account === BIG)!;
  const n = planned.length;
  const callsPerSnapshot = ec2Calls.total / n;
  const h = (s: number): string => `${(s / 3600).toFixed(2)} h`;

  console.log(`seed ${SEED}: ${n} snapshots (${duplicates} delivered twice), maxInFlightCopies ${MAX_IN_FLIGHT}, EC2 quota ${EC2_COPY_QUOTA}`);
  console.log(`ambiguous CopySnapshot answers (copy made, 500 returned): ${ambiguousAnswers}; duplicate deliveries: ${duplicates}`);
  console.log(`executions: ${executions.size} started, ${failed.length} not succeeded${failed.length ? ` (${failed.slice(0, 3).map((f) => f.error).join('; ')})` : ''}`);
  console.log(`big account ${BIG}: ${big.snapshots} snapshots, drain ${h(big.drain)} vs ideal ${h(big.ideal)} = ${big.ratio.toFixed(3)}×, peak pending copies ${big.peak} (${big.peakLater} after the first 2 hours)`);
  console.log(`worst account ${worst.account}: ${worst.snapshots} snapshots, drain ${h(worst.drain)} vs ideal ${h(worst.ideal)} = ${worst.ratio.toFixed(3)}×`);
  console.log(`EC2 calls: ${ec2Calls.total} (${[...ec2Calls.byAction.entries()].map(([a, c]) => `${a} ${c}`).join(', ')}) = ${callsPerSnapshot.toFixed(1)} per snapshot`);
  console.log(`  by step: ${[...ec2Calls.byStep.entries()].map(([a, c]) => `${a} ${(c / n).toFixed(1)}`).join(', ')} per snapshot; ${ec2Calls.throttled} throttled`);
  console.log(`state transitions: ${transitions} = ${(transitions / n).toFixed(1)} per snapshot; step invocations ${stepInvocations} = ${(stepInvocations / n).toFixed(1)} per snapshot; start invocations ${startInvocations}`);
  const peakInFlight = Math.max(...[...peakOurs.values()]);
  const writes = dynamodb.requests.filter((r) => r.action === 'UpdateItem').length;
  const fullAnswers = dynamodb.requests.filter((r) => r.outcome === 'conditional-check-failed').length;
  console.log(`copy slots: at most ${peakInFlight} of this app's copies pending per account and destination (cap ${MAX_IN_FLIGHT}); DynamoDB UpdateItem ${writes} = ${(writes / n).toFixed(1)} per snapshot (${fullAnswers} conditional-check-failed)`);
  const missed = [
    lost > 0 && 'lost',
    duplicated > 0 && 'duplicated',
    worst.ratio > TARGETS.drain && 'drain',
    callsPerSnapshot > TARGETS.callsPerSnapshot && 'EC2 calls',
    peakInFlight > MAX_IN_FLIGHT && `in flight ${peakInFlight} > ${MAX_IN_FLIGHT}`,
  ].filter(Boolean);
  if (missed.length > 0) {
    console.log(`targets missed: ${missed.join(', ')} (targets: 0 lost, 0 duplicated, drain ≤ ${TARGETS.drain}× ideal, ≤ ${TARGETS.callsPerSnapshot} EC2 calls per snapshot, ≤ ${MAX_IN_FLIGHT} in flight)`);
    process.exitCode = 1;
  }
  console.log(`burst: copied ${copied}, lost ${lost}, duplicated ${duplicated}, drain ${worst.ratio.toFixed(2)}× ideal, ${callsPerSnapshot.toFixed(1)} EC2 calls per snapshot`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
