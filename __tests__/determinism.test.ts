import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cloneOf, runTs, tempRepo } from './support/temp-repo';

/** Every file under `root`, relative, sorted. */
const files = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();

/** Builds the handler bundle in `dir`, as `npm run synth` does first. */
function build(dir: string): void {
  const run = runTs(dir, 'scripts/build-handler.ts');
  expect(run.status, run.stderr).toBe(0);
}

/** Synthesizes in `dir`. */
function synth(dir: string, env: NodeJS.ProcessEnv = {}): string {
  const run = runTs(dir, 'main.ts', [], env);
  expect(run.status, run.stderr).toBe(0);
  return join(dir, 'cdktf.out');
}

describe('deterministic synthesis', () => {
  it('GIVEN two clones of one commit in different folders, each building its own bundle, THEN cdktf.out/stacks and manifest.json are byte-identical', () => {
    const a = tempRepo('determinism-a-');
    const b = cloneOf(a, 'determinism-b-');
    onTestFinished(() => [a, b].forEach((d) => rmSync(dirname(d), { recursive: true, force: true })));
    build(a);
    build(b);
    for (const sharded of [{}, { SYNTH_SHARDS: '2' }]) {
      const outA = synth(a, sharded);
      const outB = synth(b, sharded);
      const compared = files(join(outA, 'stacks'));
      expect(files(join(outB, 'stacks'))).toEqual(compared);
      expect(compared).toContain('central/cdk.tf.json');
      expect(compared.some((f) => f.endsWith('.zip'))).toBe(true); // the Lambda asset is compared too
      for (const f of compared) expect(readFileSync(join(outB, 'stacks', f)).equals(readFileSync(join(outA, 'stacks', f))), f).toBe(true);
      expect(readFileSync(join(outB, 'manifest.json')).equals(readFileSync(join(outA, 'manifest.json')))).toBe(true);
      // No absolute path of either checkout leaks into the output.
      for (const f of compared) expect(readFileSync(join(outA, 'stacks', f)).includes(a), f).toBe(false);
    }
  });
});
