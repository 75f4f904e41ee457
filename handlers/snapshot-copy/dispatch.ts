/**
 * Invocation dispatch: an SQS batch (answered with partial batch failures) or one bare EventBridge
 * event (resolves on copy or skip, rejects on failure). Each snapshot goes through the copier.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { ClientProvider } from './clients';
import { ConfigurationError, type HandlerConfig } from './config';
import { copySnapshotJob, type CopyOutcome, type RecentCopies } from './copier';
import type { FunctionIdentity } from './decide';
import { MalformedEventError, SnapshotSetCopyError, asError } from './errors';
import { parseEvent, type SkipDecision } from './events';
import type { Log } from './logger';

/** What a container builds once: configuration, cached clients, logger. */
export interface Runtime {
  config: HandlerConfig;
  clients: ClientProvider;
  logger: Log;
  recentCopies?: RecentCopies;
}

/** The part of the Lambda context the handler reads. */
export interface InvocationContext {
  invokedFunctionArn: string;
}

/** What a bare EventBridge invocation resolves with. */
export interface EventResult {
  /** Set when the whole event was skipped (not a successful snapshot creation). */
  decision?: SkipDecision;
  reason?: string;
  snapshots: CopyOutcome[];
}

export type HandlerResult = SQSBatchResponse | EventResult;

const FUNCTION_ARN = /^arn:(aws[a-z-]*):lambda:[a-z0-9-]+:(\d{12}):function:[^:]+(?::[^:]+)?$/;

/** The function's own account and partition, from context.invokedFunctionArn. */
export function identityFromContext(context: InvocationContext | undefined): FunctionIdentity {
  const arn = context?.invokedFunctionArn;
  const match = typeof arn === 'string' ? FUNCTION_ARN.exec(arn) : null;
  if (!match) {
    throw new ConfigurationError(`context.invokedFunctionArn ${JSON.stringify(arn)} is not a Lambda function ARN: cannot tell the function's own account`);
  }
  return { partition: match[1]!, account: match[2]! };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function isSqsBatch(event: unknown): event is { Records: SQSRecord[] } {
  return (
    isObject(event) &&
    Array.isArray(event['Records']) &&
    event['Records'].every((r: unknown) => isObject(r) && typeof r['messageId'] === 'string')
  );
}

/** Best effort, for log lines of skipped events only. */
function snapshotIdHint(event: unknown): string | undefined {
  if (!isObject(event) || !isObject(event['detail'])) return undefined;
  const id = event['detail']['snapshot_id'];
  return typeof id === 'string' ? /snap-[0-9a-f]+$/.exec(id)?.[0] : undefined;
}

/** Processes one EventBridge event; rejects when any of its snapshots must be retried. */
export async function processEvent(raw: unknown, self: FunctionIdentity, runtime: Runtime): Promise<EventResult> {
  const { logger } = runtime;
  const disposition = parseEvent(raw);
  if (disposition.kind === 'skip') {
    const event = raw as Record<string, unknown>;
    const snapshotId = snapshotIdHint(raw);
    logger.info(`event skipped: ${disposition.reason}`, {
      decision: disposition.decision,
      detailType: disposition.detailType,
      ...(disposition.eventName !== undefined ? { eventName: disposition.eventName } : {}),
      ...(snapshotId !== undefined ? { snapshotId } : {}),
      ...(typeof event['account'] === 'string' ? { account: event['account'] } : {}),
      ...(typeof event['region'] === 'string' ? { sourceRegion: event['region'] } : {}),
    });
    return { decision: disposition.decision, reason: disposition.reason, snapshots: [] };
  }

  const outcomes: CopyOutcome[] = [];
  for (const { job, status } of disposition.incomplete) {
    const reason = `snapshot status in the set is "${status}", not "completed"`;
    logger.info(`snapshot not copied: ${reason}`, { ...job, decision: 'skipped-incomplete-snapshot' });
    outcomes.push({ ...job, decision: 'skipped-incomplete-snapshot', reason });
  }
  // Sequential on purpose: copies count against a quota of 20 concurrent copies per destination
  // region, and a multi-volume set is rarely large. One failure does not stop the others: on
  // redelivery the dedupe skips what was already copied.
  const failures: Error[] = [];
  for (const job of disposition.jobs) {
    try {
      outcomes.push(await copySnapshotJob(job, self, runtime));
    } catch (error) {
      failures.push(asError(error));
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new SnapshotSetCopyError(failures);
  return { snapshots: outcomes };
}

function parseBody(record: SQSRecord): unknown {
  try {
    return JSON.parse(record.body);
  } catch (error) {
    const preview = typeof record.body === 'string' ? record.body.slice(0, 80) : String(record.body);
    throw new MalformedEventError(`SQS message body is not JSON (${(error as Error).message}): ${JSON.stringify(preview)}`);
  }
}

async function processBatch(records: readonly SQSRecord[], self: FunctionIdentity, runtime: Runtime): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const record of records) {
    try {
      await processEvent(parseBody(record), self, runtime);
    } catch (caught) {
      const error = asError(caught);
      batchItemFailures.push({ itemIdentifier: record.messageId });
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? Number.NaN);
      runtime.logger.error(`message failed and will be redelivered by the queue (DLQ after maxReceiveCount): ${error.name}: ${error.message}`, {
        messageId: record.messageId,
        ...(Number.isFinite(receiveCount) ? { receiveCount } : {}),
        decision: 'failed',
        error: { name: error.name, message: error.message },
      });
    }
  }
  return { batchItemFailures };
}

/** One invocation: SQS batch → partial batch response; bare EventBridge event → result or rejection. */
export async function handleInvocation(event: unknown, context: InvocationContext, runtime: Runtime): Promise<HandlerResult> {
  const self = identityFromContext(context);
  if (isSqsBatch(event)) return processBatch(event.Records, self, runtime);
  if (isObject(event) && 'detail-type' in event) {
    try {
      return await processEvent(event, self, runtime);
    } catch (caught) {
      const error = asError(caught);
      if (error instanceof MalformedEventError) {
        runtime.logger.error(`event rejected: ${error.message}`, { decision: 'failed', error: { name: error.name, message: error.message } });
      }
      throw error;
    }
  }
  throw new MalformedEventError('input is neither an SQS batch (Records[] with messageId) nor an EventBridge event (detail-type)');
}
