/**
 * Arguments that hold a JSON document as a string (a state machine definition, an event pattern,
 * a target's input) are compared as parsed JSON: what changed inside, by path, instead of two
 * long string prefixes that differ somewhere after the cut.
 */

export interface JsonChange {
  /** `a.b[2].c`; `(document)` for the whole value. */
  readonly path: string;
  /** Shown value before (JSON, shortened); absent when added. */
  readonly before?: string;
  /** Shown value after; absent when removed. */
  readonly after?: string;
}

export interface StateChange {
  readonly state: string;
  readonly fields: readonly JsonChange[];
}

/** A state machine definition's change, state by state (nested states as `Outer/Inner`). */
export interface StateMachineDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly StateChange[];
  /** Fields outside `States` (StartAt, TimeoutSeconds, Comment, QueryLanguage). */
  readonly top: readonly JsonChange[];
}

const MAX_SHOWN = 120;
const shown = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 3)}...` : s;
};

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The parsed document when `value` is a string holding a JSON object or array. */
export function parseJsonDocument(value: unknown): object | undefined {
  if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Leaf differences between two JSON values (objects by key, arrays by position). */
export function diffJson(before: unknown, after: unknown, path = ''): JsonChange[] {
  const at = (k: string | number) => (typeof k === 'number' ? `${path}[${k}]` : path ? `${path}.${k}` : k);
  if (isObj(before) && isObj(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].flatMap((k) => diffJson(before[k], after[k], at(k)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => diffJson(b, after[i], at(i)));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: path || '(document)', ...(before !== undefined ? { before: shown(before) } : {}), ...(after !== undefined ? { after: shown(after) } : {}) }];
}

/** Every state of a definition, nested ones (Parallel branches, Map processors) as `Outer/Inner`. */
function statesOf(definition: unknown, prefix = ''): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const states = isObj(definition) && isObj(definition.States) ? definition.States : {};
  for (const [name, state] of Object.entries(states)) {
    if (!isObj(state)) continue;
    const id = `${prefix}${name}`;
    const nested: unknown[] = [...(Array.isArray(state.Branches) ? state.Branches : []), state.ItemProcessor, state.Iterator].filter(isObj);
    // The state's own fields; its nested machines are listed as states of their own.
    const { Branches: _b, ItemProcessor, Iterator: _i, ...own } = state;
    const processorConfig = isObj(ItemProcessor) ? Object.fromEntries(Object.entries(ItemProcessor).filter(([k]) => k !== 'States' && k !== 'StartAt')) : undefined;
    out.set(id, { ...own, ...(processorConfig && Object.keys(processorConfig).length ? { ItemProcessor: processorConfig } : {}) });
    for (const machine of nested) for (const [k, v] of statesOf(machine, `${id}/`)) out.set(k, v);
  }
  return out;
}

/** States added, removed and changed (with the changed fields) between two definitions. */
export function diffStateMachine(before: unknown, after: unknown): StateMachineDiff {
  const b = statesOf(before);
  const a = statesOf(after);
  const topOf = (d: unknown) => (isObj(d) ? Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'States')) : {});
  return {
    added: [...a.keys()].filter((k) => !b.has(k)),
    removed: [...b.keys()].filter((k) => !a.has(k)),
    changed: [...a.keys()].filter((k) => b.has(k)).map((state) => ({ state, fields: diffJson(b.get(state), a.get(state)) })).filter((c) => c.fields.length > 0),
    top: diffJson(topOf(before), topOf(after)),
  };
}

/** Arguments holding a state machine definition (diffed state by state). */
export const STATE_MACHINE_DEFINITIONS: ReadonlySet<string> = new Set(['aws_sfn_state_machine.definition']);
