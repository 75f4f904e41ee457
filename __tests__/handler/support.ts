/**
 * Shared fixtures for the snapshot-copy handler tests: EventBridge events shaped like the AWS guide's
 * samples (made valid JSON), SQS wrapping, a Lambda context and a log recorder.
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { expect } from 'vitest';
import { ConfigurationError } from '../../handlers/snapshot-copy/errors';
import type { Log, LogAttributes } from '../../handlers/snapshot-copy/logger';

export const OWN_ACCOUNT = '111111111111';
export const MEMBER_ACCOUNT = '222222222222';
export const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${OWN_ACCOUNT}:function:snapshot-copy`;

export const context = (invokedFunctionArn = FUNCTION_ARN): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'snapshot-copy',
  functionVersion: '$LATEST',
  invokedFunctionArn,
  memoryLimitInMB: '256',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000000',
  logGroupName: '/aws/lambda/snapshot-copy',
  logStreamName: '2025/01/01/[$LATEST]0123',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

type Json = Record<string, unknown>;

/** createSnapshot succeeded, ARN layout `arn:aws:ec2:<region>::snapshot/snap-…` (guide sample). */
export function createSnapshotEvent(options: { snapshotId?: string; region?: string; account?: string; arnLayout?: 'region-first' | 'region-second'; result?: string } = {}): Json {
  const { snapshotId = 'snap-01234567', region = 'us-west-2', account = OWN_ACCOUNT, arnLayout = 'region-first', result = 'succeeded' } = options;
  const arn = arnLayout === 'region-first' ? `arn:aws:ec2:${region}::snapshot/${snapshotId}` : `arn:aws:ec2::${region}:snapshot/${snapshotId}`;
  return {
    version: '0',
    id: '01234567-0123-0123-0123-012345678901',
    'detail-type': 'EBS Snapshot Notification',
    source: 'aws.ec2',
    account,
    time: '2025-01-01T00:00:00Z',
    region,
    resources: [arn],
    detail: {
      event: 'createSnapshot',
      result,
      cause: result === 'succeeded' ? '' : 'Snapshot failed',
      'request-id': '',
      snapshot_id: arn,
      source: `arn:aws:ec2:${region}::volume/vol-01234567`,
      StartTime: '2025-01-01T00:00:00Z',
      EndTime: '2025-01-01T00:05:00Z',
    },
  };
}

/** createSnapshots (multi-volume), ARN layout `arn:aws:ec2::<region>:snapshot/snap-…` (guide sample). */
export function multiVolumeEvent(snapshots: Array<{ id: string; status: string }>, options: { region?: string; account?: string; result?: string } = {}): Json {
  const { region = 'us-west-2', account = OWN_ACCOUNT, result = 'succeeded' } = options;
  return {
    version: '0',
    id: '01234567-0123-0123-0123-012345678902',
    'detail-type': 'EBS Multi-Volume Snapshots Completion Status',
    source: 'aws.ec2',
    account,
    time: '2025-01-01T00:00:00Z',
    region,
    resources: snapshots.map((s) => `arn:aws:ec2::${region}:snapshot/${s.id}`),
    detail: {
      event: 'createSnapshots',
      result,
      cause: '',
      'request-id': '',
      startTime: '2025-01-01T00:00:00Z',
      endTime: '2025-01-01T00:05:00Z',
      snapshots: snapshots.map((s) => ({
        snapshot_id: `arn:aws:ec2::${region}:snapshot/${s.id}`,
        source: `arn:aws:ec2::${region}:volume/vol-${s.id.slice(5)}`,
        status: s.status,
      })),
    },
  };
}

export function snapshotNotification(event: string, result = 'succeeded'): Json {
  const base = createSnapshotEvent();
  return { ...base, detail: { ...(base['detail'] as Json), event, result, source: 'arn:aws:ec2:eu-west-1::snapshot/snap-76543210' } };
}

export const volumeEvent: Json = {
  version: '0',
  id: '01234567-0123-0123-0123-012345678903',
  'detail-type': 'EBS Volume Notification',
  source: 'aws.ec2',
  account: OWN_ACCOUNT,
  time: '2025-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:111111111111:volume/vol-01234567'],
  detail: { result: 'available', cause: '', event: 'createVolume', 'request-id': '01234567-0123-0123-0123-0123456789ab' },
};

export const amiEvent: Json = {
  version: '0',
  id: '01234567-0123-0123-0123-012345678904',
  'detail-type': 'EC2 AMI State Change',
  source: 'aws.ec2',
  account: OWN_ACCOUNT,
  time: '2025-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0'],
  detail: { RequestId: 'r', ImageId: 'ami-0123456789abcdef0', State: 'available', ErrorMessage: '' },
};

export function sqsRecord(messageId: string, body: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1735689600000',
      SenderId: 'AIDAEVENTS',
      ApproximateFirstReceiveTimestamp: '1735689600000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:${OWN_ACCOUNT}:snapshot-copy`,
    awsRegion: 'us-east-1',
  };
}

export const sqsBatch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: LogAttributes;
}

/** A Log that records lines instead of printing them. */
export function recordingLogger(): Log & { lines: LogLine[]; decisions(): unknown[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (message: string, attributes: LogAttributes) => {
    lines.push({ level, message, attributes });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    decisions: () => lines.filter((l) => l.attributes['decision'] !== undefined).map((l) => l.attributes['decision']),
  };
}

export const baseEnv = { DESTINATION_REGION: 'us-east-1', AWS_REGION: 'us-east-1' } as const;

/** Points the real SDK at a loopback stand-in (EC2 and STS), with static credentials; returns a restore function. */
export function pointSdkAt(url: string): () => void {
  const saved = { ...process.env };
  process.env['AWS_ENDPOINT_URL_EC2'] = url;
  process.env['AWS_ENDPOINT_URL_STS'] = url;
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDSTANDINFUNCTION';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'standin-secret';
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];
  delete process.env['AWS_ENDPOINT_URL'];
  return () => {
    process.env = saved;
  };
}

/** The message of the ConfigurationError `load` throws (fails the test when it accepts the environment). */
export function configError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('the loader accepted a bad environment');
}
