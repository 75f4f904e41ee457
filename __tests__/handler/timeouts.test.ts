/**
 * A call that hangs fails fast and is handled, not the whole invocation timing out: every SDK client
 * of the handler carries connection and request timeouts (throwOnRequestTimeout) well under its
 * function's timeout, and a request the loopback EC2 stand-in never answers becomes, through the real
 * SDK stack, the step's `unavailable` (a read), `CopyPending` (a poll) or `CopyOutcomeUnknown`
 * (CopySnapshot, never re-sent: it may have made the copy).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { NodeHttpHandlerOptions } from '@smithy/types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COPY_EC2_CONFIG, DEFAULT_ATTEMPTS, DEFAULT_EC2_CONFIG, DEFAULT_STS_CONFIG, HTTP_TIMEOUTS, createClientProvider, createDynamoDbClient, createSfnClient } from '../../handlers/snapshot-copy/clients';
import { loadStepConfig } from '../../handlers/snapshot-copy/config';
import { createHolderStatusReader } from '../../handlers/snapshot-copy/executions';
import { createLedgerStore, memberCopyEntry } from '../../handlers/snapshot-copy/ledger';
import { createSlotStore } from '../../handlers/snapshot-copy/slots';
import { runStep, type CopyData } from '../../handlers/snapshot-copy/steps';
import { SWEEP_RESERVE_MS } from '../../handlers/snapshot-copy/sweep';
import { LEDGER_TABLE, withLedgerTable } from '../../scripts/support/copy-tables';
import { DynamoDbStandin } from '../../scripts/support/dynamodb-standin';
import { startEc2Standin, type Ec2Standin } from '../../scripts/support/ec2-standin';
import { COPY_START_TIMEOUT_SECONDS } from '../../stacks/central/snapshot-copy-intake';
import { COPY_SWEEP_TIMEOUT_SECONDS } from '../../stacks/central/snapshot-copy-sweep';
import { COPY_STEP_TIMEOUT_SECONDS } from '../../stacks/central/snapshot-copy-workflow';
import { MEMBER_ACCOUNT, OWN_ACCOUNT, pointSdkAt, recordingLogger } from './support';

/**
 * The SDK's standard retry waits at most min(b × 2^i, 20) seconds before retry i+1, b random in [0, 1)
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
const backoffSeconds = (attempts: number) => Array.from({ length: attempts - 1 }, (_, i) => Math.min(2 ** i, 20)).reduce((a, b) => a + b, 0);
const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:ebs-event-hub-snapshot-copy';

/** The request handler options a client was built with (resolved as the SDK resolves them). */
async function handlerOptions(client: { config: { requestHandler: unknown } }): Promise<NodeHttpHandlerOptions> {
  return (await (client.config.requestHandler as { configProvider: Promise<NodeHttpHandlerOptions> }).configProvider) ?? {};
}
const worstCallSeconds = (o: NodeHttpHandlerOptions, attempts: number) => (attempts * ((o.connectionTimeout ?? Infinity) + (o.requestTimeout ?? Infinity))) / 1000 + backoffSeconds(attempts);

describe('the clients as shipped', () => {
  it('GIVEN every client the handler builds THEN each has connection and request timeouts that throw, and its worst call (every attempt timing out, every backoff) takes at most half the timeout of every function using it', async () => {
    const provider = createClientProvider({ stsRegion: 'us-east-1' });
    // Which functions use which client: EC2 the step and the sweep, DynamoDB the step and the sweep, Step Functions the starter and the step.
    const clients: Array<[string, { config: { requestHandler: unknown; maxAttempts: () => Promise<number> } }, number]> = [
      ['EC2 reads', provider.ec2({ region: 'us-east-1' }) as EC2Client, Math.min(COPY_STEP_TIMEOUT_SECONDS, COPY_SWEEP_TIMEOUT_SECONDS)],
      ['CopySnapshot', provider.ec2({ region: 'us-east-1', forCopy: true }) as EC2Client, COPY_STEP_TIMEOUT_SECONDS],
      ['DynamoDB', createDynamoDbClient('us-east-1'), Math.min(COPY_STEP_TIMEOUT_SECONDS, COPY_SWEEP_TIMEOUT_SECONDS)],
      ['Step Functions', createSfnClient('us-east-1'), Math.min(COPY_START_TIMEOUT_SECONDS, COPY_STEP_TIMEOUT_SECONDS)],
    ];
    for (const [name, client, functionTimeout] of clients) {
      const options = await handlerOptions(client);
      expect(options, name).toMatchObject({ throwOnRequestTimeout: true });
      expect(options.connectionTimeout, name).toBeGreaterThan(0);
      expect(options.requestTimeout, name).toBeGreaterThan(0);
      expect(worstCallSeconds(options, await client.config.maxAttempts()), name).toBeLessThanOrEqual(functionTimeout / 2);
    }
    expect(worstCallSeconds(HTTP_TIMEOUTS.other, DEFAULT_STS_CONFIG.maxAttempts as number)).toBeLessThanOrEqual(COPY_STEP_TIMEOUT_SECONDS / 2);
    // STS (AssumeRole) is built inside the provider with these options.
    expect(DEFAULT_STS_CONFIG).toMatchObject({ maxAttempts: DEFAULT_ATTEMPTS, requestHandler: HTTP_TIMEOUTS.other });
    expect(DEFAULT_EC2_CONFIG.requestHandler).toEqual(HTTP_TIMEOUTS.ec2);
    expect(COPY_EC2_CONFIG.requestHandler).toEqual(HTTP_TIMEOUTS.ec2);
  });

  it('GIVEN the sweep\'s reserve THEN no call starts when the longest chain of one copy (AssumeRole, an EC2 call, DeleteItem on the ledger, each at its worst) could outlast the function, and the reserve leaves most of the timeout to work', () => {
    const chain = worstCallSeconds(HTTP_TIMEOUTS.other, DEFAULT_STS_CONFIG.maxAttempts as number) + worstCallSeconds(HTTP_TIMEOUTS.ec2, DEFAULT_EC2_CONFIG.maxAttempts as number) + worstCallSeconds(HTTP_TIMEOUTS.other, DEFAULT_ATTEMPTS);
    expect(SWEEP_RESERVE_MS / 1000).toBeGreaterThan(chain);
    expect(SWEEP_RESERVE_MS / 1000).toBeLessThanOrEqual(COPY_SWEEP_TIMEOUT_SECONDS / 5);
  });
});

describe('a request the EC2 stand-in never answers', () => {
  let standin: Ec2Standin;
  let restore: () => void;
  beforeAll(async () => {
    standin = await startEc2Standin({ defaultAccount: OWN_ACCOUNT });
    restore = pointSdkAt(standin.url);
  });
  afterAll(async () => {
    await standin.close();
    restore();
  });
  beforeEach(() => standin.reset());

  const data: CopyData = { account: MEMBER_ACCOUNT, sourceRegion: 'us-west-2', snapshotId: 'snap-0abc12345', destinationRegion: 'us-east-1' };
  /**
   * The real step with the real SDK, its timeouts shortened to 200 ms (the shipped ones are seconds).
   * `recordedCopy`: a copy of the source the ledger records (Find then describes it in EC2).
   */
  function step(name: 'find' | 'copy' | 'poll', d: CopyData, recordedCopy?: string) {
    const logger = recordingLogger();
    const config = loadStepConfig({ MEMBER_ROLE_NAME: 'copy-role', MAX_IN_FLIGHT_COPIES: '15', SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots', STATE_MACHINE_ARN: MACHINE, LEDGER_TABLE_NAME: LEDGER_TABLE });
    const dynamodb = withLedgerTable(new DynamoDbStandin());
    const ledger = createLedgerStore(dynamodb.client as never, config.ledgerTableName);
    const slots = createSlotStore(dynamodb.client as never, config.slotsTableName);
    const clients = createClientProvider({
      stsRegion: 'us-east-1',
      ec2Config: { requestHandler: { connectionTimeout: 200, requestTimeout: 200, throwOnRequestTimeout: true } },
      stsConfig: { requestHandler: { connectionTimeout: 200, requestTimeout: 200, throwOnRequestTimeout: true } },
    });
    const started = Date.now();
    const result = slots
      .acquire(`${MEMBER_ACCOUNT}#us-east-1`, `${MEMBER_ACCOUNT}-us-west-2-snap-0abc12345-us-east-1`, new Date(), 15)
      .then(() => (recordedCopy === undefined ? undefined : ledger.record(memberCopyEntry(d, recordedCopy, { executionName: 'earlier', createdAt: new Date(), recordedBy: 'copy' }))))
      .then(() =>
        runStep(
          { step: name, executionStartTime: new Date().toISOString(), data: d },
          { config, clients, slots, ledger, holders: createHolderStatusReader({ send: async () => ({ status: 'RUNNING' }) } as never, MACHINE), logger, self: { account: OWN_ACCOUNT, partition: 'aws' }, now: () => new Date(), random: () => 0.5 },
        ),
      );
    return { result, logger, elapsed: () => Date.now() - started };
  }

  it('GIVEN DescribeSnapshots hangs on every attempt THEN Find answers unavailable (the definition waits and runs it again) after the SDK attempts time out', async () => {
    standin.addSnapshot({ snapshotId: 'snap-0abc12345', region: 'us-west-2', ownerId: MEMBER_ACCOUNT, state: 'completed', tags: [] });
    standin.hangNext('DescribeSnapshots', 10);
    const { result, logger, elapsed } = step('find', data, 'snap-0c0c0c0c0');
    expect(await result).toMatchObject({ outcome: 'unavailable', waitSeconds: expect.any(Number) });
    expect(standin.calls('DescribeSnapshots')).toHaveLength(DEFAULT_EC2_CONFIG.maxAttempts as number);
    expect(logger.lines.find((l) => l.level === 'warn')!.attributes).toMatchObject({ error: { name: 'Ec2Unavailable', message: expect.stringContaining('TimeoutError') } });
    expect(elapsed()).toBeLessThan(10_000);
  });

  it('GIVEN CopySnapshot makes the copy and never answers THEN the step throws CopyOutcomeUnknown after one attempt (ConfirmCopy looks before any new copy); EC2 holds exactly one copy', async () => {
    standin.addSnapshot({ snapshotId: 'snap-0abc12345', region: 'us-west-2', ownerId: MEMBER_ACCOUNT, state: 'completed', tags: [] });
    standin.ambiguousAfterCopy('hang');
    const { result } = step('copy', { ...data, sourceTags: [] });
    await expect(result).rejects.toMatchObject({ name: 'CopyOutcomeUnknown', message: expect.stringContaining('TimeoutError') });
    expect(standin.calls('CopySnapshot')).toHaveLength(1);
    expect(standin.snapshots().filter((s) => s.copiedFrom?.snapshotId === 'snap-0abc12345')).toHaveLength(1);
  });

  it('GIVEN DescribeSnapshots of a pending copy hangs THEN Poll reports the copy pending (polled again), not a failure', async () => {
    standin.hangNext('DescribeSnapshots', 10);
    const { result } = step('poll', { ...data, copySnapshotId: 'snap-0c0c0c0c0', copyStartedAt: new Date().toISOString() });
    await expect(result).rejects.toMatchObject({ name: 'CopyPending', message: expect.stringContaining('not seen') });
  });
});
