/**
 * `npm run bench`: synthesizes generated orgs of 10, 100, 1,000 and 10,000 member accounts x 4
 * regions (the copy workflow on), each by running cdktf.json's app command in a fresh process (as
 * `cdktf synth` does), and prints wall time, CPU time and peak memory (max RSS), median wall and
 * CPU of 3 runs, the highest peak. Its last line is
 *
 *   synth: 10000 accounts x 4 regions, S s, M MB peak
 *
 * Targets on the 2-core reference machine: 10,000 x 4 within 8 s and 1 GB, 1,000 x 4 within 2 s,
 * and growth at most linear. Exits non-zero when a target is missed. This is a benchmark, not a
 * test: timings never gate `npm test`. `SYNTH_FAST=0 npm run bench` measures the
 * construct-by-construct synth instead (minutes at 10,000).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
/** Preloaded into the measured process: prints its peak RSS and CPU time on exit. */
const PEAK_REPORTER = join(__dirname, 'support', 'report-peak-rss.cjs');

/** What `cdktf synth` runs. */
const APP_COMMAND = (JSON.parse(readFileSync(join(ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;

const SIZES = [10, 100, 1000, 10_000];
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2'];
/** Wall-time targets by size. */
const TARGET_SECONDS: Readonly<Record<number, number>> = { 1000: 2, 10_000: 8 };
const TARGET_MB = 1024;

interface Sample {
  readonly members: number;
  readonly stacks: number;
  readonly resources: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakMb: number;
}

/**
 * A generated org: `n` members in four regions, the copy feature on with retention (the sweep's
 * definition does not depend on the number of accounts: every size has it).
 */
export function generatedOrg(n: number) {
  return {
    organizationId: 'o-benchmark01',
    central: { accountId: '100000000000', region: 'eu-west-1', busName: 'ebs-events-central' },
    members: Array.from({ length: n }, (_, i) => ({ accountId: String(200_000_000_000 + i), regions: REGIONS, wave: 1 + (i % 3) })),
    snapshotCopy: { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1' }, kmsKeyId: 'alias/ebs-dr', retentionDays: 30 },
    alerts: { emails: ['ops@example.com'] },
  };
}

/** Runs per size; the median is reported (a shared 2-core machine is noisy). */
const RUNS = 3;

/** One synth of an org of `n` members: main.ts in a fresh process, as `cdktf synth` runs it. */
function synthOnce(n: number): Sample {
  const dir = mkdtempSync(join(tmpdir(), `bench-synth-${n}-`));
  try {
    const outdir = join(dir, 'out');
    const orgFile = join(dir, 'org.json');
    writeFileSync(orgFile, JSON.stringify(generatedOrg(n)));
    // The command `cdktf synth` runs (cdktf.json's app). The wall time includes process start
    // and module loading: what a user waits for.
    const started = process.hrtime.bigint();
    const run = spawnSync(APP_COMMAND, {
      cwd: ROOT,
      shell: true,
      env: { ...process.env, ORG_CONFIG: orgFile, CDKTF_OUTDIR: outdir, NODE_OPTIONS: `--require ${JSON.stringify(PEAK_REPORTER)}` },
      encoding: 'utf8',
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.status !== 0) {
      process.stderr.write(run.stderr);
      process.exit(1);
    }
    // One line per node process: main.ts, and the child cdktf starts to zip the Lambda asset.
    const usage = [...run.stderr.matchAll(/PEAK_RSS_KB=(\d+) CPU_MS=(\d+)/g)].map((m) => ({ kb: Number(m[1]), ms: Number(m[2]) }));
    const stacks = readdirSync(join(outdir, 'stacks'));
    let resources = 0;
    for (const s of stacks) {
      const tf = JSON.parse(readFileSync(join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8'));
      for (const byName of Object.values(tf.resource ?? {})) resources += Object.keys(byName as object).length;
    }
    return {
      members: n,
      stacks: stacks.length,
      resources,
      seconds,
      peakMb: Math.max(...usage.map((u) => u.kb)) / 1024,
      cpuSeconds: usage.reduce((sum, u) => sum + u.ms, 0) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function parent(): void {
  const samples: Sample[] = [];
  for (const n of SIZES) {
    const runs = Array.from({ length: RUNS }, () => synthOnce(n));
    samples.push({
      ...runs[0]!,
      seconds: median(runs.map((r) => r.seconds)),
      peakMb: Math.max(...runs.map((r) => r.peakMb)),
      cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    });
  }
  const rows = samples.map((s) => [
    `${s.members} x ${REGIONS.length}`,
    String(s.stacks),
    String(s.resources),
    s.seconds.toFixed(2),
    s.cpuSeconds.toFixed(2),
    s.peakMb.toFixed(0),
  ]);
  const header = ['members x regions', 'stacks', 'resources', `wall s (median of ${RUNS})`, 'CPU s', 'peak MB'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  rows.forEach((r) => console.log(line(r)));

  const bySize = new Map(samples.map((s) => [s.members, s]));
  const largest = samples[samples.length - 1]!;
  const previous = samples[samples.length - 2]!;
  const checks: [string, boolean, string][] = [
    ...Object.entries(TARGET_SECONDS).map(([n, target]): [string, boolean, string] => {
      const s = bySize.get(Number(n))!;
      return [`${s.members.toLocaleString('en-US')} x 4 wall time <= ${target} s`, s.seconds <= target, `${s.seconds.toFixed(2)} s`];
    }),
    [`${largest.members.toLocaleString('en-US')} x 4 peak memory <= ${TARGET_MB} MB`, largest.peakMb <= TARGET_MB, `${largest.peakMb.toFixed(0)} MB`],
    // At most linear: 10x the members costs at most 10x the time (start-up included).
    [`growth ${previous.members.toLocaleString('en-US')} -> ${largest.members.toLocaleString('en-US')} at most linear`, largest.seconds <= previous.seconds * (largest.members / previous.members), `x${(largest.seconds / previous.seconds).toFixed(1)} for x${largest.members / previous.members} members`],
  ];
  console.log('');
  for (const [name, pass, value] of checks) console.log(`${pass ? 'PASS' : 'FAIL'}  ${name}: ${value}`);
  console.log(`load average after the runs: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores: above 2, other work competes for the CPU)`);
  console.log(`synth: ${largest.members} accounts x ${REGIONS.length} regions, ${largest.seconds.toFixed(1)} s, ${largest.peakMb.toFixed(0)} MB peak`);
  if (checks.some(([, pass]) => !pass)) process.exitCode = 1;
}

if (require.main === module) parent();
