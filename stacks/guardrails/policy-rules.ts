/**
 * Guardrails on policies: who may act, on what, under which conditions, and whether AWS will
 * accept the document at all.
 */
import { callerForm, type DocumentedContextKeys } from '../context-keys';
import { LOG_DELIVERY_ACTIONS } from '../policy';
import { asList, policiesOf, POLICY_TYPES, principalsOf, type RawStatement } from './policy-documents';
import type { GuardrailRule } from './types';

const sid = (s: RawStatement, i: number): string => (s.Sid ? `statement ${s.Sid}` : `statement #${i + 1}`);
const isAllow = (s: RawStatement): boolean => s.Effect === 'Allow';

/** Condition keys present in a statement, with the operator's qualifiers stripped. */
export function conditionKeys(s: RawStatement): { operator: string; key: string }[] {
  const out: { operator: string; key: string }[] = [];
  for (const [operator, byKey] of Object.entries(s.Condition ?? {})) {
    for (const key of Object.keys(byKey ?? {})) out.push({ operator, key });
  }
  return out;
}

/**
 * Keys that tie a wildcard principal to an organization, an account or a calling resource
 * (confused-deputy and cross-account scoping):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * `kms:CallerAccount` does the same in key policies:
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
 */
export const SCOPING_KEYS = [
  'aws:PrincipalOrgID',
  'aws:PrincipalOrgPaths',
  'aws:PrincipalAccount',
  'aws:PrincipalArn',
  'aws:SourceAccount',
  'aws:SourceArn',
  'aws:SourceOrgID',
  'aws:SourceOrgPaths',
  'kms:CallerAccount',
];

/** A scoping key under a positive operator (a `Not…` operator or a `Null` check scopes nothing). */
const scopes = (s: RawStatement): boolean =>
  conditionKeys(s).some(({ operator, key }) => SCOPING_KEYS.some((k) => k.toLowerCase() === key.toLowerCase()) && !/Not|^Null$|IfExists/.test(operator));

export const publicPrincipal: GuardrailRule = {
  id: 'public-principal',
  description: 'A resource or trust policy that allows "*" (anyone) also names an organization, account or source in a condition',
  fix: 'add a condition on aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceAccount or aws:SourceArn (or name the principals)',
  appliesTo: POLICY_TYPES,
  check(resource) {
    const problems: string[] = [];
    for (const policy of policiesOf(resource)) {
      if (policy.location.kind === 'identity') continue;
      policy.statements.forEach((s, i) => {
        if (!isAllow(s)) return;
        if (s.NotPrincipal !== undefined) problems.push(`${policy.location.label}: ${sid(s, i)} uses NotPrincipal with Allow (everyone else is allowed)`);
        else if (principalsOf(s.Principal).includes('*') && !scopes(s)) {
          problems.push(`${policy.location.label}: ${sid(s, i)} allows principal "*" with no organization, account or source condition`);
        }
      });
    }
    return problems;
  },
};

export const wildcardAction: GuardrailRule = {
  id: 'wildcard-action',
  description: 'An Allow statement names each action; no "*" in an action and no NotAction',
  fix: 'list the actions the principal needs, each as "service:Action"',
  appliesTo: POLICY_TYPES,
  check(resource) {
    const problems: string[] = [];
    for (const policy of policiesOf(resource)) {
      policy.statements.forEach((s, i) => {
        if (!isAllow(s)) return;
        if (s.NotAction !== undefined) problems.push(`${policy.location.label}: ${sid(s, i)} allows NotAction (every other action)`);
        for (const a of asList(s.Action)) if (a.includes('*')) problems.push(`${policy.location.label}: ${sid(s, i)} allows wildcard action "${a}"`);
      });
    }
    return problems;
  },
};

/**
 * Actions that support no resource-level permission: AWS requires `"Resource": "*"` for them.
 * EC2's Describe* actions have no resource types in the Service Authorization Reference:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 * STS GetCallerIdentity likewise:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
 */
export const STAR_RESOURCE_REQUIRED: readonly string[] = [
  'ec2:DescribeSnapshots',
  'ec2:DescribeVolumes',
  'ec2:DescribeImages',
  'ec2:DescribeInstances',
  'ec2:DescribeRegions',
  'sts:GetCallerIdentity',
  // CloudWatch Logs log delivery: no resource-level permissions (see LOG_DELIVERY_ACTIONS).
  ...LOG_DELIVERY_ACTIONS,
];

export const wildcardResource: GuardrailRule = {
  id: 'wildcard-resource',
  description: 'An identity policy grants "Resource": "*" only for actions that support no narrower resource',
  fix: 'name the resource ARNs (a partial wildcard such as arn:aws:iam::*:role/name is fine), or split the statement so "*" covers only actions listed in STAR_RESOURCE_REQUIRED',
  appliesTo: POLICY_TYPES,
  check(resource) {
    const problems: string[] = [];
    for (const policy of policiesOf(resource)) {
      // In a key policy "*" means "this key"; resource and trust policies apply to their own resource.
      // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
      if (policy.location.kind !== 'identity') continue;
      policy.statements.forEach((s, i) => {
        if (!isAllow(s)) return;
        if (s.NotResource !== undefined) {
          problems.push(`${policy.location.label}: ${sid(s, i)} allows NotResource (every other resource)`);
          return;
        }
        if (!asList(s.Resource).includes('*')) return;
        const narrowable = asList(s.Action).filter((a) => !STAR_RESOURCE_REQUIRED.includes(a));
        if (narrowable.length > 0) problems.push(`${policy.location.label}: ${sid(s, i)} allows ${narrowable.join(', ')} on "*"`);
      });
    }
    return problems;
  },
};

/**
 * Keys that mark a request an AWS service makes on the principal's behalf (EC2 calling KMS with
 * the role's credentials during CopySnapshot): the table's rows describe direct calls, so such
 * statements are not checked against them.
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-calledvia
 */
export const VIA_SERVICE_KEYS = ['kms:ViaService', 'aws:CalledVia', 'aws:CalledViaFirst', 'aws:CalledViaLast', 'aws:ViaAWSService'];

/**
 * Who makes the requests a statement admits, in the form of the documented-keys table. A
 * `"*"` or AWS-account principal may be any of several callers (a role session, or EventBridge
 * delivering with a rule's role): a key is then flagged only when none of them sends it.
 */
function callersOf(kind: string, s: RawStatement): { callers: string[]; anyOf: boolean } {
  if (kind === 'identity') return { callers: ['iam-role-session'], anyOf: false };
  const principals = principalsOf(s.Principal);
  const services = principals.filter((p) => p.startsWith('Service:')).map((p) => callerForm(p.slice('Service:'.length)));
  if (principals.some((p) => p === '*' || p.startsWith('AWS:'))) return { callers: [...services, 'iam-role-session', 'rule-forward'], anyOf: true };
  return { callers: services, anyOf: false };
}

/** Whether `key` is among the documented `keys` (a row key ending in `/`, `:` or `*` is a prefix). */
export function keyDocumented(key: string, keys: readonly string[]): boolean {
  const k = key.toLowerCase();
  return keys.some((documented) => {
    const d = documented.toLowerCase();
    return /[/:*]$/.test(d) ? k.startsWith(d.replace(/\*$/, '')) : k === d;
  });
}

/**
 * Condition keys the documented-keys table says the caller does not send for that action. The
 * table is a parameter (tests inject rows). Skipped: callers and actions the table has no row
 * for (not guessed), rows marked `conditionedInAwsExample` (AWS's own example conditions that
 * action on keys it does not carry), and statements on requests a service makes on the
 * principal's behalf (VIA_SERVICE_KEYS).
 */
export function undocumentedKeys(kind: string, statements: readonly RawStatement[], table: readonly DocumentedContextKeys[]): string[] {
  const problems: string[] = [];
  statements.forEach((s, i) => {
    // Allow statements only: a Deny conditioned on a key a caller does not send (with a negated
    // operator, `ArnNotEquals aws:SourceArn`) is meant to apply to that caller: an absent key
    // makes a negated operator true. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    if (!isAllow(s)) return;
    const keys = conditionKeys(s);
    if (keys.length === 0) return;
    if (kind === 'identity' && keys.some(({ key }) => VIA_SERVICE_KEYS.some((v) => v.toLowerCase() === key.toLowerCase()))) return;
    const { callers, anyOf } = callersOf(kind, s);
    for (const action of asList(s.Action)) {
      const rows = callers
        .map((caller) => table.find((r) => r.caller === caller && r.action === action))
        .filter((r): r is DocumentedContextKeys => r !== undefined && !(r as { conditionedInAwsExample?: boolean }).conditionedInAwsExample);
      if (rows.length === 0) continue;
      for (const { key } of keys) {
        const missing = rows.filter((row) => !keyDocumented(key, row.keys));
        if (anyOf ? missing.length < rows.length : missing.length === 0) continue;
        for (const row of anyOf ? rows : missing) {
          problems.push(`${sid(s, i)}: ${row.caller} does not send ${key} with ${action} (documented: ${row.keys.join(', ') || 'none'}; ${row.docs[0] ?? ''})`);
        }
      }
    }
  });
  return problems;
}

export const undocumentedConditionKey: GuardrailRule = {
  id: 'undocumented-condition-key',
  description: 'A policy conditions a request only on keys AWS documents as sent by that caller for that action (stacks/context-keys.ts)',
  fix: 'condition on a key the caller sends (see the row in stacks/context-keys.ts and its page), or add the row with the page that documents the key',
  appliesTo: POLICY_TYPES,
  check(resource, context) {
    return policiesOf(resource).flatMap((p) => undocumentedKeys(p.location.kind, p.statements, context.contextKeys).map((m) => `${p.location.label}: ${m}`));
  },
};

export const POLICY_RULES: readonly GuardrailRule[] = [publicPrincipal, wildcardAction, wildcardResource, undocumentedConditionKey];
