/**
 * `npm run bench:rollout`: the rollout CLI (cli/rollout.ts, the real code, as separate processes)
 * against the stand-in terraform (scripts/support/fake-terraform.ts), in two parts.
 *
 * 1. 10,000 member stacks, one shard (K = 1) and a GitHub matrix of K = 20 shards. Each stack runs
 *    Terraform's real phases (init from the plugin cache, plan, apply), their durations drawn from
 *    a seeded log-normal spread around what one member stack takes against AWS (init 6 s, plan
 *    15 s, apply 24 s: ~45 s, the figure of issue 15; central 3x), run at 1/SCALE of real time.
 *    K = 1 is one process: `--wave all` (central, then the 10,000 members). K = 20 is what the
 *    deploy workflow runs: a `--wave 0` job, then 20 jobs `--wave 1 --shard i/20` at once on 20
 *    machines; here the 20 processes run one after another (this machine is one machine), and
 *    the matrix's wall time is the wave-0 job plus the slowest shard job.
 *    Ideal: the same stacks in the same order, --parallelism 10 slots per job, each slot starting
 *    the next stack the moment one ends (list scheduling), with no cost but Terraform's.
 *    The CLI's overhead is what the measured wall time adds to that ideal, in seconds: process
 *    start, reading the config and cdktf.out, one sh per stack, logs, state writes, progress
 *    lines. Those costs do not stretch with Terraform's durations, so at real durations the
 *    rollout takes ideal + the same seconds:
 *      rollout: 10000 stacks over K shards, W min wall (ideal I min), overhead P%
 *    with W and I in real minutes and P = (W - I) / I; the time-scaled run's own figures (where
 *    the same seconds weigh SCALE times more) are printed above it.
 * 2. The earlier figure: 1,000 member stacks, 1 s each (3 x BENCH_STEP_SECONDS), K = 10:
 *      rollout: 1000 stacks, overhead P%, M MB peak
 *    with the overhead measured at that time scale (no projection).
 *
 * The stand-in's own cost (starting sh and sleep, sleep overshooting on a busy machine) is
 * measured first and counted as Terraform's, not the CLI's. Targets: overhead <= 5 %, peak
 * memory of a rollout process <= 300 MB. Exits non-zero when one is missed. A benchmark, not a
 * test: timings never gate `npm test`. BENCH_MEMBERS, BENCH_SCALE, BENCH_STEP_SECONDS override.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOrgConfig } from '../config/load';
import { synthStamp } from '../stacks/synth-stamp';
import { writeFakeSynthOutput } from './support/fake-synth-output';
import { writeFakeTerraform } from './support/fake-terraform';
import { mulberry32 } from './support/mulberry32';

const ROOT = join(__dirname, '..');
const PEAK_REPORTER = join(__dirname, 'support', 'report-peak-rss.cjs');
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 10_000);
/** Real seconds per bench second. */
const SCALE = Number(process.env.BENCH_SCALE ?? 150);
const PARALLELISM = 10;
const SHARDS = [1, 20];
/** Part 2: seconds each of init, plan and apply take (a stack 3 x this), 1,000 stacks, K = 10. */
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 1 / 3);
const SMALL_MEMBERS = 1000;
const TARGET_OVERHEAD = 0.05;
const TARGET_MB = 300;

/** Mean real seconds of each phase of one member stack against AWS (~45 s a stack, issue 15). */
const PHASES = { init: 6, plan: 15, apply: 24 } as const;
const CENTRAL_FACTOR = 3;
const SIGMA = 0.4;

/** A log-normal draw with the given mean (Box-Muller). */
function logNormal(next: () => number, mean: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return Math.exp(Math.log(mean) - (SIGMA * SIGMA) / 2 + SIGMA * z);
}

type Durations = Record<keyof typeof PHASES, number>;

/** Makespan of `stacks` (seconds each) on `slots` slots, each taking the next stack in order as soon as it is free. */
function listSchedule(stacks: readonly number[], slots: number): number {
  const free = Array<number>(Math.min(slots, stacks.length)).fill(0);
  for (const s of stacks) {
    let i = 0;
    for (let j = 1; j < free.length; j++) if (free[j]! < free[i]!) i = j;
    free[i]! += s;
  }
  return Math.max(0, ...free);
}

/** Seconds one stand-in terraform call costs beyond its sleep, run by a shell as the rollout's does. */
function calibrate(dir: string, bin: string): number {
  const stack = join(dir, 'calibration', 'stacks', 'member-000000000000');
  mkdirSync(stack, { recursive: true });
  writeFileSync(join(stack, '.fake-durations'), 'init=0 plan=0 apply=0\n');
  const runs = 30;
  const script = `for i in $(seq ${runs}); do for c in init plan apply; do terraform -chdir=${stack} $c -out=${stack}/p ${stack}/p > /dev/null; done; done`;
  const started = process.hrtime.bigint();
  const result = spawnSync('/bin/sh', ['-c', script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  if (result.status !== 0) throw new Error(`calibration failed: ${String(result.stderr)}`);
  return Number(process.hrtime.bigint() - started) / 1e9 / runs / 3;
}

interface CliRun {
  readonly wall: number;
  readonly code: number | null;
  readonly peakMb: number;
  readonly stderr: string;
}

async function runCli(dir: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const started = process.hrtime.bigint();
  let stderr = '';
  const code = await new Promise<number | null>((done) => {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), join(ROOT, 'cli', 'rollout.ts'), ...args], {
      cwd: dir,
      env: { ...env, NODE_OPTIONS: `--require ${JSON.stringify(PEAK_REPORTER)}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.once('exit', done);
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  return { wall, code, stderr, peakMb: Math.round(Number(/PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? 0) / 1024) };
}

/** Stacks applied in the latest run folder (the run must have applied every stack it had). */
function appliedInLatest(outdir: string): { applied: number; total: number } {
  const root = join(outdir, 'rollout');
  const id = readdirSync(root).filter((d) => d !== 'applied' && !d.startsWith('.')).sort().pop()!;
  const state = JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as { stacks: Record<string, { status: string }> };
  const all = Object.values(state.stacks);
  return { applied: all.filter((s) => s.status === 'applied').length, total: all.length };
}

function org(members: number) {
  return {
    organizationId: 'o-a1b2c3d4e5',
    central: { accountId: '111111111111', region: 'eu-west-1', busName: 'ebs-events-central' },
    members: Array.from({ length: members }, (_, i) => ({ accountId: String(200_000_000_000 + i), regions: ['eu-west-1', 'us-east-1'], wave: 1 })),
  };
}

const minutes = (s: number) => (s / 60).toFixed(1);
const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 ? 3 : 1)}%`;

async function bigRollout(dir: string, bin: string, perCall: number, missed: string[]): Promise<void> {
  const raw = org(MEMBERS);
  const orgFile = join(dir, 'org.json');
  writeFileSync(orgFile, JSON.stringify(raw));
  const config = parseOrgConfig(raw, orgFile);
  const outdir = join(dir, 'cdktf.out');
  writeFakeSynthOutput(outdir, config);
  // Real seconds per stack and phase, drawn once (seed 15), written where the stand-in reads them.
  const next = mulberry32(15);
  const real = new Map<string, Durations>();
  for (const s of synthStamp(config).stacks) {
    const f = s.id === 'central' ? CENTRAL_FACTOR : 1;
    const d = { init: logNormal(next, PHASES.init * f), plan: logNormal(next, PHASES.plan * f), apply: logNormal(next, PHASES.apply * f) };
    real.set(s.id, d);
    writeFileSync(join(outdir, 'stacks', s.id, '.fake-durations'), `init=${(d.init / SCALE).toFixed(4)} plan=${(d.plan / SCALE).toFixed(4)} apply=${(d.apply / SCALE).toFixed(4)}\n`);
  }
  const realStack = (id: string) => real.get(id)!.init + real.get(id)!.plan + real.get(id)!.apply;
  /** Bench seconds of a stack: its scaled sleeps plus the stand-in's own cost of 3 calls. */
  const benchStack = (id: string) => realStack(id) / SCALE + 3 * perCall;
  const memberIds = synthStamp(config).stacks.filter((s) => s.id !== 'central').map((s) => s.id);
  const mean = memberIds.reduce((n, id) => n + realStack(id), 0) / memberIds.length;
  process.stdout.write(
    `bench:rollout: ${MEMBERS} member stacks + central, --parallelism ${PARALLELISM} per job; per stack init ${PHASES.init} s, plan ${PHASES.plan} s, apply ${PHASES.apply} s on average ` +
      `(log-normal, sigma ${SIGMA}, seed 15: mean ${mean.toFixed(1)} s; central ${CENTRAL_FACTOR}x), run at 1/${SCALE} of real time; stand-in cost ${(perCall * 1000).toFixed(1)} ms a call (measured)\n`,
  );
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, ORG_CONFIG: orgFile, CDKTF_OUTDIR: '', TF_PLUGIN_CACHE_DIR: join(dir, 'plugin-cache') };
  const job = async (args: string[], ids: readonly string[]) => {
    const run = await runCli(dir, [...args, '--parallelism', String(PARALLELISM)], env);
    const { applied, total } = appliedInLatest(outdir);
    if (run.code !== 0 || applied !== ids.length || total !== ids.length) throw new Error(`${args.join(' ')}: exit ${run.code}, ${applied} of ${ids.length} applied\n${run.stderr}`);
    const central = ids[0] === 'central' ? 1 : 0;
    const schedule = (time: (id: string) => number) => (central ? time('central') : 0) + listSchedule(ids.slice(central).map(time), PARALLELISM);
    return { ...run, ideal: schedule(benchStack), idealReal: schedule(realStack) };
  };
  const shardIds = (i: number, k: number) => [...memberIds].sort().filter((_, n) => n % k === i - 1);
  const inConfigOrder = (ids: readonly string[]) => {
    const set = new Set(ids);
    return memberIds.filter((id) => set.has(id));
  };

  for (const k of SHARDS) {
    let measured: number;
    let ideal: number;
    let idealReal: number;
    let peak: number;
    let detail: string;
    if (k === 1) {
      const one = await job(['--wave', 'all'], ['central', ...memberIds]);
      ({ ideal, idealReal } = one);
      measured = one.wall;
      peak = one.peakMb;
      detail = `one process, ${MEMBERS + 1} stacks`;
    } else {
      const wave0 = await job(['--wave', '0'], ['central']);
      const shards = [];
      for (let i = 1; i <= k; i++) shards.push(await job(['--wave', '1', '--shard', `${i}/${k}`], inConfigOrder(shardIds(i, k))));
      const slowest = shards.reduce((a, b) => (b.wall > a.wall ? b : a));
      measured = wave0.wall + slowest.wall;
      ideal = wave0.ideal + Math.max(...shards.map((s) => s.ideal));
      idealReal = wave0.idealReal + Math.max(...shards.map((s) => s.idealReal));
      peak = Math.max(wave0.peakMb, ...shards.map((s) => s.peakMb));
      const over = shards.map((s) => s.wall - s.ideal);
      detail = `wave-0 job ${wave0.wall.toFixed(1)} s, then the slowest of ${k} shard jobs ${slowest.wall.toFixed(1)} s; CLI overhead per shard job ${Math.min(...over).toFixed(1)}-${Math.max(...over).toFixed(1)} s`;
    }
    const overheadSeconds = measured - ideal;
    const wall = idealReal + overheadSeconds;
    const overhead = overheadSeconds / idealReal;
    process.stdout.write(
      `K=${k}: ${detail}; at 1/${SCALE} time ${measured.toFixed(1)} s against an ideal ${ideal.toFixed(1)} s (+${overheadSeconds.toFixed(1)} s, ${pct(overheadSeconds / ideal)} at that scale), ${peak} MB peak per process\n`,
    );
    process.stdout.write(`rollout: ${MEMBERS} stacks over ${k} shards, ${minutes(wall)} min wall (ideal ${minutes(idealReal)} min), overhead ${pct(overhead)}\n`);
    if (overhead > TARGET_OVERHEAD || peak > TARGET_MB) missed.push(`K=${k}: overhead ${pct(overhead)} (target <= 5%), ${peak} MB (target <= ${TARGET_MB} MB)`);
  }
}

/** Part 2, the earlier figure: 1,000 stacks of 1 s each at K = 10, overhead at that time scale. */
async function smallRollout(dir: string, bin: string, perCall: number, missed: string[]): Promise<void> {
  const raw = org(SMALL_MEMBERS);
  const orgFile = join(dir, 'org-1000.json');
  writeFileSync(orgFile, JSON.stringify(raw));
  const outdir = join(dir, 'small', 'cdktf.out');
  writeFakeSynthOutput(outdir, parseOrgConfig(raw, orgFile));
  const stack = 3 * (STEP_SECONDS + perCall);
  const ideal = (1 + Math.ceil(SMALL_MEMBERS / PARALLELISM)) * stack;
  const run = await runCli(join(dir, 'small'), ['--wave', '1', '--parallelism', String(PARALLELISM)], {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    ORG_CONFIG: orgFile,
    CDKTF_OUTDIR: '',
    TF_PLUGIN_CACHE_DIR: join(dir, 'plugin-cache'),
    FAKE_TF_SLEEP: STEP_SECONDS.toFixed(3),
  });
  const { applied } = appliedInLatest(outdir);
  if (run.code !== 0 || applied !== SMALL_MEMBERS + 1) throw new Error(`1,000-stack rollout: exit ${run.code}, ${applied} applied\n${run.stderr}`);
  const overhead = (run.wall - ideal) / ideal;
  process.stdout.write(`rollout: ${SMALL_MEMBERS} stacks, overhead ${pct(overhead)}, ${run.peakMb} MB peak   (${(3 * STEP_SECONDS).toFixed(1)} s a stack, K = ${PARALLELISM}: ${run.wall.toFixed(1)} s against ${ideal.toFixed(1)} s)\n`);
  if (overhead > TARGET_OVERHEAD || run.peakMb > TARGET_MB) missed.push(`1,000 stacks: overhead ${pct(overhead)}, ${run.peakMb} MB`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rollout-'));
  const missed: string[] = [];
  try {
    const bin = writeFakeTerraform(join(dir, 'bin'));
    const perCall = calibrate(dir, bin);
    await bigRollout(dir, bin, perCall, missed);
    await smallRollout(dir, bin, perCall, missed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (missed.length > 0) {
    process.stderr.write(`target missed:\n${missed.map((m) => `  ${m}`).join('\n')}\n`);
    process.exit(1);
  }
}

void main();
