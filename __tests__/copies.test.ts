/**
 * `npm run copies -- retry` against a Step Functions stand-in that answers as the API reference says:
 * - ListExecutions: most recent first; `statusFilter`; `maxResults` "is an upper limit only; the
 *   actual number of results returned per call might be fewer" (pages of 2 here), `nextToken` for
 *   the rest: https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 * - DescribeExecution returns `input`, `status`, `error`; an unknown ARN is `ExecutionDoesNotExist`:
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 * - StartExecution: names of at most 80 characters of [A-Za-z0-9-_]; the name and input of a
 *   running execution return it; a closed execution's name is `ExecutionAlreadyExists`:
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * - Throttling is `ThrottlingException`, HTTP 400 (Step Functions common errors:
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html), retried by
 *   the SDK's standard retry mode (those tests use the real client with a stand-in HTTP handler:
 *   aws-sdk-client-mock replaces `send`, and with it the retry middleware).
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  type ExecutionStatus,
} from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCopiesArgs, USAGE } from '../cli/copies/args';
import { MAX_EXECUTION_NAME, retryFamily, retryName, shortenedKey } from '../cli/copies/names';
import { COPIES_SFN_RETRY, exitCodeOf, ListExecutionsError, planFamily, renderRetryReport, retryFailedCopies } from '../cli/copies/retry';
import { UsageError } from '../cli/common/errors';
import { assumeRoleClients } from '../cli/verify/aws';
import { DEFINITION_ERRORS, WORKFLOW_ERRORS } from '../stacks/central/copy-workflow';
import { COPY_STATE_MACHINE_NAME, stateMachineArn } from '../stacks/names';
import { CENTRAL_ACCOUNT, CENTRAL_REGION, rawConfig } from './support/config';
import { noCredentials } from './support/aws-env';
import { ROOT } from './support/run-main';

const ARN = stateMachineArn(CENTRAL_REGION, CENTRAL_ACCOUNT, COPY_STATE_MACHINE_NAME);
const NOW = new Date('2026-11-21T10:00:00Z');
const SINCE = new Date('2026-11-14T10:00:00Z');
const DAY = 24 * 3600 * 1000;
const at = (daysBeforeNow: number) => new Date(NOW.getTime() - daysBeforeNow * DAY);

/** A starter-named execution (`<account>-<sourceRegion>-<snapshotId>-<destinationRegion>`) and its canonical input. */
const copyName = (account: string, snap: string) => `${account}-eu-west-1-snap-${snap}-eu-central-1`;
const inputOf = (name: string) => {
  const m = /^(\d{12})-(eu-west-1)-(snap-[0-9a-f]+)-(eu-central-1)/.exec(name);
  return JSON.stringify(m ? { account: m[1], sourceRegion: m[2], snapshotId: m[3], destinationRegion: m[4] } : { not: 'a copy input' });
};

interface Execution {
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  error?: string;
}

/** The state machine's executions, answering ListExecutions / DescribeExecution / StartExecution. */
class FakeStepFunctions {
  readonly executions: Execution[] = [];
  constructor(readonly pageSize = 2) {}

  add(name: string, status: ExecutionStatus, startedDaysAgo: number, stoppedDaysAgo?: number, extra: Partial<Execution> = {}): this {
    this.executions.push({
      name,
      status,
      startDate: at(startedDaysAgo),
      ...(status === 'RUNNING' ? {} : { stopDate: at(stoppedDaysAgo ?? startedDaysAgo) }),
      input: inputOf(name),
      ...extra,
    });
    return this;
  }

  arnOf = (name: string) => `${ARN.replace(':stateMachine:', ':execution:')}:${name}`;

  list(input: { stateMachineArn?: string; statusFilter?: ExecutionStatus; nextToken?: string; maxResults?: number }) {
    if (input.stateMachineArn !== ARN) throw new Error(`unexpected state machine ${input.stateMachineArn}`);
    const all = this.executions
      .filter((e) => !input.statusFilter || e.status === input.statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const from = input.nextToken ? Number(input.nextToken) : 0;
    const size = Math.min(this.pageSize, input.maxResults ?? 100);
    const page = all.slice(from, from + size);
    return {
      executions: page.map((e) => ({ executionArn: this.arnOf(e.name), stateMachineArn: ARN, name: e.name, status: e.status, startDate: e.startDate, stopDate: e.stopDate })),
      ...(from + size < all.length ? { nextToken: String(from + size) } : {}),
    };
  }

  describe(executionArn: string) {
    const e = this.executions.find((x) => this.arnOf(x.name) === executionArn);
    if (!e) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${executionArn}'`, $metadata: {} });
    return { executionArn, stateMachineArn: ARN, name: e.name, status: e.status, startDate: e.startDate, stopDate: e.stopDate, input: e.input, ...(e.error ? { error: e.error } : {}) };
  }

  start(input: { stateMachineArn?: string; name?: string; input?: string }) {
    const name = input.name!;
    if (name.length > MAX_EXECUTION_NAME || !/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`InvalidName: ${name}`);
    const existing = this.executions.find((e) => e.name === name);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input.input) return { executionArn: this.arnOf(name), startDate: existing.startDate };
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${this.arnOf(name)}'`, $metadata: {} });
    }
    this.executions.push({ name, status: 'RUNNING', startDate: NOW, input: input.input! });
    return { executionArn: this.arnOf(name), startDate: NOW };
  }

  /** An SFN client whose calls this stand-in answers (aws-sdk-client-mock on this one instance). */
  client() {
    const client = new SFNClient({ region: CENTRAL_REGION, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    const mock = mockClient(client);
    mock.on(ListExecutionsCommand).callsFake((input) => this.list(input));
    mock.on(DescribeExecutionCommand).callsFake((input) => this.describe(input.executionArn));
    mock.on(StartExecutionCommand).callsFake((input) => this.start(input));
    return { client, mock };
  }
}

async function retry(fake: FakeStepFunctions, options: { account?: string; dryRun?: boolean; since?: Date } = {}) {
  const { client, mock } = fake.client();
  const report = await retryFailedCopies({ sfn: client, stateMachineArn: ARN, since: options.since ?? SINCE, account: options.account, dryRun: options.dryRun ?? false });
  return { report, mock, lines: renderRetryReport(report) };
}

const A = '222222222222';
const B = '333333333333';

describe('copies retry: names', () => {
  it('GIVEN the starter\'s names (at most 65 characters) THEN a retry is <name>-r<N>, and <name>-r<N> belongs to <name>', () => {
    const longest = `${A}-ap-southeast-7-snap-0123456789abcdef0-ap-northeast-3`;
    expect(longest.length).toBe(65);
    expect(retryFamily(longest)).toEqual({ key: longest, attempt: 0 });
    expect(retryName(longest, 999)).toHaveLength(70);
    expect(retryFamily(`${longest}-r12`)).toEqual({ key: longest, attempt: 12 });
    // A region name ends in a digit after "-", never in -r<digits>.
    expect(retryFamily(copyName(A, '0abc')).attempt).toBe(0);
  });

  it('GIVEN a name too long to take -r999 THEN its key is 75 characters (the start, -h, 8 hex of its SHA-256), the same for all its retries', () => {
    const long = `${A}-${'x'.repeat(80 - 13)}`;
    expect(long).toHaveLength(80);
    const { key, attempt } = retryFamily(long);
    expect(attempt).toBe(0);
    expect(key).toHaveLength(75);
    expect(key).toMatch(new RegExp(`^${A}-x+-h[0-9a-f]{8}$`));
    expect(key).toBe(shortenedKey(long));
    expect(retryName(key, 999)).toHaveLength(80);
    expect(retryFamily(retryName(key, 3))).toEqual({ key, attempt: 3 });
    // Two long names that share their first 65 characters stay apart.
    expect(shortenedKey(`${long.slice(0, 79)}y`)).not.toBe(key);
    // 75 characters leave room for -r999 and are kept as they are.
    expect(retryFamily('a'.repeat(75)).key).toBe('a'.repeat(75));
    expect(retryFamily('a'.repeat(76)).key).toHaveLength(75);
  });

  it('GIVEN a 1,000th retry THEN it is refused (-r1000 would not fit a 75-character key)', () => {
    expect(() => retryName('x', 1000)).toThrow(/at most 999 retries/);
    expect(planFamily('k', [{ name: 'k-r999', status: 'FAILED' }])).toEqual({ kind: 'exhausted', from: { name: 'k-r999', status: 'FAILED' } });
  });
});

describe('copies retry: which executions, under which names', () => {
  it('GIVEN failed, timed-out and aborted executions over several pages THEN each is started again once as <name>-r1 with its own input, newest first', async () => {
    const fake = new FakeStepFunctions()
      .add(copyName(A, '01'), 'FAILED', 1)
      .add(copyName(A, '02'), 'TIMED_OUT', 2)
      .add(copyName(B, '03'), 'ABORTED', 3)
      .add(copyName(A, '04'), 'FAILED', 4)
      .add(copyName(B, '05'), 'FAILED', 5)
      .add(copyName(A, '06'), 'SUCCEEDED', 1)
      .add(copyName(A, '07'), 'RUNNING', 0.5);
    const { report, mock, lines } = await retry(fake);
    const starts = mock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts.map((s) => s.name).sort()).toEqual(['01', '02', '03', '04', '05'].map((s) => `${copyName(s === '03' || s === '05' ? B : A, s)}-r1`).sort());
    for (const s of starts) {
      expect(s.stateMachineArn).toBe(ARN);
      expect(s.input).toBe(inputOf(s.name!.replace(/-r1$/, '')));
    }
    // Pages of 2: FAILED (3 → 2 pages), TIMED_OUT, ABORTED, then every status since the earliest stop (7 → 4 pages).
    expect(mock.commandCalls(ListExecutionsCommand).length).toBe(2 + 1 + 1 + 4);
    expect(lines).toEqual([
      `${copyName(A, '01')} FAILED: retried as ${copyName(A, '01')}-r1`,
      `${copyName(A, '02')} TIMED_OUT: retried as ${copyName(A, '02')}-r1`,
      `${copyName(B, '03')} ABORTED: retried as ${copyName(B, '03')}-r1`,
      `${copyName(A, '04')} FAILED: retried as ${copyName(A, '04')}-r1`,
      `${copyName(B, '05')} FAILED: retried as ${copyName(B, '05')}-r1`,
      `copies retry: 5 executions of ${COPY_STATE_MACHINE_NAME} since ${SINCE.toISOString()} were FAILED/TIMED_OUT/ABORTED: 5 retried`,
    ]);
    expect(exitCodeOf(report)).toBe(0);
  });

  it('GIVEN an execution started before --since that failed after it (CopyWaitTimedOut, 7 days in) THEN it is retried; one that stopped before --since is not', async () => {
    const fake = new FakeStepFunctions()
      .add(copyName(A, '0a'), 'FAILED', 10, 3, { error: 'CopyWaitTimedOut' })
      .add(copyName(A, '0b'), 'FAILED', 8, 8);
    const { lines } = await retry(fake);
    expect(lines[0]).toBe(`${copyName(A, '0a')} FAILED: retried as ${copyName(A, '0a')}-r1`);
    expect(lines).toHaveLength(2);
  });

  it('GIVEN a long history of failures THEN paging stops at the first execution started more than 15 days (the workflow timeout) before --since', async () => {
    const fake = new FakeStepFunctions(2);
    for (let i = 0; i < 40; i++) fake.add(copyName(B, `f${String(i).padStart(2, '0')}`), 'FAILED', 23 + i);
    fake.add(copyName(A, '0c'), 'FAILED', 1);
    const { mock, lines } = await retry(fake);
    // 0c, then f00 (started 23 days ago: more than 7 + 15 days before now): the first page ends it.
    expect(mock.commandCalls(ListExecutionsCommand, { statusFilter: 'FAILED' })).toHaveLength(1);
    expect(lines).toEqual([`${copyName(A, '0c')} FAILED: retried as ${copyName(A, '0c')}-r1`, expect.stringMatching(/^copies retry: 1 execution .* was FAILED\/TIMED_OUT\/ABORTED: 1 retried$/)]);
  });

  it('GIVEN --account THEN only executions named <account>-... are retried', async () => {
    const fake = new FakeStepFunctions().add(copyName(A, '11'), 'FAILED', 1).add(copyName(B, '12'), 'FAILED', 1);
    const { mock, lines } = await retry(fake, { account: B });
    expect(mock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([`${copyName(B, '12')}-r1`]);
    expect(lines.at(-1)).toContain(`of account ${B} since`);
  });

  it('GIVEN nothing failed THEN one line says so, exit 0, and nothing is listed beyond the failed statuses', async () => {
    const { mock, lines, report } = await retry(new FakeStepFunctions().add(copyName(A, '21'), 'SUCCEEDED', 1));
    expect(lines).toEqual([`copies retry: no execution of ${COPY_STATE_MACHINE_NAME} since ${SINCE.toISOString()} failed, timed out or was aborted; nothing to retry`]);
    expect(mock.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input.statusFilter)).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
    expect(exitCodeOf(report)).toBe(0);
  });
});

describe('copies retry: executions already retried', () => {
  it('GIVEN a failed execution whose retry is RUNNING, or SUCCEEDED THEN it is not retried again, and the line says so', async () => {
    const running = copyName(A, '31');
    const succeeded = copyName(A, '32');
    const fake = new FakeStepFunctions()
      .add(running, 'FAILED', 3, 2)
      .add(`${running}-r1`, 'RUNNING', 1)
      .add(succeeded, 'ABORTED', 3, 2)
      .add(`${succeeded}-r1`, 'SUCCEEDED', 1.5, 1);
    const { mock, lines, report } = await retry(fake);
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(lines).toEqual([
      `${running} FAILED: already retried as ${running}-r1 (RUNNING); not retried again`,
      `${succeeded} ABORTED: already retried as ${succeeded}-r1 (SUCCEEDED); not retried again`,
      expect.stringMatching(/: 2 already retried$/),
    ]);
    expect(exitCodeOf(report)).toBe(0);
  });

  it('GIVEN a retry that failed too THEN the family is retried once more, as -r2, from the latest attempt, and the original points to it', async () => {
    const name = copyName(A, '41');
    const fake = new FakeStepFunctions().add(name, 'FAILED', 4, 3).add(`${name}-r1`, 'FAILED', 2, 1, { input: inputOf(name) });
    const { mock, lines } = await retry(fake);
    expect(mock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([{ stateMachineArn: ARN, name: `${name}-r2`, input: inputOf(name) }]);
    expect(mock.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([fake.arnOf(`${name}-r1`)]);
    expect(lines).toEqual([
      `${name}-r1 FAILED: retried as ${name}-r2`,
      `${name} FAILED: already retried as ${name}-r1 (FAILED); not retried again`,
      expect.stringMatching(/: 1 retried, 1 already retried$/),
    ]);
  });

  it('GIVEN the command is run twice THEN the second run starts nothing (its retries are running)', async () => {
    const fake = new FakeStepFunctions().add(copyName(A, '51'), 'FAILED', 1).add(copyName(B, '52'), 'TIMED_OUT', 2);
    await retry(fake);
    const second = await retry(fake);
    expect(second.mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(second.report.results.map((r) => r.outcome)).toEqual(['already-retried', 'already-retried']);
  });

  it('GIVEN an 80-character execution name THEN its retry has a hash-shortened name of at most 80 characters, recognized on the next run', async () => {
    const long = `${A}-${'y'.repeat(67)}`;
    const fake = new FakeStepFunctions().add(long, 'FAILED', 1, 1, { input: inputOf(copyName(A, '61')) });
    const first = await retry(fake);
    const started = first.mock.commandCalls(StartExecutionCommand)[0]!.args[0].input.name!;
    expect(started).toBe(`${shortenedKey(long)}-r1`);
    expect(started.length).toBeLessThanOrEqual(80);
    const second = await retry(fake);
    expect(second.lines[0]).toBe(`${long} FAILED: already retried as ${started} (RUNNING); not retried again`);
  });
});

describe('copies retry: what is not started', () => {
  it('GIVEN --dry-run THEN nothing is started and each line says what would be', async () => {
    const name = copyName(A, '71');
    const fake = new FakeStepFunctions().add(name, 'FAILED', 1).add(`${copyName(A, '72')}`, 'FAILED', 2).add(`${copyName(A, '72')}-r1`, 'FAILED', 1.5, 1.2);
    const { mock, lines, report } = await retry(fake, { dryRun: true });
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(fake.executions).toHaveLength(3);
    expect(lines).toContain(`${name} FAILED: would retry as ${name}-r1 (dry run)`);
    expect(lines).toContain(`${copyName(A, '72')}-r1 FAILED: would retry as ${copyName(A, '72')}-r2 (dry run)`);
    expect(lines.at(-1)).toMatch(/: 2 would retry \(dry run\), 1 already retried$/);
    expect(exitCodeOf(report)).toBe(0);
  });

  it('GIVEN an execution that failed with InvalidCopyInput THEN it is not retried (the same input fails the same way)', async () => {
    const fake = new FakeStepFunctions().add('hand-started', 'FAILED', 1, 1, { error: 'InvalidCopyInput' });
    const { mock, lines } = await retry(fake);
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(lines[0]).toBe('hand-started FAILED: not retried: InvalidCopyInput: its input is not a copy input; start it by hand with the canonical input');
  });

  it("GIVEN an execution that failed with SourceKeyNotAccessible THEN it is not retried (the snapshot's key never changes), and the line says what to do", async () => {
    const name = copyName(A, '91');
    const fake = new FakeStepFunctions().add(name, 'FAILED', 1, 1, { error: 'SourceKeyNotAccessible' }).add(copyName(A, '92'), 'FAILED', 2, 2, { error: 'CopyFailed' });
    const { mock, lines, report } = await retry(fake);
    expect(mock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([`${copyName(A, '92')}-r1`]);
    expect(lines).toContain(`${name} FAILED: not retried: SourceKeyNotAccessible: its snapshot is encrypted under another account's key and always will be; re-encrypt it under a key of its account and start a copy of the new snapshot by hand`);
    expect(exitCodeOf(report)).toBe(0);
  });

  it('GIVEN a retry name a closed execution already holds THEN that start fails with a clear line, the others go on, exit 1', async () => {
    const name = copyName(A, '81');
    const fake = new FakeStepFunctions().add(name, 'FAILED', 1).add(copyName(A, '82'), 'FAILED', 2);
    const { client, mock } = fake.client();
    // The listing does not show it yet (ListExecutions is eventually consistent), StartExecution does.
    mock.on(StartExecutionCommand, { name: `${name}-r1` }).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const report = await retryFailedCopies({ sfn: client, stateMachineArn: ARN, since: SINCE, dryRun: false });
    const lines = renderRetryReport(report);
    expect(lines[0]).toMatch(new RegExp(`^${name} FAILED: start failed \\(as ${name}-r1\\): ExecutionAlreadyExists: `));
    expect(lines[1]).toBe(`${copyName(A, '82')} FAILED: retried as ${copyName(A, '82')}-r1`);
    expect(lines.at(-1)).toMatch(/: 1 retried, 1 start failed$/);
    expect(exitCodeOf(report)).toBe(1);
  });
});

/** The real SFN client, with an HTTP handler answering the AWS JSON 1.0 protocol as Step Functions does. */
function realClient(answer: (operation: string, body: Record<string, unknown>) => { status?: number; body: unknown }, config: Record<string, unknown> = {}) {
  const calls: string[] = [];
  const requestHandler = {
    async handle(request: { headers: Record<string, string>; body?: string | Uint8Array }) {
      const operation = (request.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
      const body = JSON.parse(request.body === undefined ? '{}' : typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body)) as Record<string, unknown>;
      calls.push(`${operation} ${String(body.name ?? body.statusFilter ?? '')}`.trim());
      const out = answer(operation, body);
      return {
        response: {
          statusCode: out.status ?? 200,
          reason: '',
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'r' },
          body: Readable.from([Buffer.from(JSON.stringify(out.body))]),
        },
      };
    },
  };
  const client = new SFNClient({ region: CENTRAL_REGION, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, requestHandler, ...COPIES_SFN_RETRY, ...config });
  return { client, calls };
}

const THROTTLED = { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };

/** Answers from a FakeStepFunctions, throttling StartExecution of `throttled` names `times` times (Infinity: always). */
function throttlingAnswer(fake: FakeStepFunctions, throttled: Record<string, number>) {
  const seconds = (d?: Date) => (d ? d.getTime() / 1000 : undefined);
  return (operation: string, body: Record<string, unknown>) => {
    if (operation === 'ListExecutions') {
      const out = fake.list(body as never);
      return { body: { ...out, executions: out.executions.map((e) => ({ ...e, startDate: seconds(e.startDate), stopDate: seconds(e.stopDate) })) } };
    }
    if (operation === 'DescribeExecution') {
      const out = fake.describe(String(body.executionArn));
      return { body: { ...out, startDate: seconds(out.startDate), stopDate: seconds(out.stopDate) } };
    }
    const name = String(body.name);
    if ((throttled[name] ?? 0) > 0) {
      throttled[name]! -= 1;
      return THROTTLED;
    }
    return { body: { ...fake.start(body as never), startDate: NOW.getTime() / 1000 } };
  };
}

describe('copies retry: throttling', () => {
  it('GIVEN StartExecution throttled twice THEN the SDK\'s standard retry (COPIES_SFN_RETRY) retries with backoff and the execution is retried', async () => {
    const name = copyName(A, '91');
    const fake = new FakeStepFunctions().add(name, 'FAILED', 1);
    const { client, calls } = realClient(throttlingAnswer(fake, { [`${name}-r1`]: 2 }));
    const report = await retryFailedCopies({ sfn: client, stateMachineArn: ARN, since: SINCE, dryRun: false });
    expect(calls.filter((c) => c === `StartExecution ${name}-r1`)).toHaveLength(3);
    expect(renderRetryReport(report)[0]).toBe(`${name} FAILED: retried as ${name}-r1`);
    expect(exitCodeOf(report)).toBe(0);
  }, 20_000);

  it('GIVEN one start throttled past the SDK\'s attempts THEN it is reported as not started with the attempts, the others are started, exit 1', async () => {
    const stuck = copyName(A, '92');
    const fine = copyName(B, '93');
    const fake = new FakeStepFunctions().add(stuck, 'FAILED', 1).add(fine, 'FAILED', 2);
    // Two attempts keep the test fast; the production setting is checked below.
    const { client } = realClient(throttlingAnswer(fake, { [`${stuck}-r1`]: Infinity }), { maxAttempts: 2 });
    const report = await retryFailedCopies({ sfn: client, stateMachineArn: ARN, since: SINCE, dryRun: false });
    const lines = renderRetryReport(report);
    expect(lines[0]).toBe(`${stuck} FAILED: start failed (as ${stuck}-r1): StartExecution: throttled (ThrottlingException) after 2 attempts; run it again later`);
    expect(lines[1]).toBe(`${fine} FAILED: retried as ${fine}-r1`);
    expect(exitCodeOf(report)).toBe(1);
  }, 20_000);

  it('GIVEN ListExecutions throttled past the SDK\'s attempts THEN a ListExecutionsError (one line) and nothing started', async () => {
    const fake = new FakeStepFunctions().add(copyName(A, '94'), 'FAILED', 1);
    const { client, calls } = realClient(() => THROTTLED, { maxAttempts: 2 });
    await expect(retryFailedCopies({ sfn: client, stateMachineArn: ARN, since: SINCE, dryRun: false })).rejects.toThrow(
      new ListExecutionsError(`cannot list the executions of ${ARN}: throttled (ThrottlingException) after 2 attempts; run it again later`),
    );
    expect(calls.every((c) => c.startsWith('ListExecutions'))).toBe(true);
    expect(fake.executions).toHaveLength(1);
  }, 20_000);

  it('the command\'s SFN client, made through the deployment-role provider, uses the standard retry mode with 8 attempts', async () => {
    const sts = new STSClient({ region: CENTRAL_REGION });
    mockClient(sts).on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'A', SecretAccessKey: 'S', SessionToken: 'T', Expiration: NOW } });
    const provider = assumeRoleClients({ roleName: 'OrganizationAccountAccessRole', stsRegion: CENTRAL_REGION, sts, sessionName: 'ebs-event-hub-copies', overrides: { sfn: { ...COPIES_SFN_RETRY } } });
    const sfn = (await provider.forAccount(CENTRAL_ACCOUNT))(CENTRAL_REGION).sfn;
    expect(await sfn.config.maxAttempts()).toBe(8);
    expect((await sfn.config.retryStrategy()) as { mode?: string }).toMatchObject({ mode: 'standard' });
  });
});

describe('copies: the command line', () => {
  it.each([
    [['retry', '--since', 'last week'], '--since: "last week" is not an ISO 8601 time with a zone'],
    [['retry', '--since', '2026-02-30T00:00:00Z'], '--since: "2026-02-30T00:00:00Z" is not an ISO 8601 time'],
    [['retry', '--since', '2026-11-20T10:00:00'], 'is not an ISO 8601 time with a zone'],
    [['retry', '--since', '2026-11-22T10:00:00Z'], '--since: 2026-11-22T10:00:00Z is in the future'],
    [['retry', '--account', '12345'], '--account: "12345" is not a 12-digit AWS account ID'],
    [['retry', '--account', '22222222222a'], '--account: "22222222222a" is not a 12-digit AWS account ID'],
    [[], 'a command is required (allowed: retry)'],
    [['redo'], '"redo" is not a command (allowed: retry)'],
    [['retry', 'now'], '"now": unexpected argument'],
    [['retry', '--dryrun'], "Unknown option '--dryrun'"],
  ])('GIVEN %j THEN a UsageError: %s', (argv, message) => {
    expect(() => parseCopiesArgs(argv, NOW)).toThrow(UsageError);
    expect(() => parseCopiesArgs(argv, NOW)).toThrow(message);
  });

  it('parses retry with its defaults (the last 7 days) and options', () => {
    expect(parseCopiesArgs(['retry'], NOW)).toEqual({ command: 'retry', since: at(7), dryRun: false });
    expect(parseCopiesArgs(['retry', '--since', '2026-11-20T12:00:00+02:00', '--account', A, '--dry-run'], NOW)).toEqual({
      command: 'retry',
      since: new Date('2026-11-20T10:00:00Z'),
      account: A,
      dryRun: true,
    });
  });

  it('GIVEN npm took --dry-run for itself (npm run copies --dry-run -- retry) THEN refused, since the run would be real', () => {
    expect(() => parseCopiesArgs(['retry'], NOW, { npm_config_dry_run: 'true' })).toThrow(/--dry-run: npm took it for itself .* npm run copies -- retry --dry-run/);
    expect(parseCopiesArgs(['retry', '--dry-run'], NOW, { npm_config_dry_run: '' })).toMatchObject({ dryRun: true });
  });

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'copies.ts'), ...args], { cwd: tmpdir(), encoding: 'utf8', env: { ...noCredentials(), ...env } });

  it('GIVEN --help THEN the usage on stdout, exit 0, without reading the config or credentials', () => {
    const run = cli(['retry', '--help'], { ORG_CONFIG: ' ' });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${USAGE}\n`);
    expect(run.stdout).toContain('npm run copies -- retry [--since <ISO time>] [--account <id>] [--dry-run]');
  });

  it('GIVEN no AWS credentials THEN one line saying so, exit 2, no stack trace', () => {
    const run = cli(['retry']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: no AWS credentials \(CredentialsProviderError: .*\); set or refresh them .*\n$/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('GIVEN a bad argument, or a config without snapshotCopy THEN exit 2 and one line', () => {
    const bad = cli(['retry', '--account', 'me']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('error: --account: "me" is not a 12-digit AWS account ID\n');
    const file = join(mkdtempSync(join(tmpdir(), 'copies-')), 'org.json');
    writeFileSync(file, JSON.stringify(rawConfig()));
    const noCopy = cli(['retry'], { ORG_CONFIG: file });
    expect(noCopy.status).toBe(2);
    expect(noCopy.stderr).toBe('error: the org config has no snapshotCopy, so there is no copy workflow to retry executions of\n');
  });
});

describe('copies: the README sends operators to it', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  /** The rows of the alert table in "The snapshot-copy path" (error → what to do). */
  const alertRows = () => {
    const table = readme.slice(readme.indexOf('**What each alert means**'));
    return table
      .slice(0, table.indexOf('\n\n', table.indexOf('|')))
      .split('\n')
      .filter((l) => /^\| `/.test(l) || /^\| copy DLQ/.test(l));
  };

  it('every alert whose remedy is to start the copy again names npm run copies -- retry; none says "start again" without it', () => {
    const rows = alertRows();
    for (const error of ['CopyFailed', 'CopyPermissionDenied', 'CopyWaitTimedOut', 'Ec2Unavailable', 'CopyAttemptsExhausted', 'States.Timeout', 'MemberCopyGone', 'VaultShareRefused', 'VaultPermissionDenied', 'VaultCopyFailed', 'VaultLockFailed']) {
      expect(rows.find((r) => r.startsWith(`| \`${error}\``)), error).toContain('`npm run copies -- retry`');
    }
    for (const row of rows) if (/start (it )?again/.test(row)) expect(row).toContain('npm run copies -- retry');
    expect(rows.find((r) => r.startsWith('| `InvalidCopyInput`'))).toContain('`copies retry` skips it');
    expect(rows.find((r) => r.startsWith('| `SourceKeyNotAccessible`'))).toContain('`copies retry` skips it');
  });

  it('has a row for every error an execution of the copy workflow can end with, and none for an error the definition never lets end one', () => {
    const named = new Set(alertRows().flatMap((r) => [...r.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)));
    // Terminal: thrown without a catcher that recovers, or a loop's bound (DEFINITION_ERRORS), or the execution's own timeout.
    const terminal = [
      WORKFLOW_ERRORS.copyFailed,
      WORKFLOW_ERRORS.sourceKeyNotAccessible,
      WORKFLOW_ERRORS.permissionDenied,
      WORKFLOW_ERRORS.waitTimedOut,
      WORKFLOW_ERRORS.ec2Unavailable,
      WORKFLOW_ERRORS.sourceNotReady,
      'Lambda.*',
      WORKFLOW_ERRORS.invalidInput,
      DEFINITION_ERRORS.copyAttemptsExhausted,
      'States.Timeout',
      // Vault mode.
      WORKFLOW_ERRORS.memberCopyGone,
      WORKFLOW_ERRORS.vaultShareRefused,
      WORKFLOW_ERRORS.vaultPermissionDenied,
      WORKFLOW_ERRORS.vaultCopyFailed,
      WORKFLOW_ERRORS.vaultLockFailed,
    ];
    for (const error of terminal) expect(named, error).toContain(error);
    // Waited out, caught or retried until a terminal error above: never the execution's Error.
    for (const error of [WORKFLOW_ERRORS.slotTableUnavailable, WORKFLOW_ERRORS.copyOutcomeUnknown, WORKFLOW_ERRORS.copyNotVisibleYet, WORKFLOW_ERRORS.copyPending, WORKFLOW_ERRORS.copyStillPending, WORKFLOW_ERRORS.sourceGone, 'CopySlotsFull', 'CopyQuotaExceeded']) {
      expect(named, error).not.toContain(error);
    }
  });
});
