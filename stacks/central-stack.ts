import { TerraformOutput } from 'cdktf';
import { CloudwatchEventArchive } from '@cdktf/provider-aws/lib/cloudwatch-event-archive';
import type { Construct } from 'constructs';
import type { OrgConfig } from '../config/schema';
import { centralIntakePattern } from './event-patterns';
import { AccountStack, type ProviderRole } from './base-stack';
import { EventDeadLetterQueue } from './dead-letter-queue';
import { Alerts, ALARM_NAME_PREFIX, ALERT_TOPIC_NAME, alertRuleArns } from './central/alerts';
import { AuditLog, auditLogGroupName } from './central/audit-log';
import { CentralEventBus } from './central/event-bus';
import { HubKey } from './central/hub-key';
import { AlertAlarm, DLQ_MESSAGE_EXPIRING_SECONDS, oldestMessageOlderThan, queueNotEmpty, RuleFailureAlarms } from './central/alert-alarm';
import { copyLogGroupNames, copyRuleArns, SnapshotCopy, sweepDeployed, type HandlerBundle } from './central/snapshot-copy';
import { vaultAccessOf } from './central/snapshot-copy-vault';
import { AUDIT_RULE_NAME, CENTRAL_STACK_ID, centralBusArn, PREFIX, ruleArn, topicArn } from './names';
import { configuredSourceRegions, copyPermissionsFor } from './policy/snapshot-copy-permissions';

export { AUDIT_RULE_NAME };
export const CENTRAL_DLQ_NAME = `${PREFIX}-central-target-dlq`;
export const ARCHIVE_NAME = `${PREFIX}-archive`;

export interface CentralStackProps {
  readonly config: OrgConfig;
  /**
   * The built snapshot-copy handler. Required when `config.snapshotCopy` is set.
   * @default - none: no copy function (allowed only without `snapshotCopy`)
   */
  readonly snapshotCopyBundle?: HandlerBundle;
  /** The role the provider assumes. @default 'deploy' */
  readonly providerRole?: ProviderRole;
}

/** `snapshotCopy` is configured but no handler bundle was given. */
export class HandlerBundleMissingError extends Error {
  override readonly name = 'HandlerBundleMissingError';
}

/**
 * The central account: the custom bus and its policy, the archive, the audit log, the alerts,
 * one dead-letter queue for every rule target on the bus and, with `snapshotCopy`, the copy path.
 */
export class CentralStack extends AccountStack {
  readonly eventBus: CentralEventBus;
  readonly alerts: Alerts;
  readonly hubKey: HubKey;
  readonly deadLetterQueue: EventDeadLetterQueue;
  readonly snapshotCopy?: SnapshotCopy;

  constructor(scope: Construct, props: CentralStackProps) {
    const { config } = props;
    const { accountId, region, busName } = config.central;
    super(scope, CENTRAL_STACK_ID, { config, accountId, region, providerRole: props.providerRole });
    const copy = config.snapshotCopy;
    if (copy && !props.snapshotCopyBundle) {
      throw new HandlerBundleMissingError('snapshotCopyBundle: not given, but config.snapshotCopy is set; build the handler (npm run build) and pass its bundle');
    }

    this.eventBus = new CentralEventBus(this, 'event-bus', {
      busName,
      region,
      busArn: centralBusArn(config),
      organizationId: config.organizationId,
      memberAccountIds: config.members.map((m) => m.accountId),
    });

    const ruleArns = [
      ruleArn(region, accountId, AUDIT_RULE_NAME, busName),
      ...alertRuleArns({ accountId, region, busName }),
      ...(copy ? copyRuleArns({ accountId, region, busName, retention: sweepDeployed(copy) }) : []),
    ];
    this.deadLetterQueue = new EventDeadLetterQueue(this, 'target-dlq', {
      name: CENTRAL_DLQ_NAME,
      region,
      accountId,
      sourceRuleArns: ruleArns,
    });

    this.hubKey = new HubKey(this, 'key', {
      accountId,
      region,
      alertTopicArn: topicArn(region, accountId, ALERT_TOPIC_NAME),
      logGroupNames: [auditLogGroupName(busName), ...(copy ? copyLogGroupNames({ retention: sweepDeployed(copy) }) : [])],
    });

    new CloudwatchEventArchive(this, 'archive', {
      name: ARCHIVE_NAME,
      region,
      description: 'Every forwarded EC2/EBS event, for replay',
      eventSourceArn: this.eventBus.bus.arn,
      eventPattern: JSON.stringify(centralIntakePattern()),
      // 0 (keep forever) is written as no argument: hashicorp/aws 6.25 sends retention_days only
      // when it is not zero (`d.GetOk`), on create and on update alike, and EventBridge keeps
      // events indefinitely when no retention is given. So a change from N days to 0 is never
      // applied by Terraform: README says how to make it (aws events update-archive).
      // (lonegunmanb/terraform-provider-aws-index@add8b630a, v6.25.0: func.resourceArchiveCreate/Update.goindex)
      ...(config.central.archiveRetentionDays > 0 ? { retentionDays: config.central.archiveRetentionDays } : {}),
    });

    new AuditLog(this, 'audit-log', {
      accountId,
      region,
      busName,
      ruleName: AUDIT_RULE_NAME,
      ruleArn: ruleArns[0]!,
      retentionInDays: config.central.logRetentionDays,
      kmsKeyArn: this.hubKey.key.arn,
      deadLetterQueueArn: this.deadLetterQueue.arn,
      eventBusName: this.eventBus.bus.name,
    });

    this.alerts = new Alerts(this, 'alerts', {
      accountId,
      region,
      busName,
      kmsKeyArn: this.hubKey.key.arn,
      emails: config.alerts.emails,
      deadLetterQueueArn: this.deadLetterQueue.arn,
      eventBusName: this.eventBus.bus.name,
    });

    new AlertAlarm(this, 'target-dlq-alarm', {
      alarmName: `${ALARM_NAME_PREFIX}central-target-dlq-not-empty`,
      description: 'Events the central bus could not deliver to the audit log, alert topic or copy queue',
      region,
      metric: queueNotEmpty(this.deadLetterQueue.queue.name),
      topicArn: this.alerts.topic.arn,
      notifyOnOk: true,
    });
    // The count alarm tells once; a dead letter nobody redrives is deleted 14 days after it arrived.
    new AlertAlarm(this, 'target-dlq-expiring-alarm', {
      alarmName: `${ALARM_NAME_PREFIX}central-target-dlq-messages-expiring`,
      description: 'An undelivered event has waited 7 days in the central target DLQ; SQS deletes it after 14: redrive it now',
      region,
      metric: oldestMessageOlderThan(this.deadLetterQueue.queue.name, DLQ_MESSAGE_EXPIRING_SECONDS),
      topicArn: this.alerts.topic.arn,
    });

    if (copy && props.snapshotCopyBundle) {
      const self = config.members.find((m) => m.accountId === accountId);
      this.snapshotCopy = new SnapshotCopy(this, 'snapshot-copy', {
        accountId,
        region,
        busName,
        eventBusName: this.eventBus.bus.name,
        organizationId: config.organizationId,
        bundle: props.snapshotCopyBundle,
        destinationRegion: copy.destinationRegion,
        regionMap: copy.regionMap,
        sourceRegions: configuredSourceRegions(config),
        kmsKeyId: copy.kmsKeyId,
        copyTag: copy.copyTag,
        memberRoleName: copy.memberRoleName,
        memberAccountIds: config.members.map((m) => m.accountId),
        ownAccountCopy: self && copyPermissionsFor(copy, accountId, self.regions),
        maxInFlightCopies: copy.maxInFlightCopies,
        retentionDays: copy.retentionDays,
        vault: vaultAccessOf(config),
        deploymentRoleName: config.deployment.roleName,
        logRetentionDays: config.central.logRetentionDays,
        kmsKeyArn: this.hubKey.key.arn,
        alertTopicArn: this.alerts.topic.arn,
        deadLetterQueueArn: this.deadLetterQueue.arn,
      });
    }

    // Every rule of this stack that fails to deliver reaches a human (after all rules exist).
    new RuleFailureAlarms(this, 'rule-alarms', { region, busName: this.eventBus.bus.name, topicArn: this.alerts.topic.arn });

    new TerraformOutput(this, 'event_bus_arn', { value: this.eventBus.bus.arn, description: 'ARN of the central event bus' });
    new TerraformOutput(this, 'alert_topic_arn', { value: this.alerts.topic.arn, description: 'ARN of the alert topic' });
  }
}
