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
import { SWEEP_DAILY_CAPACITY, SWEEP_MAX_PAGES, SWEEP_PAGE_BOUND, SWEEP_PAGE_SIZE, SWEEP_PAGE_WORST_SECONDS, SWEEP_STATES, SWEEP_STOP_AFTER_SECONDS, SWEEP_TIMEOUT_SECONDS } from '../../stacks/central/sweep-workflow';
import { rawConfig } from '../support/config';
import { parsed } from '../support/synth';
import { VAULT_ALL_FEATURES, VAULT_WITH_KMS_KEY_ID } from '../support/vault-configs';
import { machineNamed, synthAll, WITH_RETENTION } from './support';

type Definition = { States: Record<string, { Type: string; Retry?: Array<{ ErrorEquals: string[]; IntervalSeconds: number; BackoffRate: number; MaxDelaySeconds?: number; MaxAttempts: number; JitterStrategy?: string }> }> };

const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));
const copy = parsed(machineNamed(central, 'ebs-event-hub-snapshot-copy').definition) as Definition;
const sweepOfExample = parsed(machineNamed(central, 'ebs-event-hub-copy-sweep').definition);

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
  const analysis = analyzeHistory(sweepOfExample);
  const S = SWEEP_STATES;

  it('GIVEN the synthesized definition THEN its one loop is bounded by the page counter it shows, and no path can exceed the 20,000-event budget', () => {
    expect(analysis.problems).toEqual([]);
    expect(analysis.unbounded).toEqual([]);
    expect(analysis.loops.map((l) => [l.counter, l.increments, l.guards, l.start, l.step, l.bound])).toEqual([['$.loops.pages.n', [S.count], [S.next], 0, 1, SWEEP_PAGE_BOUND]]);
    expect(Object.keys(analysis.byTerminal).sort()).toEqual([S.backlog, S.incomplete, S.swept].sort());
    for (const [terminal, cost] of Object.entries(analysis.byTerminal)) expect(cost.events, terminal).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
    expect(analysis.worst.events).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
  });

  it('GIVEN the bound THEN it is as large as the budget allows: one more page (every retrier exhausted) would pass it; and the pages end within the execution timeout', () => {
    // One more page: SweepPage with every attempt (Entered/Exited + 3 per attempt), NextPage, CountPage.
    const page = analysis.perEntry[S.page]!.events + analysis.perEntry[S.next]!.events + analysis.perEntry[S.count]!.events;
    expect(page).toBe(2 + 3 * (1 + 3 + 2) + 2 + 2);
    expect(analysis.worst.events + page).toBeGreaterThan(HISTORY_EVENT_BUDGET);
    // Time: the function stops taking pages after SWEEP_STOP_AFTER_SECONDS; the page it is in may then run its every retry.
    expect(SWEEP_STOP_AFTER_SECONDS + SWEEP_PAGE_WORST_SECONDS).toBeLessThanOrEqual(SWEEP_TIMEOUT_SECONDS);
    expect(SWEEP_TIMEOUT_SECONDS).toBeLessThan(24 * 3600); // over before the next day's starts
    expect(SWEEP_DAILY_CAPACITY).toBe(SWEEP_MAX_PAGES * SWEEP_PAGE_SIZE);
  });

  it('GIVEN the paths an execution takes THEN their exact cost, and the capacity line', () => {
    const pages = (n: number, end: string): PathStep[] => [S.prepare, ...Array.from({ length: n - 1 }, () => [S.page, S.next, S.count]).flat(), S.page, S.next, end];
    const nothing = pathCost(sweepOfExample, pages(1, S.swept));
    const tenPages = pathCost(sweepOfExample, pages(10, S.swept));
    // Prepare, SweepPage (one attempt), NextPage, Swept; ExecutionStarted and ExecutionSucceeded.
    expect(nothing).toEqual({ events: 2 + 5 + 2 + 2 + 2, transitions: 4 });
    expect(tenPages.events - nothing.events).toBe(9 * (5 + 2 + 2));
    expect(tenPages.transitions - nothing.transitions).toBe(9 * 3);
    const full = pathCost(sweepOfExample, pages(SWEEP_MAX_PAGES, S.backlog));
    expect(full.events).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
    console.log(
      `sweep: ${SWEEP_MAX_PAGES} pages of ${SWEEP_PAGE_SIZE.toLocaleString('en-US')} copies per execution (${SWEEP_DAILY_CAPACITY.toLocaleString('en-US')} a day); ` +
        `${(tenPages.transitions - nothing.transitions) / 9} transitions per page; all pages ${full.events.toLocaleString('en-US')} events, worst ${analysis.worst.events.toLocaleString('en-US')} (limit ${HISTORY_EVENT_LIMIT.toLocaleString('en-US')})`,
    );
  });
});
