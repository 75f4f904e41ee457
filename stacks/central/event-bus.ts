import { Construct } from 'constructs';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
import { EC2_SOURCE, FORWARDED_DETAIL_TYPES } from '../event-patterns';
import { policyDocument, renderPolicy, type PolicyDocument, type Statement } from '../policy';
import { POLICY_LIMITS } from '../policy-limits';

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
 * The central bus policy: `events:PutEvents` only for the organization's principals (or the listed
 * accounts) and only for `aws.ec2` events of the forwarded detail-types.
 *
 * `events:source` and `events:detail-type` are multi-valued keys (one PutEvents call carries
 * several entries), so they take `ForAllValues:` — every entry must match — as in AWS's example:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html
 * `ForAllValues:` is vacuously true when a key is absent, so a `Null` check also requires both
 * keys to be present (PutEvents entries always carry Source and DetailType; the check makes the
 * policy safe without relying on that):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
export function centralBusPolicy(props: BusPolicyProps): PolicyDocument {
  const eventConditions = {
    'ForAllValues:StringEquals': { 'events:source': [EC2_SOURCE], 'events:detail-type': [...FORWARDED_DETAIL_TYPES] },
    Null: { 'events:source': 'false', 'events:detail-type': 'false' },
  };
  const statement: Statement = props.organizationId
    ? {
        Sid: 'OrganizationPutsForwardedEc2Events',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: props.busArn,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId }, ...eventConditions },
      }
    : {
        Sid: 'MemberAccountsPutForwardedEc2Events',
        Effect: 'Allow',
        Principal: { AWS: [...new Set(props.memberAccountIds)].sort().map((a) => `arn:aws:iam::${a}:root`) },
        Action: 'events:PutEvents',
        Resource: props.busArn,
        Condition: eventConditions,
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
