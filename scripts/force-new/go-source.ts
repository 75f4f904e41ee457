/**
 * Just enough Go to read the AWS provider's schema declarations: a tokenizer, composite literals
 * (`&schema.Schema{ ... }`, `map[string]*schema.Schema{ ... }`), calls and function literals.
 * Function bodies are kept as token ranges; only their top-level `return` expressions are read.
 * No general Go parser runs on this machine (no Go toolchain), and the declarations this reads
 * are regular: a construct it does not understand is an error, never a silent skip.
 */

export interface Token {
  readonly kind: 'ident' | 'string' | 'number' | 'char' | 'punct';
  readonly text: string;
  /** 1-based line in the file. */
  readonly line: number;
  /** A newline separates this token from the previous one (Go's automatic semicolons). */
  readonly newlineBefore: boolean;
}

const PUNCT = ['...', '&&', '||', '==', '!=', '<=', '>=', ':=', '<-', '++', '--', '+=', '-=', '*=', '/=', '|=', '&=', '<<', '>>', '&^'];

/** Go tokens of `text` (comments dropped). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let newline = false;
  const push = (kind: Token['kind'], t: string) => {
    tokens.push({ kind, text: t, line, newlineBefore: newline });
    newline = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      newline = true;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const body = text.slice(i, end + 2);
      line += body.split('\n').length - 1;
      if (body.includes('\n')) newline = true;
      i = end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      push(c === '"' ? 'string' : 'char', text.slice(i, j + 1));
      i = j + 1;
    } else if (c === '`') {
      const j = text.indexOf('`', i + 1);
      const raw = text.slice(i, j + 1);
      push('string', raw);
      line += raw.split('\n').length - 1;
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 200))!;
      push('ident', m[0]);
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9][0-9a-fA-FxX._]*/.exec(text.slice(i, i + 100))!;
      push('number', m[0]);
      i += m[0].length;
    } else {
      const p = PUNCT.find((op) => text.startsWith(op, i)) ?? c;
      push('punct', p);
      i += p.length;
    }
  }
  return tokens;
}

/** The value of a Go string literal token. */
export function stringValue(token: Token): string {
  if (token.text.startsWith('`')) return token.text.slice(1, -1);
  return JSON.parse(token.text) as string;
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Index of the bracket closing the one at `open`. */
export function closing(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!.text;
    if (tokens[i]!.kind !== 'punct') continue;
    if (t in OPEN) depth++;
    else if (t === ')' || t === ']' || t === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`unbalanced ${tokens[open]!.text} at line ${tokens[open]!.line}`);
}

/** Splits `tokens[from, to)` at depth-0 occurrences of `sep`. */
export function splitTop(tokens: readonly Token[], from: number, to: number, sep: string): Array<[number, number]> {
  const parts: Array<[number, number]> = [];
  let start = from;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text in OPEN) {
      i = closing(tokens, i);
      continue;
    }
    if (t.kind === 'punct' && t.text === sep) {
      parts.push([start, i]);
      start = i + 1;
    }
  }
  if (start < to) parts.push([start, to]);
  return parts;
}

interface Span {
  readonly line: number;
  /** Token range `[from, to)` of the expression. */
  readonly span: readonly [number, number];
}

export type Node =
  | ({ readonly kind: 'composite'; readonly type: string; readonly elements: readonly Element[] } & Span)
  | ({ readonly kind: 'call'; readonly callee: Node; readonly args: readonly Node[] } & Span)
  | ({ readonly kind: 'func'; readonly body: readonly [number, number]; readonly tokens: readonly Token[] } & Span)
  | ({ readonly kind: 'name'; readonly name: string } & Span)
  | ({ readonly kind: 'string'; readonly value: string } & Span)
  | ({ readonly kind: 'other'; readonly text: string } & Span);

export interface Element {
  readonly key?: Node;
  readonly value: Node;
  readonly line: number;
}

const text = (tokens: readonly Token[], from: number, to: number) => tokens.slice(from, to).map((t) => t.text).join('');

/** Parses the expression `tokens[from, to)`. */
export function parseExpr(tokens: readonly Token[], from: number, to: number): Node {
  while (from < to && tokens[from]!.text === '&') from++;
  const first = tokens[from];
  if (!first) throw new Error('empty expression');
  const line = first.line;
  const span = [from, to] as const;
  const last = tokens[to - 1]!;
  if (first.kind === 'ident' && first.text === 'func') {
    // func(params) results { body } — optionally called right away: func(){...}()
    const paramsEnd = closing(tokens, from + 1);
    let bodyOpen = paramsEnd + 1;
    while (bodyOpen < to && tokens[bodyOpen]!.text !== '{') bodyOpen = tokens[bodyOpen]!.text in OPEN ? closing(tokens, bodyOpen) + 1 : bodyOpen + 1;
    const bodyClose = closing(tokens, bodyOpen);
    const fn: Node = { kind: 'func', body: [bodyOpen + 1, bodyClose], tokens, line, span: [from, bodyClose + 1] };
    if (bodyClose === to - 1) return fn;
    if (tokens[bodyClose + 1]!.text === '(' && closing(tokens, bodyClose + 1) === to - 1) return { kind: 'call', callee: fn, args: parseList(tokens, bodyClose + 2, to - 1), line, span };
    return { kind: 'other', text: text(tokens, from, to), line, span };
  }
  if (to - from === 1 && first.kind === 'string') return { kind: 'string', value: stringValue(first), line, span };
  if (last.kind === 'punct' && (last.text === '}' || last.text === ')')) {
    // The group that ends the expression: a composite literal's braces or a call's parentheses.
    let open = from;
    for (let i = from; i < to; i++) {
      if (tokens[i]!.kind === 'punct' && tokens[i]!.text in OPEN) {
        const close = closing(tokens, i);
        if (close === to - 1) {
          open = i;
          break;
        }
        i = close;
      }
    }
    if (last.text === '}') return { kind: 'composite', type: text(tokens, from, open), elements: parseElements(tokens, open + 1, to - 1), line, span };
    if (open > from) return { kind: 'call', callee: parseExpr(tokens, from, open), args: parseList(tokens, open + 1, to - 1), line, span };
  }
  if (tokens.slice(from, to).every((t, i) => (i % 2 === 0 ? t.kind === 'ident' : t.text === '.'))) return { kind: 'name', name: text(tokens, from, to), line, span };
  return { kind: 'other', text: text(tokens, from, to), line, span };
}

function parseList(tokens: readonly Token[], from: number, to: number): Node[] {
  return splitTop(tokens, from, to, ',').filter(([a, b]) => b > a).map(([a, b]) => parseExpr(tokens, a, b));
}

/** The elements of a composite literal's braces, `key: value` or `value`. */
export function parseElements(tokens: readonly Token[], from: number, to: number): Element[] {
  return splitTop(tokens, from, to, ',')
    .filter(([a, b]) => b > a)
    .map(([a, b]) => {
      const colon = splitTop(tokens, a, b, ':');
      if (colon.length === 2) return { key: parseExpr(tokens, colon[0]![0], colon[0]![1]), value: parseExpr(tokens, colon[1]![0], colon[1]![1]), line: tokens[a]!.line };
      return { value: parseExpr(tokens, a, b), line: tokens[a]!.line };
    });
}

/**
 * The expressions of the `return` statements at the top level of a function body (not those of
 * nested function literals or blocks).
 */
export function topLevelReturns(tokens: readonly Token[], body: readonly [number, number]): Node[] {
  const out: Node[] = [];
  for (let i = body[0]; i < body[1]; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text in OPEN) {
      i = closing(tokens, i);
      continue;
    }
    if (t.kind !== 'ident' || t.text !== 'return') continue;
    // The statement ends at a newline or `;` outside brackets.
    let j = i + 1;
    while (j < body[1] && !(j > i + 1 && tokens[j]!.newlineBefore) && tokens[j]!.text !== ';') j = tokens[j]!.text in OPEN ? closing(tokens, j) + 1 : j + 1;
    if (j > i + 1) out.push(parseExpr(tokens, i + 1, j));
    i = j - 1;
  }
  return out;
}

/** Every call in `tokens[from, to)` (any depth) whose callee text ends with one of `names`. */
export function callsIn(tokens: readonly Token[], from: number, to: number, names: readonly string[]): Array<{ callee: string; args: Node[]; line: number; end: number }> {
  const out: Array<{ callee: string; args: Node[]; line: number; end: number }> = [];
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'ident' || !names.includes(t.text) || tokens[i + 1]?.text !== '(') continue;
    let start = i;
    while (start - 2 >= from && tokens[start - 1]!.text === '.' && tokens[start - 2]!.kind === 'ident') start -= 2;
    const close = closing(tokens, i + 1);
    out.push({ callee: text(tokens, start, i + 1), args: parseList(tokens, i + 2, close), line: t.line, end: close });
  }
  return out;
}

/** A Go file as the index stores it: its import aliases and its tokens. */
export interface GoFile {
  readonly path: string;
  readonly tokens: readonly Token[];
  /** Import alias (or last path element) -> import path. */
  readonly imports: ReadonlyMap<string, string>;
}

export function parseGoFile(path: string, source: string): GoFile {
  const tokens = tokenize(source);
  const imports = new Map<string, string>();
  for (const m of source.matchAll(/^\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s+)?"([^"]+)"\s*$/gm)) {
    const [, alias, importPath] = m;
    const last = importPath!.split('/').pop()!;
    imports.set(alias ?? (/^v\d+$/.test(last) ? importPath!.split('/').slice(-2)[0]! : last), importPath!);
  }
  return { path, tokens, imports };
}

/** The token index just after `func [recv] name(` ... the body's `{`, for a declaration in `file`. */
export function funcDeclBody(file: GoFile, name: string): [number, number] {
  const t = file.tokens;
  for (let i = 0; i < t.length; i++) {
    if (t[i]!.text !== 'func') continue;
    let j = i + 1;
    if (t[j]!.text === '(') j = closing(t, j) + 1; // method receiver
    if (t[j]!.text !== name) continue;
    j++;
    if (t[j]!.text === '[') j = closing(t, j) + 1; // type parameters
    if (t[j]!.text !== '(') continue;
    j = closing(t, j) + 1;
    while (t[j]!.text !== '{') j = t[j]!.text in OPEN ? closing(t, j) + 1 : j + 1;
    return [j + 1, closing(t, j)];
  }
  throw new Error(`${file.path}: no func ${name}`);
}

/** The expression assigned to `name` in a `var` declaration of `file`. */
export function varValue(file: GoFile, name: string): Node {
  const t = file.tokens;
  for (let i = 0; i < t.length - 1; i++) {
    if (t[i]!.text !== name || t[i + 1]!.text !== '=') continue;
    let j = i + 2;
    while (j < t.length && !(j > i + 2 && t[j]!.newlineBefore)) j = t[j]!.text in OPEN ? closing(t, j) + 1 : j + 1;
    return parseExpr(t, i + 2, j);
  }
  throw new Error(`${file.path}: no var ${name}`);
}
