/**
 * Local Terraform state in cdktf.out survives the synth (stacks/local-state.ts): a synth that
 * would delete a stack folder holding state with resources is refused before anything is written,
 * and the parallel synth keeps what Terraform wrote into existing stack folders.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { managedResources, OrphanedStateError, orphanedState, refuseToOrphanState } from '../stacks/local-state';
import { writeSynthStamp } from '../stacks/synth-stamp';
import { synthesize } from '../stacks/synth';
import { withoutCreationStacks } from '../stacks/creation-stacks';
import { fakeBundle } from './support/bundle';
import { manyMembers, rawConfig, testConfig } from './support/config';
import { envWithoutOrgConfig, ROOT, runMain } from './support/run-main';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-state-'));
  temps.push(dir);
  return dir;
};

/** A state file as Terraform writes it (format version 4), with `managed` resources and one data source. */
const stateWith = (managed: number) =>
  JSON.stringify({
    version: 4,
    terraform_version: '1.11.4',
    serial: 3,
    lineage: 'c0ffee',
    outputs: {},
    resources: [
      { mode: 'data', type: 'aws_caller_identity', name: 'current', provider: 'provider["registry.terraform.io/hashicorp/aws"]', instances: [{ attributes: {} }] },
      ...Array.from({ length: managed }, (_, i) => ({ mode: 'managed', type: 'aws_sqs_queue', name: `q${i}`, provider: 'provider["registry.terraform.io/hashicorp/aws"]', instances: [{ attributes: {} }] })),
    ],
  });

function stackFolder(outdir: string, id: string, state?: string): string {
  const dir = join(outdir, 'stacks', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cdk.tf.json'), '{}\n');
  if (state !== undefined) writeFileSync(join(dir, `terraform.${id}.tfstate`), state);
  return dir;
}

describe('refuseToOrphanState', () => {
  it('counts managed resource instances only (data sources are not infrastructure)', () => {
    expect(managedResources(stateWith(0))).toBe(0);
    expect(managedResources(stateWith(14))).toBe(14);
    expect(managedResources('{"version":4,"resources":[]}')).toBe(0);
  });

  it('GIVEN stack folders the config no longer has THEN those whose state has resources (or is unreadable) are named, one line each, with what to run; the rest pass', () => {
    const dir = tempDir();
    const outdir = join(dir, 'cdktf.out');
    const config = testConfig({ members: [{ accountId: '222222222222', regions: ['eu-west-1'] }] });
    stackFolder(outdir, 'central', stateWith(40));
    stackFolder(outdir, 'member-222222222222', stateWith(12)); // still in the config: kept by the synth
    stackFolder(outdir, 'member-555555555555', stateWith(14));
    stackFolder(outdir, 'member-666666666666', stateWith(0)); // destroyed: nothing to lose
    stackFolder(outdir, 'member-777777777777'); // never applied
    stackFolder(outdir, 'member-888888888888', '{ not json');
    expect(orphanedState('cdktf.out', config, dir).map((h) => [h.stack, h.resources])).toEqual([
      ['member-555555555555', 14],
      ['member-888888888888', undefined],
    ]);
    let error: Error | undefined;
    try {
      refuseToOrphanState(config, 'cdktf.out', dir);
    } catch (err) {
      error = err as Error;
    }
    expect(error).toBeInstanceOf(OrphanedStateError);
    expect(error!.message.split('\n')).toEqual([
      'cdktf.out: synthesizing this config would delete local Terraform state that still has resources:',
      '  - stack member-555555555555: not in this config, and its folder holds Terraform state with 14 resources (cdktf.out/stacks/member-555555555555/terraform.member-555555555555.tfstate), which the synth would delete',
      '  - stack member-888888888888: not in this config, and its folder holds Terraform state with unreadable contents (treated as resources) (cdktf.out/stacks/member-888888888888/terraform.member-888888888888.tfstate), which the synth would delete',
      'Nothing was written. To remove those stacks, destroy them first (npm run rollout -- --destroy <stack>, then synth again); to keep their resources, move each state file out of cdktf.out first.',
    ]);
    // The output was synthesized from another config: the message asks whether ORG_CONFIG is the intended file.
    writeSynthStamp(outdir, testConfig({ members: manyMembers(3) }));
    expect(() => refuseToOrphanState(config, 'cdktf.out', dir)).toThrow('Nothing was written. cdktf.out was synthesized from another config: is ORG_CONFIG the file you meant?');
    const keepsThem = testConfig({ members: ['222222222222', '555555555555', '888888888888'].map((accountId) => ({ accountId, regions: ['eu-west-1' as never] })) });
    expect(() => refuseToOrphanState(keepsThem, 'cdktf.out', dir)).not.toThrow();
    expect(() => refuseToOrphanState(config, 'nowhere', dir)).not.toThrow();
  });
});

describe('the synth keeps local state', () => {
  it('GIVEN synthesize() with an outdir whose stack folders hold state the config no longer has THEN it refuses on that outdir (not on cdktf.out or CDKTF_OUTDIR) and writes nothing', async () => {
    const dir = tempDir();
    const outdir = join(dir, 'elsewhere.out');
    const held = join(stackFolder(outdir, 'member-555555555555', stateWith(7)), 'terraform.member-555555555555.tfstate');
    const config = testConfig({ members: [{ accountId: '222222222222', regions: ['eu-west-1'] }] });
    await expect(withoutCreationStacks(() => synthesize({ config, snapshotCopyBundle: fakeBundle(), outdir }))).rejects.toThrow(OrphanedStateError);
    expect(readFileSync(held, 'utf8')).toBe(stateWith(7));
    expect(readdirSync(join(outdir, 'stacks'))).toEqual(['member-555555555555']);
  });

  it('GIVEN a forgotten ORG_CONFIG (cdktf synth of the example org over a 2-member org with local state) THEN the synth fails naming the stacks and every state file survives; once destroyed (empty state), the synth goes on and cdktf removes the folders', () => {
    const dir = tempDir();
    const out = join(dir, 'cdktf.out');
    const org = join(dir, 'org.json');
    writeFileSync(org, JSON.stringify(rawConfig({ members: [{ accountId: '555555555555', regions: ['eu-west-1'] }, { accountId: '666666666666', regions: ['eu-west-1'] }] })));
    const synth = (env: NodeJS.ProcessEnv) =>
      spawnSync(join(ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', out], { cwd: ROOT, encoding: 'utf8', env: { ...envWithoutOrgConfig(), CHECKPOINT_DISABLE: '1', ...env } });
    const first = synth({ ORG_CONFIG: org });
    expect(first.status, first.stderr + first.stdout).toBe(0);
    const states = ['member-555555555555', 'member-666666666666'].map((id) => join(out, 'stacks', id, `terraform.${id}.tfstate`));
    for (const s of states) writeFileSync(s, stateWith(9));
    const stacksBefore = readdirSync(join(out, 'stacks')).sort();

    const forgotten = synth({}); // ORG_CONFIG unset: the example org
    expect(forgotten.status).not.toBe(0);
    const output = forgotten.stderr + forgotten.stdout;
    expect(output).toContain('stack member-555555555555: not in this config, and its folder holds Terraform state with 9 resources');
    expect(output).toContain('stack member-666666666666: not in this config');
    expect(output).toContain('was synthesized from another config: is ORG_CONFIG the file you meant?');
    for (const s of states) expect(readFileSync(s, 'utf8')).toBe(stateWith(9));
    expect(readdirSync(join(out, 'stacks')).sort()).toEqual(stacksBefore);

    for (const s of states) writeFileSync(s, stateWith(0));
    const after = synth({});
    expect(after.status, after.stderr + after.stdout).toBe(0);
    for (const s of states) expect(existsSync(s)).toBe(false);
  }, 120_000);

  it('GIVEN a parallel synth over folders where Terraform ran THEN each stack keeps its state, .terraform and lock file, and its cdk.tf.json is rewritten', () => {
    const org = rawConfig({ members: manyMembers(4) });
    const first = runMain(org, { SYNTH_SHARDS: '2' });
    expect(first.status, first.stderr).toBe(0);
    const ids = manyMembers(4).map((m) => `member-${m.accountId}`);
    const cdk = Object.fromEntries(ids.map((id) => [id, readFileSync(join(first.outdir, 'stacks', id, 'cdk.tf.json'), 'utf8')]));
    for (const id of ids) {
      const stack = join(first.outdir, 'stacks', id);
      writeFileSync(join(stack, `terraform.${id}.tfstate`), stateWith(5));
      writeFileSync(join(stack, '.terraform.lock.hcl'), '# lock\n');
      mkdirSync(join(stack, '.terraform', 'providers'), { recursive: true });
      writeFileSync(join(stack, 'cdk.tf.json'), 'stale');
    }
    const again = runMain(org, { SYNTH_SHARDS: '2', CDKTF_OUTDIR: first.outdir });
    expect(again.status, again.stderr).toBe(0);
    for (const id of ids) {
      const stack = join(first.outdir, 'stacks', id);
      expect(readFileSync(join(stack, `terraform.${id}.tfstate`), 'utf8'), id).toBe(stateWith(5));
      expect(existsSync(join(stack, '.terraform.lock.hcl')), id).toBe(true);
      expect(existsSync(join(stack, '.terraform', 'providers')), id).toBe(true);
      expect(readFileSync(join(stack, 'cdk.tf.json'), 'utf8'), id).toBe(cdk[id]);
    }
    rmSync(first.dir, { recursive: true, force: true });
  });
});
