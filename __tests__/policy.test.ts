import { describe, expect, it } from 'vitest';
import { PolicyError, policyDocument, renderPolicy, serviceTrustPolicy, type Statement } from '../stacks/policy/policy';

const ok: Statement = { Sid: 'ReadBus', Effect: 'Allow', Action: 'events:DescribeEventBus', Resource: 'arn:aws:events:eu-west-1:111111111111:event-bus/x' };

describe('policyDocument rules (each with a compliant and a non-compliant case)', () => {
  it('accepts a statement with a Sid, one concrete action and a resource', () => {
    expect(policyDocument('identity', [ok])).toEqual({ Version: '2012-10-17', Statement: [ok] });
  });

  it.each(['', 'has space', 'dash-ed'])('rejects Sid %j', (Sid) => {
    expect(() => policyDocument('identity', [{ ...ok, Sid }])).toThrowError(PolicyError);
  });

  it('rejects a Sid used twice', () => {
    expect(() => policyDocument('identity', [ok, ok])).toThrowError('Sid "ReadBus" is used twice in one policy');
  });

  it.each(['*', 'events:*', 'events:Put*', 's3:Get?bject', 'PutEvents'])('rejects the wildcard or malformed action %j', (Action) => {
    expect(() => policyDocument('identity', [{ ...ok, Action }])).toThrowError(/must be one "service:Action" \(no wildcards\)/);
  });

  it('rejects a statement with no action', () => {
    expect(() => policyDocument('identity', [{ ...ok, Action: [] }])).toThrowError('statement ReadBus has no action');
  });

  it('rejects an empty policy', () => {
    expect(() => policyDocument('identity', [])).toThrowError('a policy needs at least one statement');
  });

  it('requires identity policies to name a resource and no principal', () => {
    const { Resource: _r, ...noResource } = ok;
    expect(() => policyDocument('identity', [noResource])).toThrowError('statement ReadBus (events:DescribeEventBus) names no resource');
    expect(() => policyDocument('identity', [{ ...ok, Principal: '*' }])).toThrowError('statement ReadBus: an identity policy has no Principal');
  });

  it('requires resource policies to name a principal and a resource', () => {
    expect(policyDocument('resource', [{ ...ok, Principal: { Service: 'events.amazonaws.com' } }]).Statement).toHaveLength(1);
    expect(() => policyDocument('resource', [ok])).toThrowError('statement ReadBus: a resource policy names a Principal');
  });

  it('requires trust policies to name a principal and no resource (IAM rejects one)', () => {
    const trust = serviceTrustPolicy('events.amazonaws.com', '222222222222');
    expect(trust.Statement[0]).toEqual({
      Sid: 'TrustService',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': '222222222222' } },
    });
    expect(() => policyDocument('trust', [{ ...ok, Principal: '*' }])).toThrowError('statement ReadBus: a trust policy has no Resource');
  });

  it('renders compact JSON that parses back to the same object', () => {
    const doc = policyDocument('identity', [ok]);
    const text = renderPolicy(doc);
    expect(text).not.toContain('\n');
    expect(JSON.parse(text)).toEqual(doc);
  });
});
