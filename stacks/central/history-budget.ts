/**
 * Worst-case execution history of a Step Functions (Standard) definition, computed from the
 * definition alone: pure, no cdktf, no I/O. The tests run it on the synthesized definitions
 * (`aws_sfn_state_machine.definition`); `scripts/bench-burst.ts` prints its `history:` line.
 *
 * Why: a Standard execution that reaches 25,000 history events fails, and no Catch sees it; it
 * cannot be redriven either ("Maximum execution history size: 25,000 events in a single state
 * machine execution history. If the execution history reaches this quota, the execution will fail").
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 *
 * Event accounting (the `HistoryEvent` types of the API reference,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html, in the
 * order AWS records them in real execution histories: LocalStack's snapshot tests record them against
 * AWS, e.g. tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json in
 * https://github.com/localstack/localstack):
 * - the execution: `ExecutionStarted`, and one of `ExecutionSucceeded | Failed | TimedOut | Aborted`;
 * - every state entry: `<Type>StateEntered` and `<Type>StateExited` (a Fail state: `FailStateEntered`
 *   only; a Task failing uncaught: no `TaskStateExited`, the execution's end event instead);
 * - every attempt of a Task (`arn:aws:states:::lambda:invoke`, request-response: no `TaskSubmitted`):
 *   `TaskScheduled`, `TaskStarted`, `TaskSucceeded | TaskFailed`; a retry is one more attempt, with
 *   no new StateEntered (a retrier's counters apply within one entry of the state: "A retrier's
 *   parameters apply across all visits to the retrier in the context of a single-state execution",
 *   Example 4, Complex retry scenario, in
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html; so a state
 *   entered again starts its retriers afresh: why every loop that re-enters a state carries its
 *   own counter in the state data);
 * - an inline Map: `MapStateEntered`, `MapStateStarted`, per item `MapIterationStarted`, the
 *   item's states, `MapIterationSucceeded | MapIterationFailed`, then `MapStateSucceeded | Failed`
 *   and `MapStateExited`.
 * Billed state transitions: one per state entered and one per retry ("Step Functions counts a
 * state transition each time a step of your workflow is executed", retries included:
 * https://aws.amazon.com/step-functions/pricing/).
 *
 * Loops. A cycle of states is bounded only by a COUNT the definition shows: a counter in the
 * state data that
 * - starts at a constant (a Pass state writes it, on every path from the start to an increment,
 *   and never after one),
 * - is increased only by Pass states whose Parameters are `States.MathAdd(<the counter>, k)`, k ≥ 1,
 *   written back to the counter's path (no other state may write it: a Task's ResultPath must
 *   lie elsewhere, and so on),
 * - and is compared with a constant on a Choice edge: every path from an increment to the next
 *   increment passes an edge taken only while `counter < B`.
 * Such a counter is increased at most ceil((B − start) / k) times. Every cycle that is left once the
 * increments are taken out of the graph is reported as unbounded. A Task's retriers are per entry:
 * at most 1 + Σ MaxAttempts attempts (each retrier keeps its own count), so a retrier on a state a
 * loop re-enters costs that many times each entry.
 *
 * The bound: an execution's path is start → segment → increment → segment → … → end, each segment
 * a path in the graph without the increments. It is charged: the longest segment from the start to
 * an increment, plus, per counter, its increment count × (the increment + the longest segment that
 * can lead into it from after any increment), plus the longest final segment. A sound over-estimate.
 */
import { componentsOf, cyclesOf } from '../graph-components';

/** Step Functions' hard limit on one execution's history. */
export const HISTORY_EVENT_LIMIT = 25_000;
/** What this app allows itself: every path stays this far under the limit. */
export const HISTORY_EVENT_BUDGET = 20_000;
/** Standard workflows, us-east-1: $0.025 per 1,000 state transitions (https://aws.amazon.com/step-functions/pricing/). */
export const USD_PER_TRANSITION = 0.025 / 1000;
/**
 * A retrier without MaxAttempts retries 3 times ("MaxAttempts … (3 by default)"):
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
const DEFAULT_MAX_ATTEMPTS = 3;

export interface Cost {
  readonly events: number;
  readonly transitions: number;
}

export interface LoopBound {
  /** The counter's path, e.g. `$.loops.waits.n`. */
  readonly counter: string;
  /** The Pass states that increase it. */
  readonly increments: readonly string[];
  /** The Choice states whose edges bound it. */
  readonly guards: readonly string[];
  /** Leaves the loop at `counter < bound` (the loosest guard). */
  readonly bound: number;
  readonly start: number;
  readonly step: number;
  /** At most this many increments in one execution. */
  readonly maxIncrements: number;
}

export interface HistoryAnalysis {
  /** Counters that bound loops. */
  readonly loops: readonly LoopBound[];
  /** Cycles no counter bounds (their state names); empty when every loop is bounded. */
  readonly unbounded: readonly (readonly string[])[];
  /** What the analysis could not account for (an unsupported state, a counter written elsewhere, …). */
  readonly problems: readonly string[];
  /** Cost of one entry of each state, every retrier exhausted. */
  readonly perEntry: Readonly<Record<string, Cost>>;
  /** The worst path of the whole execution (Infinity when unbounded). */
  readonly worst: Cost;
  /** The worst path ending in each terminal state. */
  readonly byTerminal: Readonly<Record<string, Cost>>;
}

type Json = unknown;
type State = Record<string, Json> & { Type?: string };
type Graph = { startAt: string; states: Record<string, State> };
type Edge = { from: string; to: string; kind: 'next' | 'choice' | 'default' | 'catch'; rule?: number };

const NEG = Number.NEGATIVE_INFINITY;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `$` → [], `$.a.b` → ['a', 'b']; anything else (brackets, wildcards, context `$$`) → undefined. */
export function parsePath(path: Json): string[] | undefined {
  if (typeof path !== 'string') return undefined;
  if (path === '$') return [];
  return /^\$(\.[A-Za-z0-9_-]+)+$/.test(path) ? path.slice(2).split('.') : undefined;
}
const pathText = (p: readonly string[]): string => (p.length === 0 ? '$' : `$.${p.join('.')}`);
const isPrefix = (a: readonly string[], b: readonly string[]): boolean => a.length <= b.length && a.every((k, i) => b[i] === k);

function graphOf(definition: Json, where = 'definition'): Graph {
  if (!isObject(definition) || typeof definition['StartAt'] !== 'string' || !isObject(definition['States'])) {
    throw new Error(`${where}: not an Amazon States Language definition (StartAt and States)`);
  }
  return { startAt: definition['StartAt'], states: definition['States'] as Record<string, State> };
}

/** Every transition a state can take: Next, End, Choice rules and Default, Catch. */
function edgesOf(name: string, state: State): Edge[] {
  const edges: Edge[] = [];
  if (typeof state['Next'] === 'string') edges.push({ from: name, to: state['Next'], kind: 'next' });
  if (state.Type === 'Choice') {
    ((state['Choices'] as Json[] | undefined) ?? []).forEach((rule, i) => {
      if (isObject(rule) && typeof rule['Next'] === 'string') edges.push({ from: name, to: rule['Next'], kind: 'choice', rule: i });
    });
    if (typeof state['Default'] === 'string') edges.push({ from: name, to: state['Default'], kind: 'default' });
  }
  for (const c of (state['Catch'] as Json[] | undefined) ?? []) if (isObject(c) && typeof c['Next'] === 'string') edges.push({ from: name, to: c['Next'], kind: 'catch' });
  return edges;
}

const retriers = (state: State): Array<Record<string, Json>> => ((state['Retry'] as Json[] | undefined) ?? []).filter(isObject);
/** Attempts of one entry with every retrier exhausted: each retrier counts its own retries. */
export const maxAttempts = (state: State): number => 1 + retriers(state).reduce((n, r) => n + (typeof r['MaxAttempts'] === 'number' ? r['MaxAttempts'] : DEFAULT_MAX_ATTEMPTS), 0);

const TASK_RESOURCES = [
  // The optimized Lambda integration, request-response: TaskScheduled, TaskStarted, TaskSucceeded|TaskFailed.
  /^arn:aws[a-z-]*:states:::lambda:invoke$/,
  // A function ARN as the resource: LambdaFunctionScheduled, …Started, …Succeeded|Failed|TimedOut.
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+$/,
];

/** Items a Map iterates at most: the longest constant array a Pass state writes at its ItemsPath. */
function mapItems(graph: Graph, map: State): number | undefined {
  const items = parsePath(map['ItemsPath'] ?? '$');
  if (!items) return undefined;
  let most: number | undefined;
  for (const state of Object.values(graph.states)) {
    if (state.Type !== 'Pass' || !('Result' in state)) continue;
    const at = state['ResultPath'] === undefined ? [] : parsePath(state['ResultPath']);
    if (!at || !isPrefix(at, items)) continue;
    let value: Json = state['Result'];
    for (const key of items.slice(at.length)) value = isObject(value) ? value[key] : undefined;
    if (Array.isArray(value)) most = Math.max(most ?? 0, value.length);
  }
  return most;
}

/** The cost of one entry of each state (inner Map iterations included), and what cannot be priced. */
function entryCosts(graph: Graph, problems: string[], where: string): Record<string, Cost> {
  const costs: Record<string, Cost> = {};
  for (const [name, state] of Object.entries(graph.states)) {
    const at = `${where}${name}`;
    switch (state.Type) {
      case 'Pass':
      case 'Choice':
      case 'Wait':
      case 'Succeed':
        costs[name] = { events: 2, transitions: 1 };
        break;
      case 'Fail':
        costs[name] = { events: 1, transitions: 1 };
        break;
      case 'Task': {
        if (!TASK_RESOURCES.some((re) => re.test(String(state['Resource'])))) problems.push(`${at}: Task resource ${String(state['Resource'])} is not a request-response Lambda invocation (its events are not modelled)`);
        const attempts = maxAttempts(state);
        costs[name] = { events: 2 + 3 * attempts, transitions: attempts };
        break;
      }
      case 'Map': {
        const processor = state['ItemProcessor'] ?? state['Iterator'];
        const mode = isObject(processor) && isObject(processor['ProcessorConfig']) ? processor['ProcessorConfig']['Mode'] : 'INLINE';
        if (mode !== 'INLINE') problems.push(`${at}: only inline Map states are modelled (Mode ${String(mode)})`);
        const items = mapItems(graph, state);
        if (items === undefined) problems.push(`${at}: cannot tell how many items it iterates (ItemsPath ${String(state['ItemsPath'] ?? '$')} is not a constant array written by a Pass state)`);
        const inner = analyzeGraph(graphOf(processor, `${at}.ItemProcessor`), `${at}/`);
        problems.push(...inner.problems);
        for (const cycle of inner.unbounded) problems.push(`${at}: unbounded loop in the item processor: ${cycle.join(' → ')}`);
        const n = items ?? 0;
        // Per item: MapIterationStarted + the item's states + MapIterationSucceeded|Failed.
        const run = { events: 2 + n * (2 + inner.worst.events), transitions: n * inner.worst.transitions };
        const attempts = maxAttempts(state);
        costs[name] = { events: 2 + attempts * run.events, transitions: attempts * (1 + run.transitions) };
        break;
      }
      default:
        problems.push(`${at}: state type ${String(state.Type)} is not modelled`);
        costs[name] = { events: 0, transitions: 0 };
    }
  }
  return costs;
}

// --- counters --------------------------------------------------------------------------------

type Effect = { kind: 'preserve' } | { kind: 'add'; by: number } | { kind: 'set'; value: number } | { kind: 'unknown'; why: string };
const PRESERVE: Effect = { kind: 'preserve' };
const unknown = (why: string): Effect => ({ kind: 'unknown', why });

const MATH_ADD = /^States\.MathAdd\(\s*(\$[.A-Za-z0-9_-]*)\s*,\s*(-?\d+)\s*\)$/;

/** What a state's ResultPath `rp` does to the value at `p`, the result being `result` (or unknown). */
function placeResult(rp: Json, p: string[], result: ((rest: string[]) => Effect) | undefined, what: string): Effect {
  if (rp === null) return PRESERVE; // ResultPath null: the output is the input
  const at = rp === undefined ? [] : parsePath(rp);
  if (!at) return unknown(`${what} ResultPath ${String(rp)}`);
  if (isPrefix(at, p)) return result ? result(p.slice(at.length)) : unknown(`${what} writes ${pathText(at)}`);
  if (isPrefix(p, at)) return unknown(`${what} writes inside ${pathText(p)}`);
  return PRESERVE;
}

/** The value at `rest` of a Pass state's Parameters (keys ending in `.$` are evaluated), as an effect on `p`. */
function parametersEffect(parameters: Json, rest: string[], p: string[]): Effect {
  let node: Json = parameters;
  for (let i = 0; i < rest.length; i++) {
    if (!isObject(node)) return unknown('Parameters do not hold the counter');
    const key = rest[i]!;
    if (key in node) {
      node = node[key];
      continue;
    }
    const dynamic = node[`${key}.$`];
    if (dynamic === undefined) return unknown(`Parameters leave ${pathText(p)} out`);
    // A path copying the same place of the input keeps the counter (e.g. "loops.$": "$.loops").
    const source = parsePath(dynamic);
    const prefix = p.slice(0, p.length - rest.length + i + 1);
    if (source && source.join('.') === prefix.join('.')) return PRESERVE;
    if (i === rest.length - 1 && typeof dynamic === 'string') {
      const add = MATH_ADD.exec(dynamic);
      if (add && parsePath(add[1])?.join('.') === p.join('.')) return { kind: 'add', by: Number(add[2]) };
    }
    return unknown(`Parameters compute ${pathText(p)} as ${JSON.stringify(dynamic)}`);
  }
  return typeof node === 'number' ? { kind: 'set', value: node } : unknown(`Parameters set ${pathText(p)} to ${JSON.stringify(node)}`);
}

function constantEffect(value: Json, rest: string[], p: string[]): Effect {
  let node = value;
  for (const key of rest) node = isObject(node) ? node[key] : undefined;
  return typeof node === 'number' ? { kind: 'set', value: node } : unknown(`Result sets ${pathText(p)} to ${JSON.stringify(node)}`);
}

/** The effect of leaving `state` on the value at `p`, over its normal exit and every Catch. */
function effectOn(state: State, p: string[]): Effect {
  const type = state.Type;
  if (type === 'Succeed' || type === 'Fail') return PRESERVE;
  for (const field of ['InputPath', 'OutputPath'] as const) {
    if (field in state && state[field] !== '$') return unknown(`${field} ${JSON.stringify(state[field])}`);
  }
  if (type === 'Choice' || type === 'Wait') return PRESERVE;
  let effect: Effect;
  if (type === 'Pass') {
    const result = 'Parameters' in state
      ? (rest: string[]) => parametersEffect(state['Parameters'], rest, p)
      : 'Result' in state
        ? (rest: string[]) => constantEffect(state['Result'], rest, p)
        : (rest: string[]) => (rest.length === p.length ? PRESERVE : unknown('the input written elsewhere'));
    effect = placeResult(state['ResultPath'], p, result, 'Pass');
  } else {
    // Task, Map, Parallel: the result is not known from the definition.
    effect = placeResult(state['ResultPath'], p, undefined, type ?? 'state');
  }
  if (effect.kind === 'unknown') return effect;
  for (const c of (state['Catch'] as Json[] | undefined) ?? []) {
    if (!isObject(c)) continue;
    const caught = placeResult(c['ResultPath'], p, undefined, 'Catch');
    if (caught.kind !== 'preserve') return caught;
  }
  return effect;
}

/** A Choice rule's implication on `p`: the smallest B such that the rule (or its negation) implies p < B. */
function upperBound(rule: Json, p: string, negated: boolean): number | undefined {
  if (!isObject(rule)) return undefined;
  const all = (children: Json, combine: 'min' | 'max'): number | undefined => {
    const bounds = ((children as Json[] | undefined) ?? []).map((c) => upperBound(c, p, negated));
    if (combine === 'min') {
      const known = bounds.filter((b): b is number => b !== undefined);
      return known.length > 0 ? Math.min(...known) : undefined;
    }
    return bounds.length > 0 && bounds.every((b) => b !== undefined) ? Math.max(...(bounds as number[])) : undefined;
  };
  // ¬(A ∧ B) = ¬A ∨ ¬B; ¬(A ∨ B) = ¬A ∧ ¬B: And implies a bound when any child does, Or when all do.
  if ('And' in rule) return all(rule['And'], negated ? 'max' : 'min');
  if ('Or' in rule) return all(rule['Or'], negated ? 'min' : 'max');
  if ('Not' in rule) return upperBound(rule['Not'], p, !negated);
  if (rule['Variable'] !== p) return undefined;
  const integerBelow = (b: number, inclusive: boolean) => (inclusive ? Math.floor(b) + 1 : Math.ceil(b)); // counters are integers
  for (const [op, value] of Object.entries(rule)) {
    if (typeof value !== 'number') continue;
    if (!negated && op === 'NumericLessThan') return integerBelow(value, false);
    if (!negated && (op === 'NumericLessThanEquals' || op === 'NumericEquals')) return integerBelow(value, true);
    if (negated && op === 'NumericGreaterThanEquals') return integerBelow(value, false);
    if (negated && op === 'NumericGreaterThan') return integerBelow(value, true);
  }
  return undefined;
}

/** The bound a Choice edge implies on `p` (rule i true and every earlier rule false; Default: all false). */
function edgeBound(choice: State, edge: Edge, p: string): number | undefined {
  const rules = (choice['Choices'] as Json[] | undefined) ?? [];
  const upTo = edge.kind === 'default' ? rules.length : edge.rule!;
  const bounds: number[] = [];
  for (let i = 0; i < upTo; i++) {
    const b = upperBound(rules[i], p, true);
    if (b !== undefined) bounds.push(b);
  }
  if (edge.kind === 'choice') {
    const b = upperBound(rules[edge.rule!], p, false);
    if (b !== undefined) bounds.push(b);
  }
  return bounds.length > 0 ? Math.min(...bounds) : undefined;
}

function reachable(from: Iterable<string>, out: (n: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...from];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...out(n));
  }
  return seen;
}

/** Counters incremented by `States.MathAdd` in Pass states, each checked; the trusted ones bound loops. */
function findLoops(graph: Graph, edges: Edge[], problems: string[], where: string): LoopBound[] {
  const candidates = new Set<string>();
  for (const state of Object.values(graph.states)) {
    if (state.Type !== 'Pass') continue;
    const walk = (node: Json, at: string[]): void => {
      if (!isObject(node)) return;
      for (const [key, value] of Object.entries(node)) {
        if (key.endsWith('.$') && typeof value === 'string') {
          const add = MATH_ADD.exec(value);
          if (add && parsePath(add[1])) candidates.add(add[1]);
        } else walk(value, [...at, key]);
      }
    };
    walk(state['Parameters'], []);
  }
  const out = (n: string) => edges.filter((e) => e.from === n).map((e) => e.to);
  const loops: LoopBound[] = [];
  for (const counter of [...candidates].sort()) {
    const p = parsePath(counter)!;
    const increments: Array<{ name: string; by: number }> = [];
    const inits: Array<{ name: string; value: number }> = [];
    const bad: string[] = [];
    for (const [name, state] of Object.entries(graph.states)) {
      const effect = effectOn(state, p);
      if (effect.kind === 'add' && effect.by >= 1) increments.push({ name, by: effect.by });
      else if (effect.kind === 'add') bad.push(`${name} adds ${effect.by}`);
      else if (effect.kind === 'set') inits.push({ name, value: effect.value });
      else if (effect.kind === 'unknown') bad.push(`${name} (${effect.why})`);
    }
    const fail = (why: string) => problems.push(`${where}counter ${counter} does not bound a loop: ${why}`);
    if (bad.length > 0) {
      fail(`also written by ${bad.join(', ')}`);
      continue;
    }
    const incNames = new Set(increments.map((i) => i.name));
    const initNames = new Set(inits.map((i) => i.name));
    // Set before every increment, and never again after one.
    const withoutInits = reachable([graph.startAt], (n) => (initNames.has(n) ? [] : out(n)));
    const unset = increments.filter((i) => withoutInits.has(i.name));
    if (inits.length === 0 || unset.length > 0) {
      fail(`no constant start on the way to ${(unset.length > 0 ? unset : increments).map((i) => i.name).join(', ')}`);
      continue;
    }
    const afterIncrements = reachable(increments.flatMap((i) => out(i.name)), out);
    const resets = inits.filter((i) => afterIncrements.has(i.name));
    if (resets.length > 0) {
      fail(`set again by ${resets.map((r) => r.name).join(', ')} after an increment`);
      continue;
    }
    // Guards: Choice edges taken only while counter < B.
    const guards = new Map<Edge, number>();
    for (const e of edges) {
      const from = graph.states[e.from]!;
      if (from.Type !== 'Choice' || (e.kind !== 'choice' && e.kind !== 'default')) continue;
      const b = edgeBound(from, e, counter);
      if (b !== undefined) guards.set(e, b);
    }
    if (guards.size === 0) {
      fail('no Choice compares it with a constant');
      continue;
    }
    const unguarded = (n: string) => edges.filter((e) => e.from === n && !guards.has(e)).map((e) => e.to);
    const again = reachable(increments.flatMap((i) => unguarded(i.name)), unguarded);
    const loopsBack = increments.filter((i) => again.has(i.name));
    if (loopsBack.length > 0) {
      fail(`a path from an increment back to ${loopsBack.map((i) => i.name).join(', ')} passes no Choice that bounds it`);
      continue;
    }
    const bound = Math.max(...guards.values());
    const start = Math.min(...inits.map((i) => i.value));
    const step = Math.min(...increments.map((i) => i.by));
    loops.push({
      counter,
      increments: [...incNames],
      guards: [...new Set([...guards.keys()].map((e) => e.from))],
      bound,
      start,
      step,
      maxIncrements: Math.max(1, Math.ceil((bound - start) / step)),
    });
  }
  return loops;
}

// --- longest paths ---------------------------------------------------------------------------

type Measure = (c: Cost) => number;

/**
 * The worst path (without ExecutionStarted and the end event) under one measure, overall and per
 * terminal. The graph's strongly connected components are visited at most once each, in
 * topological order; inside a component the path is a chain of segments between increments (see
 * the module comment), and each counter's increments are charged once, at the component where its
 * loop costs most (a counter only grows, so its bound holds for the whole execution).
 */
function worstUnder(graph: Graph, edges: Edge[], costs: Record<string, Cost>, loops: readonly LoopBound[], measure: Measure): { all: number; byTerminal: Record<string, number> } {
  const names = Object.keys(graph.states);
  const incrementOf = new Map<string, LoopBound>();
  for (const l of loops) for (const i of l.increments) incrementOf.set(i, l);
  const outAll = (n: string) => [...new Set(edges.filter((e) => e.from === n && e.to in graph.states).map((e) => e.to))];
  const c = (n: string) => measure(costs[n]!);
  const isTerminal = (n: string) => {
    const s = graph.states[n]!;
    return s.Type === 'Succeed' || s.Type === 'Fail' || s['End'] === true;
  };

  // Components, in topological order (Tarjan emits them in reverse).
  const components = componentsOf(names, outAll).reverse();
  const componentOf = new Map<string, number>();
  components.forEach((members, i) => members.forEach((m) => componentOf.set(m, i)));

  // Longest paths inside one component, avoiding increments (a DAG once they are taken out).
  const memo = new Map<string, number>();
  const inside = (v: string) => outAll(v).filter((w) => componentOf.get(w) === componentOf.get(v));
  /** From v (inclusive) to an edge entering increment `target`, inside v's component. */
  const toIncrement = (v: string, target: string): number => {
    const key = `i|${v}|${target}`;
    if (memo.has(key)) return memo.get(key)!;
    let best = NEG;
    for (const w of inside(v)) best = Math.max(best, w === target ? 0 : incrementOf.has(w) ? NEG : toIncrement(w, target));
    const value = best === NEG ? NEG : c(v) + best;
    memo.set(key, value);
    return value;
  };
  /** From v (inclusive) to x (inclusive), inside v's component, through no increment. */
  const toNode = (v: string, x: string): number => {
    if (v === x) return c(v);
    const key = `n|${v}|${x}`;
    if (memo.has(key)) return memo.get(key)!;
    let best = NEG;
    for (const w of inside(v)) if (!incrementOf.has(w)) best = Math.max(best, toNode(w, x));
    const value = best === NEG ? NEG : c(v) + best;
    memo.set(key, value);
    return value;
  };

  // Per counter: the most one increment (and the segment leading into it) can cost, in any component.
  const charges = new Map<LoopBound, number>();
  components.forEach((members) => {
    const increments = members.filter((m) => incrementOf.has(m));
    const starts = [...new Set(increments.flatMap((i) => outAll(i).filter((w) => members.includes(w))))];
    for (const i of increments) {
      const into = Math.max(NEG, ...starts.map((s) => (s === i ? 0 : incrementOf.has(s) ? NEG : toIncrement(s, i))));
      if (into === NEG) continue;
      const loop = incrementOf.get(i)!;
      charges.set(loop, Math.max(charges.get(loop) ?? NEG, c(i) + into));
    }
  });
  const loopsCost = loops.reduce((sum, l) => sum + (charges.has(l) ? l.maxIncrements * charges.get(l)! : 0), 0);

  /** The most a walk entering a component at `e` and leaving it from `x` costs there, the loop charges aside. */
  const within = (members: string[], e: string, x: string): number => {
    const increments = members.filter((m) => incrementOf.has(m));
    const direct = incrementOf.has(e) || incrementOf.has(x) ? NEG : toNode(e, x);
    if (increments.length === 0) return direct;
    const first = Math.max(NEG, ...increments.map((i) => (e === i ? c(i) : incrementOf.has(e) ? NEG : toIncrement(e, i) + c(i))));
    const starts = [...new Set(increments.flatMap((i) => outAll(i).filter((w) => members.includes(w))))];
    const last = incrementOf.has(x) ? 0 : Math.max(NEG, ...starts.map((s) => (incrementOf.has(s) ? NEG : toNode(s, x))));
    return Math.max(direct, first === NEG || last === NEG ? NEG : first + last);
  };

  // Longest walk over the components: arrive[e] = the most a walk costs before entering e.
  const arrive = new Map<string, number>([[graph.startAt, 0]]);
  const leave = new Map<string, number>(); // the most a walk costs up to and including x (in its component)
  components.forEach((members) => {
    const entries = members.filter((m) => arrive.has(m));
    for (const x of members) {
      let best = NEG;
      for (const e of entries) {
        const w = within(members, e, x);
        if (w !== NEG) best = Math.max(best, arrive.get(e)! + w);
      }
      if (best === NEG) continue;
      leave.set(x, best);
      for (const y of outAll(x)) if (componentOf.get(y) !== componentOf.get(x)) arrive.set(y, Math.max(arrive.get(y) ?? NEG, best));
    }
  });
  // Any state may end the execution (a terminal state, or an error nothing catches).
  const all = Math.max(NEG, ...[...leave.values()]) + loopsCost;
  const byTerminal = Object.fromEntries(names.filter(isTerminal).map((t) => [t, (leave.get(t) ?? NEG) + loopsCost]));
  return { all, byTerminal };
}

/** The analysis of one graph (a definition, or a Map's item processor), without the execution's two events. */
function analyzeGraph(graph: Graph, where: string): HistoryAnalysis {
  const problems: string[] = [];
  const names = Object.keys(graph.states);
  const edges = names.flatMap((n) => edgesOf(n, graph.states[n]!));
  for (const e of edges) if (!(e.to in graph.states)) problems.push(`${where}${e.from}: goes to ${e.to}, which is not a state`);
  if (!(graph.startAt in graph.states)) problems.push(`${where}StartAt ${graph.startAt} is not a state`);
  const perEntry = entryCosts(graph, problems, where);
  const loops = findLoops(graph, edges, problems, where);
  const cut = new Set(loops.flatMap((l) => l.increments));
  const out = (n: string) => (cut.has(n) ? [] : edges.filter((e) => e.from === n && !cut.has(e.to) && e.to in graph.states).map((e) => e.to));
  const unbounded = cyclesOf(names.filter((n) => !cut.has(n)), out);
  if (unbounded.length > 0 || problems.length > 0) {
    const inf = { events: Infinity, transitions: Infinity };
    return { loops, unbounded, problems, perEntry, worst: inf, byTerminal: {} };
  }
  const events = worstUnder(graph, edges, perEntry, loops, (c) => c.events);
  const transitions = worstUnder(graph, edges, perEntry, loops, (c) => c.transitions);
  const byTerminal = Object.fromEntries(Object.keys(events.byTerminal).map((t) => [t, { events: events.byTerminal[t]!, transitions: transitions.byTerminal[t]! }]));
  return { loops, unbounded, problems, perEntry, worst: { events: events.all, transitions: transitions.all }, byTerminal };
}

/** The worst-case history of an execution of `definition` (ExecutionStarted and the end event included). */
export function analyzeHistory(definition: Json): HistoryAnalysis {
  const inner = analyzeGraph(graphOf(definition), '');
  const plus2 = (c: Cost): Cost => ({ events: c.events + 2, transitions: c.transitions });
  return { ...inner, worst: plus2(inner.worst), byTerminal: Object.fromEntries(Object.entries(inner.byTerminal).map(([t, c]) => [t, plus2(c)])) };
}

/** One state of a concrete path, with the retries it made there. */
export type PathStep = string | { readonly state: string; readonly retries: number };

/**
 * The history of one concrete execution path: each step must be a transition the definition allows
 * (Next, a Choice branch or Default, a Catch), retries no more than its retriers allow, and the path
 * must end in a terminal state.
 */
export function pathCost(definition: Json, path: readonly PathStep[]): Cost {
  const graph = graphOf(definition);
  const steps = path.map((s) => (typeof s === 'string' ? { state: s, retries: 0 } : s));
  if (steps.length === 0 || steps[0]!.state !== graph.startAt) throw new Error(`pathCost: a path starts at ${graph.startAt}`);
  let events = 2; // ExecutionStarted and the end event
  let transitions = 0;
  steps.forEach(({ state: name, retries }, i) => {
    const state = graph.states[name];
    const next = steps[i + 1]?.state;
    for (const s of [name, next]) if (s !== undefined && !graph.states[s]) throw new Error(`pathCost: ${s} is not a state`);
    if (!state) return;
    if (next !== undefined && !edgesOf(name, state).some((e) => e.to === next)) throw new Error(`pathCost: ${name} cannot go to ${next}`);
    if (next === undefined && !(state.Type === 'Succeed' || state.Type === 'Fail' || state['End'] === true)) throw new Error(`pathCost: the path ends at ${name}, which does not end an execution`);
    if (state.Type === 'Task') {
      if (retries > maxAttempts(state) - 1) throw new Error(`pathCost: ${name} retries at most ${maxAttempts(state) - 1} times, not ${retries}`);
      events += 2 + 3 * (1 + retries);
    } else {
      if (retries !== 0) throw new Error(`pathCost: ${name} is not a Task; it does not retry`);
      events += state.Type === 'Fail' ? 1 : 2;
    }
    transitions += 1 + retries;
  });
  return { events, transitions };
}

/** `history: worst path P events (limit 25,000), T transitions per snapshot (typical), W (worst)`. */
export function historyLine(worst: Cost, typical: Cost): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `history: worst path ${n(worst.events)} events (limit ${n(HISTORY_EVENT_LIMIT)}), ${n(typical.transitions)} transitions per snapshot (typical), ${n(worst.transitions)} (worst)`;
}
