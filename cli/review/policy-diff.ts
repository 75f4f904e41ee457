/**
 * Policy changes as statements added, removed and changed, each flagged **widening** only when it
 * lets some request through that the base did not (or, for a Deny, stops denying one).
 *
 * A statement admits a request when its principal, action, resource and every condition match.
 * After ⊆ before, dimension by dimension, means no widening; each dimension is one small rule:
 * - principals (`principalRule`): who, from `Principal` together with the condition keys that
 *   name the caller (`aws:PrincipalOrgID`, `aws:PrincipalAccount`, `aws:PrincipalArn`). `*` with
 *   `aws:PrincipalOrgID` admits every principal of that organization; an explicit account
 *   principal is taken as a member of the organization the base admitted (the organization's
 *   member list is not visible offline: the detail line says so). So organization -> listed
 *   accounts narrows, listed accounts -> organization widens.
 * - actions and resources (`actionRule`, `resourceRule`): IAM wildcards; a new value the old
 *   ones do not cover widens (`sqs:*` covers `sqs:SendMessage`, `*` covers every ARN).
 * - conditions (`conditionRule`): every condition of the base must still be implied by one of the
 *   new statement's on the same key: dropping one widens; for positive operators a value the old
 *   values do not cover widens, for negated ones (`StringNotEquals`…) a value removed widens;
 *   `…Like` patterns cover `…Equals` values; `…IfExists` admits requests without the key.
 * - Deny statements are compared the other way round: a Deny that applies to less widens.
 * - A new or changed statement that another statement of the base already covers widens nothing.
 */
import { asList, principalsOf, type RawStatement } from '../../stacks/policy/found-policy';

export interface StatementChange {
  /** Sid, or `#n` for a statement without one. */
  readonly sid: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** One line: what the statement allows (after the change; before for a removed one). */
  readonly summary: string;
  /** For a changed statement: what differs, one line each. */
  readonly details: readonly string[];
  /** Why this grants more than before; empty when it does not. */
  readonly widening: readonly string[];
}

const lower = (s: string) => s.toLowerCase();

/** IAM-style wildcard match (`*` any run, `?` one character), case-insensitive when asked. */
export function globCovers(pattern: string, value: string, caseInsensitive = false): boolean {
  const p = caseInsensitive ? lower(pattern) : pattern;
  const v = caseInsensitive ? lower(value) : value;
  if (!p.includes('*') && !p.includes('?')) return p === v;
  // A wildcard in `value` (itself a pattern) is covered only by `*`: `?` matches one plain character.
  const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '[^*?]')}$`, 's');
  return re.test(v);
}

const list = (xs: readonly string[], max = 4) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);

/** Items of `after` that no item of `before` covers. */
const uncovered = (before: readonly string[], after: readonly string[], ci = false) => after.filter((a) => !before.some((b) => globCovers(b, a, ci)));

const valuesOf = (v: unknown): string[] => asList(v as string | string[]).map((x) => String(x));

interface Condition {
  readonly op: string;
  /** As written. */
  readonly key: string;
  /** Lowercased: condition keys are case-insensitive. */
  readonly k: string;
  readonly values: readonly string[];
}

function conditionsOf(s: RawStatement): Condition[] {
  const out: Condition[] = [];
  for (const [op, byKey] of Object.entries(s.Condition ?? {})) for (const [key, v] of Object.entries(byKey ?? {})) out.push({ op, key, k: lower(key), values: valuesOf(v) });
  return out;
}

/** One line describing a statement, readable without the JSON. */
export function describeStatement(s: RawStatement): string {
  const who = s.Principal !== undefined ? ` to ${list(principalsOf(s.Principal))}` : s.NotPrincipal !== undefined ? ` to everyone except ${list(principalsOf(s.NotPrincipal))}` : '';
  const what = s.Action !== undefined ? list(asList(s.Action)) : `every action except ${list(asList(s.NotAction))}`;
  const on = s.Resource !== undefined ? ` on ${list(asList(s.Resource), 3)}` : s.NotResource !== undefined ? ` on everything except ${list(asList(s.NotResource), 3)}` : '';
  const when = Object.entries(s.Condition ?? {}).flatMap(([op, byKey]) => Object.entries(byKey ?? {}).map(([k, v]) => `${op} ${k} = ${list(valuesOf(v), 3)}`));
  return `${s.Effect ?? '?'} ${what}${who}${on}${when.length ? ` when ${when.join(' and ')}` : ''}`;
}

/** What one rule found: lines for the reader, and the ones that widen. */
interface Finding {
  readonly details: string[];
  readonly widening: string[];
}
const finding = (): Finding => ({ details: [], widening: [] });
const note = (f: Finding, line: string, widens: boolean) => {
  f.details.push(line);
  if (widens) f.widening.push(line);
};

// ---------------------------------------------------------------------------------------------
// Operators

interface Operator {
  /** `ForAllValues` / `ForAnyValue` qualifier, or ''. */
  readonly set: string;
  /** The operator without qualifier and `IfExists`. */
  readonly base: string;
  readonly ifExists: boolean;
}
function parseOperator(op: string): Operator {
  const m = /^(?:(ForAllValues|ForAnyValue):)?(.*?)(IfExists)?$/.exec(op)!;
  return { set: m[1] ?? '', base: m[2]!, ifExists: !!m[3] };
}

const STRING_FAMILY = /^(String|Arn)(Equals|Like|EqualsIgnoreCase)$/;
const NEGATED_STRING_FAMILY = /^(String|Arn)Not(Equals|Like|EqualsIgnoreCase)$/;
const isNegated = (base: string) => NEGATED_STRING_FAMILY.test(base) || /^(NotIpAddress|NumericNotEquals|DateNotEquals)$/.test(base);
const caseInsensitive = (base: string) => base.endsWith('IgnoreCase');

/** Condition values: literal (`…Equals`) or wildcard patterns (`…Like`). */
interface Values {
  readonly values: readonly string[];
  readonly like: boolean;
}
const valuesFor = (base: string, values: readonly string[]): Values => ({ values, like: /Like$/.test(base) });
const hasWildcard = (v: string) => /[*?]/.test(v);
/** One value of `a` that some value of `b` admits (a pattern covers a value, or a narrower pattern). */
const valueCovered = (b: Values, v: string, aLike: boolean, ci: boolean) =>
  b.values.some((p) => (b.like ? globCovers(p, v, ci) : (!aLike || !hasWildcard(v)) && (ci ? lower(p) === lower(v) : p === v)));
/** Values of `a` that `b` does not admit. */
const notCovered = (b: Values, a: Values, ci: boolean) => a.values.filter((v) => !valueCovered(b, v, a.like, ci));
const valuesCovered = (b: Values, a: Values, ci: boolean) => notCovered(b, a, ci).length === 0;

function ipv4Range(cidr: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(cidr);
  if (!m) return undefined;
  const ip = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ip / size) * size;
  return [start, start + size - 1];
}
const cidrCovered = (outer: string, inner: string) => {
  const o = ipv4Range(outer);
  const i = ipv4Range(inner);
  return o && i ? o[0] <= i[0] && i[1] <= o[1] : outer === inner;
};

/**
 * Whether condition `a` (after) admits only requests `b` (before) admits, on the same key.
 * Unknown operator pairs are not assumed to imply each other (the change is then flagged).
 */
export function conditionImplies(a: Condition, b: Condition): boolean {
  const oa = parseOperator(a.op);
  const ob = parseOperator(b.op);
  if (oa.set !== ob.set) return false;
  if (oa.ifExists && !ob.ifExists) return false; // a also admits requests without the key
  // ForAllValues passes when every request value is among the values: more values admit more, as for a positive operator.
  if (STRING_FAMILY.test(oa.base) && STRING_FAMILY.test(ob.base)) {
    if (caseInsensitive(oa.base) && !caseInsensitive(ob.base)) return false;
    return valuesCovered(valuesFor(ob.base, b.values), valuesFor(oa.base, a.values), caseInsensitive(ob.base));
  }
  if (NEGATED_STRING_FAMILY.test(oa.base) && NEGATED_STRING_FAMILY.test(ob.base)) {
    if (caseInsensitive(ob.base) && !caseInsensitive(oa.base)) return false;
    // Admitted: everything outside the values; a admits less when it excludes at least what b excludes.
    return valuesCovered(valuesFor(oa.base, a.values), valuesFor(ob.base, b.values), caseInsensitive(oa.base));
  }
  if (oa.base === 'IpAddress' && ob.base === 'IpAddress') return a.values.every((v) => b.values.some((o) => cidrCovered(o, v)));
  if (oa.base === 'NotIpAddress' && ob.base === 'NotIpAddress') return b.values.every((v) => a.values.some((o) => cidrCovered(o, v)));
  const bound = /^(Numeric|Date)(LessThan|LessThanEquals|GreaterThan|GreaterThanEquals)$/;
  const ma = bound.exec(oa.base);
  const mb = bound.exec(ob.base);
  if (ma && mb && ma[1] === mb[1] && a.values.length === 1 && b.values.length === 1) {
    const num = (v: string) => (ma[1] === 'Date' ? Date.parse(v) : Number(v));
    const [x, y] = [num(a.values[0]!), num(b.values[0]!)];
    const less = (m: RegExpExecArray) => m[2]!.startsWith('Less');
    if (less(ma) !== less(mb)) return false;
    const strictA = !ma[2]!.endsWith('Equals');
    const strictB = !mb[2]!.endsWith('Equals');
    if (less(ma)) return x < y || (x === y && (strictA || !strictB));
    return x > y || (x === y && (strictA || !strictB));
  }
  // Equality-like operators (Bool, Null, NumericEquals, DateEquals, …): the same values.
  return oa.base === ob.base && JSON.stringify([...a.values].sort()) === JSON.stringify([...b.values].sort());
}

/**
 * Condition keys that scope a dimension rather than the request: who the caller is, and whose
 * resource it is. They are read by the principal and resource rules, not the condition rule.
 */
const SCOPE_KEYS = {
  principal: { org: 'aws:principalorgid', account: 'aws:principalaccount', arn: 'aws:principalarn' },
  resource: { org: 'aws:resourceorgid', account: 'aws:resourceaccount', arn: undefined },
} as const;
type Dimension = keyof typeof SCOPE_KEYS;
const scopeKeys = (d: Dimension): string[] => (Object.values(SCOPE_KEYS[d]) as (string | undefined)[]).filter((k): k is string => !!k);
const scopes = (d: Dimension) => (c: Condition) => {
  const op = parseOperator(c.op);
  return scopeKeys(d).includes(c.k) && op.set === '' && !op.ifExists && STRING_FAMILY.test(op.base);
};
const scopesAny = (c: Condition) => scopes('principal')(c) || scopes('resource')(c);

/**
 * Every base condition must be implied by one of the new statement's; new ones only narrow.
 * `which`: the conditions on other keys, or (for the principal and resource rules) their scoping keys.
 */
export function conditionRule(before: RawStatement, after: RawStatement, f: Finding = finding(), which: 'other' | Dimension = 'other'): Finding {
  const pick = (c: Condition) => (which === 'other' ? !scopesAny(c) : scopes(which)(c));
  const bc = conditionsOf(before).filter(pick);
  const ac = conditionsOf(after).filter(pick);
  for (const b of bc) {
    if (ac.some((a) => a.k === b.k && conditionImplies(a, b))) continue;
    const same = ac.find((a) => a.k === b.k && a.op === b.op);
    const others = ac.filter((a) => a.k === b.k);
    if (same) {
      const negated = isNegated(parseOperator(b.op).base);
      const base = parseOperator(b.op).base;
      const ci = caseInsensitive(base);
      const extra = negated ? notCovered(valuesFor(base, same.values), valuesFor(base, b.values), ci) : notCovered(valuesFor(base, b.values), valuesFor(base, same.values), ci);
      note(f, `condition loosened: ${b.op} ${b.key} ${negated ? '-' : '+'} ${list(extra.length ? extra : same.values, 3)}`, true);
    } else if (others.length) note(f, `condition loosened: ${b.key}: ${b.op} ${list(b.values, 3)} -> ${others.map((o) => `${o.op} ${list(o.values, 3)}`).join(', ')}`, true);
    else note(f, `condition dropped: ${b.op} ${b.key} (was ${list(b.values, 3)})`, true);
  }
  for (const a of ac) {
    if (bc.some((b) => b.k === a.k && conditionImplies(a, b) && conditionImplies(b, a))) continue;
    const prior = bc.find((b) => b.k === a.k && conditionImplies(a, b));
    if (prior && prior.op === a.op) {
      const base = parseOperator(a.op).base;
      const negated = isNegated(base);
      const ci = caseInsensitive(base);
      const delta = negated ? notCovered(valuesFor(base, prior.values), valuesFor(base, a.values), ci) : notCovered(valuesFor(base, a.values), valuesFor(base, prior.values), ci);
      note(f, `condition tightened: ${a.op} ${a.key} ${negated ? '+' : '-'} ${list(delta, 3)}`, false);
    } else if (prior) note(f, `condition tightened: ${a.key}: ${prior.op} ${list(prior.values, 3)} -> ${a.op} ${list(a.values, 3)}`, false);
    else if (!bc.some((b) => b.k === a.k)) note(f, `condition added: ${a.op} ${a.key} = ${list(a.values, 3)}`, false);
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Principals and resources: items, narrowed by their scoping condition keys

/** What a statement admits in one dimension: items, and the conditions that narrow them. */
interface Scope {
  /** Principals normalized: `*`, `account:<id>`, an IAM ARN, `service:<name>`…; resources: ARN patterns. */
  readonly items: readonly { readonly item: string; readonly shown: string }[];
  readonly orgs?: Values;
  readonly accounts?: Values;
  readonly arns?: Values;
}

function normalizePrincipal(kind: string, v: string): string {
  if (v === '*') return '*';
  if (kind === 'AWS') {
    const root = /^arn:aws[\w-]*:iam::(\d{12}):root$/.exec(v);
    if (root) return `account:${root[1]}`;
    if (/^\d{12}$/.test(v)) return `account:${v}`;
    return v;
  }
  return `${lower(kind)}:${v}`;
}

function principalItems(s: RawStatement): Scope['items'] | undefined {
  if (s.Principal === undefined) return undefined; // identity policy: the caller is the attached identity
  if (s.Principal === '*') return [{ item: '*', shown: '*' }];
  return Object.entries(s.Principal as Record<string, unknown>).flatMap(([kind, values]) => valuesOf(values).map((v) => ({ item: normalizePrincipal(kind, v), shown: v === '*' ? '*' : `${kind}:${v}` })));
}

function scopeOf(s: RawStatement, d: Dimension): Scope | undefined {
  const items = d === 'principal' ? principalItems(s) : s.Resource !== undefined ? valuesOf(s.Resource).map((v) => ({ item: v, shown: v })) : undefined;
  if (!items) return undefined;
  const scoped = conditionsOf(s).filter(scopes(d));
  // One operator per key in practice; a Like among them makes all of them patterns (a superset: safe for "before").
  const scope = (key: string | undefined): Values | undefined => {
    const cs = scoped.filter((c) => c.k === key);
    return cs.length ? { values: cs.flatMap((c) => c.values), like: cs.some((c) => /Like$/.test(parseOperator(c.op).base)) } : undefined;
  };
  const keys = SCOPE_KEYS[d];
  return { items, orgs: scope(keys.org), accounts: scope(keys.account), arns: scope(keys.arn) };
}

/** The account an item belongs to, when it names one: `account:<id>`, or the account field of an ARN. */
const accountOf = (item: string) => /^account:(\d{12})$/.exec(item)?.[1] ?? /^arn:aws[\w-]*:[^:]*:[^:]*:(\d{12}):/.exec(item)?.[1];
/** The ARN pattern an item stands for, for `aws:PrincipalArn` patterns. */
const arnOf = (item: string) => (item.startsWith('account:') ? `arn:aws:iam::${item.slice(8)}:*` : item.startsWith('arn:') ? item : undefined);

/** Whether a listed item of `scope` covers `item` (wildcards; an account covers its principals). */
const listedCovers = (scope: Scope, item: string) => {
  const account = accountOf(item);
  return scope.items.some(({ item: w }) => w === '*' || w === item || (w.startsWith('account:') && account === w.slice(8)) || (w.startsWith('arn:') && item.startsWith('arn:') && globCovers(w, item)));
};

/**
 * Whether `item` (restricted by `by`) is admitted by `scope`. `assumed`: an organization taken on
 * trust, for an item in a named account that the base admitted through its organization (the
 * organization's member list is not visible offline).
 */
function scopeCovers(scope: Scope, item: string, by: Scope): { covered: boolean; assumed?: string } {
  if (!listedCovers(scope, item)) return { covered: false };
  const account = accountOf(item);
  let assumed: string | undefined;
  if (scope.orgs && !(by.orgs && valuesCovered(scope.orgs, by.orgs, false))) {
    if (!account) return { covered: false };
    assumed = list(scope.orgs.values);
  }
  if (scope.accounts && !(by.accounts ? valuesCovered(scope.accounts, by.accounts, false) : account && valueCovered(scope.accounts, account, false, false))) return { covered: false };
  if (scope.arns) {
    const arn = arnOf(item);
    if (!(by.arns ? valuesCovered(scope.arns, by.arns, false) : arn && valueCovered(scope.arns, arn, item.startsWith('account:'), false))) return { covered: false };
  }
  return { covered: true, ...(assumed ? { assumed } : {}) };
}

const describeScope = (w: Scope) =>
  `${list(w.items.map((i) => i.shown), 3)}${w.orgs ? ` in organization ${list(w.orgs.values)}` : ''}${w.accounts ? ` of account ${list(w.accounts.values)}` : ''}${w.arns ? ` matching ${list(w.arns.values, 2)}` : ''}`;

/** Items (principals or resources) the new statement admits that the old did not, with their scoping keys. */
function scopeRule(d: Dimension, before: RawStatement, after: RawStatement, f: Finding): Finding {
  const b = scopeOf(before, d);
  const a = scopeOf(after, d);
  if (!b || !a) return f;
  const wider = a.items.filter((i) => !scopeCovers(b, i.item, a).covered);
  // Items the base listed too, now admitted under looser scoping conditions: name the condition.
  const unrestricted = wider.filter((i) => listedCovers(b, i.item));
  const added = wider.filter((i) => !unrestricted.includes(i));
  if (added.length) {
    const everyone = a.orgs && a.items.some((i) => i.item === '*') ? ` (every ${d} in organization ${list(a.orgs.values)})` : '';
    note(f, `${d} widened: + ${list(added.map((i) => i.shown), 3)}${everyone}`, true);
  }
  if (unrestricted.length) {
    const lines = conditionRule(before, after, finding(), d).widening;
    for (const line of lines.length ? lines : [`${d} widened: ${describeScope(b)} -> ${describeScope(a)}`]) note(f, line, true);
  }
  const assumed = [...new Set(a.items.map((i) => scopeCovers(b, i.item, a).assumed).filter((x): x is string => !!x))];
  const narrower = b.items.filter((i) => !scopeCovers(a, i.item, b).covered);
  if (narrower.length || assumed.length) {
    const was = describeScope(b);
    const now = describeScope(a);
    const trust = assumed.length ? ` (the named accounts taken as members of ${assumed.join(', ')}: membership is not visible offline)` : '';
    const plain = !a.orgs && !a.accounts && !a.arns && !b.orgs && !b.accounts && !b.arns;
    if (plain) note(f, `${d} narrowed: - ${list(narrower.map((i) => i.shown), 3)}`, false);
    else if (was !== now) note(f, `${d} narrowed: ${was} -> ${now}${trust}`, false);
  }
  return f;
}

/** Principals: who the statement admits (`Principal` with aws:PrincipalOrgID/Account/Arn). */
export function principalRule(before: RawStatement, after: RawStatement, f: Finding = finding()): Finding {
  const [b, a] = [principalItems(before), principalItems(after)];
  if (!!b !== !!a) {
    note(f, `principal changed: ${b ? list(b.map((i) => i.shown)) : 'the attached identity'} -> ${a ? list(a.map((i) => i.shown)) : 'the attached identity'}`, true);
    return f;
  }
  return scopeRule('principal', before, after, f);
}

// ---------------------------------------------------------------------------------------------
// Actions and resources

/** Action or NotAction / Resource or NotResource: what a statement names, and whether it is the complement. */
function named(s: RawStatement, field: 'Action' | 'Resource'): { values: string[]; not: boolean } | undefined {
  if (s[field] !== undefined) return { values: valuesOf(s[field]), not: false };
  const not = field === 'Action' ? s.NotAction : s.NotResource;
  return not !== undefined ? { values: valuesOf(not), not: true } : undefined;
}

function namesRule(what: 'action' | 'resource', ci: boolean, before: RawStatement, after: RawStatement, f: Finding): Finding {
  const field = what === 'action' ? 'Action' : 'Resource';
  const b = named(before, field);
  const a = named(after, field);
  if (!b || !a) {
    if (!b && a) note(f, `${what} narrowed: now limited to ${list(a.values, 3)}`, false);
    if (b && !a) note(f, `${what} widened: no longer limited (was ${list(b.values, 3)})`, true);
    return f;
  }
  if (!b.not && !a.not) {
    // Resources: with aws:ResourceOrgID / aws:ResourceAccount read as part of them.
    if (what === 'resource') return scopeRule('resource', before, after, f);
    const more = uncovered(b.values, a.values, ci);
    if (more.length) note(f, `${what} widened: + ${list(more, 3)}`, true);
    const fewer = uncovered(a.values, b.values, ci);
    if (fewer.length) note(f, `${what} narrowed: - ${list(fewer, 3)}`, false);
  } else if (b.not && a.not) {
    // Everything but the listed: fewer exclusions admit more.
    const spared = uncovered(a.values, b.values, ci);
    if (spared.length) note(f, `${what} widened: no longer excluded ${list(spared, 3)}`, true);
    const excluded = uncovered(b.values, a.values, ci);
    if (excluded.length) note(f, `${what} narrowed: now excluded ${list(excluded, 3)}`, false);
  } else if (a.not) note(f, `${what} widened: now Not${field} (every ${what} except ${list(a.values, 3)})`, true);
  else {
    // Not… -> a list: narrower when no listed value falls among the old exclusions.
    const excludedBefore = a.values.filter((v) => b.values.some((x) => globCovers(x, v, ci) || globCovers(v, x, ci)));
    if (excludedBefore.length) note(f, `${what} widened: + ${list(excludedBefore, 3)} (excluded before)`, true);
    else note(f, `${what} narrowed: ${list(a.values, 3)} instead of every ${what} except ${list(b.values, 3)}`, false);
  }
  return f;
}

export const actionRule = (before: RawStatement, after: RawStatement, f: Finding = finding()) => namesRule('action', true, before, after, f);
export const resourceRule = (before: RawStatement, after: RawStatement, f: Finding = finding()) => namesRule('resource', false, before, after, f);

/** `after` admits nothing `before` does not: every rule, in the order the report lists them. */
export function compareAllow(before: RawStatement, after: RawStatement): Finding {
  const f = finding();
  principalRule(before, after, f);
  actionRule(before, after, f);
  resourceRule(before, after, f);
  conditionRule(before, after, f);
  return f;
}

/**
 * A Deny that now applies to less grants more: compare with the versions swapped, so what the old
 * Deny covered beyond the new one shows up as widened, and phrase it for a Deny.
 */
export function compareDeny(before: RawStatement, after: RawStatement): Finding {
  const swapped = compareAllow(after, before);
  const phrase = (line: string) =>
    line
      .replace(/^(principal|action|resource) widened: \+ /, 'no longer denied $1: ')
      .replace(/^(principal|action|resource) narrowed: - /, 'now also denied $1: ')
      .replace(/^(action|resource) widened: now Not\w+.*$/, 'deny now names what it denies instead of what it spares')
      .replace(/^condition dropped: /, 'deny condition added: ')
      .replace(/^condition added: /, 'deny condition dropped: ')
      .replace(/^condition loosened: /, 'deny condition narrowed: ')
      .replace(/^condition tightened: /, 'deny condition widened: ');
  return { details: swapped.details.map(phrase), widening: swapped.widening.map(phrase) };
}

/** Whether `covering` admits (Allow) or denies (Deny) every request `s` does (the same set algebra for both). */
const covers = (covering: RawStatement, s: RawStatement) => covering.Effect === s.Effect && compareAllow(covering, s).widening.length === 0;

/** Statements by Sid; those without one by their position among them (`#1`, `#2`). */
function keyed(statements: readonly RawStatement[]): Map<string, RawStatement> {
  let n = 0;
  return new Map(statements.map((s) => [s.Sid ? s.Sid : `#${++n}`, s]));
}

/**
 * Statement changes between two versions of one policy. `before` undefined: a new policy (its
 * statements are listed as added, not flagged: there was nothing to widen). A statement another
 * statement of the other version covers (an Allow the base already granted, a Deny the head
 * still makes) widens nothing, whatever its Sid.
 */
export function diffPolicies(before: readonly RawStatement[] | undefined, after: readonly RawStatement[] | undefined): StatementChange[] {
  const isNewPolicy = before === undefined;
  const b = keyed(before ?? []);
  const a = keyed(after ?? []);
  const coveredBy = (s: RawStatement, among: Map<string, RawStatement>) => [...among].find(([, o]) => covers(o, s))?.[0];
  const changes: StatementChange[] = [];
  for (const [sid, s] of a) {
    const old = b.get(sid);
    if (!old) {
      const cover = s.Effect === 'Allow' && !isNewPolicy ? coveredBy(s, b) : undefined;
      const widens = !isNewPolicy && s.Effect === 'Allow' && !cover;
      const details = cover ? [`the base already grants this (statement ${cover})`, ...compareAllow(b.get(cover)!, s).details] : [];
      changes.push({ sid, kind: 'added', summary: describeStatement(s), details, widening: widens ? ['new Allow statement'] : [] });
      continue;
    }
    if (JSON.stringify(old) === JSON.stringify(s)) continue;
    let result: Finding;
    if (old.Effect !== s.Effect) {
      result = s.Effect === 'Allow' ? { details: ['effect Deny -> Allow'], widening: ['effect Deny -> Allow'] } : { details: ['effect Allow -> Deny'], widening: [] };
    } else {
      result = s.Effect === 'Deny' ? compareDeny(old, s) : compareAllow(old, s);
    }
    if (result.widening.length && s.Effect === 'Allow') {
      const cover = coveredBy(s, b);
      if (cover) result = { details: [...result.details, `the base already grants this (statement ${cover})`], widening: [] };
    }
    changes.push({ sid, kind: 'changed', summary: describeStatement(s), details: result.details, widening: result.widening });
  }
  for (const [sid, s] of b) {
    if (a.has(sid)) continue;
    const still = s.Effect === 'Deny' && after !== undefined ? coveredBy(s, a) : undefined;
    const widens = after !== undefined && s.Effect === 'Deny' && !still;
    changes.push({ sid, kind: 'removed', summary: describeStatement(s), details: still ? [`still denied (statement ${still})`] : [], widening: widens ? ['Deny statement removed'] : [] });
  }
  return changes;
}
