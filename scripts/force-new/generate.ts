/**
 * Generates `cli/review/force-new-table.ts`: for each resource (and data source) type the stacks
 * write, every argument, top-level or nested, whose change makes hashicorp/aws 6.25.0 replace
 * the resource, with the provider source each entry comes from.
 *
 *   fetch github:lonegunmanb/terraform-provider-aws-index   (the search tool; gives a git dir)
 *   npx tsx scripts/force-new/generate.ts --mirror <git dir>            # rewrite the table
 *   npx tsx scripts/force-new/generate.ts --mirror <git dir> --check    # exit 1 when it is stale
 *
 * Read from the tag v6.25.0 of that repository (one `.goindex` file per Go declaration of
 * hashicorp/terraform-provider-aws; the declaration text is upstream's, verbatim):
 * - each type's registration (`method.servicePackage.SDKResources` / `FrameworkResources` / the
 *   data-source twins) gives its factory and whether it is regional (`inttypes.ResourceRegionDefault()`);
 * - SDKv2 resources: the factory's `schema.Resource` literal (`Schema`, a `var`, or `SchemaFunc`),
 *   followed through `Elem: &schema.Resource{...}` and helper functions and vars of any package in
 *   the index; an argument is replaced when `ForceNew: true`;
 * - plugin-framework resources: the `Schema` method; an attribute or block is replaced when a plan
 *   modifier is `*planmodifier.RequiresReplace()` (`RequiresReplaceIf…`: conditional);
 * - `CustomizeDiff`: `customdiff.ForceNewIf…` and `ForceNew(...)` calls in the functions it runs
 *   (same package, followed through calls) are recorded as conditional, with the source's comments
 *   and condition as the note;
 * - regional resources get `region`, forced new by the provider's interceptor
 *   (`provider/sdkv2/func.forceNewIfRegionChanges`) unless the change is between unset and the
 *   provider's own region.
 * The resource JSON files of the index (`index/resources/<type>.json`) name a schema file that
 * does not exist for SDKv2 resources; they are not used.
 *
 * Every argument name is checked against `@cdktf/provider-aws` (generated from the same 6.25.0
 * schema). Anything the reader does not understand stops it with an error.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ForceNewArgument, ForceNewType } from '../../cli/review/force-new-types';
import { callsIn, closing, funcDeclBody, parseExpr, parseGoFile, topLevelReturns, varValue, type GoFile, type Node } from './go-source';

export const REPO = 'lonegunmanb/terraform-provider-aws-index';
export const REF = 'v6.25.0';
export const TABLE_PATH = join(__dirname, '..', '..', 'cli', 'review', 'force-new-table.ts');

/**
 * The types to generate: every type a synth of the example org and of the all-features config
 * writes (a test fails when one is missing), and those later features add.
 */
export const TYPES: readonly { readonly type: string; readonly kind: 'resource' | 'data' }[] = [
  'aws_cloudwatch_event_archive',
  'aws_cloudwatch_event_bus',
  'aws_cloudwatch_event_bus_policy',
  'aws_cloudwatch_event_rule',
  'aws_cloudwatch_event_target',
  'aws_cloudwatch_log_group',
  'aws_cloudwatch_log_resource_policy',
  'aws_cloudwatch_metric_alarm',
  'aws_dynamodb_table',
  'aws_iam_role',
  'aws_iam_role_policies_exclusive',
  'aws_iam_role_policy',
  'aws_kms_alias',
  'aws_kms_key',
  'aws_kms_key_policy',
  'aws_lambda_event_source_mapping',
  'aws_lambda_function',
  'aws_sfn_state_machine',
  'aws_sns_topic',
  'aws_sns_topic_policy',
  'aws_sns_topic_subscription',
  'aws_sqs_queue',
].map((type) => ({ type, kind: 'resource' as const }));

export type GeneratedArgument = ForceNewArgument;
export type GeneratedType = ForceNewType;

export class Mirror {
  private readonly cache = new Map<string, GoFile | undefined>();
  constructor(
    readonly gitDir: string,
    readonly ref: string,
  ) {}
  commit(): string {
    return this.git(['rev-parse', `${this.ref}^{commit}`]).trim();
  }
  file(path: string): GoFile | undefined {
    if (!this.cache.has(path)) {
      const r = spawnSync('git', ['--git-dir', this.gitDir, 'show', `${this.ref}:${path}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      this.cache.set(path, r.status === 0 ? parseGoFile(path, r.stdout) : undefined);
    }
    return this.cache.get(path);
  }
  need(path: string): GoFile {
    const f = this.file(path);
    if (!f) throw new Error(`${REPO}@${this.ref} has no ${path}`);
    return f;
  }
  text(path: string): string {
    return this.git(['show', `${this.ref}:${path}`]);
  }
  /** `allowNoMatch`: `git grep` exits 1 when nothing matches. */
  git(args: string[], allowNoMatch = false): string {
    const r = spawnSync('git', ['--git-dir', this.gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status === 1 && allowNoMatch && r.stderr === '') return '';
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
}

const PROVIDER_MODULE = 'github.com/hashicorp/terraform-provider-aws/';
const indexDirOf = (importPath: string) => (importPath.startsWith(PROVIDER_MODULE) ? `index/${importPath.slice(PROVIDER_MODULE.length)}` : undefined);

/** `names.AttrKMSKeyID` -> `kms_key_id` (the names package is generated the same way; checked against cdktf below). */
export function attrConstName(constant: string): string {
  const words = constant.replace(/^Attr/, '').match(/[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|\d+/g) ?? [];
  return words.map((w) => w.toLowerCase()).join('_');
}

type Value =
  | { readonly kind: 'composite'; readonly node: Extract<Node, { kind: 'composite' }>; readonly file: GoFile; readonly symbol: string }
  | { readonly kind: 'closure'; readonly file: GoFile; readonly tokens: GoFile['tokens']; readonly body: readonly [number, number]; readonly symbol: string }
  | { readonly kind: 'external'; readonly name: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'opaque'; readonly text: string };

/** Where a declaration came from, for the table. */
const where = (file: GoFile, line: number, symbol: string) => `${file.path}:${line} (${symbol})`;

class Reader {
  constructor(private readonly mirror: Mirror) {}

  /** The file declaring `name` (`pkg.Name` or `Name`) as seen from `file`, or undefined for packages outside the index. */
  declaration(name: string, file: GoFile): { file: GoFile; symbol: string; kind: 'func' | 'var' } | undefined {
    const parts = name.split('.');
    let dir = dirname(file.path);
    let symbol = parts[0]!;
    if (parts.length === 2) {
      const importPath = file.imports.get(parts[0]!);
      if (!importPath) return undefined;
      const d = indexDirOf(importPath);
      if (!d) return undefined;
      dir = d;
      symbol = parts[1]!;
    } else if (parts.length > 2) return undefined;
    for (const kind of ['func', 'var'] as const) {
      const f = this.mirror.file(`${dir}/${kind}.${symbol}.goindex`);
      if (f) return { file: f, symbol, kind };
    }
    return undefined;
  }

  /** `symbol`: the declaration `node` is in (for the table's source paths). */
  eval(node: Node, file: GoFile, symbol: string): Value {
    switch (node.kind) {
      case 'composite':
        return { kind: 'composite', node, file, symbol };
      case 'string':
        return { kind: 'string', value: node.value };
      case 'func':
        return { kind: 'closure', file, tokens: node.tokens, body: node.body, symbol };
      case 'name': {
        const decl = this.declaration(node.name, file);
        if (!decl) return { kind: 'external', name: node.name };
        if (decl.kind === 'var') return this.eval(varValue(decl.file, decl.symbol), decl.file, decl.symbol);
        return { kind: 'closure', file: decl.file, tokens: decl.file.tokens, body: funcDeclBody(decl.file, decl.symbol), symbol: decl.symbol };
      }
      case 'call': {
        const callee = this.eval(node.callee, file, symbol);
        // sync.OnceValue(f)() is f().
        if (callee.kind === 'external' && callee.name === 'sync.OnceValue') return this.eval(node.args[0]!, file, symbol);
        if (callee.kind === 'closure') return this.result(callee);
        return { kind: 'opaque', text: `${node.callee.kind === 'name' ? node.callee.name : '?'}(...)` };
      }
      default:
        return { kind: 'opaque', text: node.text };
    }
  }

  /** What calling a closure returns (its one top-level return). */
  result(c: Extract<Value, { kind: 'closure' }>): Value {
    const returns = topLevelReturns(c.tokens, c.body);
    if (returns.length !== 1) throw new Error(`${c.file.path}: ${c.symbol} has ${returns.length} top-level returns; cannot tell which is the schema`);
    return this.eval(returns[0]!, c.file, c.symbol);
  }

  /** A composite literal, following names and calls; an error naming `what` otherwise. */
  composite(node: Node, file: GoFile, symbol: string, what: string): Extract<Value, { kind: 'composite' }> {
    const v = this.eval(node, file, symbol);
    if (v.kind !== 'composite') throw new Error(`${file.path}:${node.line}: ${what} is not a literal the reader can follow (${v.kind}${'text' in v ? ` ${v.text}` : 'name' in v ? ` ${v.name}` : ''})`);
    return v;
  }

  keyName(key: Node | undefined, file: GoFile): string {
    if (key?.kind === 'string') return key.value;
    if (key?.kind === 'name' && key.name.startsWith('names.Attr')) return attrConstName(key.name.slice('names.'.length));
    throw new Error(`${file.path}:${key?.line}: schema key ${JSON.stringify(key)} is neither a string nor names.Attr…`);
  }
}

const field = (c: Extract<Value, { kind: 'composite' }>, name: string): Node | undefined => c.node.elements.find((e) => e.key?.kind === 'name' && e.key.name === name)?.value;
const isTrue = (n: Node | undefined) => n?.kind === 'name' && n.name === 'true';

type Entries = Map<string, GeneratedArgument>;

/** SDKv2: `map[string]*schema.Schema` literal -> ForceNew paths. */
function sdkSchemaMap(r: Reader, map: Composite, prefix: string, out: Entries): void {
  if (!/^map\[string\]\*schema\.Schema$/.test(map.node.type)) throw new Error(`${map.file.path}:${map.node.line}: expected map[string]*schema.Schema, found ${map.node.type}`);
  for (const e of map.node.elements) {
    const path = join2(prefix, r.keyName(e.key, map.file));
    const attr = r.composite(e.value, map.file, map.symbol, `schema of ${path}`);
    if (!['', 'schema.Schema'].includes(attr.node.type)) throw new Error(`${attr.file.path}:${attr.node.line}: ${path}: expected a schema.Schema, found ${attr.node.type}`);
    if (isTrue(field(attr, 'ForceNew'))) {
      out.set(path, { source: where(attr.file, attr.node.line, attr.symbol), ...(isTrue(field(attr, 'Optional')) && isTrue(field(attr, 'Computed')) ? { computed: true as const } : {}) });
    }
    const elem = field(attr, 'Elem');
    if (!elem) continue;
    const ev = r.composite(elem, attr.file, attr.symbol, `Elem of ${path}`);
    if (ev.node.type === 'schema.Schema') {
      if (isTrue(field(ev, 'ForceNew'))) throw new Error(`${ev.file.path}:${ev.node.line}: ForceNew on a primitive Elem of ${path}`);
      continue;
    }
    if (ev.node.type !== 'schema.Resource') throw new Error(`${ev.file.path}:${ev.node.line}: Elem of ${path} is ${ev.node.type}`);
    sdkResourceSchema(r, ev, path, out);
  }
}

type Composite = Extract<Value, { kind: 'composite' }>;
const join2 = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);

function sdkResourceSchema(r: Reader, res: Composite, prefix: string, out: Entries): void {
  const schemaNode = field(res, 'Schema');
  const schemaFunc = field(res, 'SchemaFunc');
  const what = prefix || 'the resource';
  if (schemaNode) sdkSchemaMap(r, r.composite(schemaNode, res.file, res.symbol, `Schema of ${what}`), prefix, out);
  else if (schemaFunc) {
    const fn = r.eval(schemaFunc, res.file, res.symbol);
    if (fn.kind !== 'closure') throw new Error(`${res.file.path}: SchemaFunc of ${what} is ${fn.kind}`);
    const v = r.result(fn);
    if (v.kind !== 'composite') throw new Error(`${res.file.path}: SchemaFunc of ${what} returns ${v.kind}`);
    sdkSchemaMap(r, v, prefix, out);
  } else throw new Error(`${res.file.path}:${res.node.line}: schema.Resource of ${what} has neither Schema nor SchemaFunc`);
}

/** A `customdiff.ForceNewIf…` condition function, as one line: its comments, then its code. */
function conditionNote(fn: Node, source: string): string {
  if (fn.kind !== 'func') return `condition: ${fn.kind === 'name' ? fn.name : 'see source'}`;
  const lines = source.split('\n').slice(fn.tokens[fn.body[0] - 1]!.line, fn.tokens[fn.body[1]]!.line - 1);
  const comments = lines.map((l) => /\/\/\s?(.*)$/.exec(l)?.[1]?.trim()).filter((c): c is string => !!c && !/^i\.e\.,/.test(c));
  const code = lines.map((l) => l.replace(/\/\/.*$/, '').trim()).filter(Boolean).join(' ');
  return `${comments.length ? `${comments.join(' ')}. ` : ''}Replaced when: ${code}`;
}

/** ForceNew decided in CustomizeDiff, found by following its functions within the provider's packages. */
function customizeDiffEntries(r: Reader, mirror: Mirror, node: Node | undefined, file: GoFile, out: Entries): void {
  if (!node) return;
  const seen = new Set<string>();
  const addIf = (attrArg: Node | undefined, cond: Node | undefined, f: GoFile, line: number, how: string) => {
    if (attrArg?.kind !== 'string') throw new Error(`${f.path}:${line}: ${how} on a non-literal attribute`);
    const path = attrArg.value.replace(/\.\d+(?=\.|$)/g, '');
    out.set(path, { source: `${f.path}:${line} (${how})`, conditional: cond ? conditionNote(cond, mirror.text(f.path)) : `${how}: see source` });
  };
  const scan = (tokens: GoFile['tokens'], body: readonly [number, number], f: GoFile, symbol: string) => {
    for (const call of callsIn(tokens, body[0], body[1], ['ForceNewIfChange', 'ForceNewIf', 'ForceNewIfChangeWithDiff'])) addIf(call.args[0], call.args[1], f, call.line, `${symbol}: ${call.callee}`);
    for (const call of callsIn(tokens, body[0], body[1], ['ForceNew'])) {
      const a = call.args[0];
      const attr: Node | undefined = a?.kind === 'name' && a.name.startsWith('names.Attr') ? { kind: 'string', value: attrConstName(a.name.slice('names.'.length)), line: a.line, span: a.span } : a;
      addIf(attr, undefined, f, call.line, `${symbol} calls ForceNew`);
    }
    // Functions this code calls, in the provider's own packages (a selector's second half is read with its first).
    for (let i = body[0]; i < body[1]; i++) {
      const t = tokens[i]!;
      if (t.kind !== 'ident' || tokens[i - 1]?.text === '.') continue;
      const name = tokens[i + 1]?.text === '.' && tokens[i + 2]?.kind === 'ident' ? `${t.text}.${tokens[i + 2]!.text}` : t.text;
      const decl = r.declaration(name, f);
      if (!decl || decl.kind !== 'func' || seen.has(decl.file.path)) continue;
      seen.add(decl.file.path);
      scan(decl.file.tokens, funcDeclBody(decl.file, decl.symbol), decl.file, decl.symbol);
    }
  };
  scan(file.tokens, node.span, file, 'CustomizeDiff');
}

/** Plugin framework: `schema.Schema{Attributes, Blocks}` -> RequiresReplace paths. */
function frameworkSchema(r: Reader, obj: Composite, prefix: string, out: Entries): void {
  for (const group of ['Attributes', 'Blocks']) {
    const g = field(obj, group);
    if (!g) continue;
    const map = r.composite(g, obj.file, obj.symbol, `${group} of ${prefix || 'the resource'}`);
    for (const e of map.node.elements) {
      const path = join2(prefix, r.keyName(e.key, map.file));
      const attr = r.composite(e.value, map.file, map.symbol, `schema of ${path}`);
      const mods = field(attr, 'PlanModifiers');
      if (mods) {
        for (const m of r.composite(mods, attr.file, attr.symbol, `PlanModifiers of ${path}`).node.elements) {
          const callee = m.value.kind === 'call' && m.value.callee.kind === 'name' ? m.value.callee.name : '';
          if (/planmodifier\.RequiresReplace$/.test(callee)) out.set(path, { source: where(attr.file, m.line, attr.symbol) });
          else if (/planmodifier\.RequiresReplaceIf/.test(callee)) out.set(path, { source: where(attr.file, m.line, attr.symbol), conditional: `${callee.split('.').pop()}: see source` });
        }
      }
      const nested = field(attr, 'NestedObject');
      if (nested) frameworkSchema(r, r.composite(nested, attr.file, attr.symbol, `NestedObject of ${path}`), path, out);
    }
  }
}

interface Registration {
  readonly file: GoFile;
  readonly factory: string;
  readonly regional: boolean;
  readonly framework: boolean;
  readonly line: number;
}

function registration(mirror: Mirror, type: string, kind: 'resource' | 'data'): Registration {
  const methods = kind === 'resource' ? ['SDKResources', 'FrameworkResources'] : ['SDKDataSources', 'FrameworkDataSources'];
  const hits = mirror.git(['grep', '-l', '-F', `"${type}"`, mirror.ref, '--', ...methods.map((m) => `index/internal/service/*/method.servicePackage.${m}.goindex`)], true);
  const paths = hits.split('\n').filter(Boolean).map((l) => l.slice(mirror.ref.length + 1));
  for (const path of paths) {
    const file = mirror.need(path);
    const t = file.tokens;
    const at = t.findIndex((tok) => tok.kind === 'string' && tok.text === `"${type}"`);
    // The enclosing `{ Factory: ..., TypeName: "...", ... }` element.
    let open = at;
    while (open > 0 && !(t[open]!.text === '{' && closing(t, open) > at)) open--;
    const entry = parseExpr(t, open, closing(t, open) + 1);
    if (entry.kind !== 'composite') continue;
    const get = (k: string) => entry.elements.find((e) => e.key?.kind === 'name' && e.key.name === k)?.value;
    const factory = get('Factory');
    const region = get('Region');
    if (factory?.kind !== 'name') throw new Error(`${path}: ${type} has no Factory`);
    const regionText = region ? JSON.stringify(region) : '';
    return { file, factory: factory.name, regional: regionText.includes('ResourceRegionDefault'), framework: /Framework/.test(path), line: entry.line };
  }
  throw new Error(`no registration of ${kind} ${type} in ${REPO}@${mirror.ref}`);
}

export function generateType(mirror: Mirror, type: string, kind: 'resource' | 'data'): GeneratedType {
  const reg = registration(mirror, type, kind);
  const r = new Reader(mirror);
  const out: Entries = new Map();
  const regSource = `${reg.file.path}:${reg.line}`;
  if (kind === 'data') {
    // A data source is read on every plan; nothing about it is ever replaced.
    return { kind, registration: regSource, schema: `${dirname(reg.file.path)}/func.${reg.factory}.goindex (${reg.factory})`, regional: reg.regional, forceNew: {} };
  }
  let schemaSource: string;
  if (!reg.framework) {
    const decl = r.declaration(reg.factory, reg.file);
    if (!decl || decl.kind !== 'func') throw new Error(`${type}: factory ${reg.factory} not found`);
    const res = r.result({ kind: 'closure', file: decl.file, tokens: decl.file.tokens, body: funcDeclBody(decl.file, decl.symbol), symbol: decl.symbol });
    if (res.kind !== 'composite' || res.node.type !== 'schema.Resource') throw new Error(`${type}: ${reg.factory} does not return a schema.Resource literal`);
    schemaSource = `${decl.file.path} (${decl.symbol})`;
    sdkResourceSchema(r, res, '', out);
    customizeDiffEntries(r, mirror, field(res, 'CustomizeDiff'), res.file, out);
  } else {
    const decl = r.declaration(reg.factory, reg.file);
    if (!decl || decl.kind !== 'func') throw new Error(`${type}: factory ${reg.factory} not found`);
    const body = funcDeclBody(decl.file, decl.symbol);
    const struct = decl.file.tokens.slice(body[0], body[1]).find((t, i, a) => a[i - 1]?.text === '&' && t.kind === 'ident')?.text;
    if (!struct) throw new Error(`${type}: cannot find the resource struct in ${reg.factory}`);
    const file = mirror.need(`${dirname(reg.file.path)}/method.${struct}.Schema.goindex`);
    const sb = funcDeclBody(file, 'Schema');
    const t = file.tokens;
    const assign = t.findIndex((tok, i) => i >= sb[0] && i < sb[1] && tok.text === 'Schema' && t[i + 1]?.text === '=' && t[i - 1]?.text === '.');
    if (assign < 0) throw new Error(`${file.path}: no resp.Schema = ...`);
    let end = assign + 2;
    while (end < sb[1] && !(end > assign + 2 && t[end]!.newlineBefore)) end = t[end]!.text in { '(': 1, '[': 1, '{': 1 } ? closing(t, end) + 1 : end + 1;
    const obj = r.composite(parseExpr(t, assign + 2, end), file, `${struct}.Schema`, 'resp.Schema');
    schemaSource = `${file.path} (${struct}.Schema)`;
    frameworkSchema(r, obj, '', out);
  }
  if (reg.regional) {
    const interceptor = reg.framework ? 'index/internal/provider/framework/func.resourceForceNewIfRegionChanges.goindex (resourceForceNewIfRegionChanges)' : 'index/internal/provider/sdkv2/func.forceNewIfRegionChanges.goindex (forceNewIfRegionChanges)';
    out.set('region', {
      source: interceptor,
      conditional: 'the injected per-resource region: a change forces replacement, except one between unset and the region of the provider configuration',
    });
  }
  const forceNew = Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)));
  return { kind, registration: regSource, schema: schemaSource, regional: reg.regional, forceNew };
}

/** Every argument name must exist in the cdktf binding generated from the same schema. */
function checkAgainstCdktf(type: string, entry: GeneratedType): void {
  const lib = join(__dirname, '..', '..', 'node_modules', '@cdktf', 'provider-aws', 'lib', type.replace(/^aws_/, '').replace(/_/g, '-'), 'index.js');
  const js = readFileSync(lib, 'utf8');
  for (const path of Object.keys(entry.forceNew)) {
    const last = path.split('.').pop()!;
    if (!new RegExp(`\\b${last}: (cdktf\\.|\\{|[a-zA-Z]+ToTerraform)`).test(js)) throw new Error(`${type}: argument ${path} is not in @cdktf/provider-aws's ${type} (a names.Attr constant read wrongly?)`);
  }
}

export function renderTable(types: Record<string, GeneratedType>, commit: string): string {
  const header = `/**
 * GENERATED by scripts/force-new/generate.ts from ${REPO} at ${REF} (commit ${commit}):
 * hashicorp/terraform-provider-aws ${REF.slice(1)}'s schema declarations. Do not edit; regenerate:
 *   fetch github:${REPO} (search tool), then
 *   npx tsx scripts/force-new/generate.ts --mirror <git dir>   (--check: exit 1 when stale)
 * Per type: the arguments (nested blocks joined with ".") whose change makes the provider replace
 * the resource, each with the source it comes from. \`computed\`: Optional+Computed, so removing it
 * from the configuration keeps the prior value. \`conditional\`: replaced only when the source's
 * condition holds (CustomizeDiff, RequiresReplaceIf…, the region interceptor).
 */
import type { ForceNewTable } from './force-new-types';

export const PROVIDER_SOURCE = { repo: '${REPO}', ref: '${REF}', commit: '${commit}' } as const;

export const FORCE_NEW_TABLE: ForceNewTable = `;
  return `${header}${JSON.stringify(types, null, 2)};\n`;
}

function main(argv: string[]): number {
  const mirrorAt = argv.indexOf('--mirror');
  if (mirrorAt < 0 || !argv[mirrorAt + 1]) {
    process.stderr.write('usage: npx tsx scripts/force-new/generate.ts --mirror <git dir of lonegunmanb/terraform-provider-aws-index> [--check]\n');
    return 2;
  }
  const mirror = new Mirror(argv[mirrorAt + 1]!, REF);
  const types: Record<string, GeneratedType> = {};
  for (const { type, kind } of TYPES) {
    const entry = generateType(mirror, type, kind);
    checkAgainstCdktf(type, entry);
    types[type] = entry;
  }
  const text = renderTable(types, mirror.commit());
  if (argv.includes('--check')) {
    const current = readFileSync(TABLE_PATH, 'utf8');
    if (current !== text) {
      process.stderr.write(`${TABLE_PATH} is stale: regenerate it without --check\n`);
      return 1;
    }
    process.stdout.write(`${TABLE_PATH} matches ${REPO}@${REF}\n`);
    return 0;
  }
  writeFileSync(TABLE_PATH, text);
  process.stdout.write(`wrote ${TABLE_PATH}: ${Object.keys(types).length} types\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
