/**
 * `npm run rollout` against the stand-in terraform (scripts/support/fake-terraform.ts) on PATH:
 * the real orchestration, real processes, a fake cdktf.out with the structure cdktf writes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrgConfigInput } from '../config/schema';
import { UsageError } from '../cli/common/errors';
import { readSynthOutput } from '../cli/common/synth-output';
import { durationMs, parseRolloutArgs } from '../cli/rollout/args';
import { runDestroy, type DestroyOptions } from '../cli/rollout/destroy';
import { phasesFor, runRollout, type RolloutOptions } from '../cli/rollout/runner';
import { stackJsonSha256, type RunState } from '../cli/rollout/state';
import { writeFakeSynthOutput } from '../scripts/support/fake-synth-output';
import { writeFakeTerraform } from '../scripts/support/fake-terraform';
import { SYNTH_STAMP_FILE, writeSynthStamp } from '../stacks/synth-stamp';
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

function setup(memberList: OrgConfigInput['members'] = members(4), extra: Partial<OrgConfigInput> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-'));
  temps.push(dir);
  const raw = rawConfig({ ...extra, members: memberList });
  const config = testConfig({ ...extra, members: memberList });
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
      mode: 'rollout',
      wave: 'all',
      given: {},
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
    // The plans go to the run folder the rollout would create now (printed on the first line).
    const runFolder = /run folder (\S+)\.$/.exec(t.lines[0]!)![1]!;
    const plan = (id: string) => join(resolve(runFolder), `${id}.tfplan`);
    const stackCommands = (dir: string, id: string) => [
      `terraform -chdir=${dir} init -input=false -no-color`,
      `terraform -chdir=${dir} plan -input=false -no-color -lock-timeout=5m -out=${plan(id)} -detailed-exitcode`,
      `terraform -chdir=${dir} apply -input=false -no-color -lock-timeout=5m ${plan(id)}   # only when the plan exits 2 (changes)`,
    ];
    expect(commands).toEqual([...stackCommands(c, 'central'), ...stackCommands(m1, M(0)), ...stackCommands(m2, 'member-299999999999')]);
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
    const planFile = resolve(t.outdir, 'rollout', state.runId, `${M(2)}.tfplan`);
    expect(log).toContain(`$ terraform -chdir=${join(t.outdir, 'stacks', M(2))} plan -input=false -no-color -lock-timeout=5m -out=${planFile} -detailed-exitcode`);
    expect(log).toContain(`$ terraform -chdir=${join(t.outdir, 'stacks', M(2))} apply -input=false -no-color -lock-timeout=5m ${planFile}`);
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
    const result = await t.run({ wave: '1', given: { parallelism: 3 }, cues: { FAKE_TF_SLEEP: '0.2' } });
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
    const result = await t.run({ wave: '1', given: { parallelism: 1 }, cues: { FAKE_TF_FAIL: `${M(1)}:plan` } });
    expect(result.exitCode).toBe(1);
    const stacks = result.state!.stacks;
    expect([M(0), M(1), M(2), M(3)].map((id) => stacks[id]!.status)).toEqual(['applied', 'failed', 'pending', 'pending']);
    expect(t.calls().some((c) => c.stack === M(2) || c.stack === M(3))).toBe(false);
    const log = join(t.outdir, 'rollout', result.state!.runId, `${M(1)}.log`);
    // The summary line carries the first `Error:` line of the stack's log.
    expect(t.lines).toContain(`  ${M(1)}: plan exited with 1: stand-in failure of plan; log ${log}`);
    expect(readFileSync(log, 'utf8')).toContain('Error: stand-in failure of plan');
    expect(t.lines.join('\n')).toMatch(/1\s+1\s+0\s+1\s+2\n/);
    expect(result.state!.status).toBe('failed');
  });

  it('GIVEN failure tolerance 1 THEN one failure lets the wave go on, the second stops it', async () => {
    const one = setup(members(4));
    const tolerated = await one.run({ wave: '1', given: { parallelism: 1, failureTolerance: 1 }, cues: { FAKE_TF_FAIL: `${M(1)}:apply` } });
    expect(tolerated.exitCode).toBe(1); // a failed stack is still a failed rollout
    expect([M(0), M(1), M(2), M(3)].map((id) => tolerated.state!.stacks[id]!.status)).toEqual(['applied', 'failed', 'applied', 'applied']);

    const two = setup(members(5));
    const stopped = await two.run({ wave: '1', given: { parallelism: 1, failureTolerance: 1 }, cues: { FAKE_TF_FAIL: `${M(1)}:init ${M(2)}:plan` } });
    expect(stopped.exitCode).toBe(1);
    expect([M(0), M(1), M(2), M(3), M(4)].map((id) => stopped.state!.stacks[id]!.status)).toEqual(['applied', 'failed', 'failed', 'pending', 'pending']);
    expect(two.lines.join('\n')).toContain('stopped: 2 stacks failed, more than the failure tolerance 1');
  });

  it('GIVEN central fails THEN no member stack starts, whatever the tolerance', async () => {
    const t = setup(members(2));
    const result = await t.run({ wave: '1', given: { failureTolerance: 5 }, cues: { FAKE_TF_FAIL: 'central:apply' } });
    expect(result.exitCode).toBe(1);
    expect(t.calls().every((c) => c.stack === 'central')).toBe(true);
    expect(t.lines.join('\n')).toContain('central failed: member stacks target its bus');
  });

  it('GIVEN vault mode THEN wave 0 is central then the vault stack, one at a time, before any member; a failed central stops it before the vault', async () => {
    const vault = { snapshotCopy: { destinationRegion: 'eu-central-1' as never, vault: { accountId: '999999999999' } } };
    const t = setup(members(2), vault);
    const result = await t.run({ wave: 'all', given: { parallelism: 10 } });
    expect(result.exitCode).toBe(0);
    const order = t.calls().map((c) => `${c.stack} ${c.command}`);
    // Sequential: the vault's init starts after central's apply.
    expect(order.slice(0, 6)).toEqual(['central init', 'central plan', 'central apply', 'vault-999999999999 init', 'vault-999999999999 plan', 'vault-999999999999 apply']);
    const dry = setup(members(2), vault);
    await dry.run({ wave: '0', dryRun: true });
    expect(dry.lines).toContain('# wave 0 (central, vault-999999999999): 2 stacks');
    // Shards: wave 0 (with the vault) only in shard 1.
    const output = readSynthOutput(t.outdir, t.config);
    expect(phasesFor(t.config, output, '0', { index: 1, count: 2 }).flatMap((p) => p.stacks.map((x) => x.id))).toEqual(['central', 'vault-999999999999']);
    expect(phasesFor(t.config, output, '0', { index: 2, count: 2 }).flatMap((p) => p.stacks.map((x) => x.id))).toEqual([]);

    const failed = setup(members(2), vault);
    const stopped = await failed.run({ wave: 'all', given: { failureTolerance: 5 }, cues: { FAKE_TF_FAIL: 'central:apply' } });
    expect(stopped.exitCode).toBe(1);
    expect(failed.calls().every((c) => c.stack === 'central')).toBe(true);
    expect(failed.lines.join('\n')).toContain('central failed: member stacks target its bus');
  });

  it('GIVEN a stopped rollout WHEN resumed THEN stacks applied in it are not applied again and the rest are', async () => {
    const t = setup(members(4));
    const first = await t.run({ wave: '1', given: { parallelism: 1 }, cues: { FAKE_TF_FAIL: `${M(1)}:apply` } });
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
      given: { verify: true },
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

  it('GIVEN --run-id on a new run THEN it names the run, and a taken name is refused; nothing to resume is refused', async () => {
    const t = setup(members(1));
    await expect(t.run({ resume: true, wave: undefined })).rejects.toThrow('--resume: no rollout to resume');
    // A CI job names its run (so the apply job knows it): it must not exist yet.
    expect((await t.run({ runId: 'gh-42-wave-1' })).state!.runId).toBe('gh-42-wave-1');
    await expect(t.run({ runId: 'gh-42-wave-1' })).rejects.toThrow('--run-id: gh-42-wave-1 is taken');
    await expect(t.run({ runId: 'applied' })).rejects.toThrow('--run-id: applied is taken');
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
    const rollout = t.run({ wave: '1', given: { parallelism: 1 }, signal: controller.signal, cues: { FAKE_TF_HANG_FINISH: `${M(0)}:plan` } });
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

/** Plan files of a run: `<stack>.tfplan` in its folder. */
const planFileOf = (outdir: string, runId: string, id: string) => resolve(outdir, 'rollout', runId, `${id}.tfplan`);

describe('rollout --plan, then --apply <run-id>', () => {
  const twoWaves = () => [...members(2, 1), { accountId: '299999999999', regions: ['eu-west-1' as never], wave: 2 }];

  it('GIVEN --plan THEN every stack is initialized and planned, plans are kept in the run folder, +A ~C -D printed per stack and in total, and nothing is applied', async () => {
    const t = setup(twoWaves());
    const result = await t.run({ mode: 'plan', cues: { FAKE_TF_REPLACE: M(1), FAKE_TF_UNCHANGED: 'member-299999999999' } });
    expect(result.exitCode).toBe(0);
    const runId = result.state!.runId;
    expect(t.calls().filter((c) => c.command === 'apply')).toEqual([]);
    // terraform show -json of each saved plan: the counts come from resource_changes, not the text.
    expect(t.calls().filter((c) => c.command === 'show').map((c) => c.argv).sort()).toEqual(
      ['central', M(0), M(1)].map((id) => `-chdir=${join(t.outdir, 'stacks', id)} show -json -no-color ${planFileOf(t.outdir, runId, id)}`),
    );
    for (const id of ['central', M(0), M(1)]) expect(existsSync(planFileOf(t.outdir, runId, id))).toBe(true);
    const progress = t.lines.filter((l) => l.startsWith('['));
    // 3 creates, 1 update, the data source read and the no-op not counted; a replacement is one + and one -, and named.
    expect(progress).toContainEqual(expect.stringMatching(new RegExp(`^\\[\\d/4\\] ${M(0)} planned in \\d+ s: \\+3 ~1 -0$`)));
    expect(progress).toContainEqual(expect.stringMatching(new RegExp(`^\\[\\d/4\\] ${M(1)} planned in \\d+ s: \\+4 ~1 -1 \\(1 replaced: aws_cloudwatch_event_bus\\.bus\\)$`)));
    expect(progress).toContainEqual(expect.stringMatching(/^\[\d\/4\] member-299999999999 unchanged in \d+ s: no changes$/));
    expect(t.lines).toContain(`plan ${runId}: +10 ~3 -1 in 3 stacks with changes (1 replaced), 1 unchanged, 0 failed`);
    expect(t.lines.join('\n')).toMatch(/wave\s+planned\s+unchanged\s+failed\s+not started\n0\s+1\s+0\s+0\s+0\n1\s+2\s+0\s+0\s+0\n2\s+0\s+1\s+0\s+0/);
    expect(t.lines.some((l) => l.endsWith(`then apply exactly these: npm run rollout -- --apply ${runId} --parallelism 10 --failure-tolerance 0 --lock-timeout 5m --stack-timeout 60m`))).toBe(true);
    const state = result.state!;
    expect(state.mode).toBe('plan');
    expect(state.stacks[M(1)]!.changes).toEqual({ added: 4, changed: 1, destroyed: 1, replaced: ['aws_cloudwatch_event_bus.bus'] });
    expect(state.stacks[M(0)]!.plannedSha256).toBe(stackJsonSha256(join(t.outdir, 'stacks', M(0))));
    // No stand-in state was written: nothing applied.
    expect(existsSync(join(t.outdir, 'stacks', M(0), '.fake-state'))).toBe(false);
  });

  it('GIVEN a plan run WHEN --apply THEN exactly its saved plans are applied, central first then wave by wave, stacks without changes are not, and it records what was applied', async () => {
    const t = setup(twoWaves());
    const plan = await t.run({ mode: 'plan', cues: { FAKE_TF_UNCHANGED: M(1) } });
    const runId = plan.state!.runId;
    const before = t.calls().length;
    const applied = await t.run({ mode: 'apply', runId, wave: undefined, given: { parallelism: 1 } });
    expect(applied.exitCode).toBe(0);
    const calls = t.calls().slice(before);
    // init then apply of the kept plan, never a new plan; in wave order.
    expect(calls.map((c) => `${c.stack} ${c.command}`)).toEqual(['central init', 'central apply', `${M(0)} init`, `${M(0)} apply`, 'member-299999999999 init', 'member-299999999999 apply']);
    expect(calls.filter((c) => c.command === 'apply').map((c) => c.argv)).toEqual(
      ['central', M(0), 'member-299999999999'].map((id) => `-chdir=${join(t.outdir, 'stacks', id)} apply -input=false -no-color -lock-timeout=5m ${planFileOf(t.outdir, runId, id)}`),
    );
    const state = t.state(runId);
    expect(state.applyStartedAt).toBeDefined();
    expect(state.stacks[M(0)]!.status).toBe('applied');
    expect(state.stacks[M(0)]!.appliedSha256).toBe(stackJsonSha256(join(t.outdir, 'stacks', M(0))));
    expect(state.stacks[M(1)]!.status).toBe('unchanged');
    expect(state.options.parallelism).toBe(1);
    // Applied again: nothing left.
    await expect(t.run({ mode: 'apply', runId, wave: undefined })).rejects.toThrow(`--apply: run ${runId} has nothing left to apply`);
    // The rollout keeps each applied stack's backend and providers, to destroy it later.
    expect(existsSync(join(t.outdir, 'rollout', 'applied', M(0), 'cdk.tf.json'))).toBe(true);
  });

  it("GIVEN a stack's cdk.tf.json changed since its plan WHEN --apply THEN that stack is refused, not applied, and named with the reason", async () => {
    const t = setup(members(3));
    const runId = (await t.run({ mode: 'plan', wave: '1' })).state!.runId;
    writeFileSync(join(t.outdir, 'stacks', M(2), 'cdk.tf.json'), '{"changed": true}\n');
    const before = t.calls().length;
    const applied = await t.run({ mode: 'apply', runId, wave: undefined, given: { parallelism: 1 } });
    expect(applied.exitCode).toBe(1);
    expect(t.calls().slice(before).filter((c) => c.stack === M(2))).toEqual([]);
    expect(t.calls().slice(before).filter((c) => c.command === 'apply').map((c) => c.stack)).toEqual(['central', M(0), M(1)]);
    const line = t.lines.find((l) => l.includes(`${M(2)} FAILED`))!;
    expect(line).toMatch(/its cdk\.tf\.json changed since its plan \(sha256 [0-9a-f]{12}\.\.\. then, [0-9a-f]{12}\.\.\. now\): not applied; plan it again with --plan/);
    expect(applied.state!.stacks[M(2)]!.status).toBe('failed');
  });

  it('GIVEN the state changed after the plan WHEN --apply THEN Terraform refuses the stale plan and its message is on the stack line and in the summary', async () => {
    const t = setup(members(2));
    const runId = (await t.run({ mode: 'plan', wave: '1' })).state!.runId;
    // Another operation (a colleague's apply) changed member 1's state since the plan.
    writeFileSync(join(t.outdir, 'stacks', M(1), '.fake-state'), '7\naws_sqs_queue.other\n');
    const applied = await t.run({ mode: 'apply', runId, wave: undefined, given: { parallelism: 1 } });
    expect(applied.exitCode).toBe(1);
    expect(t.lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[3/3\\] ${M(1)} FAILED in \\d+ s \\(apply exited with 1: Saved plan is stale\\): see `)));
    expect(t.lines).toContainEqual(expect.stringMatching(new RegExp(`^  ${M(1)}: apply exited with 1: Saved plan is stale; log `)));
    expect(t.lines).toContain(`stopped: 1 stack failed, more than the failure tolerance 0; after fixing, continue the apply with npm run rollout -- --apply ${runId} --parallelism 1 --failure-tolerance 0 --lock-timeout 5m --stack-timeout 60m`);
    expect(t.lines).toContain(`1 stack needs a new plan (${M(1)}): npm run rollout -- --plan --wave 1, then --apply that run`);
  });

  it('GIVEN a plan run that did not finish, a rollout run, or another config WHEN --apply THEN refuses with what to do', async () => {
    const t = setup(members(3));
    const planned = await t.run({ mode: 'plan', wave: '1', given: { parallelism: 1 }, cues: { FAKE_TF_FAIL: `${M(1)}:plan` } });
    const runId = planned.state!.runId;
    await expect(t.run({ mode: 'apply', runId, wave: undefined })).rejects.toThrow(
      `--apply: run ${runId} has 2 stacks without a saved plan (${M(1)}, ${M(2)}): finish planning first with npm run rollout -- --resume --run-id ${runId}`,
    );
    const rolled = (await t.run({ wave: '1' })).state!.runId;
    await expect(t.run({ mode: 'apply', runId: rolled, wave: undefined })).rejects.toThrow(`--apply: run ${rolled} is not a --plan run`);
    await expect(t.run({ mode: 'apply', runId: 'nope', wave: undefined })).rejects.toThrow('--apply: no readable rollout state at');
  });
});

describe('rollout --resume is honest', () => {
  it("GIVEN a completed rollout WHEN a stack's cdk.tf.json changes THEN --resume plans (and applies) exactly that stack again", async () => {
    const t = setup(members(3));
    const first = await t.run({ wave: '1' });
    expect(first.exitCode).toBe(0);
    await expect(t.run({ resume: true, wave: undefined })).rejects.toThrow(`--resume: run ${first.state!.runId} completed; nothing to resume`);
    writeFileSync(join(t.outdir, 'stacks', M(1), 'cdk.tf.json'), '{"changed": true}\n');
    const before = t.calls().length;
    const resumed = await t.run({ resume: true, wave: undefined });
    expect(resumed.exitCode).toBe(0);
    expect(t.calls().slice(before).map((c) => `${c.stack} ${c.command}`)).toEqual([`${M(1)} init`, `${M(1)} plan`, `${M(1)} apply`]);
    expect(t.lines).toContain(`${M(1)}: its cdk.tf.json changed since it was applied in this run: planning it again`);
    expect(resumed.state!.stacks[M(1)]!.appliedSha256).toBe(stackJsonSha256(join(t.outdir, 'stacks', M(1))));
  });

  it('GIVEN a stopped run WHEN resumed with no options THEN it reuses its recorded parallelism, failure tolerance, verify, lock and stack timeouts, and the printed hint is exactly that command', async () => {
    const t = setup(members(5));
    const verified: number[] = [];
    const verifyWave = async (wave: number) => {
      verified.push(wave);
      return { ok: true, summary: 'healthy' };
    };
    const given = { parallelism: 1, failureTolerance: 1, verify: true, lockTimeout: '2m', stackTimeout: '45m' };
    const first = await t.run({ wave: '1', given, verifyWave, cues: { FAKE_TF_FAIL: `${M(0)}:plan ${M(1)}:plan` } });
    expect(first.exitCode).toBe(1);
    const runId = first.state!.runId;
    const hint = t.lines.find((l) => l.startsWith('stopped: '))!.replace(/^.*resume with /, '');
    expect(hint).toBe(`npm run rollout -- --resume --run-id ${runId} --parallelism 1 --failure-tolerance 1 --lock-timeout 2m --stack-timeout 45m --verify`);
    // The hint's arguments parse to the same options.
    const args = parseRolloutArgs(hint.replace('npm run rollout -- ', '').split(' '), {});
    expect(args.command === 'rollout' && args.given).toEqual(given);
    verified.length = 0;
    const before = t.calls().length;
    const eventsBefore = t.events().length;
    const resumed = await t.run({ resume: true, wave: undefined, verifyWave, cues: { FAKE_TF_SLEEP: '0.1' } });
    expect(resumed.exitCode).toBe(0);
    expect(resumed.state!.options).toEqual(given);
    expect(verified).toEqual([1]);
    let running = 0;
    let most = 0;
    for (const e of t.events().slice(eventsBefore)) {
      if (e.startsWith('start ')) most = Math.max(most, ++running);
      if (e.startsWith('end ')) running -= 1;
    }
    expect(most).toBe(1);
    expect(t.calls().slice(before).filter((c) => c.command === 'plan').every((c) => c.argv.includes(' -lock-timeout=2m '))).toBe(true);
  });

  it('GIVEN an interrupted plan run WHEN resumed THEN it plans what is left; once applying, --resume points to --apply', async () => {
    const t = setup(members(2));
    const first = await t.run({ mode: 'plan', wave: '1', given: { parallelism: 1 }, cues: { FAKE_TF_FAIL: `${M(1)}:plan` } });
    const runId = first.state!.runId;
    const before = t.calls().length;
    const resumed = await t.run({ resume: true, wave: undefined });
    expect(resumed.exitCode).toBe(0);
    expect([...new Set(t.calls().slice(before).map((c) => c.stack))]).toEqual([M(1)]);
    expect(resumed.state!.mode).toBe('plan');
    await t.run({ mode: 'apply', runId, wave: undefined, cues: { FAKE_TF_FAIL: `${M(1)}:apply` } });
    await expect(t.run({ resume: true, wave: undefined })).rejects.toThrow(`--resume: run ${runId}'s plans are being applied; continue with npm run rollout -- --apply ${runId}`);
  });
});

describe('rollout: nothing hangs, nothing races', () => {
  it('GIVEN a state lock held longer than --lock-timeout THEN the stack fails with "Error acquiring the state lock"; released in time, it goes on', async () => {
    const t = setup(members(2));
    writeFileSync(join(t.dir, `lock-${M(0)}`), 'a-colleague');
    const held = await t.run({ wave: '1', given: { lockTimeout: '1s', failureTolerance: 1 } });
    expect(held.exitCode).toBe(1);
    expect(held.state!.stacks[M(0)]!.error).toBe('plan exited with 1: Error acquiring the state lock');
    expect(held.state!.stacks[M(1)]!.status).toBe('applied');

    const u = setup(members(1));
    const lock = join(u.dir, `lock-${M(0)}`);
    writeFileSync(lock, 'a-colleague');
    const releasing = u.run({ wave: '1', given: { lockTimeout: '30s' } });
    while (!existsSync(join(u.outdir, 'rollout'))) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    rmSync(lock);
    const waited = await releasing;
    expect(waited.exitCode).toBe(0);
    expect(u.calls().filter((c) => c.command === 'plan').every((c) => c.argv.includes(' -lock-timeout=30s '))).toBe(true);
  });

  it('GIVEN an apply that hangs past --stack-timeout THEN it gets SIGINT, the stack is failed with that reason, and the rollout goes on', async () => {
    const t = setup(members(2));
    const result = await t.run({ wave: '1', given: { stackTimeout: '1s', failureTolerance: 1 }, cues: { FAKE_TF_HANG: `${M(0)}:apply` } });
    expect(result.exitCode).toBe(1);
    expect(t.events()).toContain(`interrupted ${M(0)} apply`);
    expect(result.state!.stacks[M(0)]!.status).toBe('failed');
    expect(result.state!.stacks[M(0)]!.error).toBe('timed out after 1s (apply interrupted with SIGINT)');
    expect(result.state!.stacks[M(1)]!.status).toBe('applied');
  });

  it('GIVEN a terraform that ignores SIGINT past the time limit THEN it is killed after the grace period and the message says its lock may be held', async () => {
    const t = setup(members(1));
    const result = await t.run({ wave: '1', given: { stackTimeout: '1s' }, stackTimeoutGraceMs: 300, cues: { FAKE_TF_HANG_HARD: `${M(0)}:plan` } });
    expect(result.exitCode).toBe(1);
    expect(t.events()).toContain(`ignored-interrupt ${M(0)} plan`);
    expect(result.state!.stacks[M(0)]!.error).toBe('timed out after 1s (plan killed 0 s after SIGINT; its state lock may still be held (terraform force-unlock))');
    const log = readFileSync(result.state!.stacks[M(0)]!.log, 'utf8');
    expect(log).toContain('[rollout: stack time limit reached; sending SIGINT]');
    expect(log).toContain('sending SIGKILL]');
  });

  it('GIVEN stacks running longer than the heartbeat interval THEN a line names each running stack and its elapsed time', async () => {
    const t = setup(members(2));
    const result = await t.run({ wave: '1', heartbeatMs: 150, cues: { FAKE_TF_SLEEP: '0.3' } });
    expect(result.exitCode).toBe(0);
    const beats = t.lines.filter((l) => l.startsWith('still running'));
    expect(beats.length).toBeGreaterThan(0);
    expect(beats).toContainEqual(expect.stringMatching(/^still running \(1\): central \d+s$/));
    expect(beats).toContainEqual(expect.stringMatching(new RegExp(`^still running \\(2\\): (${M(0)}|${M(1)}) \\d+s, (${M(0)}|${M(1)}) \\d+s$`)));
  });

  it.each([
    ['no terraform on PATH', { PATH: '/nonexistent' }, 'terraform: not found on PATH; the rollout needs Terraform >= 1.10.0'],
    ['terraform 1.9.8', { FAKE_TF_VERSION: '1.9.8' }, 'terraform: 1.9.8 on PATH is older than 1.10.0'],
  ])('GIVEN %s THEN the preflight refuses in one line (exit 2) and nothing starts', async (_, cues, message) => {
    const t = setup(members(1));
    const run = t.run({ wave: '1', cues });
    await expect(run).rejects.toThrow(UsageError);
    await expect(t.run({ wave: '1', cues })).rejects.toThrow(message);
    expect(t.calls()).toEqual([]);
    expect(existsSync(join(t.outdir, 'rollout'))).toBe(false);
  });
});

describe('rollout --shard i/K', () => {
  const wave = (n: number) => Array.from({ length: n }, (_, i) => ({ accountId: String(300_000_000_000 + ((i * 7919) % 1000) * 1000 + i), regions: ['eu-west-1' as never], wave: 2 }));

  it('GIVEN a wave and K shards THEN the shards are disjoint, together the wave, balanced, and the same whatever the order of members in the config', () => {
    const list = [...members(3, 1), ...wave(53)];
    const a = testConfig({ members: list });
    const b = testConfig({ members: [...list].reverse() });
    const outputOf = (config: typeof a) => ({ outdir: 'x', configSha256: '', stacks: new Map([['central', { id: 'central', accountId: '1', wave: 0, dir: 'd' }], ...config.members.map((m) => [`member-${m.accountId}`, { id: `member-${m.accountId}`, accountId: m.accountId, wave: m.wave, dir: 'd' }] as const)]) });
    for (const k of [1, 2, 7, 53, 256]) {
      const slices = Array.from({ length: k }, (_, i) => phasesFor(a, outputOf(a), '2', { index: i + 1, count: k }).flatMap((p) => p.stacks.map((s) => s.id)));
      const reordered = Array.from({ length: k }, (_, i) => phasesFor(b, outputOf(b), '2', { index: i + 1, count: k }).flatMap((p) => p.stacks.map((s) => s.id)));
      const all = slices.flat();
      expect(new Set(all).size, `K=${k}`).toBe(all.length);
      expect(all.sort()).toEqual(wave(53).map((m) => `member-${m.accountId}`).sort());
      expect(slices.map((s) => [...s].sort())).toEqual(reordered.map((s) => [...s].sort()));
      const sizes = slices.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    // central: only in shard 1 of wave 0 or all.
    const ids = (w: string, i: number, k: number) => phasesFor(a, outputOf(a), w, { index: i, count: k }).flatMap((p) => p.stacks.map((s) => s.id));
    expect(ids('0', 1, 3)).toEqual(['central']);
    expect(ids('0', 2, 3)).toEqual([]);
    expect(ids('all', 1, 3)[0]).toBe('central');
    expect(ids('all', 2, 3)).not.toContain('central');
    expect(ids('2', 1, 3)).not.toContain('central');
    // Unsharded, central comes first as before.
    expect(phasesFor(a, outputOf(a), '2')[0]!.stacks.map((s) => s.id)).toEqual(['central']);
  });

  it('GIVEN two shards of a wave THEN each rollout runs only its slice, records its shard, and --resume finds the run of its own shard', async () => {
    const t = setup(members(5));
    const one = await t.run({ wave: '1', shard: { index: 1, count: 2 }, cues: { FAKE_TF_FAIL: `${M(4)}:apply` } });
    const two = await t.run({ wave: '1', shard: { index: 2, count: 2 }, cues: { FAKE_TF_FAIL: `${M(1)}:apply ${M(4)}:apply` } });
    const mine = (r: typeof one) => Object.keys(r.state!.stacks).sort();
    expect(mine(one)).toEqual([M(0), M(2), M(4)]);
    expect(mine(two)).toEqual([M(1), M(3)]);
    expect(t.calls().some((c) => c.stack === 'central')).toBe(false);
    expect(one.state!.shard).toEqual({ index: 1, count: 2 });
    expect(t.lines[0]).toMatch(/^rollout \S+ \(--wave 1 --shard 1\/2\): 3 stacks/);
    // Both stopped; the latest run is shard 2's, but shard 1's job resumes its own.
    const before = t.calls().length;
    const resumed = await t.run({ resume: true, wave: '1', shard: { index: 1, count: 2 } });
    expect(resumed.state!.runId).toBe(one.state!.runId);
    expect([...new Set(t.calls().slice(before).map((c) => c.stack))]).toEqual([M(4)]);
    await expect(t.run({ resume: true, runId: one.state!.runId, wave: undefined, shard: { index: 2, count: 2 } })).rejects.toThrow(
      `--shard: run ${one.state!.runId} is --shard 1/2, not 2/2; omit --shard to resume it`,
    );
    await expect(t.run({ resume: true, wave: '1', shard: { index: 3, count: 4 } })).rejects.toThrow('--resume: no rollout of --wave 1 --shard 3/4 to resume');
  });

  it.each(['0/4', '5/4', '1/257', '2', '1/0', 'a/b', '-1/4', '1/2/3', ' 1/2'])('GIVEN --shard %j THEN one line naming the flag, the value and what is allowed (exit 2)', (value) => {
    expect(() => parseRolloutArgs(['--wave', '1', '--shard', value], {})).toThrow(UsageError);
    expect(() => parseRolloutArgs(['--wave', '1', '--shard', value], {})).toThrow(
      `--shard: ${JSON.stringify(value)} is not i/K with whole numbers 1 <= i <= K <= 256 (e.g. 3/20)`,
    );
  });
});

describe('rollout arguments: modes, durations, sharp edges', () => {
  it.each([
    [['--apply', 'x', '--wave', '1'], '--wave: not with --apply'],
    [['--plan', '--wave', '1', '--verify'], '--verify: not with --plan'],
    [['--destroy', M(0), '--wave', '1'], '--wave: not with --destroy'],
    [['--destroy', 'member-12'], '--destroy: "member-12" is not a stack id (allowed: central, or member- or vault- and a 12-digit account id)'],
    [['--wave', '1', '--yes'], '--yes: only with --destroy'],
    [['--wave', '1', '--lock-timeout', '5'], '--lock-timeout: "5" is not a duration of at least 0s (whole hours, minutes and seconds: 90s, 5m, 1h30m)'],
    [['--wave', '1', '--stack-timeout', '0s'], '--stack-timeout: "0s" is not a duration of at least 1s'],
    [['--wave', '1', '--stack-timeout', '1.5h'], '--stack-timeout: "1.5h" is not a duration'],
    [['--apply', '../up'], '--apply: "../up" is not a run id'],
  ])('%j', (argv, message) => {
    expect(() => parseRolloutArgs(argv, {})).toThrow(UsageError);
    expect(() => parseRolloutArgs(argv, {})).toThrow(message);
  });

  it('parses durations as Terraform does', () => {
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('5m')).toBe(300_000);
    expect(durationMs('')).toBeUndefined();
    expect(durationMs('5 m')).toBeUndefined();
  });

  it('GIVEN npm took --dry-run (npm run rollout --dry-run -- ...) THEN refuses in one line, whatever the rest', () => {
    const msg = '--dry-run: npm took it as its own flag (npm run rollout --dry-run -- ...), so nothing here would be a dry run; put it after the --: npm run rollout -- --dry-run ...';
    expect(() => parseRolloutArgs(['--wave', '1'], { npm_config_dry_run: 'true' })).toThrow(msg);
    expect(() => parseRolloutArgs(['--help'], { npm_config_dry_run: 'true' })).toThrow(msg);
    expect(parseRolloutArgs(['--wave', '1'], { npm_config_dry_run: 'false' }).command).toBe('rollout');
  });

  it('GIVEN the command line THEN --help prints every option and exits 0; npm_config_dry_run exits 2 with one line and runs nothing', () => {
    const t = setup(members(1));
    const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
      spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'rollout.ts'), ...args], { cwd: t.dir, encoding: 'utf8', env: { ...t.tfEnv(), ORG_CONFIG: t.configFile, CDKTF_OUTDIR: '', ...env } });
    const help = cli({}, '--help');
    expect(help.status).toBe(0);
    for (const flag of ['--wave', '--shard', '--plan', '--apply', '--resume', '--run-id', '--destroy', '--yes', '--dry-run', '--parallelism', '--failure-tolerance', '--verify', '--lock-timeout', '--stack-timeout', '--outdir', '--help']) {
      expect(help.stdout).toContain(`  ${flag} `);
    }
    const npmDry = cli({ npm_config_dry_run: 'true' }, '--wave', '1');
    expect(npmDry.status).toBe(2);
    expect(npmDry.stderr.trim().split('\n')).toHaveLength(1);
    expect(npmDry.stderr).toContain('error: --dry-run: npm took it as its own flag');
    expect(t.calls()).toEqual([]);
  });
});

describe('rollout --destroy <stack>', () => {
  const destroy = (t: ReturnType<typeof setup>, options: Partial<DestroyOptions> & { cues?: Record<string, string> }) =>
    runDestroy({
      config: t.config,
      outdir: t.outdir,
      stacks: [M(0)],
      yes: false,
      dryRun: false,
      given: {},
      pluginCacheDir: t.cache,
      env: t.tfEnv(options.cues),
      print: (l) => t.lines.push(l),
      ...options,
    });
  const REMOTE_STACK = JSON.stringify({
    terraform: { backend: { s3: { bucket: 'state-bucket', key: 'ebs-event-hub/member.tfstate', use_lockfile: true } }, required_providers: { aws: { source: 'hashicorp/aws', version: '6.25.0' } } },
    provider: { aws: [{ region: 'eu-west-1', assume_role: [{ role_arn: 'arn:aws:iam::200000000001:role/deploy' }] }] },
    resource: { aws_sqs_queue: { dlq: { name: 'dlq' } } },
  });

  it('GIVEN an applied stack and --yes THEN the destroy plan (count and every address) is shown first, then exactly that plan is applied', async () => {
    const t = setup(members(2));
    await t.run({ wave: '1' });
    const before = t.calls().length;
    let shownBeforeConfirm: string[] = [];
    const code = await destroy(t, {
      confirm: async () => {
        shownBeforeConfirm = [...t.lines];
        return true;
      },
    });
    expect(code).toBe(0);
    const runId = readdirSync(join(t.outdir, 'rollout')).filter((d) => d !== 'applied' && d !== '.lock').sort().pop()!;
    const planFile = resolve(t.outdir, 'rollout', runId, `${M(0)}.destroy.tfplan`);
    expect(t.calls().slice(before).map((c) => c.argv)).toEqual([
      `-chdir=${join(t.outdir, 'stacks', M(0))} init -input=false -no-color`,
      `-chdir=${join(t.outdir, 'stacks', M(0))} plan -input=false -no-color -lock-timeout=5m -destroy -out=${planFile} -detailed-exitcode`,
      `-chdir=${join(t.outdir, 'stacks', M(0))} show -json -no-color ${planFile}`,
      `-chdir=${join(t.outdir, 'stacks', M(0))} init -input=false -no-color`,
      `-chdir=${join(t.outdir, 'stacks', M(0))} apply -input=false -no-color -lock-timeout=5m ${planFile}`,
    ]);
    expect(shownBeforeConfirm).toContain(`${M(0)}: plan -destroy: +0 ~0 -3, saved in ${planFile}:`);
    for (const address of ['aws_cloudwatch_event_rule.forward', 'aws_iam_role.forwarder', 'aws_sqs_queue.dlq']) expect(shownBeforeConfirm).toContain(`  - ${address}`);
    expect(t.lines).toContain(`${M(0)}: still in the config (wave 1): the next rollout of that wave creates it again; remove it from ORG_CONFIG to keep it gone`);
    expect(t.lines).toContainEqual(expect.stringMatching(new RegExp(`^${M(0)}: destroyed in \\d+ s: 3 resources$`)));
    expect(readFileSync(join(t.outdir, 'stacks', M(0), '.fake-state'), 'utf8').trim().split('\n')).toHaveLength(1);
    // Destroyed: no kept copy (nothing left to destroy), and a second destroy finds nothing.
    expect(existsSync(join(t.outdir, 'rollout', 'applied', M(0)))).toBe(false);
    expect(await destroy(t, { yes: true })).toBe(0);
    expect(t.lines).toContain(`${M(0)}: nothing to destroy: its state holds no resources`);
  });

  it('GIVEN stdin is not a terminal and no --yes THEN the plan is shown and the destroy refused (exit 2); not confirmed at a terminal, exit 1; nothing applied', async () => {
    const t = setup(members(1));
    await t.run({ wave: '1' });
    const before = t.calls().length;
    expect(await destroy(t, { confirm: undefined })).toBe(2);
    expect(t.lines).toContain(`${M(0)}: not destroyed: stdin is not a terminal, so nothing can confirm it; add --yes to destroy what the plan above lists`);
    expect(t.lines).toContain('  - aws_iam_role.forwarder');
    expect(await destroy(t, { confirm: async () => false })).toBe(1);
    expect(t.lines).toContain(`${M(0)}: not destroyed (not confirmed)`);
    expect(t.calls().slice(before).filter((c) => c.command === 'apply')).toEqual([]);
    expect(readFileSync(join(t.outdir, 'stacks', M(0), '.fake-state'), 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('GIVEN a member removed from the config and its folder deleted by the synth THEN the rollout names it as left behind, and --destroy destroys it from the copy kept at apply (remote state)', async () => {
    const t = setup(members(2));
    writeFileSync(join(t.outdir, 'stacks', M(1), 'cdk.tf.json'), REMOTE_STACK);
    const remote = join(t.dir, 'remote-state');
    mkdirSync(remote);
    expect((await t.run({ wave: '1', cues: { FAKE_TF_STATE_DIR: remote } })).exitCode).toBe(0);
    const kept = join(t.outdir, 'rollout', 'applied', M(1));
    expect(JSON.parse(readFileSync(join(kept, 'cdk.tf.json'), 'utf8'))).toEqual({
      '//': expect.stringContaining('Kept by npm run rollout'),
      terraform: JSON.parse(REMOTE_STACK).terraform,
      provider: JSON.parse(REMOTE_STACK).provider,
    });
    // The member leaves the config; cdktf synth removes its folder (remote state: nothing lost there).
    const smaller = testConfig({ members: members(1) });
    rmSync(join(t.outdir, 'stacks', M(1)), { recursive: true });
    rmSync(join(t.outdir, 'manifest.json'));
    writeFakeSynthOutput(t.outdir, smaller);
    const lines: string[] = [];
    await runRollout({ config: smaller, output: readSynthOutput(t.outdir, smaller), mode: 'rollout', wave: '1', given: {}, dryRun: false, resume: false, pluginCacheDir: t.cache, env: t.tfEnv({ FAKE_TF_STATE_DIR: remote }), print: (l) => lines.push(l) });
    expect(lines.filter((l) => l.startsWith('note: '))).toEqual([
      expect.stringMatching(new RegExp(`^note: ${M(1)} was applied \\(run \\S+, \\S+\\) but is not in this config: its resources are still deployed; destroy them with npm run rollout -- --destroy ${M(1)} `)),
    ]);
    const before = t.calls().length;
    expect(await destroy(t, { config: smaller, stacks: [M(1)], yes: true, cues: { FAKE_TF_STATE_DIR: remote } })).toBe(0);
    const calls = t.calls().slice(before);
    expect(new Set(calls.map((c) => c.argv.split(' ')[0]))).toEqual(new Set([`-chdir=${kept}`]));
    expect(calls.map((c) => c.command)).toEqual(['init', 'plan', 'show', 'init', 'apply']);
    expect(t.lines).toContainEqual(expect.stringMatching(new RegExp(`^destroy ${M(1)}: from the copy kept when run \\S+ applied it`)));
    expect(t.lines).not.toContainEqual(expect.stringContaining(`${M(1)}: still in the config`));
    expect(readFileSync(join(remote, `${M(1)}.state`), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(existsSync(kept)).toBe(false);
  });

  it('GIVEN no copy to destroy from, or local state whose folder is gone THEN refuses in one line before running anything', async () => {
    const t = setup(members(1));
    await expect(destroy(t, { stacks: ['member-999999999999'], yes: true })).rejects.toThrow(
      `--destroy: member-999999999999: no synthesized copy (${join(t.outdir, 'stacks', 'member-999999999999', 'cdk.tf.json')}) and no copy kept by the rollout`,
    );
    await t.run({ wave: '1' });
    rmSync(join(t.outdir, 'stacks', M(0)), { recursive: true });
    const before = t.calls().length;
    await expect(destroy(t, { yes: true })).rejects.toThrow(`--destroy: ${M(0)}: its state was local, in ${join(t.outdir, 'stacks', M(0))}, which is gone`);
    expect(t.calls().length).toBe(before);
  });
});

describe('rollout --resume and --apply refuse a run that does not fit', () => {
  it('GIVEN a run WHEN resumed with another wave, as a plan, with another config, or written by an older rollout THEN refuses with what to do', async () => {
    const t = setup([...members(2, 1), { accountId: '299999999999', regions: ['eu-west-1'], wave: 2 }]);
    const run = await t.run({ wave: '1', cues: { FAKE_TF_FAIL: `${M(1)}:plan` } });
    const runId = run.state!.runId;
    await expect(t.run({ resume: true, runId, wave: '2' })).rejects.toThrow(`--wave: run ${runId} rolled out --wave 1, not 2; omit --wave to resume it`);
    await expect(t.run({ resume: true, runId, wave: undefined, mode: 'plan' })).rejects.toThrow(`--plan: run ${runId} is a rollout, not a --plan run; omit --plan to resume it`);
    const planned = (await t.run({ mode: 'plan', wave: '2' })).state!.runId;
    const other = testConfig({ members: members(3) });
    writeFakeSynthOutput(t.outdir, other);
    const withOther = (options: Partial<RolloutOptions>) =>
      runRollout({ config: other, output: readSynthOutput(t.outdir, other), mode: 'rollout', given: {}, dryRun: false, resume: false, pluginCacheDir: t.cache, env: t.tfEnv(), print: () => {}, ...options });
    await expect(withOther({ resume: true, runId })).rejects.toThrow(`--resume: run ${runId} rolled out another config; start a new rollout (without --resume)`);
    await expect(withOther({ mode: 'apply', runId: planned })).rejects.toThrow(`--apply: run ${planned} planned another config; plan this one with --plan`);
    const statePath = join(t.outdir, 'rollout', runId, 'state.json');
    writeFileSync(statePath, JSON.stringify({ ...JSON.parse(readFileSync(statePath, 'utf8')), version: 1 }));
    await expect(withOther({ resume: true, runId })).rejects.toThrow(`was written by an older rollout (state version 1, this one reads 2); start a new run`);
  });
});

describe('rollout and a synth for planning (EBS_EVENT_HUB_ROLE=plan)', () => {
  it('GIVEN cdktf.out synthesized with the read-only plan role THEN a rollout, an apply and a destroy from it refuse before terraform starts; a --plan run and a dry run may use it', async () => {
    const t = setup(members(1));
    const planned = await t.run({ mode: 'plan', wave: '1' });
    expect(planned.exitCode).toBe(0);
    writeSynthStamp(t.outdir, t.config, 'plan');
    const before = t.calls().length;
    const refusal = /was synthesized for planning \(EBS_EVENT_HUB_ROLE=plan\)/;
    await expect(t.run({ wave: '1' })).rejects.toThrow(refusal);
    await expect(t.run({ mode: 'apply', runId: planned.state!.runId, wave: undefined })).rejects.toThrow(refusal);
    await expect(
      runDestroy({ config: t.config, outdir: t.outdir, stacks: [M(0)], yes: true, dryRun: false, given: {}, pluginCacheDir: t.cache, env: t.tfEnv(), print: () => {} }),
    ).rejects.toThrow(refusal);
    expect(t.calls().length).toBe(before);
    expect((await t.run({ mode: 'plan', wave: '1' })).exitCode).toBe(0);
    expect((await t.run({ wave: '1', dryRun: true })).exitCode).toBe(0);
  });
});
