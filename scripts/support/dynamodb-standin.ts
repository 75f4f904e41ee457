/**
 * In-memory stand-in for DynamoDB's UpdateItem and GetItem, for tests and benchmarks (never in the
 * Lambda bundle). It is a `{ send(command) }` the real `@aws-sdk/client-dynamodb` commands go
 * through, and it evaluates their expressions, not a fixed list of strings, with the semantics the
 * DynamoDB documentation gives:
 *
 * - Each UpdateItem is atomic: its condition is evaluated against the item as it is at that moment,
 *   and the update applied only if it holds; otherwise ConditionalCheckFailedException, carrying
 *   the item with ReturnValuesOnConditionCheckFailure ALL_OLD. UpdateItem creates an absent item
 *   (an "upsert"), the condition being evaluated against no attributes.
 *   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 * - Condition syntax: comparators = <> < <= > >=, AND, OR, NOT, parentheses, attribute_exists,
 *   attribute_not_exists, size (a map's size is its number of entries; a comparison of different
 *   types is false).
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
 * - Update syntax: SET path = value | if_not_exists(path, value); REMOVE path (removing an absent
 *   attribute does nothing). SET of a nested path whose parent map is absent fails with a
 *   ValidationException ("The document path provided in the update expression is invalid for update").
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
 * - An ExpressionAttributeNames/Values entry the expressions do not use is a ValidationException.
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeValues.html
 *
 * Only the subset of the grammar the handler uses is parsed; anything else throws (never a silent
 * misreading). `failNext(n, name)` scripts retryable failures (e.g. ProvisionedThroughputExceededException).
 * `listen()` also serves it over HTTP on 127.0.0.1 in DynamoDB's JSON 1.0 protocol (`X-Amz-Target:
 * DynamoDB_20120810.<Action>`; errors as `{ "__type", "message" }` with HTTP 400), for a bundle run
 * in a child process (AWS_ENDPOINT_URL_DYNAMODB).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html
 */
import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Item = Record<string, AttributeValue>;

class ValidationException extends Error {
  override readonly name = 'ValidationException';
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };
}

type Token = { kind: 'name' | 'value' | 'ident' | 'op' | 'punct'; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|=|<|>)|([(),.]))/y;
  const rest = expression.trim();
  let pos = 0;
  while (pos < rest.length) {
    re.lastIndex = pos;
    const m = re.exec(rest);
    if (!m) throw new ValidationException(`Invalid expression: syntax error near "${rest.slice(pos, pos + 20)}"`);
    pos = re.lastIndex;
    if (m[1]) tokens.push({ kind: 'name', text: m[1] });
    else if (m[2]) tokens.push({ kind: 'value', text: m[2] });
    else if (m[3]) tokens.push({ kind: 'ident', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'op', text: m[4] });
    else tokens.push({ kind: 'punct', text: m[5]! });
  }
  return tokens;
}

interface Ctx {
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
  usedNames: Set<string>;
  usedValues: Set<string>;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly ctx: Ctx,
  ) {}
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new ValidationException('Invalid expression: unexpected end');
    return t;
  }
  expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw new ValidationException(`Invalid expression: expected "${text}", got "${t.text}"`);
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
  isKeyword(word: string): boolean {
    const t = this.peek();
    return t?.kind === 'ident' && t.text.toUpperCase() === word;
  }
  /** path := segment ('.' segment)*, segment := #name | identifier */
  path(): string[] {
    const segments: string[] = [this.segment()];
    while (this.peek()?.text === '.') {
      this.next();
      segments.push(this.segment());
    }
    return segments;
  }
  private segment(): string {
    const t = this.next();
    if (t.kind === 'name') {
      const resolved = this.ctx.names[t.text];
      if (resolved === undefined) throw new ValidationException(`An expression attribute name used in the document path is not defined; attribute name: ${t.text}`);
      this.ctx.usedNames.add(t.text);
      return resolved;
    }
    if (t.kind === 'ident') return t.text;
    throw new ValidationException(`Invalid expression: expected a path, got "${t.text}"`);
  }
  value(): AttributeValue {
    const t = this.next();
    const v = this.ctx.values[t.text];
    if (t.kind !== 'value' || v === undefined) throw new ValidationException(`An expression attribute value used in expression is not defined; attribute value: ${t.text}`);
    this.ctx.usedValues.add(t.text);
    return v;
  }
}

const get = (item: Item, path: string[]): AttributeValue | undefined => {
  let current: AttributeValue | undefined = { M: item };
  for (const seg of path) current = current?.M?.[seg];
  return current;
};

function sizeOf(v: AttributeValue | undefined): AttributeValue | undefined {
  if (!v) return undefined;
  if (v.S !== undefined) return { N: String(v.S.length) };
  if (v.M !== undefined) return { N: String(Object.keys(v.M).length) };
  if (v.L !== undefined) return { N: String(v.L.length) };
  if (v.SS !== undefined) return { N: String(v.SS.length) };
  if (v.NS !== undefined) return { N: String(v.NS.length) };
  return undefined;
}

function compare(op: string, a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (!a || !b) return false;
  if (a.N !== undefined && b.N !== undefined) {
    const x = Number(a.N);
    const y = Number(b.N);
    return { '=': x === y, '<>': x !== y, '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y }[op]!;
  }
  if (a.S !== undefined && b.S !== undefined) {
    return { '=': a.S === b.S, '<>': a.S !== b.S, '<': a.S < b.S, '<=': a.S <= b.S, '>': a.S > b.S, '>=': a.S >= b.S }[op]!;
  }
  // Different types: only <> holds.
  return op === '<>' && JSON.stringify(a) !== JSON.stringify(b);
}

function condition(p: Parser, item: Item): boolean {
  const or = (): boolean => {
    let v = and();
    while (p.isKeyword('OR')) {
      p.next();
      const w = and();
      v = v || w;
    }
    return v;
  };
  const and = (): boolean => {
    let v = unary();
    while (p.isKeyword('AND')) {
      p.next();
      const w = unary();
      v = v && w;
    }
    return v;
  };
  const operand = (): AttributeValue | undefined => {
    const t = p.peek();
    if (t?.kind === 'value') return p.value();
    if (t?.kind === 'ident' && t.text === 'size') {
      p.next();
      p.expect('(');
      const path = p.path();
      p.expect(')');
      return sizeOf(get(item, path));
    }
    return get(item, p.path());
  };
  const unary = (): boolean => {
    if (p.isKeyword('NOT')) {
      p.next();
      return !unary();
    }
    const t = p.peek();
    if (t?.text === '(') {
      p.next();
      const v = or();
      p.expect(')');
      return v;
    }
    if (t?.kind === 'ident' && (t.text === 'attribute_exists' || t.text === 'attribute_not_exists')) {
      p.next();
      p.expect('(');
      const exists = get(item, p.path()) !== undefined;
      p.expect(')');
      return t.text === 'attribute_exists' ? exists : !exists;
    }
    const left = operand();
    const op = p.next();
    if (op.kind !== 'op') throw new ValidationException(`Invalid ConditionExpression: expected a comparator, got "${op.text}"`);
    return compare(op.text, left, operand());
  };
  const v = or();
  if (!p.done()) throw new ValidationException(`Invalid ConditionExpression: unexpected "${p.peek()!.text}"`);
  return v;
}

/** Parses the update expression; the returned function applies it (only once the condition held). */
function parseUpdate(p: Parser, item: Item): () => void {
  const actions: Array<() => void> = [];
  while (!p.done()) {
    const clause = p.next();
    const word = clause.text.toUpperCase();
    if (clause.kind !== 'ident' || (word !== 'SET' && word !== 'REMOVE')) throw new ValidationException(`Invalid UpdateExpression: unsupported clause "${clause.text}"`);
    do {
      if (p.peek()?.text === ',') p.next();
      const path = p.path();
      if (word === 'SET') {
        p.expect('=');
        let value: () => AttributeValue;
        const t = p.peek();
        if (t?.kind === 'ident' && t.text === 'if_not_exists') {
          p.next();
          p.expect('(');
          const probe = p.path();
          p.expect(',');
          const fallback = p.value();
          p.expect(')');
          value = () => get(item, probe) ?? fallback;
        } else {
          const v = p.value();
          value = () => v;
        }
        actions.push(() => {
          const parent = path.length === 1 ? { M: item } : get(item, path.slice(0, -1));
          if (!parent?.M) throw new ValidationException('The document path provided in the update expression is invalid for update');
          parent.M[path.at(-1)!] = structuredClone(value());
        });
      } else {
        actions.push(() => {
          const parent = path.length === 1 ? { M: item } : get(item, path.slice(0, -1));
          if (parent?.M) delete parent.M[path.at(-1)!];
        });
      }
    } while (p.peek()?.text === ',');
  }
  return () => {
    for (const a of actions) a();
  };
}

export class DynamoDbStandin {
  readonly tables = new Map<string, Map<string, Item>>();
  readonly requests: Array<{ action: string; input: unknown; outcome: 'ok' | 'conditional-check-failed' | 'error' }> = [];
  private readonly faults: string[] = [];

  /** The next `count` requests fail with `name` (a retryable 400/500 such as ProvisionedThroughputExceededException). */
  failNext(count: number, name = 'ProvisionedThroughputExceededException'): void {
    for (let i = 0; i < count; i++) this.faults.push(name);
  }

  private server?: Server;

  /** Serves the stand-in over HTTP; resolves to its URL. */
  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const action = String(req.headers['x-amz-target'] ?? '').replace('DynamoDB_20120810.', '');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as never;
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(payload));
        };
        try {
          const command = action === 'UpdateItem' ? new UpdateItemCommand(body) : action === 'GetItem' ? new GetItemCommand(body) : undefined;
          if (!command) return reply(400, { __type: 'com.amazonaws.dynamodb.v20120810#UnknownOperationException', message: action });
          const { $metadata: _m, ...out } = this.handle(command);
          reply(200, out);
        } catch (error) {
          const e = error as Error & { Item?: Item };
          reply(e.name.startsWith('Internal') ? 500 : 400, { __type: `com.amazonaws.dynamodb.v20120810#${e.name}`, message: e.message, ...(e.Item ? { Item: e.Item } : {}) });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  item(table: string, key: string): Item | undefined {
    return this.tables.get(table)?.get(key);
  }

  /** A `{ send }` for createSlotStore. Everything is synchronous inside: each request is atomic. */
  readonly client = {
    send: async (command: unknown): Promise<Record<string, unknown>> => {
      await Promise.resolve();
      return this.handle(command);
    },
  };

  handle(command: unknown): Record<string, unknown> {
    const fault = this.faults.shift();
    if (fault) {
      const error = Object.assign(new Error(`${fault} (stand-in)`), { name: fault, $fault: fault.startsWith('Internal') ? 'server' : 'client', $metadata: { httpStatusCode: 400 } });
      this.requests.push({ action: String((command as { constructor: { name: string } }).constructor.name), input: (command as { input: unknown }).input, outcome: 'error' });
      throw error;
    }
    if (command instanceof GetItemCommand) {
      const { TableName, Key } = command.input;
      const item = this.tables.get(TableName!)?.get(JSON.stringify(Key));
      this.requests.push({ action: 'GetItem', input: command.input, outcome: 'ok' });
      return item ? { Item: structuredClone(item) } : {};
    }
    if (!(command instanceof UpdateItemCommand)) throw new Error(`DynamoDB stand-in: unsupported command ${String(command)}`);
    const input = command.input;
    const table = this.tables.get(input.TableName!) ?? this.tables.set(input.TableName!, new Map()).get(input.TableName!)!;
    const key = JSON.stringify(input.Key);
    const existing = table.get(key);
    const ctx: Ctx = { names: input.ExpressionAttributeNames ?? {}, values: input.ExpressionAttributeValues ?? {}, usedNames: new Set(), usedValues: new Set() };
    const current: Item = existing ? structuredClone(existing) : structuredClone(input.Key!);
    const conditionHolds = input.ConditionExpression ? condition(new Parser(tokenize(input.ConditionExpression), ctx), existing ?? {}) : true;
    const updated = structuredClone(current);
    const apply = parseUpdate(new Parser(tokenize(input.UpdateExpression ?? ''), ctx), updated);
    for (const n of Object.keys(ctx.names)) if (!ctx.usedNames.has(n)) throw new ValidationException(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${n}}`);
    for (const v of Object.keys(ctx.values)) if (!ctx.usedValues.has(v)) throw new ValidationException(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${v}}`);
    if (!conditionHolds) {
      this.requests.push({ action: 'UpdateItem', input, outcome: 'conditional-check-failed' });
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400 },
        ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && existing ? { Item: structuredClone(existing) } : {}),
      });
    }
    apply();
    table.set(key, updated);
    this.requests.push({ action: 'UpdateItem', input, outcome: 'ok' });
    return { $metadata: { httpStatusCode: 200 } };
  }
}
