import { describe, expect, it } from 'vitest';
import { diffStack } from '../../cli/review/diff';
import { leafChanges, replacementReasons } from '../../cli/review/force-new';
import { FORCE_NEW_TABLE, PROVIDER_SOURCE } from '../../cli/review/force-new-table';
import { verdict } from '../../cli/review/render';
import { allFeaturesOrg, exampleOrg, goldenStacks, synthConfig, typesOf } from './synth-configs';

/** Types later features add (KMS keys of their own, the copy path's pieces): the table must know them before they ship. */
const LATER_TYPES = ['aws_kms_key', 'aws_kms_alias', 'aws_kms_key_policy', 'aws_iam_role', 'aws_iam_role_policy', 'aws_iam_role_policies_exclusive', 'aws_dynamodb_table', 'aws_sfn_state_machine', 'aws_lambda_function'];

describe('ForceNew table: generated from the provider source', () => {
  const golden = goldenStacks();
  const synthesized = typesOf(synthConfig(exampleOrg()), synthConfig(allFeaturesOrg()), golden);

  it('has an entry for every resource and data source type a synth of the example org and of every feature writes (and the golden syntheses)', () => {
    expect([...golden.keys()].some((k) => k.startsWith('all-features/'))).toBe(true);
    expect(synthesized.resource.size).toBeGreaterThan(15);
    const missing = [...synthesized.resource].filter((t) => FORCE_NEW_TABLE[t]?.kind !== 'resource');
    const missingData = [...synthesized.data].filter((t) => FORCE_NEW_TABLE[t]?.kind !== 'data');
    expect(missing, 'run scripts/force-new/generate.ts with the type added to its TYPES').toEqual([]);
    expect(missingData, 'run scripts/force-new/generate.ts with the type added to its TYPES').toEqual([]);
  });

  it('has an entry for the types later features add', () => {
    expect(LATER_TYPES.filter((t) => !FORCE_NEW_TABLE[t])).toEqual([]);
  });

  it('names the provider version and, per entry, the source file and symbol it comes from', () => {
    expect(PROVIDER_SOURCE).toMatchObject({ repo: 'lonegunmanb/terraform-provider-aws-index', ref: 'v6.25.0' });
    for (const [type, entry] of Object.entries(FORCE_NEW_TABLE)) {
      expect(entry.schema, type).toMatch(/^index\/internal\/service\/\w+\/(func|method)\.[\w.]+\.goindex \([\w.]+\)$/);
      for (const [arg, why] of Object.entries(entry.forceNew)) expect(why.source, `${type}.${arg}`).toMatch(/^index\/internal\/[\w/]+\/(func|var|method)\.[\w.]+\.goindex(:\d+)? \(.+\)$/);
    }
  });

  it('records what 6.25 forces new, top-level and nested, and the conditional ones with their condition', () => {
    expect(Object.keys(FORCE_NEW_TABLE.aws_cloudwatch_event_bus!.forceNew).sort()).toEqual(['event_source_name', 'name', 'region']);
    expect(Object.keys(FORCE_NEW_TABLE.aws_cloudwatch_event_archive!.forceNew).sort()).toEqual(['event_source_arn', 'name', 'region']);
    expect(Object.keys(FORCE_NEW_TABLE.aws_iam_role!.forceNew).sort()).toEqual(['name', 'name_prefix', 'path']);
    expect(FORCE_NEW_TABLE.aws_iam_role_policies_exclusive!.forceNew.role_name!.source).toContain('rolePoliciesExclusiveResource.Schema');
    expect(FORCE_NEW_TABLE.aws_dynamodb_table!.forceNew['local_secondary_index.name']).toBeDefined();
    expect(FORCE_NEW_TABLE.aws_dynamodb_table!.forceNew.restore_source_name!.conditional).toContain('new.(string) != ""');
    expect(FORCE_NEW_TABLE.aws_lambda_function!.forceNew.durable_config!.conditional).toMatch(/added .* or removed/);
    // Global IAM types have no per-resource region; regional ones do.
    expect(FORCE_NEW_TABLE.aws_iam_role!.regional).toBe(false);
    expect(FORCE_NEW_TABLE.aws_sqs_queue!.forceNew.region!.conditional).toMatch(/except one between unset and the region of the provider configuration/);
    // Not ForceNew in 6.25: updated in place.
    expect(FORCE_NEW_TABLE.aws_sfn_state_machine!.forceNew.definition).toBeUndefined();
    expect(FORCE_NEW_TABLE.aws_kms_key_policy!.forceNew.key_id).toBeUndefined();
  });
});

describe('replacement reasons', () => {
  const none = () => undefined;
  const reasons = (type: string, before: object, after: object, providerRegion?: string) => replacementReasons(type, leafChanges(before, after, '', none), { providerRegion });

  it('GIVEN a ForceNew argument changed THEN replaced for it; an in-place argument THEN not', () => {
    expect(reasons('aws_sqs_queue', { name: 'a', delay_seconds: 0 }, { name: 'b', delay_seconds: 5 }).certain).toEqual([{ attribute: 'name' }]);
    expect(reasons('aws_sqs_queue', { name: 'a', delay_seconds: 0 }, { name: 'a', delay_seconds: 5 }).certain).toEqual([]);
  });

  it('GIVEN a nested ForceNew argument in a list block THEN replaced for its path without the index', () => {
    const lsi = (name: string) => ({ local_secondary_index: [{ name, range_key: 'k', projection_type: 'ALL' }] });
    expect(reasons('aws_dynamodb_table', lsi('a'), lsi('b')).certain).toEqual([{ attribute: 'local_secondary_index' }, { attribute: 'local_secondary_index.name' }]);
  });

  it('GIVEN an Optional+Computed ForceNew argument taken out of the configuration THEN not replaced (the prior value stays)', () => {
    expect(reasons('aws_cloudwatch_log_group', { name: '/a', log_group_class: 'STANDARD' }, { name: '/a' }).certain).toEqual([]);
  });

  it('GIVEN the per-resource region THEN replaced when it changes; not between unset and the provider region', () => {
    expect(reasons('aws_sqs_queue', { region: 'eu-west-1' }, { region: 'eu-central-1' }).certain).toEqual([{ attribute: 'region' }]);
    expect(reasons('aws_sqs_queue', {}, { region: 'eu-west-1' }, 'eu-west-1').certain).toEqual([]);
    expect(reasons('aws_sqs_queue', {}, { region: 'us-east-1' }, 'eu-west-1').certain).toEqual([{ attribute: 'region' }]);
    expect(reasons('aws_iam_role', { name: 'r' }, { name: 'r', region: 'eu-west-1' }).certain).toEqual([]);
  });

  it('GIVEN a CustomizeDiff ForceNewIfChange argument changed THEN a conditional replacement with the source condition', () => {
    const r = reasons('aws_dynamodb_table', { restore_source_name: 'a' }, { restore_source_name: 'b' });
    expect(r.certain).toEqual([]);
    expect(r.conditional).toEqual([{ attribute: 'restore_source_name', condition: expect.stringContaining('new.(string) != ""') }]);
  });
});

const meta = (path: string) => ({ '//': { metadata: { path, uniqueId: path } } });
/** A central stack in miniature: the bus, its archive, a rule and target on it, an alarm on the rule, a log group. */
const busStack = (busName: string, logGroupClass = 'STANDARD') => ({
  provider: { aws: [{ region: 'eu-west-1' }] },
  resource: {
    aws_cloudwatch_event_bus: { bus: { ...meta('c/bus'), name: busName, region: 'eu-west-1' } },
    aws_cloudwatch_event_archive: { archive: { ...meta('c/archive'), name: 'archive', event_source_arn: '${aws_cloudwatch_event_bus.bus.arn}', region: 'eu-west-1' } },
    aws_cloudwatch_event_rule: { rule: { ...meta('c/rule'), name: 'audit', event_bus_name: '${aws_cloudwatch_event_bus.bus.name}', region: 'eu-west-1' } },
    aws_cloudwatch_event_target: { target: { ...meta('c/target'), rule: '${aws_cloudwatch_event_rule.rule.name}', event_bus_name: '${aws_cloudwatch_event_rule.rule.event_bus_name}', arn: 'arn:aws:logs:eu-west-1:1:log-group:/audit', region: 'eu-west-1' } },
    aws_cloudwatch_metric_alarm: { alarm: { ...meta('c/alarm'), alarm_name: 'audit-failed', dimensions: { EventBusName: '${aws_cloudwatch_event_bus.bus.name}', RuleName: 'audit' }, region: 'eu-west-1' } },
    aws_cloudwatch_log_group: { logs: { ...meta('c/logs'), name: '/audit', log_group_class: logGroupClass, region: 'eu-west-1' } },
  },
});

describe('replacements through references (stack diff)', () => {
  const d = diffStack('central', busStack('central-bus'), busStack('renamed-bus'));
  const change = (address: string) => d.changed.find((c) => c.address === address);

  it('GIVEN the bus renamed THEN the bus, its archive (computed arn), the rule (bus name) and its target (rule.event_bus_name) are replaced', () => {
    expect(change('aws_cloudwatch_event_bus.bus')!.replacedFor).toEqual(['name']);
    expect(change('aws_cloudwatch_event_archive.archive')!.replacedFor).toEqual(['event_source_arn (aws_cloudwatch_event_bus.bus is replaced: new arn)']);
    expect(change('aws_cloudwatch_event_rule.rule')!.replacedFor).toEqual(['event_bus_name (aws_cloudwatch_event_bus.bus.name changes)']);
    expect(change('aws_cloudwatch_event_target.target')!.replacedFor).toEqual(['event_bus_name (aws_cloudwatch_event_rule.rule.event_bus_name changes)']);
  });

  it('GIVEN a reference to a known, unchanged argument of a replaced resource THEN it does not change (target.rule = rule.name)', () => {
    expect(change('aws_cloudwatch_event_target.target')!.attributes.map((a) => a.attribute)).toEqual(['event_bus_name']);
  });

  it('GIVEN an in-place argument whose referenced value changes THEN updated in place, with the reason', () => {
    const alarm = change('aws_cloudwatch_metric_alarm.alarm')!;
    expect(alarm.replacedFor).toEqual([]);
    expect(alarm.attributes).toEqual([{ attribute: 'dimensions.EventBusName', before: '${aws_cloudwatch_event_bus.bus.name}', after: '${aws_cloudwatch_event_bus.bus.name}', via: 'aws_cloudwatch_event_bus.bus.name changes' }]);
  });

  it('GIVEN replaced resources that hold data THEN they say what is lost, and the verdict counts them first', () => {
    expect(change('aws_cloudwatch_event_archive.archive')).toMatchObject({ dataLoss: true, loses: 'the archive and every event it holds: nothing is left to replay' });
    expect(change('aws_cloudwatch_event_bus.bus')).toMatchObject({ dataLoss: true, loses: 'the event bus, and the rules and targets on it' });
    expect(change('aws_cloudwatch_event_rule.rule')!.loses).toBeUndefined();
    expect(verdict(d)).toBe('REPLACES 4 (2 LOSING DATA); updates 1 in place');
  });

  it('GIVEN a log group class changed THEN the log group is replaced and loses its logs', () => {
    const logs = diffStack('central', busStack('b'), busStack('b', 'INFREQUENT_ACCESS')).changed[0]!;
    expect(logs).toMatchObject({ address: 'aws_cloudwatch_log_group.logs', replacedFor: ['log_group_class'], loses: 'the log group and all its logs', dataLoss: true });
  });

  it('GIVEN a type the table does not know THEN the change is marked for the plan to judge, not called in place', () => {
    const stack = (v: string) => ({ resource: { aws_s3_bucket: { b: { ...meta('c/b'), bucket: v } } } });
    const d2 = diffStack('central', stack('a'), stack('b'));
    expect(d2.changed[0]).toMatchObject({ unknownType: true, replacedFor: [] });
    expect(verdict(d2)).toContain('1 of a type the review cannot judge (see the plan)');
  });
});
