import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSha256, SYNTH_STAMP_FILE, synthStamp, type SynthStamp } from '../stacks/synth-stamp';
import { rawConfig, testConfig } from './support/config';
import { runMain } from './support/run-main';

describe('synth stamp (cdktf.out/ebs-event-hub.synth.json)', () => {
  it('GIVEN the same config with its keys in another order THEN the same hash; a changed value changes it', () => {
    const a = testConfig();
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as typeof a;
    expect(Object.keys(reordered)).not.toEqual(Object.keys(a));
    expect(configSha256(reordered)).toBe(configSha256(a));
    expect(configSha256(testConfig({ members: [{ accountId: '222222222222', regions: ['eu-west-1'], wave: 3 }] }))).not.toBe(configSha256(a));
  });

  it('lists central as wave 0, then each member stack with its account and wave (default 1)', () => {
    expect(synthStamp(testConfig()).stacks).toEqual([
      { id: 'central', accountId: '111111111111', wave: 0 },
      { id: 'member-222222222222', accountId: '222222222222', wave: 2 },
      { id: 'member-333333333333', accountId: '333333333333', wave: 1 },
    ]);
  });

  it('GIVEN a synth THEN the output folder holds the stamp of the config, with no time or absolute path in it', () => {
    const first = runMain(rawConfig());
    expect(first.status, first.stderr).toBe(0);
    const text = readFileSync(join(first.outdir, SYNTH_STAMP_FILE), 'utf8');
    const stamp = JSON.parse(text) as SynthStamp;
    expect(stamp).toEqual(synthStamp(testConfig()));
    expect(text).not.toContain(first.dir);
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });
});
