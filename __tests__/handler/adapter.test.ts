/**
 * The thin AWS adapters (start, step, sweep) with the SDK clients mocked (aws-sdk-client-mock):
 * which calls they make, with what input, and how each AWS answer maps to a result or a named error.
 */
import { CopySnapshotCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetItemCommand, ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand, type BatchGetItemCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { COPY_EC2_CONFIG, DEFAULT_EC2_CONFIG, MAX_CACHED_EC2_CLIENTS, createClientProvider, type ClientProvider, type Ec2Target } from '../../handlers/snapshot-copy/clients';
import { loadStartConfig, loadStepConfig, loadSweepConfig } from '../../handlers/snapshot-copy/config';
import { EXPIRES_AT_TAG, PROVENANCE_TAGS } from '../../handlers/snapshot-copy/decide';
import { createHolderStatusReader } from '../../handlers/snapshot-copy/executions';
import { createLedgerStore } from '../../handlers/snapshot-copy/ledger';
import { createSlotStore } from '../../handlers/snapshot-copy/slots';
import { handleStart } from '../../handlers/snapshot-copy/start';
import { runStep, type CopyData, type Step } from '../../handlers/snapshot-copy/steps';
import { handleSweep } from '../../handlers/snapshot-copy/sweep';
import { loadFixture } from '../fixtures/events';
import { MEMBER_ACCOUNT, OWN_ACCOUNT, createSnapshotEvent, multiVolumeEvent, recordingLogger, sqsBatch, sqsRecord } from './support';

const ec2 = mockClient(EC2Client);
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBClient);
afterEach(() => {
  ec2.reset();
  sfn.reset();
  ddb.reset();
});

const QUEUE = 'arn:aws:sqs:us-east-1:111111111111:ebs-event-hub-snapshot-copy';
const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:ebs-event-hub-snapshot-copy';
const startConfig = loadStartConfig({ STATE_MACHINE_ARN: MACHINE, COPY_QUEUE_ARN: QUEUE, DESTINATION_REGION: 'us-east-1', REGION_MAP: '{"eu-west-1":"eu-central-1"}', SOURCE_REGIONS: 'eu-west-1,us-west-2' });
const record = (id: string, body: unknown, eventSourceARN = QUEUE) => ({ ...sqsRecord(id, body), eventSourceARN });
/**
 * An AWS error as the SDK surfaces it: `name` is the error code, with its `$fault` and HTTP status.
 * The codes and statuses the tests below answer with are the documented ones:
 * - EC2 (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html): client errors
 *   (400-series) ResourceLimitExceeded (CopySnapshot: too many copies in progress), InvalidSnapshot.NotFound,
 *   InvalidSnapshot.InUse (DeleteSnapshot of a snapshot an AMI uses), UnauthorizedOperation (403);
 *   server errors (500-series) InternalError (500) and RequestLimitExceeded (503; throttling:
 *   https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
 * - DynamoDB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.MessagesAndCodes):
 *   400 ConditionalCheckFailedException, ProvisionedThroughputExceededException, ThrottlingException,
 *   AccessDeniedException; 500 InternalServerError.
 * - Step Functions: StartExecution's ExecutionAlreadyExists (a closed execution of that name, or
 *   another input: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html),
 *   DescribeExecution's ExecutionDoesNotExist (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html),
 *   and ThrottlingException (400: https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html).
 * - TimeoutError (no status): @smithy/node-http-handler's own, the requestTimeout with
 *   throwOnRequestTimeout (handlers/snapshot-copy/clients.ts HTTP_TIMEOUTS).
 */
const awsError = (name: string, status: number | undefined, message = name) =>
  Object.assign(new Error(message), { name, $fault: status && status >= 500 ? 'server' : 'client', $metadata: status === undefined ? {} : { httpStatusCode: status } });
const LEDGER = 'ebs-event-hub-copy-ledger';
/** The ledger (BatchGetItem) records these copy ids, and only these. */
const ledgerRecords = (...ids: string[]) =>
  ddb.on(BatchGetItemCommand).callsFake((input: BatchGetItemCommandInput) => ({
    Responses: { [LEDGER]: (input.RequestItems![LEDGER]!.Keys ?? []).filter((k) => ids.includes(k['copySnapshotId']!.S!)).map((k) => ({ copySnapshotId: k['copySnapshotId']! })) },
    UnprocessedKeys: {},
  }));

describe('start', () => {
  const deps = () => ({ config: startConfig, sfn: new SFNClient({ region: 'us-east-1' }), logger: recordingLogger() });

  it('GIVEN a createSnapshot event WHEN delivered THEN starts one execution with the canonical name and input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const d = deps();
    const answer = await handleStart(sqsBatch(record('m1', createSnapshotEvent({ snapshotId: 'snap-0abc1234', region: 'us-west-2', account: MEMBER_ACCOUNT }))), d);
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        stateMachineArn: MACHINE,
        name: `${MEMBER_ACCOUNT}-us-west-2-snap-0abc1234-us-east-1`,
        input: `{"account":"${MEMBER_ACCOUNT}","sourceRegion":"us-west-2","snapshotId":"snap-0abc1234","destinationRegion":"us-east-1"}`,
      },
    ]);
    expect(d.logger.lines.find((l) => l.attributes['decision'] === 'started')!.attributes).toMatchObject({ messageId: 'm1', executionName: `${MEMBER_ACCOUNT}-us-west-2-snap-0abc1234-us-east-1` });
  });

  it('GIVEN a multi-volume set THEN one execution per completed member, REGION_MAP applied, incomplete members logged', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const d = deps();
    const event = multiVolumeEvent([{ id: 'snap-0000000a', status: 'completed' }, { id: 'snap-0000000b', status: 'failed' }, { id: 'snap-0000000c', status: 'completed' }], { region: 'eu-west-1' });
    await handleStart(sqsBatch(record('m1', event)), d);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([`${OWN_ACCOUNT}-eu-west-1-snap-0000000a-eu-central-1`, `${OWN_ACCOUNT}-eu-west-1-snap-0000000c-eu-central-1`]);
    expect(d.logger.decisions()).toEqual(['skipped-incomplete-snapshot', 'started', 'started']);
  });

  it.each([
    ['ebs-snapshot-create-succeeded.region-colon-layout', ['012345678901-us-east-1-snap-01234567-eu-central-1']],
    ['ebs-snapshot-create-succeeded.colon-region-layout', ['012345678901-us-east-1-snap-01234567-eu-central-1']],
    ['ebs-multi-volume-snapshots-create-succeeded', ['012345678901-us-east-1-snap-01234567-eu-central-1', '012345678901-us-east-1-snap-012345678-eu-central-1']],
  ] as const)("GIVEN the AWS guide's %s sample THEN starts executions named from the event's region and the ARN's snap- id", async (fixture, names) => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    // The guide's samples come from us-east-1: send them elsewhere so they are copied.
    const config = loadStartConfig({ STATE_MACHINE_ARN: MACHINE, COPY_QUEUE_ARN: QUEUE, DESTINATION_REGION: 'eu-central-1', SOURCE_REGIONS: 'us-east-1' });
    const answer = await handleStart(sqsBatch(record('m1', loadFixture(fixture))), { config, sfn: new SFNClient({ region: 'us-east-1' }), logger: recordingLogger() });
    expect(answer.batchItemFailures).toEqual([]);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual(names);
  });

  it.each(['ebs-snapshot-copy-succeeded.region-colon-layout', 'ebs-snapshot-copy-failed.colon-region-layout', 'ebs-snapshot-share-succeeded.region-colon-layout', 'ebs-multi-volume-snapshots-create-failed'] as const)(
    "GIVEN the AWS guide's %s sample THEN starts nothing",
    async (fixture) => {
      const config = loadStartConfig({ STATE_MACHINE_ARN: MACHINE, COPY_QUEUE_ARN: QUEUE, DESTINATION_REGION: 'eu-central-1', SOURCE_REGIONS: 'us-east-1' });
      const answer = await handleStart(sqsBatch(record('m1', loadFixture(fixture))), { config, sfn: new SFNClient({ region: 'us-east-1' }), logger: recordingLogger() });
      expect(answer.batchItemFailures).toEqual([]);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    },
  );

  it('GIVEN ExecutionAlreadyExists (closed execution of that name) THEN the record succeeds', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const d = deps();
    expect(await handleStart(sqsBatch(record('m1', createSnapshotEvent())), d)).toEqual({ batchItemFailures: [] });
    expect(d.logger.decisions()).toEqual(['already-started']);
  });

  it('GIVEN throttling for one record THEN only that record fails (partial batch response)', async () => {
    sfn.on(StartExecutionCommand).rejectsOnce(awsError('ThrottlingException', 400)).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const d = deps();
    const answer = await handleStart(sqsBatch(record('m1', createSnapshotEvent({ snapshotId: 'snap-0000000a' })), record('m2', createSnapshotEvent({ snapshotId: 'snap-0000000b' }))), d);
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
  });

  it('GIVEN a snapshot in the destination region THEN starts nothing', async () => {
    const d = deps();
    await handleStart(sqsBatch(record('m1', createSnapshotEvent({ region: 'us-east-1' }))), d);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(d.logger.decisions()).toEqual(['skipped-same-region']);
  });

  it('GIVEN snapshots from a region that is not a configured source (a single one, and a multi-volume set) THEN starts nothing, logging why, and the record succeeds', async () => {
    // Issue 12 item 1: eu-central-1 is where eu-west-1's copies go, not a region snapshots are copied from.
    const d = deps();
    const answer = await handleStart(
      sqsBatch(
        record('m1', createSnapshotEvent({ region: 'eu-central-1', snapshotId: 'snap-0000000a' })),
        record('m2', multiVolumeEvent([{ id: 'snap-0000000b', status: 'completed' }], { region: 'ap-south-1' })),
      ),
      d,
    );
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(d.logger.decisions()).toEqual(['skipped-region-not-configured', 'skipped-region-not-configured']);
    expect(d.logger.lines.find((l) => l.attributes['decision'] === 'skipped-region-not-configured')!.attributes).toMatchObject({
      messageId: 'm1',
      sourceRegion: 'eu-central-1',
      snapshotId: 'snap-0000000a',
      destinationRegion: 'us-east-1',
    });
  });

  it('GIVEN a record from another queue THEN refuses it (ForeignEventSourceError, logged) and starts nothing', async () => {
    const d = deps();
    const answer = await handleStart(sqsBatch(record('m1', createSnapshotEvent(), 'arn:aws:sqs:us-east-1:999999999999:forged')), d);
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(d.logger.lines[0]!.attributes).toMatchObject({ decision: 'refused', eventSourceARN: 'arn:aws:sqs:us-east-1:999999999999:forged', error: { name: 'ForeignEventSourceError' } });
  });

  it.each([
    ['a bare EventBridge event', createSnapshotEvent()],
    ['nothing', undefined],
    ['records that are not SQS messages', { Records: [{ messageId: 'x', eventSource: 'aws:kinesis' }] }],
  ])('GIVEN %s THEN refuses the invocation with NotAnSqsBatchError', async (_n, event) => {
    const d = deps();
    await expect(handleStart(event, d)).rejects.toMatchObject({ name: 'NotAnSqsBatchError' });
    expect(d.logger.lines[0]!.level).toBe('error');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('GIVEN a body that is not JSON THEN that record fails with MalformedEventError', async () => {
    const d = deps();
    expect(await handleStart(sqsBatch(record('m1', 'not json')), d)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(d.logger.lines[0]!.attributes).toMatchObject({ error: { name: 'MalformedEventError' } });
  });
});

describe('step', () => {
  /** A ClientProvider that hands out (mocked) EC2 clients and records what each was for. */
  function provider(): ClientProvider & { targets: Ec2Target[] } {
    const targets: Ec2Target[] = [];
    return { targets, ec2: (t) => (targets.push(t), new EC2Client({ region: t.region })) };
  }
  const data: CopyData = { account: MEMBER_ACCOUNT, sourceRegion: 'us-west-2', snapshotId: 'snap-0abc1234', destinationRegion: 'us-east-1' };
  const now = new Date('2026-03-01T00:00:00Z');
  /** The step's dependencies over the mocked clients (a fresh holder-status cache each time). */
  const stepDeps = (env: Record<string, string> = {}, random = 0.5) => {
    const config = loadStepConfig({ MEMBER_ROLE_NAME: 'copy-role', MAX_IN_FLIGHT_COPIES: '15', SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots', STATE_MACHINE_ARN: MACHINE, LEDGER_TABLE_NAME: LEDGER, ...env });
    const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
    return {
      config,
      clients: provider(),
      logger: recordingLogger(),
      slots: createSlotStore(dynamodb, config.slotsTableName),
      ledger: createLedgerStore(dynamodb, config.ledgerTableName),
      holders: createHolderStatusReader(new SFNClient({ region: 'us-east-1' }), config.stateMachineArn, () => now.getTime()),
      self: { account: OWN_ACCOUNT, partition: 'aws' },
      now: () => now,
      random: () => random,
    };
  };
  const run = (step: Step, d: CopyData = data, env: Record<string, string> = {}, startedAt = '2026-02-28T00:00:00Z', waits = 0) => {
    const deps = stepDeps(env);
    const result = runStep({ step, executionStartTime: startedAt, data: d, waits }, deps);
    return { result, clients: deps.clients, logger: deps.logger };
  };
  /** The admission wait after `waits` waits with random 0.5: 3/4 of min(7200, 400 × 2^waits). */
  const waitAfter = (waits: number) => Math.ceil(0.75 * Math.min(7200, 400 * 2 ** waits));

  it("GIVEN another account's snapshot THEN inspects it in the source region under that account's member role, OwnerIds self", async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0abc1234', State: 'completed', OwnerId: MEMBER_ACCOUNT, Tags: [{ Key: 'Name', Value: 'db' }] }] });
    const { result, clients } = run('inspect');
    expect(await result).toMatchObject({ outcome: 'proceed', sourceTags: [{ Key: 'Name', Value: 'db' }] });
    expect(clients.targets).toEqual([{ region: 'us-west-2', roleArn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/copy-role`, roleSessionName: 'snapshot-copy-snap-0abc1234' }]);
    expect(ec2.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toEqual({ SnapshotIds: ['snap-0abc1234'], OwnerIds: ['self'] });
  });

  it('GIVEN InvalidSnapshot.NotFound on inspect THEN a logged skip, not an error', async () => {
    ec2.on(DescribeSnapshotsCommand).rejects(awsError('InvalidSnapshot.NotFound', 400));
    const { result, logger } = run('inspect');
    expect(await result).toMatchObject({ outcome: 'skip', decision: 'skipped-source-gone' });
    expect(logger.decisions()).toEqual(['skipped-source-gone']);
  });

  it('GIVEN a pending source THEN throws SourceSnapshotNotReady (retried by the definition)', async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0abc1234', State: 'pending', OwnerId: MEMBER_ACCOUNT }] });
    await expect(run('inspect').result).rejects.toMatchObject({ name: 'SourceSnapshotNotReady' });
  });

  /** The ledger records one copy of the source (Find then describes it). */
  const ledgerHasACopy = () => ddb.on(QueryCommand).resolves({ Items: [{ copySnapshotId: { S: 'snap-0copy' } }] });

  it.each(['inspect', 'find', 'confirm'] as const)('GIVEN RequestLimitExceeded outliving the SDK retries on %s THEN it answers unavailable with the outage wait (equal jitter over the outage count); 7 days after the start it throws Ec2Unavailable', async (step) => {
    ledgerHasACopy();
    ec2.on(DescribeSnapshotsCommand).rejects(awsError('RequestLimitExceeded', 503));
    const deps = stepDeps({}, 0);
    const { logger } = deps;
    // Outage waits: 1, 2, 4, 8 minutes, then 10 minutes (16 waits), then doubling to 4 hours; the floor is half.
    for (const [outages, floor] of [[0, 30], [3, 240], [4, 300], [15, 300], [16, 600], [19, 4800], [25, 7200]] as const) {
      expect(await runStep({ step, executionStartTime: '2026-02-28T00:00:00Z', data, outages }, deps)).toEqual({ ...data, outcome: 'unavailable', waitSeconds: floor });
    }
    expect(logger.lines.at(-1)).toMatchObject({ level: 'warn', attributes: { step, outcome: 'unavailable', outages: 25, error: { name: 'Ec2Unavailable' } } });
    await expect(runStep({ step, executionStartTime: '2026-02-22T00:00:00Z', data, outages: 90 }, deps)).rejects.toMatchObject({ name: 'Ec2Unavailable', message: expect.stringContaining('7 days after the execution started') });
    expect(logger.lines.at(-1)).toMatchObject({ level: 'error', attributes: { decision: 'failed' } });
  });

  const holder = `${MEMBER_ACCOUNT}-us-west-2-snap-0abc1234-us-east-1`;
  const slotItem = (holders: Record<string, string>) => ({ slot: { S: `${MEMBER_ACCOUNT}#us-east-1` }, holders: { M: Object.fromEntries(Object.entries(holders).map(([k, v]) => [k, { S: v }])) } });
  const full = (holders: Record<string, string>) => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: slotItem(holders) });
  /** 15 holders acquired `minutesAgo` before `now` (snap-0f0 … snap-0fe). */
  const holders = (minutesAgo: number, n = 15) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`${MEMBER_ACCOUNT}-us-west-2-snap-0f${i.toString(16)}-us-east-1`, new Date(now.getTime() - minutesAgo * 60_000).toISOString()]));

  const pendingQuery = {
    OwnerIds: ['self'],
    Filters: [
      { Name: 'tag-key', Values: [PROVENANCE_TAGS.sourceSnapshotId] },
      { Name: 'status', Values: ['pending'] },
    ],
  };
  const pendingCopies = (n: number) => ({ Snapshots: Array.from({ length: n }, (_, i) => ({ SnapshotId: `snap-c${i}`, State: 'pending' as const })) });
  const holderSnapshot = (name: string) => /-(snap-[0-9a-f]+)-/.exec(name)![1]!;
  /** A pending copy of this app of the holder's snapshot. */
  const copyOf = (name: string) => ({ SnapshotId: `snap-c${holderSnapshot(name).slice(5)}`, State: 'pending' as const, Tags: [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: holderSnapshot(name) }] });

  it('GIVEN the slots have room and EC2 shows 14 of our copies pending THEN admit acquires with one conditional UpdateItem (holder = execution name) and admits', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(DescribeSnapshotsCommand).resolves(pendingCopies(14));
    ledgerRecords(...pendingCopies(14).Snapshots.map((c) => c.SnapshotId));
    expect(await run('admit').result).toMatchObject({ outcome: 'admitted' });
    expect(ec2.commandCalls(DescribeSnapshotsCommand).map((c) => c.args[0].input)).toEqual([pendingQuery]);
    expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'ebs-event-hub-copy-slots',
        Key: { slot: { S: `${MEMBER_ACCOUNT}#us-east-1` } },
        UpdateExpression: 'SET holders.#h = :now',
        ConditionExpression: 'attribute_exists(holders) AND (attribute_exists(holders.#h) OR size(holders) < :max)',
        ExpressionAttributeNames: { '#h': holder },
        ExpressionAttributeValues: { ':now': { S: now.toISOString() }, ':max': { N: '15' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
  });

  it('GIVEN a slot acquired but EC2 shows 15 of our copies pending (started outside the semaphore) THEN admit releases the slot and answers wait', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(DescribeSnapshotsCommand).resolves(pendingCopies(15));
    ledgerRecords(...pendingCopies(15).Snapshots.map((c) => c.SnapshotId));
    const { result, logger } = run('admit', data, {}, undefined, 3);
    expect(await result).toEqual({ ...data, outcome: 'wait', waitSeconds: waitAfter(3) });
    expect(logger.lines.at(-1)!.message).toContain('15 of this app');
    const calls = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ UpdateExpression: 'REMOVE holders.#h', ConditionExpression: 'attribute_exists(holders.#h)', ExpressionAttributeNames: { '#h': holder } });
  });

  it(`GIVEN 15 holders acquired a minute ago (ConditionalCheckFailedException) THEN admit answers wait without asking EC2 or Step Functions`, async () => {
    ddb.on(UpdateItemCommand).rejects(full(holders(1)));
    const { result, logger } = run('admit');
    expect(await result).toMatchObject({ outcome: 'wait', waitSeconds: waitAfter(0) });
    expect(logger.lines.at(-1)!.attributes).toMatchObject({ outcome: 'wait', slotHolders: 15, admissionWaits: 0 });
    expect(ec2.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('GIVEN the slots item does not exist yet THEN admit creates the empty map (if_not_exists) and acquires', async () => {
    ddb.on(UpdateItemCommand).rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} })).resolves({});
    ec2.on(DescribeSnapshotsCommand).resolves(pendingCopies(0));
    expect(await run('admit').result).toMatchObject({ outcome: 'admitted' });
    const calls = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(3);
    expect(calls[1]).toEqual({ TableName: 'ebs-event-hub-copy-slots', Key: { slot: { S: `${MEMBER_ACCOUNT}#us-east-1` } }, UpdateExpression: 'SET holders = if_not_exists(holders, :empty)', ExpressionAttributeValues: { ':empty': { M: {} } } });
    expect(calls[2]!.UpdateExpression).toBe('SET holders.#h = :now');
  });

  it('GIVEN full slots held 20 minutes THEN admit asks Step Functions about each holder (its execution ARN), reclaims those no longer RUNNING conditionally on their time, keeps the RUNNING, PENDING_REDRIVE and unanswered ones, and acquires', async () => {
    const aged = holders(20);
    const names = Object.keys(aged);
    const arn = (name: string) => `arn:aws:states:us-east-1:111111111111:execution:ebs-event-hub-snapshot-copy:${name}`;
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    sfn.on(DescribeExecutionCommand, { executionArn: arn(names[0]!) }).resolves({ status: 'ABORTED' });
    sfn.on(DescribeExecutionCommand, { executionArn: arn(names[1]!) }).resolves({ status: 'TIMED_OUT' });
    sfn.on(DescribeExecutionCommand, { executionArn: arn(names[2]!) }).resolves({ status: 'FAILED' });
    sfn.on(DescribeExecutionCommand, { executionArn: arn(names[3]!) }).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    sfn.on(DescribeExecutionCommand, { executionArn: arn(names[4]!) }).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    sfn.on(DescribeExecutionCommand, { executionArn: arn(names[5]!) }).resolves({ status: 'PENDING_REDRIVE' });
    ddb.on(UpdateItemCommand).rejectsOnce(full(aged)).resolves({});
    // Every holder's copy is still pending (the first look); after reclaiming, 11 of ours are pending (the count).
    ec2.on(DescribeSnapshotsCommand).resolvesOnce({ Snapshots: names.map(copyOf) }).resolves(pendingCopies(11));
    ledgerRecords(...names.map((n) => copyOf(n).SnapshotId));
    const { result, logger } = run('admit');
    expect(await result).toMatchObject({ outcome: 'admitted' });
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn).sort()).toEqual(names.map(arn).sort());
    const calls = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    // acquire, 4 conditional drops, acquire again.
    expect(calls).toHaveLength(6);
    expect(calls.slice(1, 5).map((c) => c.ExpressionAttributeNames!['#h']).sort()).toEqual(names.slice(0, 4).sort());
    for (const drop of calls.slice(1, 5)) {
      expect(drop).toMatchObject({ UpdateExpression: 'REMOVE holders.#h', ConditionExpression: 'holders.#h = :seen', ExpressionAttributeValues: { ':seen': { S: aged[drop.ExpressionAttributeNames!['#h']!] } } });
    }
    expect(logger.lines.filter((l) => l.attributes['staleHolder'] !== undefined).map((l) => [l.level, l.attributes['staleHolder'], l.attributes['reason']])).toEqual(
      expect.arrayContaining([
        ['warn', names[0], 'ABORTED'],
        ['warn', names[1], 'TIMED_OUT'],
        ['warn', names[2], 'FAILED'],
        ['warn', names[3], expect.stringContaining('ExecutionDoesNotExist')],
      ]),
    );
    expect(logger.lines.find((l) => l.attributes['slotHolder'] === names[4])).toMatchObject({ level: 'warn', attributes: { reason: expect.stringContaining('ThrottlingException') } });
  });

  it("GIVEN full slots held 20 minutes, one holder's copy no longer pending THEN admit reads every page of this app's pending copies, reclaims that slot without asking Step Functions, and acquires", async () => {
    const aged = holders(20);
    const names = Object.keys(aged);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    ddb.on(UpdateItemCommand).rejectsOnce(full(aged)).resolves({});
    ec2
      .on(DescribeSnapshotsCommand)
      .resolvesOnce({ Snapshots: names.slice(1, 8).map(copyOf), NextToken: 't1' })
      .resolvesOnce({ Snapshots: names.slice(8).map(copyOf) })
      .resolves(pendingCopies(14));
    ledgerRecords(...names.map((n) => copyOf(n).SnapshotId));
    const { result, logger } = run('admit');
    expect(await result).toMatchObject({ outcome: 'admitted' });
    expect(ec2.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toEqual(pendingQuery);
    expect(ec2.commandCalls(DescribeSnapshotsCommand)[1]!.args[0].input.NextToken).toBe('t1');
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(14);
    const calls = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(calls[1]).toMatchObject({ UpdateExpression: 'REMOVE holders.#h', ConditionExpression: 'holders.#h = :seen', ExpressionAttributeNames: { '#h': names[0] }, ExpressionAttributeValues: { ':seen': { S: aged[names[0]!] } } });
    expect(logger.lines.find((l) => l.attributes['staleHolder'] !== undefined)).toMatchObject({ level: 'warn', attributes: { staleHolder: names[0], acquiredAt: aged[names[0]!], reason: `no pending copy of ${holderSnapshot(names[0]!)} in EC2` } });
  });

  it('GIVEN full slots whose holders all run THEN admit answers wait and drops nothing; a second Admit within a minute asks no one again (RUNNING and the look at EC2 are cached)', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const aged = holders(20);
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: Object.keys(aged).map(copyOf) });
    ddb.on(UpdateItemCommand).rejects(full(aged));
    ledgerRecords(...Object.keys(aged).map((n) => copyOf(n).SnapshotId));
    const deps = { ...stepDeps({}, 0), pendingLooks: new Map<string, { at: number; ids: ReadonlySet<string> }>() };
    const event = { step: 'admit' as const, executionStartTime: '2026-02-28T00:00:00Z', data, waits: 1 };
    expect(await runStep(event, deps)).toMatchObject({ outcome: 'wait', waitSeconds: 400 });
    expect(await runStep(event, deps)).toMatchObject({ outcome: 'wait' });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(15);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DescribeSnapshotsCommand)).toHaveLength(1);
    expect(ddb.commandCalls(BatchGetItemCommand)).toHaveLength(1);
  });

  it('GIVEN full slots held 20 minutes by a failed execution and its retry <name>-r1 (npm run copies -- retry), both with the copy pending THEN admit reclaims the failed original\'s leftover slot and keeps the RUNNING retry\'s', async () => {
    const original = `${MEMBER_ACCOUNT}-us-west-2-snap-0f00ba11-us-east-1`;
    const retry = `${original}-r1`;
    const aged = { ...holders(20, 13), [original]: new Date(now.getTime() - 40 * 60_000).toISOString(), [retry]: new Date(now.getTime() - 20 * 60_000).toISOString() };
    const arn = (name: string) => `arn:aws:states:us-east-1:111111111111:execution:ebs-event-hub-snapshot-copy:${name}`;
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    sfn.on(DescribeExecutionCommand, { executionArn: arn(original) }).resolves({ status: 'FAILED' });
    ddb.on(UpdateItemCommand).rejectsOnce(full(aged)).resolves({});
    // The retry's copy of snap-0f00ba11 is pending (and recorded), as are the 13 others'.
    const pending = [...new Set(Object.keys(aged).map(copyOf).map((c) => JSON.stringify(c)))].map((c) => JSON.parse(c) as ReturnType<typeof copyOf>);
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: pending });
    ledgerRecords(...pending.map((c) => c.SnapshotId));
    const { result, logger } = run('admit');
    expect(await result).toMatchObject({ outcome: 'admitted' });
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual(expect.arrayContaining([arn(original), arn(retry)]));
    const drops = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input).filter((c) => c.UpdateExpression === 'REMOVE holders.#h');
    expect(drops.map((d) => d.ExpressionAttributeNames!['#h'])).toEqual([original]);
    expect(logger.lines.filter((l) => l.attributes['staleHolder'] !== undefined).map((l) => [l.attributes['staleHolder'], l.attributes['reason']])).toEqual([[original, 'FAILED']]);
  });

  it('GIVEN the step runs in the retry <name>-r1 THEN it acquires, holds and releases the slot as <name>-r1 (the payload\'s executionName), and logs that name', async () => {
    const retry = `${holder}-r1`;
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(DescribeSnapshotsCommand).resolves(pendingCopies(0));
    ec2.on(CopySnapshotCommand).resolves({ SnapshotId: 'snap-0copy' });
    ddb.on(PutItemCommand).resolves({});
    const deps = stepDeps();
    const event = (step: Step, d: CopyData) => ({ step, executionName: retry, executionStartTime: '2026-02-28T00:00:00Z', data: d });
    expect(await runStep(event('admit', data), deps)).toMatchObject({ outcome: 'admitted' });
    expect(await runStep(event('copy', { ...data, sourceTags: [] }), deps)).toMatchObject({ outcome: 'copying' });
    expect(await runStep(event('release', data), deps)).toEqual(data);
    expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input.ExpressionAttributeNames!['#h'])).toEqual([retry, retry, retry]);
    expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!['executionName']).toEqual({ S: retry });
    expect(deps.logger.lines.every((l) => l.attributes['executionName'] === retry)).toBe(true);
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['longer than 80 characters', `${'x'.repeat(81)}`],
    ['with whitespace', 'a name'],
  ])('GIVEN a payload whose executionName is %s THEN the step throws InvalidCopyInput and touches nothing', async (_what, executionName) => {
    await expect(runStep({ step: 'admit', executionName: executionName as string, executionStartTime: '2026-02-28T00:00:00Z', data }, stepDeps())).rejects.toMatchObject({ name: 'InvalidCopyInput', message: expect.stringContaining('executionName') });
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'InternalServerError'])(
    'GIVEN DynamoDB answers %s after the SDK retries THEN admit answers wait (the admission backoff), logged with the error',
    async (code) => {
      ddb.on(UpdateItemCommand).rejects(Object.assign(new Error(code), { name: code, $metadata: {} }));
      const { result, logger } = run('admit', data, {}, undefined, 5);
      expect(await result).toMatchObject({ outcome: 'wait', waitSeconds: waitAfter(5) });
      expect(logger.lines.find((l) => l.level === 'warn')!.attributes).toMatchObject({ error: { name: 'SlotTableUnavailable' } });
    },
  );

  // A network failure that outlived the SDK's retries: the Node.js error (its `code`) with the retry
  // middleware's $metadata (attempts), no HTTP status. The codes are the SDK's own transient ones
  // (NODEJS_TIMEOUT_ERROR_CODES, NODEJS_NETWORK_ERROR_CODES of @smithy/core's service-error-classification).
  it.each(['ECONNRESET', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH'])('GIVEN DynamoDB unreachable (%s) after the SDK retries THEN admit answers wait (the admission backoff), never an error that fails the execution', async (code) => {
    ddb.on(UpdateItemCommand).rejects(Object.assign(new Error(`${code} dynamodb.us-east-1.amazonaws.com`), { code, $metadata: { attempts: 3, totalRetryDelay: 300 } }));
    const { result, logger } = run('admit', data, {}, undefined, 5);
    expect(await result).toMatchObject({ outcome: 'wait', waitSeconds: waitAfter(5) });
    expect(logger.lines.find((l) => l.level === 'warn')!.attributes).toMatchObject({ error: { name: 'SlotTableUnavailable' } });
  });

  it('GIVEN the copy ledger throttled (BatchGetItem) when admit counts the pending copies THEN admit answers wait (the admission backoff), keeping its slot', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(DescribeSnapshotsCommand).resolves(pendingCopies(3));
    ddb.on(BatchGetItemCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException', $metadata: {} }));
    const { result, logger } = run('admit', data, {}, undefined, 2);
    expect(await result).toEqual({ ...data, outcome: 'wait', waitSeconds: waitAfter(2) });
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
    expect(logger.lines.find((l) => l.level === 'warn')!.attributes).toMatchObject({ error: { name: 'SlotTableUnavailable', message: expect.stringContaining(LEDGER) } });
  });

  it.each(['find', 'confirm'] as const)('GIVEN the copy ledger throttled (Query) on %s THEN it answers unavailable (the outage wait), naming DynamoDB; 7 days after the start Ec2Unavailable names DynamoDB', async (step) => {
    ddb.on(QueryCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: {} }));
    const deps = stepDeps({}, 0);
    expect(await runStep({ step, executionStartTime: '2026-02-28T00:00:00Z', data, outages: 2 }, deps)).toEqual({ ...data, outcome: 'unavailable', waitSeconds: 120 });
    expect(deps.logger.lines.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('DynamoDB (the copy ledger) unavailable'), attributes: { error: { name: 'SlotTableUnavailable' } } });
    expect(ec2.calls()).toHaveLength(0);
    await expect(runStep({ step, executionStartTime: '2026-02-22T00:00:00Z', data, outages: 90 }, deps)).rejects.toMatchObject({ name: 'Ec2Unavailable', message: expect.stringContaining('DynamoDB (the copy ledger) still unavailable 7 days') });
  });

  it('GIVEN EC2 throttles the count of pending copies after the slot was acquired THEN admit answers wait (keeping its slot)', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(DescribeSnapshotsCommand).rejects(awsError('RequestLimitExceeded', 503));
    expect(await run('admit').result).toMatchObject({ outcome: 'wait' });
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('GIVEN DynamoDB refuses (AccessDeniedException) THEN admit fails with CopyPermissionDenied (terminal), not a retryable error', async () => {
    ddb.on(UpdateItemCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $fault: 'client', $metadata: {} }));
    await expect(run('admit').result).rejects.toMatchObject({ name: 'CopyPermissionDenied', message: expect.stringContaining('AccessDeniedException') });
  });

  it('GIVEN its slot was reclaimed before the copy THEN copy answers wait and never calls CopySnapshot', async () => {
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    expect(await run('copy', { ...data, sourceTags: [] }).result).toMatchObject({ outcome: 'wait' });
    expect(ec2.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toMatchObject({ UpdateExpression: 'SET holders.#h = :now', ConditionExpression: 'attribute_exists(holders.#h)', ExpressionAttributeNames: { '#h': holder } });
  });

  it('GIVEN DynamoDB unavailable when the copy confirms its slot THEN copy answers wait and never calls CopySnapshot', async () => {
    ddb.on(UpdateItemCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: {} }));
    expect(await run('copy', { ...data, sourceTags: [] }).result).toMatchObject({ outcome: 'wait' });
    expect(ec2.commandCalls(CopySnapshotCommand)).toHaveLength(0);
  });

  it('GIVEN release THEN it removes the holder conditionally; a slot already released is success (idempotent)', async () => {
    ddb.on(UpdateItemCommand).resolvesOnce({}).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const first = run('release', { ...data, outcome: 'copied' });
    expect(await first.result).toEqual({ ...data, outcome: 'copied' });
    expect(first.logger.lines.at(-1)!.attributes).toMatchObject({ step: 'release', slotReleased: true });
    const again = run('release', { ...data, outcome: 'copied' });
    expect(await again.result).toEqual({ ...data, outcome: 'copied' });
    expect(again.logger.lines.at(-1)!.attributes).toMatchObject({ slotReleased: false });
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'ebs-event-hub-copy-slots',
      Key: { slot: { S: `${MEMBER_ACCOUNT}#us-east-1` } },
      UpdateExpression: 'REMOVE holders.#h',
      ConditionExpression: 'attribute_exists(holders.#h)',
      ExpressionAttributeNames: { '#h': holder },
    });
    expect(ec2.calls()).toHaveLength(0);
  });

  it('GIVEN 7 days since the execution started THEN admit gives up with CopyWaitTimedOut (logged as an error)', async () => {
    const { result, logger } = run('admit', data, {}, '2026-02-22T00:00:00Z');
    await expect(result).rejects.toMatchObject({ name: 'CopyWaitTimedOut', message: expect.stringContaining('after 7 days') });
    expect(ec2.calls()).toHaveLength(0);
    expect(logger.lines.at(-1)!.level).toBe('error');
  });

  it('GIVEN a copy THEN sends CopySnapshot once through the no-retry client, with tags, KMS key and expiry', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(CopySnapshotCommand).resolves({ SnapshotId: 'snap-0copy' });
    const { result, clients } = run('copy', { ...data, sourceTags: [{ Key: 'Name', Value: 'db' }] }, { KMS_KEY_ID: 'alias/dr', RETENTION_DAYS: '30' });
    expect(await result).toMatchObject({ outcome: 'copying', copySnapshotId: 'snap-0copy', copyStartedAt: now.toISOString() });
    expect(clients.targets).toEqual([expect.objectContaining({ region: 'us-east-1', forCopy: true })]);
    const sent = ec2.commandCalls(CopySnapshotCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({ SourceRegion: 'us-west-2', SourceSnapshotId: 'snap-0abc1234', Encrypted: true, KmsKeyId: 'alias/dr' });
    expect(sent.TagSpecifications![0]!.Tags).toContainEqual({ Key: EXPIRES_AT_TAG, Value: '2026-03-31T00:00:00Z' });
    expect(sent.TagSpecifications![0]!.Tags).toContainEqual({ Key: 'Name', Value: 'db' });
  });

  it.each([
    ['ResourceLimitExceeded', 400],
    ['RequestLimitExceeded', 503],
  ])('GIVEN CopySnapshot refused with %s (%s: nothing copied) THEN copy answers wait with the grown backoff, keeping its slot', async (code, status) => {
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(CopySnapshotCommand).rejects(awsError(code, status));
    const { result, logger } = run('copy', { ...data, sourceTags: [], lastError: { Error: 'X' } }, {}, undefined, 4);
    expect(await result).toEqual({ ...data, sourceTags: [], outcome: 'wait', waitSeconds: waitAfter(4) });
    expect(ec2.commandCalls(CopySnapshotCommand)).toHaveLength(1);
    // Hold only: the slot is not released.
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
    expect(logger.lines.at(-1)!.attributes).toMatchObject({ step: 'copy', outcome: 'wait', error: { name: code } });
  });

  it.each([
    ['UnauthorizedOperation', 403, 'CopyPermissionDenied'],
    ['InvalidSnapshot.NotFound', 400, 'SourceSnapshotGone'],
    ['InternalError', 500, 'CopyOutcomeUnknown'],
    ['TimeoutError', undefined, 'CopyOutcomeUnknown'],
  ])('GIVEN CopySnapshot fails with %s (%s) THEN throws %s', async (code, status, expected) => {
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(CopySnapshotCommand).rejects(awsError(code, status));
    await expect(run('copy', { ...data, sourceTags: [] }).result).rejects.toMatchObject({ name: expected });
    expect(ec2.commandCalls(CopySnapshotCommand)).toHaveLength(1);
  });

  it('GIVEN an ambiguous error earlier THEN confirm finds the copy this attempt made (and records it), or throws CopyNotVisibleYet', async () => {
    const attempt = '2026-02-28T23:59:00.000Z';
    const made = { SnapshotId: 'snap-0copy', State: 'pending' as const, Description: `Copy of snap-0abc1234 from us-west-2 (account ${MEMBER_ACCOUNT}) by ebs-event-hub snapshot-copy`, StartTime: new Date(attempt), Tags: [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: 'snap-0abc1234' }] };
    ddb.on(QueryCommand).resolves({ Items: [] }); // nothing recorded: the Copy step never got an answer
    ec2.on(DescribeSnapshotsCommand).resolvesOnce({ Snapshots: [] }).resolvesOnce({ Snapshots: [made] });
    await expect(run('confirm').result).rejects.toMatchObject({ name: 'CopyNotVisibleYet' });
    const lastError = { Error: 'CopyOutcomeUnknown', Cause: JSON.stringify({ errorType: 'CopyOutcomeUnknown', errorMessage: `CopySnapshot of snap-0abc1234 to us-east-1 attempted at ${attempt}: outcome unknown (InternalError)` }) };
    expect(await run('confirm', { ...data, lastError }).result).toEqual(expect.objectContaining({ outcome: 'found', copySnapshotId: 'snap-0copy' }));
    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item!['copySnapshotId'])).toEqual([{ S: 'snap-0copy' }]);
  });

  it('GIVEN a copy in error THEN poll asks for a re-copy, then fails with CopyFailed carrying the StateMessage', async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0copy', State: 'error', StateMessage: 'KMS key disabled' }] });
    const copying = { ...data, copySnapshotId: 'snap-0copy', copyStartedAt: '2026-02-28T23:00:00Z' };
    expect(await run('poll', copying).result).toMatchObject({ outcome: 'recopy', recopies: 1, failedCopies: [{ copySnapshotId: 'snap-0copy' }] });
    await expect(run('poll', { ...copying, recopies: 2 }).result).rejects.toMatchObject({ name: 'CopyFailed', message: expect.stringMatching(/snap-0abc1234.*222222222222.*us-west-2 → us-east-1.*KMS key disabled/) });
  });

  it('GIVEN a pending copy THEN poll throws CopyPending, CopyStillPending once it is 2.5 hours old, and CopyWaitTimedOut after 7 days', async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0copy', State: 'pending' }] });
    const pendingSince = (at: string) => run('poll', { ...data, copySnapshotId: 'snap-0copy', copyStartedAt: at }).result;
    await expect(pendingSince('2026-02-28T23:00:00Z')).rejects.toMatchObject({ name: 'CopyPending' });
    await expect(pendingSince('2026-02-28T21:30:01Z')).rejects.toMatchObject({ name: 'CopyPending' });
    await expect(pendingSince('2026-02-28T21:30:00Z')).rejects.toMatchObject({ name: 'CopyStillPending' });
    await expect(pendingSince('2026-02-22T00:00:00Z')).rejects.toMatchObject({ name: 'CopyWaitTimedOut' });
  });

  it.each([
    ['RequestLimitExceeded', 503],
    ['InternalError', 500],
    ['TimeoutError', undefined],
  ])('GIVEN EC2 answers %s (%s) to a poll after the SDK retries THEN poll reports the copy pending (the copy goes on), never Ec2Unavailable', async (code, status) => {
    ec2.on(DescribeSnapshotsCommand).rejects(awsError(code, status));
    const { result, logger } = run('poll', { ...data, copySnapshotId: 'snap-0copy', copyStartedAt: '2026-02-28T23:00:00Z' });
    await expect(result).rejects.toMatchObject({ name: 'CopyPending', message: expect.stringContaining('not seen') });
    expect(logger.lines.find((l) => l.level === 'warn')!.attributes).toMatchObject({ error: { name: 'Ec2Unavailable' } });
  });

  it('GIVEN a failure that is not from AWS (a bug) THEN it surfaces under its own name, not as EC2 trouble', async () => {
    ledgerHasACopy();
    ec2.on(DescribeSnapshotsCommand).rejects(new TypeError('cannot read properties of undefined'));
    await expect(run('find').result).rejects.toMatchObject({ name: 'TypeError' });
  });

  it('GIVEN a reset connection on a read THEN unavailable (the definition waits and runs the step again)', async () => {
    ledgerHasACopy();
    ec2.on(DescribeSnapshotsCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(await run('find').result).toMatchObject({ outcome: 'unavailable' });
  });

  it('GIVEN an unknown step or bad data THEN throws InvalidCopyInput', async () => {
    await expect(run('nope' as Step).result).rejects.toMatchObject({ name: 'InvalidCopyInput' });
    await expect(run('find', { ...data, account: 'x' }).result).rejects.toMatchObject({ name: 'InvalidCopyInput' });
  });
});

describe('clients', () => {
  it('gives CopySnapshot a client with one attempt, even when the reads get an injected retry strategy', async () => {
    const clients = createClientProvider({ stsRegion: 'us-east-1', ec2Config: { maxAttempts: 7 } });
    const copy = clients.ec2({ region: 'us-east-1', forCopy: true }) as EC2Client;
    const read = clients.ec2({ region: 'us-east-1' }) as EC2Client;
    expect(await copy.config.maxAttempts()).toBe(COPY_EC2_CONFIG.maxAttempts);
    expect(await copy.config.maxAttempts()).toBe(1);
    expect(await read.config.maxAttempts()).toBe(7);
    // Reads: two attempts (bench:burst's throttling storm: a third attempt is one more refused call).
    expect(DEFAULT_EC2_CONFIG.maxAttempts).toBe(2);
    expect(copy).not.toBe(read);
  });

  it('keeps at most MAX_CACHED_EC2_CLIENTS EC2 clients (a sweep meets every account and region), dropping the least recently used', () => {
    expect(MAX_CACHED_EC2_CLIENTS).toBe(256);
    const clients = createClientProvider({ stsRegion: 'us-east-1', maxEc2Clients: 3 });
    const role = (n: number) => ({ region: 'us-east-1', roleArn: `arn:aws:iam::${String(200_000_000_000 + n)}:role/r` });
    const [a, b, c] = [0, 1, 2].map((n) => clients.ec2(role(n)));
    expect(clients.ec2(role(0))).toBe(a); // used again: now the most recent
    clients.ec2(role(3)); // a fourth: the least recently used (1) is dropped
    expect(clients.ec2(role(0))).toBe(a);
    expect(clients.ec2(role(2))).toBe(c);
    expect(clients.ec2(role(1))).not.toBe(b);
  });
});

describe('sweep', () => {
  const start = '2026-06-01T00:00:00.000Z';
  const VAULT = '999999999999';
  const tags = (expiry: string, source = 'snap-src') => [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: source }, { Key: EXPIRES_AT_TAG, Value: expiry }];
  /** Items of the index by-kind-expiry (table and index keys + sourceSnapshotId). */
  const item = (id: string, where = `${MEMBER_ACCOUNT}#us-east-1`, kind = 'member-copy', expiresAt = '2026-05-01T00:00:00Z') => ({
    kind: { S: kind }, expiresAt: { S: expiresAt }, target: { S: where }, copySnapshotId: { S: id }, sourceSnapshotId: { S: 'snap-src' },
  });
  const env = { MEMBER_ROLE_NAME: 'copy-role', LEDGER_TABLE_NAME: LEDGER, SWEEP_KINDS: 'member-copy,vault-copy', VAULT_ACCOUNT_ID: VAULT, VAULT_ROLE_NAME: 'ebs-event-hub-vault-copy' };
  const event = (state: Record<string, unknown> = { outcome: 'start', cause: 'no page swept yet' }, over: Record<string, unknown> = {}) => ({ executionStartTime: start, state, pageSize: 1000, stopAfterSeconds: 64_800, ...over });
  const sweep = (input: unknown, options: { timeLeftMs?: () => number; now?: string } = {}) => {
    const targets: Ec2Target[] = [];
    const logger = recordingLogger();
    const result = handleSweep(input, {
      config: loadSweepConfig(env),
      clients: { ec2: (t) => (targets.push(t), new EC2Client({ region: t.region })) },
      ledger: createLedgerStore(new DynamoDBClient({ region: 'us-east-1' }), LEDGER),
      logger,
      self: { account: OWN_ACCOUNT, partition: 'aws' },
      now: () => new Date(options.now ?? '2026-06-01T00:05:00Z'),
      timeLeftMs: options.timeLeftMs ?? (() => 900_000),
    });
    return { result, targets, logger };
  };

  it('GIVEN a page of expired ledger copies in several accounts THEN describes each account and region by id under its role, deletes only those whose tags agree, forgets what is gone, and answers where the next page starts', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [item('snap-old'), item('snap-later'), item('snap-gone'), item('snap-ami'), item('snap-retagged'), item('snap-own', `${OWN_ACCOUNT}#eu-west-1`)],
      LastEvaluatedKey: item('snap-own', `${OWN_ACCOUNT}#eu-west-1`),
    });
    ec2.on(DescribeSnapshotsCommand, { Filters: [{ Name: 'snapshot-id', Values: ['snap-old', 'snap-later', 'snap-gone', 'snap-ami', 'snap-retagged'] }] }).resolves({
      Snapshots: [
        { SnapshotId: 'snap-old', Tags: tags('2026-05-01T00:00:00Z') },
        { SnapshotId: 'snap-later', Tags: tags('2026-07-01T00:00:00Z') },
        { SnapshotId: 'snap-ami', Tags: tags('2026-05-01T00:00:00Z') },
        { SnapshotId: 'snap-retagged', Tags: tags('2026-05-01T00:00:00Z', 'snap-other') },
      ],
    });
    ec2.on(DescribeSnapshotsCommand, { Filters: [{ Name: 'snapshot-id', Values: ['snap-own'] }] }).resolves({ Snapshots: [{ SnapshotId: 'snap-own', Tags: tags('2026-05-01T00:00:00Z') }] });
    ec2.on(DeleteSnapshotCommand).resolves({});
    ec2.on(DeleteSnapshotCommand, { SnapshotId: 'snap-ami' }).rejects(awsError('InvalidSnapshot.InUse', 400));
    const { result, targets } = sweep(event());
    expect(await result).toEqual({
      outcome: 'more',
      cursor: { kind: 'member-copy', after: { target: `${OWN_ACCOUNT}#eu-west-1`, copySnapshotId: 'snap-own', expiresAt: '2026-05-01T00:00:00Z' } },
      summary: { examined: 6, deleted: 2, gone: 1, notExpired: 1, inUse: 1, kept: 1, failed: 0 },
      cause: '6 expired copies examined: 2 deleted, 1 already gone, 1 kept (tags changed), 1 in use by an AMI, 1 not expired (expiry tag moved later), 0 failed; expired copies remain: the next daily sweep goes on from the oldest',
    });
    expect(ec2.commandCalls(DeleteSnapshotCommand).map((c) => c.args[0].input.SnapshotId).sort()).toEqual(['snap-ami', 'snap-old', 'snap-own']);
    expect(ddb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input.Key).sort((a, b) => a!['copySnapshotId']!.S!.localeCompare(b!['copySnapshotId']!.S!))).toEqual([
      { target: { S: `${MEMBER_ACCOUNT}#us-east-1` }, copySnapshotId: { S: 'snap-gone' } },
      { target: { S: `${MEMBER_ACCOUNT}#us-east-1` }, copySnapshotId: { S: 'snap-old' } },
      { target: { S: `${OWN_ACCOUNT}#eu-west-1` }, copySnapshotId: { S: 'snap-own' } },
    ]);
    // The member account under the member role; the function's own account with its own credentials.
    expect(targets).toEqual([{ region: 'us-east-1', roleArn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/copy-role`, roleSessionName: 'snapshot-copy-sweep' }, { region: 'eu-west-1' }]);
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: LEDGER,
        IndexName: 'by-kind-expiry',
        KeyConditionExpression: '#k = :k AND #e <= :now',
        ExpressionAttributeNames: { '#k': 'kind', '#e': 'expiresAt' },
        // The execution's start, not the function's clock: every page of one execution has one cut-off.
        ExpressionAttributeValues: { ':k': { S: 'member-copy' }, ':now': { S: '2026-06-01T00:00:00Z' } },
        Limit: 1000,
      },
    ]);
  });

  it('GIVEN a cursor THEN the Query starts after it; GIVEN the last page of member copies THEN the vault copies come next, under the vault role, then done', async () => {
    const after = { target: `${MEMBER_ACCOUNT}#us-east-1`, copySnapshotId: 'snap-x', expiresAt: '2026-04-01T00:00:00Z' };
    ddb.on(QueryCommand, { IndexName: 'by-kind-expiry', ExpressionAttributeValues: { ':k': { S: 'member-copy' }, ':now': { S: '2026-06-01T00:00:00Z' } } }).resolves({ Items: [] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':k': { S: 'vault-copy' }, ':now': { S: '2026-06-01T00:00:00Z' } } }).resolves({ Items: [item('snap-v', `${VAULT}#eu-central-1`, 'vault-copy')] });
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-v', Tags: tags('2026-05-01T00:00:00Z') }] });
    ec2.on(DeleteSnapshotCommand).resolves({});
    const first = await sweep(event({ outcome: 'more', cursor: { kind: 'member-copy', after }, summary: { examined: 5, deleted: 5, gone: 0, notExpired: 0, inUse: 0, kept: 0, failed: 0 }, cause: '' })).result;
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input.ExclusiveStartKey).toEqual({ kind: { S: 'member-copy' }, expiresAt: { S: after.expiresAt }, target: { S: after.target }, copySnapshotId: { S: 'snap-x' } });
    expect(first).toMatchObject({ outcome: 'more', cursor: { kind: 'vault-copy' }, summary: { examined: 5, deleted: 5 } });
    const { result, targets } = sweep(event({ ...first }));
    expect(await result).toMatchObject({ outcome: 'done', summary: { examined: 6, deleted: 6, failed: 0 }, cause: expect.stringMatching(/^6 expired copies examined: 6 deleted,.* 0 failed$/) });
    expect((await result).cursor).toBeUndefined();
    expect(targets).toEqual([{ region: 'eu-central-1', roleArn: `arn:aws:iam::${VAULT}:role/ebs-event-hub-vault-copy`, roleSessionName: 'snapshot-copy-sweep' }]);
  });

  it('GIVEN deletions EC2 refuses (throttled, AccessDenied) THEN each fails alone, the others are deleted, and the first failure is named', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item('snap-a'), item('snap-b'), item('snap-c')] });
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: ['snap-a', 'snap-b', 'snap-c'].map((id) => ({ SnapshotId: id, Tags: tags('2026-05-01T00:00:00Z') })) });
    ec2.on(DeleteSnapshotCommand, { SnapshotId: 'snap-a' }).rejects(awsError('RequestLimitExceeded', 503, 'Request limit exceeded.'));
    ec2.on(DeleteSnapshotCommand, { SnapshotId: 'snap-b' }).rejects(awsError('UnauthorizedOperation', 403));
    ec2.on(DeleteSnapshotCommand, { SnapshotId: 'snap-c' }).resolves({});
    const state = await sweep(event({ outcome: 'more', cursor: { kind: 'member-copy' }, cause: '' })).result;
    expect(state.summary).toEqual({
      examined: 3, deleted: 1, gone: 0, notExpired: 0, inUse: 0, kept: 0, failed: 2,
      firstFailure: { kind: 'member-copy', account: MEMBER_ACCOUNT, region: 'us-east-1', copySnapshotId: 'snap-a', error: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
    });
    expect(state.cause).toContain('2 failed; first failure: member-copy snap-a of 222222222222 in us-east-1: RequestLimitExceeded: Request limit exceeded.');
    expect(ddb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input.Key!['copySnapshotId']!.S)).toEqual(['snap-c']);
  });

  it('GIVEN a vault copy the ledger records in an account that is not the configured vault THEN it fails (NotTheVaultAccount) without any call: the sweep may assume only the vault role', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item('snap-v', '888888888888#us-east-1', 'vault-copy')] });
    const { result, targets } = sweep(event({ outcome: 'more', cursor: { kind: 'vault-copy' }, cause: '' }));
    expect(await result).toMatchObject({ outcome: 'done', summary: { examined: 1, failed: 1, firstFailure: { kind: 'vault-copy', account: '888888888888', error: 'NotTheVaultAccount', message: expect.stringContaining(`but the vault is ${VAULT}`) } } });
    expect(targets).toEqual([]);
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('GIVEN a vault copy in the configured vault that the ledger cannot forget THEN it is deleted but counted failed (its item stays until a later sweep finds it gone)', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item('snap-v', `${VAULT}#us-east-1`, 'vault-copy')] });
    ddb.on(DeleteItemCommand).rejects(awsError('ProvisionedThroughputExceededException', 400));
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-v', Tags: tags('2026-05-01T00:00:00Z') }] });
    ec2.on(DeleteSnapshotCommand).resolves({});
    const state = await sweep(event({ outcome: 'more', cursor: { kind: 'vault-copy' }, cause: '' })).result;
    expect(state.summary).toMatchObject({ examined: 1, deleted: 0, failed: 1, firstFailure: { kind: 'vault-copy', error: 'SlotTableUnavailable', message: expect.stringMatching(/^deleted, but its ledger item was not removed: DeleteItem/) } });
    expect(ec2.commandCalls(DeleteSnapshotCommand)).toHaveLength(1);
  });

  it('GIVEN DescribeSnapshots refused for one account THEN that account\'s copies fail, the other account\'s are swept', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item('snap-denied'), item('snap-ok', '333333333333#us-east-1')] });
    ec2.on(DescribeSnapshotsCommand, { Filters: [{ Name: 'snapshot-id', Values: ['snap-denied'] }] }).rejects(awsError('UnauthorizedOperation', 403, 'You are not authorized to perform this operation.'));
    ec2.on(DescribeSnapshotsCommand, { Filters: [{ Name: 'snapshot-id', Values: ['snap-ok'] }] }).resolves({ Snapshots: [{ SnapshotId: 'snap-ok', Tags: tags('2026-05-01T00:00:00Z') }] });
    ec2.on(DeleteSnapshotCommand).resolves({});
    const state = await sweep(event()).result;
    expect(state).toMatchObject({ outcome: 'more', cursor: { kind: 'vault-copy' }, summary: { examined: 2, deleted: 1, failed: 1, firstFailure: { copySnapshotId: 'snap-denied', error: 'UnauthorizedOperation' } } });
  });

  it('GIVEN less time left than a call may take THEN no call starts, and the cursor stays where the done prefix of the page ends', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item('snap-1'), item('snap-2'), item('snap-3')], LastEvaluatedKey: item('snap-3') });
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: ['snap-1', 'snap-2', 'snap-3'].map((id) => ({ SnapshotId: id, Tags: tags('2026-05-01T00:00:00Z') })) });
    ec2.on(DeleteSnapshotCommand).resolves({});
    // Enough time for the describe and the first copy, then less than SWEEP_RESERVE_MS.
    const left = [900_000, 900_000, 1_000];
    const state = await sweep(event({ outcome: 'more', cursor: { kind: 'member-copy' }, cause: '' }), { timeLeftMs: () => left.shift() ?? 1_000 }).result;
    expect(ec2.commandCalls(DeleteSnapshotCommand).map((c) => c.args[0].input.SnapshotId)).toEqual(['snap-1']);
    expect(state).toMatchObject({ outcome: 'more', cursor: { kind: 'member-copy', after: { copySnapshotId: 'snap-1' } }, summary: { examined: 1, deleted: 1 } });
  });

  it('GIVEN an execution that has run stopAfterSeconds THEN it answers out-of-time without reading the ledger', async () => {
    const { result } = sweep(event({ outcome: 'more', cursor: { kind: 'member-copy' }, cause: '' }), { now: '2026-06-01T18:00:00Z' });
    expect(await result).toMatchObject({ outcome: 'out-of-time', cursor: { kind: 'member-copy' }, cause: expect.stringContaining('expired copies remain') });
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each([
    [{ account: '1', region: 'us-east-1' }, 'has no executionStartTime'],
    [undefined, 'is not an object'],
    [{ ...event(), pageSize: 1001 }, 'pageSize that is not a whole number from 1 to 1000'],
    [{ ...event(), stopAfterSeconds: 0 }, 'has no positive stopAfterSeconds'],
    [event({ outcome: 'later', cause: '' }), 'has no state.outcome'],
    [event({ outcome: 'more', cursor: { kind: 'other-copy' }, cause: '' }), 'has a cursor of no kind this sweep serves (member-copy, vault-copy)'],
    [event({ outcome: 'more', cursor: { kind: 'member-copy', after: { target: 't' } }, cause: '' }), 'has a cursor position without target, copySnapshotId and expiresAt'],
    [event({ outcome: 'more', summary: { examined: 1 }, cause: '' }), 'has a summary without its counts'],
  ])('GIVEN input %j THEN MalformedEventError naming what is wrong, and no call', async (input, why) => {
    await expect(sweep(input).result).rejects.toMatchObject({ name: 'MalformedEventError', message: expect.stringContaining(why) });
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });
});

