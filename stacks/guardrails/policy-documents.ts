/**
 * Where each resource type of this app (and its near relatives) keeps a policy document, what
 * kind of policy it is, and AWS's size limit for it. Used by the policy guardrails and by the
 * review report's policy diff.
 */
import type { SynthResource } from './types';

export type PolicyKind = 'identity' | 'resource' | 'trust' | 'key';

export interface PolicyLocation {
  readonly type: string;
  readonly attribute: string;
  readonly kind: PolicyKind;
  /** What the report calls it. */
  readonly label: string;
  /**
   * AWS's limit on the document, and how AWS counts it (`compact`: characters of the JSON
   * without whitespace, as IAM counts; `bytes`: bytes of the document as sent).
   */
  readonly limit?: { readonly max: number; readonly unit: 'compact' | 'bytes'; readonly doc: string };
}

/**
 * Policy attributes by resource type, with their limits:
 * - IAM role trust policy: 2,048 characters (default quota), IAM managed policy 6,144, role
 *   inline policies 10,240 in total per role (checked per role by the size rule):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 * - EventBridge bus policy: 10,240 characters:
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 * - SQS queue policy: 8,192 bytes:
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html
 * - SNS topic policy: 30 KB:
 *   https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html#sns-policy-quotas
 * - KMS key policy: 32 KB (32,768 bytes):
 *   https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html#key-policy-format
 * - CloudWatch Logs resource policy: 5,120 characters:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html
 */
export const POLICY_LOCATIONS: readonly PolicyLocation[] = [
  {
    type: 'aws_iam_role',
    attribute: 'assume_role_policy',
    kind: 'trust',
    label: 'IAM role trust policy',
    limit: { max: 2_048, unit: 'compact', doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length' },
  },
  { type: 'aws_iam_role_policy', attribute: 'policy', kind: 'identity', label: 'IAM role inline policy' },
  {
    type: 'aws_iam_policy',
    attribute: 'policy',
    kind: 'identity',
    label: 'IAM managed policy',
    limit: { max: 6_144, unit: 'compact', doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length' },
  },
  {
    type: 'aws_cloudwatch_event_bus_policy',
    attribute: 'policy',
    kind: 'resource',
    label: 'event bus policy',
    limit: { max: 10_240, unit: 'bytes', doc: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html' },
  },
  ...(['aws_sqs_queue', 'aws_sqs_queue_policy'] as const).map((type) => ({
    type,
    attribute: 'policy',
    kind: 'resource' as const,
    label: 'SQS queue policy',
    limit: { max: 8_192, unit: 'bytes' as const, doc: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html' },
  })),
  ...(['aws_sns_topic', 'aws_sns_topic_policy'] as const).map((type) => ({
    type,
    attribute: 'policy',
    kind: 'resource' as const,
    label: 'SNS topic policy',
    limit: { max: 30_720, unit: 'bytes' as const, doc: 'https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html#sns-policy-quotas' },
  })),
  {
    type: 'aws_kms_key',
    attribute: 'policy',
    kind: 'key',
    label: 'KMS key policy',
    limit: { max: 32_768, unit: 'bytes', doc: 'https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html#key-policy-format' },
  },
  {
    type: 'aws_cloudwatch_log_resource_policy',
    attribute: 'policy_document',
    kind: 'resource',
    label: 'CloudWatch Logs resource policy',
    limit: { max: 5_120, unit: 'bytes', doc: 'https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html' },
  },
];

/** The IAM quota on a role's inline policies, all together (see `stacks/role-with-policies.ts`). */
export const ROLE_INLINE_TOTAL = { max: 10_240, doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length' } as const;

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

/** The size AWS counts for a policy document. */
export function policySize(text: string, unit: 'compact' | 'bytes'): number {
  return unit === 'compact' ? JSON.stringify(JSON.parse(text)).length : Buffer.byteLength(text, 'utf8');
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
