/**
 * Reads and validates the organization config. With `main.ts`, the only code that touches files
 * or the environment; everything downstream receives a validated, typed `OrgConfig`.
 */
import { readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { $ZodIssue } from 'zod/v4/core';
import { crossFieldProblems, OrgConfigSchema, type OrgConfig } from './schema';

/** The embedded example organization, used when `ORG_CONFIG` is not set. */
export const EXAMPLE_CONFIG_PATH = join(__dirname, 'example-org.json');

/** A user mistake in the config: carries every problem found, each naming its path and value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The file (or label) the config came from. */
    readonly source: string,
    /** One line per problem: `path: value what is wrong`. */
    readonly problems: readonly string[],
  ) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** `members[3].accountId` from `['members', 3, 'accountId']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(seg))) out += out ? `.${String(seg)}` : String(seg);
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || '(top level)';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/**
 * A value as JSON, at most 200 characters, nested at most 8 deep: a config nested 10,000 deep
 * must not overflow the stack of the very code that reports it.
 */
export function show(value: unknown, depth = 0): string {
  let text: string;
  if (Array.isArray(value)) {
    text = depth >= 8 ? '[...]' : `[${value.slice(0, 20).map((v) => show(v, depth + 1)).join(',')}${value.length > 20 ? ',...' : ''}]`;
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    text =
      depth >= 8
        ? '{...}'
        : `{${entries.slice(0, 20).map(([k, v]) => `${JSON.stringify(k)}:${show(v, depth + 1)}`).join(',')}${entries.length > 20 ? ',...' : ''}}`;
  } else {
    text = JSON.stringify(value) ?? String(value);
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

const EXPECTED: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
};

function describeIssue(issue: $ZodIssue, raw: unknown): string[] {
  const value = valueAt(raw, issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map(
      (key) => `${formatPath([...issue.path, key])}: is not a known field (check the spelling; config/org-config.schema.json lists the fields)`,
    );
  }
  // A missing field: zod reports it as invalid_type, or with the field's own message (enums).
  if (value === undefined && issue.code !== 'custom') return [`${formatPath(issue.path)}: is required`];
  if (issue.code === 'invalid_type') {
    return [`${formatPath(issue.path)}: ${show(value)} must be ${EXPECTED[issue.expected] ?? `a ${issue.expected}`}`];
  }
  // A problem with a map key names the key itself; the value under it is beside the point.
  if (issue.message.startsWith('key ')) return [`${formatPath(issue.path)}: ${issue.message}`];
  // Custom messages in the schema read as a predicate: `"12345" is not a 12-digit AWS account ID`.
  const predicate = /^(is|must|starts|has) /.test(issue.message) ? issue.message : `is invalid: ${issue.message}`;
  return [`${formatPath(issue.path)}: ${show(value)} ${predicate}`];
}

/** Validates an already-parsed config. Throws `ConfigError` listing every problem at once. */
export function parseOrgConfig(raw: unknown, source = 'org config'): OrgConfig {
  const result = OrgConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, raw));
  // zod skips object-level refinements when a field inside failed; run them anyway, so one run
  // reports every problem (a duplicate account next to a malformed region, say).
  for (const extra of crossFieldProblems(raw)) {
    const line = describeIssue({ code: 'custom', input: undefined, ...extra }, raw)[0]!;
    if (!problems.includes(line)) problems.push(line);
  }
  throw new ConfigError(source, problems);
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/** A key given twice in one JSON object. */
export interface DuplicateKey {
  /** Path of the key (the object's path, then the key). */
  readonly path: readonly (string | number)[];
  readonly line: number;
  readonly firstLine: number;
}

interface Frame {
  readonly parent?: Frame;
  /** This container's key or index in its parent. */
  readonly at?: string | number;
  /** Keys seen so far, with their line (objects only). */
  readonly keys?: Map<string, number>;
  index: number;
  expectKey: boolean;
  lastKey?: string;
}

const pathOf = (frame: Frame | undefined, last: string | number): (string | number)[] => {
  const path: (string | number)[] = [last];
  for (let f = frame; f?.at !== undefined; f = f.parent) path.unshift(f.at);
  return path;
};

/**
 * Keys given twice in one object, at any depth, with their lines. `JSON.parse` keeps the last and
 * drops the first silently (RFC 8259 leaves duplicates to the parser): a second `members` would
 * drop every account of the first. Runs on text `JSON.parse` accepted; iterative, so nesting
 * depth does not matter.
 */
export function findDuplicateJsonKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  let top: Frame | undefined;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        const first = top.keys.get(key);
        if (first !== undefined) found.push({ path: pathOf(top, key), line, firstLine: first });
        else top.keys.set(key, line);
        top.lastKey = key;
        top.expectKey = false;
      }
    } else if (c === '{' || c === '[') {
      const at = top === undefined ? undefined : top.keys ? top.lastKey : top.index;
      top = c === '{' ? { parent: top, at, keys: new Map(), index: 0, expectKey: true } : { parent: top, at, index: 0, expectKey: false };
    } else if (c === '}' || c === ']') {
      top = top?.parent;
    } else if (c === ',' && top) {
      if (top.keys) top.expectKey = true;
      else top.index++;
    }
  }
  return found;
}

/** Deeper bracket nesting than this is refused before parsing: an organization config nests 5 deep. */
export const MAX_NESTING_DEPTH = 1_000;

/**
 * Deepest `[`/`{` nesting of JSON or YAML flow text, quoted strings skipped (YAML comments are
 * not, so brackets in comments count: harmless below the limit). The YAML library recurses per
 * level and, thousands of levels down, overflows its stack or runs out of memory building its
 * error message; checking first keeps that from happening.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '[' || c === '{') {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return deepest;
}

/** More values than this once YAML aliases are expanded is an alias bomb, not an organization. */
export const MAX_YAML_EXPANDED_VALUES = 1_000_000;

/**
 * Values of a YAML document once every alias is expanded, counted without expanding (each node is
 * counted once), capped just above `cap`. Throws `ConfigError` for an alias inside the value it
 * names (a cycle). Iterative, so nesting depth does not matter.
 */
function expandedValues(doc: Document, source: string, cap: number): number {
  const counted = new Map<unknown, number>();
  const onPath = new Set<unknown>();
  const children = (n: unknown): unknown[] =>
    (isAlias(n) ? [n.resolve(doc)] : isPair(n) ? [n.key, n.value] : isCollection(n) ? (n.items as unknown[]) : []).filter(
      (c) => c !== null && c !== undefined,
    );
  const stack: { node: unknown; open: boolean }[] = doc.contents ? [{ node: doc.contents, open: false }] : [];
  while (stack.length > 0) {
    const entry = stack[stack.length - 1]!;
    if (!entry.open) {
      if (counted.has(entry.node)) {
        stack.pop();
        continue;
      }
      if (onPath.has(entry.node)) throw new ConfigError(source, ['YAML: an alias refers to a value that contains it (a cycle)']);
      entry.open = true;
      onPath.add(entry.node);
      for (const child of children(entry.node)) if (!counted.has(child)) stack.push({ node: child, open: false });
      continue;
    }
    const sum = children(entry.node).reduce<number>((total, child) => total + (counted.get(child) ?? 0), 0);
    counted.set(entry.node, Math.min(cap + 1, isAlias(entry.node) || isPair(entry.node) ? sum : sum + 1));
    onPath.delete(entry.node);
    stack.pop();
  }
  return doc.contents ? (counted.get(doc.contents) ?? 0) : 0;
}

/**
 * Every `<<` key (a YAML 1.1 merge key, `<<: *defaults`) with its path and position. YAML 1.2,
 * which this loader reads (the library's default: https://eemeli.org/yaml/#options, `merge`), has no
 * merge keys: `<<` would be read as a field named "<<" and the fields it was meant to bring in
 * silently missing, or rejected as an unknown field far from the cause. Only plain keys count:
 * a quoted "<<" is an ordinary key in either version. Iterative, so nesting depth does not matter.
 */
function mergeKeyProblems(doc: Document, lineCounter: LineCounter): string[] {
  const problems: string[] = [];
  const stack: { node: unknown; path: (string | number)[] }[] = doc.contents ? [{ node: doc.contents, path: [] }] : [];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && key.value === '<<' && key.type === 'PLAIN') {
          const pos = key.range ? lineCounter.linePos(key.range[0]) : undefined;
          problems.push(
            `${formatPath(path)}: "<<"${pos ? ` (line ${pos.line}, column ${pos.col})` : ''} is a YAML merge key, which is not supported ` +
              '(YAML 1.2 has none: it would be read as a field named "<<"); write the fields out, or alias a whole value (regions: *std)',
          );
          continue;
        }
        stack.push({ node: pair.value, path: [...path, isScalar(key) ? String(key.value) : String(key)] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    }
  }
  return problems.reverse();
}

function parseYamlConfig(text: string, source: string): unknown {
  // Duplicate keys are errors (the library's default, stated here): see findDuplicateJsonKeys.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    // The library recurses per level of block nesting and reports its own stack overflow.
    const message = /Maximum call stack size exceeded/.test(error.message) ? 'nested too deeply to read' : error.message.split('\n')[0];
    throw new ConfigError(source, [`${pos ? `line ${pos.line}, column ${pos.col}` : 'YAML'}: ${message}`]);
  }
  const merges = mergeKeyProblems(doc, lineCounter);
  if (merges.length > 0) throw new ConfigError(source, merges);
  // The library's own guard (maxAliasCount, default 100) counts every use of an anchor, so 101
  // members sharing `regions: *std` would fail. Bound what matters instead, the expanded size, then
  // convert without the count (aliases become shared references, not copies). The guard throws once an
  // anchor's uses × the alias weight of its value (1 when it holds no alias) pass 100:
  // https://github.com/eemeli/yaml/blob/v2.9.1/src/nodes/Alias.ts (`toJS`, `getAliasCount`)
  if (expandedValues(doc, source, MAX_YAML_EXPANDED_VALUES) > MAX_YAML_EXPANDED_VALUES) {
    throw new ConfigError(source, [
      `YAML: aliases expand to more than ${MAX_YAML_EXPANDED_VALUES.toLocaleString('en-US')} values (an alias bomb?); an organization config needs far fewer`,
    ]);
  }
  return doc.toJS({ maxAliasCount: -1 });
}

/**
 * Parses JSON (`.json`) or YAML (`.yaml`/`.yml`) text. Syntax errors, duplicate keys, YAML merge
 * keys, alias bombs and nesting too deep to parse become a `ConfigError` with the position. A leading UTF-8 byte
 * order mark (some Windows editors write one) is ignored.
 */
export function parseConfigText(rawText: string, source: string): unknown {
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const ext = extname(source).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new ConfigError(source, [`file name: "${ext || '(none)'}" is not a supported config extension (allowed: .json, .yaml, .yml)`]);
  }
  const depth = nestingDepth(text);
  if (depth > MAX_NESTING_DEPTH) {
    throw new ConfigError(source, [`${ext === '.json' ? 'JSON' : 'YAML'}: brackets nested ${depth} deep; at most ${MAX_NESTING_DEPTH} are read (an organization config needs 5)`]);
  }
  try {
    if (ext !== '.json') return parseYamlConfig(text, source);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      if (err instanceof RangeError) throw err;
      const message = (err as Error).message;
      const position = /end of JSON input/.test(message) ? String(text.length) : /position (\d+)/.exec(message)?.[1];
      throw new ConfigError(source, [`${position ? lineAndColumn(text, Number(position)) : 'JSON'}: invalid JSON (${message})`]);
    }
    const duplicates = findDuplicateJsonKeys(text);
    if (duplicates.length > 0) {
      throw new ConfigError(
        source,
        duplicates.map(
          (d) => `${formatPath(d.path)}: is given twice (line ${d.line}, first at line ${d.firstLine}); a JSON parser keeps only the last, so remove or merge one`,
        ),
      );
    }
    return parsed;
  } catch (err) {
    // The parsers recurse: a file nested many thousands deep overflows their stack.
    if (err instanceof RangeError) throw new ConfigError(source, [`${ext === '.json' ? 'JSON' : 'YAML'}: nested too deeply to read (${err.message})`]);
    throw err;
  }
}

/**
 * The config file `ORG_CONFIG` names, or undefined when it is unset (the embedded example org).
 * Set but blank is an error, not the example: a variable emptied by mistake in a pipeline would
 * otherwise synthesize (and deploy) the example org. A relative path is resolved against `root`,
 * the repository root (main.ts passes its own folder): the same file whether the app runs from
 * `npm run synth`, `npx cdktf synth` or a test, wherever the shell was.
 */
export function orgConfigPath(value: string | undefined, root: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') {
    throw new ConfigError('ORG_CONFIG', [
      `ORG_CONFIG: ${JSON.stringify(value)} is set but blank; unset it to synthesize the example org, or name a JSON or YAML org config`,
    ]);
  }
  return resolve(root, value);
}

/**
 * Loads the config from `path` (JSON or YAML), or the embedded example org when `path` is
 * undefined. Throws `ConfigError` for every user mistake, including a missing file or a blank path.
 */
export function loadOrgConfig(path?: string): OrgConfig {
  const file = path === undefined ? EXAMPLE_CONFIG_PATH : orgConfigPath(path, process.cwd())!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [`file: cannot be read (${code ?? (err as Error).message}); set ORG_CONFIG to a JSON or YAML org config`]);
  }
  return parseOrgConfig(parseConfigText(text, file), file);
}
