import { spawnSync } from 'node:child_process';
import { App, TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CloudwatchEventArchive } from '@cdktf/provider-aws/lib/cloudwatch-event-archive';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogResourcePolicy } from '@cdktf/provider-aws/lib/cloudwatch-log-resource-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { describe, expect, it } from 'vitest';
import { loadOrgConfig } from '../config/load';
import type { OrgConfig } from '../config/schema';
import { buildApp } from '../stacks/app';
import { AWS_PROVIDER_VERSION, TERRAFORM_REQUIRED_VERSION } from '../stacks/base-stack';
import { DEPRECATED_ARGUMENTS, findDeprecatedArguments } from '../stacks/checks/deprecated-arguments';
import { findLiteralReferences, type SynthesizedStack } from '../stacks/checks/literal-references';
import { findOversizedPolicies } from '../stacks/checks/policy-sizes';
import { fakeBundle } from './support/bundle';
import { CENTRAL_ACCOUNT, manyMembers, rawConfig, testConfig } from './support/config';
import { ROOT } from './support/run-main';
import { addressOf, synthStack, theResource, type StackJson } from './support/synth';

/** Every stack of the app for `config`, synthesized. */
function synthAll(config: OrgConfig): Map<string, StackJson> {
  const built = buildApp({ config, outdir: Testing.app().outdir, snapshotCopyBundle: config.snapshotCopy ? fakeBundle() : undefined });
  return new Map([built.central, ...built.members].map((s) => [s.node.id, synthStack(s)]));
}

const EXAMPLE = synthAll(loadOrgConfig(undefined));
/** 300 member accounts in two regions, the central account among them, with snapshot copies. */
const LARGE = synthAll(
  testConfig({
    members: [{ accountId: CENTRAL_ACCOUNT, regions: ['eu-west-1', 'us-east-1'] }, ...manyMembers(299, ['eu-west-1', 'us-east-1'])],
    snapshotCopy: { destinationRegion: 'eu-central-1', kmsKeyId: 'alias/ebs-dr', copyTag: 'dr=true' },
    alerts: { emails: ['ops@example.com'] },
  }),
);
const ORGS = [
  ['example org', EXAMPLE],
  ['300-member org', LARGE],
] as const;

/** A hand-written stack, as `cdk.tf.json` holds it. */
const stackOf = (resource: SynthesizedStack['resource']): SynthesizedStack => ({ resource });

describe('findLiteralReferences (pure check)', () => {
  const bus = { name: 'hub', region: 'eu-west-1' };
  const queue = { name: 'dlq', region: 'eu-west-1' };

  it('GIVEN a rule naming the bus by a literal string THEN it reports the rule, the attribute and the bus', () => {
    const findings = findLiteralReferences(
      stackOf({ aws_cloudwatch_event_bus: { b: bus }, aws_cloudwatch_event_rule: { r: { name: 'r', region: 'eu-west-1', event_bus_name: 'hub' } } }),
    );
    expect(findings).toEqual([{ resource: 'aws_cloudwatch_event_rule.r', attribute: 'event_bus_name', literal: 'hub', names: 'aws_cloudwatch_event_bus.b' }]);
  });

  it('GIVEN the rule references the bus (${…name}) THEN nothing is reported', () => {
    const stack = stackOf({ aws_cloudwatch_event_bus: { b: bus }, aws_cloudwatch_event_rule: { r: { name: 'r', event_bus_name: '${aws_cloudwatch_event_bus.b.name}' } } });
    expect(findLiteralReferences(stack)).toEqual([]);
  });

  it('GIVEN a target naming its queue by a literal ARN THEN it is reported, unless the target depends on the queue, directly or through a resource it depends on', () => {
    const target = { rule: 'x', region: 'eu-west-1', dead_letter_config: { arn: 'arn:aws:sqs:eu-west-1:111111111111:dlq' } };
    const unordered = stackOf({ aws_sqs_queue: { q: queue }, aws_cloudwatch_event_target: { t: target } });
    expect(findLiteralReferences(unordered)).toEqual([
      { resource: 'aws_cloudwatch_event_target.t', attribute: 'dead_letter_config.arn', literal: 'arn:aws:sqs:eu-west-1:111111111111:dlq', names: 'aws_sqs_queue.q' },
    ]);
    const direct = stackOf({ aws_sqs_queue: { q: queue }, aws_cloudwatch_event_target: { t: { ...target, depends_on: ['aws_sqs_queue.q'] } } });
    expect(findLiteralReferences(direct)).toEqual([]);
    const transitive = stackOf({
      aws_sqs_queue: { q: queue },
      aws_sqs_queue_policy: { p: { queue_url: '${aws_sqs_queue.q.url}', policy: '{}' } },
      aws_cloudwatch_event_target: { t: { ...target, depends_on: ['aws_sqs_queue_policy.p'] } },
    });
    expect(findLiteralReferences(transitive)).toEqual([]);
  });

  it('GIVEN one queue name in two regions THEN an ARN names only the queue of its own region', () => {
    const stack = stackOf({
      aws_sqs_queue: { west: queue, east: { name: 'dlq', region: 'us-east-1' } },
      aws_cloudwatch_event_target: { t: { region: 'us-east-1', dead_letter_config: { arn: 'arn:aws:sqs:us-east-1:111111111111:dlq' }, depends_on: ['aws_sqs_queue.east'] } },
    });
    expect(findLiteralReferences(stack)).toEqual([]);
  });

  it('GIVEN an alarm dimension naming a queue literally THEN it is reported; an equal string under an unrelated key is not', () => {
    const stack = stackOf({
      aws_sqs_queue: { q: { name: 'copy', region: 'eu-west-1' } },
      aws_cloudwatch_metric_alarm: { a: { alarm_name: 'a', region: 'eu-west-1', dimensions: { QueueName: 'copy' } } },
      aws_lambda_function: { f: { function_name: 'f', region: 'eu-west-1', environment: { variables: { SERVICE_NAME: 'copy' } } } },
    });
    expect(findLiteralReferences(stack).map((f) => `${f.resource} ${f.attribute}`)).toEqual(['aws_cloudwatch_metric_alarm.a dimensions.QueueName']);
  });

  it('GIVEN names inside policy documents, a redrive allow policy, a description or the resource\'s own name THEN nothing is reported', () => {
    const stack = stackOf({
      aws_cloudwatch_event_bus: { b: bus },
      aws_sqs_queue: {
        q: { name: 'dlq', region: 'eu-west-1', policy: '{"Resource":"arn:aws:events:eu-west-1:111111111111:event-bus/hub"}', redrive_allow_policy: 'arn:aws:sqs:eu-west-1:111111111111:src', description: 'for hub' },
        src: { name: 'src', region: 'eu-west-1', redrive_policy: '${aws_sqs_queue.q.arn}' },
      },
      aws_cloudwatch_log_group: { g: { name: '/aws/events/hub/audit', region: 'eu-west-1' } },
    });
    expect(findLiteralReferences(stack)).toEqual([]);
  });

  it.each(ORGS)('GIVEN the %s THEN no stack names a resource of its own without ordering after it, but for the one reviewed exception', (_name, stacks) => {
    for (const [id, stack] of stacks) {
      // The one exception, suppressed with its reason on the resource (the guardrail aspect fails
      // synthesis otherwise): the step function's STATE_MACHINE_ARN, read only at run time, names the
      // state machine that is created after the function (it names the function by literal ARN).
      const expected = id === 'central' ? [expect.objectContaining({ resource: expect.stringMatching(/^aws_lambda_function\.snapshot-copy_step-function_/), attribute: 'environment.variables.STATE_MACHINE_ARN' })] : [];
      expect(findLiteralReferences(stack.json as SynthesizedStack), id).toEqual(expected);
    }
  });
});

describe('ordering on the first apply', () => {
  const central = EXAMPLE.get('central')!;
  const bus = addressOf(central, CloudwatchEventBus.tfResourceType);

  it('creates every rule on the central bus, the bus policy and the archive after the bus (by reference)', () => {
    // Rules on the account's default bus (the copy workflow's execution alerts and sweep schedule)
    // need no ordering: the default bus always exists.
    const rules = Object.values(central.json.resource?.[CloudwatchEventRule.tfResourceType] ?? {}).filter((r) => r.event_bus_name !== 'default');
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) expect(rule.event_bus_name).toBe(`\${${bus}.name}`);
    expect(theResource(central, CloudwatchEventBusPolicy.tfResourceType).event_bus_name).toBe(`\${${bus}.name}`);
    expect(theResource(central, CloudwatchEventArchive.tfResourceType).event_source_arn).toBe(`\${${bus}.arn}`);
  });

  it('creates each target after the policy that admits EventBridge to its target', () => {
    const targets = Object.values(central.json.resource?.[CloudwatchEventTarget.tfResourceType] ?? {});
    const dependsOn = (where: (t: Record<string, unknown>) => boolean) => targets.filter(where).map((t) => t.depends_on);
    const topicPolicy = addressOf(central, SnsTopicPolicy.tfResourceType);
    const logPolicy = addressOf(central, CloudwatchLogResourcePolicy.tfResourceType);
    const auditGroup = addressOf(central, CloudwatchLogGroup.tfResourceType, (g) => String(g.name).startsWith('/aws/events/'));
    const copyQueue = addressOf(central, SqsQueue.tfResourceType, (q) => q.name === 'ebs-event-hub-snapshot-copy');
    const topicTargets = dependsOn((t) => String(t.arn).includes(':sns:'));
    expect(topicTargets.length).toBeGreaterThan(0);
    for (const d of topicTargets) expect(d).toContain(topicPolicy);
    expect(dependsOn((t) => String(t.arn).includes(':logs:'))).toEqual([expect.arrayContaining([logPolicy, auditGroup])]);
    // The copy queue's policy is inline (`policy` argument): referencing the queue (its ARN) orders
    // the target after it and its policy.
    const queueTargets = targets.filter((t) => String(t.arn).includes(copyQueue));
    expect(queueTargets.map((t) => t.arn)).toEqual([`\${${copyQueue}.arn}`]);
  });

  it('creates the queue event source mapping after the start function role\'s policies (Lambda checks sqs:ReceiveMessage at creation)', () => {
    // The mapping references the start function, which depends on its role's policies: Terraform
    // orders the mapping after them (dependencies are transitive).
    const mapping = theResource(central, LambdaEventSourceMapping.tfResourceType);
    const start = addressOf(central, LambdaFunction.tfResourceType, (f) => f.function_name === 'ebs-event-hub-copy-start');
    expect(mapping.function_name).toBe(`\${${start}.arn}`);
    const startPolicies = Object.entries(central.json.resource?.[IamRolePolicy.tfResourceType] ?? {})
      .filter(([, p]) => String(p.role).includes('start-role'))
      .map(([n]) => `${IamRolePolicy.tfResourceType}.${n}`);
    expect(startPolicies.length).toBeGreaterThan(0);
    expect(theResource(central, LambdaFunction.tfResourceType, (f) => f.function_name === 'ebs-event-hub-copy-start').depends_on).toEqual(expect.arrayContaining(startPolicies));
  });

  it('creates each member forwarding target after the forwarder role\'s policy', () => {
    const member = EXAMPLE.get('member-222222222222')!;
    const policy = addressOf(member, IamRolePolicy.tfResourceType, (p) => p.name === 'put-events-on-central-bus');
    const targets = Object.values(member.json.resource?.[CloudwatchEventTarget.tfResourceType] ?? {});
    expect(targets).toHaveLength(2);
    for (const t of targets) expect(t.depends_on).toEqual([policy]);
  });

  it('keeps node.addDependency() out of the stacks: it writes no depends_on in cdktf 0.21', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 's');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const first = new SqsQueue(stack, 'first', { name: 'first' });
    const second = new SqsQueue(stack, 'second', { name: 'second' });
    second.node.addDependency(first);
    expect(JSON.parse(Testing.synth(stack)).resource.aws_sqs_queue.second.depends_on).toBeUndefined();
    // Calls, not comments: a line whose first non-blank characters are not `*` or `//`.
    const found = spawnSync('git', ['grep', '--untracked', '-nE', '^\\s*[^*/ ].*\\.addDependency\\(', '--', 'stacks/*.ts', 'stacks/**/*.ts'], { cwd: ROOT, encoding: 'utf8' });
    // The only uses left are the stack-level dependencies on central (the manifest's `dependencies`):
    // of the members, and (vault mode) of the vault stack.
    const uses = found.stdout.trim().split('\n');
    expect(uses).toHaveLength(2);
    expect(uses).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^stacks\/app\.ts:\d+:\s+stack\.addDependency\(central\);$/),
        expect.stringMatching(/^stacks\/app\.ts:\d+:\s+vault\?\.addDependency\(central\);$/),
      ]),
    );
  });
});

describe('findDeprecatedArguments (pure check)', () => {
  it('GIVEN a role with inline_policy (deprecated since hashicorp/aws 5.68) THEN it is reported with the provider\'s source', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 's');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    new IamRole(stack, 'role', { name: 'r', assumeRolePolicy: '{}', inlinePolicy: [{ name: 'p', policy: '{}' }] });
    const findings = findDeprecatedArguments(JSON.parse(Testing.synth(stack)));
    expect(findings).toEqual([
      { resource: expect.stringMatching(/^aws_iam_role\./), argument: 'inline_policy', message: expect.stringContaining('func.resourceRole.goindex') },
    ]);
  });

  it('GIVEN a rule with is_enabled THEN it is reported; with state only THEN not', () => {
    expect(findDeprecatedArguments(stackOf({ aws_cloudwatch_event_rule: { r: { is_enabled: true } } })).map((f) => f.argument)).toEqual(['is_enabled']);
    expect(findDeprecatedArguments(stackOf({ aws_cloudwatch_event_rule: { r: { state: 'ENABLED' } } }))).toEqual([]);
  });

  it('GIVEN a resource type the table does not list THEN it is reported as never checked', () => {
    expect(findDeprecatedArguments(stackOf({ aws_s3_bucket: { b: { bucket: 'x' } } }))).toEqual([
      { resource: 'aws_s3_bucket.b', argument: '(type)', message: expect.stringContaining('not in the table') },
    ]);
  });

  it.each(ORGS)('GIVEN the %s THEN no stack sets a deprecated argument or uses an unchecked resource type', (_name, stacks) => {
    for (const [id, stack] of stacks) expect(findDeprecatedArguments(stack.json), id).toEqual([]);
  });

  it('lists exactly the resource types the stacks use (a stale entry would hide nothing, but says the table was not kept)', () => {
    const used = new Set([...EXAMPLE.values(), ...LARGE.values()].flatMap((s) => Object.keys(s.json.resource ?? {})));
    expect([...used].sort()).toEqual(Object.keys(DEPRECATED_ARGUMENTS).sort());
  });
});

describe('policy sizes in the synthesized Terraform', () => {
  it.each(ORGS)('GIVEN the %s THEN every policy is literal JSON within its AWS limit', (_name, stacks) => {
    for (const [id, stack] of stacks) expect(findOversizedPolicies(stack.json), id).toEqual([]);
  });
});

describe('terraform block', () => {
  const stacks = [...EXAMPLE.entries()];

  it('requires the hashicorp/aws provider at the version the bindings are generated from', () => {
    const generated = new AwsProvider(new TerraformStack(new App(), 's'), 'aws', {}).terraformGeneratorMetadata?.providerVersion;
    expect(AWS_PROVIDER_VERSION).toBe(generated);
    for (const [id, stack] of stacks) {
      expect(stack.json.terraform?.required_providers, id).toEqual({ aws: { source: 'hashicorp/aws', version: '6.25.0' } });
    }
  });

  it('admits only Terraform 1.10 and later 1.x (S3-native locking, use_lockfile, needs 1.10)', () => {
    expect(TERRAFORM_REQUIRED_VERSION).toBe('>= 1.10.0, < 2.0.0');
    for (const [id, stack] of stacks) expect(stack.json.terraform?.required_version, id).toBe(TERRAFORM_REQUIRED_VERSION);
    const s3 = synthAll(testConfig({ deployment: { state: { bucket: 'tf-state', region: 'eu-west-1' } } }));
    for (const [id, stack] of s3) {
      expect(stack.json.terraform, id).toMatchObject({ required_version: TERRAFORM_REQUIRED_VERSION, backend: { s3: { use_lockfile: true } } });
    }
  });

  it('keeps local state in a relative path next to each stack, so no absolute path of the checkout is written', () => {
    for (const [id, stack] of stacks) {
      expect(stack.json.terraform?.backend, id).toEqual({ local: { path: `terraform.${id}.tfstate` } });
      expect(stack.raw, id).not.toContain(ROOT);
      expect(stack.raw, id).not.toContain(process.cwd());
    }
  });

  it('ignores those state files in git, at the top and under cdktf.out/stacks/*', () => {
    const paths = ['terraform.central.tfstate', 'terraform.member-222222222222.tfstate.backup', 'cdktf.out/stacks/central/terraform.central.tfstate', 'stacks/x/terraform.member-1.tfstate'];
    const run = spawnSync('git', ['check-ignore', '--no-index', ...paths], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stdout.trim().split('\n').sort()).toEqual([...paths].sort());
  });
});

describe('archive retention', () => {
  it('omits retention_days for 0 (keep forever): the provider would not send a 0 anyway', () => {
    const central = synthAll(testConfig({ central: { ...rawConfig().central, archiveRetentionDays: 0 } })).get('central')!;
    expect(theResource(central, CloudwatchEventArchive.tfResourceType)).not.toHaveProperty('retention_days');
  });

  it('writes any other retention as given', () => {
    const central = synthAll(testConfig({ central: { ...rawConfig().central, archiveRetentionDays: 30 } })).get('central')!;
    expect(theResource(central, CloudwatchEventArchive.tfResourceType).retention_days).toBe(30);
  });
});
