/**
 * Which changes make Terraform replace a resource (destroy, then create), from the provider's
 * own schemas: the generated table `force-new-table.ts` (scripts/force-new/generate.ts reads it
 * from hashicorp/aws 6.25.0's source), and what a replacement or a destroy takes with it.
 *
 * A changed argument counts when its literal value changed, or when it refers to a value that
 * changes at plan time (`${aws_cloudwatch_event_bus.bus.name}` after the bus was renamed; any
 * computed attribute, such as `arn`, of a resource that is replaced): Terraform then plans the
 * new value, and a ForceNew argument whose value changes replaces its resource. That is how a
 * bus rename replaces the archive (`event_source_arn = bus.arn`), the rules and their targets.
 */
import { FORCE_NEW_TABLE } from './force-new-table';
import type { ForceNewArgument, ForceNewTable } from './force-new-types';

/** Terraform meta-arguments: never arguments of the resource itself. */
export const META_ARGUMENTS: readonly string[] = ['//', 'depends_on', 'lifecycle', 'provider', 'count', 'for_each'];

/**
 * What destroying a resource of these types loses, in words for the operator (a replacement is a
 * destroy first). `dataLoss`: something that cannot be recreated is gone.
 */
export const DESTROY_CONSEQUENCES: Readonly<Record<string, { readonly words: string; readonly dataLoss: boolean }>> = {
  // DeleteArchive: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DeleteArchive.html
  aws_cloudwatch_event_archive: { words: 'the archive and every event it holds: nothing is left to replay', dataLoss: true },
  // DeleteLogGroup "permanently deletes all the archived log events": https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteLogGroup.html
  aws_cloudwatch_log_group: { words: 'the log group and all its logs', dataLoss: true },
  // DeleteQueue: "any messages in the queue are no longer available": https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html
  aws_sqs_queue: { words: 'the queue and every message in it', dataLoss: true },
  // DeleteTable deletes the table and all of its items: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html
  aws_dynamodb_table: { words: 'the table and all its items', dataLoss: true },
  // Terraform destroys a key with ScheduleKeyDeletion: https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
  aws_kms_key: { words: 'the KMS key is scheduled for deletion: everything encrypted under it becomes unreadable when the waiting period ends', dataLoss: true },
  // DeleteEventBus: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DeleteEventBus.html
  aws_cloudwatch_event_bus: { words: 'the event bus, and the rules and targets on it', dataLoss: true },
  // DeleteStateMachine: "On the next state transition, the state machine's executions are terminated": https://docs.aws.amazon.com/step-functions/latest/apireference/API_DeleteStateMachine.html
  aws_sfn_state_machine: { words: 'the state machine: its running executions are terminated at their next state transition', dataLoss: true },
  // A new email subscription is pending until its address confirms it: https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html
  aws_sns_topic_subscription: { words: 'the subscription: an email endpoint must confirm the new one before alerts reach it', dataLoss: false },
  aws_sns_topic: { words: 'the topic and its subscriptions: email endpoints must confirm again before alerts reach them', dataLoss: false },
};

export interface ReplacementReason {
  /** Argument path (nested blocks joined with `.`). */
  readonly attribute: string;
  /** Why its value changes, when not its literal value (a reference to a value that changes). */
  readonly via?: string;
  /** Set when the replacement depends on a condition the plan decides. */
  readonly condition?: string;
}

/** `${...}` references in a value: `type.name.attribute`. */
const REFERENCE = /\b((?:data\.)?aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)/g;
export function referencesIn(value: string): Array<{ address: string; attribute: string }> {
  const out: Array<{ address: string; attribute: string }> = [];
  for (const expr of value.match(/\$\{[^}]*\}/g) ?? []) for (const m of expr.matchAll(REFERENCE)) out.push({ address: `${m[1]}.${m[2]}`, attribute: m[3]! });
  return out;
}

export interface LeafChange {
  /** Path with list indexes dropped, as the table writes it. */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
  /** The literal is the same, but a reference in it changes value. */
  readonly via?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Changed leaves of an argument, by path without list indexes. `changedRef` says whether a
 * `${type.name.attr}` reference will have another value after this change (and why).
 */
export function leafChanges(before: unknown, after: unknown, path: string, changedRef: (value: string) => string | undefined): LeafChange[] {
  if (isObj(before) || isObj(after)) {
    const b = isObj(before) ? before : {};
    const a = isObj(after) ? after : {};
    if (!isObj(before) && before !== undefined) return [{ path, before, after }];
    if (!isObj(after) && after !== undefined) return [{ path, before, after }];
    return [...new Set([...Object.keys(b), ...Object.keys(a)])].flatMap((k) => leafChanges(b[k], a[k], path ? `${path}.${k}` : k, changedRef));
  }
  if (Array.isArray(before) || Array.isArray(after)) {
    const b = Array.isArray(before) ? before : before === undefined ? [] : undefined;
    const a = Array.isArray(after) ? after : after === undefined ? [] : undefined;
    if (!b || !a) return [{ path, before, after }];
    const out: LeafChange[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...leafChanges(b[i], a[i], path, changedRef));
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) return [{ path, before, after }];
  const via = typeof after === 'string' ? changedRef(after) : undefined;
  return via ? [{ path, before, after, via }] : [];
}

/** The table entries a changed leaf falls under: the leaf itself, or a ForceNew block or map it is in. */
function entriesFor(type: string, path: string, table: ForceNewTable): Array<[string, ForceNewArgument]> {
  const args = table[type]?.forceNew ?? {};
  return Object.entries(args).filter(([k]) => k === path || path.startsWith(`${k}.`) || k.startsWith(`${path}.`));
}

export interface ReplacementContext {
  /** The region of the provider configuration the resource uses (for the `region` rule). */
  readonly providerRegion?: string;
  readonly table?: ForceNewTable;
}

/**
 * The injected `region` argument: the provider forces a new resource when it changes, unless the
 * change is between unset and the provider configuration's own region
 * (provider/sdkv2/func.forceNewIfRegionChanges).
 */
function regionRule(change: LeafChange, ctx: ReplacementContext): 'replace' | 'keep' | 'maybe' {
  const b = change.before as string | undefined;
  const a = change.after as string | undefined;
  if (change.via) return 'replace';
  if (b !== undefined && a !== undefined) return 'replace';
  if (ctx.providerRegion === undefined) return 'maybe';
  return (b ?? a) === ctx.providerRegion ? 'keep' : 'replace';
}

/** Whether a type has a table entry (an unknown type cannot be judged: the plan decides). */
export const knownType = (type: string, table: ForceNewTable = FORCE_NEW_TABLE): boolean => type in table;

/** Why these leaf changes of a `type` replace it: certain reasons, and conditional ones. */
export function replacementReasons(type: string, changes: readonly LeafChange[], ctx: ReplacementContext = {}): { certain: ReplacementReason[]; conditional: ReplacementReason[] } {
  const table = ctx.table ?? FORCE_NEW_TABLE;
  const certain = new Map<string, ReplacementReason>();
  const conditional = new Map<string, ReplacementReason>();
  for (const change of changes) {
    if (META_ARGUMENTS.includes(change.path.split('.')[0]!)) continue;
    for (const [attribute, entry] of entriesFor(type, change.path, table)) {
      // Optional+Computed: an argument taken out of the configuration keeps its prior value.
      if (entry.computed && change.after === undefined && !change.via) continue;
      const reason = { attribute, ...(change.via ? { via: change.via } : {}) };
      if (attribute === 'region' && entry.conditional) {
        const verdict = regionRule(change, ctx);
        if (verdict === 'replace') certain.set(attribute, reason);
        else if (verdict === 'maybe') conditional.set(attribute, { ...reason, condition: entry.conditional });
      } else if (entry.conditional) conditional.set(attribute, { ...reason, condition: entry.conditional });
      else certain.set(attribute, reason);
    }
  }
  for (const k of certain.keys()) conditional.delete(k);
  return { certain: [...certain.values()], conditional: [...conditional.values()] };
}

/** `name`, or `event_bus_name (aws_cloudwatch_event_bus.bus.name changes)`. */
export const describeReason = (r: ReplacementReason): string => `${r.attribute}${r.via ? ` (${r.via})` : ''}`;
