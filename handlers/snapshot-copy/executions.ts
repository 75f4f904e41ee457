/**
 * Is a copy-slot holder's execution still running? DescribeExecution on
 * `arn:<partition>:states:<region>:<account>:execution:<state machine>:<holder>`.
 *
 * A slot holder is an execution of the copy state machine (its name). An execution that was
 * stopped, timed out, or failed at the 25,000-event history limit runs no state, so it never
 * releases its slot: Admit reclaims the slots of holders whose execution is no longer RUNNING.
 *   RUNNING, PENDING_REDRIVE (about to run again)   → running: keep its slot
 *   SUCCEEDED, FAILED, TIMED_OUT, ABORTED            → gone: reclaim
 *   ExecutionDoesNotExist, InvalidArn (no execution can have that name) → gone
 *   anything else (ThrottlingException, AccessDenied, a 5xx, a timeout)  → unknown: keep
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 *
 * "running" answers are kept for RUNNING_CACHE_MS per container: an Admit that finds the slots
 * full asks about every aged holder, and one container serves many Admits in a minute (the
 * DescribeExecution quota: 250 calls burst, 10 per second refill in most regions:
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). A holder that dies
 * meanwhile keeps its slot that much longer; "gone" and "unknown" are never cached.
 */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { asError } from './errors';

export type HolderStatus = 'running' | 'gone' | 'unknown';

export interface HolderStatusReader {
  /** The holder's execution status; `detail` says why (the status, or the error). */
  status(holder: string): Promise<{ status: HolderStatus; detail: string }>;
}

/** Keep a holder's RUNNING answer this long (ms). */
export const RUNNING_CACHE_MS = 60_000;

const STATE_MACHINE = /^(arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;

/** The ARN of execution `name` of `stateMachineArn`. */
export function executionArn(stateMachineArn: string, name: string): string {
  const match = STATE_MACHINE.exec(stateMachineArn);
  if (!match) throw new Error(`executionArn: ${stateMachineArn} is not a state machine ARN`);
  return `${match[1]}:execution:${match[2]}:${name}`;
}

const GONE_ERRORS = new Set(['ExecutionDoesNotExist', 'InvalidArn']);
const RUNNING_STATUSES = new Set(['RUNNING', 'PENDING_REDRIVE']);

export function createHolderStatusReader(sfn: Pick<SFNClient, 'send'>, stateMachineArn: string, now: () => number = Date.now): HolderStatusReader {
  const running = new Map<string, number>();
  return {
    async status(holder) {
      const seen = running.get(holder);
      if (seen !== undefined && now() - seen < RUNNING_CACHE_MS) return { status: 'running', detail: 'RUNNING (cached)' };
      running.delete(holder);
      let arn: string;
      try {
        arn = executionArn(stateMachineArn, holder);
      } catch (error) {
        return { status: 'unknown', detail: asError(error).message };
      }
      try {
        const out = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
        const status = String(out.status);
        if (RUNNING_STATUSES.has(status)) {
          running.set(holder, now());
          return { status: 'running', detail: status };
        }
        return { status: 'gone', detail: status };
      } catch (caught) {
        const e = asError(caught);
        return { status: GONE_ERRORS.has(e.name) ? 'gone' : 'unknown', detail: `${e.name}: ${e.message}` };
      }
    },
  };
}
