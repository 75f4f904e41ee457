/**
 * `npm run verify`: reads, through the SDK, that a deployed wave forwards events (and, in vault mode
 * with `snapshotCopy.kmsKeyId`, that each member's copy key lets the vault role use it). One result per
 * account and region; a check that cannot run (throttled after the SDK's retries, access denied,
 * a role that cannot be assumed) is a problem of that account/region, never a crash. Missing,
 * expired or invalid caller credentials are not: `verify` throws `NoCredentialsError` once.
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DescribeEventBusCommand, DescribeRuleCommand, ListTargetsByRuleCommand, type Target } from '@aws-sdk/client-eventbridge';
import { DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { OrgConfig } from '../../config/schema';
import { ALERT_PATTERNS } from '../../stacks/event-patterns';
import { alertRuleName, AUDIT_RULE_NAME, centralBusArn, COPY_STATE_MACHINE_NAME, FORWARD_DLQ_NAME, FORWARD_RULE_NAME, FORWARDER_ROLE_NAME, queueArn, roleArn } from '../../stacks/names';
import { copyPermissionsFor, forwardingRegions } from '../../stacks/policy/snapshot-copy-permissions';
import { describeAwsFailure } from '../common/aws-failure';
import { copyWorkflowArn, failedExecutionsSince } from '../common/copy-executions';
import { NoCredentialsError } from '../common/credentials';
import { mapLimit } from '../common/map-limit';
import type { AccountClients, ClientProvider, RegionClients } from './aws';
import { busPolicyProblems, forwardRuleProblems, metricProblems, queueProblems } from './checks';
import { copyKeyProblems } from './key-policy';

/** The snapshot-copy workflow (Step Functions state machine) in the central account and region. */
export const COPY_WORKFLOW_NAME = COPY_STATE_MACHINE_NAME;

export interface VerifyScope {
  /** Member accounts to check (all their regions). */
  readonly accounts: readonly string[];
  /** Also check the central account. */
  readonly central: boolean;
}

export interface VerifyOptions {
  readonly config: OrgConfig;
  readonly scope: VerifyScope;
  /** Metrics and executions count from here (the deploy). */
  readonly since: Date;
  readonly now?: Date;
  /** Accounts checked at once. */
  readonly concurrency: number;
  readonly clients: ClientProvider;
}

export interface VerifyResult {
  readonly kind: 'member' | 'central';
  readonly accountId: string;
  readonly region: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

export interface VerifyReport {
  readonly since: string;
  readonly checkedAt: string;
  readonly ok: boolean;
  readonly results: readonly VerifyResult[];
}

/** A check that could not run, as a problem line: what, the error, and the attempts when throttled. */
export const describeFailure = (what: string, err: unknown): string => describeAwsFailure(what, err, 'run verify again later');

async function attempt(problems: string[], what: string, check: () => Promise<string[]>): Promise<void> {
  try {
    problems.push(...(await check()));
  } catch (err) {
    problems.push(describeFailure(what, err));
  }
}

/**
 * Sums of AWS/Events metrics since `since`: one period spanning the whole window, so each query
 * returns at most one value. Period in whole hours: CloudWatch requires multiples of 300 s for
 * data older than 15 days and of 3600 s beyond 63 days
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
 * EventBridge publishes FailedInvocations only when non-zero, so no data is zero.
 */
async function metricSums(
  clients: RegionClients,
  metrics: readonly { label: string; name: string; dimensions: Record<string, string> }[],
  since: Date,
  now: Date,
): Promise<Map<string, number>> {
  const span = Math.max(1, Math.ceil((now.getTime() - since.getTime()) / 3_600_000)) * 3600;
  const queries: MetricDataQuery[] = metrics.map((m, i) => ({
    Id: `m${i}`,
    MetricStat: {
      Metric: { Namespace: 'AWS/Events', MetricName: m.name, Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })) },
      Period: span,
      Stat: 'Sum',
    },
  }));
  const sums = new Map(metrics.map((m) => [m.label, 0]));
  let NextToken: string | undefined;
  do {
    const out = await clients.cloudwatch.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: since, EndTime: now, NextToken }));
    for (const r of out.MetricDataResults ?? []) {
      const label = metrics[Number(r.Id?.slice(1))]?.label;
      if (label !== undefined) sums.set(label, (sums.get(label) ?? 0) + (r.Values ?? []).reduce((a, b) => a + b, 0));
    }
    NextToken = out.NextToken;
  } while (NextToken);
  return sums;
}

/**
 * The metrics of a rule: on the default bus their only dimension is RuleName; on a custom bus
 * EventBusName and RuleName (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
 */
const ruleMetrics = (ruleName: string, busName?: string): { label: string; name: string; dimensions: Record<string, string> }[] =>
  (['FailedInvocations', 'InvocationsSentToDLQ'] as const).map((name) => ({
    label: `${name} of rule ${ruleName}`,
    name,
    dimensions: busName ? { EventBusName: busName, RuleName: ruleName } : ({ RuleName: ruleName } as Record<string, string>),
  }));

const isNotFound = (err: unknown) => /ResourceNotFound|NonExistentQueue|QueueDoesNotExist|StateMachineDoesNotExist/.test((err as Error).name ?? '');

async function checkMember(config: OrgConfig, accountId: string, region: string, clients: RegionClients, since: Date, now: Date): Promise<string[]> {
  const problems: string[] = [];
  await attempt(problems, `rule ${FORWARD_RULE_NAME}`, async () => {
    let rule;
    try {
      rule = await clients.events.send(new DescribeRuleCommand({ Name: FORWARD_RULE_NAME }));
    } catch (err) {
      if (isNotFound(err)) return forwardRuleProblems(undefined, [], expectation());
      throw err;
    }
    const targets: Target[] = [];
    let NextToken: string | undefined;
    do {
      const out = await clients.events.send(new ListTargetsByRuleCommand({ Rule: FORWARD_RULE_NAME, NextToken }));
      targets.push(...(out.Targets ?? []));
      NextToken = out.NextToken;
    } while (NextToken);
    return forwardRuleProblems(rule, targets, expectation());
  });
  function expectation() {
    return { ruleName: FORWARD_RULE_NAME, busArn: centralBusArn(config), roleArn: roleArn(accountId, FORWARDER_ROLE_NAME), dlqArn: queueArn(region, accountId, FORWARD_DLQ_NAME) };
  }
  await attempt(problems, `dead-letter queue ${FORWARD_DLQ_NAME}`, async () => {
    let url;
    try {
      url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: FORWARD_DLQ_NAME, QueueOwnerAWSAccountId: accountId }))).QueueUrl;
    } catch (err) {
      if (isNotFound(err)) return [`dead-letter queue ${FORWARD_DLQ_NAME} does not exist`];
      throw err;
    }
    const out = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return queueProblems(FORWARD_DLQ_NAME, out.Attributes ?? {});
  });
  await attempt(problems, `metrics of rule ${FORWARD_RULE_NAME}`, async () => metricProblems(await metricSums(clients, ruleMetrics(FORWARD_RULE_NAME), since, now)));
  const copy = config.snapshotCopy;
  if (copy?.vault && copy.kmsKeyId && copyKeyRegions(config, accountId).includes(region)) {
    await attempt(problems, `copy key ${copy.kmsKeyId}`, () => checkCopyKey(config, copy.kmsKeyId!, accountId, region, clients));
  }
  return problems;
}

/** The regions a member's copies are made in (where its copy key must admit the vault role). */
const copyKeyRegions = (config: OrgConfig, accountId: string): readonly string[] => {
  const member = config.members.find((m) => m.accountId === accountId);
  return (config.snapshotCopy && member && copyPermissionsFor(config.snapshotCopy, accountId, member.regions)?.destinationRegions) || [];
};

/**
 * Vault mode with `snapshotCopy.kmsKeyId`: the key the member's copies are made under, in one of
 * its destination regions, must let the vault role read them through EC2 (cli/verify/key-policy.ts).
 * A key of another account (a key ARN) is checked from that account, when it is a member: KMS
 * serves GetKeyPolicy only to the key's own account
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html, "Cross-account use: No").
 */
async function checkCopyKey(config: OrgConfig, kmsKeyId: string, accountId: string, region: string, clients: RegionClients): Promise<string[]> {
  let key;
  try {
    key = (await clients.kms.send(new DescribeKeyCommand({ KeyId: kmsKeyId }))).KeyMetadata;
  } catch (err) {
    if ((err as Error).name === 'NotFoundException') return [`copy key ${kmsKeyId} does not exist in ${region}: copies cannot be encrypted under it, nor shared with the vault`];
    throw err;
  }
  if (!key?.Arn) return [`copy key ${kmsKeyId}: DescribeKey returned no key`];
  const facts = { kmsKeyId, region, keyArn: key.Arn, keyManager: key.KeyManager };
  if (key.KeyManager === 'AWS') return copyKeyProblems(config, facts);
  if (key.Arn.split(':')[4] !== accountId) return [];
  const policy = (await clients.kms.send(new GetKeyPolicyCommand({ KeyId: key.Arn, PolicyName: 'default' }))).Policy;
  return copyKeyProblems(config, { ...facts, policy });
}

async function checkCentral(config: OrgConfig, clients: RegionClients, since: Date, now: Date): Promise<string[]> {
  const { busName } = config.central;
  const problems: string[] = [];
  await attempt(problems, `bus ${busName}`, async () => {
    try {
      const bus = await clients.events.send(new DescribeEventBusCommand({ Name: busName }));
      return busPolicyProblems(bus.Policy, config);
    } catch (err) {
      if (isNotFound(err)) return [`bus ${busName} does not exist`];
      throw err;
    }
  });
  const rules = [AUDIT_RULE_NAME, ...ALERT_PATTERNS.map((a) => alertRuleName(a.id))];
  await attempt(problems, 'metrics of the audit and alert rules', async () =>
    metricProblems(await metricSums(clients, rules.flatMap((r) => ruleMetrics(r, busName)), since, now)),
  );
  if (config.snapshotCopy) {
    const arn = copyWorkflowArn(config);
    await attempt(problems, `copy workflow ${COPY_WORKFLOW_NAME}`, async () => {
      let byStatus;
      try {
        byStatus = await failedExecutionsSince(clients.sfn, arn, since);
      } catch (err) {
        if (isNotFound(err)) return [`copy workflow ${arn} does not exist`];
        throw err;
      }
      return [...byStatus]
        .filter(([, list]) => list.length > 0)
        .map(([status, list]) => `copy workflow ${COPY_WORKFLOW_NAME}: ${list.length} ${status} execution${list.length === 1 ? '' : 's'} since the deploy (npm run copies -- retry starts them again)`);
    });
  }
  return problems;
}

export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const { config, since } = options;
  const now = options.now ?? new Date();
  type Job = { kind: 'member' | 'central'; accountId: string; regions: readonly string[] };
  const inScope = new Set(options.scope.accounts);
  const jobs: Job[] = [
    ...(options.scope.central ? [{ kind: 'central' as const, accountId: config.central.accountId, regions: [config.central.region] }] : []),
    // Every region the member stack deploys into: its own, and its copy destinations (forwarding
    // rules and DLQs there too), computed by the function the member stack itself uses.
    ...config.members
      .filter((m) => inScope.has(m.accountId))
      .map((m) => ({ kind: 'member' as const, accountId: m.accountId, regions: forwardingRegions(config.snapshotCopy, m.regions) })),
  ];
  // No credentials is the caller's problem, not 100 accounts' (one line, exit 2).
  await options.clients.checkCredentials?.();
  const perJob = await mapLimit(jobs, options.concurrency, async (job): Promise<VerifyResult[]> => {
    let clients: AccountClients;
    try {
      clients = await options.clients.forAccount(job.accountId);
    } catch (err) {
      // Credentials that expire during the run: the same for every account that follows.
      if (err instanceof NoCredentialsError) throw err;
      return job.regions.map((region) => ({ kind: job.kind, accountId: job.accountId, region, ok: false, problems: [(err as Error).message] }));
    }
    const out: VerifyResult[] = [];
    for (const region of job.regions) {
      const problems =
        job.kind === 'central' ? await checkCentral(config, clients(region), since, now) : await checkMember(config, job.accountId, region, clients(region), since, now);
      out.push({ kind: job.kind, accountId: job.accountId, region, ok: problems.length === 0, problems });
    }
    return out;
  });
  const results = perJob.flat();
  return { since: since.toISOString(), checkedAt: now.toISOString(), ok: results.every((r) => r.ok), results };
}

/** One line per account/region, then the summary. */
export function renderReport(report: VerifyReport): string[] {
  const lines = report.results.map(
    (r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.kind.padEnd(7)} ${r.accountId} ${r.region}${r.ok ? '' : `: ${r.problems.join('; ')}`}`,
  );
  const bad = report.results.filter((r) => !r.ok).length;
  lines.push(
    `verify: ${report.results.length - bad} of ${report.results.length} account/region${report.results.length === 1 ? '' : 's'} healthy` +
      `${bad ? `, ${bad} with problems` : ''} (since ${report.since})`,
  );
  return lines;
}
