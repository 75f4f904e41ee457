/**
 * The history analyzer (stacks/central/history-budget.ts) on small hand-made definitions: event
 * accounting per state type, retriers per entry, loops bounded by a counter (and every way a
 * counter fails to bound one), inline Maps, and concrete paths.
 */
import { describe, expect, it } from 'vitest';
import { analyzeHistory, historyLine, parsePath, pathCost } from '../stacks/central/history-budget';

const INVOKE = 'arn:aws:states:::lambda:invoke';
const task = (next: string | undefined, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: INVOKE,
  Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:111111111111:function:f', 'Payload.$': '$' },
  ResultPath: '$.result',
  ...(next ? { Next: next } : { End: true }),
  ...extra,
});
const init = (next: string, value = 0) => ({ Type: 'Pass', Parameters: { n: value }, ResultPath: '$.loop', Next: next });
const count = (next: string, by = 1) => ({ Type: 'Pass', Parameters: { 'n.$': `States.MathAdd($.loop.n, ${by})` }, ResultPath: '$.loop', Next: next });

/** Init → Work → Again? (n < bound → Count → Work; else Done). */
function countedLoop(bound: number, over: Record<string, unknown> = {}) {
  return {
    StartAt: 'Init',
    States: {
      Init: init('Work'),
      Work: task('Again'),
      Again: { Type: 'Choice', Choices: [{ Variable: '$.loop.n', NumericLessThan: bound, Next: 'Count' }], Default: 'Done' },
      Count: count('Work'),
      Done: { Type: 'Succeed' },
      ...over,
    },
  };
}

/** Exact worst of countedLoop: Work runs bound + 1 times (the retrier-free task: 5 events, 1 transition). */
const exactCountedLoop = (bound: number) => ({ events: 2 + 2 + (bound + 1) * (5 + 2) + bound * 2 + 2, transitions: 1 + (bound + 1) * 2 + bound + 1 });

describe('event accounting', () => {
  it('GIVEN a straight path THEN ExecutionStarted, Entered + Exited per state, Scheduled/Started/Succeeded|Failed per attempt of each retrier, the end event', () => {
    const definition = {
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Pass', Next: 'Call' },
        Call: task('Pause', { Retry: [{ ErrorEquals: ['A'], MaxAttempts: 2 }, { ErrorEquals: ['B'] }] }),
        Pause: { Type: 'Wait', Seconds: 5, Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    const analysis = analyzeHistory(definition);
    // Call: 1 attempt + 2 (A) + 3 (B, MaxAttempts defaults to 3) = 6 attempts.
    expect(analysis.perEntry['Call']).toEqual({ events: 2 + 6 * 3, transitions: 6 });
    expect(analysis.worst).toEqual({ events: 1 + 2 + 20 + 2 + 2 + 1, transitions: 1 + 6 + 1 + 1 });
    expect(analysis.unbounded).toEqual([]);
    expect(analysis.problems).toEqual([]);
  });

  it('GIVEN a Fail state THEN it costs FailStateEntered only, and the worst path per terminal is reported', () => {
    const definition = {
      StartAt: 'Call',
      States: {
        Call: task('Done', { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }] }),
        Done: { Type: 'Succeed' },
        Failed: { Type: 'Fail', Error: 'X' },
      },
    };
    const analysis = analyzeHistory(definition);
    expect(analysis.byTerminal).toEqual({ Done: { events: 2 + 5 + 2, transitions: 2 }, Failed: { events: 2 + 5 + 1, transitions: 2 } });
  });

  it('GIVEN an inline Map over a constant array of 3 THEN MapStateEntered/Started, per item IterationStarted + its states + IterationSucceeded, MapStateSucceeded/Exited', () => {
    const definition = {
      StartAt: 'Items',
      States: {
        Items: { Type: 'Pass', Result: { items: [1, 2, 3] }, Next: 'Each' },
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'One', States: { One: task(undefined, { Retry: [{ ErrorEquals: ['X'], MaxAttempts: 1 }] }) } },
          ResultPath: '$.results',
          End: true,
        },
      },
    };
    const analysis = analyzeHistory(definition);
    const perItem = 1 + (2 + 2 * 3) + 1;
    expect(analysis.perEntry['Each']).toEqual({ events: 2 + 2 + 3 * perItem, transitions: 1 + 3 * 2 });
    expect(analysis.worst.events).toBe(2 + 2 + 4 + 3 * perItem);
  });

  it('GIVEN a Map whose items it cannot count, or an unsupported state THEN it says so instead of guessing', () => {
    const map = { StartAt: 'Each', States: { Each: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true } } };
    expect(analyzeHistory(map).problems).toEqual([expect.stringContaining('Each: cannot tell how many items it iterates')]);
    expect(analyzeHistory(map).worst.events).toBe(Infinity);
    const parallel = { StartAt: 'P', States: { P: { Type: 'Parallel', Branches: [], End: true } } };
    expect(analyzeHistory(parallel).problems).toEqual(['P: state type Parallel is not modelled']);
    const sync = { StartAt: 'T', States: { T: { ...task(undefined), Resource: 'arn:aws:states:::ecs:runTask.sync' } } };
    expect(analyzeHistory(sync).problems).toEqual([expect.stringContaining('is not a request-response Lambda invocation')]);
  });
});

describe('loops', () => {
  it('GIVEN a loop bounded by a counter THEN the bound is read from the Choice and the worst path covers the exact worst', () => {
    const analysis = analyzeHistory(countedLoop(5));
    expect(analysis.loops).toEqual([{ counter: '$.loop.n', increments: ['Count'], guards: ['Again'], bound: 5, start: 0, step: 1, maxIncrements: 5 }]);
    expect(analysis.unbounded).toEqual([]);
    const exact = exactCountedLoop(5);
    expect(analysis.worst.events).toBeGreaterThanOrEqual(exact.events);
    expect(analysis.worst.transitions).toBeGreaterThanOrEqual(exact.transitions);
    // Sound but close: at most one loop body over.
    expect(analysis.worst.events).toBeLessThanOrEqual(exact.events + 2 + 5 + 2);
  });

  it('GIVEN the bound raised THEN the worst path grows with it (a test over the definition sees a raised bound)', () => {
    expect(analyzeHistory(countedLoop(500)).worst.events - analyzeHistory(countedLoop(5)).worst.events).toBe(495 * (2 + 5 + 2));
  });

  it('GIVEN a step of 2, a start of 3 and a NumericLessThanEquals guard THEN the count follows them', () => {
    const loop = countedLoop(0, {
      Init: init('Work', 3),
      Again: { Type: 'Choice', Choices: [{ Variable: '$.loop.n', NumericLessThanEquals: 10, Next: 'Count' }], Default: 'Done' },
      Count: count('Work', 2),
    });
    // n = 3, 5, 7, 9 pass the guard (≤ 10): 4 increments.
    expect(analyzeHistory(loop).loops[0]).toMatchObject({ bound: 11, start: 3, step: 2, maxIncrements: 4 });
  });

  it('GIVEN the exit first (n >= B → Done) and the loop as Default, or And/Not forms THEN the Default and those rules bound it', () => {
    const viaDefault = countedLoop(0, { Again: { Type: 'Choice', Choices: [{ Variable: '$.loop.n', NumericGreaterThanEquals: 7, Next: 'Done' }], Default: 'Count' } });
    expect(analyzeHistory(viaDefault).loops[0]).toMatchObject({ bound: 7, maxIncrements: 7 });
    const viaAnd = countedLoop(0, {
      Again: { Type: 'Choice', Choices: [{ And: [{ Variable: '$.result.more', BooleanEquals: true }, { Not: { Variable: '$.loop.n', NumericGreaterThanEquals: 4 } }], Next: 'Count' }], Default: 'Done' },
    });
    expect(analyzeHistory(viaAnd).loops[0]).toMatchObject({ bound: 4, maxIncrements: 4 });
  });

  it('GIVEN a loop with no counter at all THEN it is reported as unbounded, and the worst path is infinite', () => {
    const definition = {
      StartAt: 'Work',
      States: {
        Work: task('Again'),
        Again: { Type: 'Choice', Choices: [{ Variable: '$.result.Payload.done', BooleanEquals: false, Next: 'Work' }], Default: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    const analysis = analyzeHistory(definition);
    expect(analysis.unbounded).toEqual([['Work', 'Again']]);
    expect(analysis.worst).toEqual({ events: Infinity, transitions: Infinity });
  });

  it('GIVEN a Catch that loops back THEN that cycle is unbounded too', () => {
    const definition = { StartAt: 'Work', States: { Work: task(undefined, { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Work' }] }) } };
    expect(analyzeHistory(definition).unbounded).toEqual([['Work']]);
  });

  it.each([
    ['the guard does not bound it (n > 5 → loop)', { Again: { Type: 'Choice', Choices: [{ Variable: '$.loop.n', NumericGreaterThan: 5, Next: 'Count' }], Default: 'Done' } }, /passes no Choice that bounds it/],
    ['a Task overwrites the whole state (no ResultPath)', { Work: { ...task('Again'), ResultPath: undefined } }, /also written by Work \(Task writes \$\)/],
    ['a Task writes the counter itself', { Work: task('Again', { ResultPath: '$.loop' }) }, /also written by Work \(Task writes \$\.loop\)/],
    ['a Catch writes over it', { Work: task('Again', { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Again' }] }) }, /also written by Work \(Catch writes \$\)/],
    ['the counter is set again inside the loop', { Count: count('Reset'), Reset: init('Work') }, /set again by Reset after an increment/],
    ['it counts down', { Count: count('Work', -1) }, /Count adds -1/],
    ['a second way back skips the guard', { Again: { Type: 'Choice', Choices: [{ Variable: '$.loop.n', NumericLessThan: 5, Next: 'Count' }, { Variable: '$.result.retry', BooleanEquals: true, Next: 'Count' }], Default: 'Done' } }, /passes no Choice that bounds it/],
    ['no Choice looks at it', { Again: { Type: 'Choice', Choices: [{ Variable: '$.result.more', BooleanEquals: true, Next: 'Count' }], Default: 'Done' } }, /no Choice compares it with a constant/],
    ['it is never given a start', { Init: { Type: 'Pass', Next: 'Work' } }, /no constant start/],
    ['OutputPath moves the data', { Again: { Type: 'Choice', OutputPath: '$.result', Choices: [{ Variable: '$.loop.n', NumericLessThan: 5, Next: 'Count' }], Default: 'Done' } }, /OutputPath/],
  ])('GIVEN %s THEN the counter bounds nothing and the loop is reported as unbounded', (_n, over, why) => {
    const analysis = analyzeHistory(countedLoop(5, over as Record<string, unknown>));
    expect(analysis.problems.join('\n')).toMatch(why);
    expect(analysis.worst.events).toBe(Infinity);
  });

  it('GIVEN two counters (an inner loop re-entered by an outer one) THEN both bound their loops and the inner retries multiply with the outer count', () => {
    const definition = {
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Parameters: { outer: { n: 0 }, inner: { n: 0 } }, ResultPath: '$.loops', Next: 'Work' },
        Work: task('Inner', { Retry: [{ ErrorEquals: ['X'], MaxAttempts: 4 }] }),
        Inner: { Type: 'Choice', Choices: [{ Variable: '$.loops.inner.n', NumericLessThan: 3, Next: 'CountInner' }, { Variable: '$.loops.outer.n', NumericLessThan: 2, Next: 'CountOuter' }], Default: 'Done' },
        CountInner: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.loops.inner.n, 1)' }, ResultPath: '$.loops.inner', Next: 'Work' },
        CountOuter: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.loops.outer.n, 1)' }, ResultPath: '$.loops.outer', Next: 'Work' },
        Done: { Type: 'Succeed' },
      },
    };
    const analysis = analyzeHistory(definition);
    expect(analysis.loops.map((l) => [l.counter, l.maxIncrements])).toEqual([
      ['$.loops.inner.n', 3],
      ['$.loops.outer.n', 2],
    ]);
    // Work runs at most 1 + 3 + 2 = 6 times, 5 attempts each.
    expect(analysis.worst.events).toBeGreaterThanOrEqual(2 + 2 + 6 * (2 + 15 + 2) + 5 * 2 + 2);
  });
});

describe('loops one after another', () => {
  it('GIVEN an expensive loop before a cheap one (two components) THEN the way from the first into the second is charged once, not to every turn of the second', () => {
    const definition = {
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Parameters: { a: { n: 0 }, b: { n: 0 } }, ResultPath: '$.loops', Next: 'WorkA' },
        WorkA: task('AgainA', { Retry: [{ ErrorEquals: ['X'], MaxAttempts: 20 }] }),
        AgainA: { Type: 'Choice', Choices: [{ Variable: '$.loops.a.n', NumericLessThan: 3, Next: 'CountA' }], Default: 'WorkB' },
        CountA: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.loops.a.n, 1)' }, ResultPath: '$.loops.a', Next: 'WorkA' },
        WorkB: task('AgainB'),
        AgainB: { Type: 'Choice', Choices: [{ Variable: '$.loops.b.n', NumericLessThan: 50, Next: 'CountB' }], Default: 'Done' },
        CountB: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.loops.b.n, 1)' }, ResultPath: '$.loops.b', Next: 'WorkB' },
        Done: { Type: 'Succeed' },
      },
    };
    const a = 2 + 21 * 3; // WorkA, every retry
    const exact = 2 + 2 + 4 * (a + 2) + 3 * 2 + 51 * (5 + 2) + 50 * 2 + 2;
    const analysis = analyzeHistory(definition);
    expect(analysis.worst.events).toBeGreaterThanOrEqual(exact);
    // At most one turn of each loop over: not 50 turns of WorkA.
    expect(analysis.worst.events).toBeLessThanOrEqual(exact + (a + 2 + 2) + (5 + 2 + 2));
  });
});

describe('a concrete path', () => {
  const definition = countedLoop(5, { Work: task('Again', { Retry: [{ ErrorEquals: ['X'], MaxAttempts: 2 }] }) });

  it('GIVEN a legal path with retries THEN its exact events and transitions', () => {
    expect(pathCost(definition, ['Init', { state: 'Work', retries: 2 }, 'Again', 'Count', 'Work', 'Again', 'Done'])).toEqual({
      events: 2 + 2 + (2 + 9) + 2 + 2 + 5 + 2 + 2,
      transitions: 1 + 3 + 1 + 1 + 1 + 1 + 1,
    });
  });

  it.each([
    [['Work', 'Again', 'Done'], /starts at Init/],
    [['Init', 'Again', 'Done'], /Init cannot go to Again/],
    [['Init', { state: 'Work', retries: 3 }, 'Again', 'Done'], /retries at most 2 times, not 3/],
    [['Init', 'Work', { state: 'Again', retries: 1 }, 'Done'], /Again is not a Task/],
    [['Init', 'Work', 'Again'], /ends at Again, which does not end an execution/],
    [['Init', 'Nowhere'], /Nowhere is not a state/],
  ] as const)('GIVEN the illegal path %j THEN it refuses it', (path, message) => {
    expect(() => pathCost(definition, path as never)).toThrow(message);
  });
});

describe('helpers', () => {
  it('parses only plain reference paths', () => {
    expect(parsePath('$')).toEqual([]);
    expect(parsePath('$.a.b-c')).toEqual(['a', 'b-c']);
    for (const p of ['$.a[0]', '$..a', '$$.Execution', 'a', 3]) expect(parsePath(p)).toBeUndefined();
  });

  it('prints the history line with thousands separators', () => {
    expect(historyLine({ events: 12345, transitions: 4000 }, { events: 60, transitions: 21 })).toBe(
      'history: worst path 12,345 events (limit 25,000), 21 transitions per snapshot (typical), 4,000 (worst)',
    );
  });
});
