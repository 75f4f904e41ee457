import { describe, expect, it } from 'vitest';
import { configuredSourceRegions, destinationOnlyRegions, forwardingRegions, sweepTargetsOf, copyPermissionsFor } from '../stacks/policy/snapshot-copy-permissions';
import { testConfig } from './support/config';

const copy = testConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1' }, retentionDays: 7 } }).snapshotCopy!;

describe('regions a member forwards from', () => {
  it('GIVEN a member whose copies go to a region it does not list WHEN computed THEN that region is added after its own', () => {
    expect(forwardingRegions(copy, ['us-east-1'])).toEqual(['us-east-1', 'eu-central-1']);
    expect(forwardingRegions(copy, ['eu-central-1'])).toEqual(['eu-central-1', 'eu-west-1']);
  });

  it('GIVEN a member already listing every destination WHEN computed THEN its regions are unchanged (no duplicate rule)', () => {
    expect(forwardingRegions(copy, ['eu-west-1', 'eu-central-1'])).toEqual(['eu-west-1', 'eu-central-1']);
  });

  it('GIVEN no snapshotCopy, or only regions that map onto themselves WHEN computed THEN only its own regions', () => {
    expect(forwardingRegions(undefined, ['us-east-1'])).toEqual(['us-east-1']);
    const self = testConfig({ snapshotCopy: { destinationRegion: 'us-east-1' } }).snapshotCopy!;
    expect(forwardingRegions(self, ['us-east-1'])).toEqual(['us-east-1']);
  });
});

describe('regions forwarded for copy results only, and the starter\'s source regions', () => {
  it('GIVEN a member whose copies go to regions it does not list WHEN computed THEN those are destination-only; a listed destination stays listed', () => {
    expect(destinationOnlyRegions(copy, ['us-east-1'])).toEqual(['eu-central-1']);
    expect(destinationOnlyRegions(copy, ['eu-central-1'])).toEqual(['eu-west-1']);
    expect(destinationOnlyRegions(copy, ['eu-west-1', 'eu-central-1'])).toEqual([]);
    expect(destinationOnlyRegions(undefined, ['us-east-1'])).toEqual([]);
  });

  it('GIVEN members WHEN the source regions are computed THEN the union of their regions copied elsewhere, sorted, without regions that map onto themselves', () => {
    const config = testConfig({
      snapshotCopy: { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1', 'us-west-2': 'us-west-2' } },
      members: [
        { accountId: '333333333333', regions: ['us-west-2', 'us-east-1'] },
        { accountId: '222222222222', regions: ['eu-central-1', 'us-east-1'] },
      ],
    });
    expect(configuredSourceRegions(config)).toEqual(['eu-central-1', 'us-east-1']);
    expect(configuredSourceRegions(testConfig())).toEqual([]);
  });
});

describe('retention sweep targets', () => {
  it('GIVEN members with copied regions WHEN listed THEN one item per account and destination region, accounts in config order', () => {
    const config = testConfig({
      snapshotCopy: { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1' }, retentionDays: 7 },
      members: [
        { accountId: '333333333333', regions: ['eu-central-1', 'us-east-1'] },
        { accountId: '222222222222', regions: ['eu-central-1'] },
      ],
    });
    expect(sweepTargetsOf(config)).toEqual([
      { account: '333333333333', region: 'eu-central-1' },
      { account: '333333333333', region: 'eu-west-1' },
      { account: '222222222222', region: 'eu-west-1' },
    ]);
  });

  it('GIVEN no snapshotCopy WHEN listed THEN nothing', () => {
    expect(sweepTargetsOf(testConfig())).toEqual([]);
  });

  it('GIVEN retention WHEN permissions are computed THEN deleting is on; without it, off', () => {
    expect(copyPermissionsFor(copy, '222222222222', ['us-east-1'])?.deleteExpiredCopies).toBe(true);
    const keep = testConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } }).snapshotCopy!;
    expect(copyPermissionsFor(keep, '222222222222', ['us-east-1'])?.deleteExpiredCopies).toBe(false);
  });
});
