/**
 * Where each resource type of this app (and its near relatives) keeps a policy document, what
 * kind of policy it is, and its size limit. Used by the policy guardrails, the size check
 * (`stacks/checks/policy-sizes.ts`; limits and their pages in `stacks/policy/policy-limits.ts`) and the
 * review report's policy diff. The readers of a found policy (`parsePolicy`, `principalsOf`, …)
 * are in `stacks/policy/found-policy.ts`.
 */
import type { PolicyLimitName } from '../policy/policy-limits';
import { parsePolicy, type PolicyKind, type RawStatement } from '../policy/found-policy';
import type { SynthResource } from './types';

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

export interface FoundPolicy {
  readonly location: PolicyLocation;
  /** The document as written (a literal JSON string). */
  readonly text: string;
  readonly statements: readonly RawStatement[];
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
