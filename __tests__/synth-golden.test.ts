/**
 * Golden synth: the Terraform JSON of every stack, byte for byte, for the example org, one config
 * with every copy feature on, and two in vault mode. Resource addresses are Terraform state addresses: a
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
import type { OrgConfig } from '../config/schema';
import { buildApp } from '../stacks/app';
import { ALL_FEATURES } from './support/all-features';
import { fakeBundle } from './support/bundle';
import { VAULT_ALL_FEATURES, VAULT_WITH_KMS_KEY_ID } from './support/vault-configs';

const CONFIGS: Record<string, () => OrgConfig> = {
  'example-org': () => loadOrgConfig(join(__dirname, '..', 'config', 'example-org.json')),
  'all-features': () => parseOrgConfig(ALL_FEATURES, 'all-features'),
  // Vault mode (issue 14): every vault feature without kmsKeyId (member copy keys), and with it.
  'vault-all-features': () => parseOrgConfig(VAULT_ALL_FEATURES, 'vault-all-features'),
  'vault-kms-key-id': () => parseOrgConfig(VAULT_WITH_KMS_KEY_ID, 'vault-kms-key-id'),
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
