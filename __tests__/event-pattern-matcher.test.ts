/**
 * The test matcher against the examples in the EventBridge user guide:
 * - "Amazon EventBridge event patterns" (eb-event-patterns.html),
 * - "Comparison operators for use in event patterns" (eb-create-pattern-operators.html),
 * - "Content filtering", "Arrays" and "Matching null values and empty strings" pages,
 * plus the examples in the aws/event-ruler README where the guide shows only the pattern.
 */
import { describe, expect, it } from 'vitest';
import { InvalidPatternError, matchesPattern } from './support/event-pattern-matcher';
import { guideAlarmEvent } from './support/alarm-events';
import { EC2_INSTANCE_STATE_EVENT } from './support/eventbridge-guide-example';

const EC2_EVENT = EC2_INSTANCE_STATE_EVENT;

/** The same event with `detail` replaced, for operator examples whose fields live in `detail`. */
const withDetail = (detail: Record<string, unknown>) => ({ ...EC2_EVENT, detail });

/** The example event of the aws/event-ruler README, used by the guide's numeric/complex patterns. */
const RULER_EVENT = {
  ...EC2_EVENT,
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

/** The Auto Scaling event on "Matching null values and empty strings". */
const AUTOSCALING_EVENT = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

describe('fields, values and nesting', () => {
  it('matches the guide\'s "instance-termination" pattern against its example event', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(matchesPattern(pattern, EC2_EVENT)).toBe(true);
    expect(matchesPattern(pattern, withDetail({ state: 'running' }))).toBe(false);
  });

  it('ignores event fields the pattern does not name', () => {
    expect(matchesPattern({ region: ['us-west-1'] }, EC2_EVENT)).toBe(true);
  });

  it('requires every field the pattern names (AND)', () => {
    expect(matchesPattern({ source: ['aws.ec2'], region: ['eu-west-1'] }, EC2_EVENT)).toBe(false);
    expect(matchesPattern({ detail: { 'no-such-field': ['x'] } }, EC2_EVENT)).toBe(false);
  });

  it('matches any of a leaf\'s values (OR), e.g. "source": ["aws.ec2", "aws.fargate"]', () => {
    expect(matchesPattern({ source: ['aws.ec2', 'aws.fargate'] }, EC2_EVENT)).toBe(true);
    expect(matchesPattern({ source: ['aws.fargate', 'aws.s3'] }, EC2_EVENT)).toBe(false);
  });

  it('matches every event with the empty pattern {}', () => {
    expect(matchesPattern({}, EC2_EVENT)).toBe(true);
    expect(matchesPattern({}, AUTOSCALING_EVENT)).toBe(true);
  });

  it('compares strings exactly, without case folding', () => {
    expect(matchesPattern({ source: ['AWS.EC2'] }, EC2_EVENT)).toBe(false);
  });

  it('descends into nested objects and matches numbers as numbers (the guide\'s Macie example)', () => {
    const macie = { source: 'aws.macie', detail: { 'risk-score': 80, trigger: { risk: 8, 'alert-type': 'basic' } } };
    expect(matchesPattern({ detail: { 'risk-score': [80], trigger: { risk: [8] } } }, macie)).toBe(true);
    expect(matchesPattern({ detail: { 'risk-score': [80], trigger: { risk: [9] } } }, macie)).toBe(false);
    expect(matchesPattern({ detail: { 'risk-score': ['80'] } }, macie)).toBe(false);
  });

  it('matches booleans exactly', () => {
    expect(matchesPattern({ detail: { encrypted: [true] } }, withDetail({ encrypted: true }))).toBe(true);
    expect(matchesPattern({ detail: { encrypted: [true] } }, withDetail({ encrypted: 'true' }))).toBe(false);
  });

  it('cannot tell 300 from 3.0e2 once parsed (known limit: EventBridge compares exact numbers as text)', () => {
    expect(matchesPattern({ detail: { n: [300] } }, withDetail({ n: 3.0e2 }))).toBe(true);
  });
});

describe('null values and empty strings', () => {
  it('matches null with [null] (docs: "responseElements": [null])', () => {
    expect(matchesPattern({ detail: { responseElements: [null] } }, AUTOSCALING_EVENT)).toBe(true);
  });

  it('matches an empty string with [""] (docs: "eventVersion": [""])', () => {
    expect(matchesPattern({ detail: { eventVersion: [''] } }, AUTOSCALING_EVENT)).toBe(true);
  });

  it('does not treat null and the empty string as interchangeable', () => {
    expect(matchesPattern({ detail: { responseElements: [''] } }, AUTOSCALING_EVENT)).toBe(false);
    expect(matchesPattern({ detail: { eventVersion: [null] } }, AUTOSCALING_EVENT)).toBe(false);
  });

  it('does not match [null] against a missing field', () => {
    expect(matchesPattern({ detail: { missing: [null] } }, AUTOSCALING_EVENT)).toBe(false);
  });
});

describe('array-valued event fields', () => {
  it('matches when the pattern and event arrays intersect (the guide\'s "resources" example)', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { resources: [event.resources[0]] })).toBe(false);
  });

  it('matches a field inside an array of objects if one element matches', () => {
    const event = withDetail({ snapshots: [{ status: 'completed' }, { status: 'error' }] });
    expect(matchesPattern({ detail: { snapshots: { status: ['error'] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { snapshots: { status: ['deleted'] } } }, event)).toBe(false);
  });

  it('requires sibling fields to match within the same array element', () => {
    const event = withDetail({ snapshots: [{ id: 'a', status: 'completed' }, { id: 'b', status: 'error' }] });
    expect(matchesPattern({ detail: { snapshots: { id: ['b'], status: ['error'] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { snapshots: { id: ['a'], status: ['error'] } } }, event)).toBe(false);
  });
});

describe('prefix', () => {
  it('matches "time" starting with the prefix (docs: "time": [{"prefix": "2017-10-02"}])', () => {
    expect(matchesPattern({ time: [{ prefix: '2017-10-02' }] }, RULER_EVENT)).toBe(true);
    expect(matchesPattern({ time: [{ prefix: '2017-10-02' }] }, EC2_EVENT)).toBe(false);
  });

  it('matches "source" by prefix, e.g. European regions of aws.autoscaling (docs: "region": [{"prefix": "eu-"}])', () => {
    const pattern = { source: [{ prefix: 'aws.' }], region: [{ prefix: 'eu-' }] };
    expect(matchesPattern(pattern, { ...AUTOSCALING_EVENT, region: 'eu-west-1' })).toBe(true);
    expect(matchesPattern(pattern, AUTOSCALING_EVENT)).toBe(false);
  });

  it('only works on strings', () => {
    expect(matchesPattern({ detail: { 'c-count': [{ prefix: '5' }] } }, RULER_EVENT)).toBe(false);
  });

  it('ignores case with {"prefix": {"equals-ignore-case": "eventb"}}', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(matchesPattern(pattern, withDetail({ service: 'eventbridge' }))).toBe(true);
    expect(matchesPattern(pattern, withDetail({ service: 'EVENTBRIDGE' }))).toBe(true);
    expect(matchesPattern(pattern, withDetail({ service: 'lambda' }))).toBe(false);
  });
});

describe('suffix', () => {
  it('matches file names ending in .png (docs: "FileName": [{"suffix": ".png"}])', () => {
    expect(matchesPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
    expect(matchesPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.jpg' })).toBe(false);
    expect(matchesPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
  });

  it('ignores case with {"suffix": {"equals-ignore-case": ".png"}}', () => {
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matchesPattern(pattern, withDetail({ FileName: 'IMAGE.PNG' }))).toBe(true);
    expect(matchesPattern(pattern, withDetail({ FileName: 'image.png.gz' }))).toBe(false);
  });
});

describe('anything-but', () => {
  const state = (value: unknown) => withDetail({ state: value });

  it('matches any value but the one given (docs: "state": [{"anything-but": "initializing"}])', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matchesPattern(pattern, state('running'))).toBe(true);
    expect(matchesPattern(pattern, state('initializing'))).toBe(false);
  });

  it('does not match a missing field', () => {
    expect(matchesPattern({ detail: { missing: [{ 'anything-but': 'initializing' }] } }, EC2_EVENT)).toBe(false);
  });

  it('excludes a number (docs: "x-limit": [{"anything-but": 123}])', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expect(matchesPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesPattern(pattern, withDetail({ 'x-limit': 123 }))).toBe(false);
  });

  it('excludes a list of strings (docs: ["stopped", "overloaded"])', () => {
    const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matchesPattern(pattern, state('running'))).toBe(true);
    expect(matchesPattern(pattern, state('overloaded'))).toBe(false);
  });

  it('excludes a list of numbers (docs: [100, 200, 300])', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matchesPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesPattern(pattern, withDetail({ 'x-limit': 200 }))).toBe(false);
  });

  it('excludes a prefix (docs: "Region": [{"anything-but": {"prefix": "us-"}}])', () => {
    const pattern = { region: [{ 'anything-but': { prefix: 'us-' } }] };
    expect(matchesPattern(pattern, { ...EC2_EVENT, region: 'eu-west-1' })).toBe(true);
    expect(matchesPattern(pattern, EC2_EVENT)).toBe(false);
  });

  it('excludes a suffix (docs: "FileName": [{"anything-but": {"suffix": ".png"}}])', () => {
    const pattern = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
    expect(matchesPattern(pattern, { FileName: 'image.jpg' })).toBe(true);
    expect(matchesPattern(pattern, { FileName: 'image.png' })).toBe(false);
  });

  it('excludes regardless of case (docs: {"anything-but": {"equals-ignore-case": "initializing"}})', () => {
    const pattern = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } };
    expect(matchesPattern(pattern, state('running'))).toBe(true);
    expect(matchesPattern(pattern, state('INITIALIZING'))).toBe(false);
  });

  it('excludes a wildcard (docs: "FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}])', () => {
    const pattern = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matchesPattern(pattern, { FilePath: '/usr/bin/env' })).toBe(true);
    expect(matchesPattern(pattern, { FilePath: '/usr/lib/libc.so' })).toBe(false);
  });

  it('excludes everything but custom events (docs: "source": [{"anything-but": {"prefix": "aws."}}])', () => {
    const pattern = { source: [{ 'anything-but': { prefix: 'aws.' } }] };
    expect(matchesPattern(pattern, { source: 'com.example.orders' })).toBe(true);
    expect(matchesPattern(pattern, EC2_EVENT)).toBe(false);
  });
});

describe('numeric', () => {
  const counts = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };

  it('matches the guide\'s range example when every field is in range', () => {
    expect(matchesPattern(counts, RULER_EVENT)).toBe(true);
  });

  it('does not match when one field is outside its range', () => {
    expect(matchesPattern(counts, { ...RULER_EVENT, detail: { ...RULER_EVENT.detail, 'c-count': 6 } })).toBe(false);
    expect(matchesPattern(counts, { ...RULER_EVENT, detail: { ...RULER_EVENT.detail, 'c-count': 0 } })).toBe(false);
  });

  it('matches "Price is more than 10 and at most 20" inclusively at the upper bound only', () => {
    const pattern = { Price: [{ numeric: ['>', 10, '<=', 20] }] };
    expect(matchesPattern(pattern, { Price: 20 })).toBe(true);
    expect(matchesPattern(pattern, { Price: 10 })).toBe(false);
    expect(matchesPattern(pattern, { Price: 10.5 })).toBe(true);
  });

  it('matches "Price is 100" with ["=", 100]', () => {
    expect(matchesPattern({ Price: [{ numeric: ['=', 100] }] }, { Price: 100 })).toBe(true);
    expect(matchesPattern({ Price: [{ numeric: ['=', 100] }] }, { Price: 101 })).toBe(false);
  });

  it('only works on JSON numbers, not numeric strings', () => {
    expect(matchesPattern({ Price: [{ numeric: ['>=', 0] }] }, { Price: '100' })).toBe(false);
  });
});

describe('exists', () => {
  it('matches a present field with {"exists": true} (docs: detail.state)', () => {
    expect(matchesPattern({ detail: { state: [{ exists: true }] } }, EC2_EVENT)).toBe(true);
  });

  it('does not match a missing field with {"exists": true}', () => {
    expect(matchesPattern({ detail: { 'c-count': [{ exists: true }] } }, EC2_EVENT)).toBe(false);
  });

  it('matches a missing field with {"exists": false}', () => {
    expect(matchesPattern({ detail: { 'c-count': [{ exists: false }] } }, EC2_EVENT)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ exists: false }] } }, EC2_EVENT)).toBe(false);
  });

  it('treats an array of values as present (docs: "state": ["initializing", "running"])', () => {
    const event = withDetail({ state: ['initializing', 'running'] });
    expect(matchesPattern({ detail: { state: [{ exists: true }] } }, event)).toBe(true);
  });

  it('works only on leaves: an object-valued field (docs: "c-count": {"c1": 100}) does not "exist"', () => {
    const event = withDetail({ state: ['initializing', 'running'], 'c-count': { c1: 100 } });
    expect(matchesPattern({ detail: { 'c-count': [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { 'c-count': [{ exists: false }] } }, event)).toBe(true);
  });

  it('treats a null value as present', () => {
    expect(matchesPattern({ detail: { responseElements: [{ exists: true }] } }, AUTOSCALING_EVENT)).toBe(true);
  });
});

describe('equals-ignore-case', () => {
  it('matches "Name is Alice" in any case (docs: "Name": [{"equals-ignore-case": "alice"}])', () => {
    const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
    expect(matchesPattern(pattern, { Name: 'Alice' })).toBe(true);
    expect(matchesPattern(pattern, { Name: 'ALICE' })).toBe(true);
    expect(matchesPattern(pattern, { Name: 'Alicia' })).toBe(false);
  });
});

describe('wildcard', () => {
  it('matches "*" in the middle (docs: "dir/*.png")', () => {
    const pattern = { FileName: [{ wildcard: 'dir/*.png' }] };
    expect(matchesPattern(pattern, { FileName: 'dir/one.png' })).toBe(true);
    expect(matchesPattern(pattern, { FileName: 'dir/sub/two.png' })).toBe(true);
    expect(matchesPattern(pattern, { FileName: 'dir/three.jpg' })).toBe(false);
  });

  it('anchors at both ends', () => {
    expect(matchesPattern({ FileName: [{ wildcard: 'dir/*' }] }, { FileName: 'xdir/one.png' })).toBe(false);
  });

  it('matches several "*" (docs: "arn:aws:events:us-east-1:*:event-bus/*")', () => {
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(matchesPattern(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/central' })).toBe(true);
    expect(matchesPattern(pattern, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/central' })).toBe(false);
  });

  it('matches "City contains Seattle" with "*Seattle*"', () => {
    expect(matchesPattern({ City: [{ wildcard: '*Seattle*' }] }, { City: 'Greater Seattle Area' })).toBe(true);
    expect(matchesPattern({ City: [{ wildcard: '*Seattle*' }] }, { City: 'Tacoma' })).toBe(false);
  });

  it('treats "\\*" as a literal star and regex characters literally', () => {
    const pattern = { key: [{ wildcard: 'a\\*b.c' }] };
    expect(matchesPattern(pattern, { key: 'a*b.c' })).toBe(true);
    expect(matchesPattern(pattern, { key: 'aXb.c' })).toBe(false);
    expect(matchesPattern(pattern, { key: 'a*bXc' })).toBe(false);
  });
});

describe('cidr', () => {
  it('matches IPv4 addresses inside the block (docs: "10.0.0.0/24")', () => {
    const pattern = { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } };
    expect(matchesPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesPattern(pattern, withDetail({ 'source-ip': '10.0.1.33' }))).toBe(false);
    expect(matchesPattern(pattern, withDetail({ 'source-ip': 'not-an-ip' }))).toBe(false);
  });
});

describe('$or', () => {
  it('matches either branch (docs: Location is "New York" or Day is "Monday")', () => {
    const pattern = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };
    expect(matchesPattern(pattern, { Location: 'Boston', Day: 'Monday' })).toBe(true);
    expect(matchesPattern(pattern, { Location: 'New York', Day: 'Friday' })).toBe(true);
    expect(matchesPattern(pattern, { Location: 'Boston', Day: 'Friday' })).toBe(false);
  });

  it('combines with the other fields of its object (docs: numeric $or inside "detail")', () => {
    const pattern = {
      source: ['aws.ec2'],
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(matchesPattern(pattern, { ...RULER_EVENT, detail: { 'c-count': 50, 'd-count': 3 } })).toBe(true);
    expect(matchesPattern(pattern, { ...RULER_EVENT, detail: { 'c-count': 50, 'd-count': 30 } })).toBe(false);
    expect(matchesPattern(pattern, { ...RULER_EVENT, source: 'aws.s3' })).toBe(false);
  });
});

describe('$or over whole event shapes, and nested objects in $or branches (the forwarding and member-alarm patterns)', () => {
  // The CloudWatch guide's single-metric alarm sample, OK -> ALARM (fixtures/cloudwatch-events).
  const ALARM = guideAlarmEvent();

  it('matches a top-level $or whose branches name different sources and detail-types', () => {
    const pattern = {
      $or: [
        { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
        { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: [{ prefix: 'ServerCpu' }] } },
      ],
    };
    expect(matchesPattern(pattern, EC2_EVENT)).toBe(true);
    expect(matchesPattern(pattern, ALARM)).toBe(true);
    // a branch must match as a whole: the alarm's name fails the second branch, its source the first
    expect(matchesPattern(pattern, { ...ALARM, detail: { ...ALARM.detail, alarmName: 'DiskFull' } })).toBe(false);
  });

  it('descends into nested objects inside $or branches (state.value with previousState.value)', () => {
    const pattern = {
      detail: {
        alarmName: [{ prefix: 'Server' }],
        $or: [{ state: { value: ['ALARM'] } }, { state: { value: ['OK'] }, previousState: { value: ['ALARM'] } }],
      },
    };
    const withStates = (state: string, previous: string) => ({
      ...ALARM,
      detail: { ...ALARM.detail, state: { value: state }, previousState: { value: previous } },
    });
    expect(matchesPattern(pattern, ALARM)).toBe(true); // OK -> ALARM, as printed
    expect(matchesPattern(pattern, withStates('OK', 'ALARM'))).toBe(true);
    expect(matchesPattern(pattern, withStates('OK', 'INSUFFICIENT_DATA'))).toBe(false);
    expect(matchesPattern(pattern, withStates('INSUFFICIENT_DATA', 'ALARM'))).toBe(false);
  });
});

describe('the guide\'s complex example', () => {
  it('matches prefix, anything-but, numeric and cidr together', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expect(matchesPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesPattern(pattern, { ...RULER_EVENT, detail: { ...RULER_EVENT.detail, state: 'initializing' } })).toBe(
      false,
    );
  });
});

describe('malformed patterns', () => {
  const invalid: [string, unknown][] = [
    ['a pattern that is not an object', ['aws.ec2']],
    ['a null pattern', null],
    ['a leaf that is not an array', { source: 'aws.ec2' }],
    ['an empty array of values', { source: [] }],
    ['an unknown operator', { source: [{ contains: 'ec2' }] }],
    ['an operator object with two keys', { source: [{ prefix: 'aws.', suffix: 'ec2' }] }],
    ['a value that is neither scalar nor operator', { source: [['aws.ec2']] }],
    ['"numeric" with a string operand', { n: [{ numeric: ['<', '10'] }] }],
    ['"numeric" with an unknown operator', { n: [{ numeric: ['!=', 10] }] }],
    ['"numeric" with a missing operand', { n: [{ numeric: ['>'] }] }],
    ['"numeric" with two lower bounds', { n: [{ numeric: ['>', 0, '>=', 5] }] }],
    ['"numeric" combining "=" with a bound', { n: [{ numeric: ['=', 1, '<', 5] }] }],
    ['"numeric" that is not an array', { n: [{ numeric: 5 }] }],
    ['"exists" that is not a boolean', { n: [{ exists: 'true' }] }],
    ['"prefix" with a number', { n: [{ prefix: 5 }] }],
    ['"anything-but" mixing strings and numbers', { n: [{ 'anything-but': ['a', 1] }] }],
    ['"anything-but" with an empty list', { n: [{ 'anything-but': [] }] }],
    ['"anything-but" with a list of prefixes', { n: [{ 'anything-but': { prefix: ['a', 'b'] } }] }],
    ['"anything-but" with an unknown nested operator', { n: [{ 'anything-but': { numeric: ['>', 1] } }] }],
    ['"wildcard" with consecutive stars', { n: [{ wildcard: 'dir/**.png' }] }],
    ['"wildcard" escaping something other than * or \\', { n: [{ wildcard: 'a\\d' }] }],
    ['"cidr" with a prefix length over 32', { ip: [{ cidr: '10.0.0.0/33' }] }],
    ['"cidr" with an IPv6 block (not implemented here)', { ip: [{ cidr: '2001:db8::/32' }] }],
    ['"$or" with a single branch', { $or: [{ a: ['1'] }] }],
    ['"$or" that is not an array', { $or: { a: ['1'] } }],
  ];

  it.each(invalid)('rejects %s', (_label, pattern) => {
    expect(() => matchesPattern(pattern, EC2_EVENT)).toThrow(InvalidPatternError);
  });

  it('rejects a malformed branch even when an earlier field already fails to match', () => {
    const pattern = { source: ['aws.s3'], detail: { state: [{ bogus: true }] } };
    expect(() => matchesPattern(pattern, EC2_EVENT)).toThrow(InvalidPatternError);
  });

  it('says where the error is', () => {
    expect(() => matchesPattern({ detail: { state: [{ numeric: ['>', 'x'] }] } }, EC2_EVENT)).toThrow(
      /^\$\.detail\.state\[0\]: "numeric"/,
    );
  });
});
