/**
 * Where each resource type of this app (and its near relatives) keeps a policy document, what
 * kind of policy it is, and its size limit. Used by the policy guardrails, the size check
 * (`stacks/checks/policy-sizes.ts`; limits and their pages in `stacks/policy-limits.ts`) and the
 * review report's policy diff.
 */
import type { PolicyLimitName } from '../policy-limits';
import type { SynthResource } from './types';

export type PolicyKind = 'identity' | 'resource' | 'trust' | 'key';

export interface PolicyLocation {
  readonly type: string;
  readonly attribute: string;
  readonly kind: PolicyKind;
  /** What the report calls it. */
  readonly label: string;
  /**
   * The AWS size limit of this one document. None for a role's inline policies: they count against
   * their role together (`roleInlinePolicies`, summed per role by the size check).
   */
  readonly limit?: PolicyLimitName;
}

/** Policy attributes by resource type. */
export const POLICY_LOCATIONS: readonly PolicyLocation[] = [
  {
    type: 'aws_iam_role',
    attribute: 'assume_role_policy',
    kind: 'trust',
    label: 'IAM role trust policy',
    limit: 'roleTrustPolicy',
  },
  { type: 'aws_iam_role_policy', attribute: 'policy', kind: 'identity', label: 'IAM role inline policy' },
  {
    type: 'aws_iam_policy',
    attribute: 'policy',
    kind: 'identity',
    label: 'IAM managed policy',
    limit: 'iamManagedPolicy',
  },
  {
    type: 'aws_cloudwatch_event_bus_policy',
    attribute: 'policy',
    kind: 'resource',
    label: 'event bus policy',
    limit: 'eventBusPolicy',
  },
  ...(['aws_sqs_queue', 'aws_sqs_queue_policy'] as const).map((type) => ({
    type,
    attribute: 'policy',
    kind: 'resource' as const,
    label: 'SQS queue policy',
    limit: 'sqsQueuePolicy' as const,
  })),
  ...(['aws_sns_topic', 'aws_sns_topic_policy'] as const).map((type) => ({
    type,
    attribute: 'policy',
    kind: 'resource' as const,
    label: 'SNS topic policy',
    limit: 'snsTopicPolicy' as const,
  })),
  {
    type: 'aws_kms_key',
    attribute: 'policy',
    kind: 'key',
    label: 'KMS key policy',
    limit: 'kmsKeyPolicy',
  },
  {
    type: 'aws_cloudwatch_log_resource_policy',
    attribute: 'policy_document',
    kind: 'resource',
    label: 'CloudWatch Logs resource policy',
    limit: 'logResourcePolicy',
  },
];

export const POLICY_TYPES = [...new Set(POLICY_LOCATIONS.map((l) => l.type))];

/** A statement as found in a synthesized policy (any shape AWS accepts). */
export interface RawStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface FoundPolicy {
  readonly location: PolicyLocation;
  /** The document as written (a literal JSON string). */
  readonly text: string;
  readonly statements: readonly RawStatement[];
}

export const asList = <T>(v: T | readonly T[] | undefined | null): readonly T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T]);

/** Parses a literal policy; undefined for a reference or an interpolation (not knowable at synth). */
export function parsePolicy(text: unknown): readonly RawStatement[] | undefined {
  if (typeof text !== 'string' || text.includes('${')) return undefined;
  try {
    const doc = JSON.parse(text) as { Statement?: RawStatement | RawStatement[] };
    return asList(doc.Statement);
  } catch {
    return undefined;
  }
}

const parsedPolicies = new WeakMap<object, FoundPolicy[]>();

/** The literal policies a resource carries (parsed once per resource). */
export function policiesOf(resource: Pick<SynthResource, 'type' | 'config'>): FoundPolicy[] {
  const cached = parsedPolicies.get(resource.config);
  if (cached) return cached;
  const found: FoundPolicy[] = [];
  parsedPolicies.set(resource.config, found);
  for (const location of POLICY_LOCATIONS) {
    if (location.type !== resource.type) continue;
    const text = resource.config[location.attribute];
    const statements = parsePolicy(text);
    if (statements) found.push({ location, text: text as string, statements });
  }
  return found;
}

/** Principals of a statement as `kind:value` strings (`*` for the anonymous wildcard). */
export function principalsOf(principal: unknown): string[] {
  if (principal === undefined || principal === null) return [];
  if (principal === '*') return ['*'];
  if (typeof principal !== 'object') return [String(principal)];
  const out: string[] = [];
  for (const [kind, values] of Object.entries(principal as Record<string, unknown>)) {
    for (const v of asList(values as string | string[])) out.push(v === '*' ? '*' : `${kind}:${v}`);
  }
  return out;
}
