/**
 * Golden synth: the Terraform JSON of every stack, byte for byte, for two configs (the example
 * org, and one with every copy feature on). Resource addresses are Terraform state addresses: a
 * construct id or path that changes by accident is a destroy and a create in every deployed
 * organization, and a refactor must not change a byte. A change that is meant to change the
 * Terraform shows up here as a diff of the golden files, reviewed with the change.
 *
 * Regenerate after an intended change (then review the diff of `__tests__/golden/`):
 *
 *     npx vitest run __tests__/synth-golden.test.ts -u
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadOrgConfig, parseOrgConfig } from '../config/load';
import type { OrgConfig, OrgConfigInput } from '../config/schema';
import { buildApp } from '../stacks/app';
import { fakeBundle } from './support/bundle';

/**
 * Every copy feature at once: retention (sweep function, state machine, schedule), region map,
 * key, copy tag, the central account also a member (own-account copy permissions), and no
 * `organizationId` (roles and the bus policy list the member accounts).
 */
const ALL_FEATURES: OrgConfigInput = {
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

const CONFIGS: Record<string, () => OrgConfig> = {
  'example-org': () => loadOrgConfig(join(__dirname, '..', 'config', 'example-org.json')),
  'all-features': () => parseOrgConfig(ALL_FEATURES, 'all-features'),
};

/** Synthesizes `config` into a fresh folder; returns each stack's `cdk.tf.json` text by stack id. */
function synthesized(config: OrgConfig): Record<string, string> {
  const outdir = mkdtempSync(join(tmpdir(), 'golden-'));
  onTestFinished(() => rmSync(outdir, { recursive: true, force: true }));
  // Fixed handler bytes: the asset's path (a hash of its content) is part of the Terraform.
  const { app } = buildApp({ config, outdir, snapshotCopyBundle: fakeBundle('exports.golden = true;\n') });
  app.synth();
  const stacks = readdirSync(join(outdir, 'stacks')).sort();
  return Object.fromEntries(stacks.map((s) => [s, readFileSync(join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8')]));
}

describe('golden synth (byte for byte)', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`${name}: every stack's cdk.tf.json equals __tests__/golden/${name}/`, async () => {
      const stacks = synthesized(config());
      // The set of stacks too: a stack that appears or disappears is a change.
      await expect(`${Object.keys(stacks).join('\n')}\n`).toMatchFileSnapshot(join('golden', name, 'stacks.txt'));
      for (const [stack, json] of Object.entries(stacks)) {
        await expect(json).toMatchFileSnapshot(join('golden', name, `${stack}.cdk.tf.json`));
      }
    });
  }
});
