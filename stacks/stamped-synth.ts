/**
 * The fast synth: member stacks stamped out of one synthesized template per shape.
 *
 * Building a member stack through cdktf (constructs, token resolution, guardrails, serialization)
 * costs about 3 ms; 10,000 accounts made a synth of half a minute. But member stacks of one
 * *shape* (every member field but the account id and the name equal: regions, wave, name present
 * or not; with the same config around them) differ only in strings derived from the account id
 * (stack id and folder, ARNs, `allowed_account_ids`, construct paths in `//` metadata, the
 * manifest entry) and from the name (the `ebs-event-hub:member` tag). So per shape this module
 * synthesizes, through cdktf and with the guardrails, the member's stacks (`addMemberStacks`, the
 * same code as the construct-by-construct synth) for a sentinel account id and name, and writes
 * every member of the shape by replacing the sentinels in the serialized files and manifest entry.
 *
 * Why that is exact, and what is checked at every synth rather than assumed:
 * - Sentinels cannot be mistaken: account sentinels are 12-digit strings found nowhere in the
 *   config text, name sentinels likewise; the substitution is one pass over the template
 *   (text-template.ts), so an inserted value is never rewritten. Logical ids are hashes of the
 *   construct path below the stack, which holds no account id; if one ever did, its hash would
 *   differ between the two templates below and the shape would not be stamped.
 * - Two templates and one real member per shape: the lowest and the highest unused 12-digit
 *   account ids, with a short and a 128-character name, and the shape's first member built
 *   through cdktf as is. Stamping the first template with the others' values must give their
 *   bytes exactly (files, manifest entries, guardrail findings), else the shape is synthesized
 *   construct by construct. This catches any dependence on the account id or name other than
 *   their text: a hash of it, a length (names; account ids all have 12 digits), any ordering
 *   against another string (a sorted list, a JSON key json-stable-stringify sorts: the lowest and
 *   highest account ids fall on opposite sides of every other digit string, and the members
 *   stamped lie strictly between them), and anything a sentinel cannot stand for (a look-up of the
 *   member in the config: the real member is the check). A name inside a JSON key is not stamped.
 * - Accounts that are "special" are built construct by construct: an account id that occurs
 *   anywhere else in the config (the central account as a member, an account in a key ARN, a tag,
 *   another member's name), as code may compare it with those; a name JSON would escape; shapes
 *   with fewer than MIN_STAMPED_MEMBERS members (no gain); a stack whose folder holds more than
 *   its stack file (an asset), or whose annotations carry stack traces (CDKTF_CREATION_STACKS=1:
 *   they name the template's callers).
 * - Guardrails run once per template. Their rules read only the `resource` blocks; a stamped
 *   stack's resources differ from the template's only by the 12-digit account ids (same lengths,
 *   so policy sizes are unchanged), and the findings are stamped like the files. When a name
 *   sentinel reaches a resource (a name changes lengths there), every stamped stack of that shape
 *   is checked again in full before anything is written.
 *
 * `SYNTH_FAST=0` (main.ts) turns this off: every stack is built construct by construct.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import type { MemberConfig, OrgConfig } from '../config/schema';
import { addMemberStacks, type BuildAppProps } from './app';
import { checkStackJson, guardrailViolations, type StackJson, type Violation } from './guardrails';
import { CENTRAL_STACK_ID } from './names';
import { TextTemplate } from './text-template';

/** A shape with fewer members is built construct by construct: its three checked builds cost as much. */
export const MIN_STAMPED_MEMBERS = 3;

/** The longest member name the config admits (config/schema.ts): the long name sentinel's length. */
const LONGEST_NAME = 128;

/** An account id and name a template is synthesized with. */
export interface Sentinel {
  readonly accountId: string;
  readonly name: string;
}

export interface ShapePlan {
  /** Members of this shape, config order. */
  readonly members: readonly MemberConfig[];
  readonly named: boolean;
  /** Lowest unused account id, short name: the template stamped from. */
  readonly low: Sentinel;
  /** Highest unused account id, longest name: the check. */
  readonly high: Sentinel;
}

export interface StampPlan {
  readonly shapes: readonly ShapePlan[];
  /** Members built construct by construct, config order. */
  readonly individual: readonly MemberConfig[];
}

/** Every 12-digit substring of `text`. */
export function twelveDigitStrings(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\d{12,}/g)) for (let i = 0; i + 12 <= m[0].length; i++) out.add(m[0].slice(i, i + 12));
  return out;
}

/** What distinguishes member stacks besides the account id and the name: every other member field, and whether there is a name. */
export function shapeKey(member: MemberConfig): string {
  const { accountId: _account, name, ...rest } = member;
  return JSON.stringify([name !== undefined, Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

const pad12 = (n: number): string => String(n).padStart(12, '0');
/** `n` as letters (a, b, …, z, ba, bb, …): name sentinels hold no digit, so no account sentinel is inside one. */
const letters = (n: number): string => (n < 26 ? '' : letters(Math.floor(n / 26))) + String.fromCharCode(97 + (n % 26));

/**
 * Which members are stamped, in which shapes, with which sentinels. Pure.
 */
export function planStamping(config: OrgConfig): StampPlan {
  // The config as text without each member's own account id: an account id found in it is special.
  const elsewhere = JSON.stringify({ ...config, members: config.members.map(({ accountId: _account, ...m }) => m) });
  const elsewhereIds = twelveDigitStrings(elsewhere);
  const taken = new Set([...elsewhereIds, ...config.members.map((m) => m.accountId)]);
  const configText = JSON.stringify(config);
  const shapeCount = new Set(config.members.map(shapeKey)).size;
  const lows: string[] = [];
  const highs: string[] = [];
  for (let v = 0; lows.length < shapeCount; v++) if (!taken.has(pad12(v))) lows.push(pad12(v));
  for (let v = 999_999_999_999; highs.length < shapeCount; v--) if (!taken.has(pad12(v))) highs.push(pad12(v));
  const lowest = lows[lows.length - 1] ?? '';
  const highest = highs[highs.length - 1] ?? '';
  const names: string[] = [];
  for (let i = 0; names.length < shapeCount; i++) {
    const name = `stamp-sentinel-${letters(i)}`;
    if (!configText.includes(name)) names.push(name);
  }

  const special = (m: MemberConfig): boolean =>
    elsewhereIds.has(m.accountId) || !(m.accountId > lowest && m.accountId < highest) || (m.name !== undefined && JSON.stringify(m.name) !== `"${m.name}"`);
  const groups = new Map<string, MemberConfig[]>();
  for (const m of config.members) {
    if (special(m)) continue;
    const key = shapeKey(m);
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const shapes: ShapePlan[] = [];
  for (const members of groups.values()) {
    if (members.length < MIN_STAMPED_MEMBERS) continue;
    const i = shapes.length;
    shapes.push({
      members,
      named: members[0]!.name !== undefined,
      low: { accountId: lows[i]!, name: names[i]! },
      high: { accountId: highs[i]!, name: `${names[i]!}-`.padEnd(LONGEST_NAME, 'z') },
    });
  }
  const stamped = new Set(shapes.flatMap((s) => s.members));
  return { shapes, individual: config.members.filter((m) => !stamped.has(m)) };
}

/**
 * The member a template is built for: the shape's first member with the sentinel's account id and
 * name, its keys in the same order (as if code wrote the object out).
 */
function sentinelMember(shape: ShapePlan, sentinel: Sentinel): MemberConfig {
  const swap = (key: string, value: unknown) => (key === 'accountId' ? sentinel.accountId : key === 'name' ? sentinel.name : value);
  return Object.fromEntries(Object.entries(shape.members[0]!).map(([key, value]) => [key, swap(key, value)])) as MemberConfig;
}

const markersOf = (shape: ShapePlan, s: Sentinel): string[] => (shape.named ? [s.accountId, s.name] : [s.accountId]);
const valuesOf = (shape: ShapePlan, m: MemberConfig): string[] => (shape.named ? [m.accountId, m.name!] : [m.accountId]);

interface ManifestEntry {
  readonly workingDirectory: string;
  readonly synthesizedStackPath: string;
  readonly [key: string]: unknown;
}

/** One stack of a shape's members, as text with the low sentinel's markers. */
interface StackTemplate {
  readonly file: TextTemplate;
  /** The manifest entry, as JSON. */
  readonly entry: TextTemplate;
}

interface StampedShape {
  readonly shape: ShapePlan;
  readonly stacks: readonly StackTemplate[];
}

export interface Stamping {
  /** Members the construct-by-construct synth builds, config order. */
  readonly individual: readonly MemberConfig[];
  /** How many stacks `write` writes. */
  readonly stampedStacks: number;
  /** The stamped stacks' guardrail violations, as building them one by one would report them. */
  readonly violations: readonly Violation[];
  /** Writes the stamped stacks into `outdir` (cdktf's layout) and returns their manifest entries by stack id. */
  write(outdir: string): Record<string, ManifestEntry>;
}

/** A violation whose every field is a template over `markers`: fill it with a member's values. */
function violationTemplate(v: Violation, markers: readonly string[]): (values: readonly string[]) => Violation {
  const fields = Object.entries(v).map(([key, text]) => [key, new TextTemplate(String(text), markers)] as const);
  return (values) => Object.fromEntries(fields.map(([key, t]) => [key, t.fill(values)])) as unknown as Violation;
}

/** Whether `value` holds an object key containing `needle`, at any depth. */
function keyContains(value: unknown, needle: string): boolean {
  if (Array.isArray(value)) return value.some((v) => keyContains(v, needle));
  if (!value || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => k.includes(needle) || keyContains(v, needle));
}

/**
 * Plans the fast synth, synthesizes and checks the templates (in a temporary folder, removed
 * before returning), and returns what to write. Writes nothing in the output folder. A shape
 * whose templates fail a check, or whose construction throws, is left to the construct-by-construct
 * synth (which then reports the real member's error).
 */
export function prepareStamping(props: BuildAppProps): Stamping {
  const plan = planStamping(props.config);
  const none = (individual: readonly MemberConfig[]): Stamping => ({ individual, stampedStacks: 0, violations: [], write: () => ({}) });
  if (plan.shapes.length === 0) return none(plan.individual);
  const scratch = mkdtempSync(join(tmpdir(), 'ebs-event-hub-stamp-'));
  try {
    const app = new App({ outdir: scratch });
    // A placeholder: the templates record their dependency on `central`; its output is ignored.
    const central = new TerraformStack(app, CENTRAL_STACK_ID);
    let built: { shape: ShapePlan; low: TerraformStack[]; high: TerraformStack[]; first: TerraformStack[] }[];
    try {
      built = plan.shapes.map((shape) => ({
        shape,
        low: addMemberStacks(app, props, sentinelMember(shape, shape.low), central),
        high: addMemberStacks(app, props, sentinelMember(shape, shape.high), central),
        first: addMemberStacks(app, props, shape.members[0]!, central),
      }));
    } catch {
      return none(props.config.members);
    }
    const found = guardrailViolations(app.node.findAll().filter(TerraformStack.isStack));
    const violationsOf = (stack: TerraformStack) => found.filter((v) => v.stack === stack.node.id);
    const templatesOf = (shape: ShapePlan, stack: TerraformStack) => violationsOf(stack).map((v) => violationTemplate(v, markersOf(shape, shape.low)));

    const unstamped = new Set<ShapePlan>();
    // Guardrail findings: the low template's, stamped with the high sentinel's values (the first
    // member's), are the high template's (the first member's, built through cdktf).
    for (const { shape, low, high, first } of built) {
      const stamped = (l: TerraformStack, values: readonly string[]) => JSON.stringify(templatesOf(shape, l).map((t) => t(values)));
      const same = (others: readonly TerraformStack[], values: readonly string[]) =>
        low.length === others.length && low.every((l, i) => stamped(l, values) === JSON.stringify(violationsOf(others[i]!)));
      if (!same(high, markersOf(shape, shape.high)) || !same(first, valuesOf(shape, shape.members[0]!))) unstamped.add(shape);
    }
    const kept = built.filter((b) => !unstamped.has(b.shape));
    const stampedViolations = ({ shape, low }: (typeof built)[number]): Violation[] => {
      const templates = low.flatMap((l) => templatesOf(shape, l));
      return shape.members.flatMap((m) => templates.map((t) => t(valuesOf(shape, m))));
    };
    if (kept.some((b) => b.low.some((l) => violationsOf(l).length > 0))) {
      // The synth fails: no need for the files, only the findings.
      const keptMembers = new Set(kept.flatMap((b) => b.shape.members));
      return { individual: props.config.members.filter((m) => !keptMembers.has(m)), stampedStacks: 0, violations: kept.flatMap(stampedViolations), write: () => ({}) };
    }

    app.synth();
    const manifest = JSON.parse(readFileSync(join(scratch, 'manifest.json'), 'utf8')) as { stacks: Record<string, ManifestEntry> };
    const stamped: StampedShape[] = [];
    for (const b of kept) {
      const stacks: StackTemplate[] = [];
      for (const [i, l] of b.low.entries()) {
        const entryOf = (stack: TerraformStack) => manifest.stacks[stack.node.id]!;
        const template = stackTemplate(scratch, b.shape, entryOf(l), [
          { values: markersOf(b.shape, b.shape.high), entry: entryOf(b.high[i]!) },
          { values: valuesOf(b.shape, b.shape.members[0]!), entry: entryOf(b.first[i]!) },
        ]);
        if (!template) break;
        stacks.push(template);
      }
      if (stacks.length === b.low.length) stamped.push({ shape: b.shape, stacks });
      else unstamped.add(b.shape);
    }
    const violations = stamped.flatMap((s) => recheck(s));
    const stampedMembers = new Set(stamped.flatMap((s) => s.shape.members));
    return {
      individual: props.config.members.filter((m) => !stampedMembers.has(m)),
      stampedStacks: stamped.reduce((n, s) => n + s.shape.members.length * s.stacks.length, 0),
      violations,
      write: (outdir) => writeStamped(outdir, stamped),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * One stack's template, from the low sentinel's synthesized folder and manifest entry; undefined
 * when stamping would not be exact: when filled with each check's values it must give that
 * check's stack (the high sentinel's, the first member's built through cdktf) byte for byte.
 */
function stackTemplate(scratch: string, shape: ShapePlan, low: ManifestEntry, checks: readonly { values: readonly string[]; entry: ManifestEntry }[]): StackTemplate | undefined {
  const entries = [low, ...checks.map((c) => c.entry)];
  // An annotation's stack trace (kept with CDKTF_CREATION_STACKS=1) names the code that built the
  // template, not the construct-by-construct synth's callers.
  const traced = (e: ManifestEntry) => (e.annotations as { stacktrace?: unknown[] }[] | undefined)?.some((a) => (a.stacktrace ?? []).length > 0);
  if (entries.some(traced)) return undefined;
  // Only the stack file: anything else (an asset) would need stamping of its own.
  const fileName = basename(low.synthesizedStackPath);
  if (entries.some((e) => !equalLists(readdirSync(join(scratch, e.workingDirectory)), [fileName]))) return undefined;
  const textOf = (e: ManifestEntry) => readFileSync(join(scratch, e.synthesizedStackPath), 'utf8');
  const lowText = textOf(low);
  const markers = markersOf(shape, shape.low);
  const file = new TextTemplate(lowText, markers);
  const entry = new TextTemplate(JSON.stringify(low), markers);
  if (checks.some((c) => file.fill(c.values) !== textOf(c.entry) || entry.fill(c.values) !== JSON.stringify(c.entry))) return undefined;
  if (shape.named && keyContains(JSON.parse(lowText), shape.low.name)) return undefined;
  return { file, entry };
}

const equalLists = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Guardrails again on each stamped stack whose resources hold the name (a name changes lengths,
 * so a policy's size): before anything is written.
 */
function recheck({ shape, stacks }: StampedShape): Violation[] {
  if (!shape.named) return [];
  const out: Violation[] = [];
  for (const { file, entry } of stacks) {
    const resources = (JSON.parse(file.text) as StackJson).resource ?? {};
    if (!JSON.stringify(resources).includes(shape.low.name)) continue;
    for (const m of shape.members) {
      const values = valuesOf(shape, m);
      const id = (JSON.parse(entry.fill(values)) as { name: string }).name;
      out.push(...checkStackJson(id, JSON.parse(file.fill(values)) as StackJson).violations);
    }
  }
  return out;
}

function writeStamped(outdir: string, stamped: readonly StampedShape[]): Record<string, ManifestEntry> {
  const entries: Record<string, ManifestEntry> = {};
  for (const { shape, stacks } of stamped) {
    for (const m of shape.members) {
      const values = valuesOf(shape, m);
      for (const { file, entry } of stacks) {
        const e = JSON.parse(entry.fill(values)) as ManifestEntry & { name: string };
        // As cdktf's StackSynthesizer: the folder if missing, then the stack file.
        mkdirSync(join(outdir, e.workingDirectory), { recursive: true });
        writeFileSync(join(outdir, e.synthesizedStackPath), file.fill(values));
        entries[e.name] = e;
      }
    }
  }
  return entries;
}
