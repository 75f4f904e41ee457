/**
 * The condition keys AWS documents as present in the request context, per caller and API.
 *
 * One table, used by the IAM simulation tests (every simulated request is built from it, and a
 * test that needs a key the table does not list fails) and by the synth guardrail that rejects a
 * policy conditioning a caller's request on a key that caller does not send.
 *
 * A policy that passes a simulator can still fail in AWS: a simulator decides only on the
 * context it is given. Each row says what AWS sends, with the page that says so.
 */

/**
 * Who makes the request:
 * - a service principal, as it appears in a policy (`events.amazonaws.com`,
 *   `logs.eu-west-1.amazonaws.com` is written `logs.<region>.amazonaws.com`);
 * - `iam-role-session`: an IAM role session (a role assumed with `sts:AssumeRole`, including a
 *   role a service assumes on the app's behalf, such as a Lambda execution role);
 * - `rule-forward`: EventBridge delivering to a target event bus in another account, with the
 *   rule's role.
 */
export type Caller = string;

export interface DocumentedContextKeys {
  readonly caller: Caller;
  /** `service:Action` */
  readonly action: string;
  /** Condition keys AWS documents as present for this caller and API. */
  readonly keys: readonly string[];
  /** Keys with one value per request element (for `ForAllValues:`/`ForAnyValue:`). */
  readonly multiValued?: readonly string[];
  /** The page(s) that say so. */
  readonly docs: readonly string[];
  /** What the page says, briefly, when it is not obvious. */
  readonly note?: string;
}

/** Rows: add one per caller and API a policy of this app admits, with its source. */
export const DOCUMENTED_CONTEXT_KEYS: readonly DocumentedContextKeys[] = [];

/** Normalizes a regional service principal (`logs.eu-west-1.amazonaws.com`) to its table form. */
export const callerForm = (caller: Caller): Caller => caller.replace(/^([a-z0-9-]+)\.[a-z]{2}(-gov)?-[a-z]+-\d\.amazonaws\.com$/, '$1.<region>.amazonaws.com');

/** The row for `caller` calling `action`, or undefined when the table has none. */
export function documentedKeys(caller: Caller, action: string): DocumentedContextKeys | undefined {
  const form = callerForm(caller);
  return DOCUMENTED_CONTEXT_KEYS.find((row) => row.caller === form && row.action === action);
}
