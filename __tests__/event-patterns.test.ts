/**
 * Every deployed event pattern (stacks/event-patterns.ts) against every fixture made from the AWS
 * guides' samples, using the test matcher. The table below lists, for each fixture, exactly the
 * patterns that must match it; every other fixture × pattern pair must not match.
 */
import { describe, expect, it } from 'vitest';
import { FORWARD_DLQ_ALARM_NAME } from '../stacks/member/forwarding';
import {
  ALERT_PATTERNS,
  centralIntakePattern,
  copyResultForwardingPattern,
  ec2EventsPattern,
  forwardingPattern,
  memberAlarmPattern,
  snapshotCopyTriggerPattern,
  type EventPattern,
} from '../stacks/event-patterns';
import { FIXTURE_NAMES, allFixtures, loadFixture, type AwsEvent, type FixtureName } from './fixtures/events';
import { matchesPattern } from './support/event-pattern-matcher';
import { alarmEvent, guideAlarmEvent } from './support/alarm-events';
import { EC2_INSTANCE_STATE_EVENT } from './support/eventbridge-guide-example';

const ALERT_IDS = ['volume-kms-failure', 'snapshot-failure', 'multi-volume-snapshot-failure', 'ami-failure', 'member-alarm'] as const;
const PATTERN_IDS = ['forwarding', 'forwarding-copy-results', 'central-intake', ...ALERT_IDS, 'snapshot-copy-trigger'] as const;
type PatternId = (typeof PATTERN_IDS)[number];

function alertPattern(id: string): EventPattern {
  const alert = ALERT_PATTERNS.find((candidate) => candidate.id === id);
  if (!alert) throw new Error(`no alert pattern "${id}" in ALERT_PATTERNS`);
  return alert.pattern;
}

const PATTERNS: Record<PatternId, EventPattern> = {
  forwarding: forwardingPattern(),
  'forwarding-copy-results': copyResultForwardingPattern(),
  'central-intake': centralIntakePattern(),
  'volume-kms-failure': alertPattern('volume-kms-failure'),
  'snapshot-failure': alertPattern('snapshot-failure'),
  'multi-volume-snapshot-failure': alertPattern('multi-volume-snapshot-failure'),
  'ami-failure': alertPattern('ami-failure'),
  'member-alarm': alertPattern('member-alarm'),
  'snapshot-copy-trigger': snapshotCopyTriggerPattern(),
};

/** Forwarded to, and archived on, the central bus: every EC2/EBS/AMI event this app handles. */
const FORWARDED = ['forwarding', 'central-intake'] as const;

/** Fixture → the patterns that match it. Everything not listed must NOT match. */
const EXPECTED: Record<FixtureName, readonly PatternId[]> = {
  'ebs-volume-create-available': [...FORWARDED],
  'ebs-volume-create-failed.kms-key-disabled': [...FORWARDED, 'volume-kms-failure'],
  'ebs-volume-create-failed.kms-key-pending-import': [...FORWARDED, 'volume-kms-failure'],
  'ebs-volume-delete-deleted': [...FORWARDED],
  'ebs-volume-attach-failed.kms-key-pending-deletion': [...FORWARDED, 'volume-kms-failure'],
  'ebs-volume-reattach-failed.kms-key-pending-deletion': [...FORWARDED, 'volume-kms-failure'],
  'ebs-volume-modify-optimizing': [...FORWARDED],
  'ebs-snapshot-create-succeeded.region-colon-layout': [...FORWARDED, 'snapshot-copy-trigger'],
  'ebs-snapshot-create-succeeded.colon-region-layout': [...FORWARDED, 'snapshot-copy-trigger'],
  'ebs-multi-volume-snapshots-create-succeeded': [...FORWARDED, 'snapshot-copy-trigger'],
  'ebs-multi-volume-snapshots-create-failed': [...FORWARDED, 'multi-volume-snapshot-failure'],
  // A copy destination region the member does not list forwards these only (issue 12 item 1).
  'ebs-snapshot-copy-succeeded.region-colon-layout': [...FORWARDED, 'forwarding-copy-results'],
  'ebs-snapshot-copy-failed.region-colon-layout': [...FORWARDED, 'forwarding-copy-results', 'snapshot-failure'],
  'ebs-snapshot-copy-failed.colon-region-layout': [...FORWARDED, 'forwarding-copy-results', 'snapshot-failure'],
  'ebs-snapshot-share-succeeded.region-colon-layout': [...FORWARDED],
  'ebs-snapshot-share-succeeded.colon-region-layout': [...FORWARDED],
  'ec2-ami-state-available': [...FORWARDED],
  'ec2-ami-state-failed': [...FORWARDED, 'ami-failure'],
  'ec2-ami-state-deregistered': [...FORWARDED],
  'ec2-ami-state-disabled': [...FORWARDED],
};

/** A fixture with `detail` fields overridden. */
function derive(name: FixtureName, detail: Record<string, unknown>): AwsEvent {
  const event = loadFixture(name);
  return { ...event, detail: { ...event.detail, ...detail } };
}

/** Events the guides print no sample for, derived from fixtures or from the EventBridge guide. */
const DERIVED: Record<string, { event: unknown; expected: readonly PatternId[] }> = {
  // createSnapshot can end "failed" (per the guide) but no failed sample is printed.
  'createSnapshot failed (region-colon layout)': {
    event: derive('ebs-snapshot-create-succeeded.region-colon-layout', { result: 'failed' }),
    expected: [...FORWARDED, 'snapshot-failure'],
  },
  'createSnapshot failed (colon-region layout)': {
    event: derive('ebs-snapshot-create-succeeded.colon-region-layout', { result: 'failed' }),
    expected: [...FORWARDED, 'snapshot-failure'],
  },
  'an aws.s3 Object Created event': {
    event: {
      ...loadFixture('ebs-volume-create-available'),
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'example' }, object: { key: 'a.png' } },
    },
    expected: [],
  },
  'an EC2 Instance State-change Notification (EventBridge guide example)': {
    event: EC2_INSTANCE_STATE_EVENT,
    expected: [],
  },
  'a volume event with a source other than aws.ec2': {
    event: { ...derive('ebs-volume-create-failed.kms-key-disabled', {}), source: 'com.example.ebs' },
    expected: [],
  },
  // CloudWatch Alarm State Change: the CloudWatch guide's sample, as printed and with this app's names.
  'an alarm state change of some other alarm (CloudWatch guide sample, as printed)': { event: guideAlarmEvent(), expected: [] },
  'the member forward-DLQ alarm going OK -> ALARM': {
    event: alarmEvent({ alarmName: FORWARD_DLQ_ALARM_NAME, account: '222222222222', region: 'eu-west-1' }),
    expected: ['forwarding', 'forwarding-copy-results', 'member-alarm'],
  },
  'the member forward-DLQ alarm clearing, ALARM -> OK': {
    event: alarmEvent({ alarmName: FORWARD_DLQ_ALARM_NAME, state: 'OK', previousState: 'ALARM' }),
    expected: ['forwarding', 'forwarding-copy-results', 'member-alarm'],
  },
  'the member forward-DLQ alarm created, INSUFFICIENT_DATA -> OK (no alert on every first rollout)': {
    event: alarmEvent({ alarmName: FORWARD_DLQ_ALARM_NAME, state: 'OK', previousState: 'INSUFFICIENT_DATA' }),
    expected: ['forwarding', 'forwarding-copy-results'],
  },
  'the member forward-DLQ alarm going OK -> INSUFFICIENT_DATA': {
    event: alarmEvent({ alarmName: FORWARD_DLQ_ALARM_NAME, state: 'INSUFFICIENT_DATA', previousState: 'OK' }),
    expected: ['forwarding', 'forwarding-copy-results'],
  },
  'a central alarm of this app (notifies the topic itself: not forwarded again)': {
    event: alarmEvent({ alarmName: 'ebs-event-hub-central-target-dlq-not-empty' }),
    expected: [],
  },
};

const verb = (matches: boolean) => (matches ? 'matches' : 'does not match');

describe('the expectation table', () => {
  it('lists every fixture on disk', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(allFixtures().map(({ name }) => name));
  });

  it('covers every alert pattern the stack deploys', () => {
    expect(ALERT_PATTERNS.map(({ id }) => id)).toEqual([...ALERT_IDS]);
  });
});

describe.each(FIXTURE_NAMES)('fixture %s', (name) => {
  for (const id of PATTERN_IDS) {
    const matches = EXPECTED[name].includes(id);
    it(`${id} ${verb(matches)} it`, () => {
      expect(matchesPattern(PATTERNS[id], loadFixture(name))).toBe(matches);
    });
  }
});

describe.each(Object.entries(DERIVED))('derived event: %s', (_label, { event, expected }) => {
  for (const id of PATTERN_IDS) {
    const matches = expected.includes(id);
    it(`${id} ${verb(matches)} it`, () => {
      expect(matchesPattern(PATTERNS[id], event)).toBe(matches);
    });
  }
});

describe('invariants, independent of the table', () => {
  const fixtures = allFixtures();

  it('forwards every fixture: all four detail-types reach the central bus', () => {
    expect(fixtures.filter(({ event }) => !matchesPattern(forwardingPattern(), event))).toEqual([]);
  });

  it('forwards EC2/EBS/AMI events and member alarm state changes, and archives and audits only the EC2/EBS/AMI ones', () => {
    expect(forwardingPattern()).toEqual({ $or: [ec2EventsPattern(), memberAlarmPattern()] });
    expect(centralIntakePattern()).toEqual(ec2EventsPattern());
  });

  it('from a destination-only region, forwards no creation at all: nothing there can start a copy', () => {
    const creations = fixtures.filter(({ event }) => ['createSnapshot', 'createSnapshots'].includes(String(event.detail.event)));
    expect(creations.length).toBeGreaterThanOrEqual(3);
    for (const { event } of creations) expect(matchesPattern(copyResultForwardingPattern(), event)).toBe(false);
    expect(fixtures.filter(({ event }) => matchesPattern(copyResultForwardingPattern(), event) && matchesPattern(snapshotCopyTriggerPattern(), event))).toEqual([]);
  });

  it('never triggers a copy for copySnapshot or shareSnapshot (a copy of a copy would loop)', () => {
    const copiesAndShares = fixtures.filter(({ event }) => ['copySnapshot', 'shareSnapshot'].includes(String(event.detail.event)));
    expect(copiesAndShares).toHaveLength(5);
    for (const { event } of copiesAndShares) expect(matchesPattern(snapshotCopyTriggerPattern(), event)).toBe(false);
  });

  it('GIVEN a completed snapshot replayed from the archive (replay-name set) WHEN matched THEN it triggers no copy, yet is still forwarded and archived', () => {
    for (const name of ['ebs-snapshot-create-succeeded.region-colon-layout', 'ebs-multi-volume-snapshots-create-succeeded'] as const) {
      const original = loadFixture(name);
      const replayed = { ...original, 'replay-name': 'ebs-event-hub-replay-2026-11-21' };
      expect(matchesPattern(snapshotCopyTriggerPattern(), original)).toBe(true);
      expect(matchesPattern(snapshotCopyTriggerPattern(), replayed)).toBe(false);
      expect(matchesPattern(centralIntakePattern(), replayed)).toBe(true);
    }
  });

  it('alerts only on failures', () => {
    for (const { pattern } of ALERT_PATTERNS.filter(({ id }) => id !== 'member-alarm')) {
      for (const { event } of fixtures.filter(({ event }) => matchesPattern(pattern, event))) {
        expect(event.detail.result ?? event.detail.State).toBe('failed');
      }
    }
  });

  it('raises exactly one alert for every failed fixture', () => {
    const failed = fixtures.filter(({ event }) => (event.detail.result ?? event.detail.State) === 'failed');
    expect(failed).toHaveLength(8);
    for (const { event } of failed) {
      expect(ALERT_PATTERNS.filter(({ pattern }) => matchesPattern(pattern, event))).toHaveLength(1);
    }
  });
});
