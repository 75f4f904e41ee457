import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderPlan, wavePlan } from '../scripts/waves';
import { testConfig } from './support/config';
import { ROOT } from './support/run-main';

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

  it('prints the deploy command of each wave', () => {
    expect(renderPlan(wavePlan(config))).toContain('wave 3: 2 stacks\n  npx cdktf deploy member-222222222222 member-444444444444');
  });

  it('rejects a wave the org does not have, naming the waves it has', () => {
    const { ORG_CONFIG: _unset, ...env } = process.env; // the embedded example org
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/waves.ts', '--wave', '7'], { cwd: ROOT, encoding: 'utf8', env });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--wave: "7" is not a wave of this org (waves: 0, 1, 2)');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
