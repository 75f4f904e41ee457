/**
 * In-process syntheses of the example org and of a config that turns every feature on, as the
 * review reads them (stack id -> cdk.tf.json content). For tests of what the stacks write.
 */
import { Testing } from 'cdktf';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_CONFIG_PATH, parseOrgConfig } from '../../config/load';
import type { OrgConfigInput } from '../../config/schema';
import { buildApp } from '../../stacks/app';
import { fakeBundle } from '../support/bundle';

export type StackJsonMap = Map<string, Record<string, unknown>>;

export const exampleOrg = (): OrgConfigInput => JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as OrgConfigInput;

/**
 * Every feature: the copy path with retention, a region map, a KMS key and a copy tag; the central
 * account also a member; no organizationId (the bus policy lists the accounts).
 */
export function allFeaturesOrg(): OrgConfigInput {
  const { organizationId: _org, ...example } = exampleOrg();
  return {
    ...example,
    members: [...example.members, { accountId: example.central.accountId, regions: ['eu-west-1'] }],
    snapshotCopy: { ...example.snapshotCopy!, retentionDays: 30, regionMap: { 'eu-central-1': 'eu-west-1' }, kmsKeyId: 'alias/ebs-dr', copyTag: 'dr-copy=true' },
  };
}

export function synthConfig(raw: OrgConfigInput): StackJsonMap {
  const built = buildApp({ config: parseOrgConfig(raw, 'test config'), outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle() });
  return new Map([built.central, ...built.members].map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as Record<string, unknown>]));
}

/** Resource and data source types, by kind, over the stacks of `outputs`. */
export function typesOf(...outputs: StackJsonMap[]): { resource: Set<string>; data: Set<string> } {
  const resource = new Set<string>();
  const data = new Set<string>();
  for (const output of outputs) {
    for (const stack of output.values()) {
      for (const t of Object.keys((stack.resource as object | undefined) ?? {})) resource.add(t);
      for (const t of Object.keys((stack.data as object | undefined) ?? {})) data.add(t);
    }
  }
  return { resource, data };
}

/** The golden syntheses (`__tests__/golden/<config>/<stack>.cdk.tf.json`, kept byte-equal to a synth by synth-golden.test.ts). */
export function goldenStacks(): StackJsonMap {
  const root = join(__dirname, '..', 'golden');
  const out: StackJsonMap = new Map();
  for (const config of readdirSync(root)) {
    for (const file of readdirSync(join(root, config)).filter((f) => f.endsWith('.cdk.tf.json'))) {
      out.set(`${config}/${file}`, JSON.parse(readFileSync(join(root, config, file), 'utf8')) as Record<string, unknown>);
    }
  }
  return out;
}
