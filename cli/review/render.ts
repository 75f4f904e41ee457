/**
 * The review report: Markdown for people (the PR comment) and JSON for machines (which stacks to
 * plan). Both come from one `Report`.
 */
import type { Suppression } from '../../stacks/guardrails';
import { planBatches } from './batches';
import { POLICY_PLACEHOLDER, type OutputDiff, type StackDiff, type Widening } from './diff';

export interface StackCounts {
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
  readonly replaced: number;
  readonly widenings: number;
  readonly policyStatementsChanged: number;
}

export interface Report {
  readonly base: { readonly ref: string; readonly commit: string } | null;
  readonly stackCount: number;
  readonly addedStacks: readonly string[];
  readonly removedStacks: readonly string[];
  readonly changedStacks: readonly string[];
  readonly unchangedStacks: number;
  readonly stacks: Readonly<Record<string, { readonly status: string; readonly verdict: string; readonly counts: StackCounts; readonly widenings: readonly Widening[]; readonly diff?: StackDiff; readonly resourceTypes: Readonly<Record<string, number>> }>>;
  readonly risk: {
    readonly widenings: readonly Widening[];
    readonly deletions: readonly { readonly stack: string; readonly address: string }[];
    readonly replacements: readonly { readonly stack: string; readonly address: string; readonly attributes: readonly string[] }[];
  };
  readonly suppressions: readonly Suppression[];
}

export const countsOf = (d: StackDiff): StackCounts => ({
  added: d.added.length,
  removed: d.removed.length,
  changed: d.changed.length,
  replaced: d.changed.filter((c) => c.replacedFor.length > 0).length,
  widenings: d.widenings.length,
  policyStatementsChanged: d.policyChanges.reduce((n, p) => n + p.statements.length, 0),
});

const total = (types: Readonly<Record<string, number>>) => Object.values(types).reduce((a, b) => a + b, 0);

/** One line per stack, the most serious finding first. */
export function verdict(d: StackDiff): string {
  const c = countsOf(d);
  if (d.status === 'added') return `new stack: creates ${total(d.resourceTypes)} resources`;
  if (d.status === 'removed') return `REMOVED: destroys ${total(d.resourceTypes)} resources`;
  const parts: string[] = [];
  if (c.widenings) parts.push(`WIDENS ACCESS (${c.widenings} statement${c.widenings === 1 ? '' : 's'})`);
  if (c.removed) parts.push(`DESTROYS ${c.removed}`);
  if (c.replaced) parts.push(`REPLACES ${c.replaced}`);
  if (c.added) parts.push(`creates ${c.added}`);
  if (c.changed - c.replaced) parts.push(`updates ${c.changed - c.replaced} in place`);
  if (d.otherChanges.length) parts.push(`changes ${[...new Set(d.otherChanges.map((c) => c.attribute.split('.')[0]))].join(', ')}`);
  return parts.length ? parts.join('; ') : 'no resource change (metadata only)';
}

export function buildReport(diff: OutputDiff, base: Report['base'], stackCount: number): Report {
  const stacks: Record<string, Report['stacks'][string]> = {};
  for (const d of diff.stacks) stacks[d.id] = { status: d.status, verdict: verdict(d), counts: countsOf(d), widenings: d.widenings, diff: d, resourceTypes: d.resourceTypes };
  return {
    base,
    stackCount,
    addedStacks: diff.addedStacks,
    removedStacks: diff.removedStacks,
    changedStacks: diff.changedStacks,
    unchangedStacks: diff.unchangedStacks,
    stacks,
    risk: {
      widenings: diff.stacks.flatMap((d) => d.widenings),
      deletions: diff.stacks.flatMap((d) => d.removed.map((r) => ({ stack: d.id, address: r.address }))),
      replacements: diff.stacks.flatMap((d) => d.changed.filter((c) => c.replacedFor.length).map((c) => ({ stack: d.id, address: c.address, attributes: c.replacedFor }))),
    },
    suppressions: diff.suppressions,
  };
}

/** The hidden marker the PR workflow finds its comment by. */
export const COMMENT_MARKER = '<!-- ebs-event-hub-review -->';

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/**
 * A stack's text with its own id and account id replaced by placeholders: the same change in many
 * member stacks (a construct change reaches every account) then reads once.
 */
export function normalizeFor(stackId: string, text: string): string {
  const account = /\d{12}/.exec(stackId)?.[0];
  const t = text.split(stackId).join('<stack>');
  return account ? t.split(account).join('<account>') : t;
}

/** Items grouped by key, groups in first-seen order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return [...groups.values()];
}

const stackList = (ids: readonly string[], max = 8) => (ids.length <= max ? ids.map(code).join(', ') : `${ids.slice(0, max).map(code).join(', ')} and ${ids.length - max} more`);

/** Lines about one stack each, grouped: one line for many stacks when only their account differs. */
function groupedLines<T extends { readonly stack: string }>(items: readonly T[], line: (item: T) => string): string[] {
  return groupBy(items, (i) => normalizeFor(i.stack, line(i))).map((group) => {
    const first = group[0]!;
    if (group.length === 1) return `  - ${code(first.stack)} ${line(first)}`;
    return `  - in ${group.length} stacks (${stackList(group.map((g) => g.stack))}): ${normalizeFor(first.stack, line(first))}`;
  });
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [COMMENT_MARKER, '# Review'];
  if (r.base) {
    out.push(`Compared with ${code(r.base.ref)} (${r.base.commit.slice(0, 12)}): ${r.stackCount} stacks; ${r.addedStacks.length} added, ${r.removedStacks.length} removed, ${r.changedStacks.length} changed, ${r.unchangedStacks} unchanged.`, '');
    out.push('## Risk summary', '');
    const { widenings, deletions, replacements } = r.risk;
    if (!widenings.length && !deletions.length && !replacements.length && !r.removedStacks.length) out.push('No widening, no deletion, no replacement.');
    if (widenings.length) {
      out.push(`- **${widenings.length} widening${widenings.length === 1 ? '' : 's'}** (access granted beyond what the base grants):`);
      out.push(...groupedLines(widenings, (w) => `${code(w.address)} ${w.policy}, statement ${code(w.sid)}: ${w.reasons.join('; ')}`));
    }
    if (r.removedStacks.length) out.push(`- **${r.removedStacks.length} stack${r.removedStacks.length === 1 ? '' : 's'} removed**: ${stackList(r.removedStacks, 50)} (their resources are destroyed when the stack is destroyed)`);
    if (deletions.length) {
      out.push(`- **${deletions.length} resource${deletions.length === 1 ? '' : 's'} destroyed**:`);
      const lines = groupedLines(deletions, (d) => code(d.address));
      out.push(...lines.slice(0, 50));
      if (lines.length > 50) out.push(`  - and ${lines.length - 50} more (review.json)`);
    }
    if (replacements.length) {
      out.push(`- **${replacements.length} replaced** (destroyed, then created, because the provider cannot update the argument):`);
      out.push(...groupedLines(replacements, (p) => `${code(p.address)}: ${p.attributes.join(', ')}`));
    }
    // One section per distinct change: stacks whose change differs only by their own account id share it.
    const sections = [
      ...r.addedStacks.map((id) => ({ id, body: renderAdded(r.stacks[id]!.diff!) })),
      ...r.removedStacks.map((id) => ({ id, body: [] as string[] })),
      ...r.changedStacks.map((id) => ({ id, body: renderStack(r.stacks[id]!.diff!) })),
    ];
    const groups = groupBy(sections, (sec) => `${r.stacks[sec.id]!.status}\n${normalizeFor(sec.id, `${r.stacks[sec.id]!.verdict}\n${sec.body.join('\n')}`)}`);
    out.push('', '## Stacks', '');
    if (!groups.length) out.push('No stack changes.');
    else {
      out.push('| stack | verdict |', '|---|---|');
      for (const g of groups) out.push(`| ${stackList(g.map((sec) => sec.id))} | ${r.stacks[g[0]!.id]!.verdict} |`);
    }
    for (const g of groups) {
      const first = g[0]!;
      if (!first.body.length) continue;
      const status = r.stacks[first.id]!.status;
      if (g.length === 1) out.push('', `### ${code(first.id)}${status === 'added' ? ' (new)' : ''}`, '', r.stacks[first.id]!.verdict, ...first.body);
      else {
        out.push('', `### ${g.length} stacks${status === 'added' ? ' (new)' : ''}, the same change in each`, '', `${stackList(g.map((sec) => sec.id), 50)}. Shown for ${code(first.id)}; the others differ only by their own account id.`, '', r.stacks[first.id]!.verdict, ...first.body);
      }
    }
  } else {
    const ids = Object.keys(r.stacks);
    out.push(`The working tree synthesizes ${ids.length} stacks (no --base: nothing compared).`, '', '| stack | resources | by type |', '|---|---:|---|');
    for (const id of ids) out.push(`| ${code(id)} | ${total(r.stacks[id]!.resourceTypes)} | ${Object.entries(r.stacks[id]!.resourceTypes).map(([t, n]) => `${t} ${n}`).join(', ')} |`);
  }
  out.push('', '## Guardrail suppressions', '');
  if (!r.suppressions.length) out.push('None.');
  else {
    out.push('| stack | resource | rule | reason |', '|---|---|---|---|');
    for (const s of r.suppressions) out.push(`| ${code(s.stack)} | ${code(s.address)} | ${code(s.ruleId)} | ${s.reason.replace(/\|/g, '\\|')} |`);
  }
  return `${out.join('\n')}\n`;
}

function renderAdded(d: StackDiff): string[] {
  return ['', typesLine(d.resourceTypes), ...renderPolicies(d, 'new policies')];
}

const typesLine = (types: Readonly<Record<string, number>>) => `Resources: ${Object.entries(types).map(([t, n]) => `${t} ${n}`).join(', ')}.`;

function renderPolicies(d: StackDiff, title: string): string[] {
  if (!d.policyChanges.length) return [];
  const out = ['', `**${title}**`];
  for (const p of d.policyChanges) {
    out.push(`- ${code(p.address)} ${p.label}${p.newPolicy ? ' (new)' : ''}:`);
    for (const s of p.statements) {
      const flag = s.widening.length ? ' **WIDENING**' : '';
      out.push(`  - ${s.kind} ${code(s.sid)}${flag}: ${s.summary}`);
      for (const line of s.details) out.push(`    - ${line}`);
    }
  }
  return out;
}

/** A changed stack's detail (its heading and verdict line are the caller's). */
function renderStack(d: StackDiff): string[] {
  const out: string[] = [];
  if (d.added.length) out.push('', '**added**', ...d.added.map((r) => `- ${code(r.address)} (${r.path})`));
  if (d.removed.length) out.push('', '**destroyed**', ...d.removed.map((r) => `- ${code(r.address)} (${r.path})`));
  if (d.changed.length) {
    out.push('', '**changed**');
    for (const c of d.changed) {
      out.push(`- ${code(c.address)}${c.replacedFor.length ? ` **replaced** (forces replacement: ${c.replacedFor.join(', ')})` : ''}`);
      for (const a of c.attributes) {
        out.push(a.after === POLICY_PLACEHOLDER ? `  - ${code(a.attribute)}: statements changed (policy changes below)` : `  - ${code(a.attribute)}: ${code(a.before)} -> ${code(a.after)}`);
      }
    }
  }
  if (d.otherChanges.length) out.push('', '**other blocks changed**', ...d.otherChanges.map((a) => `- ${code(a.attribute)}: ${code(a.before)} -> ${code(a.after)}`));
  out.push(...renderPolicies(d, 'policy changes'));
  return out;
}

/** review.json: the report without the per-resource detail of unchanged parts. */
export function renderJson(r: Report): string {
  const stacks = Object.fromEntries(
    Object.entries(r.stacks).map(([id, s]) => [
      id,
      {
        status: s.status,
        verdict: s.verdict,
        counts: s.counts,
        resourceTypes: s.resourceTypes,
        widenings: s.widenings,
        ...(s.diff && s.status !== 'unchanged'
          ? { resources: { added: s.diff.added, removed: s.diff.removed, changed: s.diff.changed }, policyChanges: s.diff.policyChanges, otherChanges: s.diff.otherChanges }
          : {}),
      },
    ]),
  );
  return `${JSON.stringify(
    {
      base: r.base,
      stackCount: r.stackCount,
      addedStacks: r.addedStacks,
      removedStacks: r.removedStacks,
      changedStacks: r.changedStacks,
      unchangedStacks: r.unchangedStacks,
      // For the PR workflow's plan matrix: new and changed stacks, in batches.
      planBatches: planBatches([...r.addedStacks, ...r.changedStacks]),
      risk: r.risk,
      stacks,
      suppressions: r.suppressions,
    },
    null,
    2,
  )}\n`;
}
