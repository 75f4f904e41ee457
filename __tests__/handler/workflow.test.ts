/**
 * The deployed definition, run offline: SQS records → `start` → local Step Functions executing the
 * REAL definition → `step` through the real SDK → the loopback EC2 stand-in (which fails, throttles,
 * refuses and answers ambiguously the way the EC2 API reference says). Time is compressed; every
 * Retry/Catch/Choice decision is the definition's.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadStartConfig } from '../../handlers/snapshot-copy/config';
import { PROVENANCE_TAGS } from '../../handlers/snapshot-copy/decide';
import { DEFAULT_EC2_CONFIG } from '../../handlers/snapshot-copy/clients';
import { EXPIRES_AT_TAG } from '../../handlers/snapshot-copy/decide';
import { handleStart } from '../../handlers/snapshot-copy/start';
import { STATES, THROTTLE_RETRY, copyWorkflowDefinition } from '../../stacks/central/copy-workflow';
import { startEc2Standin, type Ec2Standin, type StandinSnapshot } from '../../scripts/support/ec2-standin';
import { createSlotStore } from '../../handlers/snapshot-copy/slots';
import { memberCopyEntry } from '../../handlers/snapshot-copy/ledger';
import { DynamoDbStandin } from '../../scripts/support/dynamodb-standin';
import { LEDGER_TABLE } from '../../scripts/support/copy-tables';
import { sweepDeps, sweepUntilDone } from './local-sweep';
import { COPY_QUEUE_ARN, LocalWorkflow, SLOTS_TABLE, STATE_MACHINE_ARN, STEP_FUNCTION_ARN, type LocalWorkflowOptions } from './local-workflow';
import { FUNCTION_ARN, MEMBER_ACCOUNT, OWN_ACCOUNT, createSnapshotEvent, multiVolumeEvent, pointSdkAt, recordingLogger, sqsBatch, sqsRecord } from './support';

/** asl-validator 4 ships no type declarations: typed here (its README's call signature). */
const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

let standin: Ec2Standin;
let restoreEnv: () => void;

beforeAll(async () => {
  // Copies stay pending 40 ms of real time; new copies are invisible to DescribeSnapshots for 0 ms unless a test says so.
  standin = await startEc2Standin({ defaultAccount: OWN_ACCOUNT, copyDurationMs: 40 });
  restoreEnv = pointSdkAt(standin.url);
});

afterAll(async () => {
  await standin.close();
  restoreEnv();
});

beforeEach(() => {
  standin.reset();
});

/** Runs `fn` against a stand-in with other timing (copy duration, visibility lag). */
async function withStandin(options: { copyDurationMs: number; visibilityDelayMs?: number; requestRate?: { perSecond: number; burst: number }; now?: () => number }, fn: (s: Ec2Standin) => Promise<void>): Promise<void> {
  const other = await startEc2Standin({ defaultAccount: OWN_ACCOUNT, ...options });
  process.env['AWS_ENDPOINT_URL_EC2'] = other.url;
  process.env['AWS_ENDPOINT_URL_STS'] = other.url;
  try {
    await fn(other);
  } finally {
    await other.close();
    process.env['AWS_ENDPOINT_URL_EC2'] = standin.url;
    process.env['AWS_ENDPOINT_URL_STS'] = standin.url;
  }
}

const SOURCE = 'us-west-2';
const DEST = 'us-east-1';
let idCounter = 0;
const snapId = (): string => `snap-0${(++idCounter).toString(16).padStart(16, 'a')}`;

const source = (overrides: Partial<StandinSnapshot> = {}): StandinSnapshot => ({
  snapshotId: snapId(),
  region: SOURCE,
  ownerId: MEMBER_ACCOUNT,
  state: 'completed',
  tags: [
    { key: 'Name', value: 'db' },
    { key: 'aws:backup:source-resource', value: 'arn:aws:ec2:…' },
  ],
  ...overrides,
});

function setup(options: Partial<LocalWorkflowOptions> = {}) {
  const logger = recordingLogger();
  const workflow = new LocalWorkflow({ logger, ...options });
  // Copies report their StartTime on the steps' (compressed) clock: ConfirmCopy compares the two.
  standin.setReportedClock(workflow.now);
  const startConfig = loadStartConfig({ STATE_MACHINE_ARN, COPY_QUEUE_ARN, DESTINATION_REGION: DEST, SOURCE_REGIONS: SOURCE });
  const deliver = async (...bodies: unknown[]) =>
    handleStart(sqsBatch(...bodies.map((b, i) => ({ ...sqsRecord(`m-${i}`, b), eventSourceARN: COPY_QUEUE_ARN }))), { config: startConfig, sfn: workflow.sfn(), logger });
  return { logger, workflow, deliver };
}

const copiesOf = (snapshotId: string) =>
  standin.snapshots().filter((s) => s.region === DEST && s.tags.some((t) => t.key === PROVENANCE_TAGS.sourceSnapshotId && t.value === snapshotId));
const nameOf = (snapshotId: string, account = MEMBER_ACCOUNT) => `${account}-${SOURCE}-${snapshotId}-${DEST}`;
const copyCalls = (snapshotId: string) => standin.calls('CopySnapshot').filter((r) => r.params['SourceSnapshotId'] === snapshotId);
/** Records a copy in the workflow's ledger, as the execution that made it did. */
const recordInLedger = (workflow: LocalWorkflow, copy: StandinSnapshot, account = MEMBER_ACCOUNT) =>
  workflow.ledger.record(
    memberCopyEntry({ account, sourceRegion: copy.copiedFrom!.region, snapshotId: copy.copiedFrom!.snapshotId, destinationRegion: copy.region }, copy.snapshotId, {
      executionName: nameOf(copy.copiedFrom!.snapshotId, account),
      createdAt: new Date(),
      recordedBy: 'copy',
    }),
  );

/** GIVEN a source snapshot every copy of which ends in error with `stateMessage`: runs its execution and checks it FAILED with CopyFailed. */
async function runEveryCopyFails(stateMessage: string) {
  const s = source();
  standin.addSnapshot(s);
  standin.failCopiesOf(s.snapshotId, stateMessage);
  const { workflow, deliver } = setup();
  await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
  await workflow.settle();

  const execution = workflow.executions.get(nameOf(s.snapshotId))!;
  expect(execution.status).toBe('FAILED');
  expect(execution.error!.cause!.name).toBe('CopyFailed');
  return { s, workflow, execution };
}

describe('the copy workflow definition', () => {
  type Task = { Type: string; Resource?: string; Parameters?: { FunctionName?: string }; Retry?: Array<{ ErrorEquals: string[] }>; Catch?: Array<{ ErrorEquals: string[]; Next: string }> };
  const states = (arn: string) => Object.values((copyWorkflowDefinition({ stepFunctionArn: arn }) as { States: Record<string, Task> }).States);

  it('passes asl-validator', () => {
    const result = aslValidator(copyWorkflowDefinition({ stepFunctionArn: STEP_FUNCTION_ARN }) as never);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('invokes only the step function, by literal ARN, through lambda:invoke of its partition', () => {
    const tasks = states(STEP_FUNCTION_ARN).filter((s) => s.Type === 'Task');
    expect(tasks).toHaveLength(9);
    for (const t of tasks) expect(t).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: STEP_FUNCTION_ARN } });
    const gov = states('arn:aws-us-gov:lambda:us-gov-west-1:111111111111:function:ebs-event-hub-copy-step').filter((s) => s.Type === 'Task');
    expect(new Set(gov.map((t) => t.Resource))).toEqual(new Set(['arn:aws-us-gov:states:::lambda:invoke']));
  });

  it('never retries CopySnapshot on an error after which the copy may exist: those go to ConfirmCopy', () => {
    const copy = (copyWorkflowDefinition({ stepFunctionArn: STEP_FUNCTION_ARN }) as { States: Record<string, Task> }).States[STATES.copy]!;
    const retried = copy.Retry!.flatMap((r) => r.ErrorEquals);
    // Only an error that proves the function did not run.
    expect(retried).toEqual(['Lambda.TooManyRequestsException']);
    expect(copy.Catch!.find((c) => c.ErrorEquals.includes('CopyOutcomeUnknown'))).toMatchObject({ Next: STATES.confirm });
    expect(copy.Catch!.find((c) => c.ErrorEquals.includes('CopyOutcomeUnknown'))!.ErrorEquals).toEqual(
      expect.arrayContaining(['Lambda.ServiceException', 'Lambda.Unknown', 'Sandbox.Timedout', 'Runtime.ExitError', 'States.Timeout']),
    );
  });

  it('waits out an outage on Inspect, Find and ConfirmCopy (their answer `unavailable` loops back through a counted wait), and retries Lambda timeouts and crashes on every state but Copy', () => {
    const all = (copyWorkflowDefinition({ stepFunctionArn: STEP_FUNCTION_ARN }) as { States: Record<string, Task & { Choices?: Array<{ Next: string }> }> }).States;
    for (const [choice, count, wait, step] of [
      [STATES.sourceChoice, STATES.countOutageInspect, STATES.waitOutageInspect, STATES.inspect],
      [STATES.foundChoice, STATES.countOutageFind, STATES.waitOutageFind, STATES.find],
      [STATES.confirmChoice, STATES.countOutageConfirm, STATES.waitOutageConfirm, STATES.confirm],
    ] as const) {
      expect(all[choice]!.Choices!.map((c) => c.Next)).toContain(count);
      expect(all[count]).toMatchObject({ Type: 'Pass', Next: wait });
      expect(all[wait]).toMatchObject({ Type: 'Wait', SecondsPath: '$.task.data.waitSeconds', Next: step });
    }
    for (const name of [STATES.inspect, STATES.find, STATES.admit, STATES.confirm, STATES.poll, STATES.release, STATES.releaseSkipped, STATES.releaseFailed]) {
      expect(all[name]!.Retry!.flatMap((r) => r.ErrorEquals)).toEqual(expect.arrayContaining(['Sandbox.Timedout', 'Lambda.Unknown', 'Runtime.ExitError', 'Lambda.ServiceException']));
    }
  });

  it("passes every step the execution's own name ($$.Execution.Name): the copy-slot holder, which a retry under another name must not share with the original", () => {
    const tasks = states(STEP_FUNCTION_ARN).filter((s) => s.Type === 'Task') as Array<Task & { Parameters: { Payload: Record<string, unknown> } }>;
    for (const t of tasks) {
      expect(t.Parameters.Payload).toMatchObject({ 'executionName.$': '$$.Execution.Name', 'executionStartTime.$': '$$.Execution.StartTime', 'data.$': '$.task.data' });
    }
  });

  it('rejects a step function ARN that is not a Lambda function ARN', () => {
    expect(() => copyWorkflowDefinition({ stepFunctionArn: 'ebs-event-hub-copy-step' })).toThrow(/stepFunctionArn "ebs-event-hub-copy-step" is not a Lambda function ARN/);
    expect(() => copyWorkflowDefinition({ stepFunctionArn: `${STEP_FUNCTION_ARN}:live` })).toThrow(/is not a Lambda function ARN/);
  });
});

describe('the copy workflow, offline, against the EC2 stand-in', () => {
  it('GIVEN a completed snapshot WHEN its event arrives THEN one execution copies it once under the member role, with its user tags and provenance', async () => {
    const s = source();
    standin.addSnapshot(s);
    const { workflow, deliver } = setup();
    const answer = await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    expect(answer.batchItemFailures).toEqual([]);
    const execution = workflow.executions.get(nameOf(s.snapshotId))!;
    expect(JSON.parse(execution.input)).toEqual({ account: MEMBER_ACCOUNT, sourceRegion: SOURCE, snapshotId: s.snapshotId, destinationRegion: DEST });
    expect(execution.status).toBe('SUCCEEDED');
    expect(workflow.path(execution.name)).toEqual([
      STATES.prepare, STATES.inspect, STATES.sourceChoice, STATES.find, STATES.foundChoice, STATES.admit, STATES.admitChoice, STATES.copy, STATES.copyChoice, STATES.waitForCopy, STATES.poll, STATES.pollChoice, STATES.release, STATES.copied,
    ]);
    const [copy] = copiesOf(s.snapshotId);
    expect(copiesOf(s.snapshotId)).toHaveLength(1);
    expect(copy).toMatchObject({ ownerId: MEMBER_ACCOUNT, state: 'completed' });
    expect(copy!.tags).toEqual([
      { key: PROVENANCE_TAGS.sourceSnapshotId, value: s.snapshotId },
      { key: PROVENANCE_TAGS.sourceRegion, value: SOURCE },
      { key: PROVENANCE_TAGS.sourceAccount, value: MEMBER_ACCOUNT },
      { key: 'Name', value: 'db' },
    ]);
    expect(standin.calls('AssumeRole')[0]!.params['RoleArn']).toBe(`arn:aws:iam::${MEMBER_ACCOUNT}:role/ebs-event-hub-snapshot-copy`);
    expect((execution.output as { outcome: string; copySnapshotId: string }).copySnapshotId).toBe(copy!.snapshotId);
  });

  it('GIVEN a completed copy already exists (an execution run again, e.g. after its name expired) THEN it ends Copied without CopySnapshot', async () => {
    const s = source();
    standin.addSnapshot(s);
    const earlier: StandinSnapshot = { snapshotId: snapId(), region: DEST, ownerId: MEMBER_ACCOUNT, state: 'completed', tags: [{ key: PROVENANCE_TAGS.sourceSnapshotId, value: s.snapshotId }], copiedFrom: { region: SOURCE, snapshotId: s.snapshotId } };
    standin.addSnapshot(earlier);
    const { workflow, deliver } = setup();
    // The earlier execution recorded its copy: Find trusts the ledger, then EC2's state of the copy.
    await recordInLedger(workflow, earlier);
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    const name = nameOf(s.snapshotId);
    expect(workflow.executions.get(name)!.status).toBe('SUCCEEDED');
    expect(workflow.path(name)).toEqual([STATES.prepare, STATES.inspect, STATES.sourceChoice, STATES.find, STATES.foundChoice, STATES.copied]);
    expect(standin.calls('CopySnapshot')).toHaveLength(0);
  });

  it('GIVEN the same snapshot delivered three times in a batch, again concurrently, and in a multi-volume event THEN one execution and one copy', async () => {
    const s = source();
    standin.addSnapshot(s);
    const { workflow, deliver, logger } = setup();
    const single = createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT, arnLayout: 'region-second' });
    const multi = multiVolumeEvent([{ id: s.snapshotId, status: 'completed' }], { region: SOURCE, account: MEMBER_ACCOUNT });
    const answers = await Promise.all([deliver(single, single, single), deliver(multi), deliver(single)]);
    await workflow.settle();
    const late = await deliver(single); // after the execution closed: ExecutionAlreadyExists

    expect([...answers, late].flatMap((a) => a.batchItemFailures)).toEqual([]);
    expect([...workflow.executions.keys()]).toEqual([nameOf(s.snapshotId)]);
    expect(copyCalls(s.snapshotId)).toHaveLength(1);
    expect(copiesOf(s.snapshotId)).toHaveLength(1);
    expect(logger.decisions().filter((d) => d === 'already-started').length).toBeGreaterThanOrEqual(1);
  });

  it('GIVEN a multi-volume set of 25 and copies of DLM already pending WHEN EC2 refuses (ResourceLimitExceeded) THEN every snapshot is copied exactly once and EC2 never holds more than 20', async () => {
    // Copies stay pending until the test ends them: EC2's quota is certain to be hit.
    await withStandin({ copyDurationMs: 1e12 }, async (ec2) => {
      const members = Array.from({ length: 25 }, () => source({ ownerId: OWN_ACCOUNT }));
      members.forEach((m) => ec2.addSnapshot(m));
      // 8 copies someone else (DLM) is making in the destination: they count against EC2's 20, not against our 15.
      const dlm = Array.from({ length: 8 }, () => ({ snapshotId: snapId(), region: DEST, ownerId: OWN_ACCOUNT, state: 'pending' as const, tags: [], copiedFrom: { region: SOURCE, snapshotId: 'snap-0d1m' } }));
      dlm.forEach((d) => ec2.addSnapshot(d));
      const { workflow, deliver } = setup({
        intervalMs: 10,
        beforeTask: (state, event) => {
          // Once EC2 has seen a 13th CopySnapshot (8 DLM + 12 ours = 20: refused), copies start completing.
          if (ec2.calls('CopySnapshot').length > 12 && state === STATES.poll) ec2.settleNow([event.data.copySnapshotId!, ...dlm.map((d) => d.snapshotId)]);
        },
      });
      await deliver(multiVolumeEvent(members.map((m) => ({ id: m.snapshotId, status: 'completed' })), { region: SOURCE, account: OWN_ACCOUNT }));
      await workflow.settle();

      expect(workflow.executions.size).toBe(25);
      expect([...workflow.executions.values()].map((e) => e.status)).toEqual(Array(25).fill('SUCCEEDED'));
      for (const m of members) {
        expect(ec2.snapshots().filter((c) => c.copiedFrom?.snapshotId === m.snapshotId).map((c) => c.state)).toEqual(['completed']);
      }
      expect(ec2.peakPendingCopies(OWN_ACCOUNT, DEST)).toBe(20);
      const names = [...workflow.executions.keys()];
      // EC2 refused some (ResourceLimitExceeded): those waited (CountWait → WaitForSlot) and went back through Admit; none was dropped.
      const refused = names.reduce((n, name) => n + workflow.path(name).filter((s) => s === STATES.copy).length - 1, 0);
      expect(refused).toBeGreaterThan(0);
      expect(ec2.calls('CopySnapshot').length).toBe(25 + refused);
    });
  });

  it('GIVEN 15 of our copies pending WHEN a new snapshot arrives THEN Admit answers wait (CountWait → WaitForSlot) until a slot frees, then copies', async () => {
    const old = Array.from({ length: 15 }, (_, i) => ({
      snapshotId: snapId(),
      region: DEST,
      ownerId: MEMBER_ACCOUNT,
      state: 'pending' as const,
      tags: [{ key: PROVENANCE_TAGS.sourceSnapshotId, value: `snap-0old${i}` }],
      copiedFrom: { region: SOURCE, snapshotId: `snap-0old${i}` },
    }));
    old.forEach((o) => standin.addSnapshot(o));
    const s = source();
    standin.addSnapshot(s);
    let admits = 0;
    // The third time Admit runs, one earlier copy completes: a slot frees.
    const { workflow, deliver } = setup({ beforeTask: (state) => state === STATES.admit && ++admits === 3 && standin.settleNow([old[0]!.snapshotId]) });
    for (const o of old) await recordInLedger(workflow, o);
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    const name = nameOf(s.snapshotId);
    expect(workflow.executions.get(name)!.status).toBe('SUCCEEDED');
    expect(workflow.path(name).filter((p) => p === STATES.countWait)).toHaveLength(2);
    expect(workflow.retries(name, STATES.admit)).toBe(0);
    expect(copyCalls(s.snapshotId)).toHaveLength(1); // no refused attempt: admission held it back
    expect(standin.pendingCopies(MEMBER_ACCOUNT, DEST)).toBe(14);
  });

  for (const mode of ['500', 'reset'] as const) {
    it(`GIVEN EC2 makes the copy but answers ${mode === '500' ? '500 InternalError' : 'with a reset connection'} and DescribeSnapshots lags THEN the workflow finds the copy (ConfirmCopy) and never copies twice`, async () => {
      await withStandin({ copyDurationMs: 40, visibilityDelayMs: 150 }, async (lagging) => {
        const s = source();
        lagging.addSnapshot(s);
        lagging.ambiguousAfterCopy(mode);
        const { workflow, deliver } = setup({ intervalMs: 60 });
        lagging.setReportedClock(workflow.now);
        await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
        await workflow.settle();

        const name = nameOf(s.snapshotId);
        expect(workflow.executions.get(name)!.status).toBe('SUCCEEDED');
        expect(lagging.calls('CopySnapshot')).toHaveLength(1); // neither the SDK nor the workflow re-sent it
        expect(lagging.snapshots().filter((c) => c.copiedFrom?.snapshotId === s.snapshotId)).toHaveLength(1);
        expect(workflow.path(name)).toContain(STATES.confirm);
        expect(workflow.retries(name, STATES.confirm)).toBeGreaterThan(0); // the copy was invisible at first
      });
    });
  }

  it('GIVEN EC2 throttles CopySnapshot (RequestLimitExceeded, nothing copied) THEN the execution waits like for a slot and copies once', async () => {
    const s = source();
    standin.addSnapshot(s);
    standin.failNext('CopySnapshot', { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' }, 2);
    const { workflow, deliver } = setup();
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    const name = nameOf(s.snapshotId);
    expect(workflow.executions.get(name)!.status).toBe('SUCCEEDED');
    expect(workflow.path(name).filter((p) => p === STATES.countWait)).toHaveLength(2);
    expect(copyCalls(s.snapshotId)).toHaveLength(3); // two refused, one made: SDK sent each once
    expect(copiesOf(s.snapshotId)).toHaveLength(1);
  });

  it('GIVEN a copy that ends in error once (KMS) THEN it is copied again and the execution succeeds', async () => {
    const s = source();
    standin.addSnapshot(s);
    standin.failCopiesOf(s.snapshotId, 'The KMS key is disabled', 1);
    const { workflow, deliver } = setup();
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    const execution = workflow.executions.get(nameOf(s.snapshotId))!;
    expect(execution.status).toBe('SUCCEEDED');
    expect(copiesOf(s.snapshotId).map((c) => c.state).sort()).toEqual(['completed', 'error']);
    expect((execution.output as { recopies: number }).recopies).toBe(1);
  });

  it('GIVEN every copy ends in error THEN after 2 re-copies the execution fails with CopyFailed naming snapshot, account, regions and EC2 StateMessage', async () => {
    const { s, execution } = await runEveryCopyFails('The KMS key arn:aws:kms:us-east-1:222222222222:key/k-1 is disabled');
    const message = execution.error!.cause!.message;
    for (const part of [s.snapshotId, MEMBER_ACCOUNT, SOURCE, DEST, 'The KMS key arn:aws:kms:us-east-1:222222222222:key/k-1 is disabled']) expect(message).toContain(part);
    expect(copiesOf(s.snapshotId)).toHaveLength(3);
  });

  it('GIVEN the snapshot was deleted before the event is handled THEN the execution ends as a logged skip without CopySnapshot', async () => {
    const s = source();
    const { workflow, deliver, logger } = setup();
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    const execution = workflow.executions.get(nameOf(s.snapshotId))!;
    expect(execution.status).toBe('SUCCEEDED');
    expect(workflow.path(execution.name).at(-1)).toBe(STATES.skipped);
    expect(standin.calls('CopySnapshot')).toHaveLength(0);
    expect(logger.decisions()).toContain('skipped-source-gone');
  });

  it('GIVEN the snapshot is deleted between Inspect and Copy THEN CopySnapshot answers NotFound and the execution ends in Skipped', async () => {
    const s = source();
    standin.addSnapshot(s);
    const { workflow, deliver, logger } = setup({ beforeTask: (state) => state === STATES.admit && standin.deleteSnapshot(s.snapshotId) });
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    const execution = workflow.executions.get(nameOf(s.snapshotId))!;
    expect(execution.status).toBe('SUCCEEDED');
    expect(workflow.path(execution.name).slice(-3)).toEqual([STATES.copy, STATES.releaseSkipped, STATES.skipped]);
    expect(copiesOf(s.snapshotId)).toHaveLength(0);
    expect(logger.decisions()).toContain('skipped-source-gone');
  });

  it('GIVEN a snapshot in the archive tier THEN the execution ends as a logged skip', async () => {
    const s = source({ storageTier: 'archive' });
    standin.addSnapshot(s);
    const { workflow, deliver, logger } = setup();
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    expect(workflow.executions.get(nameOf(s.snapshotId))!.status).toBe('SUCCEEDED');
    expect(standin.calls('CopySnapshot')).toHaveLength(0);
    expect(logger.decisions()).toContain('skipped-archive-tier');
  });

  it.each([
    ['the member role may not describe snapshots (EC2 UnauthorizedOperation)', () => standin.denyAccounts.add(MEMBER_ACCOUNT), 'DescribeSnapshots'],
    ['the member role cannot be assumed (STS AccessDenied)', () => standin.failNext('AssumeRole', { code: 'AccessDenied', status: 403, message: 'not authorized to perform sts:AssumeRole' }), 'AssumeRole'],
  ])('GIVEN %s THEN the execution fails at once with CopyPermissionDenied, without retrying', async (_n, deny, refusedAction) => {
    const s = source();
    standin.addSnapshot(s);
    deny();
    const { workflow, deliver, logger } = setup();
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    const name = nameOf(s.snapshotId);
    const execution = workflow.executions.get(name)!;
    expect(execution.status).toBe('FAILED');
    expect(execution.error!.cause!.name).toBe('CopyPermissionDenied');
    expect(execution.error!.cause!.message).toContain(MEMBER_ACCOUNT);
    expect(workflow.retries(name, STATES.inspect)).toBe(0);
    expect(standin.calls(refusedAction)).toHaveLength(1);
    expect(standin.calls('CopySnapshot')).toHaveLength(0);
    expect(logger.lines.some((l) => l.level === 'error' && l.attributes['decision'] === 'failed')).toBe(true);
  });

  it('GIVEN a replayed event (replay-name) THEN no execution starts', async () => {
    const s = source();
    standin.addSnapshot(s);
    const { workflow, deliver, logger } = setup();
    const answer = await deliver({ ...createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }), 'replay-name': 'replay-1' });
    expect(answer.batchItemFailures).toEqual([]);
    expect(workflow.executions.size).toBe(0);
    expect(logger.decisions()).toEqual(['skipped-replay']);
  });

  it('GIVEN EC2 throttles reads (a token bucket of 10, refilling 100 per second) WHEN 30 snapshots arrive at once THEN the SDK and the definition retry and all are copied once', async () => {
    await withStandin({ copyDurationMs: 20, requestRate: { perSecond: 100, burst: 10 } }, async (ec2) => {
      const members = Array.from({ length: 30 }, () => source());
      members.forEach((m) => ec2.addSnapshot(m));
      const { workflow, deliver } = setup({ intervalMs: 100 });
      await deliver(...members.map((m) => createSnapshotEvent({ snapshotId: m.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT })));
      await workflow.settle();

      expect([...workflow.executions.values()].map((e) => e.error?.cause?.message ?? e.status)).toEqual(Array(30).fill('SUCCEEDED'));
      for (const m of members) expect(ec2.snapshots().filter((c) => c.copiedFrom?.snapshotId === m.snapshotId)).toHaveLength(1);
      expect(ec2.calls('DescribeSnapshots').length).toBeGreaterThan(30 * 4); // throttled attempts were made again
    });
  });

  it('GIVEN 30 snapshots WHEN their executions start at once with maxInFlightCopies 15 THEN EC2 never has more than 15 of our copies pending, all are copied once, and every slot is released', async () => {
    // The stand-in's clock stands still (copies stay pending) until 15 copies are pending at once,
    // then runs: reaching the cap does not depend on how fast a loaded machine starts 30 executions.
    let standinOfTest: Ec2Standin | undefined;
    const now = (): number => ((standinOfTest?.peakPendingCopies(MEMBER_ACCOUNT, DEST) ?? 0) >= 15 ? Date.now() : 0);
    await withStandin({ copyDurationMs: 150, now }, async (ec2) => {
      standinOfTest = ec2;
      const members = Array.from({ length: 30 }, () => source());
      members.forEach((m) => ec2.addSnapshot(m));
      const { workflow, deliver } = setup({ intervalMs: 5 });
      await deliver(...members.slice(0, 10).map((m) => createSnapshotEvent({ snapshotId: m.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT })));
      await deliver(...members.slice(10, 20).map((m) => createSnapshotEvent({ snapshotId: m.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT })));
      await deliver(...members.slice(20).map((m) => createSnapshotEvent({ snapshotId: m.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT })));
      await workflow.settle();

      expect([...workflow.executions.values()].map((e) => e.error?.message ?? e.status)).toEqual(Array(30).fill('SUCCEEDED'));
      for (const m of members) expect(ec2.snapshots().filter((c) => c.copiedFrom?.snapshotId === m.snapshotId)).toHaveLength(1);
      // Strict: the cap was reached, never exceeded, and EC2 never had to refuse a copy.
      expect(ec2.peakPendingCopies(MEMBER_ACCOUNT, DEST)).toBe(15);
      expect(ec2.calls('CopySnapshot')).toHaveLength(30);
      const slots = workflow.dynamodb.item(SLOTS_TABLE, JSON.stringify({ slot: { S: `${MEMBER_ACCOUNT}#${DEST}` } }));
      expect(slots).toEqual({ slot: { S: `${MEMBER_ACCOUNT}#${DEST}` }, holders: { M: {} } });
      // Waiting for a slot happened in the definition's loop: CountWait → WaitForSlot → Admit.
      expect([...workflow.executions.keys()].reduce((n, name) => n + workflow.path(name).filter((p) => p === STATES.countWait).length, 0)).toBeGreaterThan(0);
    });
  });

  it('GIVEN 15 slots held, 11 by executions that no longer run (stopped mid-copy, timed out, failed at the history limit, ended without releasing, unknown to Step Functions) THEN Admit reclaims exactly those, asking Step Functions about the holders whose copy is still pending, keeps the running, the fresh and the unanswered ones, and copies', async () => {
    const { workflow, deliver, logger } = setup();
    const slots = createSlotStore(workflow.dynamodb.client as never, SLOTS_TABLE);
    const key = `${MEMBER_ACCOUNT}#${DEST}`;
    const longAgo = new Date(workflow.now().getTime() - 20 * 60_000);
    const name = () => nameOf(snapId());
    const running = [name(), name()];
    const fresh = name(); // acquired a minute ago: not even looked at
    const unanswered = name(); // DescribeExecution throttled: not "gone"
    const aborted = [name(), name(), name(), name()]; // stopped mid-copy: their copies are still pending
    const ended = { TIMED_OUT: [name(), name(), name()], FAILED: [name(), name()], SUCCEEDED: [name()] } as const;
    const neverKnown = name(); // ExecutionDoesNotExist
    for (const h of [...running, unanswered, ...aborted, ...Object.values(ended).flat(), neverKnown]) expect(await slots.acquire(key, h, longAgo, 15)).toEqual({ acquired: true });
    expect(await slots.acquire(key, fresh, new Date(workflow.now().getTime() - 60_000), 15)).toEqual({ acquired: true });
    for (const h of [...running, fresh, unanswered]) workflow.known(h, 'RUNNING');
    for (const h of aborted) workflow.known(h, 'ABORTED');
    for (const [status, names] of Object.entries(ended)) for (const h of names) workflow.known(h, status as keyof typeof ended);
    // Step Functions throttles with ThrottlingException, 400: https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
    workflow.describeFaults.set(unanswered, Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    // The running, fresh, unanswered and aborted holders' copies are pending in EC2, and recorded in
    // the ledger (8 of ours: room for the new one).
    for (const h of [...running, fresh, unanswered, ...aborted]) {
      const id = /-(snap-[0-9a-f]+)-/.exec(h)![1]!;
      const copy: StandinSnapshot = { snapshotId: snapId(), region: DEST, ownerId: MEMBER_ACCOUNT, state: 'pending', tags: [{ key: PROVENANCE_TAGS.sourceSnapshotId, value: id }], copiedFrom: { region: SOURCE, snapshotId: id } };
      standin.addSnapshot(copy);
      await recordInLedger(workflow, copy);
    }
    const s = source();
    standin.addSnapshot(s);
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    expect(workflow.executions.get(nameOf(s.snapshotId))!.status).toBe('SUCCEEDED');
    expect(copiesOf(s.snapshotId)).toHaveLength(1);
    const reclaimed = new Map(logger.lines.filter((l) => l.attributes['staleHolder'] !== undefined).map((l) => [l.attributes['staleHolder'], l.attributes['reason']]));
    expect(new Set(reclaimed.keys())).toEqual(new Set([...aborted, ...Object.values(ended).flat(), neverKnown]));
    for (const h of aborted) expect(reclaimed.get(h)).toBe('ABORTED');
    for (const h of [...Object.values(ended).flat(), neverKnown]) expect(reclaimed.get(h)).toMatch(/^no pending copy of snap-/);
    // Step Functions was asked about the aged holders with a pending copy, by execution ARN; the fresh one was not looked at.
    const arn = (h: string) => `arn:aws:states:us-east-1:111111111111:execution:ebs-event-hub-snapshot-copy:${h}`;
    expect(new Set(workflow.describeCalls)).toEqual(new Set([...running, unanswered, ...aborted].map(arn)));
    const holders = workflow.dynamodb.item(SLOTS_TABLE, JSON.stringify({ slot: { S: key } }))!['holders']!.M!;
    expect(Object.keys(holders).sort()).toEqual([...running, fresh, unanswered].sort());
  });

  it('GIVEN a failed execution started again as <name>-r1 (npm run copies -- retry: the same input) THEN the retry holds its copy slot, records its copy and releases the slot under its own name, never the original\'s', async () => {
    const s = source();
    standin.addSnapshot(s);
    const original = nameOf(s.snapshotId);
    const retry = `${original}-r1`;
    const key = JSON.stringify({ slot: { S: `${MEMBER_ACCOUNT}#${DEST}` } });
    let heldAtCopy: string[] = [];
    const { workflow } = setup({
      beforeTask: (state) => {
        if (state === STATES.copy) heldAtCopy = Object.keys(workflow.dynamodb.item(SLOTS_TABLE, key)!['holders']!.M!);
      },
    });
    workflow.known(original, 'FAILED');
    workflow.start(retry, JSON.stringify({ account: MEMBER_ACCOUNT, sourceRegion: SOURCE, snapshotId: s.snapshotId, destinationRegion: DEST }));
    await workflow.settle();

    expect(workflow.executions.get(retry)!.status).toBe('SUCCEEDED');
    expect(heldAtCopy).toEqual([retry]);
    expect(workflow.dynamodb.items(LEDGER_TABLE)).toEqual([expect.objectContaining({ executionName: { S: retry }, sourceSnapshotId: { S: s.snapshotId } })]);
    // Released under the name it was taken with: nothing left behind.
    expect(workflow.dynamodb.item(SLOTS_TABLE, key)!['holders']).toEqual({ M: {} });
    expect(copiesOf(s.snapshotId)).toHaveLength(1);
  });

  it('GIVEN an execution that fails for good after acquiring its slot (every copy ends in error) THEN the slot is released before the execution fails with the original error', async () => {
    const { workflow, execution } = await runEveryCopyFails('KMS key disabled');
    expect(workflow.path(execution.name).slice(-3)).toEqual([STATES.poll, STATES.releaseFailed, STATES.failed]);
    expect(workflow.dynamodb.item(SLOTS_TABLE, JSON.stringify({ slot: { S: `${MEMBER_ACCOUNT}#${DEST}` } }))!['holders']).toEqual({ M: {} });
  });

  it('GIVEN DynamoDB throttles every release (ProvisionedThroughputExceededException) THEN ReleaseSlot retries (SlotTableUnavailable), and the copied snapshot still ends Copied, its slot left to reclamation', async () => {
    const s = source();
    standin.addSnapshot(s);
    const dynamodb = new DynamoDbStandin();
    const { workflow, deliver } = setup({ dynamodb, beforeTask: (state) => state === STATES.release && dynamodb.failNext(1) });
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();

    const name = nameOf(s.snapshotId);
    expect(workflow.executions.get(name)!.status).toBe('SUCCEEDED');
    expect(workflow.path(name).slice(-2)).toEqual([STATES.release, STATES.copied]);
    expect(workflow.retries(name, STATES.release)).toBe(THROTTLE_RETRY.MaxAttempts);
    expect(copiesOf(s.snapshotId)).toHaveLength(1);
    expect(Object.keys(workflow.dynamodb.item(SLOTS_TABLE, JSON.stringify({ slot: { S: `${MEMBER_ACCOUNT}#${DEST}` } }))!['holders']!.M!)).toEqual([name]);
  });

  describe('faults that used to end an execution early', () => {
    const throttled = { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' };
    const internal = { code: 'InternalError', status: 500, message: 'An internal error has occurred.' };

    it.each([
      ['throttles (RequestLimitExceeded)', throttled],
      ['answers 5xx (InternalError)', internal],
    ])('GIVEN EC2 %s every look at a pending copy for 20 polls (main gave up after 12 attempts) THEN Poll keeps polling and the copy completes', async (_what, fault) => {
      await withStandin({ copyDurationMs: 1e12 }, async (ec2) => {
        const s = source();
        ec2.addSnapshot(s);
        let polls = 0;
        const { workflow, deliver } = setup({
          beforeTask: (state, event) => {
            if (state !== STATES.poll) return;
            // The SDK's attempts a poll: the first 20 polls fail; then the copy completes.
            if (++polls === 1) ec2.failNext('DescribeSnapshots', fault, 20 * (DEFAULT_EC2_CONFIG.maxAttempts as number));
            if (polls === 21) ec2.settleNow([event.data.copySnapshotId!]);
          },
        });
        await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
        await workflow.settle();

        const name = nameOf(s.snapshotId);
        expect(workflow.executions.get(name)!.error?.cause?.message ?? workflow.executions.get(name)!.status).toBe('SUCCEEDED');
        // At least 20 polls failed (the SDK's own attempts may take some of the 60 faults); all retried.
        expect(workflow.retries(name, STATES.poll)).toBeGreaterThanOrEqual(20);
        expect(ec2.calls('CopySnapshot')).toHaveLength(1);
      });
    });

    it.each([
      ['throttles every UpdateItem (ProvisionedThroughputExceededException)', 'ProvisionedThroughputExceededException'],
      ['answers InternalServerError to every UpdateItem', 'InternalServerError'],
    ])('GIVEN DynamoDB %s for 15 admission checks (main gave up after 12) THEN Admit waits, its backoff growing, and the copy is made', async (_what, fault) => {
      const s = source();
      standin.addSnapshot(s);
      const dynamodb = new DynamoDbStandin();
      let admits = 0;
      const { workflow, deliver, logger } = setup({ dynamodb, beforeTask: (state) => state === STATES.admit && ++admits === 1 && dynamodb.failNext(15, fault) });
      await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
      await workflow.settle();

      const name = nameOf(s.snapshotId);
      expect(workflow.executions.get(name)!.status).toBe('SUCCEEDED');
      expect(workflow.path(name).filter((p) => p === STATES.countWait)).toHaveLength(15);
      expect(copiesOf(s.snapshotId)).toHaveLength(1);
      // The wait count went into each wait: the floor of each wait (half the backoff) grows with it.
      const waits = logger.lines.filter((l) => l.attributes['outcome'] === 'wait').map((l) => [l.attributes['admissionWaits'], l.attributes['waitSeconds']] as [number, number]);
      expect(waits.map(([n]) => n)).toEqual(Array.from({ length: 15 }, (_, i) => i));
      for (const [n, seconds] of waits) expect(seconds).toBeGreaterThanOrEqual(Math.min(7200, 400 * 2 ** n) / 2);
    });

    it('GIVEN Lambda times out (Sandbox.Timedout) on Find, crashes (Runtime.ExitError) on Poll and reports Lambda.Unknown on Admit THEN each idempotent state is run again and the snapshot is copied once', async () => {
      const s = source();
      standin.addSnapshot(s);
      const failOnce = new Map<string, string>([
        [STATES.find, 'Sandbox.Timedout'],
        [STATES.poll, 'Runtime.ExitError'],
        [STATES.admit, 'Lambda.Unknown'],
      ]);
      const { workflow, deliver } = setup({
        beforeTask: (state, event) => {
          // The copy is done by the first poll: Poll's only retry is the crash's.
          if (state === STATES.poll) standin.settleNow([event.data.copySnapshotId!]);
          const error = failOnce.get(state);
          if (error === undefined) return;
          failOnce.delete(state);
          throw Object.assign(new Error(error === 'Sandbox.Timedout' ? 'Task timed out after 120.00 seconds' : 'RequestId: 1 Error: Runtime exited with error: signal: killed'), { name: error });
        },
      });
      await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
      await workflow.settle();

      const name = nameOf(s.snapshotId);
      expect(workflow.executions.get(name)!.status).toBe('SUCCEEDED');
      for (const state of [STATES.find, STATES.poll, STATES.admit]) expect(workflow.retries(name, state)).toBe(1);
      expect(copiesOf(s.snapshotId)).toHaveLength(1);
    });

    it('GIVEN the Copy step times out before CopySnapshot (Sandbox.Timedout: maybe copied) THEN ConfirmCopy looks, finds nothing, and the copy is made once on the second try (CountCopy)', async () => {
      const s = source();
      standin.addSnapshot(s);
      let copies = 0;
      const { workflow, deliver } = setup({
        beforeTask: (state) => {
          if (state === STATES.copy && ++copies === 1) throw Object.assign(new Error('Task timed out after 120.00 seconds'), { name: 'Sandbox.Timedout' });
        },
      });
      await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
      await workflow.settle();

      const name = nameOf(s.snapshotId);
      expect(workflow.executions.get(name)!.status).toBe('SUCCEEDED');
      expect(workflow.path(name)).toEqual(expect.arrayContaining([STATES.confirm, STATES.copyAgain, STATES.countCopy]));
      expect(workflow.retries(name, STATES.copy)).toBe(0);
      expect(copyCalls(s.snapshotId)).toHaveLength(1);
    });
  });

  it('GIVEN RETENTION_DAYS THEN the copy carries its expiry, the ledger records it, and the sweep, once it has passed, deletes it and nothing the ledger does not record', async () => {
    const s = source();
    standin.addSnapshot(s);
    // Someone else's snapshot with both of our tags and an expired expiry: not in the ledger, never ours to delete.
    standin.addSnapshot({ snapshotId: snapId(), region: DEST, ownerId: MEMBER_ACCOUNT, state: 'completed', tags: [{ key: PROVENANCE_TAGS.sourceSnapshotId, value: s.snapshotId }, { key: EXPIRES_AT_TAG, value: '2000-01-01T00:00:00Z' }] });
    const { workflow, deliver } = setup({ env: { RETENTION_DAYS: '1' } });
    await deliver(createSnapshotEvent({ snapshotId: s.snapshotId, region: SOURCE, account: MEMBER_ACCOUNT }));
    await workflow.settle();
    const [copy] = copiesOf(s.snapshotId).filter((c) => c.copiedFrom !== undefined);
    const expiry = copy!.tags.find((t) => t.key === EXPIRES_AT_TAG)!.value;
    expect(Date.parse(expiry) - workflow.now().getTime()).toBeGreaterThan(23 * 3600_000);
    expect(workflow.dynamodb.items(LEDGER_TABLE)).toEqual([expect.objectContaining({ copySnapshotId: { S: copy!.snapshotId }, sourceSnapshotId: { S: s.snapshotId }, expiresAt: { S: expiry } })]);

    const sweep = (at: number) => sweepUntilDone(sweepDeps({ ledger: workflow.ledger, logger: recordingLogger(), functionArn: FUNCTION_ARN, now: () => new Date(at) }), new Date(at));
    expect(await sweep(Date.parse(expiry) - 1000)).toMatchObject({ examined: 0, deleted: 0 });
    expect(await sweep(Date.parse(expiry) + 1000)).toMatchObject({ examined: 1, deleted: 1 });
    expect(copiesOf(s.snapshotId).filter((c) => c.copiedFrom !== undefined)).toHaveLength(0);
    expect(standin.snapshots().filter((x) => x.region === DEST)).toHaveLength(1); // the other one is still there
    expect(standin.calls('DeleteSnapshot').map((r) => r.params['SnapshotId'])).toEqual([copy!.snapshotId]);
    expect(workflow.dynamodb.items(LEDGER_TABLE)).toEqual([]); // the deleted copy left the ledger
  });
});
