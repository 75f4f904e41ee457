/**
 * What a healthy deployment looks like: pure decisions over what the AWS APIs returned. Each
 * returns the problems found (empty when healthy), one short sentence each.
 */
import type { OrgConfig } from '../../config/schema';

export interface RuleView {
  readonly State?: string;
}

export interface TargetView {
  readonly Arn?: string;
  readonly RoleArn?: string;
  readonly DeadLetterConfig?: { readonly Arn?: string };
}

export interface ForwardExpectation {
  readonly ruleName: string;
  readonly busArn: string;
  readonly roleArn: string;
  readonly dlqArn: string;
}

/** The forwarding rule exists, is ENABLED, and a target sends to the central bus with the forwarder role and the DLQ. */
export function forwardRuleProblems(rule: RuleView | undefined, targets: readonly TargetView[], want: ForwardExpectation): string[] {
  if (!rule) return [`rule ${want.ruleName} does not exist`];
  const problems: string[] = [];
  if (rule.State !== 'ENABLED') problems.push(`rule ${want.ruleName} is ${rule.State ?? 'in no state'}, not ENABLED`);
  const toBus = targets.filter((t) => t.Arn === want.busArn);
  if (toBus.length === 0) {
    problems.push(`rule ${want.ruleName} has no target ${want.busArn} (targets: ${targets.map((t) => t.Arn).join(', ') || 'none'})`);
    return problems;
  }
  const t = toBus[0]!;
  if (t.RoleArn !== want.roleArn) problems.push(`rule ${want.ruleName}'s target role is ${t.RoleArn ?? 'missing'}, not ${want.roleArn}`);
  if (t.DeadLetterConfig?.Arn !== want.dlqArn) problems.push(`rule ${want.ruleName}'s target dead-letter queue is ${t.DeadLetterConfig?.Arn ?? 'missing'}, not ${want.dlqArn}`);
  return problems;
}

export function queueProblems(name: string, attributes: Readonly<Record<string, string | undefined>>): string[] {
  const visible = Number(attributes.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  const n = visible + inFlight;
  return n > 0 ? [`dead-letter queue ${name} holds ${n} message${n === 1 ? '' : 's'} (failed deliveries)`] : [];
}

/** `sums`: metric label (`FailedInvocations of rule X`) to its sum since the deploy. */
export function metricProblems(sums: ReadonlyMap<string, number>): string[] {
  return [...sums].filter(([, v]) => v > 0).map(([label, v]) => `${label}: ${v} since the deploy`);
}

interface Statement {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The accounts a statement's `Principal` names (`"*"` for everyone). */
function principals(p: unknown): string[] {
  if (p === '*') return ['*'];
  if (p && typeof p === 'object' && 'AWS' in p) {
    return list((p as { AWS: unknown }).AWS).map((a) => (a === '*' ? '*' : /^(?:arn:aws:iam::)?(\d{12})(?::root)?$/.exec(String(a))?.[1] ?? String(a)));
  }
  return [];
}

/**
 * The central bus policy lets the organization put events: a statement allowing
 * `events:PutEvents` to `Principal "*"` with `aws:PrincipalOrgID` equal to the config's
 * organization, or (without `organizationId`) naming every member account.
 */
export function busPolicyProblems(policy: string | undefined, config: OrgConfig): string[] {
  if (!policy) return [`bus ${config.central.busName} has no resource policy: no member account can forward to it`];
  let doc: { Statement?: Statement | Statement[] };
  try {
    doc = JSON.parse(policy) as typeof doc;
  } catch {
    return [`bus ${config.central.busName}'s policy is not JSON`];
  }
  const allows = list(doc.Statement)
    .map((s) => s as Statement)
    .filter((s) => s.Effect === 'Allow' && list(s.Action).some((a) => a === 'events:PutEvents' || a === 'events:*'));
  if (config.organizationId) {
    const admits = allows.some(
      (s) => principals(s.Principal).includes('*') && list(s.Condition?.StringEquals?.['aws:PrincipalOrgID']).includes(config.organizationId),
    );
    return admits ? [] : [`bus ${config.central.busName}'s policy does not allow events:PutEvents to organization ${config.organizationId} (aws:PrincipalOrgID)`];
  }
  const admitted = new Set(allows.flatMap((s) => principals(s.Principal)));
  const missing = config.members.map((m) => m.accountId).filter((a) => !admitted.has(a));
  return missing.length ? [`bus ${config.central.busName}'s policy does not allow events:PutEvents to member account${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`] : [];
}
