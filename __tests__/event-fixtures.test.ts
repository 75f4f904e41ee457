/**
 * Sanity checks on the event fixtures made from the AWS guides' samples
 * (see __tests__/fixtures/events/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetailType } from '../stacks/event-patterns';
import { FIXTURE_DIR, FIXTURE_NAMES, allFixtures, fixtureFiles, loadFixture } from './fixtures/events';
import { alarmEvent, guideAlarmEvent } from './support/alarm-events';

const DETAIL_TYPES: readonly string[] = Object.values(DetailType);

describe('event fixtures', () => {
  it('are exactly the files listed in FIXTURE_NAMES', () => {
    expect(fixtureFiles()).toEqual(FIXTURE_NAMES.map((name) => `${name}.json`).sort());
  });

  it.each(fixtureFiles())('%s is valid JSON', (file) => {
    expect(() => JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8'))).not.toThrow();
  });

  for (const { name, event } of allFixtures()) {
    describe(name, () => {
      it('has source aws.ec2', () => {
        expect(event.source).toBe('aws.ec2');
      });

      it('has one of the four forwarded detail-types', () => {
        expect(DETAIL_TYPES).toContain(event['detail-type']);
      });

      it('has a detail object', () => {
        expect(event.detail).toBeTypeOf('object');
        expect(event.detail).not.toBeNull();
        expect(Array.isArray(event.detail)).toBe(false);
      });

      it('has the envelope fields as strings and resources as an array of strings', () => {
        for (const key of ['version', 'id', 'account', 'time', 'region'] as const) {
          expect(event[key]).toBeTypeOf('string');
        }
        expect(Array.isArray(event.resources)).toBe(true);
        expect(event.resources.every((arn) => typeof arn === 'string')).toBe(true);
      });

      it('names its event in detail.event (EBS) or its state in detail.State (AMI)', () => {
        if (event['detail-type'] === DetailType.AMI_STATE) {
          expect(event.detail.State).toMatch(/^(available|failed|deregistered|disabled)$/);
        } else {
          expect(event.detail.event).toBeTypeOf('string');
          expect(event.detail.result).toBeTypeOf('string');
        }
      });
    });
  }

  it('keep shareSnapshot\'s detail.source (the sharing account) as a string with its leading zero', () => {
    expect(loadFixture('ebs-snapshot-share-succeeded.region-colon-layout').detail.source).toBe('012345678901');
    expect(loadFixture('ebs-snapshot-share-succeeded.colon-region-layout').detail.source).toBe('012345678901');
  });

  it('keep both snapshot ARN layouts the guides print', () => {
    expect(loadFixture('ebs-snapshot-create-succeeded.region-colon-layout').detail.snapshot_id).toBe(
      'arn:aws:ec2:us-west-2::snapshot/snap-01234567',
    );
    expect(loadFixture('ebs-snapshot-create-succeeded.colon-region-layout').detail.snapshot_id).toBe(
      'arn:aws:ec2::us-west-2:snapshot/snap-01234567',
    );
  });

  it('return a fresh copy on every load', () => {
    const first = loadFixture('ec2-ami-state-failed');
    first.detail.State = 'mutated';
    expect(loadFixture('ec2-ami-state-failed').detail.State).toBe('failed');
  });
});

describe('CloudWatch alarm fixture (fixtures/cloudwatch-events)', () => {
  it('is the CloudWatch guide\'s single-metric sample as printed: ServerCpuTooHigh, OK -> ALARM', () => {
    const event = guideAlarmEvent();
    expect(event).toMatchObject({ source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', account: '123456789012', region: 'us-east-1' });
    expect(event.resources).toEqual(['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh']);
    expect(event.detail).toMatchObject({ alarmName: 'ServerCpuTooHigh', state: { value: 'ALARM' }, previousState: { value: 'OK' } });
  });

  it('derives this app\'s alarm by changing only the name, ARN, account, region and state values', () => {
    const event = alarmEvent({ alarmName: 'ebs-event-hub-member-forward-dlq-not-empty', account: '222222222222', region: 'eu-west-1', state: 'OK', previousState: 'ALARM' });
    const guide = guideAlarmEvent();
    expect(event.resources).toEqual(['arn:aws:cloudwatch:eu-west-1:222222222222:alarm:ebs-event-hub-member-forward-dlq-not-empty']);
    expect(event.detail.configuration).toEqual(guide.detail.configuration);
    expect({ ...event, account: guide.account, region: guide.region, resources: guide.resources, detail: {} }).toEqual({ ...guide, detail: {} });
  });
});
