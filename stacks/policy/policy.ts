/**
 * IAM policy documents as typed objects.
 *
 * Every policy in this app (bus policy, trust policies, role policies, queue, topic, key and log
 * resource policies) is built here and rendered as literal JSON into the Terraform, so a reviewer
 * reads the exact policy in the plan diff and the tests evaluate the very same object with an IAM
 * simulator. Rules enforced at construction: every statement has a unique `Sid`, no action is a
 * wildcard, and the elements fit the kind of policy:
 * - `identity` (attached to a role): names resources, never a principal;
 * - `resource` (bus, queue, topic, key, log policies): names principals and resources;
 * - `trust` (a role's assume-role policy): names principals and no resource (IAM rejects one).
 */

export type PolicyKind = 'identity' | 'resource' | 'trust';

/**
 * CloudWatch Logs vended-log delivery (a state machine logging to a log group): these actions
 * support no resource-level permissions, so AWS's documented policy grants them on `"*"`, for the
 * state machine's role and for whoever creates the state machine with a logging configuration.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
 */
export const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
] as const;

/** Condition operator → condition key → value(s). */
export type Conditions = Readonly<Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>>;

export type Principal =
  | '*'
  | { readonly AWS: string | readonly string[] }
  | { readonly Service: string | readonly string[] };

export interface Statement {
  /** Unique within the document, `[A-Za-z0-9]+`: names the intent in the plan diff. */
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Principal;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Conditions;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Statement[];
}

/** A policy that breaks this app's rules (a programming error, caught at synth). */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

const asList = <T>(v: T | readonly T[] | undefined): readonly T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as T]);

/** Builds a policy document of `kind`, checking Sids, actions, principals and resources. */
export function policyDocument(kind: PolicyKind, statements: readonly Statement[]): PolicyDocument {
  if (statements.length === 0) throw new PolicyError('a policy needs at least one statement');
  const sids = new Set<string>();
  for (const s of statements) {
    if (!/^[A-Za-z0-9]+$/.test(s.Sid)) throw new PolicyError(`Sid ${JSON.stringify(s.Sid)} must be 1+ letters or digits`);
    if (sids.has(s.Sid)) throw new PolicyError(`Sid ${JSON.stringify(s.Sid)} is used twice in one policy`);
    sids.add(s.Sid);
    const actions = asList(s.Action);
    if (actions.length === 0) throw new PolicyError(`statement ${s.Sid} has no action`);
    for (const a of actions) {
      if (!/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(a)) {
        throw new PolicyError(`statement ${s.Sid}: action ${JSON.stringify(a)} must be one "service:Action" (no wildcards)`);
      }
    }
    const hasResource = asList(s.Resource).length > 0;
    if (kind === 'trust' && hasResource) throw new PolicyError(`statement ${s.Sid}: a trust policy has no Resource`);
    if (kind !== 'trust' && !hasResource) throw new PolicyError(`statement ${s.Sid} (${actions.join(', ')}) names no resource`);
    if (kind === 'identity' && s.Principal !== undefined) throw new PolicyError(`statement ${s.Sid}: an identity policy has no Principal`);
    if (kind !== 'identity' && s.Principal === undefined) throw new PolicyError(`statement ${s.Sid}: a ${kind} policy names a Principal`);
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** The literal JSON written into the Terraform (compact: resource policies have size limits). */
export function renderPolicy(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/** The trust policy of a role assumed by an AWS service, scoped to the calling account (confused deputy). */
export function serviceTrustPolicy(service: string, sourceAccount: string, extra: Conditions = {}): PolicyDocument {
  return policyDocument('trust', [
    {
      Sid: 'TrustService',
      Effect: 'Allow',
      Principal: { Service: service },
      Action: 'sts:AssumeRole',
      Condition: { ...extra, StringEquals: { 'aws:SourceAccount': sourceAccount, ...(extra.StringEquals ?? {}) } },
    },
  ]);
}
