/**
 * AWS's size limits on the policies this app writes, checked where each policy is built (and, over
 * the synthesized Terraform, by `checks/policy-sizes.ts`): a policy over its limit passes `terraform
 * plan` and fails the apply, half-way through a rollout.
 *
 * Sizes are of the policy as rendered into the Terraform (`renderPolicy`: compact JSON). IAM does
 * not count whitespace; counting the (few) spaces inside strings too errs on the safe side.
 */
import { renderPolicy, type PolicyDocument } from './policy';

export interface PolicyLimit {
  /** What the limit applies to, for messages. */
  readonly what: string;
  readonly max: number;
  readonly unit: 'characters' | 'bytes';
  readonly source: string;
}

export const POLICY_LIMITS = {
  /** All inline policies of one role together, whitespace not counted. */
  roleInlinePolicies: {
    what: 'inline policies of one IAM role',
    max: 10_240,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length',
  },
  /** One customer managed policy (`aws_iam_policy`), whitespace not counted. */
  iamManagedPolicy: {
    what: 'IAM managed policy',
    max: 6_144,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length',
  },
  /** A role's trust policy (default quota; adjustable to 4,096). */
  roleTrustPolicy: {
    what: 'IAM role trust policy',
    max: 2_048,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length',
  },
  eventBusPolicy: {
    what: 'EventBridge event bus policy',
    max: 10_240,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html',
  },
  sqsQueuePolicy: {
    what: 'SQS queue policy',
    max: 8_192,
    unit: 'bytes',
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html',
  },
  /** "30 kb": read as 30 × 1,024, the length SNS's API gives its other policy attribute (data protection). */
  snsTopicPolicy: {
    what: 'SNS topic policy',
    max: 30_720,
    unit: 'bytes',
    source: 'https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html#sns-policy-quotas',
  },
  logResourcePolicy: {
    what: 'CloudWatch Logs resource policy',
    max: 5_120,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html',
  },
  kmsKeyPolicy: {
    what: 'KMS key policy',
    max: 32_768,
    unit: 'bytes',
    // The developer guide's key policy format: "Up to 32 kilobytes (32,768 bytes)" (the PutKeyPolicy
    // API reference gives the parameter's length constraint, not this limit).
    source: 'https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html#key-policy-format',
  },
} as const satisfies Record<string, PolicyLimit>;

export type PolicyLimitName = keyof typeof POLICY_LIMITS;

/** A policy over its AWS size limit. */
export class PolicyTooLargeError extends Error {
  override readonly name = 'PolicyTooLargeError';
}

/** The size AWS counts for `policy` (a document or its rendered JSON) under `limit`. */
export function policySize(policy: PolicyDocument | string, limit: PolicyLimit): number {
  const text = typeof policy === 'string' ? policy : renderPolicy(policy);
  return limit.unit === 'bytes' ? Buffer.byteLength(text, 'utf8') : text.length;
}

/**
 * Throws `PolicyTooLargeError` when `policy` is over the limit `name`; `subject` names the policy
 * (`queue ebs-event-hub-forward-dlq`), `hint` says what shrinks it.
 */
export function assertPolicyFits(name: PolicyLimitName, policy: PolicyDocument | string, subject: string, hint?: string): void {
  const limit: PolicyLimit = POLICY_LIMITS[name];
  const size = policySize(policy, limit);
  if (size > limit.max) {
    throw new PolicyTooLargeError(
      `${subject}: the ${limit.what} takes ${size} ${limit.unit}; AWS allows ${limit.max} (${limit.source})${hint ? `. ${hint}` : ''}`,
    );
  }
}
