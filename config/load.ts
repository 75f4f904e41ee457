/**
 * Reads and validates the organization config. With `main.ts`, the only code that touches files
 * or the environment; everything downstream receives a validated, typed `OrgConfig`.
 */
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
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

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
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

/** Parses JSON (`.json`) or YAML (`.yaml`/`.yml`) text; syntax errors become a `ConfigError` with the position. */
export function parseConfigText(text: string, source: string): unknown {
  const ext = extname(source).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') {
    try {
      return parseYaml(text);
    } catch (err) {
      if (err instanceof YAMLParseError) {
        const pos = err.linePos?.[0];
        throw new ConfigError(source, [`${pos ? `line ${pos.line}, column ${pos.col}` : 'YAML'}: ${err.message.split('\n')[0]}`]);
      }
      throw err;
    }
  }
  if (ext !== '.json') {
    throw new ConfigError(source, [`file name: "${ext || '(none)'}" is not a supported config extension (allowed: .json, .yaml, .yml)`]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const position = /end of JSON input/.test(message) ? String(text.length) : /position (\d+)/.exec(message)?.[1];
    throw new ConfigError(source, [`${position ? lineAndColumn(text, Number(position)) : 'JSON'}: invalid JSON (${message})`]);
  }
}

/**
 * Loads the config from `path` (JSON or YAML), or the embedded example org when `path` is
 * undefined or empty. Throws `ConfigError` for every user mistake, including a missing file.
 */
export function loadOrgConfig(path?: string): OrgConfig {
  const file = path && path.trim() !== '' ? path : EXAMPLE_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [`file: cannot be read (${code ?? (err as Error).message}); set ORG_CONFIG to a JSON or YAML org config`]);
  }
  return parseOrgConfig(parseConfigText(text, file), file);
}
