import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectWaves, wavePlan } from '../cli/common/wave-plan';
import { renderPlan } from '../cli/waves';
import { testConfig } from './support/config';
import { envWithoutOrgConfig, ROOT } from './support/run-main';

const waves = (...args: string[]) =>
  spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['cli/waves.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: envWithoutOrgConfig() });

describe('rollout waves', () => {
  const config = testConfig({
    members: [
      { accountId: '222222222222', regions: ['eu-west-1'], wave: 3 },
      { accountId: '333333333333', regions: ['eu-west-1'] },
      { accountId: '444444444444', regions: ['eu-west-1'], wave: 3 },
    ],
  });

  it('puts central first, then each wave in order with its member stacks in config order', () => {
    expect(wavePlan(config)).toEqual([
      { wave: 0, stacks: ['central'] },
      { wave: 1, stacks: ['member-333333333333'] },
      { wave: 3, stacks: ['member-222222222222', 'member-444444444444'] },
    ]);
  });

  it('prints the rollout command and the stacks of each wave', () => {
    expect(renderPlan(wavePlan(config))).toContain('wave 3: 2 stacks\n  npm run rollout -- --wave 3\n  member-222222222222 member-444444444444');
  });

  it('selects every wave in order for "all", and one wave by number', () => {
    expect(selectWaves(wavePlan(config), 'all').map((w) => w.wave)).toEqual([0, 1, 3]);
    expect(selectWaves(wavePlan(config), '3')).toEqual([{ wave: 3, stacks: ['member-222222222222', 'member-444444444444'] }]);
  });

  it('prints one wave\'s stack ids on one line', () => {
    const run = waves('--wave', '2');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('member-222222222222 member-444444444444\n');
  });

  it('prints the wave numbers as a JSON array with --json', () => {
    const run = waves('--json');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([0, 1, 2]);
  });

  it('rejects a wave the org does not have with exit 2, naming the waves it has', () => {
    const run = waves('--wave', '7');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--wave: "7" is not a wave of this org (allowed: all, 0, 1, 2)');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints its usage on stdout and exits 0 with --help (before reading the config)', () => {
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['cli/waves.ts', '--wave', '1', '--help'], { cwd: ROOT, encoding: 'utf8', env: { ...envWithoutOrgConfig(), ORG_CONFIG: ' ' } });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run -s waves \[-- --wave <N> \| --json\]\n/);
    expect(run.stderr).toBe('');
  });

  it('rejects an unknown option with exit 2', () => {
    const run = waves('--wav', '1');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/error: .*--wav/);
  });
});
