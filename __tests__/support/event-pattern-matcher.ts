/**
 * A small, test-only implementation of Amazon EventBridge event-pattern matching.
 *
 * Semantics follow the AWS documentation:
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
 * and, where the guide is silent, aws/event-ruler (the open-source matcher EventBridge is built on).
 *
 * In short: every field of the pattern must match (AND); a leaf is an array of alternatives (OR);
 * a nested object descends into the event; an event array matches if any element matches; `$or`
 * takes two or more sub-patterns at any level; `{}` matches every event.
 *
 * Known limits (deliberate, this is a test helper):
 * - it compares parsed JSON, so `300`, `300.0` and `3.0e2` are the same number here, whereas
 *   EventBridge compares numbers by their string form in exact matches;
 * - `cidr` understands IPv4 only (an IPv6 block is rejected as invalid);
 * - numeric operands are not range-checked against EventBridge's ±5.0e9 limit;
 * - a malformed `"$or"` (not an array of two or more objects) is rejected, where event-ruler would
 *   quietly read it as an ordinary field name.
 */

/** Thrown when a pattern is malformed (EventBridge would answer `InvalidEventPatternException`). */
export class InvalidPatternError extends Error {
  override readonly name = 'InvalidPatternError';

  constructor(
    message: string,
    /** Where in the pattern, e.g. `$.detail.state[0]`. */
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

type Leaf = string | number | boolean | null;
/** One alternative of a leaf, given every leaf value found at that field (none if absent). */
type Alternative = (values: readonly Leaf[]) => boolean;
type ValueTest = (value: Leaf) => boolean;
type JsonObject = Record<string, unknown>;

/** True if `event` matches the EventBridge `pattern`; throws {@link InvalidPatternError} for a malformed pattern. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new InvalidPatternError(`a pattern is a JSON object, got ${show(pattern)}`, '$');
  // Compiling first validates the whole pattern, including branches a match would short-circuit past.
  return compileObject(pattern, '$')(event);
}

function compileObject(pattern: JsonObject, path: string): (node: unknown) => boolean {
  const checks = Object.entries(pattern).map(([key, spec]): ((obj: JsonObject) => boolean) => {
    const at = `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(spec) || spec.length < 2 || !spec.every(isObject)) {
        throw new InvalidPatternError('"$or" takes an array of at least two pattern objects', at);
      }
      const branches = spec.map((branch, i) => compileObject(branch, `${at}[${i}]`));
      return (obj) => branches.some((branch) => branch(obj));
    }
    if (Array.isArray(spec)) {
      if (spec.length === 0) throw new InvalidPatternError('empty arrays are not allowed', at);
      const alternatives = spec.map((alt, i) => compileAlternative(alt, `${at}[${i}]`));
      return (obj) => {
        const values = leafValues(field(obj, key));
        return alternatives.some((alternative) => alternative(values));
      };
    }
    if (isObject(spec)) {
      const nested = compileObject(spec, at);
      return (obj) => nested(field(obj, key));
    }
    throw new InvalidPatternError(`a field takes an array of values or a nested object, got ${show(spec)}`, at);
  });
  // An array of objects matches if one element matches the whole sub-pattern; a missing or
  // non-object node is an object without fields (so only `exists: false` can match inside it).
  return (node) => {
    const objects = (Array.isArray(node) ? node.flat(Infinity) : [node]).filter(isObject);
    return (objects.length > 0 ? objects : [{}]).some((obj) => checks.every((check) => check(obj)));
  };
}

function compileAlternative(alt: unknown, at: string): Alternative {
  if (alt === null || typeof alt === 'string' || typeof alt === 'boolean' || isFiniteNumber(alt)) {
    return (values) => values.some((value) => value === alt);
  }
  if (!isObject(alt)) throw new InvalidPatternError(`not a value or an operator: ${show(alt)}`, at);
  const [operator, operand] = single(alt, at);
  if (operator === 'exists') {
    if (typeof operand !== 'boolean') throw new InvalidPatternError('"exists" takes true or false', at);
    return (values) => (values.length > 0) === operand;
  }
  if (operator === 'anything-but') {
    const excluded = compileAnythingBut(operand, at);
    return (values) => values.some((value) => !excluded(value));
  }
  const test = compileOperator(operator, operand, at);
  return (values) => values.some(test);
}

function compileOperator(operator: string, operand: unknown, at: string): ValueTest {
  switch (operator) {
    case 'prefix':
      return affix(operand, at, (value, part) => value.startsWith(part));
    case 'suffix':
      return affix(operand, at, (value, part) => value.endsWith(part));
    case 'equals-ignore-case': {
      const expected = fold(requireString(operand, operator, at));
      return (value) => typeof value === 'string' && fold(value) === expected;
    }
    case 'wildcard': {
      const regex = wildcardRegExp(requireString(operand, operator, at), at);
      return (value) => typeof value === 'string' && regex.test(value);
    }
    case 'numeric':
      return compileNumeric(operand, at);
    case 'cidr':
      return compileCidr(operand, at);
    default:
      throw new InvalidPatternError(`unknown operator "${operator}"`, at);
  }
}

/** `prefix`/`suffix`: a string, or `{ "equals-ignore-case": string }`. Strings only. */
function affix(operand: unknown, at: string, test: (value: string, part: string) => boolean): ValueTest {
  if (typeof operand === 'string') return (value) => typeof value === 'string' && test(value, operand);
  if (isObject(operand)) {
    const [key, inner] = single(operand, at);
    if (key === 'equals-ignore-case' && typeof inner === 'string') {
      return (value) => typeof value === 'string' && test(fold(value), fold(inner));
    }
  }
  throw new InvalidPatternError(`takes a string or { "equals-ignore-case": string }, got ${show(operand)}`, at);
}

/** Returns the test for what is EXCLUDED; the alternative matches any present value it rejects. */
function compileAnythingBut(operand: unknown, at: string): ValueTest {
  if (typeof operand === 'string' || isFiniteNumber(operand)) return (value) => value === operand;
  if (Array.isArray(operand)) {
    const kinds = new Set(operand.map((item) => (isFiniteNumber(item) ? 'number' : typeof item)));
    if (kinds.size !== 1 || !(kinds.has('string') || kinds.has('number'))) {
      throw new InvalidPatternError('"anything-but" lists contain only strings or only numbers', at);
    }
    const excluded = new Set<unknown>(operand);
    return (value) => excluded.has(value);
  }
  if (isObject(operand)) {
    const [key, inner] = single(operand, at);
    if ((key === 'prefix' || key === 'suffix') && typeof inner === 'string') return compileOperator(key, inner, at);
    if (key === 'equals-ignore-case' || key === 'wildcard') {
      const tests = (Array.isArray(inner) && inner.length > 0 ? inner : [inner]).map((item) =>
        compileOperator(key, item, at),
      );
      return (value) => tests.some((test) => test(value));
    }
  }
  throw new InvalidPatternError(`unsupported "anything-but" operand ${show(operand)}`, at);
}

const COMPARISONS: Record<string, (value: number, operand: number) => boolean> = {
  '=': (value, operand) => value === operand,
  '>': (value, operand) => value > operand,
  '>=': (value, operand) => value >= operand,
  '<': (value, operand) => value < operand,
  '<=': (value, operand) => value <= operand,
};

/** `numeric`: `["=", n]`, one bound, or one lower and one upper bound. Matches JSON numbers only. */
function compileNumeric(operand: unknown, at: string): ValueTest {
  const invalid = (why: string) => new InvalidPatternError(`"numeric" ${why}, got ${show(operand)}`, at);
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw invalid('takes [op, number] or [op, number, op, number]');
  }
  const conditions: [string, number][] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const [op, bound] = [operand[i], operand[i + 1]];
    if (typeof op !== 'string' || !Object.hasOwn(COMPARISONS, op)) throw invalid('operators are = > >= < <=');
    if (!isFiniteNumber(bound)) throw invalid('operands are numbers');
    conditions.push([op, bound]);
  }
  if (conditions.length === 2) {
    const lower = conditions.filter(([op]) => op.startsWith('>')).length;
    const upper = conditions.filter(([op]) => op.startsWith('<')).length;
    if (lower !== 1 || upper !== 1) throw invalid('takes one lower and one upper bound');
  }
  return (value) => isFiniteNumber(value) && conditions.every(([op, bound]) => COMPARISONS[op](value, bound));
}

/** `cidr`: an IPv4 block such as `10.0.0.0/24`; matches string IPv4 addresses inside it. */
function compileCidr(operand: unknown, at: string): ValueTest {
  const match = typeof operand === 'string' ? /^([\d.]+)\/(\d{1,2})$/.exec(operand) : null;
  const base = match ? ipv4(match[1]) : undefined;
  const bits = match ? Number(match[2]) : NaN;
  if (base === undefined || !(bits <= 32)) {
    throw new InvalidPatternError(`"cidr" takes an IPv4 block like "10.0.0.0/24", got ${show(operand)}`, at);
  }
  const size = 2 ** (32 - bits);
  const start = base - (base % size);
  return (value) => {
    const address = typeof value === 'string' ? ipv4(value) : undefined;
    return address !== undefined && address >= start && address < start + size;
  };
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((sum, part) => sum * 256 + Number(part), 0);
}

/** `*` is any run of characters (never two in a row); `\*` is a literal star and `\\` a backslash. */
function wildcardRegExp(pattern: string, at: string): RegExp {
  let source = '';
  let previousWasStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    const isStar = char === '*';
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') throw new InvalidPatternError('"\\" may only escape "*" or "\\"', at);
      source += escapeRegExp(next);
      i++;
    } else if (isStar) {
      if (previousWasStar) throw new InvalidPatternError('consecutive "*" are not allowed in "wildcard"', at);
      source += '.*';
    } else {
      source += escapeRegExp(char);
    }
    previousWasStar = isStar;
  }
  return new RegExp(`^${source}$`, 's');
}

/** A field's leaf values: arrays are flattened, objects (intermediate nodes) are not leaves. */
function leafValues(value: unknown): Leaf[] {
  return (Array.isArray(value) ? value.flat(Infinity) : [value]).filter(
    (item): item is Leaf => item === null || ['string', 'number', 'boolean'].includes(typeof item),
  );
}

function field(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function single(operator: JsonObject, at: string): [string, unknown] {
  const entries = Object.entries(operator);
  if (entries.length !== 1) throw new InvalidPatternError(`an operator object has exactly one key: ${show(operator)}`, at);
  return entries[0];
}

function requireString(operand: unknown, operator: string, at: string): string {
  if (typeof operand !== 'string') throw new InvalidPatternError(`"${operator}" takes a string, got ${show(operand)}`, at);
  return operand;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

const fold = (text: string): string => text.toLowerCase();
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const show = (value: unknown): string => JSON.stringify(value) ?? String(value);
