import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../stacks/app';
import { fakeBundle } from './support/bundle';
import { rawConfig, testConfig } from './support/config';
import { synthStack } from './support/synth';

/**
 * Stacks skip cdktf's cross-stack preparation pass (see AccountStack.prepareStack): every value a
 * stack needs from another comes from config. This proves it: no stack refers to a resource it
 * does not declare itself.
 */
describe('stack references', () => {
  const config = testConfig({
    snapshotCopy: { destinationRegion: 'eu-central-1', kmsKeyId: 'alias/ebs-dr' },
    members: [...rawConfig().members, { accountId: '111111111111', regions: ['eu-west-1'] }],
    alerts: { emails: ['ops@example.com'] },
  });
  const built = buildApp({ config, outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle() });

  it.each([built.central, ...built.members].map((s) => [s.node.id, s] as const))('%s refers only to its own resources', (_id, stack) => {
    const { raw, json } = synthStack(stack);
    const declared = new Set(Object.entries(json.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)));
    const referenced = [...raw.matchAll(/\$\{(aws_[a-z0-9_]+\.[\w-]+)\./g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThan(0);
    expect(referenced.filter((r) => !declared.has(r))).toEqual([]);
    expect(raw).not.toContain('terraform_remote_state');
    expect(raw).not.toContain('cross-stack-output');
  });
});
