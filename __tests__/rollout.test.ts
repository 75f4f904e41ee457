/**
 * `npm run rollout` against the stand-in terraform (scripts/support/fake-terraform.ts) on PATH:
 * the real orchestration, real processes, a fake cdktf.out with the structure cdktf writes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrgConfigInput } from '../config/schema';
import { UsageError } from '../cli/common/errors';
import { readSynthOutput } from '../cli/common/synth-output';
import { parseRolloutArgs } from '../cli/rollout/args';
import { runRollout, type RolloutOptions } from '../cli/rollout/runner';
import type { RunState } from '../cli/rollout/state';
import { writeFakeSynthOutput } from '../scripts/support/fake-synth-output';
import { writeFakeTerraform } from '../scripts/support/fake-terraform';
import { SYNTH_STAMP_FILE } from '../stacks/synth-stamp';
import { rawConfig, testConfig } from './support/config';
import { ROOT } from './support/run-main';

const M = (n: number) => `member-${String(200_000_000_000 + n)}`;
const members = (n: number, wave = 1): OrgConfigInput['members'] =>
  Array.from({ length: n }, (_, i) => ({ accountId: String(200_000_000_000 + i), regions: ['eu-west-1' as never], wave }));

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

interface Call {
  stack: string;
  command: string;
  cwd: string;
  cache: string;
  argv: string;
}

function setup(memberList: OrgConfigInput['members'] = members(4)) {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-'));
  temps.push(dir);
  const raw = rawConfig({ members: memberList });
  const config = testConfig({ members: memberList });
  const outdir = join(dir, 'cdktf.out');
  writeFakeSynthOutput(outdir, config);
  const configFile = join(dir, 'org.json');
  writeFileSync(configFile, JSON.stringify(raw));
  const bin = writeFakeTerraform(join(dir, 'bin'));
  const record = join(dir, 'calls.log');
  const cache = join(dir, 'plugin-cache');
  const tfEnv = (cues: Record<string, string> = {}) => ({ ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_TF_RECORD: record, FAKE_TF_DIR: dir, ...cues });
  const lines: string[] = [];
  const run = (options: Partial<RolloutOptions> & { cues?: Record<string, string> } = {}) =>
    runRollout({
      config,
      output: readSynthOutput(outdir, config),
      wave: 'all',
      parallelism: 10,
      failureTolerance: 0,
      dryRun: false,
      resume: false,
      pluginCacheDir: cache,
      env: tfEnv(options.cues),
      print: (l) => lines.push(l),
      ...options,
    });
  const events = () => (existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n') : []);
  const calls = (): Call[] =>
    events()
      .filter((l) => l.startsWith('call\t'))
      .map((l) => {
        const [, stack, command, cwd, cache, argv] = l.split('\t');
        return { stack: stack!, command: command!, cwd: cwd!, cache: cache!, argv: argv! };
      });
  const state = (runId: string) => JSON.parse(readFileSync(join(outdir, 'rollout', runId, 'state.json'), 'utf8')) as RunState;
  return { dir, config, configFile, outdir, bin, record, cache, tfEnv, lines, run, events, calls, state };
}

describe('rollout --dry-run', () => {
  it('GIVEN two waves WHEN dry-run THEN prints central then each wave\'s init, plan and apply commands in order and runs nothing', async () => {
    const t = setup([...members(1, 1), { accountId: '299999999999', regions: ['eu-west-1'], wave: 2 }]);
    const result = await t.run({ dryRun: true });
    expect(result.exitCode).toBe(0);
    const commands = t.lines.filter((l) => l.startsWith('terraform '));
    const c = join(t.outdir, 'stacks', 'central');
    const m1 = join(t.outdir, 'stacks', M(0));
    const m2 = join(t.outdir, 'stacks', 'member-299999999999');
    expect(commands).toEqual([
      `terraform -chdir=${c} init -input=false -no-color`,
      `terraform -chdir=${c} plan -input=false -no-color -out=tfplan -detailed-exitcode`,
      `terraform -chdir=${c} apply -input=false -no-color tfplan   # only when the plan exits 2 (changes)`,
      `terraform -chdir=${m1} init -input=false -no-color`,
      `terraform -chdir=${m1} plan -input=false -no-color -out=tfplan -detailed-exitcode`,
      `terraform -chdir=${m1} apply -input=false -no-color tfplan   # only when the plan exits 2 (changes)`,
      `terraform -chdir=${m2} init -input=false -no-color`,
      `terraform -chdir=${m2} plan -input=false -no-color -out=tfplan -detailed-exitcode`,
      `terraform -chdir=${m2} apply -input=false -no-color tfplan   # only when the plan exits 2 (changes)`,
    ]);
    expect(t.lines).toContain(`export TF_PLUGIN_CACHE_DIR=${t.cache} TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE=true TF_IN_AUTOMATION=1`);
    expect(t.calls()).toEqual([]);
    expect(existsSync(join(t.outdir, 'rollout'))).toBe(false);
    expect(existsSync(t.cache)).toBe(false);
  });
});

describe('rollout', () => {
  it('GIVEN a wave of 4 stacks WHEN rolled out THEN central then every member is initialized, planned and applied, with progress lines, a summary and logs', async () => {
    const t = setup();
    const result = await t.run({ wave: '1' });
    expect(result.exitCode).toBe(0);
    const calls = t.calls();
    // Central's three commands come before any member's.
    expect(calls.slice(0, 3).map((c) => `${c.stack} ${c.command}`)).toEqual(['central init', 'central plan', 'central apply']);
    for (let i = 0; i < 4; i++) expect(calls.filter((c) => c.stack === M(i)).map((c) => c.command)).toEqual(['init', 'plan', 'apply']);
    // The shared plugin cache, created, reaches every terraform process.
    expect(existsSync(t.cache)).toBe(true);
    expect(new Set(calls.map((c) => c.cache))).toEqual(new Set([t.cache]));
    expect(calls[0]!.argv).toBe(`-chdir=${join(t.outdir, 'stacks', 'central')} init -input=false -no-color`);
    const progress = t.lines.filter((l) => l.startsWith('['));
    expect(progress).toHaveLength(5);
    expect(progress[0]).toMatch(/^\[1\/5\] central applied in \d+ s: 3 added, 1 changed$/);
    expect(progress.map((l) => /^\[(\d+)\/5\]/.exec(l)![1])).toEqual(['1', '2', '3', '4', '5']);
    expect(t.lines.join('\n')).toMatch(/wave\s+applied\s+unchanged\s+failed\s+not started\n0\s+1\s+0\s+0\s+0\n1\s+4\s+0\s+0\s+0\ntotal\s+5\s+0\s+0\s+0/);
    const state = result.state!;
    expect(state.status).toBe('completed');
    expect(Object.values(state.stacks).map((s) => s.status)).toEqual(Array(5).fill('applied'));
    expect(state.stacks[M(2)]!.changes).toEqual({ added: 3, changed: 1, destroyed: 0 });
    expect(t.state(state.runId)).toEqual(state);
    const log = readFileSync(join(t.outdir, 'rollout', state.runId, `${M(2)}.log`), 'utf8');
    expect(log).toContain('Apply complete! Resources: 3 added, 1 changed, 0 destroyed.');
    expect(log).toContain(`$ terraform -chdir=${join(t.outdir, 'stacks', M(2))} plan -input=false -no-color -out=tfplan -detailed-exitcode`);
  });

  it('GIVEN stacks whose plan has no changes THEN they are reported unchanged and never applied', async () => {
    const t = setup(members(2));
    const result = await t.run({ wave: '1', cues: { FAKE_TF_UNCHANGED: `central ${M(1)}` } });
    expect(result.exitCode).toBe(0);
    expect(t.calls().filter((c) => c.command === 'apply').map((c) => c.stack)).toEqual([M(0)]);
    expect(t.lines.some((l) => /^\[\d\/3\] central unchanged in \d+ s: no changes$/.test(l))).toBe(true);
    expect(result.state!.stacks[M(1)]!.status).toBe('unchanged');
    expect(t.lines.join('\n')).toMatch(/total\s+1\s+2\s+0\s+0/);
  });

  it('GIVEN parallelism 3 and 12 stacks THEN never more than 3 terraform processes run at once, and 3 do', async () => {
    const t = setup(members(12));
    const result = await t.run({ wave: '1', parallelism: 3, cues: { FAKE_TF_SLEEP: '0.2' } });
    expect(result.exitCode).toBe(0);
    let running = 0;
    let most = 0;
    for (const e of t.events()) {
      if (e.startsWith('start ')) most = Math.max(most, ++running);
      if (e.startsWith('end ')) running -= 1;
    }
    expect(most).toBe(3);
  });

  it('GIVEN a failing stack and no failure tolerance THEN no new stack starts, it exits 1 naming the stack and its log', async () => {
    const t = setup(members(4));
    const result = await t.run({ wave: '1', parallelism: 1, cues: { FAKE_TF_FAIL: `${M(1)}:plan` } });
    expect(result.exitCode).toBe(1);
    const stacks = result.state!.stacks;
    expect([M(0), M(1), M(2), M(3)].map((id) => stacks[id]!.status)).toEqual(['applied', 'failed', 'pending', 'pending']);
    expect(t.calls().some((c) => c.stack === M(2) || c.stack === M(3))).toBe(false);
    const log = join(t.outdir, 'rollout', result.state!.runId, `${M(1)}.log`);
    expect(t.lines).toContain(`  ${M(1)}: plan exited with 1; log ${log}`);
    expect(readFileSync(log, 'utf8')).toContain('Error: stand-in failure of plan');
    expect(t.lines.join('\n')).toMatch(/1\s+1\s+0\s+1\s+2\n/);
    expect(result.state!.status).toBe('failed');
  });

  it('GIVEN failure tolerance 1 THEN one failure lets the wave go on, the second stops it', async () => {
    const one = setup(members(4));
    const tolerated = await one.run({ wave: '1', parallelism: 1, failureTolerance: 1, cues: { FAKE_TF_FAIL: `${M(1)}:apply` } });
    expect(tolerated.exitCode).toBe(1); // a failed stack is still a failed rollout
    expect([M(0), M(1), M(2), M(3)].map((id) => tolerated.state!.stacks[id]!.status)).toEqual(['applied', 'failed', 'applied', 'applied']);

    const two = setup(members(5));
    const stopped = await two.run({ wave: '1', parallelism: 1, failureTolerance: 1, cues: { FAKE_TF_FAIL: `${M(1)}:init ${M(2)}:plan` } });
    expect(stopped.exitCode).toBe(1);
    expect([M(0), M(1), M(2), M(3), M(4)].map((id) => stopped.state!.stacks[id]!.status)).toEqual(['applied', 'failed', 'failed', 'pending', 'pending']);
    expect(two.lines.join('\n')).toContain('stopped: 2 stacks failed, more than the failure tolerance 1');
  });

  it('GIVEN central fails THEN no member stack starts, whatever the tolerance', async () => {
    const t = setup(members(2));
    const result = await t.run({ wave: '1', failureTolerance: 5, cues: { FAKE_TF_FAIL: 'central:apply' } });
    expect(result.exitCode).toBe(1);
    expect(t.calls().every((c) => c.stack === 'central')).toBe(true);
    expect(t.lines.join('\n')).toContain('central failed: member stacks target its bus');
  });

  it('GIVEN a stopped rollout WHEN resumed THEN stacks applied in it are not applied again and the rest are', async () => {
    const t = setup(members(4));
    const first = await t.run({ wave: '1', parallelism: 1, cues: { FAKE_TF_FAIL: `${M(1)}:apply` } });
    expect(first.exitCode).toBe(1);
    const before = t.calls().length;
    const resumed = await t.run({ wave: undefined, resume: true });
    expect(resumed.exitCode).toBe(0);
    expect(resumed.state!.runId).toBe(first.state!.runId);
    const again = t.calls().slice(before);
    expect([...new Set(again.map((c) => c.stack))].sort()).toEqual([M(1), M(2), M(3)]);
    expect(again.filter((c) => c.command === 'apply').map((c) => c.stack).sort()).toEqual([M(1), M(2), M(3)]);
    expect(resumed.state!.status).toBe('completed');
    expect(Object.values(resumed.state!.stacks).every((s) => s.status === 'applied')).toBe(true);
    expect(t.lines).toContain(`resuming rollout ${first.state!.runId} (--wave 1): 3 stacks to go, logs in ${join(t.outdir, 'rollout', first.state!.runId)}`);
    // A completed run has nothing to resume.
    await expect(t.run({ wave: undefined, resume: true })).rejects.toThrow(`--resume: run ${first.state!.runId} completed; nothing to resume`);
  });

  it('GIVEN --wave all with --verify WHEN verify fails after wave 1 THEN wave 2 never starts', async () => {
    const t = setup([...members(2, 1), { accountId: '299999999999', regions: ['eu-west-1'], wave: 2 }]);
    const verified: number[] = [];
    const result = await t.run({
      verifyWave: async (wave, stacks) => {
        verified.push(wave);
        expect(stacks.map((s) => s.id)).toEqual(wave === 0 ? ['central'] : [M(0), M(1)]);
        return wave === 1 ? { ok: false, summary: '1 account/region with problems' } : { ok: true, summary: 'healthy' };
      },
    });
    expect(result.exitCode).toBe(1);
    expect(verified).toEqual([0, 1]);
    expect(t.calls().some((c) => c.stack === 'member-299999999999')).toBe(false);
    expect(t.lines).toContain('verify wave 1: 1 account/region with problems');
  });
});

describe('rollout refuses bad input with a clear message (exit 2)', () => {
  it.each([
    [['--wave', '1', '--parallelism', '0'], '--parallelism: "0" is not a whole number of at least 1'],
    [['--wave', '1', '--parallelism', 'ten'], '--parallelism: "ten" is not a whole number of at least 1'],
    [['--wave', '1', '--failure-tolerance', '-1'], '--failure-tolerance: "-1" is not a whole number of at least 0'],
    [['--wave', '1', '--parralelism', '2'], "Unknown option '--parralelism'"],
    [[], '--wave: required'],
    [['--resume', '--run-id', '../x'], '--run-id: "../x" is not a run id'],
  ])('%j', (argv, message) => {
    expect(() => parseRolloutArgs(argv, {})).toThrow(UsageError);
    expect(() => parseRolloutArgs(argv, {})).toThrow(message);
  });

  it('GIVEN a wave the org does not have THEN names the waves it has', async () => {
    const t = setup();
    await expect(t.run({ wave: '7' })).rejects.toThrow('--wave: "7" is not a wave of this org (allowed: all, 0, 1)');
  });

  it('GIVEN --run-id without --resume, or nothing to resume THEN refuses', async () => {
    const t = setup();
    await expect(t.run({ runId: 'x' })).rejects.toThrow('--run-id: only with --resume');
    await expect(t.run({ resume: true, wave: undefined })).rejects.toThrow('--resume: no rollout to resume');
  });

  it('GIVEN another rollout running on the same cdktf.out THEN refuses; a lock left by a dead process is taken over', async () => {
    const t = setup(members(1));
    mkdirSync(join(t.outdir, 'rollout'), { recursive: true });
    writeFileSync(join(t.outdir, 'rollout', '.lock'), `${process.pid}\n`);
    await expect(t.run({ wave: '1' })).rejects.toThrow(`another rollout (pid ${process.pid}) is running`);
    expect(t.calls()).toEqual([]);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(t.outdir, 'rollout', '.lock'), `${dead}\n`);
    expect((await t.run({ wave: '1' })).exitCode).toBe(0);
    expect(existsSync(join(t.outdir, 'rollout', '.lock'))).toBe(false);
  });

  it('GIVEN a missing cdktf.out, one from another config, or stack folders that do not match THEN refuses', () => {
    const t = setup(members(2));
    expect(() => readSynthOutput(join(t.dir, 'nowhere'), t.config)).toThrow(/nowhere: no synthesized app here \(manifest.json is missing\); run `npm run synth`/);
    expect(() => readSynthOutput(t.outdir, testConfig({ members: members(3) }))).toThrow(/was synthesized from another config/);
    rmSync(join(t.outdir, 'stacks', M(1)), { recursive: true });
    expect(() => readSynthOutput(t.outdir, t.config)).toThrow(`stack ${M(1)}: its folder`);
    writeFakeSynthOutput(t.outdir, t.config);
    const manifest = JSON.parse(readFileSync(join(t.outdir, 'manifest.json'), 'utf8'));
    manifest.stacks['member-999999999999'] = { workingDirectory: 'stacks/member-999999999999' };
    writeFileSync(join(t.outdir, 'manifest.json'), JSON.stringify(manifest));
    expect(() => readSynthOutput(t.outdir, t.config)).toThrow('stack member-999999999999: in ');
    rmSync(join(t.outdir, SYNTH_STAMP_FILE));
    expect(() => readSynthOutput(t.outdir, t.config)).toThrow(`${SYNTH_STAMP_FILE} is missing`);
  });

  it('GIVEN the command line THEN bad input exits 2 with one message and no stack trace', () => {
    const t = setup();
    const cli = (...args: string[]) =>
      spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'rollout.ts'), ...args], {
        cwd: t.dir,
        encoding: 'utf8',
        env: { ...t.tfEnv(), ORG_CONFIG: t.configFile, CDKTF_OUTDIR: '' },
      });
    const missing = cli('--wave', '1', '--outdir', 'elsewhere');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('error: elsewhere: no synthesized app here');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const wave = cli('--wave', '3');
    expect(wave.status).toBe(2);
    expect(wave.stderr).toContain('--wave: "3" is not a wave of this org');
    expect(t.calls()).toEqual([]);
  });
});

describe('rollout --dry-run on the command line', () => {
  it('GIVEN 300 member stacks and stdout a pipe THEN every command line arrives before the process exits', () => {
    const t = setup(members(300));
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'rollout.ts'), '--wave', 'all', '--dry-run'], {
      cwd: t.dir,
      encoding: 'utf8',
      env: { ...t.tfEnv(), ORG_CONFIG: t.configFile, CDKTF_OUTDIR: '' },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.status).toBe(0);
    const commands = run.stdout.split('\n').filter((l) => l.startsWith('terraform '));
    expect(commands).toHaveLength(301 * 3);
    expect(commands[commands.length - 1]).toMatch(new RegExp(`^terraform -chdir=cdktf.out/stacks/${M(299)} apply `));
  });
});

describe('rollout and Ctrl-C', () => {
  it('GIVEN Ctrl-C while a plan with changes completes THEN its apply never starts, and the stack is interrupted (resume runs it)', async () => {
    const t = setup(members(2));
    const controller = new AbortController();
    const rollout = t.run({ wave: '1', parallelism: 1, signal: controller.signal, cues: { FAKE_TF_HANG_FINISH: `${M(0)}:plan` } });
    while (!existsSync(join(t.dir, `hanging-${M(0)}`))) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    const result = await rollout;
    expect(result.exitCode).toBe(130);
    expect(t.events()).toContain(`interrupted ${M(0)} plan`);
    expect(t.events()).toContain(`end ${M(0)} plan 2`);
    expect(t.calls().filter((c) => c.stack !== 'central').map((c) => `${c.stack} ${c.command}`)).toEqual([`${M(0)} init`, `${M(0)} plan`]);
    expect(result.state!.stacks[M(0)]!.status).toBe('interrupted');
    expect(result.state!.stacks[M(1)]!.status).toBe('pending');
    expect(result.state!.status).toBe('interrupted');
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('GIVEN a running terraform WHEN the rollout gets %s THEN it starts nothing new, sends terraform one SIGINT, leaves a consistent state and exits 130', async (signal) => {
    const t = setup(members(3));
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'rollout.ts'), '--wave', '1', '--parallelism', '1'], {
      cwd: t.dir,
      env: { ...t.tfEnv({ FAKE_TF_HANG: `${M(1)}:plan` }), ORG_CONFIG: t.configFile, CDKTF_OUTDIR: '', TF_PLUGIN_CACHE_DIR: t.cache },
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    // Wait (no deadline but the test's) until the stand-in says it hangs.
    while (!existsSync(join(t.dir, `hanging-${M(1)}`))) await new Promise((r) => setTimeout(r, 50));
    child.kill(signal);
    expect(await exited).toBe(130);
    expect(t.events().filter((e) => e.startsWith('interrupted'))).toEqual([`interrupted ${M(1)} plan`]);
    expect(t.calls().some((c) => c.stack === M(2))).toBe(false);
    const runId = readdirSync(join(t.outdir, 'rollout'))[0]!;
    expect(readdirSync(join(t.outdir, 'rollout', runId)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const state = t.state(runId);
    expect(state.status).toBe('interrupted');
    expect([M(0), M(1), M(2)].map((id) => state.stacks[id]!.status)).toEqual(['applied', 'interrupted', 'pending']);
    expect(stdout).toContain(`interrupted: resume with npm run rollout -- --resume --run-id ${runId}`);
  });
});
