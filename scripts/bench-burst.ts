/**
 * Burst benchmark of the copy workflow, on simulated time:  npm run bench:burst
 *
 * Three scenarios, each on its own `burst:` line (BURST_SCENARIOS=baseline,dlm,storm picks some):
 * - baseline (issue 7): 500 snapshots completing at once in one account, plus 200 spread over 20
 *   accounts (10 each, completing within the first minute); copy durations drawn uniformly from 5 to
 *   90 minutes; 1% of CopySnapshot calls make the copy and then fail ambiguously (500 InternalError);
 *   5% of events are delivered twice (at once, or up to 30 minutes later). maxInFlightCopies 15.
 * - dlm: the same, while six copies DLM started earlier are still pending to the same destination
 *   in the big account (for 1 to 4 hours): they count against EC2's 20 concurrent copies, not
 *   against this app's 15 (they carry no provenance tag), so EC2 refuses some of our copies with
 *   ResourceLimitExceeded ("up to twenty concurrent snapshot copy requests to a single destination
 *   Region": https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html; the error:
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 * - vault (issue 14, vault mode): 500 snapshots from 50 accounts (10 each, completing within the
 *   first minute) copied to one destination region and then into one vault account there, under
 *   the vault definition (compliance lock with a cooling-off period, member copies deleted once
 *   vaulted): the vault's 20 concurrent copies per region are the bottleneck (the members' are
 *   not: 10 each). Lost / duplicated count vault copies; the drain is the vault's, against the ideal
 *   set by 20 concurrent vault copies, each starting no earlier than its member copy completed.
 * - storm: the same, while every DescribeSnapshots and CopySnapshot of every account is throttled
 *   (RequestLimitExceeded, HTTP 503) for the burst's first 30 minutes: another client has emptied
 *   the accounts' token buckets ("If you exceed an API throttling limit, you get the
 *   RequestLimitExceeded error code": https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
 *
 * What runs for real:
 *   - the `start` entry (handleStart) on SQS batches of 10 records, against a Step Functions model
 *     with StartExecution's name semantics (running + same input → success; closed → ExecutionAlreadyExists);
 *   - the `step` entry (runStep) for every Task, with every decision (admission, its waits, find,
 *     confirm, poll, error classification, deadlines, slot reclamation) and the SDK command objects
 *     it builds; the copy-slots semaphore (createSlotStore) over the DynamoDB stand-in
 *     (scripts/support/dynamodb-standin.ts, which evaluates the conditional UpdateItem expressions as
 *     DynamoDB documents them, one request at a time), the copy ledger (createLedgerStore: PutItem,
 *     Query, BatchGetItem over the same stand-in; Find, ConfirmCopy and Admit's count trust only what
 *     it records), and the DescribeExecution reader (createHolderStatusReader, one container's cache);
 *   - the DEFINITION itself, interpreted state by state by scripts/support/asl-interpreter.ts
 *     (Pass with States.MathAdd, Task with Parameters/ResultSelector/ResultPath, Retry with its
 *     backoff and FULL jitter, Catch, Choice, Wait with Seconds or SecondsPath, Succeed, Fail; it
 *     refuses a definition using anything else): the deployed timing, which cannot drift.
 *
 * What is modelled (one process, a discrete-event clock, no real waiting):
 *   - EC2 per account and region: snapshots, copies `pending` for their duration then `completed`;
 *     ResourceLimitExceeded at 20 concurrent copies per destination region and account (ours and
 *     DLM's); request throttling with EC2's token buckets (non-mutating 100 burst / 20 per s,
 *     mutating 200 / 5 per s: https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html),
 *     the SDK retrying a throttled read up to DEFAULT_EC2_CONFIG.maxAttempts (each attempt counted as
 *     a call, its jittered backoff waited in simulated time: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html);
 *     a new copy invisible to DescribeSnapshots for 5 s (eventual consistency:
 *     https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
 *   - Step Functions DescribeExecution: the execution's status, throttled past its quota (250
 *     burst, 10 per second refill: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html)
 *     with ThrottlingException (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
 *   - Each Task takes 0.3 s (Lambda invoke + run), each state transition 0.05 s.
 *
 * Metrics: copied, lost (no completed copy at the end), duplicated (more than one copy not in
 * `error`), drain time per account and destination against the ideal lower bound (the earliest
 * time at which all its copies could have finished, copying at most min(maxInFlightCopies, 20 −
 * other pending copies) at once, none starting while EC2 refuses every CopySnapshot; reported: the
 * worst ratio), EC2 calls per snapshot, state transitions, history events (the worst execution, under
 * the analyzer's bound) and Lambda invocations per snapshot, DynamoDB writes and DescribeExecution
 * calls per snapshot, and the most of this app's copies ever pending at once per account and
 * destination (must never exceed maxInFlightCopies: the semaphore is strict). Each scenario's last line is
 *   burst: copied N, lost N, duplicated N, drain R× ideal, C EC2 calls per snapshot, F failed executions (scenario)
 * and the run ends with the history line of stacks/central/history-budget.ts. The exit code is
 * non-zero when a target is missed (0 lost, 0 duplicated, drain ≤ 1.15×, ≤ 30 EC2 calls per
 * snapshot (60 in the vault scenario: two copies each), 0 failed executions, never more than
 * maxInFlightCopies of this app's copies pending, nor more than 20 in the vault). A
 * fixed seed makes runs repeatable (BURST_SEED to vary it).
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSRecord } from 'aws-lambda';
import { loadStartConfig, loadStepConfig } from '../handlers/snapshot-copy/config';
import { createHolderStatusReader, executionArn } from '../handlers/snapshot-copy/executions';
import type { Log } from '../handlers/snapshot-copy/logger';
import { handleStart } from '../handlers/snapshot-copy/start';
import { createLedgerStore } from '../handlers/snapshot-copy/ledger';
import { PROVENANCE_TAGS } from '../handlers/snapshot-copy/decide';
import { createSlotStore } from '../handlers/snapshot-copy/slots';
import { runStep, type StepEvent } from '../handlers/snapshot-copy/steps';
import { VAULT_MAX_IN_FLIGHT_COPIES } from '../handlers/snapshot-copy/config';
import { copyWorkflowDefinition, STATES } from '../stacks/central/copy-workflow';
import { vaultStepEnvironment } from '../stacks/central/snapshot-copy-vault';
import { MEMBER_COPY_KEY_ALIAS } from '../stacks/names';
import { analyzeHistory, historyLine, pathCost } from '../stacks/central/history-budget';
import { AslInterpreter, SimulatedClock, type ExecutionRecord } from './support/asl-interpreter';
import { LEDGER_TABLE, withLedgerTable } from './support/copy-tables';
import { mulberry32 } from './support/mulberry32';
import { DynamoDbStandin } from './support/dynamodb-standin';
import { EC2_COPY_QUOTA, Ec2Model, TokenBucket, type ModelSnapshot } from './support/ec2-model';

// ---------------------------------------------------------------------------------------------
// Parameters
const SEED = Number(process.env['BURST_SEED'] ?? 7);
const MAX_IN_FLIGHT = 15;
const AMBIGUOUS_RATE = 0.01;
const DUPLICATE_RATE = 0.05;
const VISIBILITY_LAG_S = 5;
const SOURCE = 'us-west-2';
const DEST = 'us-east-1';
const CENTRAL = '000000000000';
const BIG = '100000000000';
const TARGETS = { drain: 1.15, callsPerSnapshot: 30 };
const STEP_ARN = `arn:aws:lambda:us-east-1:${CENTRAL}:function:ebs-event-hub-copy-step`;
const STATE_MACHINE_ARN = `arn:aws:states:us-east-1:${CENTRAL}:stateMachine:ebs-event-hub-snapshot-copy`;
const EPOCH = Date.UTC(2026, 0, 5);

interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Copies of DLM pending in the big account's destination at the start, each for this long (s). */
  readonly dlmPending?: { readonly count: number; readonly minSeconds: number; readonly maxSeconds: number };
  /** Every call of these actions is throttled until this time (s). */
  readonly storm?: { readonly actions: readonly string[]; readonly untilSeconds: number };
  /** Vault mode: this many accounts, this many snapshots each, into one vault account. */
  readonly vault?: { readonly accounts: number; readonly perAccount: number };
}
const SCENARIOS: readonly Scenario[] = [
  { name: 'baseline', title: '500 at once in one account + 200 over 20 accounts' },
  { name: 'dlm', title: 'the same, six DLM copies pending to the same destination (1-4 h)', dlmPending: { count: 6, minSeconds: 3600, maxSeconds: 4 * 3600 } },
  { name: 'storm', title: 'the same, DescribeSnapshots and CopySnapshot throttled for the first 30 minutes', storm: { actions: ['DescribeSnapshots', 'CopySnapshot'], untilSeconds: 1800 } },
  { name: 'vault', title: '500 snapshots from 50 accounts, each copied and then copied into one vault account and region (20 concurrent vault copies)', vault: { accounts: 50, perAccount: 10 } },
];
const VAULT = '900000000000';
/** The vault scenario's step environment: as the central stack sets it for a compliance lock, vault retention and member copies deleted once vaulted. */
const VAULT_ENV = vaultStepEnvironment({ accountId: VAULT, lock: { mode: 'compliance', days: 365, coolOffHours: 24 }, retentionDays: 400, keepMemberCopy: false, memberKeyAlias: MEMBER_COPY_KEY_ALIAS });
const VAULT_CALLS_PER_SNAPSHOT = 60;

interface Planned {
  account: string;
  snapshotId: string;
  at: number;
  duration: number;
}

interface Outcome {
  line: string;
  missed: string[];
  worstEvents: number;
  maxTransitions: number;
}

const silent: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const definition = copyWorkflowDefinition({ stepFunctionArn: STEP_ARN });
const vaultDefinition = copyWorkflowDefinition({ stepFunctionArn: STEP_ARN, vault: { lock: true, keepMemberCopy: false } });
const definitionOf = (scenario: Scenario) => (scenario.vault ? vaultDefinition : definition);

async function simulate(scenario: Scenario): Promise<Outcome> {
  const random = mulberry32(SEED);
  const clock = new SimulatedClock(random);
  const now = () => clock.now();
  const nowDate = (): Date => new Date(EPOCH + now() * 1000);

  // -------------------------------------------------------------------------------------------
  // EC2 model (scripts/support/ec2-model.ts): the quota, token buckets, the storm, eventual consistency.
  const durations = new Map<string, number>();
  let idCounter = 0;
  const ec2: Ec2Model = new Ec2Model({
    now,
    random,
    sleep: (seconds) => new Promise((resolve) => clock.schedule(seconds, resolve)),
    ownAccount: CENTRAL,
    epochMs: EPOCH,
    // A vault copy (of a member copy) takes as long as its member copy: the same data, a full copy.
    copySeconds: (sourceId: string): number => durations.get(sourceId) ?? durations.get(ec2.snapshots.get(sourceId)?.source ?? '')!,
    visibilityLagSeconds: VISIBILITY_LAG_S,
    ambiguousRate: AMBIGUOUS_RATE,
    throttled: (_account, _region, action) => scenario.storm !== undefined && now() < scenario.storm.untilSeconds && scenario.storm.actions.includes(action),
    // Vault mode: each member copy key's policy admits the vault role (the member stacks deploy it so).
    keyAdmits: (_owner, keyId, user) => user === VAULT && keyId === MEMBER_COPY_KEY_ALIAS,
  });
  const clients = ec2.clients();
  const key = (account: string, region: string): string => `${account}|${region}`;

  // -------------------------------------------------------------------------------------------
  // Step Functions model: the definition, interpreted; StartExecution and DescribeExecution.
  const dynamodb = withLedgerTable(new DynamoDbStandin());
  const SLOTS_TABLE = 'ebs-event-hub-copy-slots';
  let describeCalls = 0;
  let describeThrottled = 0;
  const describeBucket = new TokenBucket(250, 10, now);
  // The interpreter is created below; DescribeExecution reads its executions when called.
  const executionsOf = (): Map<string, ExecutionRecord> => interpreter.executions;
  const sfnDescribe = {
    send: (async (command: DescribeExecutionCommand) => {
      describeCalls++;
      if (!describeBucket.take()) {
        describeThrottled++;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      const name = command.input.executionArn!.split(':').at(-1)!;
      const execution = executionsOf().get(name);
      if (!execution) throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
      return { status: execution.status, $metadata: {} };
    }) as never,
  };
  const stepDeps = {
    config: loadStepConfig({
      MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
      MAX_IN_FLIGHT_COPIES: String(MAX_IN_FLIGHT),
      AWS_REGION: 'us-east-1',
      SLOTS_TABLE_NAME: SLOTS_TABLE,
      STATE_MACHINE_ARN,
      LEDGER_TABLE_NAME: LEDGER_TABLE,
      ...(scenario.vault ? VAULT_ENV : {}),
    }),
    clients,
    slots: createSlotStore(dynamodb.client as never, SLOTS_TABLE),
    ledger: createLedgerStore(dynamodb.client as never, LEDGER_TABLE),
    holders: createHolderStatusReader(sfnDescribe, STATE_MACHINE_ARN, () => nowDate().getTime()),
    logger: silent,
    self: { account: CENTRAL, partition: 'aws' },
    now: nowDate,
    random,
    pendingLooks: new Map<string, { at: number; ids: ReadonlySet<string> }>(),
  };
  let stepInvocations = 0;
  let startInvocations = 0;
  const interpreter: AslInterpreter = new AslInterpreter(definitionOf(scenario), {
    clock,
    runTask: async (_state, parameters) => {
      stepInvocations++;
      const { Payload } = parameters as { Payload: StepEvent };
      ec2.currentStep = Payload.step;
      return { Payload: JSON.parse(JSON.stringify(await runStep(Payload, stepDeps))) as unknown };
    },
  });
  const inputs = new Map<string, string>();
  const sfn = {
    send: (async (command: StartExecutionCommand) => {
      const { name, input } = command.input;
      const existing = interpreter.executions.get(name!);
      if (existing) {
        if (existing.status === 'RUNNING' && inputs.get(name!) === input) return { executionArn: executionArn(STATE_MACHINE_ARN, name!), startDate: nowDate(), $metadata: {} };
        throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
      }
      inputs.set(name!, input!);
      interpreter.start(name!, JSON.parse(input!));
      return { executionArn: executionArn(STATE_MACHINE_ARN, name!), startDate: nowDate(), $metadata: {} };
    }) as never,
  };
  const QUEUE = `arn:aws:sqs:us-east-1:${CENTRAL}:ebs-event-hub-snapshot-copy`;
  const startDeps = { config: loadStartConfig({ STATE_MACHINE_ARN, COPY_QUEUE_ARN: QUEUE, DESTINATION_REGION: DEST, SOURCE_REGIONS: SOURCE }), sfn, logger: silent };

  // -------------------------------------------------------------------------------------------
  // The burst
  const planned: Planned[] = [];
  const snapshotId = (): string => `snap-0${(++idCounter).toString(16).padStart(16, '0')}`;
  const plan = (account: string, at: number): void => {
    const id = snapshotId();
    const duration = (5 + random() * 85) * 60;
    durations.set(id, duration);
    ec2.add({ id, account, region: SOURCE, state: 'completed', tags: [{ Key: 'Name', Value: id }], createdAt: -3600, completesAt: -3600 });
    planned.push({ account, snapshotId: id, at, duration });
  };
  if (scenario.vault) {
    for (let a = 0; a < scenario.vault.accounts; a++) for (let i = 0; i < scenario.vault.perAccount; i++) plan(String(300000000000 + a), random() * 60);
  } else {
    for (let i = 0; i < 500; i++) plan(BIG, 0);
    for (let a = 0; a < 20; a++) for (let i = 0; i < 10; i++) plan(String(200000000000 + a), random() * 60);
  }
  // Copies DLM started before the burst: pending in the destination, without our provenance tag.
  const dlm: ModelSnapshot[] = [];
  if (scenario.dlmPending) {
    for (let i = 0; i < scenario.dlmPending.count; i++) {
      const { minSeconds, maxSeconds } = scenario.dlmPending;
      const copy: ModelSnapshot = { id: `snap-d${i}`, account: BIG, region: DEST, state: 'pending', tags: [{ Key: 'dlm:managed', Value: 'true' }], createdAt: -600, completesAt: minSeconds + random() * (maxSeconds - minSeconds), source: `snap-dlm-source-${i}` };
      ec2.add(copy);
      dlm.push(copy);
    }
  }
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
    clock.schedule(batch.at(-1)!.at, async () => {
      startInvocations++;
      const records = batch.map((d) => ({ messageId: `m-${++messageId}`, receiptHandle: 'r', body: JSON.stringify(d.body), attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: QUEUE, awsRegion: 'us-east-1' }) as unknown as SQSRecord);
      const answer = await handleStart({ Records: records }, startDeps);
      if (answer.batchItemFailures.length > 0) throw new Error(`start failed records: ${JSON.stringify(answer.batchItemFailures)}`);
    });
  }

  await clock.run();

  // -------------------------------------------------------------------------------------------
  // What counts: without a vault, the copy in the destination; in vault mode, the vault copy (member
  // copies are deleted once vaulted), and a snapshot the ledger records two member copies of is duplicated too.
  const ledger = createLedgerStore(dynamodb.client as never, LEDGER_TABLE);
  const vaultCopiesOf = (snapshotId: string) =>
    [...ec2.snapshots.values()].filter((c) => c.account === VAULT && c.tags.some((t) => t.Key === PROVENANCE_TAGS.sourceSnapshotId && t.Value === snapshotId) && ec2.stateOf(c) !== 'error');
  let copied = 0;
  let lost = 0;
  let duplicated = 0;
  for (const p of planned) {
    const copies = scenario.vault ? vaultCopiesOf(p.snapshotId) : ec2.copiesOf(p.snapshotId).filter((c) => ec2.stateOf(c) !== 'error');
    if (copies.some((c) => ec2.stateOf(c) === 'completed')) copied++;
    else lost++;
    const memberCopies = scenario.vault ? (await ledger.copiesOf(p.account, DEST, p.snapshotId)).length : 0;
    if (copies.length > 1 || memberCopies > 1) duplicated++;
  }
  const executions = [...interpreter.executions.values()];
  const failed = executions.filter((e) => e.status !== 'SUCCEEDED');

  /**
   * The ideal: copying at most min(maxInFlightCopies, 20 − DLM copies still pending) at once (a
   * fluid bound: no copy split between slots could do better), none starting before the storm ends.
   */
  const idealSeconds = (ps: Planned[], first: number, account: string): number => {
    const work = ps.reduce((n, p) => n + p.duration, 0);
    const start = Math.max(first, scenario.storm?.untilSeconds ?? first);
    const ends = account === BIG ? dlm.map((d) => d.completesAt).sort((a, b) => a - b) : [];
    let t = start;
    let left = work;
    for (let i = 0; i <= ends.length && left > 0; i++) {
      const capacity = Math.min(MAX_IN_FLIGHT, EC2_COPY_QUOTA - (ends.length - i));
      const until = i < ends.length ? ends[i]! : Infinity;
      if (until <= t) continue;
      const span = Math.min(until - t, left / capacity);
      left -= span * capacity;
      t += span;
    }
    return Math.max(t - first, start - first + Math.max(...ps.map((p) => p.duration)));
  };
  const groups = new Map<string, Planned[]>();
  for (const p of planned) (groups.get(p.account) ?? groups.set(p.account, []).get(p.account)!).push(p);
  const drains = (scenario.vault ? [] : [...groups.entries()]).map(([account, ps]) => {
    const first = Math.min(...ps.map((p) => p.at));
    const last = Math.max(...ps.map((p) => interpreter.executions.get(`${account}-${SOURCE}-${p.snapshotId}-${DEST}`)?.endedAt ?? Infinity));
    const ideal = idealSeconds(ps, first, account);
    return { account, snapshots: ps.length, drain: last - first, ideal, ratio: (last - first) / ideal, peak: ec2.peakOurs.get(key(account, DEST)) ?? 0 };
  });
  if (scenario.vault) drains.push(await vaultDrain(planned, ledger, interpreter, ec2.peakOurs.get(key(VAULT, DEST)) ?? 0));
  drains.sort((a, b) => b.ratio - a.ratio);
  const worst = drains[0]!;
  const big = drains.find((d) => d.account === (scenario.vault ? VAULT : BIG))!;
  const n = planned.length;
  const ec2Calls = ec2.calls;
  const callsPerSnapshot = ec2Calls.total / n;
  const h = (s: number): string => `${(s / 3600).toFixed(2)} h`;
  const transitions = executions.reduce((t, e) => t + e.transitions, 0);
  const worstExecution = executions.reduce<ExecutionRecord | undefined>((w, e) => (!w || e.events > w.events ? e : w), undefined)!;
  const waitsPerSnapshot = executions.reduce((t, e) => t + e.path.filter((s) => s === STATES.countWait).length, 0) / n;

  console.log(`[${scenario.name}] ${scenario.title}`);
  console.log(`  seed ${SEED}: ${n} snapshots (${duplicates} delivered twice), maxInFlightCopies ${MAX_IN_FLIGHT}, EC2 quota ${EC2_COPY_QUOTA}${dlm.length ? `, ${dlm.length} DLM copies pending until ${dlm.map((d) => h(d.completesAt)).join(', ')}` : ''}`);
  console.log(`  ambiguous CopySnapshot answers (copy made, 500 returned): ${ec2Calls.ambiguous}; CopySnapshot refused for EC2's quota: ${ec2Calls.refusedQuota}`);
  console.log(`  executions: ${executions.length} started, ${failed.length} not succeeded${failed.length ? ` (${failed.slice(0, 3).map((f) => `${f.error}: ${f.cause}`).join('; ')})` : ''}`);
  console.log(`  ${scenario.vault ? 'vault account' : 'big account'} ${big.account}: ${big.snapshots} snapshots, drain ${h(big.drain)} vs ideal ${h(big.ideal)} = ${big.ratio.toFixed(3)}×, peak pending copies ${big.peak}`);
  console.log(`  worst account ${worst.account}: ${worst.snapshots} snapshots, drain ${h(worst.drain)} vs ideal ${h(worst.ideal)} = ${worst.ratio.toFixed(3)}×`);
  console.log(`  EC2 calls: ${ec2Calls.total} (${[...ec2Calls.byAction.entries()].map(([a, c]) => `${a} ${c}`).join(', ')}) = ${callsPerSnapshot.toFixed(1)} per snapshot; by step: ${[...ec2Calls.byStep.entries()].map(([a, c]) => `${a} ${(c / n).toFixed(1)}`).join(', ')}; ${ec2Calls.throttled} throttled`);
  console.log(`  state transitions ${(transitions / n).toFixed(1)} per snapshot (admission waits ${waitsPerSnapshot.toFixed(1)}); step invocations ${(stepInvocations / n).toFixed(1)} per snapshot; start invocations ${startInvocations}; history events: worst execution ${worstExecution.events} (${worstExecution.transitions} transitions)`);
  const peakInFlight = Math.max(...[...ec2.peakOurs.entries()].filter(([k]) => k !== key(VAULT, DEST)).map(([, v]) => v));
  const peakVault = ec2.peakOurs.get(key(VAULT, DEST)) ?? 0;
  const vaultWaits = executions.reduce((t, e) => t + e.path.filter((s) => s === STATES.countVaultWait).length, 0) / n;
  if (scenario.vault) console.log(`  vault: at most ${peakVault} vault copies pending (cap ${VAULT_MAX_IN_FLIGHT_COPIES}, EC2 ${EC2_COPY_QUOTA}); vault admission waits ${vaultWaits.toFixed(1)} per snapshot; LockSnapshot ${ec2Calls.byAction.get('LockSnapshot') ?? 0}, ModifySnapshotAttribute ${ec2Calls.byAction.get('ModifySnapshotAttribute') ?? 0}, DeleteSnapshot ${ec2Calls.byAction.get('DeleteSnapshot') ?? 0}`);
  const count = (action: string) => dynamodb.requests.filter((r) => r.action === action).length;
  const writes = count('UpdateItem');
  const fullAnswers = dynamodb.requests.filter((r) => r.action === 'UpdateItem' && r.outcome === 'conditional-check-failed').length;
  console.log(`  copy slots: at most ${peakInFlight} of this app's copies pending per account and destination (cap ${MAX_IN_FLIGHT}); DynamoDB UpdateItem ${(writes / n).toFixed(1)} per snapshot (${fullAnswers} conditional-check-failed); DescribeExecution ${(describeCalls / n).toFixed(2)} per snapshot (${describeThrottled} throttled)`);
  console.log(`  copy ledger: PutItem ${(count('PutItem') / n).toFixed(2)}, Query ${(count('Query') / n).toFixed(2)}, BatchGetItem ${(count('BatchGetItem') / n).toFixed(2)} per snapshot`);
  const missed = [
    lost > 0 && 'lost',
    duplicated > 0 && 'duplicated',
    worst.ratio > TARGETS.drain && 'drain',
    callsPerSnapshot > (scenario.vault ? VAULT_CALLS_PER_SNAPSHOT : TARGETS.callsPerSnapshot) && 'EC2 calls',
    failed.length > 0 && 'failed executions',
    peakInFlight > MAX_IN_FLIGHT && `in flight ${peakInFlight} > ${MAX_IN_FLIGHT}`,
    peakVault > VAULT_MAX_IN_FLIGHT_COPIES && `vault in flight ${peakVault} > ${VAULT_MAX_IN_FLIGHT_COPIES}`,
  ].filter((m): m is string => typeof m === 'string');
  return {
    line: `burst: copied ${copied}, lost ${lost}, duplicated ${duplicated}, drain ${worst.ratio.toFixed(2)}× ideal, ${callsPerSnapshot.toFixed(1)} EC2 calls per snapshot, ${failed.length} failed executions (${scenario.name})`,
    missed,
    worstEvents: worstExecution.events,
    maxTransitions: Math.max(...executions.map((e) => e.transitions)),
  };
}

/**
 * The vault's drain against its ideal: 20 concurrent copies (EC2's quota in the vault account and
 * region), each vault copy taking as long as its member copy and starting no earlier than that copy
 * completed (its release, r). A lower bound no schedule beats: max(the latest r + d; for every r,
 * r + the work released at or after r ÷ 20).
 */
async function vaultDrain(planned: Planned[], ledger: ReturnType<typeof createLedgerStore>, interpreter: AslInterpreter, peak: number) {
  const jobs: Array<{ release: number; duration: number }> = [];
  for (const p of planned) {
    // The member copy (the ledger's record of it: when CopySnapshot made it) completed its duration later.
    const [member] = await ledger.entries(p.account, DEST, await ledger.copiesOf(p.account, DEST, p.snapshotId));
    const started = member ? (Date.parse(member.createdAt) - EPOCH) / 1000 : p.at;
    jobs.push({ release: started + p.duration, duration: p.duration });
  }
  const first = Math.min(...planned.map((p) => p.at));
  const sorted = [...jobs].sort((a, b) => a.release - b.release);
  let bound = Math.max(...jobs.map((j) => j.release + j.duration));
  let rest = jobs.reduce((n, j) => n + j.duration, 0);
  for (const j of sorted) {
    bound = Math.max(bound, j.release + rest / VAULT_MAX_IN_FLIGHT_COPIES);
    rest -= j.duration;
  }
  const last = Math.max(...planned.map((p) => interpreter.executions.get(`${p.account}-${SOURCE}-${p.snapshotId}-${DEST}`)?.endedAt ?? Infinity));
  const ideal = bound - first;
  return { account: VAULT, snapshots: planned.length, drain: last - first, ideal, ratio: (last - first) / ideal, peak };
}

async function main(): Promise<void> {
  const wanted = (process.env['BURST_SCENARIOS'] ?? SCENARIOS.map((s) => s.name).join(',')).split(',');
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.name === w));
  if (unknown.length > 0) throw new Error(`BURST_SCENARIOS: unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const analysis = analyzeHistory(definition);
  let measuredWorst = 0;
  let measuredVaultWorst = 0;
  for (const scenario of SCENARIOS.filter((s) => wanted.includes(s.name))) {
    const outcome = await simulate(scenario);
    const bound = analyzeHistory(definitionOf(scenario)).worst.events;
    if (scenario.vault) measuredVaultWorst = Math.max(measuredVaultWorst, outcome.worstEvents);
    else measuredWorst = Math.max(measuredWorst, outcome.worstEvents);
    if (outcome.worstEvents > bound) outcome.missed.push(`an execution recorded ${outcome.worstEvents} history events, over the analyzer's bound ${bound}`);
    if (outcome.missed.length > 0) {
      console.log(`  targets missed: ${outcome.missed.join(', ')} (targets: 0 lost, 0 duplicated, drain ≤ ${TARGETS.drain}× ideal, ≤ ${scenario.vault ? VAULT_CALLS_PER_SNAPSHOT : TARGETS.callsPerSnapshot} EC2 calls per snapshot, 0 failed executions, ≤ ${MAX_IN_FLIGHT} in flight${scenario.vault ? `, ≤ ${VAULT_MAX_IN_FLIGHT_COPIES} in the vault` : ''})`);
      process.exitCode = 1;
    }
    console.log(outcome.line);
  }
  // The typical path: no backlog, a 45-minute copy (polls at 5, 10, 16, 22, 28, 34, 40, 46 minutes: 7 retries).
  const typical = pathCost(definition, [
    STATES.prepare, STATES.inspect, STATES.sourceChoice, STATES.find, STATES.foundChoice, STATES.admit, STATES.admitChoice, STATES.copy, STATES.copyChoice,
    STATES.waitForCopy, { state: STATES.poll, retries: 7 }, STATES.pollChoice, STATES.release, STATES.copied,
  ]);
  if (measuredVaultWorst > 0) console.log(`(vault definition: history events of the busiest execution simulated: ${measuredVaultWorst}; its worst path by analysis: ${analyzeHistory(vaultDefinition).worst.events})`);
  console.log(`(history events of the busiest execution simulated: ${measuredWorst}; the definition's worst path by analysis: ${analysis.worst.events})`);
  console.log(historyLine(analysis.worst, typical));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
