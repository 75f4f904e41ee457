import { describe, expect, it } from 'vitest';
import { describeStatement, diffPolicies, globCovers } from '../../cli/review/policy-diff';
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
  const [c] = diffPolicies([before], [after]);
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
    const added = diffPolicies([orgPut], [orgPut, extra]);
    expect(added).toEqual([expect.objectContaining({ sid: 'Extra', kind: 'added', widening: ['new Allow statement'] })]);
    const removed = diffPolicies([orgPut, extra], [orgPut]);
    expect(removed).toEqual([expect.objectContaining({ sid: 'Extra', kind: 'removed', widening: [] })]);
  });

  it('GIVEN a removed Deny, or a Deny that covers fewer actions, THEN widening', () => {
    const deny: RawStatement = { Sid: 'DenyOthers', Effect: 'Deny', Principal: '*', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'], Resource: 'arn:aws:sqs:eu-west-1:1:q' };
    expect(diffPolicies([orgPut, deny], [orgPut])).toEqual([expect.objectContaining({ sid: 'DenyOthers', kind: 'removed', widening: ['Deny statement removed'] })]);
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
    expect(diffPolicies(undefined, [orgPut])).toEqual([expect.objectContaining({ sid: 'OrgPuts', kind: 'added', widening: [] })]);
  });

  it('GIVEN an unchanged statement THEN no change is reported', () => {
    expect(diffPolicies([orgPut], [JSON.parse(JSON.stringify(orgPut))])).toEqual([]);
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

describe('policy diff: widening vs narrowing, pair by pair (IAM semantics)', () => {
  const ORG = 'o-abc1234567';
  const Q = 'arn:aws:sqs:eu-west-1:111111111111:q';
  const roots = (...ids: string[]) => ({ AWS: ids.map((id) => `arn:aws:iam::${id}:root`) });
  const allow = (s: Partial<RawStatement>): RawStatement => ({ Sid: 'S', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: Q, ...s });
  const deny = (s: Partial<RawStatement>): RawStatement => ({ Sid: 'S', Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Resource: Q, ...s });
  const orgWide = allow({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } } });
  const accountList = allow({ Principal: roots('222222222222', '333333333333') });

  // [name, before, after, widens, the widening (or narrowing detail) named]
  const pairs: Array<[string, RawStatement[], RawStatement[], boolean, RegExp?]> = [
    ['organization -> account list (narrower)', [orgWide], [accountList], false, /principal narrowed: \* in organization o-abc1234567 -> AWS:arn:aws:iam::222222222222:root/],
    ['account list -> organization (wider)', [accountList], [orgWide], true, /principal widened: \+ \* \(every principal in organization o-abc1234567\)/],
    ['organization -> account list under another Sid (narrower: the base already grants it)', [orgWide], [{ ...accountList, Sid: 'Members' }], false, /the base already grants this \(statement S\)/],
    ['an account added to the list (wider)', [accountList], [allow({ Principal: roots('222222222222', '333333333333', '555555555555') })], true, /principal widened: \+ AWS:arn:aws:iam::555555555555:root/],
    ['an account removed from the list (narrower)', [accountList], [allow({ Principal: roots('222222222222') })], false, /principal narrowed: - AWS:arn:aws:iam::333333333333:root/],
    ['aws:PrincipalAccount admitting one more account (wider)', [allow({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': ['2'] } } })], [allow({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': ['2', '3'] } } })], true, /condition loosened: StringEquals aws:PrincipalAccount \+ 3/],
    ['Resource "*" -> ARNs (narrower)', [allow({ Resource: '*' })], [allow({ Resource: [Q] })], false, /resource narrowed: - \*/],
    ['ARNs -> Resource "*" (wider)', [allow({ Resource: [Q] })], [allow({ Resource: '*' })], true, /resource widened: \+ \*/],
    ['ARN -> an ArnLike-style wildcard ARN covering it (wider)', [allow({ Resource: Q })], [allow({ Resource: 'arn:aws:sqs:eu-west-1:111111111111:*' })], true, /resource widened/],
    ['a wildcard ARN -> an ARN it covers (narrower)', [allow({ Resource: 'arn:aws:sqs:*:111111111111:*' })], [allow({ Resource: Q })], false],
    ['aws:ResourceOrgID dropped while the resources name accounts (narrower)', [allow({ Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/copy', Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } } })], [allow({ Action: 'sts:AssumeRole', Resource: ['arn:aws:iam::222222222222:role/copy'] })], false, /resource narrowed: .* \(the named accounts taken as members of o-abc1234567/],
    ['aws:ResourceOrgID dropped, resources still any account (wider)', [allow({ Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/copy', Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } } })], [allow({ Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/copy' })], true, /condition dropped: StringEquals aws:ResourceOrgID/],
    ['a condition removed (wider)', [allow({ Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:1:rule/r' } } })], [allow({ Principal: { Service: 'events.amazonaws.com' } })], true, /condition dropped: ArnEquals aws:SourceArn/],
    ['a condition added (narrower)', [allow({ Principal: { Service: 'events.amazonaws.com' } })], [allow({ Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:1:rule/r' } } })], false, /condition added: ArnEquals aws:SourceArn/],
    ['a condition value broadened: one more value (wider)', [allow({ Condition: { StringEquals: { 'aws:SourceAccount': '1' } } })], [allow({ Condition: { StringEquals: { 'aws:SourceAccount': ['1', '2'] } } })], true, /condition loosened: StringEquals aws:SourceAccount \+ 2/],
    ['a condition value narrowed: one value fewer (narrower)', [allow({ Condition: { StringEquals: { 'aws:SourceAccount': ['1', '2'] } } })], [allow({ Condition: { StringEquals: { 'aws:SourceAccount': '1' } } })], false, /condition tightened: StringEquals aws:SourceAccount - 2/],
    ['StringEquals -> StringLike with a wildcard (wider)', [allow({ Condition: { StringEquals: { 'aws:SourceAccount': '1' } } })], [allow({ Condition: { StringLike: { 'aws:SourceAccount': '1*' } } })], true, /condition loosened: aws:SourceAccount: StringEquals 1 -> StringLike 1\*/],
    ['StringLike -> StringEquals of a value the pattern covers (narrower)', [allow({ Condition: { StringLike: { 'aws:SourceAccount': '1*' } } })], [allow({ Condition: { StringEquals: { 'aws:SourceAccount': '12' } } })], false, /condition tightened/],
    ['StringEquals of a value that contains "*" is not a pattern (wider when it becomes StringLike)', [allow({ Condition: { StringEquals: { 'aws:SourceAccount': 'a*' } } })], [allow({ Condition: { StringLike: { 'aws:SourceAccount': 'a*' } } })], true],
    ['ArnLike pattern -> an ARN it covers (narrower)', [allow({ Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/forward' } } })], [allow({ Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:1:rule/forward' } } })], false],
    ['an ARN -> an ArnLike pattern covering it (wider)', [allow({ Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:1:rule/forward' } } })], [allow({ Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/forward' } } })], true],
    ['…IfExists admits requests without the key (wider)', [allow({ Condition: { StringEquals: { 'aws:SourceAccount': '1' } } })], [allow({ Condition: { StringEqualsIfExists: { 'aws:SourceAccount': '1' } } })], true],
    ['a negated operator excluding one more value (narrower)', [allow({ Condition: { StringNotEquals: { 'aws:SourceAccount': ['1'] } } })], [allow({ Condition: { StringNotEquals: { 'aws:SourceAccount': ['1', '2'] } } })], false],
    ['a negated operator excluding one value fewer (wider)', [allow({ Condition: { StringNotEquals: { 'aws:SourceAccount': ['1', '2'] } } })], [allow({ Condition: { StringNotEquals: { 'aws:SourceAccount': ['1'] } } })], true, /condition loosened: StringNotEquals aws:SourceAccount - 2/],
    ['NumericLessThan raised (wider) ', [allow({ Condition: { NumericLessThan: { 's3:max-keys': '10' } } })], [allow({ Condition: { NumericLessThan: { 's3:max-keys': '20' } } })], true],
    ['NumericLessThan lowered (narrower)', [allow({ Condition: { NumericLessThan: { 's3:max-keys': '20' } } })], [allow({ Condition: { NumericLessThan: { 's3:max-keys': '10' } } })], false],
    ['Bool flipped (wider: it admits requests the old did not)', [allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } })], [allow({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } })], true],
    ['an action added (wider)', [allow({})], [allow({ Action: ['sqs:SendMessage', 'sqs:DeleteMessage'] })], true, /action widened: \+ sqs:DeleteMessage/],
    ['a wildcard action replacing a named one (wider)', [allow({})], [allow({ Action: 'sqs:*' })], true, /action widened: \+ sqs:\*/],
    ['an action removed (narrower)', [allow({ Action: ['sqs:SendMessage', 'sqs:DeleteMessage'] })], [allow({})], false, /action narrowed: - sqs:DeleteMessage/],
    ['Deny: a condition added makes it apply to less (wider)', [deny({})], [deny({ Condition: { StringNotEquals: { 'aws:PrincipalAccount': '1' } } })], true, /deny condition added/],
    ['Deny: more actions denied (narrower)', [deny({})], [deny({ Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'] })], false, /now also denied action: sqs:ReceiveMessage/],
    ['Deny: fewer principals denied (wider)', [deny({ Principal: roots('2', '3') })], [deny({ Principal: roots('2') })], true, /no longer denied principal/],
    ['Deny removed (wider)', [allow({ Principal: '*' }), { ...deny({}), Sid: 'D' }], [allow({ Principal: '*' })], true, /Deny statement removed/],
    ['Deny removed but another Deny still covers it (narrower)', [{ ...deny({}), Sid: 'D' }, { ...deny({ Action: 'sqs:*' }), Sid: 'All' }], [{ ...deny({ Action: 'sqs:*' }), Sid: 'All' }], false, /still denied \(statement All\)/],
  ];

  it.each(pairs)('%s', (_name, before, after, widens, named) => {
    const changes = diffPolicies(before, after);
    expect(changes.length).toBeGreaterThan(0);
    const widenings = changes.flatMap((c) => c.widening);
    expect(widenings.length > 0, JSON.stringify(changes, null, 1)).toBe(widens);
    if (named) expect([...widenings, ...changes.flatMap((c) => c.details)].join('\n')).toMatch(named);
  });
});
