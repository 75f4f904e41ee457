import { describe, expect, it } from 'vitest';
import { describeStatement, diffStatements, globCovers } from '../../cli/review/policy-diff';
import type { RawStatement } from '../../stacks/policy/found-policy';

const BUS = 'arn:aws:events:eu-west-1:111111111111:event-bus/central';
const orgPut: RawStatement = {
  Sid: 'OrgPuts',
  Effect: 'Allow',
  Principal: '*',
  Action: 'events:PutEvents',
  Resource: BUS,
  Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' }, 'ForAllValues:StringEquals': { 'events:source': ['aws.ec2'] } },
};
const change = (before: RawStatement, after: RawStatement) => {
  const [c] = diffStatements([before], [after]);
  return c!;
};

describe('policy diff: widening', () => {
  it('GIVEN the organization condition dropped THEN the statement is a widening naming the dropped condition', () => {
    const { Condition: _c, ...rest } = orgPut;
    const c = change(orgPut, { ...rest, Condition: { 'ForAllValues:StringEquals': { 'events:source': ['aws.ec2'] } } });
    expect(c.kind).toBe('changed');
    expect(c.widening).toEqual(['condition dropped: StringEquals aws:PrincipalOrgID (was o-abc1234567)']);
  });

  it('GIVEN a condition admitting one more value THEN it is loosened (widening); one value fewer is tightened (not)', () => {
    const more = change(orgPut, { ...orgPut, Condition: { ...orgPut.Condition, 'ForAllValues:StringEquals': { 'events:source': ['aws.ec2', 'aws.s3'] } } });
    expect(more.widening).toEqual(['condition loosened: ForAllValues:StringEquals events:source + aws.s3']);
    const fewer = change({ ...orgPut, Condition: { 'ForAllValues:StringEquals': { 'events:source': ['aws.ec2', 'aws.s3'] } } }, { ...orgPut, Condition: { 'ForAllValues:StringEquals': { 'events:source': ['aws.ec2'] } } });
    expect(fewer.widening).toEqual([]);
    expect(fewer.details).toContain('condition tightened: ForAllValues:StringEquals events:source - aws.s3');
  });

  it('GIVEN a negated operator losing a value THEN it admits more (widening)', () => {
    const before: RawStatement = { ...orgPut, Condition: { StringNotEquals: { 'aws:SourceAccount': ['1', '2'] }, StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } } };
    const after: RawStatement = { ...orgPut, Condition: { StringNotEquals: { 'aws:SourceAccount': ['1'] }, StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } } };
    expect(change(before, after).widening).toEqual(['condition loosened: StringNotEquals aws:SourceAccount - 2']);
  });

  it('GIVEN a principal, an action and a resource beyond the old ones THEN each is a widening', () => {
    const before: RawStatement = { Sid: 'S', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:1:q' };
    const after: RawStatement = { Sid: 'S', Effect: 'Allow', Principal: { Service: ['events.amazonaws.com', 'sns.amazonaws.com'] }, Action: ['sqs:SendMessage', 'sqs:DeleteMessage'], Resource: 'arn:aws:sqs:eu-west-1:1:*' };
    expect(change(before, after).widening).toEqual([
      'principal widened: + Service:sns.amazonaws.com',
      'action widened: + sqs:DeleteMessage',
      'resource widened: + arn:aws:sqs:eu-west-1:1:*',
    ]);
  });

  it('GIVEN an action covered by the old wildcard THEN it is no widening (sqs:* covers sqs:SendMessage)', () => {
    const before: RawStatement = { Sid: 'S', Effect: 'Allow', Action: 'sqs:*', Resource: 'arn:aws:sqs:eu-west-1:1:*' };
    const after: RawStatement = { Sid: 'S', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:1:q' };
    const c = change(before, after);
    expect(c.widening).toEqual([]);
    expect(c.details).toEqual(['action narrowed: - sqs:*', 'resource narrowed: - arn:aws:sqs:eu-west-1:1:*']);
  });

  it('GIVEN an added Allow statement in an existing policy THEN widening; a removed Allow THEN not', () => {
    const extra: RawStatement = { Sid: 'Extra', Effect: 'Allow', Principal: '*', Action: 'events:PutEvents', Resource: BUS };
    const added = diffStatements([orgPut], [orgPut, extra]);
    expect(added).toEqual([expect.objectContaining({ sid: 'Extra', kind: 'added', widening: ['new Allow statement'] })]);
    const removed = diffStatements([orgPut, extra], [orgPut]);
    expect(removed).toEqual([expect.objectContaining({ sid: 'Extra', kind: 'removed', widening: [] })]);
  });

  it('GIVEN a removed Deny, or a Deny that covers fewer actions, THEN widening', () => {
    const deny: RawStatement = { Sid: 'DenyOthers', Effect: 'Deny', Principal: '*', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'], Resource: 'arn:aws:sqs:eu-west-1:1:q' };
    expect(diffStatements([orgPut, deny], [orgPut])).toEqual([expect.objectContaining({ sid: 'DenyOthers', kind: 'removed', widening: ['Deny statement removed'] })]);
    const narrower = change(deny, { ...deny, Action: 'sqs:SendMessage' });
    expect(narrower.widening).toEqual(['no longer denied action: sqs:ReceiveMessage']);
    const conditioned = change(deny, { ...deny, Condition: { StringNotEquals: { 'aws:PrincipalAccount': '1' } } });
    expect(conditioned.widening).toEqual(['deny condition added: StringNotEquals aws:PrincipalAccount (was 1)']);
  });

  it('GIVEN Deny turned into Allow THEN widening; Allow into Deny THEN not', () => {
    expect(change({ ...orgPut, Effect: 'Deny' }, orgPut).widening).toEqual(['effect Deny -> Allow']);
    expect(change(orgPut, { ...orgPut, Effect: 'Deny' }).widening).toEqual([]);
  });

  it('GIVEN a new policy THEN its statements are listed as added, not flagged (nothing existed to widen)', () => {
    expect(diffStatements(undefined, [orgPut])).toEqual([expect.objectContaining({ sid: 'OrgPuts', kind: 'added', widening: [] })]);
  });

  it('GIVEN an unchanged statement THEN no change is reported', () => {
    expect(diffStatements([orgPut], [JSON.parse(JSON.stringify(orgPut))])).toEqual([]);
  });
});

describe('policy diff: readable statements', () => {
  it('describes effect, actions, principals, resources and conditions in one line', () => {
    expect(describeStatement(orgPut)).toBe(
      `Allow events:PutEvents to * on ${BUS} when StringEquals aws:PrincipalOrgID = o-abc1234567 and ForAllValues:StringEquals events:source = aws.ec2`,
    );
  });
  it('matches IAM wildcards', () => {
    expect(globCovers('arn:aws:iam::*:role/copy', 'arn:aws:iam::123456789012:role/copy')).toBe(true);
    expect(globCovers('arn:aws:iam::*:role/copy', 'arn:aws:iam::123456789012:role/other')).toBe(false);
    expect(globCovers('SQS:Send*', 'sqs:SendMessage', true)).toBe(true);
  });
});
