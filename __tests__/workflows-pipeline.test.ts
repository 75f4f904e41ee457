/**
 * The GitHub workflows as a pipeline, offline: pr.yml and deploy.yml read the org config from one
 * repository variable (and fail in one line without it), the test suite runs once per pull request,
 * forks get neither a comment attempt nor a plan, the plugin cache never trips on the missing lock
 * file, OIDC sessions last their job, a dry run needs no credentials, and deploy.yml fans each
 * wave out over K shard jobs with one gate per wave. The shell steps that decide are run here.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support/run-main';

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, string | number | boolean>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly if?: string;
  readonly needs?: string | string[];
  readonly uses?: string;
  readonly with?: Record<string, string | number>;
  readonly environment?: string;
  readonly permissions?: Record<string, string>;
  readonly 'timeout-minutes'?: number;
  readonly strategy?: { readonly 'fail-fast'?: boolean; readonly 'max-parallel'?: string | number; readonly matrix: Record<string, unknown> };
  readonly env?: Record<string, string>;
  readonly outputs?: Record<string, string>;
  readonly steps?: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown> | string;
  readonly concurrency?: { readonly group: string; readonly 'cancel-in-progress'?: boolean };
  readonly env?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const DIR = join(ROOT, '.github', 'workflows');
const FILES = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
const load = (file: string): Workflow => parse(readFileSync(join(DIR, file), 'utf8')) as Workflow;
const pr = load('pr.yml');
const deploy = load('deploy.yml');
const wave = load('deploy-wave.yml');
const needsOf = (job: Job): string[] => [job.needs ?? []].flat();
const stepNamed = (job: Job, name: string): Step => {
  const step = job.steps?.find((s) => s.name === name);
  if (!step) throw new Error(`no step named ${JSON.stringify(name)}`);
  return step;
};

/** Runs a workflow step's script as GitHub does (`bash -e`), in the repository root. */
function runStep(script: string, env: Record<string, string | undefined>, path?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'step-'));
  const output = join(dir, 'github-output');
  const summary = join(dir, 'step-summary');
  writeFileSync(output, '');
  const childEnv: NodeJS.ProcessEnv = { PATH: `${path ? `${path}:` : ''}${process.env.PATH ?? ''}`, HOME: dir, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const run = spawnSync('bash', ['--noprofile', '--norc', '-e', '-c', script], { cwd: ROOT, env: childEnv, encoding: 'utf8' });
  const outputs = Object.fromEntries(
    readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, outputs };
}

/** Steps that read ORG_CONFIG: they synthesize, review, plan the waves, roll out or verify. */
const READS_ORG_CONFIG = /\bnpm run (-s )?(synth|review|rollout|verify|waves)\b|\bcdktf (synth|deploy|diff)\b/;
const VARS_ORG_CONFIG = '${{ vars.ORG_CONFIG }}';

describe('one org config for pr.yml and deploy.yml: the repository variable ORG_CONFIG', () => {
  const effective = (workflow: Workflow, job: Job, step: Step): string | undefined => step.env?.ORG_CONFIG ?? job.env?.ORG_CONFIG ?? workflow.env?.ORG_CONFIG;

  it.each([
    ['pr.yml', pr],
    ['deploy.yml', deploy],
  ] as const)('%s: every step that synthesizes, reviews, plans or rolls out takes ORG_CONFIG from vars.ORG_CONFIG', (_, workflow) => {
    const readers = Object.values(workflow.jobs).flatMap((job) => (job.steps ?? []).filter((s) => READS_ORG_CONFIG.test(s.run ?? '')).map((s) => [job, s] as const));
    expect(readers.length).toBeGreaterThan(1);
    for (const [job, step] of readers) expect(effective(workflow, job, step), step.run).toBe(VARS_ORG_CONFIG);
  });

  it('deploy-wave.yml: every such step takes it from its org-config input, and every caller passes vars.ORG_CONFIG', () => {
    const readers = Object.values(wave.jobs).flatMap((job) => (job.steps ?? []).filter((s) => READS_ORG_CONFIG.test(s.run ?? '')).map((s) => [job, s] as const));
    expect(readers.map(([, s]) => s.run)).toEqual(expect.arrayContaining(['npm run synth', expect.stringMatching(/^npm run rollout /), expect.stringMatching(/^npm run verify /)]));
    for (const [job, step] of readers) expect(effective(wave, job, step), step.run).toBe('${{ inputs.org-config }}');
    const callers = Object.values(deploy.jobs).filter((j) => j.uses === './.github/workflows/deploy-wave.yml');
    expect(callers.length).toBeGreaterThan(1);
    for (const caller of callers) expect(caller.with?.['org-config']).toBe(VARS_ORG_CONFIG);
  });

  it('no workflow sets ORG_CONFIG from anywhere else', () => {
    for (const file of FILES) {
      const workflow = load(file);
      const envs = [workflow.env, ...Object.values(workflow.jobs).flatMap((j) => [j.env, ...(j.steps ?? []).map((s) => s.env)])];
      for (const env of envs) if (env && 'ORG_CONFIG' in env) expect([VARS_ORG_CONFIG, '${{ inputs.org-config }}'], `${file}: ORG_CONFIG: ${env.ORG_CONFIG}`).toContain(env.ORG_CONFIG);
    }
  });

  const check = stepNamed(pr.jobs.review!, 'ORG_CONFIG is set');

  it('both workflows check it with the same step, before anything reads it', () => {
    expect(stepNamed(deploy.jobs.waves!, 'ORG_CONFIG is set')).toEqual(check);
    const prSteps = pr.jobs.review!.steps!;
    expect(prSteps.indexOf(check)).toBeLessThan(prSteps.findIndex((s) => READS_ORG_CONFIG.test(s.run ?? '')));
    const waveSteps = deploy.jobs.waves!.steps!;
    expect(waveSteps.findIndex((s) => s.name === 'ORG_CONFIG is set')).toBeLessThan(waveSteps.findIndex((s) => READS_ORG_CONFIG.test(s.run ?? '')));
    // Every other deploy job reading it runs after the waves job (directly, or through the slot before it).
    for (const [id, job] of Object.entries(deploy.jobs)) if (id !== 'waves' && (job.uses || job.steps?.some((s) => READS_ORG_CONFIG.test(s.run ?? '')))) expect(needsOf(job), id).toContain('waves');
  });

  it.each([
    ['unset', undefined],
    ['blank', ''],
  ])('GIVEN ORG_CONFIG %s THEN the check fails with one line naming the variable', (_, value) => {
    const run = runStep(check.run!, { ORG_CONFIG: value });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe(
      '::error::repository variable ORG_CONFIG is not set (Settings → Secrets and variables → Actions → Variables): set it to the path of the org config in the repository\n',
    );
  });

  it('GIVEN a path that is no file THEN one line naming it; GIVEN the example org THEN it passes', () => {
    const missing = runStep(check.run!, { ORG_CONFIG: 'config/no-such-org.json' });
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('::error::repository variable ORG_CONFIG names no file of the repository: config/no-such-org.json\n');
    const ok = runStep(check.run!, { ORG_CONFIG: 'config/example-org.json' });
    expect(ok.status, ok.stderr).toBe(0);
  });
});

describe('pull requests', () => {
  const triggeredByPr = (w: Workflow) => (typeof w.on === 'string' ? [w.on] : Object.keys(w.on)).some((e) => e === 'pull_request' || e === 'pull_request_target');
  const TEST_SUITE = /(^|[\s;&|])(npm (run )?test|npx vitest|vitest run|bash \.ci\/run)\b/;

  it('run the test suite once: pr.yml is the only workflow running it on pull requests', () => {
    const runs = FILES.filter((f) => triggeredByPr(load(f))).flatMap((f) =>
      Object.values(load(f).jobs).flatMap((j) => (j.steps ?? []).filter((s) => TEST_SUITE.test(s.run ?? '')).map((s) => `${f}: ${s.run}`)),
    );
    expect(runs).toEqual(['pr.yml: npm test']);
    expect(triggeredByPr(load('ci.yml'))).toBe(false);
  });

  const SAME_REPO = 'github.event.pull_request.head.repo.full_name == github.repository';
  const FORK = 'github.event.pull_request.head.repo.full_name != github.repository';

  it('from a fork: no comment attempt, no plan, and a notice instead', () => {
    const commenting = Object.values(pr.jobs).flatMap((j) => (j.steps ?? []).filter((s) => /(create|update)Comment/.test(String(s.with?.script ?? ''))).map((s) => [j, s] as const));
    expect(commenting.length).toBe(3);
    for (const [job, step] of commenting) expect(`${job.if ?? ''} ${step.if ?? ''}`, step.name).toContain(SAME_REPO);
    expect(pr.jobs.plan!.if).toContain(SAME_REPO);
    expect(needsOf(pr.jobs['plan-comment']!)).toEqual(['plan']); // skipped with the plan
    expect(pr.jobs['plan-skipped']!.if).toContain(FORK);
    const notice = pr.jobs.review!.steps!.find((s) => s.if === FORK)!;
    expect(notice.run).toMatch(/^echo "::notice title=review not commented, not planned::This pull request comes from a fork/);
  });

  it('GIVEN a fork THEN plan-skipped says the fork is why; GIVEN no plan role THEN it says that', () => {
    const step = pr.jobs['plan-skipped']!.steps![0]!;
    expect(step.env).toEqual({ HEAD_REPO: '${{ github.event.pull_request.head.repo.full_name }}', REPO: '${{ github.repository }}' });
    const fork = runStep(step.run!, { HEAD_REPO: 'someone/ebs-event-hub', REPO: 'acme/ebs-event-hub' });
    expect(fork.stdout).toMatch(/^::notice title=terraform plan skipped::This pull request comes from a fork, which gets no AWS credentials/);
    const noRole = runStep(step.run!, { HEAD_REPO: 'acme/ebs-event-hub', REPO: 'acme/ebs-event-hub' });
    expect(noRole.stdout).toMatch(/^::notice title=terraform plan skipped::No AWS_PLAN_ROLE_ARN repository variable/);
    expect([fork.status, noRole.status]).toEqual([0, 0]);
  });

  it('plan with the read-only plan role: a synth for planning, refused otherwise, and -lock=false', () => {
    const planSynth = stepNamed(pr.jobs.review!, 'synth for planning (EBS_EVENT_HUB_ROLE=plan)');
    expect(planSynth.env).toEqual({ ORG_CONFIG: VARS_ORG_CONFIG, EBS_EVENT_HUB_ROLE: 'plan' });
    expect(planSynth.run).toBe('npm run synth -- --output cdktf.plan.out');
    const plan = pr.jobs.plan!;
    expect(plan.steps![0]).toMatchObject({ uses: expect.stringMatching(/^actions\/download-artifact@/), with: { name: 'synth-plan', path: 'cdktf.out' } });
    const script = plan.steps!.find((s) => s.run?.includes('terraform'))!.run!;
    expect(script).toContain(`jq -e '.role == "plan"' cdktf.out/ebs-event-hub.synth.json`);
    for (const command of script.match(/terraform -chdir="\$dir" (init|plan)[^\n]*/g)!) expect(command).toContain('-lock=false');
  });

  it("each plan's summary line counts as Terraform's own `Plan:` line does: a replacement is one to add and one to destroy", () => {
    // terraform show -json: resource_changes[].change.actions, a replacement ["delete","create"] or
    // ["create","delete"] (https://developer.hashicorp.com/terraform/internals/json-format#change-representation);
    // Terraform's "Plan: N to add, N to change, N to destroy." counts a replacement in both.
    const script = pr.jobs.plan!.steps!.find((s) => s.run?.includes('terraform'))!.run!;
    const program = /jq -r --arg s "\$stack" '([\s\S]*?)' plan\.json/.exec(script)![1]!;
    const action = (address: string, actions: string[], mode = 'managed') => ({ address, mode, change: { actions } });
    const plan = {
      resource_changes: [
        action('aws_sqs_queue.new', ['create']),
        action('aws_iam_role.changed', ['update']),
        action('aws_cloudwatch_event_bus.bus', ['delete', 'create']),
        action('aws_lambda_function.cbd', ['create', 'delete']),
        action('aws_sns_topic.gone', ['delete']),
        action('aws_kms_key.same', ['no-op']),
        action('data.aws_caller_identity.me', ['read'], 'data'),
      ],
    };
    const run = spawnSync('jq', ['-r', '--arg', 's', 'member-111111111111', program], { input: JSON.stringify(plan), encoding: 'utf8' });
    expect(run.error, 'jq must be on PATH (GitHub runners have it)').toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(
      '- `member-111111111111`: 3 to add, 1 to change, 3 to destroy **DESTROYS: aws_cloudwatch_event_bus.bus, aws_lambda_function.cbd, aws_sns_topic.gone**',
    );
  });

  it('a stack whose plan role cannot be assumed yet is a notice in the comment, not a failed check', () => {
    const script = pr.jobs.plan!.steps!.find((s) => s.run?.includes('terraform'))!.run!;
    const branch = script.slice(script.indexOf("elif grep -qE 'cannot be assumed"), script.indexOf('else', script.indexOf("elif grep -qE 'cannot be assumed") + 5));
    expect(branch).toContain('not planned: the plan role');
    expect(branch).toContain('::notice');
    expect(branch).not.toContain('status=1');
    expect(pr.jobs['plan-comment']!.steps!.at(-1)!.with!.script).toContain("': not planned:'");
  });
});

describe('Terraform plugin cache and OIDC sessions', () => {
  const all = FILES.map((f) => [f, load(f)] as const);

  it('every env that sets TF_PLUGIN_CACHE_DIR also sets TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE=true (cdktf.out has no lock file)', () => {
    const envs = all.flatMap(([f, w]) => [[f, w.env] as const, ...Object.values(w.jobs).flatMap((j) => [[f, j.env] as const, ...(j.steps ?? []).map((s) => [f, s.env] as const)])]);
    const caching = envs.filter(([, env]) => env && 'TF_PLUGIN_CACHE_DIR' in env);
    expect(caching.map(([f]) => f).sort()).toEqual(['ci.yml', 'deploy-wave.yml', 'pr.yml']);
    for (const [f, env] of caching) expect(env!.TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE, f).toBe('true');
  });

  it('every OIDC session lasts its job: role-duration-seconds = timeout-minutes x 60, within IAM\'s 12 hours', () => {
    const sessions = all.flatMap(([f, w]) =>
      Object.entries(w.jobs).flatMap(([id, j]) => (j.steps ?? []).filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials')).map((s) => [`${f}:${id}`, j, s] as const)),
    );
    expect(sessions.map(([id]) => id).sort()).toEqual(['deploy-wave.yml:gate', 'deploy-wave.yml:rollout', 'pr.yml:plan']);
    for (const [id, job, step] of sessions) {
      expect(job['timeout-minutes'], id).toBeGreaterThan(0);
      expect(step.with?.['role-duration-seconds'], id).toBe(job['timeout-minutes']! * 60);
      expect(Number(step.with?.['role-duration-seconds'])).toBeLessThanOrEqual(43_200);
    }
  });
});

describe('deploy.yml: dry run, required variables', () => {
  it('a dry run is one job with no environment, no OIDC token and no credentials step; the wave slots skip it', () => {
    const dry = deploy.jobs['dry-run']!;
    expect(dry.if).toBe("needs.waves.outputs.dry-run == 'true'");
    expect(dry.environment).toBeUndefined();
    expect(dry.permissions).toBeUndefined(); // the workflow's: contents: read
    expect(JSON.stringify(dry.steps)).not.toContain('configure-aws-credentials');
    expect(dry.steps!.at(-1)).toMatchObject({ run: 'npm run rollout -- --wave "$SELECTION" --dry-run' });
    expect(deploy.jobs['wave-0']!.if).toContain("needs.waves.outputs.dry-run != 'true'");
  });

  it('real runs share the group `deploy` (one at a time, none cancelled); each run that deploys nothing has a group of its own', () => {
    // GitHub cancels the pending run of a group when another is queued
    // (https://docs.github.com/en/actions/using-jobs/using-concurrency): a dry run, or a push to
    // main without DEPLOY_ON_PUSH (every job skipped), in `deploy` would wait behind a rollout's
    // approvals and could displace a pending real run.
    const { group, 'cancel-in-progress': cancel } = deploy.concurrency!;
    expect(cancel).toBe(false);
    // The expression's operators (==, !=, &&, ||, literals, format) evaluate as in JavaScript.
    const expr = /^\$\{\{(.*)\}\}$/.exec(group)![1]!.replace(/\binputs\.dry-run\b/g, "inputs['dry-run']");
    const format = (f: string, ...a: unknown[]) => f.replace(/\{(\d+)\}/g, (_, i: string) => String(a[Number(i)]));
    const groupOf = new Function('github', 'inputs', 'vars', 'format', `return (${expr});`) as (g: object, i: object, v: object, f: typeof format) => string;
    const onPush = { DEPLOY_ON_PUSH: 'true' };
    expect(groupOf({ event_name: 'push', run_id: 11 }, {}, onPush, format)).toBe('deploy');
    expect(groupOf({ event_name: 'workflow_dispatch', run_id: 12 }, { wave: 'all', 'dry-run': false }, {}, format)).toBe('deploy');
    expect(groupOf({ event_name: 'workflow_dispatch', run_id: 13 }, { wave: 'all', 'dry-run': true }, onPush, format)).toBe('deploy-nothing-13');
    expect(groupOf({ event_name: 'workflow_dispatch', run_id: 14 }, { wave: '0', 'dry-run': true }, {}, format)).toBe('deploy-nothing-14');
    expect(groupOf({ event_name: 'push', run_id: 15 }, {}, {}, format)).toBe('deploy-nothing-15');
    expect(groupOf({ event_name: 'push', run_id: 16 }, {}, { DEPLOY_ON_PUSH: 'false' }, format)).toBe('deploy-nothing-16');
    // ... and those runs deploy nothing indeed: no job runs on such a push, and a dry run's slots are skipped.
    expect(deploy.jobs.waves!.if).toBe("github.event_name == 'workflow_dispatch' || vars.DEPLOY_ON_PUSH == 'true'");
  });

  const awsCheck = stepNamed(deploy.jobs.waves!, 'AWS variables are set (not needed for a dry run)');

  it('GIVEN no AWS variables THEN a rollout fails with one line per variable; a dry run does not need them', () => {
    const missing = runStep(awsCheck.run!, { DRY_RUN: 'false', AWS_DEPLOY_ROLE_ARN: '', AWS_REGION: '' });
    expect(missing.status).toBe(1);
    expect(missing.stdout.trim().split('\n')).toEqual([
      '::error::repository variable AWS_DEPLOY_ROLE_ARN is not set (Settings → Secrets and variables → Actions → Variables): the role this workflow assumes with OIDC',
      '::error::repository variable AWS_REGION is not set (Settings → Secrets and variables → Actions → Variables): the region of the STS endpoint',
    ]);
    expect(runStep(awsCheck.run!, { DRY_RUN: 'true', AWS_DEPLOY_ROLE_ARN: '', AWS_REGION: '' }).status).toBe(0);
    expect(runStep(awsCheck.run!, { DRY_RUN: 'false', AWS_DEPLOY_ROLE_ARN: 'arn:aws:iam::1:role/d', AWS_REGION: 'eu-west-1' }).status).toBe(0);
  });

  it('every repository variable a workflow reads is in the README\'s table, required or optional', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const used = [...new Set(FILES.flatMap((f) => [...readFileSync(join(DIR, f), 'utf8').matchAll(/\bvars\.([A-Z_]+)/g)].map((m) => m[1]!)))].sort();
    expect(used).toEqual(expect.arrayContaining(['AWS_DEPLOY_ROLE_ARN', 'AWS_PLAN_ROLE_ARN', 'AWS_REGION', 'DEPLOY_ON_PUSH', 'ORG_CONFIG', 'ROLLOUT_MAX_PARALLEL', 'ROLLOUT_SHARDS']));
    for (const name of used) expect(readme, name).toMatch(new RegExp(`^\\| \`${name}\` \\| (required|optional)[^|]* \\| .+\\|$`, 'm'));
  });
});

describe('deploy.yml: each wave fanned out over K shard jobs, one gate per wave', () => {
  const slotsStep = deploy.jobs.waves!.steps!.find((s) => s.id === 'slots')!;
  const SLOTS = Number(slotsStep.env!.WAVE_SLOTS);
  const waveInputs = (wave.on as { workflow_call: { inputs: Record<string, { required?: boolean }> } }).workflow_call.inputs;

  it('has wave-0 (central) then WAVE_SLOTS member slots, each after the one before, each on its own slot output', () => {
    expect(SLOTS).toBe(10);
    const slotJobs = Object.keys(deploy.jobs).filter((id) => /^wave-\d+$/.test(id));
    expect(slotJobs).toEqual(Array.from({ length: SLOTS + 1 }, (_, i) => `wave-${i}`));
    expect(Object.keys(deploy.jobs.waves!.outputs!).filter((k) => k.startsWith('slot-'))).toEqual(slotJobs.map((id) => id.replace('wave', 'slot')));
    slotJobs.forEach((id, i) => {
      const job = deploy.jobs[id]!;
      expect(job.uses).toBe('./.github/workflows/deploy-wave.yml');
      expect(needsOf(job)).toEqual(i === 0 ? ['waves'] : ['waves', `wave-${i - 1}`]);
      expect(job.if).toContain(`needs.waves.outputs.slot-${i} != ''`);
      expect(job.with?.slot).toBe(`\${{ needs.waves.outputs.slot-${i} }}`);
      expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
      // What deploy-wave.yml takes, no more, no less (actionlint cannot read the called file offline).
      expect(Object.keys(job.with!).sort()).toEqual(Object.keys(waveInputs).sort());
    });
    expect(Object.values(waveInputs).every((i) => i.required)).toBe(true);
  });

  it('deploy-wave.yml: approval, then a shard matrix (fail-fast off, max-parallel from the variable) running the rollout of its shard, then the gate running verify', () => {
    const rollout = wave.jobs.rollout!;
    expect(needsOf(rollout)).toEqual(['approve']);
    expect(rollout.strategy).toEqual({ 'fail-fast': false, 'max-parallel': '${{ inputs.max-parallel }}', matrix: { shard: '${{ fromJSON(inputs.slot).shards }}' } });
    expect(stepNamed(rollout, 'rollout')).toMatchObject({
      env: { WAVE: '${{ fromJSON(inputs.slot).wave }}', SHARD: '${{ matrix.shard }}', COUNT: '${{ fromJSON(inputs.slot).count }}' },
      run: 'npm run rollout -- --wave "$WAVE" --shard "$SHARD/$COUNT"',
    });
    const gate = wave.jobs.gate!;
    expect(needsOf(gate)).toEqual(['approve', 'rollout']);
    expect(gate.if).toBe("${{ !cancelled() && needs.approve.result == 'success' }}");
    expect(stepNamed(gate, 'verify').run).toBe('npm run verify -- --wave "$WAVE" --since "$SINCE" --out verify.json');
  });

  it('uploads every shard\'s rollout logs and every gate\'s verify report under names unique per wave, shard and attempt', () => {
    const names = Object.values(wave.jobs).flatMap((j) => (j.steps ?? []).filter((s) => s.uses?.startsWith('actions/upload-artifact')).map((s) => [s.if, String(s.with!.name)] as const));
    expect(names).toEqual([
      ['always()', 'rollout-wave-${{ fromJSON(inputs.slot).wave }}-shard-${{ matrix.shard }}-of-${{ fromJSON(inputs.slot).count }}-attempt-${{ github.run_attempt }}'],
      ['always()', 'verify-wave-${{ fromJSON(inputs.slot).wave }}-attempt-${{ github.run_attempt }}'],
    ]);
  });

  it('GIVEN a failed shard THEN the gate fails after verify, naming the wave; GIVEN every shard succeeded THEN it passes', () => {
    const step = stepNamed(wave.jobs.gate!, 'every shard succeeded');
    expect(step.if).toBe('always()');
    const failed = runStep(step.run!, { WAVE: '2', SHARDS: 'failure' });
    expect(failed.status).toBe(1);
    expect(failed.stdout).toBe('::error::wave 2: a shard job did not succeed (failure): the next wave does not start; see the rollout-wave-2-* artifacts\n');
    expect(runStep(step.run!, { WAVE: '2', SHARDS: 'success' }).status).toBe(0);
  });

  /** A stand-in `npm` answering `npm run -s waves` from FAKE_WAVES (wave -> stack count), as cli/waves.ts does. */
  const fakeNpm = (() => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-npm-'));
    writeFileSync(
      join(dir, 'npm'),
      `#!/usr/bin/env bash
case "$*" in
  "run -s waves -- --json") jq -c '[keys[] | tonumber] | sort' <<<"$FAKE_WAVES" ;;
  "run -s waves -- --wave "*)
    wave="\${!#}"
    n="$(jq -r --arg w "$wave" '.[$w] // empty' <<<"$FAKE_WAVES")"
    if [ -z "$n" ]; then echo "error: --wave: \\"$wave\\" is not a wave of this org" >&2; exit 2; fi
    for i in $(seq 1 "$n"); do printf 'member-%012d ' "$i"; done; echo ;;
  *) echo "fake npm: unexpected: $*" >&2; exit 99 ;;
esac
`,
    );
    chmodSync(join(dir, 'npm'), 0o755);
    return dir;
  })();

  const slots = (env: Record<string, string>, waves: Record<number, number>) =>
    runStep(slotsStep.run!, { EVENT: 'push', WAVE: '', DRY_RUN: 'false', ROLLOUT_SHARDS: '', ROLLOUT_MAX_PARALLEL: '', WAVE_SLOTS: String(SLOTS), FAKE_WAVES: JSON.stringify(waves), ...env }, fakeNpm);
  const slot = (wave: number, count: number) => JSON.stringify({ wave, count, shards: Array.from({ length: count }, (_, i) => i + 1) });

  it('GIVEN no shard variable THEN one shard per wave, central first, each member wave in its slot, in order', () => {
    const run = slots({}, { 0: 1, 2: 40, 1: 3 });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.outputs).toEqual({ 'dry-run': 'false', selection: 'all', 'max-parallel': '1', 'slot-0': slot(0, 1), 'slot-1': slot(1, 1), 'slot-2': slot(2, 1) });
  });

  it('GIVEN ROLLOUT_SHARDS=4 THEN K=4, but never more shards than the wave has stacks; ROLLOUT_MAX_PARALLEL bounds them', () => {
    const run = slots({ ROLLOUT_SHARDS: '4', ROLLOUT_MAX_PARALLEL: '2' }, { 0: 1, 1: 3, 5: 40 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ 'max-parallel': '2', 'slot-1': slot(1, 3), 'slot-2': slot(5, 4) });
    expect(slots({ ROLLOUT_SHARDS: '256' }, { 0: 1, 1: 300 }).outputs).toMatchObject({ 'max-parallel': '256', 'slot-1': slot(1, 256) });
  });

  it.each(['0', '257', 'abc', '1.5', '08', ' 4', '-1', '99999999999999999999999'])('GIVEN ROLLOUT_SHARDS=%j THEN one error line naming the variable, and no slot', (value) => {
    const run = slots({ ROLLOUT_SHARDS: value }, { 0: 1, 1: 3 });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe(
      `::error::repository variable ROLLOUT_SHARDS is "${value}": it must be a whole number from 1 to 256 (shard jobs per wave; a GitHub matrix runs at most 256 jobs)\n`,
    );
    expect(run.outputs).toEqual({});
  });

  it('GIVEN a bad ROLLOUT_MAX_PARALLEL THEN one error line naming it', () => {
    const run = slots({ ROLLOUT_MAX_PARALLEL: '0' }, { 0: 1, 1: 3 });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('::error::repository variable ROLLOUT_MAX_PARALLEL is "0": it must be a whole number from 1 to 256 (shard jobs of a wave running at once)\n');
  });

  it('GIVEN as many member waves as slots THEN all run; one more THEN the job fails naming both numbers', () => {
    const waves = (n: number) => Object.fromEntries([[0, 1], ...Array.from({ length: n }, (_, i) => [i + 1, 2])]) as Record<number, number>;
    const full = slots({}, waves(SLOTS));
    expect(full.status, full.stderr).toBe(0);
    expect(full.outputs[`slot-${SLOTS}`]).toBe(slot(SLOTS, 1));
    const over = slots({}, waves(SLOTS + 1));
    expect(over.status).toBe(1);
    expect(over.stdout).toBe(
      '::error::the org config has 11 member waves (1 2 3 4 5 6 7 8 9 10 11); deploy.yml has 10 wave slots (jobs wave-1 to wave-10): put members in fewer waves, or add slots to deploy.yml\n',
    );
    expect(over.outputs).toEqual({});
  });

  it('GIVEN a dispatch of one wave THEN central then that wave; of wave 0 THEN central alone; of a wave the org lacks THEN the job fails', () => {
    const one = slots({ EVENT: 'workflow_dispatch', WAVE: '5', DRY_RUN: 'true' }, { 0: 1, 1: 3, 5: 2 });
    expect(one.status, one.stderr).toBe(0);
    expect(one.outputs).toEqual({ 'dry-run': 'true', selection: '5', 'max-parallel': '1', 'slot-0': slot(0, 1), 'slot-1': slot(5, 1) });
    const central = slots({ EVENT: 'workflow_dispatch', WAVE: '0' }, { 0: 1, 1: 3 });
    expect(central.outputs).toEqual({ 'dry-run': 'false', selection: '0', 'max-parallel': '1', 'slot-0': slot(0, 1) });
    const bad = slots({ EVENT: 'workflow_dispatch', WAVE: '7' }, { 0: 1, 1: 3 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"7" is not a wave of this org');
    expect(bad.outputs).toEqual({});
  });
});
