/**
 * A `cdktf.out` with the structure `npm run rollout` reads (manifest.json, one folder with a
 * cdk.tf.json per stack, the synth stamp), without running cdktf: for the rollout tests and
 * the rollout benchmark, where the stand-in terraform never reads the Terraform JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrgConfig } from '../../config/schema';
import { synthStamp, writeSynthStamp } from '../../stacks/synth-stamp';

export function writeFakeSynthOutput(outdir: string, config: OrgConfig): void {
  const stacks: Record<string, { workingDirectory: string }> = {};
  for (const s of synthStamp(config).stacks) {
    const dir = join('stacks', s.id);
    mkdirSync(join(outdir, dir), { recursive: true });
    writeFileSync(join(outdir, dir, 'cdk.tf.json'), '{}\n');
    stacks[s.id] = { workingDirectory: dir };
  }
  writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ version: 'stand-in', stacks }, null, 2));
  writeSynthStamp(outdir, config);
}
