/**
 * `npm run copies -- retry`: starts again the copy executions that failed, timed out or were
 * aborted. The decisions (which family to retry, under which name) are pure functions over what
 * ListExecutions returned; `retryFailedCopies` is the thin AWS part.
 *
 * Step Functions facts it rests on
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html):
 * a closed execution's name cannot be used again for 90 days, so a retry gets a new name; a
 * StartExecution with the name and input of a running execution succeeds and returns it (a second
 * operator retrying at the same time starts nothing new); a closed one answers
 * `ExecutionAlreadyExists`. DescribeExecution returns the execution's `input`, `error` and `cause`:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */
import { DescribeExecutionCommand, StartExecutionCommand, type ExecutionListItem, type ExecutionStatus, type SFNClient } from '@aws-sdk/client-sfn';
import { WORKFLOW_ERRORS } from '../../stacks/central/copy-workflow';
import { COPY_STATE_MACHINE_NAME } from '../../stacks/names';
import { describeAwsFailure } from '../common/aws-failure';
import { failedExecutionsSince, FAILED_EXECUTION_STATUSES, listExecutionsStartedFrom } from '../common/copy-executions';
import { mapLimit } from '../common/map-limit';
import { MAX_RETRY, retryFamily, retryName } from './names';

/**
 * The SFN client's retry settings: the SDK's standard mode retries `ThrottlingException` (and 5xx,
 * and connection errors) with exponential backoff and full jitter
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html; for throttling the
 * installed @smithy/core waits up to 1 s, then 2, 4, ... capped at 20 s). 8 attempts wait up to
 * ~70 s in all (half that on average) before an execution is reported as not started; the others
 * go on.
 */
export const COPIES_SFN_RETRY = { retryMode: 'standard', maxAttempts: 8 } as const;

/** Families worked on at once (DescribeExecution + StartExecution each). */
export const RETRY_CONCURRENCY = 4;

/**
 * Errors a retry with the same input ends with again, whatever is fixed meanwhile: not retried, the
 * line says what to do instead.
 * - InvalidCopyInput: the input itself is wrong.
 * - SourceKeyNotAccessible: the source snapshot is encrypted under another account's key (its
 *   KmsKeyId, which a snapshot never changes); re-encrypting makes a NEW snapshot, which an
 *   in-region copy does not announce as a creation (a `copySnapshot` event: the copy rule takes
 *   `createSnapshot`/`createSnapshots`), so it is started by hand.
 */
export const NOT_RETRIED: Readonly<Record<string, string>> = {
  [WORKFLOW_ERRORS.invalidInput]: 'its input is not a copy input; start it by hand with the canonical input',
  [WORKFLOW_ERRORS.sourceKeyNotAccessible]:
    "its snapshot is encrypted under another account's key and always will be; re-encrypt it under a key of its account and start a copy of the new snapshot by hand",
};

/** Statuses after which a family needs nothing: its latest attempt is running, or done. */
const IN_HAND: ReadonlySet<ExecutionStatus> = new Set<ExecutionStatus>(['RUNNING', 'SUCCEEDED', 'PENDING_REDRIVE']);

export type RetryOutcome = 'retried' | 'would-retry' | 'already-retried' | 'not-retried' | 'start-failed';

export interface RetryResult {
  /** The execution that failed, timed out or was aborted. */
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly stopDate?: Date;
  readonly outcome: RetryOutcome;
  /** The retry's name (started, would be started, or the one already there). */
  readonly retry?: string;
  /** Why not, or what failed. */
  readonly detail?: string;
}

export interface RetryReport {
  readonly since: Date;
  readonly account?: string;
  readonly dryRun: boolean;
  /** Newest stop first. */
  readonly results: readonly RetryResult[];
}

export interface Attempt {
  readonly name: string;
  readonly executionArn?: string;
  readonly status?: ExecutionStatus;
  readonly startDate?: Date;
  readonly stopDate?: Date;
}

/** What to do with one family of attempts (an original and its retries). */
export type FamilyPlan =
  | { readonly kind: 'in-hand'; readonly latest: Attempt }
  | { readonly kind: 'retry'; readonly from: Attempt; readonly name: string }
  | { readonly kind: 'exhausted'; readonly from: Attempt };

/**
 * The plan for a family: its latest attempt (highest retry number; the later start on a tie)
 * decides. Running, succeeded or being redriven: nothing to do. Otherwise retry once, from the
 * latest attempt, as `<key>-r<highest + 1>`.
 */
export function planFamily(key: string, attempts: readonly Attempt[]): FamilyPlan {
  const ranked = attempts
    .map((a) => ({ a, n: retryFamily(a.name).attempt }))
    .sort((x, y) => y.n - x.n || (y.a.startDate?.getTime() ?? 0) - (x.a.startDate?.getTime() ?? 0));
  const { a: latest, n: highest } = ranked[0]!;
  if (latest.status !== undefined && IN_HAND.has(latest.status)) return { kind: 'in-hand', latest };
  if (highest >= MAX_RETRY) return { kind: 'exhausted', from: latest };
  return { kind: 'retry', from: latest, name: retryName(key, highest + 1) };
}

/** Attempts grouped by family key, each name once (when listed twice, the later entry of `listed` wins). */
export function families(listed: readonly Attempt[]): Map<string, Attempt[]> {
  const byName = new Map<string, Attempt>();
  for (const a of listed) byName.set(a.name, { ...byName.get(a.name), ...a });
  const byKey = new Map<string, Attempt[]>();
  for (const a of byName.values()) {
    const { key } = retryFamily(a.name);
    byKey.set(key, [...(byKey.get(key) ?? []), a]);
  }
  return byKey;
}

const attemptOf = (e: ExecutionListItem): Attempt => ({ name: e.name!, executionArn: e.executionArn, status: e.status, startDate: e.startDate, stopDate: e.stopDate });

export interface RetryOptions {
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  readonly since: Date;
  /** Only executions named `<account>-...`. */
  readonly account?: string;
  readonly dryRun: boolean;
  readonly concurrency?: number;
}

/** The executions could not be listed: nothing can be decided (exit 1, one line). */
export class ListExecutionsError extends Error {
  override readonly name = 'ListExecutionsError';
}

export async function retryFailedCopies(options: RetryOptions): Promise<RetryReport> {
  const { sfn, stateMachineArn, since, account, dryRun } = options;
  let failed: ExecutionListItem[];
  let recent: ExecutionListItem[] = [];
  try {
    failed = [...(await failedExecutionsSince(sfn, stateMachineArn, since)).values()].flat().filter((e) => e.name && (!account || e.name.startsWith(`${account}-`)));
    if (failed.length > 0) {
      // Every retry of a failed execution was started after it stopped: executions started since
      // the earliest stop hold all of them (newest first, so paging stops there).
      const earliest = new Date(Math.min(...failed.map((e) => (e.stopDate ?? e.startDate ?? since).getTime())));
      recent = await listExecutionsStartedFrom(sfn, { stateMachineArn, startedFrom: earliest });
    }
  } catch (err) {
    throw new ListExecutionsError(describeAwsFailure(`cannot list the executions of ${stateMachineArn}`, err, 'run it again later'));
  }
  const candidates = new Set(failed.map((e) => e.name!));
  // A failed execution keeps the status and stop time it was found with.
  const grouped = families([...recent.map(attemptOf), ...failed.map(attemptOf)]);
  const work = [...grouped].filter(([, attempts]) => attempts.some((a) => candidates.has(a.name)));

  const perFamily = await mapLimit(work, options.concurrency ?? RETRY_CONCURRENCY, async ([key, attempts]): Promise<RetryResult[]> => {
    const plan = planFamily(key, attempts);
    const mine = attempts.filter((a) => candidates.has(a.name));
    const base = (a: Attempt) => ({ name: a.name, status: a.status!, ...(a.stopDate ? { stopDate: a.stopDate } : {}) });
    if (plan.kind === 'in-hand') {
      return mine.map((a) => ({ ...base(a), outcome: 'already-retried', retry: plan.latest.name, detail: plan.latest.status }));
    }
    const superseded = (a: Attempt): RetryResult => ({ ...base(a), outcome: 'already-retried', retry: plan.from.name, detail: plan.from.status });
    const others = mine.filter((a) => a.name !== plan.from.name).map(superseded);
    if (plan.kind === 'exhausted') return [{ ...base(plan.from), outcome: 'not-retried', detail: `retried ${MAX_RETRY} times already` }, ...others];
    return [await retryOne(sfn, stateMachineArn, plan.from, plan.name, dryRun), ...others];
  });
  const results = perFamily.flat().sort((x, y) => (y.stopDate?.getTime() ?? 0) - (x.stopDate?.getTime() ?? 0) || x.name.localeCompare(y.name));
  return { since, ...(account ? { account } : {}), dryRun, results };
}

/** DescribeExecution for the input, then StartExecution under `name` (unless a dry run). */
async function retryOne(sfn: SFNClient, stateMachineArn: string, from: Attempt, name: string, dryRun: boolean): Promise<RetryResult> {
  const base = { name: from.name, status: from.status!, ...(from.stopDate ? { stopDate: from.stopDate } : {}), retry: name };
  let described;
  try {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn: from.executionArn }));
  } catch (err) {
    return { ...base, outcome: 'start-failed', detail: describeAwsFailure('DescribeExecution', err, 'run it again later') };
  }
  const deterministic = described.error !== undefined ? NOT_RETRIED[described.error] : undefined;
  if (deterministic !== undefined) return { ...base, retry: undefined, outcome: 'not-retried', detail: `${described.error}: ${deterministic}` };
  if (described.input === undefined) return { ...base, outcome: 'start-failed', detail: 'DescribeExecution returned no input' };
  if (dryRun) return { ...base, outcome: 'would-retry' };
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: described.input }));
  } catch (err) {
    const detail =
      (err as Error).name === 'ExecutionAlreadyExists'
        ? `ExecutionAlreadyExists: ${name} is taken by a closed execution the listing did not show yet; run it again to use the next number`
        : describeAwsFailure('StartExecution', err, 'run it again later');
    return { ...base, outcome: 'start-failed', detail };
  }
  return { ...base, outcome: 'retried' };
}

/** One line per execution, then the summary. */
export function renderRetryReport(report: RetryReport): string[] {
  const scope = `${report.account ? ` of account ${report.account}` : ''} since ${report.since.toISOString()}`;
  if (report.results.length === 0) {
    return [`copies retry: no execution of ${COPY_STATE_MACHINE_NAME}${scope} failed, timed out or was aborted; nothing to retry`];
  }
  const lines = report.results.map((r) => {
    const head = `${r.name} ${r.status}`;
    switch (r.outcome) {
      case 'retried':
        return `${head}: retried as ${r.retry}`;
      case 'would-retry':
        return `${head}: would retry as ${r.retry} (dry run)`;
      case 'already-retried':
        return `${head}: already retried as ${r.retry} (${r.detail}); not retried again`;
      case 'not-retried':
        return `${head}: not retried: ${r.detail}`;
      case 'start-failed':
        return `${head}: start failed${r.retry ? ` (as ${r.retry})` : ''}: ${r.detail}`;
    }
  });
  const count = (o: RetryOutcome) => report.results.filter((r) => r.outcome === o).length;
  const parts = (
    [
      ['retried', 'retried'],
      ['would-retry', 'would retry (dry run)'],
      ['already-retried', 'already retried'],
      ['not-retried', 'not retried'],
      ['start-failed', 'start failed'],
    ] as const
  )
    .map(([o, label]) => [count(o), label] as const)
    .filter(([n]) => n > 0)
    .map(([n, label]) => `${n} ${label}`);
  const n = report.results.length;
  lines.push(`copies retry: ${n} execution${n === 1 ? '' : 's'} of ${COPY_STATE_MACHINE_NAME}${scope} ${n === 1 ? 'was' : 'were'} ${FAILED_EXECUTION_STATUSES.join('/')}: ${parts.join(', ')}`);
  return lines;
}

/** 1 when any execution could not be started, else 0. */
export const exitCodeOf = (report: RetryReport): number => (report.results.some((r) => r.outcome === 'start-failed') ? 1 : 0);
