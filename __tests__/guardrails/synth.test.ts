import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aspects, App, Testing } from 'cdktf';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { OrgConfig } from '../../config/schema';
import { buildApp } from '../../stacks/app';
import { AccountStack } from '../../stacks/base-stack';
import { checkStackJson, GuardrailAspect, GuardrailError, suppress, SuppressionError, type StackJson } from '../../stacks/guardrails';
import { appViolations } from '../../stacks/synth';
import { fakeBundle } from '../support/bundle';
import { testConfig } from '../support/config';
import { runMain } from '../support/run-main';

/** An account stack holding whatever a test puts in it. */
class TestStack extends AccountStack {
  constructor(scope: Construct, id: string, config: OrgConfig) {
    super(scope, id, { config, accountId: '111111111111', region: 'eu-west-1' });
  }
}

const PRELOAD = join(__dirname, '..', 'support', 'preload-context-key-row.cjs');

describe('guardrails at synth', () => {
  it('GIVEN the app with every feature THEN every account stack carries the aspect and none breaks a rule', () => {
    const { app, central, members } = buildApp({ config: testConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } as never }), snapshotCopyBundle: fakeBundle(), outdir: mkdtempSync(join(tmpdir(), 'guardrails-')) });
    for (const s of [central, ...members]) expect(Aspects.of(s).all.some((a) => a instanceof GuardrailAspect)).toBe(true);
    expect(appViolations(app)).toEqual([]);
  });

  it('GIVEN an unencrypted queue WHEN synthesizing THEN the synth fails with stack, construct path, address, rule and fix, and writes no stack', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'guardrails-'));
    const app = new App({ outdir });
    const stack = new TestStack(app, 'bad', testConfig());
    new SqsQueue(stack, 'plain-queue', { name: 'plain' });
    const violations = appViolations(app);
    expect(violations).toEqual([
      expect.objectContaining({ stack: 'bad', path: 'bad/plain-queue', address: 'aws_sqs_queue.plain-queue', ruleId: 'queue-encryption', fix: expect.stringContaining('sqsManagedSseEnabled') }),
    ]);
    expect(() => app.synth()).toThrow(GuardrailError);
    expect(() => app.synth()).toThrow(/\[queue-encryption\] bad: bad\/plain-queue \(aws_sqs_queue\.plain-queue\): the queue sets neither/);
    expect(existsSync(join(outdir, 'stacks', 'bad', 'cdk.tf.json'))).toBe(false);
  });

  it('GIVEN a suppression with a reason THEN the rule is skipped, and the reason is synthesized into the resource and listed', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'guardrails-'));
    const app = new App({ outdir });
    const stack = new TestStack(app, 'ok', testConfig());
    const queue = new SqsQueue(stack, 'legacy-queue', { name: 'legacy' });
    suppress(queue, 'queue-encryption', 'Holds only public AMI ids; the consumer cannot read SSE-SQS queues (ticket OPS-42)');
    app.synth();
    const tf = JSON.parse(readFileSync(join(outdir, 'stacks', 'ok', 'cdk.tf.json'), 'utf8')) as StackJson & { resource: { aws_sqs_queue: Record<string, Record<string, unknown>> } };
    const synthesized = tf.resource.aws_sqs_queue['legacy-queue']!;
    expect(synthesized['//']).toMatchObject({ guardrails: { suppressed: { 'queue-encryption': 'Holds only public AMI ids; the consumer cannot read SSE-SQS queues (ticket OPS-42)' } } });
    const result = checkStackJson('ok', tf);
    expect(result.violations).toEqual([]);
    expect(result.suppressions).toEqual([{ stack: 'ok', path: 'ok/legacy-queue', address: 'aws_sqs_queue.legacy-queue', ruleId: 'queue-encryption', reason: expect.stringContaining('OPS-42') }]);
  });

  it('rejects a suppression of an unknown rule, without a reason, or on a construct with no resource', () => {
    const stack = new TestStack(Testing.app(), 's', testConfig());
    const queue = new SqsQueue(stack, 'q', { name: 'q', sqsManagedSseEnabled: true });
    expect(() => suppress(queue, 'queue-encrypted', 'a long enough reason for the test')).toThrow(/rule "queue-encrypted" does not exist; rules: public-principal, /);
    expect(() => suppress(queue, 'queue-encryption', 'because')).toThrow(SuppressionError);
    expect(() => suppress(queue, 'queue-encryption', 'because')).toThrow(/at least 20 characters, got "because"/);
    const empty = new TestStack(Testing.app(), 'empty', testConfig());
    expect(() => suppress(empty, 'queue-encryption', 'a long enough reason for the test')).toThrow(/no Terraform resource under this construct/);
  });
});

describe('main.ts with a guardrail violation', () => {
  for (const shards of ['1', '2']) {
    it(`GIVEN a documented-keys row that the DLQ policies break (SYNTH_SHARDS=${shards}) THEN exit 1 with one message naming rule and fix, no stack trace, nothing written`, () => {
      const run = runMain(undefined, { SYNTH_SHARDS: shards, NODE_OPTIONS: `--require ${PRELOAD}` });
      expect(run.status, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/^error: \d+ guardrail violations:\n/);
      expect(run.stderr).toContain('[undocumented-condition-key] central: central/target-dlq/queue');
      expect(run.stderr).toContain('events.amazonaws.com does not send aws:SourceArn with sqs:SendMessage');
      expect(run.stderr).toContain('fix: condition on a key the caller sends');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(run.outdir) ? readdirSync(run.outdir) : []).toEqual([]);
    });
  }
});
