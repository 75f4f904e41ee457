/**
 * `npm run verify` against aws-sdk-client-mock stand-ins answering as the API references say:
 * - DescribeRule / ListTargetsByRule / DescribeEventBus (Policy is the policy's JSON text):
 *   https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeEventBus.html;
 *   an unknown rule is ResourceNotFoundException.
 * - GetQueueAttributes returns attribute values as strings:
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
 * - GetMetricData returns no values for a metric with no data; EventBridge publishes
 *   FailedInvocations only when it is not zero:
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
 * - ListExecutions lists the most recent first:
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 * - Throttling is `ThrottlingException` (HTTP 400), retried by the SDK's standard retry mode:
 *   https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrgConfig } from '../config/schema';
import { NoCredentialsError } from '../cli/common/credentials';
import { assumeRoleClients, type ClientProvider } from '../cli/verify/aws';
import { busPolicyProblems } from '../cli/verify/checks';
import { runVerify, scopeOf } from '../cli/verify/run';
import { COPY_WORKFLOW_NAME, verify, type VerifyReport } from '../cli/verify/verify';
import { buildApp } from '../stacks/app';
import { centralBusPolicy } from '../stacks/central/event-bus';
import { alertRuleName, AUDIT_RULE_NAME, centralBusArn, FORWARD_DLQ_NAME, FORWARD_RULE_NAME, FORWARDER_ROLE_NAME, queueArn, roleArn } from '../stacks/names';
import { renderPolicy } from '../stacks/policy/policy';
import { vaultUsesMemberKeyStatements } from '../stacks/policy/vault-permissions';
import { fakeBundle } from './support/bundle';
import { BUS_NAME, CENTRAL_ACCOUNT, CENTRAL_REGION, ORG_ID, testConfig } from './support/config';
import { noCredentials } from './support/aws-env';
import { envWithoutOrgConfig, ROOT } from './support/run-main';

const config = testConfig({
  members: [
    { accountId: '222222222222', regions: ['eu-west-1', 'us-east-1'], wave: 1 },
    { accountId: '333333333333', regions: ['eu-west-1'], wave: 2 },
  ],
  snapshotCopy: { destinationRegion: 'eu-central-1' },
});
const SINCE = new Date('2026-11-20T10:00:00Z');
const NOW = new Date('2026-11-21T10:00:00Z');

const sts = mockClient(STSClient);
const events = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const cw = mockClient(CloudWatchClient);
const sfn = mockClient(SFNClient);
const kms = mockClient(KMSClient);

const credentials = { AccessKeyId: 'AKIAEXAMPLE', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2026-11-21T11:00:00Z') };
const busPolicy = (cfg: OrgConfig) =>
  renderPolicy(centralBusPolicy({ busArn: centralBusArn(cfg), organizationId: cfg.organizationId, memberAccountIds: cfg.members.map((m) => m.accountId) }));

/** A healthy deployment: every API answers as a working wave does. */
function healthy(cfg: OrgConfig = config): void {
  sts.on(GetCallerIdentityCommand).resolves({ Account: '000000000000', Arn: 'arn:aws:sts::000000000000:assumed-role/ci/session', UserId: 'AROAEXAMPLE:session' });
  sts.on(AssumeRoleCommand).resolves({ Credentials: credentials });
  events.on(DescribeRuleCommand).resolves({ Name: FORWARD_RULE_NAME, State: 'ENABLED', EventBusName: 'default' });
  events.on(DescribeEventBusCommand).resolves({ Name: BUS_NAME, Policy: busPolicy(cfg) });
  sqs.on(GetQueueUrlCommand).callsFake((input) => ({ QueueUrl: `https://sqs.eu-west-1.amazonaws.com/${input.QueueOwnerAWSAccountId}/${input.QueueName}` }));
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } });
  cw.on(GetMetricDataCommand).callsFake((input) => ({ MetricDataResults: input.MetricDataQueries.map((q: { Id: string }) => ({ Id: q.Id, Values: [], StatusCode: 'Complete' })) }));
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
}

/** Targets as the forwarding rule of `account` in `region` has them when healthy. */
function forwardTargets(cfg: OrgConfig = config) {
  return (account: string, region: string) => [
    { Id: 'central-bus', Arn: centralBusArn(cfg), RoleArn: roleArn(account, FORWARDER_ROLE_NAME), DeadLetterConfig: { Arn: queueArn(region, account, FORWARD_DLQ_NAME) } },
  ];
}

const provider = (overrides = {}) => assumeRoleClients({ roleName: config.deployment.roleName, stsRegion: CENTRAL_REGION, overrides });

/**
 * The real provider, marking each EventBridge client with its account and region so the
 * ListTargetsByRule stand-in (`withTargets`) answers per account and region.
 */
function providerWithTargets(base: ClientProvider = provider()): ClientProvider {
  return {
    checkCredentials: () => base.checkCredentials!(),
    async forAccount(accountId) {
      const clients = await base.forAccount(accountId);
      return (region) => {
        const c = clients(region);
        (c.events as unknown as { __where: string }).__where = `${accountId} ${region}`;
        (c.kms as unknown as { __where: string }).__where = `${accountId} ${region}`;
        return c;
      };
    },
  };
}

function withTargets(targets: (account: string, region: string) => unknown[]) {
  events.on(ListTargetsByRuleCommand).callsFake((_input, getClient) => {
    const [account, region] = (getClient() as unknown as { __where: string }).__where.split(' ');
    return { Targets: targets(account!, region!) };
  });
}

const check = (scope = { central: true, accounts: ['222222222222', '333333333333'] }, clients: ClientProvider = providerWithTargets()) =>
  verify({ config, scope, since: SINCE, now: NOW, concurrency: 4, clients });

const problemsOf = (report: VerifyReport, accountId: string, region: string) => report.results.find((r) => r.accountId === accountId && r.region === region)!.problems;

beforeEach(() => {
  for (const m of [sts, events, sqs, cw, sfn, kms]) m.reset();
  healthy();
  withTargets(forwardTargets());
});
afterEach(() => {
  for (const m of [sts, events, sqs, cw, sfn, kms]) m.reset();
});

describe('verify: a healthy deployment', () => {
  it('GIVEN every API answers healthy THEN one ok result per account/region, central included, and every region a member stack deploys (copy destinations too)', async () => {
    const report = await check();
    expect(report.ok).toBe(true);
    // The member stacks also deploy forwarding rules and DLQs into the copy destination region
    // (eu-central-1): stacks/snapshot-copy-permissions.ts forwardingRegions, which MemberStack uses.
    expect(report.results.map((r) => `${r.kind} ${r.accountId} ${r.region}`)).toEqual([
      `central ${CENTRAL_ACCOUNT} ${CENTRAL_REGION}`,
      'member 222222222222 eu-west-1',
      'member 222222222222 us-east-1',
      'member 222222222222 eu-central-1',
      'member 333333333333 eu-west-1',
      'member 333333333333 eu-central-1',
    ]);
    // ... which are the regions the member stacks put their forwarding rules' DLQs in.
    const synthesized = buildApp({ config, snapshotCopyBundle: fakeBundle() }).members.map((m) => m.forwarding);
    expect(synthesized.map((f) => Object.keys(f.deadLetterQueues).sort())).toEqual([
      ['eu-central-1', 'eu-west-1', 'us-east-1'],
      ['eu-central-1', 'eu-west-1'],
    ]);
    // The deployment role of each account is assumed once.
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn).sort()).toEqual(
      [CENTRAL_ACCOUNT, '222222222222', '333333333333'].map((a) => `arn:aws:iam::${a}:role/OrganizationAccountAccessRole`),
    );
  });

  it('asks CloudWatch for the forwarding rule\'s metrics by RuleName alone (default bus) and the central rules\' with EventBusName', async () => {
    await check();
    const queries = cw.commandCalls(GetMetricDataCommand).flatMap((c) => c.args[0].input.MetricDataQueries!);
    const dims = queries.map((q) => `${q.MetricStat!.Metric!.MetricName} ${q.MetricStat!.Metric!.Dimensions!.map((d) => `${d.Name}=${d.Value}`).join(',')}`);
    expect(dims).toContain(`FailedInvocations RuleName=${FORWARD_RULE_NAME}`);
    expect(dims).toContain(`InvocationsSentToDLQ RuleName=${FORWARD_RULE_NAME}`);
    expect(dims).toContain(`FailedInvocations EventBusName=${BUS_NAME},RuleName=${AUDIT_RULE_NAME}`);
    expect(dims).toContain(`InvocationsSentToDLQ EventBusName=${BUS_NAME},RuleName=${alertRuleName('snapshot-failure')}`);
    const call = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(call.StartTime).toEqual(SINCE);
    expect(queries.every((q) => q.MetricStat!.Stat === 'Sum' && q.MetricStat!.Period! % 3600 === 0)).toBe(true);
  });

  it('writes verify.json and prints one line per account/region and a summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-'));
    const lines: string[] = [];
    const out = join(dir, 'cdktf.out', 'verify.json');
    await runVerify({ config, scope: scopeOf(config, '1'), since: SINCE, now: NOW, out, concurrency: 2, clients: providerWithTargets(), print: (l) => lines.push(l) });
    expect(lines).toEqual([
      `ok   central ${CENTRAL_ACCOUNT} ${CENTRAL_REGION}`,
      'ok   member  222222222222 eu-west-1',
      'ok   member  222222222222 us-east-1',
      'ok   member  222222222222 eu-central-1',
      `verify: 4 of 4 account/regions healthy (since ${SINCE.toISOString()})`,
    ]);
    const written = JSON.parse(readFileSync(out, 'utf8')) as VerifyReport;
    expect(written.ok).toBe(true);
    expect(written.results).toHaveLength(4);
  });
});

describe('verify: each unhealthy case is reported', () => {
  it('GIVEN the forwarding rule does not exist THEN that region reports it', async () => {
    events.on(DescribeRuleCommand).rejects(new ResourceNotFoundException({ message: 'Rule ebs-event-hub-forward-to-central does not exist.', $metadata: {} }));
    const report = await check({ central: false, accounts: ['333333333333'] });
    expect(report.ok).toBe(false);
    expect(problemsOf(report, '333333333333', 'eu-west-1')).toContain(`rule ${FORWARD_RULE_NAME} does not exist`);
  });

  it('GIVEN the rule is DISABLED THEN reported', async () => {
    events.on(DescribeRuleCommand).resolves({ Name: FORWARD_RULE_NAME, State: 'DISABLED' });
    const report = await check({ central: false, accounts: ['333333333333'] });
    expect(problemsOf(report, '333333333333', 'eu-west-1')).toEqual([`rule ${FORWARD_RULE_NAME} is DISABLED, not ENABLED`]);
  });

  it('GIVEN a target without the forwarder role or DLQ, or to another bus THEN reported', async () => {
    withTargets((account, region) => (region === 'us-east-1' ? [{ Id: 'x', Arn: 'arn:aws:events:eu-west-1:999999999999:event-bus/other' }] : [{ Id: 'x', Arn: centralBusArn(config), RoleArn: roleArn(account, 'other') }]));
    const report = await check({ central: false, accounts: ['222222222222'] });
    expect(problemsOf(report, '222222222222', 'eu-west-1')).toEqual([
      `rule ${FORWARD_RULE_NAME}'s target role is arn:aws:iam::222222222222:role/other, not ${roleArn('222222222222', FORWARDER_ROLE_NAME)}`,
      `rule ${FORWARD_RULE_NAME}'s target dead-letter queue is missing, not ${queueArn('eu-west-1', '222222222222', FORWARD_DLQ_NAME)}`,
    ]);
    expect(problemsOf(report, '222222222222', 'us-east-1')[0]).toMatch(/has no target arn:aws:events:eu-west-1:111111111111:event-bus\/ebs-events-central/);
  });

  it('GIVEN messages in a member DLQ THEN reported with the count', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '1' } });
    const report = await check({ central: false, accounts: ['333333333333'] });
    expect(problemsOf(report, '333333333333', 'eu-west-1')).toEqual([`dead-letter queue ${FORWARD_DLQ_NAME} holds 3 messages (failed deliveries)`]);
  });

  it('GIVEN FailedInvocations or InvocationsSentToDLQ since the deploy THEN reported', async () => {
    cw.on(GetMetricDataCommand).callsFake((input) => ({
      MetricDataResults: input.MetricDataQueries.map((q: { Id: string; MetricStat: { Metric: { MetricName: string } } }) => ({
        Id: q.Id,
        Values: q.MetricStat.Metric.MetricName === 'InvocationsSentToDLQ' ? [4] : [],
      })),
    }));
    const report = await check({ central: true, accounts: ['333333333333'] });
    expect(problemsOf(report, '333333333333', 'eu-west-1')).toEqual([`InvocationsSentToDLQ of rule ${FORWARD_RULE_NAME}: 4 since the deploy`]);
    expect(problemsOf(report, CENTRAL_ACCOUNT, CENTRAL_REGION)).toContain(`InvocationsSentToDLQ of rule ${AUDIT_RULE_NAME}: 4 since the deploy`);
  });

  it('GIVEN a bus policy that does not admit the organization THEN reported', async () => {
    events.on(DescribeEventBusCommand).resolves({ Name: BUS_NAME, Policy: busPolicy(testConfig({ organizationId: 'o-zzzzzzzzzz' })) });
    const report = await check({ central: true, accounts: [] });
    expect(problemsOf(report, CENTRAL_ACCOUNT, CENTRAL_REGION)).toEqual([`bus ${BUS_NAME}'s policy does not allow events:PutEvents to organization ${ORG_ID} (aws:PrincipalOrgID)`]);
  });

  it('GIVEN no organizationId THEN the policy must list every member account', () => {
    const listed = testConfig({ organizationId: undefined, members: [{ accountId: '222222222222', regions: ['eu-west-1'] }, { accountId: '333333333333', regions: ['eu-west-1'] }] });
    expect(busPolicyProblems(busPolicy(listed), listed)).toEqual([]);
    const fewer = testConfig({ organizationId: undefined, members: [{ accountId: '222222222222', regions: ['eu-west-1'] }] });
    expect(busPolicyProblems(busPolicy(fewer), listed)).toEqual([`bus ${BUS_NAME}'s policy does not allow events:PutEvents to member account 333333333333`]);
    expect(busPolicyProblems(undefined, listed)[0]).toMatch(/has no resource policy/);
  });

  it('GIVEN failed, timed-out or aborted copy executions since the deploy THEN reported; older ones are not', async () => {
    const arn = `arn:aws:states:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:stateMachine:${COPY_WORKFLOW_NAME}`;
    const exec = (name: string, at: string) => ({ executionArn: `${arn}:${name}`, stateMachineArn: arn, name, status: 'FAILED' as const, startDate: new Date(at), stopDate: new Date(at) });
    sfn.on(ListExecutionsCommand, { stateMachineArn: arn, statusFilter: 'FAILED' }).resolves({
      executions: [
        exec('new', '2026-11-21T09:00:00Z'),
        exec('newer-than-since', '2026-11-20T11:00:00Z'),
        exec('stopped-before-since', '2026-11-19T00:00:00Z'),
        // Started long before --since, failed after it (a copy waits for days): counted.
        { ...exec('started-before-failed-after', '2026-11-10T00:00:00Z'), stopDate: new Date('2026-11-20T12:00:00Z') },
        // Started more than the workflow's timeout (15 days) before --since: stopped before it.
        exec('old', '2026-11-01T00:00:00Z'),
      ],
      nextToken: 'more-but-older',
    });
    const report = await check({ central: true, accounts: [] });
    expect(problemsOf(report, CENTRAL_ACCOUNT, CENTRAL_REGION)).toEqual([`copy workflow ${COPY_WORKFLOW_NAME}: 3 FAILED executions since the deploy (npm run copies -- retry starts them again)`]);
    // It stops paging at the first execution started more than the workflow's timeout before --since.
    expect(sfn.commandCalls(ListExecutionsCommand, { statusFilter: 'FAILED' })).toHaveLength(1);
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input.statusFilter).sort()).toEqual(['ABORTED', 'FAILED', 'TIMED_OUT']);
  });
});

describe('verify: AWS pushing back', () => {
  it('GIVEN an account whose deployment role cannot be assumed THEN each of its regions reports it and the other accounts are still checked', async () => {
    const denied = Object.assign(new Error('User: arn:aws:sts::000000000000:assumed-role/ci is not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' });
    sts.on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::222222222222:role/OrganizationAccountAccessRole' }).rejects(denied);
    const report = await check();
    expect(report.ok).toBe(false);
    for (const region of ['eu-west-1', 'us-east-1']) {
      expect(problemsOf(report, '222222222222', region)).toEqual([
        'cannot assume arn:aws:iam::222222222222:role/OrganizationAccountAccessRole: AccessDenied: User: arn:aws:sts::000000000000:assumed-role/ci is not authorized to perform: sts:AssumeRole',
      ]);
    }
    expect(problemsOf(report, '333333333333', 'eu-west-1')).toEqual([]);
  });

  it('GIVEN throttling that outlasts the SDK\'s retries THEN it is a reported problem, not a crash', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400, attempts: 3 } });
    cw.on(GetMetricDataCommand).rejects(throttled);
    const report = await check({ central: false, accounts: ['333333333333'] });
    expect(problemsOf(report, '333333333333', 'eu-west-1')).toEqual([
      `metrics of rule ${FORWARD_RULE_NAME}: throttled (ThrottlingException) after 3 attempts; run verify again later`,
    ]);
  });

  it('checks at most `concurrency` accounts at once', async () => {
    let running = 0;
    let most = 0;
    const base = providerWithTargets();
    const slow: ClientProvider = {
      async forAccount(accountId) {
        running += 1;
        most = Math.max(most, running);
        await new Promise((r) => setImmediate(r));
        running -= 1;
        return base.forAccount(accountId);
      },
    };
    const many = testConfig({ members: Array.from({ length: 9 }, (_, i) => ({ accountId: String(200_000_000_000 + i), regions: ['eu-west-1' as never] })) });
    await verify({ config: many, scope: { central: false, accounts: many.members.map((m) => m.accountId) }, since: SINCE, now: NOW, concurrency: 3, clients: slow });
    expect(most).toBe(3);
  });
});

describe('verify: no credentials is one problem, not one per account', () => {
  // STS's answers to a request signed with bad credentials (common errors: ExpiredTokenException,
  // InvalidClientTokenId; the query protocol names an expired session token ExpiredToken):
  // https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
  const stsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } });

  it.each([
    ['ExpiredToken', 'The security token included in the request is expired', /^AWS credentials have expired \(ExpiredToken: /],
    ['InvalidClientTokenId', 'The security token included in the request is invalid.', /^AWS credentials are not valid \(InvalidClientTokenId: /],
  ])('GIVEN the caller\'s credentials answer %s THEN verify throws NoCredentialsError once, before assuming any role', async (name, message, expected) => {
    sts.on(GetCallerIdentityCommand).rejects(stsError(name, message));
    const failure = await check().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(NoCredentialsError);
    expect((failure as Error).message).toMatch(expected);
    expect((failure as Error).message).not.toContain('\n');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('GIVEN credentials that expire during the run (AssumeRole answers ExpiredToken) THEN NoCredentialsError, not a FAIL line per account', async () => {
    sts.on(AssumeRoleCommand).rejects(stsError('ExpiredToken', 'The security token included in the request is expired'));
    await expect(check()).rejects.toBeInstanceOf(NoCredentialsError);
  });

  it('GIVEN STS unreachable for GetCallerIdentity THEN not a credentials problem: each account reports what its own calls meet', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('getaddrinfo ENOTFOUND sts.eu-west-1.amazonaws.com'), { name: 'Error' }));
    const report = await check({ central: false, accounts: ['333333333333'] });
    expect(report.ok).toBe(true);
  });

  it('GIVEN no AWS credentials at all (the real SDK credential chain finds none) THEN one line, exit 2, no report written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-nocreds-'));
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'verify.ts'), '--out', join(dir, 'v.json')], { cwd: dir, encoding: 'utf8', env: noCredentials() });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: no AWS credentials \(CredentialsProviderError: Could not load credentials from any providers\); set or refresh them/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'v.json'))).toBe(false);
  });
});

describe('verify command line', () => {
  it('GIVEN a --since that is not an ISO time THEN exit 2, one message, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-cli-'));
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'verify.ts'), '--since', 'yesterday', '--out', join(dir, 'v.json')], {
      cwd: dir,
      encoding: 'utf8',
      env: envWithoutOrgConfig(),
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--since: "yesterday" is not an ISO 8601 time');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'v.json'))).toBe(false);
  });

  it('GIVEN --help THEN the usage on stdout and exit 0, before the config and credentials are read', () => {
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'verify.ts'), '--wave', '1', '--help'], {
      cwd: tmpdir(),
      encoding: 'utf8',
      env: { ...noCredentials(), ORG_CONFIG: ' ' },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run verify -- \[--wave <N\|all>\] \[--since <ISO time>\]/);
    expect(run.stdout).toContain('2 a bad argument or no usable AWS credentials');
    expect(run.stderr).toBe('');
  });

  it.each([
    [['--since', '2026-11-20T10:00:00'], '--since: "2026-11-20T10:00:00" is not an ISO 8601 time with a zone'],
    [['--since', '2999-01-01T00:00:00Z'], '--since: 2999-01-01T00:00:00Z is in the future'],
    [['--wave', '9'], '--wave: "9" is not a wave of this org'],
    [['--concurrency', '0'], '--concurrency: "0" is not a whole number of at least 1'],
  ])('GIVEN %j THEN exit 2 with a clear message', (args, message) => {
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'verify.ts'), ...args], { cwd: tmpdir(), encoding: 'utf8', env: envWithoutOrgConfig() });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

// Last: it restores the real EventBridge client for the rest of the file.
describe('verify: the SDK retries throttling', () => {
  it('GIVEN EventBridge throttles twice THEN the SDK\'s standard retry mode retries and the check passes', async () => {
    events.restore(); // the real EventBridge client, with a stand-in HTTP handler
    let describes = 0;
    const handler = {
      async handle(request: { headers: Record<string, string>; hostname: string }) {
        const target = request.headers['x-amz-target'] ?? '';
        const region = /^events\.([a-z0-9-]+)\.amazonaws\.com$/.exec(request.hostname)![1]!;
        let status = 200;
        let body: unknown;
        if (target.endsWith('.DescribeRule')) {
          describes += 1;
          if (describes <= 2) {
            status = 400;
            body = { __type: 'ThrottlingException', message: 'Rate exceeded' };
          } else body = { Name: FORWARD_RULE_NAME, State: 'ENABLED' };
        } else {
          body = { Targets: forwardTargets()('333333333333', region) };
        }
        return {
          response: { statusCode: status, reason: '', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r' }, body: Readable.from([Buffer.from(JSON.stringify(body))]) },
        };
      },
    };
    const report = await check({ central: false, accounts: ['333333333333'] }, provider({ events: { requestHandler: handler } }));
    // eu-west-1: two throttled, then answered; eu-central-1 (the copy destination): answered.
    expect(describes).toBe(4);
    expect(problemsOf(report, '333333333333', 'eu-west-1')).toEqual([]);
    expect(problemsOf(report, '333333333333', 'eu-central-1')).toEqual([]);
  });
});

describe('verify: vault mode with kmsKeyId checks the copy key of each member destination region', () => {
  // Members copy eu-west-1 and us-east-1 snapshots to eu-central-1 under alias/ebs-dr; the vault is 999999999999.
  const vaultConfig = testConfig({
    members: [
      { accountId: '222222222222', regions: ['eu-west-1', 'us-east-1'], wave: 1 },
      { accountId: '333333333333', regions: ['eu-west-1'], wave: 2 },
    ],
    snapshotCopy: { destinationRegion: 'eu-central-1', kmsKeyId: 'alias/ebs-dr', vault: { accountId: '999999999999' } },
  });
  const keyArn = (account: string) => `arn:aws:kms:eu-central-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const where = (getClient: () => unknown) => (getClient() as { __where: string }).__where.split(' ') as [string, string];
  const rootOnly = (account: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }] });
  const granting = (account: string) =>
    JSON.stringify({ Version: '2012-10-17', Statement: [...JSON.parse(rootOnly(account)).Statement, ...vaultUsesMemberKeyStatements('999999999999', 'eu-central-1')] });
  const run = () => verify({ config: vaultConfig, scope: { central: false, accounts: ['222222222222', '333333333333'] }, since: SINCE, now: NOW, concurrency: 2, clients: providerWithTargets() });

  beforeEach(() => {
    healthy(vaultConfig);
    withTargets(forwardTargets(vaultConfig));
    kms.on(DescribeKeyCommand).callsFake((_input, getClient) => ({ KeyMetadata: { KeyId: 'k', Arn: keyArn(where(getClient)[0]), KeyManager: 'CUSTOMER' } }));
  });

  it('GIVEN 222\'s key grants the vault role and 333\'s is the default policy THEN 333 eu-central-1 reports it; no key is read in a source region', async () => {
    kms.on(GetKeyPolicyCommand).callsFake((_input, getClient) => ({ Policy: where(getClient)[0] === '222222222222' ? granting('222222222222') : rootOnly('333333333333'), PolicyName: 'default' }));
    const report = await run();
    expect(problemsOf(report, '222222222222', 'eu-central-1')).toEqual([]);
    expect(problemsOf(report, '333333333333', 'eu-central-1')).toEqual([expect.stringMatching(/^copy key alias\/ebs-dr \(arn:aws:kms:eu-central-1:333333333333:key\/.+\): its policy does not let the vault role arn:aws:iam::999999999999:role\/ebs-event-hub-vault-copy use it through EC2 in eu-central-1/)]);
    expect(kms.commandCalls(DescribeKeyCommand).map((c) => c.args[0].input.KeyId)).toEqual(['alias/ebs-dr', 'alias/ebs-dr']);
    expect(kms.commandCalls(GetKeyPolicyCommand).map((c) => c.args[0].input).sort((a, b) => String(a.KeyId).localeCompare(String(b.KeyId)))).toEqual([
      { KeyId: keyArn('222222222222'), PolicyName: 'default' },
      { KeyId: keyArn('333333333333'), PolicyName: 'default' },
    ]);
    expect(problemsOf(report, '222222222222', 'eu-west-1')).toEqual([]);
  });

  it('GIVEN the alias does not exist in a member, or GetKeyPolicy is denied THEN one line each, and the other account is still checked', async () => {
    kms.on(DescribeKeyCommand).callsFake((_input, getClient) => {
      if (where(getClient)[0] === '333333333333') throw new NotFoundException({ message: 'Alias arn:aws:kms:eu-central-1:333333333333:alias/ebs-dr is not found.', $metadata: {} });
      return { KeyMetadata: { KeyId: 'k', Arn: keyArn('222222222222'), KeyManager: 'CUSTOMER' } };
    });
    kms.on(GetKeyPolicyCommand).rejects(Object.assign(new Error('User: arn:aws:sts::222222222222:assumed-role/deployer/verify is not authorized to perform: kms:GetKeyPolicy'), { name: 'AccessDeniedException' }));
    const report = await run();
    expect(problemsOf(report, '333333333333', 'eu-central-1')).toEqual(['copy key alias/ebs-dr does not exist in eu-central-1: copies cannot be encrypted under it, nor shared with the vault']);
    expect(problemsOf(report, '222222222222', 'eu-central-1')).toEqual([
      'copy key alias/ebs-dr: AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/deployer/verify is not authorized to perform: kms:GetKeyPolicy',
    ]);
  });

  it('GIVEN the key is another account\'s THEN its policy is not read here (KMS serves GetKeyPolicy to the key\'s account only)', async () => {
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: keyArn('444444444444'), KeyManager: 'CUSTOMER' } });
    const report = await run();
    expect(report.ok).toBe(true);
    expect(kms.commandCalls(GetKeyPolicyCommand)).toEqual([]);
  });

  it('GIVEN no vault, or a vault without kmsKeyId THEN no KMS call at all', async () => {
    await verify({ config, scope: { central: false, accounts: ['222222222222'] }, since: SINCE, now: NOW, concurrency: 2, clients: providerWithTargets() });
    expect(kms.calls()).toEqual([]);
  });
});
