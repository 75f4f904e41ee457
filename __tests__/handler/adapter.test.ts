/**
 * The thin AWS adapters (start, step, sweep) with the SDK clients mocked (aws-sdk-client-mock):
 * which calls they make, with what input, and how each AWS answer maps to a result or a named error.
 */
import { CopySnapshotCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetItemCommand, ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand, type BatchGetItemCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { COPY_EC2_CONFIG, DEFAULT_EC2_CONFIG, createClientProvider, type ClientProvider, type Ec2Target } from '../../handlers/snapshot-copy/clients';
import { loadStartConfig, loadStepConfig, loadSweepConfig } from '../../handlers/snapshot-copy/config';
import { EXPIRES_AT_TAG, PROVENANCE_TAGS } from '../../handlers/snapshot-copy/decide';
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
  const run = (step: Step, d: CopyData = data, env: Record<string, string> = {}, startedAt = '2026-02-28T00:00:00Z') => {
    const clients = provider();
    const logger = recordingLogger();
    const config = loadStepConfig({ MEMBER_ROLE_NAME: 'copy-role', MAX_IN_FLIGHT_COPIES: '15', SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots', LEDGER_TABLE_NAME: LEDGER, ...env });
    const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
    const slots = createSlotStore(dynamodb, config.slotsTableName);
    const ledger = createLedgerStore(dynamodb, config.ledgerTableName);
    const result = runStep({ step, executionStartTime: startedAt, data: d }, { config, clients, logger, slots, ledger, self: { account: OWN_ACCOUNT, partition: 'aws' }, now: () => now });
    return { result, clients, logger };
  };

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

  it('GIVEN RequestLimitExceeded outliving the SDK retries on a read THEN throws Ec2Unavailable', async () => {
    ledgerHasACopy();
    ec2.on(DescribeSnapshotsCommand).rejects(awsError('RequestLimitExceeded', 503));
    await expect(run('find').result).rejects.toMatchObject({ name: 'Ec2Unavailable' });
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

  it('GIVEN a slot acquired but EC2 shows 15 of our copies pending (started outside the semaphore) THEN admit releases the slot and throws CopySlotsFull', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(DescribeSnapshotsCommand).resolves(pendingCopies(15));
    ledgerRecords(...pendingCopies(15).Snapshots.map((c) => c.SnapshotId));
    await expect(run('admit').result).rejects.toMatchObject({ name: 'CopySlotsFull', message: expect.stringContaining('15 of this app') });
    const calls = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ UpdateExpression: 'REMOVE holders.#h', ConditionExpression: 'attribute_exists(holders.#h)', ExpressionAttributeNames: { '#h': holder } });
  });

  it('GIVEN 15 holders acquired minutes ago (ConditionalCheckFailedException) THEN admit throws CopySlotsFull without asking EC2', async () => {
    ddb.on(UpdateItemCommand).rejects(full(holders(5)));
    await expect(run('admit').result).rejects.toMatchObject({ name: 'CopySlotsFull', message: expect.stringContaining('15 copy slots') });
    expect(ec2.calls()).toHaveLength(0);
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

  it('GIVEN full slots with holders older than 15 minutes THEN admit reads every page of pending copies, drops only the holders without one, and acquires', async () => {
    const aged = holders(20);
    const names = Object.keys(aged);
    ddb.on(UpdateItemCommand).rejectsOnce(full(aged)).resolves({});
    // Pending copies (two pages) of every holder's snapshot but the first.
    const copyOf = (name: string) => ({ SnapshotId: `snap-c${name.slice(-14, -10)}`, State: 'pending' as const, Tags: [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: /-(snap-[0-9a-f]+)-/.exec(name)![1]! }] });
    ec2
      .on(DescribeSnapshotsCommand)
      .resolvesOnce({ Snapshots: names.slice(1, 8).map(copyOf), NextToken: 't1' })
      .resolvesOnce({ Snapshots: names.slice(8).map(copyOf) })
      .resolves({ Snapshots: names.slice(1).map(copyOf) });
    ledgerRecords(...names.map((n) => copyOf(n).SnapshotId));
    const { result, logger } = run('admit');
    expect(await result).toMatchObject({ outcome: 'admitted' });
    expect(ec2.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toEqual(pendingQuery);
    expect(ec2.commandCalls(DescribeSnapshotsCommand)[1]!.args[0].input.NextToken).toBe('t1');
    const calls = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(3);
    expect(calls[1]).toMatchObject({ UpdateExpression: 'REMOVE holders.#h', ConditionExpression: 'holders.#h = :seen', ExpressionAttributeNames: { '#h': names[0] }, ExpressionAttributeValues: { ':seen': { S: aged[names[0]!] } } });
    const dropLine = logger.lines.find((l) => l.attributes['staleHolder'] !== undefined)!;
    expect(dropLine).toMatchObject({ level: 'warn', attributes: { staleHolder: names[0], acquiredAt: aged[names[0]!] } });
  });

  it('GIVEN full slots whose aged holders all have pending copies THEN admit throws CopySlotsFull and drops nothing', async () => {
    const aged = holders(20);
    ddb.on(UpdateItemCommand).rejects(full(aged));
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: Object.keys(aged).map((name, i) => ({ SnapshotId: `snap-c${i}`, State: 'pending' as const, Tags: [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: /-(snap-[0-9a-f]+)-/.exec(name)![1]! }] })) });
    ledgerRecords(...Object.keys(aged).map((_, i) => `snap-c${i}`));
    await expect(run('admit').result).rejects.toMatchObject({ name: 'CopySlotsFull' });
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it.each([
    ['ProvisionedThroughputExceededException', 'SlotTableUnavailable'],
    ['ThrottlingException', 'SlotTableUnavailable'],
    ['InternalServerError', 'SlotTableUnavailable'],
  ])('GIVEN DynamoDB answers %s after the SDK retries THEN admit throws %s (retried by the definition)', async (code, expected) => {
    ddb.on(UpdateItemCommand).rejects(Object.assign(new Error(code), { name: code, $metadata: {} }));
    await expect(run('admit').result).rejects.toMatchObject({ name: expected });
  });

  it('GIVEN DynamoDB refuses (AccessDeniedException) THEN admit fails with CopyPermissionDenied (terminal), not a retryable error', async () => {
    ddb.on(UpdateItemCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $fault: 'client', $metadata: {} }));
    await expect(run('admit').result).rejects.toMatchObject({ name: 'CopyPermissionDenied', message: expect.stringContaining('AccessDeniedException') });
  });

  it('GIVEN EC2 refused a copy (ResourceLimitExceeded) under 5 minutes ago THEN admit says full without acquiring; later it acquires', async () => {
    const refusal = (at: string) => ({ ...data, lastError: { Error: 'CopyQuotaExceeded', Cause: `CopySnapshot of snap-0abc1234 to us-east-1 refused at ${at}: ResourceLimitExceeded: …` } });
    await expect(run('admit', refusal('2026-02-28T23:55:01Z')).result).rejects.toMatchObject({ name: 'CopySlotsFull', message: expect.stringContaining('ResourceLimitExceeded') });
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
    ddb.on(UpdateItemCommand).resolves({});
    ec2.on(DescribeSnapshotsCommand).resolves(pendingCopies(0));
    expect(await run('admit', refusal('2026-02-28T23:55:00Z')).result).toMatchObject({ outcome: 'admitted' });
  });

  it('GIVEN its slot was dropped before the copy THEN copy throws CopySlotsFull and never calls CopySnapshot', async () => {
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(run('copy', { ...data, sourceTags: [] }).result).rejects.toMatchObject({ name: 'CopySlotsFull' });
    expect(ec2.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toMatchObject({ UpdateExpression: 'SET holders.#h = :now', ConditionExpression: 'attribute_exists(holders.#h)', ExpressionAttributeNames: { '#h': holder } });
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
    ['ResourceLimitExceeded', 400, 'CopyQuotaExceeded'],
    ['RequestLimitExceeded', 503, 'Ec2Unavailable'],
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

  it('GIVEN a pending copy THEN poll throws CopyPending, and CopyWaitTimedOut after 7 days', async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0copy', State: 'pending' }] });
    await expect(run('poll', { ...data, copySnapshotId: 'snap-0copy', copyStartedAt: '2026-02-28T23:00:00Z' }).result).rejects.toMatchObject({ name: 'CopyPending' });
    await expect(run('poll', { ...data, copySnapshotId: 'snap-0copy', copyStartedAt: '2026-02-22T00:00:00Z' }).result).rejects.toMatchObject({ name: 'CopyWaitTimedOut' });
  });

  it('GIVEN a failure that is not from AWS (a bug) THEN it surfaces under its own name, not as EC2 trouble', async () => {
    ledgerHasACopy();
    ec2.on(DescribeSnapshotsCommand).rejects(new TypeError('cannot read properties of undefined'));
    await expect(run('find').result).rejects.toMatchObject({ name: 'TypeError' });
  });

  it('GIVEN a reset connection on a read THEN Ec2Unavailable (retried by the definition)', async () => {
    ledgerHasACopy();
    ec2.on(DescribeSnapshotsCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await expect(run('find').result).rejects.toMatchObject({ name: 'Ec2Unavailable' });
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
    expect(DEFAULT_EC2_CONFIG.maxAttempts).toBe(3);
    expect(copy).not.toBe(read);
  });
});

describe('sweep', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const tags = (expiry: string, source = 'snap-src') => [{ Key: PROVENANCE_TAGS.sourceSnapshotId, Value: source }, { Key: EXPIRES_AT_TAG, Value: expiry }];
  /** Items of the index by-expiry (KEYS_ONLY + sourceSnapshotId). */
  const expired = (...ids: string[]) => ids.map((id) => ({ target: { S: `${MEMBER_ACCOUNT}#us-east-1` }, copySnapshotId: { S: id }, expiresAt: { S: '2026-05-01T00:00:00Z' }, sourceSnapshotId: { S: 'snap-src' } }));
  const sweep = (event: unknown) => {
    const targets: Ec2Target[] = [];
    const logger = recordingLogger();
    const result = handleSweep(event, {
      config: loadSweepConfig({ MEMBER_ROLE_NAME: 'copy-role', LEDGER_TABLE_NAME: LEDGER }),
      clients: { ec2: (t) => (targets.push(t), new EC2Client({ region: t.region })) },
      ledger: createLedgerStore(new DynamoDBClient({ region: 'us-east-1' }), LEDGER),
      logger,
      self: { account: OWN_ACCOUNT, partition: 'aws' },
      now: () => now,
    });
    return { result, targets, logger };
  };

  it('GIVEN pages of expired ledger copies THEN describes each page by id and deletes only those whose tags agree, under the member role, forgetting what is gone', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: expired('snap-old', 'snap-later'), LastEvaluatedKey: expired('snap-later')[0] })
      .resolvesOnce({ Items: expired('snap-gone', 'snap-ami', 'snap-retagged') });
    ec2
      .on(DescribeSnapshotsCommand)
      .resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-old', Tags: tags('2026-05-01T00:00:00Z') }, { SnapshotId: 'snap-later', Tags: tags('2026-07-01T00:00:00Z') }] })
      .resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-ami', Tags: tags('2026-05-01T00:00:00Z') }, { SnapshotId: 'snap-retagged', Tags: tags('2026-05-01T00:00:00Z', 'snap-other') }] });
    ec2.on(DeleteSnapshotCommand, { SnapshotId: 'snap-ami' }).rejects(awsError('InvalidSnapshot.InUse', 400));
    ec2.on(DeleteSnapshotCommand, { SnapshotId: 'snap-old' }).resolves({});
    const { result, targets } = sweep({ account: MEMBER_ACCOUNT, region: 'us-east-1' });
    expect(await result).toEqual({ account: MEMBER_ACCOUNT, region: 'us-east-1', examined: 5, deleted: 1, notExpired: 1, inUse: 1, kept: 1, gone: 1, failed: 0 });
    expect(ec2.commandCalls(DeleteSnapshotCommand).map((c) => c.args[0].input.SnapshotId)).toEqual(['snap-old', 'snap-ami']);
    expect(ddb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input.Key!['copySnapshotId']!.S)).toEqual(['snap-old', 'snap-gone']);
    expect(targets).toEqual([{ region: 'us-east-1', roleArn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/copy-role`, roleSessionName: 'snapshot-copy-sweep' }]);
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      TableName: LEDGER,
      IndexName: 'by-expiry',
      KeyConditionExpression: '#t = :t AND #e <= :now',
      ExpressionAttributeValues: { ':t': { S: `${MEMBER_ACCOUNT}#us-east-1` }, ':now': { S: '2026-06-01T00:00:00Z' } },
    });
    expect(ddb.commandCalls(QueryCommand)[1]!.args[0].input.ExclusiveStartKey).toEqual(expired('snap-later')[0]);
    expect(ec2.commandCalls(DescribeSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
      { OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: ['snap-old', 'snap-later'] }] },
      { OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: ['snap-gone', 'snap-ami', 'snap-retagged'] }] },
    ]);
  });

  it("GIVEN the function's own account THEN uses its own credentials", async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const { result, targets } = sweep({ account: OWN_ACCOUNT, region: 'us-east-1' });
    expect(await result).toMatchObject({ examined: 0, deleted: 0 });
    expect(targets).toEqual([{ region: 'us-east-1' }]);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('GIVEN a deletion EC2 refuses THEN finishes the sweep, keeps that ledger item, and throws SweepIncompleteError', async () => {
    ddb.on(QueryCommand).resolves({ Items: expired('snap-a', 'snap-b') });
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-a', Tags: tags('2026-05-01T00:00:00Z') }, { SnapshotId: 'snap-b', Tags: tags('2026-05-01T00:00:00Z') }] });
    ec2.on(DeleteSnapshotCommand, { SnapshotId: 'snap-a' }).rejects(awsError('UnauthorizedOperation', 403));
    ec2.on(DeleteSnapshotCommand, { SnapshotId: 'snap-b' }).resolves({});
    await expect(sweep({ account: MEMBER_ACCOUNT, region: 'us-east-1' }).result).rejects.toMatchObject({ name: 'SweepIncompleteError', message: expect.stringContaining('1 expired copies could not be deleted (1 deleted)') });
    expect(ddb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input.Key!['copySnapshotId']!.S)).toEqual(['snap-b']);
  });

  it.each([[{ account: '1', region: 'us-east-1' }], [{ account: MEMBER_ACCOUNT }], [undefined]])('GIVEN input %j THEN MalformedEventError', async (event) => {
    await expect(sweep(event).result).rejects.toMatchObject({ name: 'MalformedEventError' });
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });
});
