/**
 * The snapshot-copy handler through the REAL AWS SDK v3 stack (serializers, signing, retry strategy,
 * XML parsing) against a loopback stand-in for EC2 and STS on 127.0.0.1 (scripts/support/ec2-standin.ts).
 * The SDK finds it through AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_STS, as it would any custom endpoint.
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEc2Standin, type Ec2Standin, type StandinSnapshot } from '../../scripts/support/ec2-standin';
import { DEFAULT_EC2_CONFIG, createClientProvider, type ClientProviderOptions } from '../../handlers/snapshot-copy/clients';
import { loadConfig } from '../../handlers/snapshot-copy/config';
import { PROVENANCE_TAGS } from '../../handlers/snapshot-copy/decide';
import { handleInvocation, type EventResult, type Runtime } from '../../handlers/snapshot-copy/dispatch';
import { CopyQuotaExceededError } from '../../handlers/snapshot-copy/errors';
import { MEMBER_ACCOUNT, OWN_ACCOUNT, baseEnv, context, createSnapshotEvent, recordingLogger, sqsBatch, sqsRecord } from './support';

let standin: Ec2Standin;
const savedEnv = { ...process.env };

beforeAll(async () => {
  standin = await startEc2Standin({ defaultAccount: OWN_ACCOUNT });
  process.env['AWS_ENDPOINT_URL_EC2'] = standin.url;
  process.env['AWS_ENDPOINT_URL_STS'] = standin.url;
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDSTANDINFUNCTION';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'standin-secret';
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];
  delete process.env['AWS_ENDPOINT_URL'];
});

afterAll(async () => {
  await standin.close();
  process.env = savedEnv;
});

beforeEach(() => standin.reset());

/** Retries as shipped (maxAttempts), but 10 ms apart instead of the SDK's ~1 s throttling backoff. */
const fastRetries: Partial<ClientProviderOptions> = {
  ec2Config: { retryStrategy: new ConfiguredRetryStrategy(DEFAULT_EC2_CONFIG.maxAttempts as number, 10) },
};

function runtime(env: Record<string, string> = {}, clientOptions: Partial<ClientProviderOptions> = fastRetries): Runtime & { logger: ReturnType<typeof recordingLogger> } {
  const config = loadConfig({ ...baseEnv, ...env });
  return { config, logger: recordingLogger(), clients: createClientProvider({ stsRegion: config.functionRegion, ...clientOptions }) };
}

const source = (overrides: Partial<StandinSnapshot> = {}): StandinSnapshot => ({
  snapshotId: 'snap-0a1b2c3d4e5f60718',
  region: 'us-west-2',
  ownerId: OWN_ACCOUNT,
  state: 'completed',
  tags: [
    { key: 'Name', value: 'db <primary> & co' },
    { key: 'aws:dlm:lifecycle-policy-id', value: 'policy-0123' },
  ],
  ...overrides,
});

const copiesIn = (region: string) => standin.snapshots().filter((s) => s.region === region && s.copiedFrom);
const event = createSnapshotEvent({ snapshotId: 'snap-0a1b2c3d4e5f60718', region: 'us-west-2' });

describe('through the real SDK against the loopback EC2 stand-in', () => {
  it('copies with three EC2 calls: describe in the source region, describe and copy in the destination', async () => {
    standin.addSnapshot(source());
    const result = (await handleInvocation(event, context(), runtime())) as EventResult;

    expect(standin.requests.map((r) => `${r.action}@${r.region}`)).toEqual(['DescribeSnapshots@us-west-2', 'DescribeSnapshots@us-east-1', 'CopySnapshot@us-east-1']);
    const [copy] = copiesIn('us-east-1');
    expect(copy).toMatchObject({ copiedFrom: { region: 'us-west-2', snapshotId: 'snap-0a1b2c3d4e5f60718' }, ownerId: OWN_ACCOUNT, state: 'pending' });
    expect(copy!.tags).toEqual([
      { key: PROVENANCE_TAGS.sourceSnapshotId, value: 'snap-0a1b2c3d4e5f60718' },
      { key: PROVENANCE_TAGS.sourceRegion, value: 'us-west-2' },
      { key: PROVENANCE_TAGS.sourceAccount, value: OWN_ACCOUNT },
      { key: 'Name', value: 'db <primary> & co' },
    ]);
    expect(result.snapshots).toEqual([expect.objectContaining({ decision: 'copied', copySnapshotId: copy!.snapshotId })]);
  });

  it('sends Encrypted and KmsKeyId, and the presigned URL the SDK builds for the source region', async () => {
    standin.addSnapshot(source());
    await handleInvocation(event, context(), runtime({ KMS_KEY_ID: 'alias/ebs-dr' }));
    const [copyRequest] = standin.calls('CopySnapshot');
    expect(copyRequest!.params).toMatchObject({ Encrypted: 'true', KmsKeyId: 'alias/ebs-dr', SourceRegion: 'us-west-2', DestinationRegion: 'us-east-1' });
    expect(copyRequest!.params['PresignedUrl']).toMatch(/X-Amz-Credential=AKIDSTANDINFUNCTION%2F\d{8}%2Fus-west-2%2Fec2%2Faws4_request/);
    expect(copiesIn('us-east-1')[0]).toMatchObject({ encrypted: true, kmsKeyId: 'alias/ebs-dr' });
  });

  it('retries RequestLimitExceeded in the SDK: two throttles then success make one copy from three CopySnapshot requests', async () => {
    standin.addSnapshot(source());
    standin.failNext('CopySnapshot', { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 }, 2);
    const result = (await handleInvocation(event, context(), runtime())) as EventResult;

    expect(standin.calls('CopySnapshot')).toHaveLength(3);
    expect(copiesIn('us-east-1')).toHaveLength(1);
    expect(result.snapshots[0]!.decision).toBe('copied');
  });

  it('retries RequestLimitExceeded with the shipped client settings too (no injected strategy)', async () => {
    standin.addSnapshot(source());
    standin.failNext('CopySnapshot', { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 }, 1);
    await handleInvocation(event, context(), runtime({}, {}));
    expect(standin.calls('CopySnapshot')).toHaveLength(2);
    expect(copiesIn('us-east-1')).toHaveLength(1);
  });

  it('fails the record with CopyQuotaExceededError on ResourceLimitExceeded, which the SDK does not retry', async () => {
    standin.addSnapshot(source());
    standin.failNext('CopySnapshot', { code: 'ResourceLimitExceeded', message: 'Too many snapshot copies in progress. The limit is 20 for this destination region.', status: 400 });
    const rt = runtime();
    const response = (await handleInvocation(sqsBatch(sqsRecord('m-1', event)), context(), rt)) as SQSBatchResponse;

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(standin.calls('CopySnapshot')).toHaveLength(1);
    expect(copiesIn('us-east-1')).toHaveLength(0);
    expect(rt.logger.lines.find((l) => l.attributes['messageId'] === 'm-1')?.message).toMatch(/CopyQuotaExceededError: .*Too many snapshot copies in progress/);
  });

  it('rejects a bare event with CopyQuotaExceededError on ResourceLimitExceeded', async () => {
    standin.addSnapshot(source());
    standin.failNext('CopySnapshot', { code: 'ResourceLimitExceeded', message: 'Too many snapshot copies in progress.', status: 400 });
    await expect(handleInvocation(event, context(), runtime())).rejects.toBeInstanceOf(CopyQuotaExceededError);
    expect(standin.calls('CopySnapshot')).toHaveLength(1);
  });

  it('dedupes from the parsed XML describe response: a redelivered event makes no second copy', async () => {
    standin.addSnapshot(source());
    await handleInvocation(event, context(), runtime());
    const again = (await handleInvocation(sqsBatch(sqsRecord('m-redelivered', event)), context(), runtime())) as SQSBatchResponse;

    expect(again).toEqual({ batchItemFailures: [] });
    expect(standin.calls('CopySnapshot')).toHaveLength(1);
    expect(copiesIn('us-east-1')).toHaveLength(1);
  });

  it('copies again when the only earlier copy is in state error', async () => {
    standin.addSnapshot(source());
    standin.addSnapshot({
      snapshotId: 'snap-0eeeeeeeeeeeeeee0',
      region: 'us-east-1',
      ownerId: OWN_ACCOUNT,
      state: 'error',
      tags: [{ key: PROVENANCE_TAGS.sourceSnapshotId, value: 'snap-0a1b2c3d4e5f60718' }],
    });
    const result = (await handleInvocation(event, context(), runtime())) as EventResult;
    expect(result.snapshots[0]!.decision).toBe('copied');
    expect(standin.calls('CopySnapshot')).toHaveLength(1);
  });

  it("copies another account's snapshot inside that account, under credentials from STS AssumeRole", async () => {
    standin.addSnapshot(source({ ownerId: MEMBER_ACCOUNT }));
    const memberEvent = createSnapshotEvent({ snapshotId: 'snap-0a1b2c3d4e5f60718', region: 'us-west-2', account: MEMBER_ACCOUNT });
    await handleInvocation(memberEvent, context(), runtime({ MEMBER_ROLE_NAME: 'EbsEventHubCopier' }));

    const [assume] = standin.calls('AssumeRole');
    expect(assume!.params).toMatchObject({ RoleArn: 'arn:aws:iam::222222222222:role/EbsEventHubCopier', RoleSessionName: 'snapshot-copy-snap-0a1b2c3d4e5f60718' });
    expect(assume!.accessKeyId).toBe('AKIDSTANDINFUNCTION');
    const ec2Calls = standin.requests.filter((r) => r.service === 'ec2');
    expect(ec2Calls).toHaveLength(3);
    expect(ec2Calls.every((r) => r.account === MEMBER_ACCOUNT && r.accessKeyId.startsWith('ASIA222222222222'))).toBe(true);
    expect(copiesIn('us-east-1')).toEqual([expect.objectContaining({ ownerId: MEMBER_ACCOUNT })]);
  });

  it('sends nothing for an SQS message whose body is not JSON', async () => {
    const response = (await handleInvocation(sqsBatch(sqsRecord('m-bad', 'not json')), context(), runtime())) as SQSBatchResponse;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
    expect(standin.requests).toHaveLength(0);
  });

  it('fails the record when the source snapshot does not exist (InvalidSnapshot.NotFound)', async () => {
    const response = (await handleInvocation(sqsBatch(sqsRecord('m-gone', event)), context(), runtime())) as SQSBatchResponse;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-gone' }] });
    expect(standin.calls('DescribeSnapshots')).toHaveLength(1);
    expect(standin.calls('CopySnapshot')).toHaveLength(0);
  });

  it('listens on loopback only', () => {
    expect(new URL(standin.url).hostname).toBe('127.0.0.1');
  });
});
