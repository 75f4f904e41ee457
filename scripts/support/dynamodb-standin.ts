/**
 * In-memory stand-in for DynamoDB's UpdateItem and GetItem (and, on tables with a schema, PutItem,
 * DeleteItem, Query and BatchGetItem: see DynamoDbStandin), for tests and benchmarks (never in the
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
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
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

/** A table's keys and its global secondary indexes (the stand-in needs them for Query, PutItem, BatchGetItem). */
export interface TableSchema {
  partitionKey: string;
  sortKey?: string;
  indexes?: Readonly<Record<string, { partitionKey: string; sortKey?: string; projection: 'KEYS_ONLY' | 'INCLUDE' | 'ALL'; nonKeyAttributes?: readonly string[] }>>;
}

type Index = NonNullable<TableSchema['indexes']>[string];

/** Key attribute order: DynamoDB compares S by UTF-8 bytes (ASCII here), N numerically. */
function compareValues(a: AttributeValue | undefined, b: AttributeValue | undefined): number {
  if (a?.N !== undefined && b?.N !== undefined) return Number(a.N) - Number(b.N);
  const x = a?.S ?? '';
  const y = b?.S ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function checkUsed(ctx: Ctx): void {
  for (const n of Object.keys(ctx.names)) if (!ctx.usedNames.has(n)) throw new ValidationException(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${n}}`);
  for (const v of Object.keys(ctx.values)) if (!ctx.usedValues.has(v)) throw new ValidationException(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${v}}`);
}

/**
 * A key condition: `pk = :v` and optionally `AND sk <op> :v` (= < <= > >=) or `AND begins_with(sk, :v)`,
 * on the key attributes of the table or index only ("Query key condition not supported" otherwise).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html
 */
function keyCondition(expression: string, ctx: Ctx, keys: { partitionKey: string; sortKey?: string }): (item: Item) => boolean {
  const p = new Parser(tokenize(expression), ctx);
  const parts: Array<(item: Item) => boolean> = [];
  const seen = new Set<string>();
  do {
    if (parts.length > 0) p.next(); // AND
    if (p.peek()?.kind === 'ident' && p.peek()!.text === 'begins_with') {
      p.next();
      p.expect('(');
      const [attribute] = p.path();
      p.expect(',');
      const prefix = p.value();
      p.expect(')');
      if (attribute !== keys.sortKey) throw new ValidationException(`Query key condition not supported: begins_with on ${attribute}`);
      seen.add(attribute);
      parts.push((item) => (item[attribute]?.S ?? '').startsWith(prefix.S ?? '\u0000'));
      continue;
    }
    const [attribute] = p.path();
    const op = p.next();
    const value = p.value();
    if (attribute !== keys.partitionKey && attribute !== keys.sortKey) throw new ValidationException(`Query condition missed key schema element: ${attribute} is not a key attribute`);
    if (attribute === keys.partitionKey && op.text !== '=') throw new ValidationException('Query key condition not supported: the partition key takes =');
    seen.add(attribute!);
    parts.push((item) => compare(op.text, item[attribute!], value));
  } while (p.isKeyword('AND'));
  if (!p.done()) throw new ValidationException(`Invalid KeyConditionExpression: unexpected "${p.peek()!.text}"`);
  if (!seen.has(keys.partitionKey)) throw new ValidationException(`Query condition missed key schema element: ${keys.partitionKey}`);
  return (item) => parts.every((f) => f(item));
}

/** Attributes named by a ProjectionExpression of top-level paths (`#a, b`). */
function projection(expression: string | undefined, ctx: Ctx): ((item: Item) => Item) | undefined {
  if (expression === undefined) return undefined;
  const p = new Parser(tokenize(expression), ctx);
  const attributes: string[] = [];
  do {
    if (attributes.length > 0) p.expect(',');
    const path = p.path();
    if (path.length !== 1) throw new ValidationException('stand-in: only top-level attributes in ProjectionExpression');
    attributes.push(path[0]!);
  } while (!p.done());
  return (item) => Object.fromEntries(attributes.filter((a) => item[a] !== undefined).map((a) => [a, structuredClone(item[a]!)]));
}

/**
 * In-memory DynamoDB: UpdateItem and GetItem on any table; PutItem, DeleteItem, Query and
 * BatchGetItem on tables given a schema (`defineTable`), with these documented semantics:
 * - PutItem replaces the whole item; its ConditionExpression is evaluated against the item as it is
 *   (`attribute_not_exists(<key>)` prevents an overwrite), failing with ConditionalCheckFailedException.
 *   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
 * - DeleteItem of an absent item succeeds. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html
 * - Query returns the items of one partition in sort-key order; on a global secondary index, only
 *   items that have the index's key attributes (a sparse index), with the index's projection (table
 *   and index keys, plus INCLUDE's attributes); ConsistentRead on a global secondary index is a
 *   ValidationException; `Limit` items a page, then LastEvaluatedKey (the table and index keys of
 *   the last item), which ExclusiveStartKey continues from; `pageSize` stands for the 1 MB page limit.
 *   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html
 * - BatchGetItem: at most 100 keys, no duplicate key (ValidationException), the found items in any
 *   order, and keys it did not process in UnprocessedKeys (scripted with `leaveUnprocessed`).
 *   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
 */
export class DynamoDbStandin {
  readonly tables = new Map<string, Map<string, Item>>();
  readonly schemas = new Map<string, TableSchema>();
  readonly requests: Array<{ action: string; input: unknown; outcome: 'ok' | 'conditional-check-failed' | 'error' }> = [];
  private readonly faults: string[] = [];
  private readonly faultsOn = new Map<string, string[]>();
  private unprocessed = 0;

  /** @param pageSize items per Query page at most (the 1 MB limit, made small). */
  constructor(private readonly options: { pageSize?: number } = {}) {}

  /** The next `count` requests fail with `name` (a retryable 400/500 such as ProvisionedThroughputExceededException). */
  failNext(count: number, name = 'ProvisionedThroughputExceededException'): void {
    for (let i = 0; i < count; i++) this.faults.push(name);
  }

  /** The next `count` requests of `action` (e.g. PutItem) fail with `name`; other actions go through. */
  failNextOn(action: string, count: number, name = 'ProvisionedThroughputExceededException'): void {
    const queue = this.faultsOn.get(action) ?? [];
    for (let i = 0; i < count; i++) queue.push(name);
    this.faultsOn.set(action, queue);
  }

  /** The next BatchGetItem leaves its first `count` keys unprocessed (UnprocessedKeys). */
  leaveUnprocessed(count: number): void {
    this.unprocessed = count;
  }

  /** Declares a table's keys and indexes (needed by PutItem, DeleteItem, Query, BatchGetItem). */
  defineTable(name: string, schema: TableSchema): this {
    this.schemas.set(name, schema);
    if (!this.tables.has(name)) this.tables.set(name, new Map());
    return this;
  }

  private server?: Server;

  /** Serves the stand-in over HTTP; resolves to its URL. */
  async listen(): Promise<string> {
    const commands: Record<string, new (input: never) => unknown> = {
      UpdateItem: UpdateItemCommand,
      GetItem: GetItemCommand,
      PutItem: PutItemCommand,
      DeleteItem: DeleteItemCommand,
      Query: QueryCommand,
      BatchGetItem: BatchGetItemCommand,
    };
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
          const Command = commands[action];
          if (!Command) return reply(400, { __type: 'com.amazonaws.dynamodb.v20120810#UnknownOperationException', message: action });
          const { $metadata: _m, ...out } = this.handle(new Command(body));
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

  /** Every item of a table (a copy). */
  items(table: string): Item[] {
    return [...(this.tables.get(table)?.values() ?? [])].map((i) => structuredClone(i));
  }

  /** A `{ send }` for createSlotStore and createLedgerStore. Everything is synchronous inside: each request is atomic. */
  readonly client = {
    send: async (command: unknown): Promise<Record<string, unknown>> => {
      await Promise.resolve();
      return this.handle(command);
    },
  };

  private table(name: string | undefined): Map<string, Item> {
    if (name === undefined) throw new ValidationException('TableName is required');
    return this.tables.get(name) ?? this.tables.set(name, new Map()).get(name)!;
  }

  private schema(name: string | undefined, action: string): TableSchema {
    const schema = name === undefined ? undefined : this.schemas.get(name);
    if (!schema) throw new Error(`DynamoDB stand-in: ${action} on table ${String(name)} needs defineTable first`);
    return schema;
  }

  /** The storage key of `Key` (or of an item): its key attributes in schema order; without a schema, the Key as given. */
  private storageKey(tableName: string, key: Item): string {
    const schema = this.schemas.get(tableName);
    if (!schema) return JSON.stringify(key);
    const names = [schema.partitionKey, ...(schema.sortKey ? [schema.sortKey] : [])];
    for (const n of names) if (key[n] === undefined) throw new ValidationException('The provided key element does not match the schema');
    return JSON.stringify(Object.fromEntries(names.map((n) => [n, key[n]])));
  }

  handle(command: unknown): Record<string, unknown> {
    const action = String((command as { constructor: { name: string } }).constructor.name).replace(/Command$/, '');
    const fault = this.faults.shift() ?? this.faultsOn.get(action)?.shift();
    if (fault) {
      const error = Object.assign(new Error(`${fault} (stand-in)`), { name: fault, $fault: fault.startsWith('Internal') ? 'server' : 'client', $metadata: { httpStatusCode: 400 } });
      this.requests.push({ action, input: (command as { input: unknown }).input, outcome: 'error' });
      throw error;
    }
    if (command instanceof GetItemCommand) {
      const { TableName, Key } = command.input;
      const item = this.tables.get(TableName!)?.get(this.storageKey(TableName!, Key!));
      this.requests.push({ action: 'GetItem', input: command.input, outcome: 'ok' });
      return item ? { Item: structuredClone(item) } : {};
    }
    if (command instanceof UpdateItemCommand) return this.updateItem(command);
    if (command instanceof PutItemCommand) return this.putItem(command);
    if (command instanceof DeleteItemCommand) return this.deleteItem(command);
    if (command instanceof QueryCommand) return this.query(command);
    if (command instanceof BatchGetItemCommand) return this.batchGetItem(command);
    throw new Error(`DynamoDB stand-in: unsupported command ${String(command)}`);
  }

  private conditionFailed(action: string, input: unknown, existing: Item | undefined, returnOld: boolean): never {
    this.requests.push({ action, input, outcome: 'conditional-check-failed' });
    throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 }, ...(returnOld && existing ? { Item: structuredClone(existing) } : {}) });
  }

  private updateItem(command: UpdateItemCommand): Record<string, unknown> {
    const input = command.input;
    const table = this.table(input.TableName);
    const key = this.storageKey(input.TableName!, input.Key!);
    const existing = table.get(key);
    const ctx: Ctx = { names: input.ExpressionAttributeNames ?? {}, values: input.ExpressionAttributeValues ?? {}, usedNames: new Set(), usedValues: new Set() };
    const current: Item = existing ? structuredClone(existing) : structuredClone(input.Key!);
    const conditionHolds = input.ConditionExpression ? condition(new Parser(tokenize(input.ConditionExpression), ctx), existing ?? {}) : true;
    const updated = structuredClone(current);
    const apply = parseUpdate(new Parser(tokenize(input.UpdateExpression ?? ''), ctx), updated);
    checkUsed(ctx);
    if (!conditionHolds) this.conditionFailed('UpdateItem', input, existing, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
    apply();
    table.set(key, updated);
    this.requests.push({ action: 'UpdateItem', input, outcome: 'ok' });
    return { $metadata: { httpStatusCode: 200 } };
  }

  private putItem(command: PutItemCommand): Record<string, unknown> {
    const input = command.input;
    this.schema(input.TableName, 'PutItem');
    const table = this.table(input.TableName);
    const key = this.storageKey(input.TableName!, input.Item ?? {});
    const existing = table.get(key);
    const ctx: Ctx = { names: input.ExpressionAttributeNames ?? {}, values: input.ExpressionAttributeValues ?? {}, usedNames: new Set(), usedValues: new Set() };
    const conditionHolds = input.ConditionExpression ? condition(new Parser(tokenize(input.ConditionExpression), ctx), existing ?? {}) : true;
    checkUsed(ctx);
    if (!conditionHolds) this.conditionFailed('PutItem', input, existing, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
    table.set(key, structuredClone(input.Item!));
    this.requests.push({ action: 'PutItem', input, outcome: 'ok' });
    return { $metadata: { httpStatusCode: 200 } };
  }

  private deleteItem(command: DeleteItemCommand): Record<string, unknown> {
    const input = command.input;
    this.schema(input.TableName, 'DeleteItem');
    if (input.ConditionExpression !== undefined) throw new Error('DynamoDB stand-in: DeleteItem conditions are not modelled');
    this.table(input.TableName).delete(this.storageKey(input.TableName!, input.Key!));
    this.requests.push({ action: 'DeleteItem', input, outcome: 'ok' });
    return { $metadata: { httpStatusCode: 200 } };
  }

  private query(command: QueryCommand): Record<string, unknown> {
    const input = command.input;
    const schema = this.schema(input.TableName, 'Query');
    let index: Index | undefined;
    if (input.IndexName !== undefined) {
      index = schema.indexes?.[input.IndexName];
      if (!index) throw new ValidationException(`The table does not have the specified index: ${input.IndexName}`);
      if (input.ConsistentRead) throw new ValidationException('Consistent reads are not supported on global secondary indexes');
    }
    if (input.ProjectionExpression !== undefined || input.FilterExpression !== undefined) throw new Error('DynamoDB stand-in: Query ProjectionExpression/FilterExpression are not modelled');
    const keys = index ?? schema;
    const ctx: Ctx = { names: input.ExpressionAttributeNames ?? {}, values: input.ExpressionAttributeValues ?? {}, usedNames: new Set(), usedValues: new Set() };
    const matches = keyCondition(input.KeyConditionExpression ?? '', ctx, keys);
    checkUsed(ctx);
    const tableKeys = [schema.partitionKey, ...(schema.sortKey ? [schema.sortKey] : [])];
    const indexKeys = [keys.partitionKey, ...(keys.sortKey ? [keys.sortKey] : [])];
    // Order: the index's (or table's) sort key, then the table's keys (items of equal index keys).
    const order = (a: Item, b: Item): number => (keys.sortKey ? compareValues(a[keys.sortKey], b[keys.sortKey]) : 0) || tableKeys.reduce((r, k) => r || compareValues(a[k], b[k]), 0);
    const ordered = [...this.table(input.TableName).values()].filter((item) => indexKeys.every((k) => item[k] !== undefined) && matches(item)).sort(order);
    // ExclusiveStartKey is a position, not an item: the next page starts after it even if that item is gone.
    const start = input.ExclusiveStartKey;
    const after = start ? ordered.findIndex((item) => order(item, start) > 0) : 0;
    const from = after === -1 ? ordered.length : after;
    const limit = Math.min(input.Limit ?? Infinity, this.options.pageSize ?? Infinity);
    const page = ordered.slice(from, from + limit);
    const shown = (item: Item): Item => {
      if (!index || index.projection === 'ALL') return structuredClone(item);
      const attributes = new Set([...tableKeys, ...indexKeys, ...(index.projection === 'INCLUDE' ? (index.nonKeyAttributes ?? []) : [])]);
      return Object.fromEntries(Object.entries(item).filter(([k]) => attributes.has(k)).map(([k, v]) => [k, structuredClone(v)]));
    };
    const last = page.at(-1);
    this.requests.push({ action: 'Query', input, outcome: 'ok' });
    return {
      Items: page.map(shown),
      Count: page.length,
      // Returned whenever the page is full: the next page may be empty.
      ...(last && page.length === limit ? { LastEvaluatedKey: Object.fromEntries([...new Set([...tableKeys, ...indexKeys])].map((k) => [k, structuredClone(last[k]!)])) } : {}),
      $metadata: { httpStatusCode: 200 },
    };
  }

  private batchGetItem(command: BatchGetItemCommand): Record<string, unknown> {
    const input = command.input;
    const requests = Object.entries(input.RequestItems ?? {});
    const total = requests.reduce((n, [, r]) => n + (r.Keys?.length ?? 0), 0);
    if (total > 100) throw new ValidationException('Too many items requested for the BatchGetItem call');
    const Responses: Record<string, Item[]> = {};
    const UnprocessedKeys: Record<string, { Keys: Item[] }> = {};
    let leave = this.unprocessed;
    this.unprocessed = 0;
    for (const [name, request] of requests) {
      this.schema(name, 'BatchGetItem');
      const storage = (request.Keys ?? []).map((k) => this.storageKey(name, k));
      if (new Set(storage).size !== storage.length) throw new ValidationException('Provided list of item keys contains duplicates');
      const ctx: Ctx = { names: request.ExpressionAttributeNames ?? {}, values: {}, usedNames: new Set(), usedValues: new Set() };
      const project = projection(request.ProjectionExpression, ctx);
      checkUsed(ctx);
      Responses[name] = [];
      (request.Keys ?? []).forEach((k, i) => {
        if (leave > 0) {
          leave--;
          (UnprocessedKeys[name] ??= { Keys: [] }).Keys.push(structuredClone(k));
          return;
        }
        const item = this.table(name).get(storage[i]!);
        if (item) Responses[name]!.push(project ? project(item) : structuredClone(item));
      });
    }
    this.requests.push({ action: 'BatchGetItem', input, outcome: 'ok' });
    return { Responses, UnprocessedKeys, $metadata: { httpStatusCode: 200 } };
  }
}
