/**
 * A small typed wrapper over `@cloud-copilot/iam-simulate` for the policy tests.
 *
 * The tests pass the very `PolicyDocument` objects the stacks render into Terraform. One
 * request, one concrete resource, no SCPs/RCPs (the library always adds the default
 * `RCPFullAWSAccess`). The library decides as AWS does:
 * - a service principal (`events.amazonaws.com`) is allowed only by the resource policy;
 * - same account: the identity policy or the resource policy suffices (except where a service
 *   needs the resource policy to trust the account: KMS key policies, role trust policies);
 * - cross account: both the caller's identity policy and the resource policy must allow.
 *
 * Stricter than the library on purpose (a typo must not turn into a silent pass):
 * - every request's context is checked against `DOCUMENTED_CONTEXT_KEYS` (stacks/policy/context-keys.ts):
 *   a key AWS does not document as sent by that caller for that API throws, so no test can
 *   pass a policy by handing the simulator a key AWS never sends;
 * - a request the library rejects (invalid policy, unknown action, ARN of the wrong resource
 *   type) throws instead of reading as "denied";
 * - a context key the library does not know for the action is dropped by it silently (absent
 *   keys make `ForAllValues:` conditions vacuously true), so any ignored key throws here, except
 *   `kms:EncryptionContext:<key>`, documented for KMS actions but dropped by iam-simulate 0.1.173
 *   (it matches variable keys only in the `prefix/<var>` form): such a request, once validated,
 *   is decided by `runUnsafeSimulation` with the key;
 * - an array given for a single-valued key throws (the library would keep its first element);
 * - a wildcard resource (which makes the library run one simulation per matching pattern)
 *   throws: every request here names one resource.
 */
import {
  allowedContextKeysForRequest,
  isConditionKeyArray,
  runSimulation,
  runUnsafeSimulation,
  typeForContextKey,
  type ConditionExplain,
  type EvaluationResult,
  type Simulation,
  type SimulationResourceResult,
  type StatementExplain,
} from '@cloud-copilot/iam-simulate';
import { expect } from 'vitest';
import { documentedContext, type Caller } from '../../stacks/policy/context-keys';
import type { PolicyDocument } from '../../stacks/policy/policy';

export type Decision = EvaluationResult;

export interface SimulationRequest {
  /** An IAM ARN (`arn:aws:iam::…:role/…`) or a service principal (`events.amazonaws.com`). */
  readonly principal: string;
  /**
   * Who makes the request, as `stacks/policy/context-keys.ts` names callers: decides which context keys
   * the request may carry.
   * @default - the service principal itself, or `iam-role-session` for an IAM ARN
   */
  readonly caller?: Caller;
  /** `service:Action`. */
  readonly action: string;
  /** The concrete ARN acted upon (no wildcard). */
  readonly resource: string;
  /** The account owning `resource`: decides same-account vs cross-account. */
  readonly resourceAccount: string;
  /** Policies attached to `principal`, by name. */
  readonly identityPolicies?: Readonly<Record<string, PolicyDocument>>;
  /** The resource's policy: bus, queue, topic, log, key policy, or a role's trust policy. */
  readonly resourcePolicy?: PolicyDocument;
  /**
   * Request context: only keys `DOCUMENTED_CONTEXT_KEYS` lists for the caller and action (else the
   * simulation throws). Multi-valued keys (`events:source`, `events:detail-type`) take arrays.
   */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export interface SimulationOutcome {
  readonly decision: Decision;
  /** The library's full result (analysis of every policy and statement). */
  readonly raw: SimulationResourceResult;
  /** A compact, readable account of which statements matched and why: for failure messages. */
  readonly explanation: string;
}

export class SimulationInputError extends Error {
  override readonly name = 'SimulationInputError';
}

/** Runs one simulation and returns the decision with the library's analysis. */
export async function simulateWithDetails(request: SimulationRequest): Promise<SimulationOutcome> {
  const contextVariables = await typedContext(documentedContext(callerOf(request), request.action, request.context ?? {}));
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables,
    },
    identityPolicies: Object.entries(request.identityPolicies ?? {}).map(([name, policy]) => ({ name, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
  };
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (response.resultType === 'error') {
    throw new SimulationInputError(`iam-simulate rejected the request: ${JSON.stringify(response.errors)}`);
  }
  if (response.resultType !== 'single') {
    throw new SimulationInputError(`resource ${request.resource}: name one concrete resource, not a pattern`);
  }
  const ignored = response.result.ignoredContextKeys ?? [];
  const documented = await colonVariableKeys(request, ignored);
  const unknown = ignored.filter((k) => !documented.includes(k));
  if (unknown.length > 0) {
    throw new SimulationInputError(
      `context key(s) ${unknown.join(', ')} do not apply to ${request.action} on ${request.resource}; ` +
        'iam-simulate would drop them silently',
    );
  }
  const explanation = explain(request, response.result);
  if (documented.length === 0) return { decision: response.overallResult, raw: response.result, explanation };
  // iam-simulate 0.1.173 matches variable keys only in the `prefix/${Var}` form (aws:PrincipalTag/…)
  // and drops the documented `kms:EncryptionContext:${EncryptionContextKey}` form. The request has
  // passed validation above; evaluate it again, with those keys, without the key filter.
  // runUnsafeSimulation loads the resource policy without a name and then crashes reading it;
  // a ValidatedPolicy (iam-policy's plain-object form, `{ __validated, policyDocument, metadata,
  // errors }`) carries the name. `errors: []` is true: runSimulation has just validated it.
  const resourcePolicy = simulation.resourcePolicy && {
    __validated: true,
    policyDocument: simulation.resourcePolicy,
    metadata: { name: 'resource policy' },
    errors: [],
  };
  const decision = runUnsafeSimulation({ ...simulation, resourcePolicy }, { simulationMode: 'Strict' });
  return {
    decision,
    raw: response.result,
    explanation:
      `decision ${decision} (runUnsafeSimulation, with ${documented.join(', ')}); ` +
      `the analysis below is runSimulation's, which dropped ${documented.length > 1 ? 'them' : 'it'}:\n${explanation}`,
  };
}

/** The caller a request is checked against in the documented-keys table. */
export const callerOf = (request: Pick<SimulationRequest, 'principal' | 'caller'>): Caller =>
  request.caller ?? (request.principal.endsWith('.amazonaws.com') ? request.principal : 'iam-role-session');

/** The decision of one request: `Allowed`, `ImplicitlyDenied` or `ExplicitlyDenied`. */
export async function simulate(request: SimulationRequest): Promise<Decision> {
  return (await simulateWithDetails(request)).decision;
}

/** Asserts the decision; on a mismatch the failure message carries the explanation. */
export async function expectDecision(request: SimulationRequest, expected: Decision): Promise<void> {
  const outcome = await simulateWithDetails(request);
  expect(outcome.decision, outcome.explanation).toBe(expected);
}

/**
 * Checks every key exists and gives multi-valued keys an array, single-valued keys a string
 * (the library would silently keep only the first element of an array given to a string key).
 */
async function typedContext(context: NonNullable<SimulationRequest['context']>): Promise<Record<string, string | string[]>> {
  const typed: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(context)) {
    const type = await typeForContextKey(key).catch(() => {
      throw new SimulationInputError(`context key ${key} is not an IAM condition key`);
    });
    if (isConditionKeyArray(type)) typed[key] = typeof value === 'string' ? [value] : [...value];
    else if (typeof value === 'string') typed[key] = value;
    else throw new SimulationInputError(`context key ${key} is single-valued (${type}); give a string, not ${JSON.stringify(value)}`);
  }
  return typed;
}

/** Of the keys the library ignored, those the action documents as `service:Prefix:${Variable}`. */
async function colonVariableKeys(request: SimulationRequest, ignored: readonly string[]): Promise<string[]> {
  if (ignored.length === 0) return [];
  const [service = '', action = ''] = request.action.split(':');
  const prefixes = (await allowedContextKeysForRequest(service, action, request.resource, false, undefined))
    .filter((k) => k.includes(':${') && !k.includes('/'))
    .map((k) => k.slice(0, k.indexOf('${')));
  return ignored.filter((key) => prefixes.some((p) => key.toLowerCase().startsWith(p) && key.length > p.length));
}

type AnalysedStatements = NonNullable<SimulationResourceResult['analysis']['resourceAnalysis']>;

const describeCondition = (c: ConditionExplain): string =>
  `${c.operator} ${c.conditionKeyValue}` +
  (c.failedBecauseMissing ? ' (key absent)' : c.unmatchedValues?.length ? ` (unmatched ${JSON.stringify(c.unmatchedValues)})` : '');

const describeStatement = (s: StatementExplain): string => {
  if (s.matches) return `${s.effect} ${s.identifier}: matches (principal ${s.principalMatch})`;
  const failed = [
    s.actionMatch ? [] : ['action'],
    s.resourceMatch ? [] : ['resource'],
    s.principalMatch === 'NoMatch' ? ['principal'] : [],
    (s.conditions ?? []).filter((c) => !c.matches).map(describeCondition),
  ].flat();
  return `${s.effect} ${s.identifier}: no match on ${failed.join('; ')}`;
};

const describeAnalysis = (title: string, analysis: AnalysedStatements | undefined): string[] =>
  analysis === undefined
    ? []
    : [
        `${title}: ${analysis.result}`,
        ...[...analysis.denyStatements, ...analysis.allowStatements, ...analysis.unmatchedStatements].map(
          (s) => `  ${describeStatement(s.explain)}`,
        ),
      ];

function explain(request: SimulationRequest, raw: SimulationResourceResult): string {
  const a = raw.analysis;
  return [
    `${request.principal} ${request.action} ${request.resource} (account ${request.resourceAccount}) => ${a.result}` +
      ` [sameAccount=${a.sameAccount}${a.blockedBy?.length ? `, blockedBy=${a.blockedBy.join(',')}` : ''}]`,
    `context: ${JSON.stringify(request.context ?? {})}`,
    ...describeAnalysis('identity policies', a.identityAnalysis),
    ...describeAnalysis('resource policy', a.resourceAnalysis),
  ].join('\n');
}

/**
 * A request by the deployment role (`deployment.roleName`) in `account`, with `policy` as its one
 * identity policy: what the deployment-policy tests simulate.
 */
export const asDeploymentRole = (account: string, policy: PolicyDocument, action: string, resource: string, context: SimulationRequest['context'] = {}): SimulationRequest => ({
  principal: `arn:aws:iam::${account}:role/ebs-event-hub-deployer`,
  action,
  resource,
  resourceAccount: account,
  identityPolicies: { deployment: policy },
  context,
});
