/**
 * The copy workflow's executions, as `npm run verify` and `npm run copies` read them.
 *
 * ListExecutions lists the most recent first ("Results are sorted by time, with the most recent
 * execution first"; at most 1,000 per page; a page token lasts 24 hours):
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 */
import { ListExecutionsCommand, type ExecutionListItem, type ExecutionStatus, type SFNClient } from '@aws-sdk/client-sfn';
import type { OrgConfig } from '../../config/schema';
import { EXECUTION_TIMEOUT_SECONDS } from '../../stacks/central/copy-workflow';
import { COPY_STATE_MACHINE_NAME, stateMachineArn } from '../../stacks/names';

/** Execution statuses that mean a copy did not complete. */
export const FAILED_EXECUTION_STATUSES: readonly ExecutionStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/** The copy state machine's ARN, in the central account and region. */
export const copyWorkflowArn = (config: OrgConfig): string => stateMachineArn(config.central.region, config.central.accountId, COPY_STATE_MACHINE_NAME);

/** ListExecutions' largest page. */
const PAGE = 1000;

/**
 * Executions of `stateMachineArn` (of `statusFilter` when given), newest first, page by page,
 * until one started before `startedFrom` (it and every later-listed one are left out, and no
 * further page is read).
 */
export async function listExecutionsStartedFrom(
  sfn: SFNClient,
  options: { readonly stateMachineArn: string; readonly statusFilter?: ExecutionStatus; readonly startedFrom: Date },
): Promise<ExecutionListItem[]> {
  const found: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const out = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: options.stateMachineArn, ...(options.statusFilter ? { statusFilter: options.statusFilter } : {}), nextToken, maxResults: PAGE }),
    );
    for (const e of out.executions ?? []) {
      if (e.startDate !== undefined && e.startDate < options.startedFrom) return found;
      found.push(e);
    }
    nextToken = out.nextToken;
  } while (nextToken);
  return found;
}

/**
 * Executions that failed, timed out or were aborted at or after `since`, per status, newest first.
 * An execution that started before `since` can still have stopped after it (a copy waits up to 7
 * days for a slot: `CopyWaitTimedOut` fails 7 days after the start), so they are kept by stop time,
 * and paging stops only at an execution that started more than the workflow's timeout
 * (EXECUTION_TIMEOUT_SECONDS, 15 days) before `since`: it, and every older one, had stopped by then.
 */
export async function failedExecutionsSince(sfn: SFNClient, stateMachineArn: string, since: Date): Promise<Map<ExecutionStatus, ExecutionListItem[]>> {
  const startedFrom = new Date(since.getTime() - EXECUTION_TIMEOUT_SECONDS * 1000);
  const byStatus = new Map<ExecutionStatus, ExecutionListItem[]>();
  for (const statusFilter of FAILED_EXECUTION_STATUSES) {
    const listed = await listExecutionsStartedFrom(sfn, { stateMachineArn, statusFilter, startedFrom });
    // No stop date on a stopped execution would be a service bug: counted, not hidden.
    byStatus.set(statusFilter, listed.filter((e) => e.stopDate === undefined || e.stopDate >= since));
  }
  return byStatus;
}
