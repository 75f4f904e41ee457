/**
 * The documented condition-keys table (stacks/policy/context-keys.ts) itself: every row cites AWS, no
 * row is duplicated, every key is one IAM knows, and every condition in the app's resource and
 * trust policies uses only keys the table documents for the principals it admits.
 */
import { typeForContextKey } from '@cloud-copilot/iam-simulate';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../stacks/app';
import {
  callerForm,
  documentedContext,
  documentedKeys,
  DOCUMENTED_CONTEXT_KEYS,
  UndocumentedContextKeyError,
  undocumentedConditionKeys,
} from '../stacks/policy/context-keys';
import type { PolicyDocument, Statement } from '../stacks/policy/policy';
import { fakeBundle } from './support/bundle';
import { testConfig } from './support/config';
import { parsed, synthStack } from './support/synth';

describe('DOCUMENTED_CONTEXT_KEYS', () => {
  it('cites at least one https page for every row', () => {
    for (const row of DOCUMENTED_CONTEXT_KEYS) {
      expect(row.docs.length, `${row.caller} ${row.action}`).toBeGreaterThan(0);
      for (const doc of row.docs) expect(doc, `${row.caller} ${row.action}`).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|github\.com\/aws-samples)\//);
    }
  });

  it('has no two rows for one caller and action', () => {
    const seen = DOCUMENTED_CONTEXT_KEYS.map((r) => `${r.caller} ${r.action}`);
    expect(seen.filter((k, i) => seen.indexOf(k) !== i)).toEqual([]);
  });

  it('lists each key once per row, and only multi-valued keys the row lists', () => {
    for (const row of DOCUMENTED_CONTEXT_KEYS) {
      expect(new Set(row.keys).size, `${row.caller} ${row.action}`).toBe(row.keys.length);
      for (const k of row.multiValued ?? []) expect(row.keys).toContain(k);
    }
  });

  it('names only condition keys IAM knows, with the multi-valued ones typed as arrays', async () => {
    for (const row of DOCUMENTED_CONTEXT_KEYS) {
      for (const key of row.keys) {
        const type = await typeForContextKey(key);
        expect(type.startsWith('ArrayOf'), `${key} multi-valued?`).toBe((row.multiValued ?? []).includes(key));
      }
    }
  });

  it('normalizes a regional service principal to its table form', () => {
    expect(callerForm('logs.eu-west-1.amazonaws.com')).toBe('logs.<region>.amazonaws.com');
    expect(callerForm('logs.us-gov-west-1.amazonaws.com')).toBe('logs.<region>.amazonaws.com');
    expect(callerForm('events.amazonaws.com')).toBe('events.amazonaws.com');
    expect(documentedKeys('logs.ap-southeast-2.amazonaws.com', 'kms:Encrypt')?.keys).toEqual(['kms:EncryptionContext:aws:logs:arn']);
  });

  it('GIVEN a context with a key the row does not list, or a caller/API with no row WHEN built THEN it throws naming the key and the page', () => {
    expect(() => documentedContext('events.amazonaws.com', 'sns:Publish', { 'aws:SourceArn': 'x' })).toThrow(UndocumentedContextKeyError);
    expect(() => documentedContext('events.amazonaws.com', 'kms:GenerateDataKey', { 'aws:SourceAccount': '1' })).toThrow(/aws:SourceAccount/);
    expect(() => documentedContext('rule-forward', 'events:PutEvents', { 'events:source': ['aws.ec2'] })).toThrow(/events:source/);
    expect(() => documentedContext('nobody.amazonaws.com', 'sns:Publish', { 'aws:SourceArn': 'x' })).toThrow(/no row/);
    // an empty context needs no row; documented keys pass, in any case
    expect(documentedContext('nobody.amazonaws.com', 'sns:Publish', {})).toEqual({});
    expect(documentedContext('rule-forward', 'events:PutEvents', { 'AWS:SourceArn': 'x' })).toEqual({ 'AWS:SourceArn': 'x' });
  });
});

describe('the synthesized policies use only documented keys', () => {
  // GIVEN the test org with snapshot copy; WHEN every stack is synthesized
  const config = testConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } });
  const app = buildApp({ config, outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle() });
  const policies: { where: string; doc: PolicyDocument }[] = [];
  for (const stack of [app.central, ...app.members]) {
    const json = synthStack(stack).json as { resource?: Record<string, Record<string, Record<string, unknown>>> };
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const [name, resource] of Object.entries(byName)) {
        for (const attribute of ['policy', 'assume_role_policy', 'policy_document']) {
          const text = resource[attribute];
          if (typeof text !== 'string' || !text.startsWith('{')) continue;
          const doc = parsed<PolicyDocument>(text);
          if (doc.Statement.some((s) => s.Principal !== undefined)) policies.push({ where: `${stack.node.id} ${type}.${name}.${attribute}`, doc });
        }
      }
    }
  }

  it('finds the resource and trust policies (bus, queues, topic, key, log, roles)', () => {
    expect(policies.length).toBeGreaterThanOrEqual(8);
  });

  it('GIVEN every conditioned statement WHEN checked against the table THEN each key is documented for a caller it admits', () => {
    expect(policies.flatMap(({ where, doc }) => undocumentedConditionKeys(doc.Statement).map((p) => `${where}: ${p}`))).toEqual([]);
  });

  it('GIVEN the policies this issue replaced WHEN checked THEN the check flags them', () => {
    // the old topic policy: aws:SourceArn on EventBridge's sns:Publish
    const oldTopic: Statement = { Sid: 'AlertRulesPublish', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Resource: 't', Condition: { ArnEquals: { 'aws:SourceArn': ['r'] } } };
    // the old key statement: aws:SourceAccount for EventBridge and CloudWatch together
    const oldKey: Statement = { Sid: 'K', Effect: 'Allow', Principal: { Service: ['events.amazonaws.com'] }, Action: ['kms:GenerateDataKey'], Resource: '*', Condition: { StringEquals: { 'aws:SourceAccount': '1' } } };
    // the old bus policy: events:source for rule-forwarded PutEvents
    const oldBus: Statement = { Sid: 'B', Effect: 'Allow', Principal: '*', Action: 'events:PutEvents', Resource: 'b', Condition: { Null: { 'events:source': 'false' }, StringEquals: { 'aws:SourceArn': 'x' } } };
    expect(undocumentedConditionKeys([oldTopic])).toEqual(['AlertRulesPublish: aws:SourceArn is not documented as sent by events.amazonaws.com calling sns:Publish']);
    expect(undocumentedConditionKeys([oldKey])).toHaveLength(1);
    // events:source is documented for a direct call (iam-role-session) but a * principal also admits
    // rule forwards: the check asks only that some admitted caller sends it, so it passes here...
    expect(undocumentedConditionKeys([oldBus])).toEqual([]);
    // ...which is why the bus tests simulate the forward with the rule-forward row (bus-policy.iam.test.ts).
    expect(undocumentedConditionKeys([{ ...oldTopic, Principal: { Service: 'nobody.amazonaws.com' } }])).toEqual(['AlertRulesPublish: no row for nobody.amazonaws.com calling sns:Publish']);
    // a Deny is left to the simulations: ArnNotEquals on an absent key is how it denies everyone else
    expect(undocumentedConditionKeys([{ ...oldTopic, Effect: 'Deny', Condition: { ArnNotEquals: { 'aws:SourceArn': 'r' } } }])).toEqual([]);
  });
});
