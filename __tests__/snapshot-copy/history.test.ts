/**
 * The worst-case history of every path of both state machines, counted from the SYNTHESIZED
 * definitions (`aws_sfn_state_machine.definition` of the central stack) with Step Functions' event
 * accounting (stacks/central/history-budget.ts, which cites it). A Standard execution fails, and no
 * Catch sees it, at 25,000 events; every path must stay under 20,000. The loop bounds and retrier
 * attempts are read from the definitions, so raising one shows here.
 */
import { describe, expect, it } from 'vitest';
import { admissionWaitSeconds, MAX_WAIT_SECONDS, outageWaitSeconds, POLL_FAST_SECONDS } from '../../handlers/snapshot-copy/decide';
import { STATES } from '../../stacks/central/copy-workflow';
import { analyzeHistory, HISTORY_EVENT_BUDGET, HISTORY_EVENT_LIMIT, historyLine, pathCost, USD_PER_TRANSITION, type PathStep } from '../../stacks/central/history-budget';
import { copyLedgerTable } from '../../stacks/central/snapshot-copy-ledger';
import { SnapshotCopySweep } from '../../stacks/central/snapshot-copy-sweep';
import { SWEEP_CHUNK_SIZE } from '../../stacks/central/sweep-workflow';
import { rawConfig } from '../support/config';
import { VAULT_ALL_FEATURES, VAULT_WITH_KMS_KEY_ID } from '../support/vault-configs';
import { parsed, synthStack } from '../support/synth';
import { CENTRAL_TARGET_DLQ, CODE, machineNamed, synthAll, UNIT, unitScope, WITH_RETENTION } from './support';

type Definition = { States: Record<string, { Type: string; Retry?: Array<{ ErrorEquals: string[]; IntervalSeconds: number; BackoffRate: number; MaxDelaySeconds?: number; MaxAttempts: number; JitterStrategy?: string }> }> };

const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));
const copy = parsed(machineNamed(central, 'ebs-event-hub-snapshot-copy').definition) as Definition;
const sweepOfExample = parsed(machineNamed(central, 'ebs-event-hub-copy-sweep').definition);

/** The sweep with two full chunks and one more item, synthesized as the stack renders it. */
function fullSweep(): unknown {
  const { stack, scope } = unitScope();
  const sweepTargets = Array.from({ length: 2 * SWEEP_CHUNK_SIZE + 1 }, (_, i) => ({ account: String(200_000_000_000 + i), region: 'ap-southeast-5' }));
  const ledgerTable = copyLedgerTable(scope, UNIT);
  new SnapshotCopySweep(scope, { ...UNIT, code: CODE, organizationId: 'o-a1b2c3d4e5', memberRoleName: 'ebs-event-hub-snapshot-copy', memberAccountIds: [], sweepTargets, deadLetterQueueArn: CENTRAL_TARGET_DLQ, ledgerTable });
  return parsed(machineNamed(synthStack(stack), 'ebs-event-hub-copy-sweep').definition);
}

/** Retry delays of one retrier as the definition has them (NONE jitter: exactly these). */
const delays = (r: NonNullable<Definition['States'][string]['Retry']>[number]) =>
  Array.from({ length: r.MaxAttempts }, (_, i) => Math.min(r.IntervalSeconds * r.BackoffRate ** i, r.MaxDelaySeconds ?? Infinity));

const noBacklog: PathStep[] = [STATES.prepare, STATES.inspect, STATES.sourceChoice, STATES.find, STATES.foundChoice, STATES.admit, STATES.admitChoice, STATES.copy, STATES.copyChoice, STATES.waitForCopy];
const afterPoll: PathStep[] = [STATES.pollChoice, STATES.release, STATES.copied];
/** Each admission wait: CountWait → WaitForSlot → Admit → AdmittedOrWait. */
const oneWait: PathStep[] = [STATES.countWait, STATES.waitForSlot, STATES.admit, STATES.admitChoice];

describe('history budget of the synthesized copy state machine', () => {
  const analysis = analyzeHistory(copy);

  it('GIVEN the synthesized definition THEN every loop is bounded by a counter it shows, and no path can exceed the 20,000-event budget', () => {
    expect(analysis.problems).toEqual([]);
    expect(analysis.unbounded).toEqual([]);
    expect(analysis.loops.map((l) => [l.counter, [...l.increments].sort(), l.start, l.step])).toEqual([
      ['$.loops.copies.n', [STATES.countCopy], 0, 1],
      ['$.loops.outages.n', [STATES.countOutageConfirm, STATES.countOutageFind, STATES.countOutageInspect].sort(), 0, 1],
      ['$.loops.waits.n', [STATES.countWait], 0, 1],
    ]);
    expect(Object.keys(analysis.byTerminal).sort()).toEqual([STATES.copied, STATES.failed, STATES.skipped].sort());
    for (const [terminal, cost] of Object.entries(analysis.byTerminal)) expect(cost.events, terminal).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
    expect(analysis.worst.events).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
    expect(HISTORY_EVENT_BUDGET).toBeLessThan(HISTORY_EVENT_LIMIT);
  });

  it('GIVEN the bounds the definition shows THEN each waiting phase, even at its shortest, lasts the 7-day deadline: the step ends a real wait, not the count', () => {
    const bound = (counter: string) => analysis.loops.find((l) => l.counter === counter)!.bound;
    const floors = (n: number, wait: (i: number, random: number) => number) => Array.from({ length: n }, (_, i) => wait(i, 0)).reduce((a, b) => a + b, 0);
    expect(floors(bound('$.loops.waits.n'), admissionWaitSeconds)).toBeGreaterThanOrEqual(MAX_WAIT_SECONDS);
    expect(floors(bound('$.loops.outages.n'), outageWaitSeconds)).toBeGreaterThanOrEqual(MAX_WAIT_SECONDS);
    // Polling a copy: 6 minutes apart while it is young, then the slow retrier, on one entry of Poll.
    const [young, old] = copy.States[STATES.poll]!.Retry!;
    expect(young!.ErrorEquals).toEqual(['CopyPending']);
    expect(old!.ErrorEquals).toEqual(['CopyStillPending']);
    expect(young!.JitterStrategy).toBe('NONE');
    expect(old!.JitterStrategy).toBe('NONE');
    expect(300 + delays(young!).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(POLL_FAST_SECONDS);
    expect(delays(old!).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(MAX_WAIT_SECONDS - POLL_FAST_SECONDS);
  });

  it('GIVEN the paths a snapshot takes THEN their exact cost, and the history line', () => {
    const skipped = pathCost(copy, [STATES.prepare, STATES.inspect, STATES.sourceChoice, STATES.skipped]);
    const alreadyCopied = pathCost(copy, [STATES.prepare, STATES.inspect, STATES.sourceChoice, STATES.find, STATES.foundChoice, STATES.copied]);
    // A 45-minute copy: polls at 5, 10, 16, 22, 28, 34, 40, 46 minutes (7 retries of Poll).
    const typical = pathCost(copy, [...noBacklog, { state: STATES.poll, retries: 7 }, ...afterPoll]);
    const withWaits = (n: number) => pathCost(copy, [...noBacklog.slice(0, 7), ...Array.from({ length: n }, () => oneWait).flat(), ...noBacklog.slice(7), { state: STATES.poll, retries: 7 }, ...afterPoll]);
    // 14 states entered (Entered + Exited each); 13 Task attempts (Inspect, Find, Admit, Copy, 8 polls,
    // ReleaseSlot) of 3 events; ExecutionStarted and ExecutionSucceeded. Transitions: 14 entries + 7 retries.
    expect(typical).toEqual({ events: 14 * 2 + 13 * 3 + 2, transitions: 14 + 7 });
    expect(withWaits(1).transitions - typical.transitions).toBe(4);
    expect(withWaits(1).events - typical.events).toBe(2 + 2 + (2 + 3) + 2);
    const usd = (t: number) => `$${(t * 1000 * USD_PER_TRANSITION).toFixed(3)}`;
    const rows = [
      ['skipped at Inspect', skipped],
      ['a completed copy already there', alreadyCopied],
      ['copied, no backlog (a 45-minute copy, 8 polls)', typical],
      ['the same after 10 admission waits', withWaits(10)],
      ['worst path (every loop at its bound, every retrier exhausted)', analysis.worst],
    ] as const;
    for (const [what, cost] of rows) console.log(`${what}: ${cost.events} events, ${cost.transitions} transitions, ${usd(cost.transitions)} per 1,000 snapshots`);
    console.log(historyLine(analysis.worst, typical));
    expect(skipped.transitions).toBeLessThan(typical.transitions);
  });

  it('GIVEN main\'s definition shape (Admit re-entered from Copy without a count) THEN the analyzer reports the loop unbounded', () => {
    // Copy's quota refusal going straight back to Admit: no counter on that way round.
    const loose = structuredClone(copy) as unknown as { States: Record<string, Record<string, unknown>> };
    (loose.States[STATES.copyChoice]!['Choices'] as Array<Record<string, unknown>>)[1] = { Variable: '$.task.data.outcome', StringEquals: 'wait', Next: STATES.admit };
    const result = analyzeHistory(loose);
    expect(result.unbounded.length).toBeGreaterThan(0);
    expect(result.worst.events).toBe(Infinity);
  });
});

describe('history budget of the synthesized copy state machine in vault mode', () => {
  const vaultDefinitions = [
    ['vault-all-features (compliance lock, member copies deleted)', VAULT_ALL_FEATURES],
    ['vault-kms-key-id (governance lock, member copies kept)', VAULT_WITH_KMS_KEY_ID],
  ] as const;
  const definitionOf = (config: (typeof vaultDefinitions)[number][1]) => parsed(machineNamed(synthAll(config).central, 'ebs-event-hub-snapshot-copy').definition) as Definition;

  it.each(vaultDefinitions)('GIVEN %s THEN every loop of the vault states is counted by the execution\'s own counters, and no path can exceed the 20,000-event budget', (_name, config) => {
    const definition = definitionOf(config);
    expect(definition.States[STATES.vaultShare]).toBeDefined();
    const analysis = analyzeHistory(definition);
    expect(analysis.problems).toEqual([]);
    expect(analysis.unbounded).toEqual([]);
    // The same three counters and bounds as without a vault: the vault states only add increments.
    expect(analysis.loops.map((l) => [l.counter, l.bound])).toEqual(analyzeHistory(copy).loops.map((l) => [l.counter, l.bound]));
    expect(analysis.loops.find((l) => l.counter === '$.loops.waits.n')!.increments).toEqual(expect.arrayContaining([STATES.countWait, STATES.countShareWait, STATES.countVaultWait]));
    expect(analysis.loops.find((l) => l.counter === '$.loops.copies.n')!.increments).toEqual(expect.arrayContaining([STATES.countCopy, STATES.countVaultCopy]));
    expect(Object.keys(analysis.byTerminal).sort()).toEqual([STATES.copied, STATES.failed, STATES.skipped].sort());
    expect(analysis.worst.events).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
    const vaultPath: PathStep[] = [STATES.vaultShare, STATES.vaultShareChoice, STATES.vaultFind, STATES.vaultFoundChoice, STATES.vaultAdmit, STATES.vaultAdmitChoice, STATES.vaultCopy, STATES.vaultCopyChoice, STATES.waitForVaultCopy, { state: STATES.vaultPoll, retries: 7 }, STATES.vaultPollChoice, STATES.vaultRelease];
    const finish: PathStep[] = definition.States[STATES.vaultLock]
      ? [STATES.vaultLock, STATES.vaultLockChoice, STATES.vaultUnshare, STATES.vaultUnshareChoice, ...(definition.States[STATES.deleteMember] ? [STATES.deleteMember, STATES.deleteMemberChoice] : [])]
      : [STATES.vaultUnshare, STATES.vaultUnshareChoice];
    const typical = pathCost(definition, [...noBacklog, { state: STATES.poll, retries: 7 }, STATES.pollChoice, STATES.release, ...vaultPath, ...finish, STATES.copied]);
    console.log(`vault (${_name}): typical ${typical.events} events, ${typical.transitions} transitions, ${`$${(typical.transitions * 1000 * USD_PER_TRANSITION).toFixed(2)}`} per 1,000 snapshots; ${historyLine(analysis.worst, typical)}`);
    expect(analysis.worst.events).toBeGreaterThan(typical.events);
  });

  it('GIVEN a vault state that led back to the member copy (re-copying a member copy deleted before it was shared) THEN the joined loops would blow the budget: why MemberCopyGone ends the execution', () => {
    const loose = structuredClone(definitionOf(VAULT_ALL_FEATURES)) as unknown as { States: Record<string, { Catch: Array<Record<string, unknown>> }> };
    loose.States[STATES.vaultCopy]!.Catch.splice(1, 0, { ErrorEquals: ['MemberCopyGone'], ResultPath: '$.task.data.lastError', Next: STATES.copyAgain });
    const result = analyzeHistory(loose);
    expect(result.unbounded).toEqual([]);
    expect(result.worst.events).toBeGreaterThan(HISTORY_EVENT_LIMIT);
  });
});

describe('history budget of the synthesized sweep state machine', () => {
  it('GIVEN the example org THEN every path is bounded and within budget', () => {
    const analysis = analyzeHistory(sweepOfExample);
    expect(analysis.problems).toEqual([]);
    expect(analysis.unbounded).toEqual([]);
    expect(analysis.worst.events).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
  });

  it("GIVEN full chunks THEN a chunk's worst case (every item's retriers exhausted, then caught) stays within the budget, and one more item would not", () => {
    const definition = fullSweep();
    const analysis = analyzeHistory(definition);
    expect(analysis.problems).toEqual([]);
    expect(analysis.worst.events).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
    // Sized from the budget: the chunk is as large as the budget allows.
    const sweep = (definition as { States: { Sweep: { ItemProcessor: unknown } } }).States.Sweep;
    const perItem = analyzeHistory(sweep.ItemProcessor).worst.events;
    expect(perItem).toBeGreaterThanOrEqual(2 + 2 + 3 * 5); // MapIteration*, SweepOne entered/exited, 5 attempts (then the catch)
    expect(analysis.worst.events + perItem).toBeGreaterThan(HISTORY_EVENT_BUDGET);
    console.log(`sweep: ${SWEEP_CHUNK_SIZE} items per chunk, worst item ${perItem} events, worst chunk ${analysis.worst.events} events (limit ${HISTORY_EVENT_LIMIT.toLocaleString('en-US')})`);
  });
});
