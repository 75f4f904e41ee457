/**
 * Guardrails on policies: who may act, on what, under which conditions, and whether AWS will
 * accept the document at all.
 */
import { conditionKeyFindings, type DocumentedContextKeys } from '../policy/context-keys';
import { LOG_DELIVERY_ACTIONS } from '../policy/policy';
import { asList, type PolicyKind, principalsOf, type RawStatement } from '../policy/found-policy';
import { policiesOf, POLICY_TYPES } from './policy-documents';
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

/**
 * Problems of each Allow statement of the resource's policies of the kinds `applies` accepts,
 * each prefixed with the policy and the statement.
 */
function allowProblems(resource: Parameters<typeof policiesOf>[0], applies: (kind: PolicyKind) => boolean, problemsOf: (s: RawStatement) => string[]): string[] {
  return policiesOf(resource)
    .filter((p) => applies(p.location.kind))
    .flatMap((p) => p.statements.flatMap((s, i) => (isAllow(s) ? problemsOf(s).map((m) => `${p.location.label}: ${sid(s, i)} ${m}`) : [])));
}

export const publicPrincipal: GuardrailRule = {
  id: 'public-principal',
  description: 'A resource or trust policy that allows "*" (anyone) also names an organization, account or source in a condition',
  fix: 'add a condition on aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceAccount or aws:SourceArn (or name the principals)',
  appliesTo: POLICY_TYPES,
  check: (resource) =>
    allowProblems(
      resource,
      (kind) => kind !== 'identity',
      (s) =>
        s.NotPrincipal !== undefined
          ? ['uses NotPrincipal with Allow (everyone else is allowed)']
          : principalsOf(s.Principal).includes('*') && !scopes(s)
            ? ['allows principal "*" with no organization, account or source condition']
            : [],
    ),
};

export const wildcardAction: GuardrailRule = {
  id: 'wildcard-action',
  description: 'An Allow statement names each action; no "*" in an action and no NotAction',
  fix: 'list the actions the principal needs, each as "service:Action"',
  appliesTo: POLICY_TYPES,
  check: (resource) =>
    allowProblems(
      resource,
      () => true,
      (s) => [...(s.NotAction !== undefined ? ['allows NotAction (every other action)'] : []), ...asList(s.Action).filter((a) => a.includes('*')).map((a) => `allows wildcard action "${a}"`)],
    ),
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
  // The vault role (vault mode) reads its copies' locks.
  'ec2:DescribeLockedSnapshots',
  'sts:GetCallerIdentity',
  // Read by the plan role (stacks/plan-role.ts): the provider's alias refresh and its plan-time
  // state machine definition check; the Service Authorization Reference lists no resource type.
  'kms:ListAliases',
  'states:ValidateStateMachineDefinition',
  // CloudWatch Logs log delivery: no resource-level permissions (see LOG_DELIVERY_ACTIONS).
  ...LOG_DELIVERY_ACTIONS,
];

export const wildcardResource: GuardrailRule = {
  id: 'wildcard-resource',
  description: 'An identity policy grants "Resource": "*" only for actions that support no narrower resource',
  fix: 'name the resource ARNs (a partial wildcard such as arn:aws:iam::*:role/name is fine), or split the statement so "*" covers only actions listed in STAR_RESOURCE_REQUIRED',
  appliesTo: POLICY_TYPES,
  // Identity policies only: in a key policy "*" means "this key"; resource and trust policies apply
  // to their own resource. https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
  check: (resource) =>
    allowProblems(
      resource,
      (kind) => kind === 'identity',
      (s) => {
        if (s.NotResource !== undefined) return ['allows NotResource (every other resource)'];
        if (!asList(s.Resource).includes('*')) return [];
        const narrowable = asList(s.Action).filter((a) => !STAR_RESOURCE_REQUIRED.includes(a));
        return narrowable.length > 0 ? [`allows ${narrowable.join(', ')} on "*"`] : [];
      },
    ),
};

/** Condition keys the table says the caller does not send (stacks/policy/context-keys.ts's `conditionKeyFindings`). */
export function undocumentedKeys(kind: PolicyKind, statements: readonly RawStatement[], table: readonly DocumentedContextKeys[]): string[] {
  // A missing row is skipped here: identity policies condition many calls no row is written for,
  // and the guardrail does not guess keys (the test over the synthesized resource and trust
  // policies, __tests__/context-keys.test.ts, does require every row).
  return conditionKeyFindings(kind, statements, table).flatMap((f) =>
    f.problem === 'no-row'
      ? []
      : f.rows.map((row) => `${sid(f.statement, f.index)}: ${row.caller} does not send ${f.key} with ${f.action} (documented: ${row.keys.join(', ') || 'none'}; ${row.docs[0] ?? ''})`),
  );
}

export const undocumentedConditionKey: GuardrailRule = {
  id: 'undocumented-condition-key',
  description: 'A policy conditions a request only on keys AWS documents as sent by that caller for that action (stacks/policy/context-keys.ts)',
  fix: 'condition on a key the caller sends (see the row in stacks/policy/context-keys.ts and its page), or add the row with the page that documents the key',
  appliesTo: POLICY_TYPES,
  check(resource, context) {
    return policiesOf(resource).flatMap((p) => undocumentedKeys(p.location.kind, p.statements, context.contextKeys).map((m) => `${p.location.label}: ${m}`));
  },
};

export const POLICY_RULES: readonly GuardrailRule[] = [publicPrincipal, wildcardAction, wildcardResource, undocumentedConditionKey];
