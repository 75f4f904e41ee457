import { Construct } from 'constructs';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
import { accountRootArn, FORWARD_RULE_NAME } from '../names';
import { policyDocument, renderPolicy, type PolicyDocument, type Statement } from '../policy/policy';
import { POLICY_LIMITS } from '../policy/policy-limits';

/** EventBridge's limit on an event bus resource policy, in characters (see POLICY_LIMITS for the source). */
export const BUS_POLICY_MAX_CHARS = POLICY_LIMITS.eventBusPolicy.max;

/** The bus policy would exceed EventBridge's size limit. */
export class BusPolicyTooLargeError extends Error {
  override readonly name = 'BusPolicyTooLargeError';
}

export interface BusPolicyProps {
  /** ARN of the bus the policy is attached to. */
  readonly busArn: string;
  /**
   * Organization admitted to put events.
   * @default - no organization: every account in `memberAccountIds` is listed instead
   */
  readonly organizationId?: string;
  /** Accounts admitted when there is no `organizationId`. */
  readonly memberAccountIds: readonly string[];
}

/**
 * The member forwarding rule in any account and region (the rule lives on each member region's
 * default bus, so its ARN has no bus segment).
 */
export const forwardRuleArnPattern = (ruleName: string = FORWARD_RULE_NAME): string => `arn:aws:events:*:*:rule/${ruleName}`;

/**
 * The central bus policy: `events:PutEvents` only when a member's forwarding rule delivers (its
 * role), for the organization's principals (or the listed accounts).
 *
 * Conditions use only keys AWS documents for rule-based delivery to a bus in another account
 * (see `rule-forward` in stacks/policy/context-keys.ts):
 * - `aws:SourceArn`, the sending rule: "send events only from a specific rule",
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-restrict-rule.html
 *   Direct `PutEvents` calls carry no `aws:SourceArn` (a service sets it when it acts for a
 *   resource: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn),
 *   so an org member putting custom events itself is denied;
 * - `aws:PrincipalOrgID` of the rule's role session (organization mode):
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
 * No `events:source`/`events:detail-type` condition: no page says they are present for
 * rule-forwarded deliveries, and a condition requiring them (a `Null` guard) could deny every
 * forward silently. What a forwarding rule may carry is bounded anyway: customers cannot put events
 * whose source begins with `aws.`, and every rule on the central bus matches `aws.ec2` or
 * `aws.cloudwatch` events only, so anything else a member forwards is ignored.
 */
export function centralBusPolicy(props: BusPolicyProps): PolicyDocument {
  const fromForwardingRule = { ArnLike: { 'aws:SourceArn': forwardRuleArnPattern() } };
  const statement: Statement = props.organizationId
    ? {
        Sid: 'OrganizationForwardingRulesPutEvents',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: props.busArn,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId }, ...fromForwardingRule },
      }
    : {
        Sid: 'MemberForwardingRulesPutEvents',
        Effect: 'Allow',
        Principal: { AWS: [...new Set(props.memberAccountIds)].sort().map(accountRootArn) },
        Action: 'events:PutEvents',
        Resource: props.busArn,
        Condition: fromForwardingRule,
      };
  const doc = policyDocument('resource', [statement]);
  const size = renderPolicy(doc).length;
  if (size > BUS_POLICY_MAX_CHARS) {
    throw new BusPolicyTooLargeError(
      `organizationId: not set, so the central bus policy lists all ${props.memberAccountIds.length} member accounts, ` +
        `which takes ${size} characters; EventBridge allows ${BUS_POLICY_MAX_CHARS}. Set organizationId to admit the whole organization instead.`,
    );
  }
  return doc;
}

export interface CentralEventBusProps extends BusPolicyProps {
  readonly busName: string;
  readonly region: string;
}

/**
 * The custom bus that aggregates forwarded events, with its one resource policy.
 *
 * Exactly one `aws_cloudwatch_event_bus_policy` and never `aws_cloudwatch_event_permission`: the
 * policy resource overwrites the whole policy, so mixing them makes each undo the other.
 * No customer managed key on the bus: it would encrypt only custom and partner events; AWS
 * service events are encrypted with an AWS-owned key either way.
 */
export class CentralEventBus extends Construct {
  readonly bus: CloudwatchEventBus;
  readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: CentralEventBusProps) {
    super(scope, id);
    this.policy = centralBusPolicy(props);
    this.bus = new CloudwatchEventBus(this, 'bus', { name: props.busName, region: props.region });
    new CloudwatchEventBusPolicy(this, 'policy', {
      eventBusName: this.bus.name,
      region: props.region,
      policy: renderPolicy(this.policy),
    });
  }
}
