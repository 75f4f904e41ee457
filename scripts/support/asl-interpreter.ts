/**
 * A discrete-event interpreter of Amazon States Language (JSONPath) definitions, on a simulated
 * clock, for `npm run bench:burst` and the tests that run the copy workflow for simulated hours or
 * days. It is NOT handler code and never ships.
 *
 * It runs the DEFINITION itself (the deployed `copyWorkflowDefinition()`), so timing cannot drift
 * from what is deployed: Wait `Seconds`/`SecondsPath`; Retry with IntervalSeconds × BackoffRate^n
 * capped by MaxDelaySeconds, `JitterStrategy: FULL` = uniform(0, delay), MaxAttempts per retrier
 * within one entry of the state; Catch with ResultPath; InputPath/Parameters/ResultSelector/
 * ResultPath/OutputPath as the Amazon States Language specifies
 * (https://states-language.net/spec.html, https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html);
 * the intrinsic `States.MathAdd`. It refuses (throws) a definition using anything else rather than
 * mis-model it: other state types, other intrinsics, other JSONPath forms, other Choice operators.
 *
 * It also counts each execution's history events the way Step Functions records them
 * (stacks/central/history-budget.ts has the accounting and its sources) and billed transitions.
 */

type Json = unknown;
type State = Record<string, Json> & { Type: string; Next?: string };
type Retrier = { ErrorEquals: string[]; IntervalSeconds?: number; BackoffRate?: number; MaxAttempts?: number; MaxDelaySeconds?: number; JitterStrategy?: string };
type Catcher = { ErrorEquals: string[]; Next: string; ResultPath?: string | null };
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Clock {
  /** Simulated seconds. */
  now(): number;
  /** Runs `run` `delaySeconds` from now on the simulated clock. */
  schedule(delaySeconds: number, run: () => Promise<void> | void): void;
  /** Uniform in [0, 1). */
  random(): number;
}

/** What a Task's resource answers: a result, or a thrown error whose `name` is the state's Error. */
export type TaskRunner = (state: string, parameters: Json) => Promise<Json>;

export interface ExecutionRecord {
  readonly name: string;
  readonly input: Json;
  readonly startedAt: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  endedAt?: number;
  error?: string;
  cause?: string;
  output?: Json;
  /** History events recorded so far. */
  events: number;
  /** Billed state transitions (entries and retries). */
  transitions: number;
  /** States entered, in order. */
  path: string[];
}

export interface InterpreterOptions {
  clock: Clock;
  runTask: TaskRunner;
  /** Simulated seconds a Task attempt takes (the invocation). @default 0.3 */
  taskSeconds?: number;
  /** Simulated seconds between states. @default 0.05 */
  transitionSeconds?: number;
  /** Called when an execution ends. */
  onEnd?: (execution: ExecutionRecord) => void;
}

// --- JSONPath (the `$.a.b` subset) and Parameters ----------------------------------------------

function parsePath(path: Json, what: string): string[] {
  if (path === '$') return [];
  if (typeof path !== 'string' || !/^\$(\.[A-Za-z0-9_-]+)+$/.test(path)) throw new Error(`asl-interpreter: ${what} ${JSON.stringify(path)} is not a modelled JSONPath ($ or $.a.b)`);
  return path.slice(2).split('.');
}

function getPath(data: Json, path: Json, what: string): Json {
  let node = data;
  for (const key of parsePath(path, what)) {
    if (!isObject(node) || !(key in node)) throw Object.assign(new Error(`${what}: ${String(path)} is not in the input`), { name: 'States.Runtime' });
    node = node[key];
  }
  return node;
}

function setPath(data: Json, path: Json, value: Json, what: string): Json {
  const keys = parsePath(path, what);
  if (keys.length === 0) return value;
  const root: Record<string, Json> = isObject(data) ? structuredClone(data) : {};
  let node = root;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Record<string, Json>;
  }
  node[keys.at(-1)!] = value;
  return root;
}

function evaluate(expression: string, input: Json, context: Json, what: string): Json {
  if (expression.startsWith('$$.')) return getPath(context, `$.${expression.slice(3)}`, what);
  const add = /^States\.MathAdd\(\s*(\$[.A-Za-z0-9_-]*)\s*,\s*(-?\d+)\s*\)$/.exec(expression);
  if (add) {
    const value = getPath(input, add[1], what);
    if (typeof value !== 'number') throw Object.assign(new Error(`${what}: States.MathAdd of ${JSON.stringify(value)}`), { name: 'States.Runtime' });
    return value + Number(add[2]);
  }
  if (expression.startsWith('States.')) throw new Error(`asl-interpreter: ${what}: intrinsic ${expression} is not modelled`);
  return getPath(input, expression, what);
}

/** Parameters / ResultSelector: keys ending in `.$` are evaluated against `input`. */
function template(node: Json, input: Json, context: Json, what: string): Json {
  if (Array.isArray(node)) return node.map((n) => template(n, input, context, what));
  if (!isObject(node)) return node;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.endsWith('.$')) out[key.slice(0, -2)] = evaluate(String(value), input, context, what);
    else out[key] = template(value, input, context, what);
  }
  return out;
}

// --- Choice ------------------------------------------------------------------------------------

const COMPARISONS = ['StringEquals', 'NumericEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals', 'BooleanEquals'] as const;

function holds(rule: Record<string, Json>, input: Json, what: string): boolean {
  if ('And' in rule) return (rule['And'] as Array<Record<string, Json>>).every((r) => holds(r, input, what));
  if ('Or' in rule) return (rule['Or'] as Array<Record<string, Json>>).some((r) => holds(r, input, what));
  if ('Not' in rule) return !holds(rule['Not'] as Record<string, Json>, input, what);
  const op = COMPARISONS.find((c) => c in rule);
  const known = new Set(['Variable', 'Next', op]);
  if (!op || Object.keys(rule).some((k) => !known.has(k))) throw new Error(`asl-interpreter: ${what}: Choice rule ${JSON.stringify(rule)} is not modelled`);
  // A Variable that is not in the input is a runtime error (States.Runtime), as in AWS.
  const value = getPath(input, rule['Variable'], what);
  const expected = rule[op];
  switch (op) {
    case 'StringEquals':
    case 'BooleanEquals':
      return value === expected;
    case 'NumericEquals':
      return value === expected;
    case 'NumericLessThan':
      return typeof value === 'number' && value < (expected as number);
    case 'NumericLessThanEquals':
      return typeof value === 'number' && value <= (expected as number);
    case 'NumericGreaterThan':
      return typeof value === 'number' && value > (expected as number);
    case 'NumericGreaterThanEquals':
      return typeof value === 'number' && value >= (expected as number);
  }
}

/** Throws when the definition uses something this interpreter does not model. */
export function assertInterpretable(definition: Json): void {
  if (!isObject(definition) || !isObject(definition['States'])) throw new Error('asl-interpreter: not a definition');
  const problems: string[] = [];
  for (const [name, state] of Object.entries(definition['States'] as Record<string, State>)) {
    const allowed: Record<string, string[]> = {
      Pass: ['Type', 'Comment', 'Next', 'End', 'Parameters', 'Result', 'ResultPath', 'InputPath', 'OutputPath'],
      Task: ['Type', 'Comment', 'Next', 'End', 'Resource', 'Parameters', 'ResultSelector', 'ResultPath', 'InputPath', 'OutputPath', 'Retry', 'Catch'],
      Choice: ['Type', 'Comment', 'Choices', 'Default'],
      Wait: ['Type', 'Comment', 'Next', 'End', 'Seconds', 'SecondsPath'],
      Succeed: ['Type', 'Comment', 'OutputPath'],
      Fail: ['Type', 'Comment', 'Error', 'Cause', 'ErrorPath', 'CausePath'],
    };
    const fields = allowed[state.Type];
    if (!fields) {
      problems.push(`${name}: Type ${state.Type}`);
      continue;
    }
    for (const key of Object.keys(state)) if (!fields.includes(key)) problems.push(`${name}: ${key}`);
  }
  if (problems.length > 0) throw new Error(`asl-interpreter does not model: ${problems.join('; ')}`);
}

const errorMatches = (names: string[], error: string): boolean =>
  names.includes(error) || names.includes('States.ALL') || (names.includes('States.TaskFailed') && !error.startsWith('States.'));

export class AslInterpreter {
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly states: Record<string, State>;
  private readonly startAt: string;
  private readonly taskSeconds: number;
  private readonly transitionSeconds: number;

  constructor(
    definition: Json,
    private readonly options: InterpreterOptions,
  ) {
    assertInterpretable(definition);
    const d = definition as { StartAt: string; States: Record<string, State> };
    this.states = d.States;
    this.startAt = d.StartAt;
    this.taskSeconds = options.taskSeconds ?? 0.3;
    this.transitionSeconds = options.transitionSeconds ?? 0.05;
  }

  /** Starts an execution now (ExecutionStarted). */
  start(name: string, input: Json): ExecutionRecord {
    const execution: ExecutionRecord = { name, input, startedAt: this.options.clock.now(), status: 'RUNNING', events: 1, transitions: 0, path: [] };
    this.executions.set(name, execution);
    this.options.clock.schedule(this.transitionSeconds, () => this.enter(execution, this.startAt, structuredClone(input)));
    return execution;
  }

  private finish(execution: ExecutionRecord, status: 'SUCCEEDED' | 'FAILED', extra: { error?: string; cause?: string; output?: Json } = {}): void {
    execution.status = status;
    execution.endedAt = this.options.clock.now();
    execution.events += 1; // ExecutionSucceeded | ExecutionFailed
    Object.assign(execution, extra);
    this.options.onEnd?.(execution);
  }

  private fail(execution: ExecutionRecord, error: Error): void {
    this.finish(execution, 'FAILED', { error: error.name, cause: error.message });
  }

  private context(execution: ExecutionRecord): Json {
    return { Execution: { Name: execution.name, StartTime: new Date(Date.UTC(2026, 0, 5) + execution.startedAt * 1000).toISOString() } };
  }

  /** Leaves a state with `output` for `next` (StateExited, a transition's latency). */
  private leave(execution: ExecutionRecord, output: Json, next: string): void {
    execution.events += 1;
    this.options.clock.schedule(this.transitionSeconds, () => this.enter(execution, next, output));
  }

  private enter(execution: ExecutionRecord, name: string, raw: Json): void {
    const state = this.states[name];
    if (!state) return this.fail(execution, Object.assign(new Error(`no state ${name}`), { name: 'States.Runtime' }));
    execution.events += 1; // <Type>StateEntered
    execution.transitions += 1;
    execution.path.push(name);
    const where = `${execution.name}/${name}`;
    try {
      const effective = 'InputPath' in state ? getPath(raw, state['InputPath'], `${where} InputPath`) : raw;
      const output = (value: Json) => ('OutputPath' in state ? getPath(value, state['OutputPath'], `${where} OutputPath`) : value);
      switch (state.Type) {
        case 'Succeed':
          execution.events += 1; // SucceedStateExited
          return this.finish(execution, 'SUCCEEDED', { output: output(effective) });
        case 'Fail': {
          const error = 'ErrorPath' in state ? String(getPath(raw, state['ErrorPath'], where)) : String(state['Error'] ?? 'States.Fail');
          const cause = 'CausePath' in state ? String(getPath(raw, state['CausePath'], where)) : String(state['Cause'] ?? '');
          return this.finish(execution, 'FAILED', { error, cause });
        }
        case 'Pass': {
          const result = 'Parameters' in state ? template(state['Parameters'], effective, this.context(execution), where) : 'Result' in state ? structuredClone(state['Result']) : effective;
          return this.leave(execution, output(state['ResultPath'] === null ? raw : setPath(raw, state['ResultPath'] ?? '$', result, where)), state.Next!);
        }
        case 'Choice': {
          const hit = (state['Choices'] as Array<Record<string, Json>>).find((rule) => holds(rule, effective, where));
          const next = hit ? String(hit['Next']) : (state['Default'] as string | undefined);
          if (!next) throw Object.assign(new Error(`${where}: no choice matched`), { name: 'States.NoChoiceMatched' });
          return this.leave(execution, effective, next);
        }
        case 'Wait': {
          const seconds = 'SecondsPath' in state ? getPath(effective, state['SecondsPath'], where) : state['Seconds'];
          if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) throw Object.assign(new Error(`${where}: wait ${JSON.stringify(seconds)} is not a non-negative integer`), { name: 'States.Runtime' });
          this.options.clock.schedule(seconds, () => this.leave(execution, output(effective), state.Next!));
          return;
        }
        case 'Task':
          return this.attempt(execution, name, state, raw, effective, output, []);
      }
    } catch (error) {
      this.fail(execution, error as Error);
    }
  }

  private attempt(execution: ExecutionRecord, name: string, state: State, raw: Json, effective: Json, output: (v: Json) => Json, counts: number[]): void {
    const retriers = (state['Retry'] ?? []) as Retrier[];
    const used = counts.length > 0 ? counts : retriers.map(() => 0);
    const where = `${execution.name}/${name}`;
    execution.events += 3; // TaskScheduled, TaskStarted, TaskSucceeded | TaskFailed
    this.options.clock.schedule(this.taskSeconds, async () => {
      let result: Json;
      try {
        const parameters = 'Parameters' in state ? template(state['Parameters'], effective, this.context(execution), where) : effective;
        result = await this.options.runTask(name, structuredClone(parameters));
      } catch (caught) {
        const error = caught as Error;
        const i = retriers.findIndex((r) => errorMatches(r.ErrorEquals, error.name));
        if (i !== -1 && used[i]! < (retriers[i]!.MaxAttempts ?? 3)) {
          const r = retriers[i]!;
          let delay = Math.min((r.IntervalSeconds ?? 1) * Math.pow(r.BackoffRate ?? 2, used[i]!), r.MaxDelaySeconds ?? Infinity);
          if (r.JitterStrategy === 'FULL') delay = this.options.clock.random() * delay;
          used[i]!++;
          execution.transitions += 1; // a retry is a billed transition
          this.options.clock.schedule(delay, () => this.attempt(execution, name, state, raw, effective, output, used));
          return;
        }
        const catcher = ((state['Catch'] ?? []) as Catcher[]).find((c) => errorMatches(c.ErrorEquals, error.name));
        if (!catcher) return this.fail(execution, error);
        const errorOutput = { Error: error.name, Cause: error.message };
        try {
          return this.leave(execution, catcher.ResultPath === null ? raw : setPath(raw, catcher.ResultPath ?? '$', errorOutput, where), catcher.Next);
        } catch (e) {
          return this.fail(execution, e as Error);
        }
      }
      try {
        const selected = 'ResultSelector' in state ? template(state['ResultSelector'], result, this.context(execution), where) : result;
        const merged = state['ResultPath'] === null ? raw : setPath(raw, state['ResultPath'] ?? '$', selected, where);
        this.leave(execution, output(merged), state.Next!);
      } catch (e) {
        this.fail(execution, e as Error);
      }
    });
  }
}

/** A binary-heap clock: `run()` processes jobs in time order until none is left (or `until`). */
export class SimulatedClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly heap: Array<{ at: number; seq: number; run: () => Promise<void> | void }> = [];

  constructor(private readonly rng: () => number) {}

  now(): number {
    return this.t;
  }
  random(): number {
    return this.rng();
  }
  schedule(delaySeconds: number, run: () => Promise<void> | void): void {
    const job = { at: this.t + Math.max(0, delaySeconds), seq: this.seq++, run };
    this.heap.push(job);
    let i = this.heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.before(this.heap[p]!, this.heap[i]!)) break;
      [this.heap[p], this.heap[i]] = [this.heap[i]!, this.heap[p]!];
      i = p;
    }
  }
  private before(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  private pop(): { at: number; seq: number; run: () => Promise<void> | void } | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (this.heap.length > 0 && last) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.before(this.heap[l]!, this.heap[m]!)) m = l;
        if (r < this.heap.length && this.before(this.heap[r]!, this.heap[m]!)) m = r;
        if (m === i) break;
        [this.heap[m], this.heap[i]] = [this.heap[i]!, this.heap[m]!];
        i = m;
      }
    }
    return top;
  }

  /**
   * Runs the jobs in time order. `settle` lets the promises a job resolved run before the clock
   * moves on: a job that does no real I/O needs one macrotask turn; one that does (a loopback HTTP
   * stand-in) must be awaited (`await: true`), which serializes the jobs.
   */
  async run(options: { await?: boolean; until?: number } = {}): Promise<void> {
    for (let job = this.pop(); job; job = this.pop()) {
      if (options.until !== undefined && job.at > options.until) {
        this.schedule(job.at - this.t, job.run);
        return;
      }
      this.t = job.at;
      if (options.await) await job.run();
      else void job.run();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
