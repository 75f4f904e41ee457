/**
 * `npm run bench:rollout`: `npm run rollout -- --wave 1` over 1,000 member stacks (plus central)
 * against the stand-in terraform (scripts/support/fake-terraform.ts), where init, plan and apply
 * each sleep a fixed time, with the default parallelism K = 10.
 *
 * Ideal wall time: central alone, then 1,000 stacks 10 at a time: (1 + 1000 / K) x stack time.
 * The stack time is measured, not assumed: a shell runs one stack's three stand-in commands
 * back to back, 10 times, right before the rollout. On a busy 2-core machine each `sleep`
 * overshoots by several ms and starting sh + sleep costs a few more; that is the stand-in's
 * time, not the rollout's. The nominal figure (3 x the sleep) is printed too.
 * Overhead is what the rollout adds on top (its own start, one sh per stack, logs, state-file
 * writes, progress lines). Targets: overhead <= 5 %, peak memory <= 300 MB
 * (max RSS of the rollout process). 1 s per stack keeps the run near 100 s while 3 process
 * spawns per stack (~ms each) stay measurable. Exits non-zero when a target is missed. A
 * benchmark, not a test: timings never gate `npm test`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOrgConfig } from '../config/load';
import { writeFakeSynthOutput } from './support/fake-synth-output';
import { writeFakeTerraform } from './support/fake-terraform';

const ROOT = join(__dirname, '..');
const PEAK_REPORTER = join(__dirname, 'support', 'report-peak-rss.cjs');
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 1000);
const K = 10;
/** Seconds each of init, plan and apply takes: a stack takes 3 x this. */
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 1 / 3);
const TARGET_OVERHEAD = 0.05;
const TARGET_MB = 300;

/** Seconds one stack's init, plan and apply take with the stand-in, run back to back by a shell. */
function calibrate(dir: string, bin: string): number {
  const stack = join(dir, 'calibration', 'stacks', 'member-000000000000');
  mkdirSync(stack, { recursive: true });
  const runs = 10;
  const script = `for i in $(seq ${runs}); do for c in init plan apply; do terraform -chdir=${stack} $c > /dev/null; done; done`;
  const started = process.hrtime.bigint();
  const result = spawnSync('/bin/sh', ['-c', script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_TF_SLEEP: STEP_SECONDS.toFixed(3) } });
  if (result.status !== 0) throw new Error(`calibration failed: ${String(result.stderr)}`);
  return Number(process.hrtime.bigint() - started) / 1e9 / runs;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rollout-'));
  try {
    const raw = {
      organizationId: 'o-a1b2c3d4e5',
      central: { accountId: '111111111111', region: 'eu-west-1', busName: 'ebs-events-central' },
      members: Array.from({ length: MEMBERS }, (_, i) => ({ accountId: String(200_000_000_000 + i), regions: ['eu-west-1', 'us-east-1'] })),
    };
    const orgFile = join(dir, 'org.json');
    writeFileSync(orgFile, JSON.stringify(raw));
    const outdir = join(dir, 'cdktf.out');
    writeFakeSynthOutput(outdir, parseOrgConfig(raw, orgFile));
    const bin = writeFakeTerraform(join(dir, 'bin'));
    const nominal = 3 * STEP_SECONDS;
    const stackSeconds = calibrate(dir, bin);
    const ideal = (1 + MEMBERS / K) * stackSeconds;
    const idealNominal = (1 + MEMBERS / K) * nominal;
    process.stdout.write(
      `bench:rollout: ${MEMBERS} member stacks + central, K = ${K}, stack time ${stackSeconds.toFixed(3)} s measured (${nominal.toFixed(3)} s of sleep), ideal ${ideal.toFixed(1)} s\n`,
    );

    const started = process.hrtime.bigint();
    let stderr = '';
    let lines = 0;
    const code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), join(ROOT, 'cli', 'rollout.ts'), '--wave', '1', '--parallelism', String(K)], {
        cwd: dir,
        env: {
          ...process.env,
          PATH: `${bin}:${process.env.PATH}`,
          ORG_CONFIG: orgFile,
          CDKTF_OUTDIR: '',
          TF_PLUGIN_CACHE_DIR: join(dir, 'plugin-cache'),
          FAKE_TF_SLEEP: STEP_SECONDS.toFixed(3),
          NODE_OPTIONS: `--require ${JSON.stringify(PEAK_REPORTER)}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (d: Buffer) => (lines += String(d).split('\n').length - 1));
      child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
      child.once('exit', done);
    });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    if (code !== 0 && !existsSync(join(outdir, 'rollout'))) {
      process.stderr.write(`${stderr}\nrollout exited ${code} before starting\n`);
      process.exit(1);
    }
    const runs = readdirSync(join(outdir, 'rollout'));
    const state = JSON.parse(readFileSync(join(outdir, 'rollout', runs[0]!, 'state.json'), 'utf8')) as { stacks: Record<string, { status: string }> };
    const applied = Object.values(state.stacks).filter((s) => s.status === 'applied').length;
    if (code !== 0 || applied !== MEMBERS + 1) {
      process.stderr.write(`${stderr}\nrollout exited ${code} with ${applied} of ${MEMBERS + 1} stacks applied\n`);
      process.exit(1);
    }
    const peakMb = Math.round(Number(/PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? 0) / 1024);
    const overhead = (wall - ideal) / ideal;
    process.stdout.write(
      `wall ${wall.toFixed(1)} s for ${applied} stacks (${lines} lines of output); against the nominal ideal ${idealNominal.toFixed(1)} s: ${(((wall - idealNominal) / idealNominal) * 100).toFixed(1)}%\n`,
    );
    process.stdout.write(`rollout: ${MEMBERS} stacks, overhead ${(overhead * 100).toFixed(1)}%, ${peakMb} MB peak\n`);
    if (overhead > TARGET_OVERHEAD || peakMb > TARGET_MB) {
      process.stderr.write(`target missed: overhead <= ${TARGET_OVERHEAD * 100}% and peak <= ${TARGET_MB} MB\n`);
      process.exit(1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
