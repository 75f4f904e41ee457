/**
 * The `start` entry: SQS batch (copy queue) → one Step Functions execution per snapshot.
 *
 * Name `<account>-<sourceRegion>-<snapshotId>-<destinationRegion>` and the canonical input make
 * starting idempotent: StartExecution with the name and input of a running execution succeeds
 * (returns it), and with the name of a closed one fails with ExecutionAlreadyExists; both mean
 * "this snapshot already has its execution". Names stay reserved for 90 days.
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * Any other failure (throttling, …) fails the record only (partial batch response): SQS redelivers it.
 */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { StartConfig } from './config';
import { canonicalInput, destinationFor, executionName } from './decide';
import { ForeignEventSourceError, MalformedEventError, NotAnSqsBatchError, asError } from './errors';
import { parseEvent } from './events';
import type { Log } from './logger';

export interface StartDeps {
  config: StartConfig;
  sfn: Pick<SFNClient, 'send'>;
  logger: Log;
}

/** What one snapshot of a record led to (log key `decision`). */
export type StartDecision = 'started' | 'already-started' | 'skipped-same-region' | 'skipped-region-not-configured' | 'skipped-incomplete-snapshot' | 'skipped-unsupported-event' | 'skipped-failed-result' | 'skipped-replay';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseBody(record: SQSRecord): unknown {
  try {
    return JSON.parse(record.body);
  } catch (error) {
    const preview = typeof record.body === 'string' ? record.body.slice(0, 80) : String(record.body);
    throw new MalformedEventError(`SQS message body is not JSON (${(error as Error).message}): ${JSON.stringify(preview)}`);
  }
}

async function startOne(job: { account: string; sourceRegion: string; snapshotId: string }, record: SQSRecord, deps: StartDeps): Promise<StartDecision> {
  const destinationRegion = destinationFor(job.sourceRegion, deps.config);
  const keys = { messageId: record.messageId, ...job, destinationRegion };
  if (destinationRegion === job.sourceRegion) {
    deps.logger.info('snapshot not copied: the destination is its own region', { ...keys, decision: 'skipped-same-region' });
    return 'skipped-same-region';
  }
  // Defence in depth: members forward creations only from the regions they list (a copy destination
  // they do not list forwards copy results only), and the member role may copy only from those.
  if (!deps.config.sourceRegions.has(job.sourceRegion)) {
    deps.logger.info('snapshot not copied: its region is not a configured source region (SOURCE_REGIONS)', { ...keys, decision: 'skipped-region-not-configured' });
    return 'skipped-region-not-configured';
  }
  const input = canonicalInput(job, destinationRegion);
  const name = executionName(input);
  try {
    const out = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.config.stateMachineArn, name, input: JSON.stringify(input) }));
    deps.logger.info('copy execution started', { ...keys, executionName: name, executionArn: out.executionArn, decision: 'started' });
    return 'started';
  } catch (caught) {
    const error = asError(caught);
    if (error.name === 'ExecutionAlreadyExists') {
      deps.logger.info('copy execution already exists (duplicate delivery)', { ...keys, executionName: name, decision: 'already-started' });
      return 'already-started';
    }
    throw error;
  }
}

async function processRecord(record: SQSRecord, deps: StartDeps): Promise<void> {
  if (record.eventSourceARN !== deps.config.copyQueueArn) {
    throw new ForeignEventSourceError(`record from ${JSON.stringify(record.eventSourceARN)} refused: this function accepts only ${deps.config.copyQueueArn} (COPY_QUEUE_ARN)`);
  }
  const disposition = parseEvent(parseBody(record));
  if (disposition.kind === 'skip') {
    deps.logger.info(`event not copied: ${disposition.reason}`, { messageId: record.messageId, detailType: disposition.detailType, decision: disposition.decision });
    return;
  }
  for (const { job, status } of disposition.incomplete) {
    deps.logger.info(`snapshot not copied: its status in the set is "${status}"`, { messageId: record.messageId, ...job, decision: 'skipped-incomplete-snapshot' });
  }
  // A multi-volume set: one execution per completed member. One failure fails the record; on
  // redelivery the members already started are `already-started`.
  const failures: Error[] = [];
  for (const job of disposition.jobs) {
    try {
      await startOne(job, record, deps);
    } catch (error) {
      failures.push(asError(error));
    }
  }
  if (failures.length > 0) throw failures[0]!;
}

/** SQS batch → partial batch response. Anything else is refused with NotAnSqsBatchError. */
export async function handleStart(event: unknown, deps: StartDeps): Promise<SQSBatchResponse> {
  const records = isObject(event) ? event['Records'] : undefined;
  if (!Array.isArray(records) || !records.every((r: unknown) => isObject(r) && typeof r['messageId'] === 'string' && r['eventSource'] === 'aws:sqs')) {
    const error = new NotAnSqsBatchError('start accepts only SQS batches from its copy queue (Records[] of aws:sqs messages); refused');
    deps.logger.error(error.message, { decision: 'refused', error: { name: error.name, message: error.message } });
    throw error;
  }
  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const record of records as SQSRecord[]) {
    try {
      await processRecord(record, deps);
    } catch (caught) {
      const error = asError(caught);
      batchItemFailures.push({ itemIdentifier: record.messageId });
      const refused = error instanceof ForeignEventSourceError;
      deps.logger.error(refused ? `record refused: ${error.message}` : `record failed and will be redelivered: ${error.name}: ${error.message}`, {
        messageId: record.messageId,
        eventSourceARN: record.eventSourceARN,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? Number.NaN),
        decision: refused ? 'refused' : 'failed',
        error: { name: error.name, message: error.message },
      });
    }
  }
  return { batchItemFailures };
}
