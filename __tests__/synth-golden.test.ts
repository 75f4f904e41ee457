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
 *
 * A snapshot only says "as before"; regenerated carelessly, it says nothing. So the same synth is
 * also held to the properties that matter, each derived from the config rather than copied from
 * the output: which stacks exist, which account and role each deploys with, where each keeps its
 * state, what each member forwards from which region and to which bus, that every queue, topic,
 * log group and key is encrypted or rotated, and which keys exist in vault mode and cannot be destroyed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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
  try {
    // Fixed handler bytes: the asset's path (a hash of its content) is part of the Terraform.
    const { app } = buildApp({ config, outdir, snapshotCopyBundle: fakeBundle('exports.golden = true;\n') });
    app.synth();
    const stacks = readdirSync(join(outdir, 'stacks')).sort();
    return Object.fromEntries(stacks.map((s) => [s, readFileSync(join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8')]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

type Resource = Record<string, unknown>;
interface StackJson {
  readonly provider: { readonly aws: readonly { readonly allowed_account_ids: string[]; readonly assume_role: { readonly role_arn: string }[]; readonly region: string }[] };
  readonly terraform: { readonly backend: { readonly s3: Record<string, unknown> & { readonly key: string } } };
  readonly resource: Record<string, Record<string, Resource>>;
}

/** The resources of one type in a stack, by address. */
const resourcesOf = (stack: StackJson, type: string): [string, Resource][] => Object.entries(stack.resource[type] ?? {});

/** The account each stack deploys into, by stack id: what the config asks for, nothing else. */
function expectedStacks(config: OrgConfig): Record<string, string> {
  const vault = config.snapshotCopy?.vault;
  return {
    central: config.central.accountId,
    ...Object.fromEntries(config.members.map((m) => [`member-${m.accountId}`, m.accountId])),
    ...(vault ? { [`vault-${vault.accountId}`]: vault.accountId } : {}),
  };
}

/** The region a source region's DR copies go to (README: regionMap overrides destinationRegion). */
const destinationOf = (config: OrgConfig, region: string) => config.snapshotCopy!.regionMap?.[region] ?? config.snapshotCopy!.destinationRegion;

/** Every copy destination region of one member. */
const destinationsOf = (config: OrgConfig, regions: readonly string[]) => [...new Set(regions.map((r) => destinationOf(config, r)))].sort();

/** The detail types of the forwarded EC2/EBS events (seeds: EBS and AMI event pages). */
const EC2_DETAIL_TYPES = ['EBS Snapshot Notification', 'EBS Volume Notification', 'EBS Multi-Volume Snapshots Completion Status', 'EC2 AMI State Change'];

/** The `aws.ec2` detail types a forwarding rule's pattern lets through. */
function forwardedDetailTypes(rule: Resource): string[] {
  const pattern = JSON.parse(rule['event_pattern'] as string) as { $or?: Record<string, unknown>[] } & Record<string, unknown>;
  const alternatives = pattern.$or ?? [pattern];
  return alternatives.filter((a) => (a['source'] as string[]).includes('aws.ec2')).flatMap((a) => a['detail-type'] as string[]);
}

/** One synth per config, shared by the byte-for-byte and the property tests (a synth takes ~0.3 s). */
const synths = new Map<string, Record<string, string>>();
function synthesizedOnce(name: string, config: OrgConfig): Record<string, string> {
  if (!synths.has(name)) synths.set(name, synthesized(config));
  return synths.get(name)!;
}

describe('golden synth: the properties that matter', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    describe(name, () => {
      const cfg = config();
      const expected = expectedStacks(cfg);
      let stacks: Record<string, StackJson> = {};
      beforeAll(() => {
        stacks = Object.fromEntries(Object.entries(synthesizedOnce(name, cfg)).map(([id, json]) => [id, JSON.parse(json) as StackJson]));
      });

      it('has exactly the stacks the config asks for, each deploying into its own account with the deployment role', () => {
        expect(Object.keys(stacks).sort()).toEqual(Object.keys(expected).sort());
        for (const [id, account] of Object.entries(expected)) {
          const [provider, ...others] = stacks[id]!.provider.aws;
          expect(others, id).toEqual([]);
          // allowed_account_ids: a plan with credentials for another account fails instead of deploying there.
          expect(provider!.allowed_account_ids, id).toEqual([account]);
          expect(provider!.assume_role.map((r) => r.role_arn), id).toEqual([`arn:aws:iam::${account}:role/${cfg.deployment.roleName}`]);
        }
      });

      it('keeps each stack\'s state apart (one shared state would let one stack\'s apply destroy another\'s resources): S3, encrypted and locked, when configured', () => {
        const state = cfg.deployment.state;
        const places = Object.entries(stacks).map(([id, s]) => {
          if (!state) return (s.terraform.backend as unknown as { local: { path: string } }).local.path;
          expect(s.terraform.backend.s3, id).toMatchObject({ bucket: state.bucket, region: state.region, encrypt: true, use_lockfile: true });
          return s.terraform.backend.s3.key;
        });
        expect(new Set(places).size).toBe(places.length);
        for (const [i, id] of Object.keys(stacks).entries()) expect(places[i]).toContain(`${id}.tfstate`);
      });

      it('forwards every EC2/EBS event from each member\'s own regions, and from copy-only destination regions only copy results, to the central bus with a DLQ', () => {
        const busArn = `arn:aws:events:${cfg.central.region}:${cfg.central.accountId}:event-bus/${cfg.central.busName}`;
        for (const member of cfg.members) {
          const stack = stacks[`member-${member.accountId}`]!;
          const copyOnly = cfg.snapshotCopy ? destinationsOf(cfg, member.regions).filter((r) => !member.regions.includes(r)) : [];
          const rules = Object.fromEntries(resourcesOf(stack, 'aws_cloudwatch_event_rule').map(([, r]) => [r['region'] as string, r]));
          expect(Object.keys(rules).sort(), member.accountId).toEqual([...member.regions, ...copyOnly].sort());
          for (const region of member.regions) expect(forwardedDetailTypes(rules[region]!), `${member.accountId} ${region}`).toEqual(EC2_DETAIL_TYPES);
          for (const region of copyOnly) {
            // Issue 12: a destination-only region forwards the results of our copies, never new snapshots to copy.
            expect(forwardedDetailTypes(rules[region]!), `${member.accountId} ${region}`).toEqual(['EBS Snapshot Notification']);
            expect(rules[region]!['event_pattern'], `${member.accountId} ${region}`).toContain('copySnapshot');
            expect(rules[region]!['event_pattern'], `${member.accountId} ${region}`).not.toContain('createSnapshot');
          }
          const targets = resourcesOf(stack, 'aws_cloudwatch_event_target').map(([, t]) => t);
          expect(targets.map((t) => t['region']).sort(), member.accountId).toEqual(Object.keys(rules).sort());
          for (const target of targets) {
            expect(target['arn'], member.accountId).toBe(busArn);
            expect(target['dead_letter_config'], member.accountId).toEqual({ arn: expect.stringMatching(/^\$\{aws_sqs_queue\./) });
          }
        }
      });

      it('encrypts every queue, topic and log group, keeps logs for the configured days, and rotates every key', () => {
        for (const [id, stack] of Object.entries(stacks)) {
          for (const [address, queue] of resourcesOf(stack, 'aws_sqs_queue')) {
            expect(queue['sqs_managed_sse_enabled'] === true || typeof queue['kms_master_key_id'] === 'string', `${id} ${address}`).toBe(true);
          }
          for (const [address, topic] of resourcesOf(stack, 'aws_sns_topic')) expect(topic['kms_master_key_id'], `${id} ${address}`).toMatch(/^\$\{aws_kms_key\./);
          for (const [address, group] of resourcesOf(stack, 'aws_cloudwatch_log_group')) {
            expect(group['kms_key_id'], `${id} ${address}`).toMatch(/^\$\{aws_kms_key\./);
            expect(group['retention_in_days'], `${id} ${address}`).toBe(cfg.central.logRetentionDays);
          }
          for (const [address, key] of resourcesOf(stack, 'aws_kms_key')) expect(key['enable_key_rotation'], `${id} ${address}`).toBe(true);
        }
        expect(resourcesOf(stacks['central']!, 'aws_cloudwatch_log_group').length).toBeGreaterThan(0);
      });

      it('in vault mode: one vault key per destination region that Terraform may not destroy, and member copy keys exactly when kmsKeyId is not set', () => {
        const vault = cfg.snapshotCopy?.vault;
        const destinations = cfg.snapshotCopy ? destinationsOf(cfg, cfg.members.flatMap((m) => m.regions)) : [];
        const memberCopyKeys = (m: OrgConfig['members'][number]) => resourcesOf(stacks[`member-${m.accountId}`]!, 'aws_kms_alias').filter(([, a]) => a['name'] === 'alias/ebs-event-hub-dr').map(([, a]) => a['region']).sort();
        if (!vault) {
          expect(Object.keys(stacks).filter((id) => id.startsWith('vault-'))).toEqual([]);
          for (const m of cfg.members) expect(memberCopyKeys(m), m.accountId).toEqual([]);
          return;
        }
        const vaultKeys = resourcesOf(stacks[`vault-${vault.accountId}`]!, 'aws_kms_key').map(([, k]) => k);
        expect(vaultKeys.map((k) => k['region']).sort()).toEqual(destinations);
        // Locked vault copies outlive any delete call, not the key they are encrypted under.
        for (const key of vaultKeys) expect(key['lifecycle']).toEqual({ prevent_destroy: true });
        for (const m of cfg.members) {
          // A snapshot under the default aws/ebs key cannot be shared: member copies need a CMK the vault may use.
          expect(memberCopyKeys(m), m.accountId).toEqual(cfg.snapshotCopy!.kmsKeyId === undefined ? destinationsOf(cfg, m.regions) : []);
        }
      });
    });
  }
});

describe('golden synth (byte for byte)', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`${name}: every stack's cdk.tf.json equals __tests__/golden/${name}/`, async () => {
      const stacks = synthesizedOnce(name, config());
      // The set of stacks too: a stack that appears or disappears is a change.
      await expect(`${Object.keys(stacks).join('\n')}\n`).toMatchFileSnapshot(join('golden', name, 'stacks.txt'));
      for (const [stack, json] of Object.entries(stacks)) {
        await expect(json).toMatchFileSnapshot(join('golden', name, `${stack}.cdk.tf.json`));
      }
    });
  }
});
