import type { OrgConfigInput } from '../../config/schema';

/**
 * Every copy feature at once: retention (sweep function, state machine, schedule), region map,
 * key, copy tag, the central account also a member (own-account copy permissions), and no
 * `organizationId` (roles and the bus policy list the member accounts).
 */
export const ALL_FEATURES: OrgConfigInput = {
  central: { accountId: '111111111111', region: 'eu-west-1', busName: 'ebs-events-central', archiveRetentionDays: 0, logRetentionDays: 30 },
  members: [
    { accountId: '111111111111', name: 'central', regions: ['eu-west-1', 'us-east-1'] },
    { accountId: '222222222222', name: 'workloads-prod', regions: ['eu-west-1', 'eu-central-1'], wave: 2 },
    { accountId: '333333333333', regions: ['us-east-1'], wave: 3 },
  ],
  snapshotCopy: {
    destinationRegion: 'eu-central-1',
    regionMap: { 'eu-central-1': 'eu-west-1' },
    kmsKeyId: 'alias/ebs-dr',
    copyTag: 'dr-copy=true',
    maxInFlightCopies: 12,
    retentionDays: 30,
  },
  deployment: {
    roleName: 'OrganizationAccountAccessRole',
    state: { bucket: 'ebs-event-hub-state', region: 'eu-west-1' },
    defaultTags: { project: 'ebs-event-hub' },
  },
  alerts: { emails: ['platform-alerts@example.com'] },
};
