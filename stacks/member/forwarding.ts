import { Construct } from 'constructs';
import { forwardingPattern } from '../event-patterns';
import { EventDeadLetterQueue } from '../dead-letter-queue';
import { FORWARD_DLQ_NAME, FORWARD_RULE_NAME, FORWARDER_ROLE_NAME, ruleArn } from '../names';
import { policyDocument, serviceTrustPolicy, type PolicyDocument } from '../policy';
import { RoleWithPolicies } from '../role-with-policies';
import { RuleWithTarget } from '../rule-with-target';

export interface ForwardingProps {
  readonly accountId: string;
  /** Regions whose default bus forwards to the central bus. */
  readonly regions: readonly string[];
  /** The central bus, computed from config (no cross-stack reference). */
  readonly centralBusArn: string;
}

/** EventBridge, acting for this account's rules, may assume the forwarder role. */
export const forwarderTrustPolicy = (accountId: string): PolicyDocument => serviceTrustPolicy('events.amazonaws.com', accountId);

/** The forwarder may put events on the central bus and do nothing else. */
export function forwarderPolicy(centralBusArn: string): PolicyDocument {
  return policyDocument('identity', [
    { Sid: 'PutEventsOnCentralBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: centralBusArn },
  ]);
}

/**
 * In every listed region, a rule on the default bus (AWS service events reach only the default
 * bus) forwarding EC2/EBS events to the central bus, which may be in another region.
 *
 * A cross-account bus target needs a role since 2023-02-16:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
 * IAM is global, so one forwarder role serves all regions of the account.
 */
export class Forwarding extends Construct {
  readonly role: RoleWithPolicies;
  readonly trustPolicy: PolicyDocument;
  readonly rolePolicy: PolicyDocument;
  readonly deadLetterQueues: Readonly<Record<string, EventDeadLetterQueue>> = {};

  constructor(scope: Construct, id: string, props: ForwardingProps) {
    super(scope, id);
    if (props.regions.length === 0) throw new Error('Forwarding: regions is empty; list at least one region');
    this.trustPolicy = forwarderTrustPolicy(props.accountId);
    this.rolePolicy = forwarderPolicy(props.centralBusArn);
    this.role = new RoleWithPolicies(this, 'role', {
      roleName: FORWARDER_ROLE_NAME,
      description: 'EventBridge forwards EC2/EBS events to the central bus',
      trustPolicy: this.trustPolicy,
      policies: { 'put-events-on-central-bus': this.rolePolicy },
    });
    const queues: Record<string, EventDeadLetterQueue> = {};
    for (const region of props.regions) {
      const dlq = new EventDeadLetterQueue(this, `dlq-${region}`, {
        name: FORWARD_DLQ_NAME,
        region,
        accountId: props.accountId,
        sourceRuleArns: [ruleArn(region, props.accountId, FORWARD_RULE_NAME)],
      });
      queues[region] = dlq;
      new RuleWithTarget(this, `forward-${region}`, {
        ruleName: FORWARD_RULE_NAME,
        description: 'Forward EC2/EBS snapshot, volume and AMI events to the central bus',
        region,
        pattern: forwardingPattern(),
        targetArn: props.centralBusArn,
        roleArn: this.role.role.arn,
        deadLetterQueueArn: dlq.arn,
        targetDependsOn: [...this.role.policies], // the role may put events only once its policy exists
      });
    }
    this.deadLetterQueues = queues;
  }
}
