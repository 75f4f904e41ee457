import { expect } from 'vitest';
import { ConfigError, parseOrgConfig } from '../../config/load';
import type { OrgConfig, OrgConfigInput } from '../../config/schema';

export const CENTRAL_ACCOUNT = '111111111111';
export const CENTRAL_REGION = 'eu-west-1';
export const BUS_NAME = 'ebs-events-central';
export const ORG_ID = 'o-a1b2c3d4e5';

/** A small valid config as a user writes it; tests override parts of it. */
export function rawConfig(overrides: Partial<OrgConfigInput> = {}): OrgConfigInput {
  return {
    organizationId: ORG_ID,
    central: { accountId: CENTRAL_ACCOUNT, region: CENTRAL_REGION, busName: BUS_NAME },
    members: [
      { accountId: '222222222222', name: 'prod', regions: ['eu-west-1', 'us-east-1'], wave: 2 },
      { accountId: '333333333333', regions: ['eu-west-1'] },
    ],
    ...overrides,
  };
}

/** The problems reported for `raw`, or a failure if it was accepted. */
export function problemsOf(raw: unknown): readonly string[] {
  try {
    parseOrgConfig(raw, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

/** The same, validated (defaults applied) as the stacks receive it. */
export function testConfig(overrides: Partial<OrgConfigInput> = {}): OrgConfig {
  return parseOrgConfig(rawConfig(overrides), 'test config');
}

/** `n` distinct member accounts, each in `regions`. */
export function manyMembers(n: number, regions: string[] = ['eu-west-1']): OrgConfigInput['members'] {
  return Array.from({ length: n }, (_, i) => ({ accountId: String(200_000_000_000 + i), regions: regions as never }));
}
