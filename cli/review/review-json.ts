/**
 * The shape of `review.json`, written once: the report is checked against it (a test), and the
 * README's field list is rendered from it (`reviewJsonFieldTable`, a test compares), so code,
 * file and documentation cannot drift apart.
 */
import { z } from 'zod';

const stackId = z.string();
const stackList = z.array(stackId);

const resourceRef = z.strictObject({ address: z.string(), path: z.string() });
const destroyed = resourceRef.extend({ loses: z.string().optional(), dataLoss: z.boolean().optional() });
const jsonChange = z.strictObject({ path: z.string(), before: z.string().optional(), after: z.string().optional() });
const attributeChange = z.strictObject({
  attribute: z.string(),
  before: z.string(),
  after: z.string(),
  via: z.string().optional(),
  json: z.array(jsonChange).optional(),
  stateMachine: z
    .strictObject({
      added: z.array(z.string()),
      removed: z.array(z.string()),
      changed: z.array(z.strictObject({ state: z.string(), fields: z.array(jsonChange) })),
      top: z.array(jsonChange),
    })
    .optional(),
});
const resourceChange = resourceRef.extend({
  attributes: z.array(attributeChange),
  replacedFor: z.array(z.string()),
  mayBeReplacedFor: z.array(z.strictObject({ attribute: z.string(), condition: z.string() })),
  loses: z.string().optional(),
  dataLoss: z.boolean().optional(),
  unknownType: z.literal(true).optional(),
});
const widening = z.strictObject({ stack: stackId, address: z.string(), policy: z.string(), sid: z.string(), reasons: z.array(z.string()) });
const statementChange = z.strictObject({ sid: z.string(), kind: z.enum(['added', 'removed', 'changed']), summary: z.string(), details: z.array(z.string()), widening: z.array(z.string()) });
const counts = z.strictObject({ added: z.number(), removed: z.number(), changed: z.number(), replaced: z.number(), widenings: z.number(), policyStatementsChanged: z.number() });

export const replacementSchema = z.strictObject({
  stack: stackId,
  address: z.string(),
  /** Why: the arguments (`event_bus_name (aws_cloudwatch_event_bus.bus.name changes)`). */
  attributes: z.array(z.string()),
  loses: z.string().optional(),
  dataLoss: z.boolean(),
});

export const possibleReplacementSchema = z.strictObject({
  stack: stackId,
  address: z.string(),
  attributes: z.array(z.strictObject({ attribute: z.string(), condition: z.string() })),
  loses: z.string().optional(),
  dataLoss: z.boolean(),
});

export const leftBehindSchema = z.strictObject({
  stack: stackId,
  resources: z.number(),
  resourceTypes: z.record(z.string(), z.number()),
  /** What destroying them would lose, per resource type that loses something. */
  wouldLose: z.array(z.string()),
  command: z.string(),
});

export const stackEntrySchema = z
  .strictObject({
    status: z.enum(['added', 'removed', 'changed', 'current']).describe('`added`, `removed`, `changed`; `current` without --base'),
    verdict: z.string().describe('one line, the most serious finding first (empty without --base)'),
    counts: counts.describe('resources `added`, `removed`, `changed`, `replaced`; `widenings`; `policyStatementsChanged`'),
    resourceTypes: z.record(z.string(), z.number()).describe('resource count by type after the change (before it, for a removed stack)'),
    widenings: z.array(widening).describe("this stack's widenings (as the top-level `widenings`)"),
    resources: z
      .strictObject({ added: z.array(resourceRef), removed: z.array(destroyed), changed: z.array(resourceChange) })
      .optional()
      .describe('added, removed and changed stacks: resources by address; a changed one with its `attributes` (before, after; `via` when a referenced value changes; `json` / `stateMachine` inside JSON documents), `replacedFor`, `mayBeReplacedFor`, `loses`'),
    policyChanges: z
      .array(z.strictObject({ address: z.string(), label: z.string(), attribute: z.string(), newPolicy: z.boolean(), statements: z.array(statementChange) }))
      .optional()
      .describe('every policy change as statements added, removed and changed, each with its `widening` reasons'),
    otherChanges: z.array(attributeChange).optional().describe('changes outside resources (provider, terraform and output blocks)'),
  })
  .describe('per stack id');

export const reviewJsonSchema = z.strictObject({
  base: z.strictObject({ ref: z.string(), commit: z.string() }).nullable().describe('the compared ref and its commit; `null` without --base'),
  stackCount: z.number().describe('stacks the working tree synthesizes'),
  addedStacks: stackList.describe('stack ids new in the working tree'),
  removedStacks: stackList.describe('stack ids only the base has (a member taken out of the config)'),
  changedStacks: stackList.describe('stack ids whose synthesized files differ'),
  unchangedStacks: stackList.describe('stack ids whose synthesized files are identical (empty without --base)'),
  planBatches: z.array(stackList).describe('new and changed stacks in batches: the PR workflow plans one batch per job'),
  replacements: z.array(replacementSchema).describe('resources the provider replaces: `stack`, `address`, `attributes` (why), `loses` and `dataLoss` (what the destroy takes with it)'),
  possibleReplacements: z.array(possibleReplacementSchema).describe('resources replaced only if a condition the plan decides holds: `attributes` with each `condition`'),
  leftBehind: z.array(leftBehindSchema).describe('removed stacks: `resources` left in the account, `resourceTypes`, `wouldLose`, and the `command` that destroys them'),
  deletions: z.array(z.strictObject({ stack: stackId, address: z.string(), loses: z.string().optional(), dataLoss: z.boolean().optional() })).describe('resources destroyed in changed stacks, with `loses` / `dataLoss`'),
  widenings: z.array(widening).describe('policy statements that grant more than the base: `stack`, `address`, `policy`, `sid`, `reasons`'),
  stacks: z.record(stackId, stackEntrySchema).describe('per stack: the fields below'),
  suppressions: z
    .array(z.strictObject({ stack: z.string(), path: z.string(), address: z.string(), ruleId: z.string(), reason: z.string() }))
    .describe('guardrail suppressions in the working tree, with their reasons'),
});

export type ReviewJson = z.infer<typeof reviewJsonSchema>;
export type StackEntry = z.infer<typeof stackEntrySchema>;

const describeOf = (s: z.ZodType) => s.description ?? '';

/** The README's table of review.json fields (top level, then per stack). */
export function reviewJsonFieldTable(): string {
  const rows = (shape: Record<string, z.ZodType>, prefix: string) => Object.entries(shape).map(([k, v]) => `| \`${prefix}${k}\` | ${describeOf(v)} |`);
  return [
    '| field | what it holds |',
    '|---|---|',
    ...rows(reviewJsonSchema.shape, ''),
    ...rows(stackEntrySchema.shape, 'stacks.<id>.'),
  ].join('\n');
}
