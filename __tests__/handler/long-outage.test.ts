/**
 * One copy execution through days of trouble, on a simulated clock: the deployed definition
 * interpreted state by state (scripts/support/asl-interpreter.ts: its Wait and Retry timing, jitter,
 * counters), the real `step` handler for every Task, the EC2 model (scripts/support/ec2-model.ts)
 * and the DynamoDB stand-in. What used to end an execution within an hour (12 jittered retries)
 * is now waited out until the 7-day deadline, and each execution's recorded history stays under
 * the worst case the analyzer computes from the definition.
 */
import { describe, expect, it } from 'vitest';
import { loadStepConfig } from '../../handlers/snapshot-copy/config';
import { createHolderStatusReader } from '../../handlers/snapshot-copy/executions';
import type { Log } from '../../handlers/snapshot-copy/logger';
import { createLedgerStore, type LedgerStore } from '../../handlers/snapshot-copy/ledger';
import { createSlotStore } from '../../handlers/snapshot-copy/slots';
import { runStep, type StepEvent } from '../../handlers/snapshot-copy/steps';
import { AslInterpreter, SimulatedClock, type ExecutionRecord } from '../../scripts/support/asl-interpreter';
import { LEDGER_TABLE, withLedgerTable } from '../../scripts/support/copy-tables';
import { DynamoDbStandin } from '../../scripts/support/dynamodb-standin';
import { Ec2Model } from '../../scripts/support/ec2-model';
import { copyWorkflowDefinition, STATES } from '../../stacks/central/copy-workflow';
import { analyzeHistory } from '../../stacks/central/history-budget';

const CENTRAL = '111111111111';
const ACCOUNT = '222222222222';
const SOURCE = 'us-west-2';
const DEST = 'us-east-1';
const SNAPSHOT = 'snap-0123456789abcdef0';
const MACHINE = `arn:aws:states:us-east-1:${CENTRAL}:stateMachine:ebs-event-hub-snapshot-copy`;
const SLOTS_TABLE = 'ebs-event-hub-copy-slots';
const HOUR = 3600;
const DAY = 24 * HOUR;
const definition = copyWorkflowDefinition({ stepFunctionArn: `arn:aws:lambda:us-east-1:${CENTRAL}:function:ebs-event-hub-copy-step` });
const worst = analyzeHistory(definition).worst;
const silent: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface Trouble {
  /** EC2 refuses every call of these actions (RequestLimitExceeded) while this holds. */
  ec2Throttled?: (t: number, action: string) => boolean;
  /** DynamoDB answers this error to every request on `table` (copy slots, copy ledger) while it holds. */
  dynamodbDown?: (t: number, table: string) => string | undefined;
  /** Copies of somebody else pending in the destination (DLM), each for this long (s). */
  dlmCopies?: { count: number; seconds: number };
  /** How long the copy takes (s). @default 30 minutes */
  copySeconds?: number;
}

async function runOne(trouble: Trouble): Promise<{ execution: ExecutionRecord; ec2: Ec2Model; ledger: LedgerStore }> {
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const clock = new SimulatedClock(random);
  const epoch = Date.UTC(2026, 0, 5);
  const ec2 = new Ec2Model({
    now: () => clock.now(),
    random,
    sleep: (seconds) => new Promise((resolve) => clock.schedule(seconds, resolve)),
    ownAccount: CENTRAL,
    epochMs: epoch,
    copySeconds: () => trouble.copySeconds ?? 30 * 60,
    throttled: (_a, _r, action) => trouble.ec2Throttled?.(clock.now(), action) ?? false,
  });
  ec2.add({ id: SNAPSHOT, account: ACCOUNT, region: SOURCE, state: 'completed', tags: [{ Key: 'Name', Value: 'db' }], createdAt: -HOUR, completesAt: -HOUR });
  for (let i = 0; i < (trouble.dlmCopies?.count ?? 0); i++) {
    ec2.add({ id: `snap-0d1m${i}`, account: ACCOUNT, region: DEST, state: 'pending', tags: [], createdAt: -HOUR, completesAt: trouble.dlmCopies!.seconds, source: `snap-0d1msource${i}` });
  }
  const dynamodb = withLedgerTable(new DynamoDbStandin());
  const table = {
    send: async (command: unknown) => {
      const input = (command as { input: { TableName?: string; RequestItems?: Record<string, unknown> } }).input;
      const down = trouble.dynamodbDown?.(clock.now(), input.TableName ?? Object.keys(input.RequestItems ?? {})[0] ?? '');
      // DynamoDB's codes and statuses: ThrottlingException and ProvisionedThroughputExceededException 400, InternalServerError 500
      // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.MessagesAndCodes).
      if (down) throw Object.assign(new Error(`${down} (simulated)`), { name: down, $fault: down.startsWith('Internal') ? 'server' : 'client', $metadata: { httpStatusCode: down.startsWith('Internal') ? 500 : 400 } });
      return dynamodb.client.send(command);
    },
  };
  const deps = {
    config: loadStepConfig({ MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy', MAX_IN_FLIGHT_COPIES: '15', AWS_REGION: 'us-east-1', SLOTS_TABLE_NAME: SLOTS_TABLE, STATE_MACHINE_ARN: MACHINE, LEDGER_TABLE_NAME: LEDGER_TABLE }),
    clients: ec2.clients(),
    slots: createSlotStore(table as never, SLOTS_TABLE),
    ledger: createLedgerStore(table as never, LEDGER_TABLE),
    holders: createHolderStatusReader({ send: async () => ({ status: 'RUNNING' }) } as never, MACHINE),
    logger: silent,
    self: { account: CENTRAL, partition: 'aws' },
    now: () => new Date(epoch + clock.now() * 1000),
    random,
  };
  const interpreter = new AslInterpreter(definition, {
    clock,
    runTask: async (_state, parameters) => ({ Payload: JSON.parse(JSON.stringify(await runStep((parameters as { Payload: StepEvent }).Payload, deps))) as unknown }),
  });
  const execution = interpreter.start(`${ACCOUNT}-${SOURCE}-${SNAPSHOT}-${DEST}`, { account: ACCOUNT, sourceRegion: SOURCE, snapshotId: SNAPSHOT, destinationRegion: DEST });
  await clock.run();
  return { execution, ec2, ledger: createLedgerStore(dynamodb.client as never, LEDGER_TABLE) };
}

const count = (e: ExecutionRecord, state: string) => e.path.filter((s) => s === state).length;

describe('one execution through days of trouble (simulated clock, the definition interpreted)', () => {
  it('GIVEN EC2 throttles every DescribeSnapshots and CopySnapshot of the account for 6 hours THEN Inspect waits it out (minutes apart, then longer) and the snapshot is copied once', async () => {
    const { execution, ec2 } = await runOne({ ec2Throttled: (t) => t < 6 * HOUR });
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(ec2.copiesOf(SNAPSHOT)).toHaveLength(1);
    expect(execution.endedAt!).toBeGreaterThan(6 * HOUR);
    // Noticed within the outage wait then in effect: 10 minutes for the first 1.5 to 2.25 hours, then
    // doubling to 4 hours (a long outage costs few states); then the 30-minute copy.
    expect(execution.endedAt!).toBeLessThan(6 * HOUR + 4 * HOUR + HOUR);
    expect(count(execution, STATES.countOutageInspect)).toBeGreaterThan(12);
    expect(execution.events).toBeLessThanOrEqual(worst.events);
  });

  it('GIVEN DynamoDB throttles every request on the copy-slots table for 3 days during admission THEN Admit waits (the backoff grows to 2 hours) and the copy is made after it', async () => {
    const { execution, ec2 } = await runOne({ dynamodbDown: (t, table) => (t < 3 * DAY && table === SLOTS_TABLE ? 'ThrottlingException' : undefined) });
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(ec2.copiesOf(SNAPSHOT)).toHaveLength(1);
    expect(execution.endedAt!).toBeGreaterThan(3 * DAY);
    const waits = count(execution, STATES.countWait);
    // 3 days at waits of 1 to 2 hours after the first hours: about 36 to 72 waits.
    expect(waits).toBeGreaterThan(30);
    expect(waits).toBeLessThan(80);
    expect(execution.events).toBeLessThanOrEqual(worst.events);
  });

  it('GIVEN DynamoDB throttles every request for 3 days, the copy ledger too THEN Find waits it out (outage waits, minutes then hours apart), the copy is made once and recorded', async () => {
    const { execution, ec2, ledger } = await runOne({ dynamodbDown: (t) => (t < 3 * DAY ? 'ProvisionedThroughputExceededException' : undefined) });
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(ec2.copiesOf(SNAPSHOT)).toHaveLength(1);
    expect(execution.endedAt!).toBeGreaterThan(3 * DAY);
    expect(count(execution, STATES.countOutageFind)).toBeGreaterThan(12);
    expect(count(execution, STATES.countWait)).toBe(0);
    expect(await ledger.copiesOf(ACCOUNT, DEST, SNAPSHOT)).toEqual([ec2.copiesOf(SNAPSHOT)[0]!.id]);
    expect(execution.events).toBeLessThanOrEqual(worst.events);
  });

  it('GIVEN the copy ledger unavailable for 8 days THEN the execution fails with Ec2Unavailable naming DynamoDB, not before the 7-day deadline, no copy made', async () => {
    const { execution, ec2 } = await runOne({ dynamodbDown: (t, table) => (t < 8 * DAY && table === LEDGER_TABLE ? 'InternalServerError' : undefined) });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Ec2Unavailable');
    expect(execution.cause).toContain('DynamoDB (the copy ledger) still unavailable 7 days after the execution started');
    expect(execution.endedAt!).toBeGreaterThanOrEqual(7 * DAY);
    expect(ec2.copiesOf(SNAPSHOT)).toHaveLength(0);
    expect(execution.events).toBeLessThanOrEqual(worst.events);
  });

  it("GIVEN DLM's copies hold EC2's 20-copy quota for 6 days (ResourceLimitExceeded every time) THEN the execution waits with a growing backoff, never restarted, and copies when room frees", async () => {
    const { execution, ec2 } = await runOne({ dlmCopies: { count: 20, seconds: 6 * DAY } });
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(ec2.copiesOf(SNAPSHOT)).toHaveLength(1);
    expect(execution.endedAt!).toBeGreaterThan(6 * DAY);
    expect(ec2.calls.refusedQuota).toBeGreaterThan(50);
    // Each refusal is one wait of the same count (main restarted a 10-minute backoff each time:
    // ~13,000 events for such a week).
    expect(count(execution, STATES.countWait)).toBe(ec2.calls.refusedQuota);
    expect(execution.events).toBeLessThan(2_500);
  });

  it('GIVEN a copy that takes 5 days and EC2 throttles every look at it for a whole day THEN Poll keeps polling, less and less often, and the execution succeeds', async () => {
    const { execution, ec2 } = await runOne({ copySeconds: 5 * DAY, ec2Throttled: (t, action) => action === 'DescribeSnapshots' && t > HOUR && t < DAY + HOUR });
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(ec2.copiesOf(SNAPSHOT)).toHaveLength(1);
    expect(execution.endedAt!).toBeGreaterThan(5 * DAY);
    expect(execution.events).toBeLessThanOrEqual(worst.events);
  });

  it('GIVEN EC2 unavailable for 8 days THEN the execution fails with Ec2Unavailable, not before the 7-day deadline, its history within the bound', async () => {
    const { execution, ec2 } = await runOne({ ec2Throttled: (t) => t < 8 * DAY });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Ec2Unavailable');
    expect(execution.endedAt!).toBeGreaterThanOrEqual(7 * DAY);
    expect(execution.endedAt!).toBeLessThan(7 * DAY + 4 * HOUR);
    expect(ec2.copiesOf(SNAPSHOT)).toHaveLength(0);
    expect(execution.events).toBeLessThanOrEqual(worst.events);
  });
});
