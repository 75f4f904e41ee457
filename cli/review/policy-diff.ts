/**
 * Policy changes as statements added, removed and changed, each flagged **widening** when it
 * grants more than before: a new Allow statement in an existing policy, a removed Deny, a
 * principal, action or resource that the old statement did not cover, a condition dropped or
 * loosened (more values admitted), or a Deny that applies to less.
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
  const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(v);
}

/** Items of `after` that no item of `before` covers. */
const uncovered = (before: readonly string[], after: readonly string[], ci = false) => after.filter((a) => !before.some((b) => globCovers(b, a, ci)));

const valuesOf = (v: unknown): string[] => asList(v as string | string[]).map((x) => String(x));

function conditionEntries(s: RawStatement): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [op, byKey] of Object.entries(s.Condition ?? {})) for (const [k, v] of Object.entries(byKey ?? {})) m.set(`${op} ${k}`, valuesOf(v));
  return m;
}

const list = (xs: readonly string[], max = 4) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);

/** One line describing a statement, readable without the JSON. */
export function describeStatement(s: RawStatement): string {
  const who = s.Principal !== undefined ? ` to ${list(principalsOf(s.Principal))}` : s.NotPrincipal !== undefined ? ` to everyone except ${list(principalsOf(s.NotPrincipal))}` : '';
  const what = s.Action !== undefined ? list(asList(s.Action)) : `every action except ${list(asList(s.NotAction))}`;
  const on = s.Resource !== undefined ? ` on ${list(asList(s.Resource), 3)}` : s.NotResource !== undefined ? ` on everything except ${list(asList(s.NotResource), 3)}` : '';
  const when = [...conditionEntries(s)].map(([k, v]) => `${k} = ${list(v, 3)}`);
  return `${s.Effect ?? '?'} ${what}${who}${on}${when.length ? ` when ${when.join(' and ')}` : ''}`;
}

/** Negated operators admit more when values are removed, positive ones when values are added. */
const negated = (opKey: string) => /^(ForAllValues:|ForAnyValue:)?(StringNot|ArnNot|NotIpAddress|NumericNotEquals|DateNotEquals)/.test(opKey);

function compareAllow(b: RawStatement, a: RawStatement): { details: string[]; widening: string[] } {
  const details: string[] = [];
  const widening: string[] = [];
  const note = (line: string, widens: boolean) => {
    details.push(line);
    if (widens) widening.push(line);
  };
  const bp = principalsOf(b.Principal);
  const ap = principalsOf(a.Principal);
  const morePrincipals = uncovered(bp, ap);
  if (morePrincipals.length) note(`principal widened: + ${list(morePrincipals)}`, true);
  const fewerPrincipals = uncovered(ap, bp);
  if (fewerPrincipals.length) note(`principal narrowed: - ${list(fewerPrincipals)}`, false);
  if (b.NotAction === undefined && a.NotAction !== undefined) note('action widened: now NotAction (every other action)', true);
  const moreActions = uncovered(asList(b.Action), asList(a.Action), true);
  if (moreActions.length) note(`action widened: + ${list(moreActions)}`, true);
  const fewerActions = uncovered(asList(a.Action), asList(b.Action), true);
  if (fewerActions.length) note(`action narrowed: - ${list(fewerActions)}`, false);
  if (b.NotResource === undefined && a.NotResource !== undefined) note('resource widened: now NotResource (every other resource)', true);
  const moreResources = uncovered(asList(b.Resource), asList(a.Resource));
  if (moreResources.length) note(`resource widened: + ${list(moreResources, 3)}`, true);
  const fewerResources = uncovered(asList(a.Resource), asList(b.Resource));
  if (fewerResources.length) note(`resource narrowed: - ${list(fewerResources, 3)}`, false);
  const bc = conditionEntries(b);
  const ac = conditionEntries(a);
  for (const [k, bv] of bc) {
    const av = ac.get(k);
    if (!av) {
      note(`condition dropped: ${k} (was ${list(bv, 3)})`, true);
      continue;
    }
    const added = av.filter((v) => !bv.includes(v));
    const removed = bv.filter((v) => !av.includes(v));
    if (added.length) note(`condition ${negated(k) ? 'tightened' : 'loosened'}: ${k} + ${list(added, 3)}`, !negated(k));
    if (removed.length) note(`condition ${negated(k) ? 'loosened' : 'tightened'}: ${k} - ${list(removed, 3)}`, negated(k));
  }
  for (const [k, av] of ac) if (!bc.has(k)) note(`condition added: ${k} = ${list(av, 3)}`, false);
  return { details, widening };
}

/**
 * A Deny that now covers less grants more: compare with the versions swapped, so what the old
 * Deny had beyond the new one shows up as "widened", and phrase it for a Deny.
 */
function compareDeny(b: RawStatement, a: RawStatement): { details: string[]; widening: string[] } {
  const swapped = compareAllow(a, b);
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

/** Statements by Sid; those without one by their position among them (`#1`, `#2`). */
function keyed(statements: readonly RawStatement[]): Map<string, RawStatement> {
  let n = 0;
  return new Map(statements.map((s) => [s.Sid ? s.Sid : `#${++n}`, s]));
}

/**
 * Statement changes between two versions of one policy. `before` undefined: a new policy (its
 * statements are listed as added, not flagged: there was nothing to widen).
 */
export function diffStatements(before: readonly RawStatement[] | undefined, after: readonly RawStatement[] | undefined): StatementChange[] {
  const isNewPolicy = before === undefined;
  const b = keyed(before ?? []);
  const a = keyed(after ?? []);
  const changes: StatementChange[] = [];
  for (const [sid, s] of a) {
    const old = b.get(sid);
    if (!old) {
      const widens = !isNewPolicy && s.Effect === 'Allow';
      changes.push({ sid, kind: 'added', summary: describeStatement(s), details: [], widening: widens ? ['new Allow statement'] : [] });
      continue;
    }
    if (JSON.stringify(old) === JSON.stringify(s)) continue;
    let result: { details: string[]; widening: string[] };
    if (old.Effect !== s.Effect) {
      result = s.Effect === 'Allow' ? { details: ['effect Deny -> Allow'], widening: ['effect Deny -> Allow'] } : { details: ['effect Allow -> Deny'], widening: [] };
    } else {
      result = s.Effect === 'Deny' ? compareDeny(old, s) : compareAllow(old, s);
    }
    changes.push({ sid, kind: 'changed', summary: describeStatement(s), details: result.details, widening: result.widening });
  }
  for (const [sid, s] of b) {
    if (a.has(sid)) continue;
    const widens = after !== undefined && s.Effect === 'Deny';
    changes.push({ sid, kind: 'removed', summary: describeStatement(s), details: [], widening: widens ? ['Deny statement removed'] : [] });
  }
  return changes;
}
