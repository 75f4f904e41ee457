/**
 * `snapshotCopy.vault` (issue 14): accepted shapes and defaults, and every rejected input with its
 * path, value and what is allowed, all at once. Bounds are AWS's: EBS snapshot lock lasts 1-36,500
 * days, a compliance lock's cooling-off period 1-72 hours, none in governance mode
 * (https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-concepts.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html).
 */
import { describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../config/load';
import { orgConfigJsonSchema } from '../config/schema';
import { CENTRAL_ACCOUNT, problemsOf, rawConfig } from './support/config';

const VAULT = '999999999999';
const withVault = (vault: unknown, copy: Record<string, unknown> = {}) => rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', ...copy, vault } as never });

describe('snapshotCopy.vault: accepted', () => {
  it('needs only accountId: no lock, no retention, member copies kept', () => {
    const vault = parseOrgConfig(withVault({ accountId: VAULT })).snapshotCopy!.vault;
    expect(vault).toEqual({ accountId: VAULT, keepMemberCopy: true });
  });

  it('takes a compliance lock with a cooling-off period, retention at least the lock, and keepMemberCopy false', () => {
    const vault = { accountId: VAULT, lock: { mode: 'compliance', days: 365, coolOffHours: 72 }, retentionDays: 365, keepMemberCopy: false };
    expect(parseOrgConfig(withVault(vault)).snapshotCopy!.vault).toEqual(vault);
  });

  it.each([
    [{ mode: 'governance', days: 1 }],
    [{ mode: 'compliance', days: 36_500 }],
    [{ mode: 'compliance', days: 30, coolOffHours: 1 }],
  ])('takes the lock %j (the bounds; a cooling-off period only in compliance mode)', (lock) => {
    expect(parseOrgConfig(withVault({ accountId: VAULT, lock })).snapshotCopy!.vault!.lock).toEqual(lock);
  });

  it('is described in the JSON Schema editors use', () => {
    const schema = JSON.stringify(orgConfigJsonSchema());
    for (const field of ['keepMemberCopy', 'coolOffHours', 'governance', 'compliance']) expect(schema).toContain(field);
  });
});

describe('snapshotCopy.vault: rejected, each with its path, value and what is allowed', () => {
  it.each([
    [{}, 'snapshotCopy.vault.accountId: is required'],
    [{ accountId: '12345' }, 'snapshotCopy.vault.accountId: "12345" is not a 12-digit AWS account ID'],
    [{ accountId: CENTRAL_ACCOUNT }, `snapshotCopy.vault.accountId: "${CENTRAL_ACCOUNT}" is the central account (central.accountId): the vault must be a separate account`],
    [{ accountId: '333333333333' }, 'snapshotCopy.vault.accountId: "333333333333" is a member account (members[1].accountId): the vault must be a separate account'],
    [{ accountId: VAULT, lock: { days: 7 } }, 'snapshotCopy.vault.lock.mode: is required'],
    [{ accountId: VAULT, lock: { mode: 'legal-hold', days: 7 } }, 'snapshotCopy.vault.lock.mode: "legal-hold" is not a snapshot lock mode (allowed: compliance, governance)'],
    [{ accountId: VAULT, lock: { mode: 'compliance' } }, 'snapshotCopy.vault.lock.days: is required'],
    [{ accountId: VAULT, lock: { mode: 'compliance', days: 0 } }, 'snapshotCopy.vault.lock.days: 0 must be at least 1 (EBS locks a snapshot for 1-36500 days)'],
    [{ accountId: VAULT, lock: { mode: 'compliance', days: 36_501 } }, 'snapshotCopy.vault.lock.days: 36501 must be at most 36500 (the longest lock EBS allows)'],
    [{ accountId: VAULT, lock: { mode: 'compliance', days: 1.5 } }, 'snapshotCopy.vault.lock.days: 1.5 must be a whole number'],
    [{ accountId: VAULT, lock: { mode: 'compliance', days: '30' } }, 'snapshotCopy.vault.lock.days: "30" must be a number'],
    [{ accountId: VAULT, lock: { mode: 'compliance', days: 7, coolOffHours: 0 } }, 'snapshotCopy.vault.lock.coolOffHours: 0 must be at least 1 (EBS cooling-off period: 1-72 hours'],
    [{ accountId: VAULT, lock: { mode: 'compliance', days: 7, coolOffHours: 73 } }, 'snapshotCopy.vault.lock.coolOffHours: 73 must be at most 72 (the longest cooling-off period EBS allows)'],
    [{ accountId: VAULT, lock: { mode: 'compliance', days: 7, coolOffHours: 2.5 } }, 'snapshotCopy.vault.lock.coolOffHours: 2.5 must be a whole number'],
    [
      { accountId: VAULT, lock: { mode: 'governance', days: 7, coolOffHours: 24 } },
      'snapshotCopy.vault.lock.coolOffHours: 24 is set with mode "governance": EBS takes a cooling-off period in compliance mode only (omit coolOffHours, or use mode "compliance")',
    ],
    [{ accountId: VAULT, lock: { mode: 'compliance', days: 7, until: '2030-01-01' } }, 'snapshotCopy.vault.lock.until: is not a known field'],
    [{ accountId: VAULT, retentionDays: 0 }, 'snapshotCopy.vault.retentionDays: 0 must be at least 1 (omit it to keep vault copies forever)'],
    [{ accountId: VAULT, retentionDays: 36_501 }, 'snapshotCopy.vault.retentionDays: 36501 must be at most 36500 (100 years; omit it to keep vault copies forever)'],
    [{ accountId: VAULT, retentionDays: 3.5 }, 'snapshotCopy.vault.retentionDays: 3.5 must be a whole number'],
    [
      { accountId: VAULT, lock: { mode: 'compliance', days: 90 }, retentionDays: 30 },
      'snapshotCopy.vault.retentionDays: 30 is shorter than the lock (snapshotCopy.vault.lock.days = 90): a locked snapshot cannot be deleted before its lock expires; use at least 90',
    ],
    [{ accountId: VAULT, keepMemberCopy: 'no' }, 'snapshotCopy.vault.keepMemberCopy: "no" must be true or false'],
    [{ accountId: VAULT, immutable: true }, 'snapshotCopy.vault.immutable: is not a known field'],
    ['999999999999', 'snapshotCopy.vault: "999999999999" must be an object'],
  ])('rejects vault %j', (vault, message) => {
    const problems = problemsOf(withVault(vault));
    expect(problems.length, problems.join('\n')).toBe(1);
    expect(problems[0]).toContain(message);
  });

  it.each(['alias/aws/ebs', 'arn:aws:kms:eu-central-1:222222222222:alias/aws/ebs'])(
    'rejects kmsKeyId %j with a vault: snapshots under an AWS managed key cannot be shared; accepts it without one',
    (kmsKeyId) => {
      expect(problemsOf(withVault({ accountId: VAULT }, { kmsKeyId }))).toEqual([
        `snapshotCopy.kmsKeyId: ${JSON.stringify(kmsKeyId)} is an AWS managed key: snapshots encrypted under it cannot be shared with the vault account; use a customer managed key, or omit kmsKeyId (each member stack then creates alias/ebs-event-hub-dr)`,
      ]);
      expect(parseOrgConfig(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', kmsKeyId } })).snapshotCopy!.kmsKeyId).toBe(kmsKeyId);
    },
  );

  it('reports every problem at once', () => {
    const problems = problemsOf(withVault({ accountId: CENTRAL_ACCOUNT, lock: { mode: 'governance', days: 0, coolOffHours: 99 }, retentionDays: 0, keepMemberCopy: 1 }));
    expect(problems.map((p) => p.slice(0, p.indexOf(':')))).toEqual(
      expect.arrayContaining([
        'snapshotCopy.vault.accountId',
        'snapshotCopy.vault.lock.days',
        'snapshotCopy.vault.lock.coolOffHours',
        'snapshotCopy.vault.retentionDays',
        'snapshotCopy.vault.keepMemberCopy',
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(6);
  });

  describe('role names in the vault account (IAM role names are unique per account, regardless of case)', () => {
    it('GIVEN a vault THEN deployment.roleName may not be the vault role; without a vault it may', () => {
      const deployment = { roleName: 'EBS-Event-Hub-Vault-Copy' };
      expect(problemsOf({ ...withVault({ accountId: VAULT }), deployment })).toEqual([
        'deployment.roleName: "EBS-Event-Hub-Vault-Copy" is the name of the vault role, in the vault account (snapshotCopy.vault): the stacks would create the role they deploy with',
      ]);
      expect(parseOrgConfig({ ...rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } }), deployment }).deployment.roleName).toBe('EBS-Event-Hub-Vault-Copy');
    });

    it('GIVEN a vault THEN deployment.planRoleName may not be the vault role', () => {
      expect(problemsOf({ ...withVault({ accountId: VAULT }), deployment: { planRoleName: 'ebs-event-hub-vault-copy' } })).toEqual([
        'deployment.planRoleName: "ebs-event-hub-vault-copy" is the name of the vault role, in the vault account (snapshotCopy.vault) (IAM role names are unique per account, regardless of case): choose another name',
      ]);
    });
  });
});
