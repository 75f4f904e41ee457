/**
 * The review report: Markdown for people (the PR comment) and JSON for machines (which stacks to
 * plan). Both come from one `Report`.
 */
import type { Suppression } from '../../stacks/guardrails';
import { planBatches } from './batches';
import { POLICY_PLACEHOLDER, type AttributeChange, type OutputDiff, type StackDiff, type Widening } from './diff';
import { DESTROY_CONSEQUENCES } from './force-new';
import type { ReviewJson } from './review-json';

export interface StackCounts {
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
  readonly replaced: number;
  readonly widenings: number;
  readonly policyStatementsChanged: number;
}

export interface Replacement {
  readonly stack: string;
  readonly address: string;
  readonly attributes: readonly string[];
  readonly loses?: string;
  readonly dataLoss: boolean;
}

export interface PossibleReplacement {
  readonly stack: string;
  readonly address: string;
  readonly attributes: readonly { readonly attribute: string; readonly condition: string }[];
  readonly loses?: string;
  readonly dataLoss: boolean;
}

/** A stack taken out of the config: Terraform does not destroy what is no longer synthesized. */
export interface LeftBehind {
  readonly stack: string;
  readonly resources: number;
  readonly resourceTypes: Readonly<Record<string, number>>;
  readonly wouldLose: readonly string[];
  readonly command: string;
}

export interface Report {
  readonly base: { readonly ref: string; readonly commit: string } | null;
  readonly stackCount: number;
  readonly addedStacks: readonly string[];
  readonly removedStacks: readonly string[];
  readonly changedStacks: readonly string[];
  readonly unchangedStacks: readonly string[];
  readonly stacks: Readonly<Record<string, { readonly status: 'added' | 'removed' | 'changed' | 'current'; readonly verdict: string; readonly counts: StackCounts; readonly widenings: readonly Widening[]; readonly diff?: StackDiff; readonly resourceTypes: Readonly<Record<string, number>> }>>;
  readonly replacements: readonly Replacement[];
  readonly possibleReplacements: readonly PossibleReplacement[];
  readonly leftBehind: readonly LeftBehind[];
  readonly deletions: readonly { readonly stack: string; readonly address: string; readonly loses?: string; readonly dataLoss?: boolean }[];
  readonly widenings: readonly Widening[];
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

/** The command that destroys a stack no longer in the config (README "Removing an account"). */
export const destroyCommand = (stack: string) => `npm run rollout -- --destroy ${stack}`;

/** What destroying resources of these types would lose, one phrase per type. */
const losses = (types: Readonly<Record<string, number>>) => Object.keys(types).flatMap((t) => (DESTROY_CONSEQUENCES[t]?.dataLoss ? [DESTROY_CONSEQUENCES[t]!.words] : []));

/** One line per stack, the most serious finding first. */
export function verdict(d: StackDiff): string {
  const c = countsOf(d);
  if (d.status === 'added') return `new stack: creates ${total(d.resourceTypes)} resources`;
  if (d.status === 'removed') return `REMOVED from the config: its ${total(d.resourceTypes)} resources are left behind, not destroyed (\`${destroyCommand(d.id)}\` destroys them)`;
  const parts: string[] = [];
  const losing = (n: number) => (n ? ` (${n} LOSING DATA)` : '');
  if (c.replaced) parts.push(`REPLACES ${c.replaced}${losing(d.changed.filter((r) => r.replacedFor.length && r.dataLoss).length)}`);
  const maybe = d.changed.filter((r) => !r.replacedFor.length && r.mayBeReplacedFor.length).length;
  if (maybe) parts.push(`may replace ${maybe}`);
  if (c.removed) parts.push(`DESTROYS ${c.removed}${losing(d.removed.filter((r) => r.dataLoss).length)}`);
  if (c.widenings) parts.push(`WIDENS ACCESS (${c.widenings} statement${c.widenings === 1 ? '' : 's'})`);
  if (c.added) parts.push(`creates ${c.added}`);
  if (c.changed - c.replaced - maybe) parts.push(`updates ${c.changed - c.replaced - maybe} in place`);
  const unknown = d.changed.filter((r) => r.unknownType).length;
  if (unknown) parts.push(`${unknown} of a type the review cannot judge (see the plan)`);
  if (d.otherChanges.length) parts.push(`changes ${[...new Set(d.otherChanges.map((c) => c.attribute.split('.')[0]))].join(', ')}`);
  return parts.length ? parts.join('; ') : 'no resource change (metadata only)';
}

export function buildReport(diff: OutputDiff, base: Report['base'], stackCount: number): Report {
  const stacks: Record<string, Report['stacks'][string]> = {};
  for (const d of diff.stacks) stacks[d.id] = { status: d.status, verdict: verdict(d), counts: countsOf(d), widenings: d.widenings, diff: d, resourceTypes: d.resourceTypes };
  const changed = diff.stacks.filter((d) => d.status === 'changed');
  return {
    base,
    stackCount,
    addedStacks: diff.addedStacks,
    removedStacks: diff.removedStacks,
    changedStacks: diff.changedStacks,
    unchangedStacks: diff.unchangedStacks,
    stacks,
    replacements: changed.flatMap((d) =>
      d.changed.filter((c) => c.replacedFor.length).map((c) => ({ stack: d.id, address: c.address, attributes: c.replacedFor, ...(c.loses ? { loses: c.loses } : {}), dataLoss: !!c.dataLoss })),
    ),
    possibleReplacements: changed.flatMap((d) =>
      d.changed
        .filter((c) => !c.replacedFor.length && c.mayBeReplacedFor.length)
        .map((c) => ({ stack: d.id, address: c.address, attributes: c.mayBeReplacedFor, ...(c.loses ? { loses: c.loses } : {}), dataLoss: !!c.dataLoss })),
    ),
    leftBehind: diff.stacks
      .filter((d) => d.status === 'removed')
      .map((d) => ({ stack: d.id, resources: total(d.resourceTypes), resourceTypes: d.resourceTypes, wouldLose: losses(d.resourceTypes), command: destroyCommand(d.id) })),
    deletions: changed.flatMap((d) => d.removed.map((r) => ({ stack: d.id, address: r.address, ...(r.loses ? { loses: r.loses, dataLoss: !!r.dataLoss } : {}) }))),
    widenings: diff.stacks.flatMap((d) => d.widenings),
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

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const lossText = (x: { readonly loses?: string; readonly dataLoss?: boolean }) => (x.loses ? (x.dataLoss ? ` **LOSES DATA: ${x.loses}**` : ` (${x.loses})`) : '');

/** The risk summary: replacements and removed stacks first, then the rest. */
function riskSummary(r: Report): string[] {
  const out: string[] = [];
  const { replacements, possibleReplacements, leftBehind, deletions, widenings } = r;
  if (!replacements.length && !possibleReplacements.length && !leftBehind.length && !deletions.length && !widenings.length) return ['No replacement, no removed stack, no deletion, no widening.'];
  if (replacements.length) {
    const lossy = replacements.filter((p) => p.dataLoss).length;
    out.push(`- **${plural(replacements.length, 'resource')} REPLACED** (destroyed, then created: the provider cannot change these arguments in place)${lossy ? `, **${lossy} losing data**` : ''}:`);
    // Data-losing replacements first.
    const ordered = [...replacements.filter((p) => p.dataLoss), ...replacements.filter((p) => !p.dataLoss)];
    out.push(...capped(groupedLines(ordered, (p) => `${code(p.address)}, for ${p.attributes.join('; ')}${lossText(p)}`)));
  }
  for (const l of leftBehind) {
    out.push(
      `- **stack ${code(l.stack)} REMOVED from the config**: its ${plural(l.resources, 'resource')} (base synth) are **left behind** in the account: Terraform does not destroy a stack that is no longer synthesized. ` +
        `To destroy them, run \`${l.command}\`${l.wouldLose.length ? ` (that destroys ${l.wouldLose.join('; ')})` : ''}.`,
    );
  }
  if (possibleReplacements.length) {
    out.push(`- **${plural(possibleReplacements.length, 'resource')} may be replaced** (only if the provider's condition holds; the plan says):`);
    out.push(...capped(groupedLines(possibleReplacements, (p) => `${code(p.address)}, for ${p.attributes.map((a) => `${a.attribute} (when: ${a.condition})`).join('; ')}${lossText(p)}`)));
  }
  if (deletions.length) {
    out.push(`- **${plural(deletions.length, 'resource')} destroyed**:`);
    out.push(...capped(groupedLines(deletions, (d) => `${code(d.address)}${lossText(d)}`)));
  }
  if (widenings.length) {
    out.push(`- **${plural(widenings.length, 'widening')}** (access granted beyond what the base grants):`);
    out.push(...capped(groupedLines(widenings, (w) => `${code(w.address)} ${w.policy}, statement ${code(w.sid)}: ${w.reasons.join('; ')}`)));
  }
  return out;
}

const capped = (lines: readonly string[], max = 50) => (lines.length > max ? [...lines.slice(0, max), `  - and ${lines.length - max} more (review.json)`] : [...lines]);

export function renderMarkdown(r: Report): string {
  const out: string[] = [COMMENT_MARKER, '# Review'];
  if (r.base) {
    out.push(`Compared with ${code(r.base.ref)} (${r.base.commit.slice(0, 12)}): ${r.stackCount} stacks; ${r.addedStacks.length} added, ${r.removedStacks.length} removed, ${r.changedStacks.length} changed, ${r.unchangedStacks.length} unchanged.`, '');
    out.push('## Risk summary', '', ...riskSummary(r));
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
      // A shared row shows the verdict with the stack's own id and account as placeholders.
      for (const g of groups) out.push(`| ${stackList(g.map((sec) => sec.id))} | ${(g.length === 1 ? r.stacks[g[0]!.id]!.verdict : normalizeFor(g[0]!.id, r.stacks[g[0]!.id]!.verdict)).replace(/\|/g, '\\|')} |`);
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

/** One changed attribute: before -> after, what changed inside a JSON document, or why its value changes. */
function attributeLines(a: AttributeChange): string[] {
  if (a.after === POLICY_PLACEHOLDER) return [`  - ${code(a.attribute)}: statements changed (policy changes below)`];
  if (a.via) return [`  - ${code(a.attribute)}: ${code(a.after)}, a new value at plan time: ${a.via}`];
  const field = (c: { path: string; before?: string; after?: string }, indent: string) =>
    `${indent}- ${code(c.path)}: ${c.before === undefined ? `added ${code(c.after!)}` : c.after === undefined ? `removed (was ${code(c.before)})` : `${code(c.before)} -> ${code(c.after)}`}`;
  if (a.stateMachine) {
    const sm = a.stateMachine;
    const out = [`  - ${code(a.attribute)}: state machine definition changed`];
    if (sm.added.length) out.push(`    - states added: ${sm.added.map(code).join(', ')}`);
    if (sm.removed.length) out.push(`    - states removed: ${sm.removed.map(code).join(', ')}`);
    for (const c of sm.changed) out.push(`    - state ${code(c.state)} changed:`, ...c.fields.map((f) => field(f, '      ')));
    out.push(...sm.top.map((f) => field(f, '    ')));
    return out;
  }
  if (a.json) return [`  - ${code(a.attribute)}: JSON document changed`, ...a.json.map((f) => field(f, '    '))];
  return [`  - ${code(a.attribute)}: ${code(a.before)} -> ${code(a.after)}`];
}

/** A changed stack's detail (its heading and verdict line are the caller's). */
function renderStack(d: StackDiff): string[] {
  const out: string[] = [];
  if (d.added.length) out.push('', '**added**', ...d.added.map((r) => `- ${code(r.address)} (${r.path})`));
  if (d.removed.length) out.push('', '**destroyed**', ...d.removed.map((r) => `- ${code(r.address)} (${r.path})${lossText(r)}`));
  if (d.changed.length) {
    out.push('', '**changed**');
    for (const c of d.changed) {
      const how = c.replacedFor.length
        ? ` **REPLACED** (forces replacement: ${c.replacedFor.join('; ')})${lossText(c)}`
        : c.mayBeReplacedFor.length
          ? ` **may be replaced** (${c.mayBeReplacedFor.map((m) => `${m.attribute}, when: ${m.condition}`).join('; ')})${lossText(c)}`
          : c.unknownType
            ? ' (no ForceNew table entry for this type: the plan says whether it is replaced)'
            : ' (updated in place)';
      out.push(`- ${code(c.address)}${how}`);
      for (const a of c.attributes) out.push(...attributeLines(a));
    }
  }
  if (d.otherChanges.length) out.push('', '**other blocks changed**', ...d.otherChanges.map((a) => `- ${code(a.attribute)}: ${code(a.before)} -> ${code(a.after)}`));
  out.push(...renderPolicies(d, 'policy changes'));
  return out;
}

/** review.json (its shape: review-json.ts, documented in the README). */
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
        ...(s.diff ? { resources: { added: s.diff.added, removed: s.diff.removed, changed: s.diff.changed }, policyChanges: s.diff.policyChanges, otherChanges: s.diff.otherChanges } : {}),
      },
    ]),
  );
  const json: ReviewJson = {
    base: r.base,
    stackCount: r.stackCount,
    addedStacks: [...r.addedStacks],
    removedStacks: [...r.removedStacks],
    changedStacks: [...r.changedStacks],
    unchangedStacks: [...r.unchangedStacks],
    // For the PR workflow's plan matrix: new and changed stacks, in batches.
    planBatches: planBatches([...r.addedStacks, ...r.changedStacks]),
    replacements: r.replacements as ReviewJson['replacements'],
    possibleReplacements: r.possibleReplacements as ReviewJson['possibleReplacements'],
    leftBehind: r.leftBehind as ReviewJson['leftBehind'],
    deletions: r.deletions as ReviewJson['deletions'],
    widenings: r.widenings as ReviewJson['widenings'],
    stacks: stacks as ReviewJson['stacks'],
    suppressions: r.suppressions as ReviewJson['suppressions'],
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
