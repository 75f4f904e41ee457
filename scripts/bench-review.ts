/**
 * `npm run bench:review`: `npm run review -- --base HEAD~1` on orgs of 1,000 and 10,000 accounts
 * (4 regions each) where one account changed (a fifth region), in a temporary git repository
 * holding this working tree. Measures wall time and the peak RSS of the largest process (the
 * review, or a build or synth it starts), median wall of 3 runs and the highest peak, and prints
 * for each size one line:
 *
 *   review: N stacks, S s, M MB peak
 *
 * Targets on the 2-core reference machine: 1,000 accounts within 15 s; 10,000 within 20 s and
 * 1.5 GB. Exits non-zero when one is missed. A benchmark, not a test: timings never gate
 * `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generatedOrg } from './bench-synth';

const ROOT = join(__dirname, '..');
const PEAK = join(__dirname, 'support', 'append-peak-rss.cjs');
/** Members, and the targets for that size. */
const SIZES: readonly { members: number; seconds: number; mb?: number }[] = [
  { members: 1000, seconds: 15 },
  { members: 10_000, seconds: 20, mb: 1536 },
];
const RUNS = 3;

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A git repository with this working tree's files, the org committed, then one account changed. */
export function benchRepo(members: number): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'bench-review-')), 'repo');
  mkdirSync(dir);
  for (const f of git(ROOT, 'ls-files', '-co', '--exclude-standard', '-z').split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      copyFileSync(join(ROOT, f), join(dir, f));
    } catch {
      // deleted in the working tree
    }
  }
  git(dir, 'init', '-q');
  writeFileSync(join(dir, '.git', 'info', 'exclude'), 'node_modules\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const org = generatedOrg(members);
  writeFileSync(join(dir, 'org.json'), JSON.stringify(org, null, 2));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'org');
  org.members[0] = { ...org.members[0]!, regions: [...org.members[0]!.regions, 'ap-southeast-2'] };
  writeFileSync(join(dir, 'org.json'), JSON.stringify(org, null, 2));
  git(dir, 'commit', '-q', '-am', 'one account gains a region');
  return dir;
}

function reviewOnce(repo: string): { seconds: number; cpuSeconds: number; peakMb: number; stacks: number; changed: string[] } {
  const peakFile = join(dirname(repo), `peak-${Date.now()}.txt`);
  writeFileSync(peakFile, '');
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'cli/review.ts', '--base', 'HEAD~1'], {
    cwd: repo,
    env: { ...process.env, ORG_CONFIG: 'org.json', PEAK_RSS_FILE: peakFile, NODE_OPTIONS: `--require ${JSON.stringify(PEAK)}` },
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) {
    process.stderr.write(run.stderr);
    process.exit(1);
  }
  const usage = readFileSync(peakFile, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
  const peaks = usage.map((u) => u[1]!);
  const cpuSeconds = usage.reduce((sum, u) => sum + u[2]!, 0) / 1000;
  const json = JSON.parse(readFileSync(join(repo, 'cdktf.out', 'review', 'review.json'), 'utf8')) as { stackCount: number; changedStacks: string[] };
  return { seconds, cpuSeconds, peakMb: Math.max(...peaks) / 1024, stacks: json.stackCount, changed: json.changedStacks };
}

function main(): void {
  const lines: string[] = [];
  for (const size of SIZES) {
    const repo = benchRepo(size.members);
    try {
      const runs = Array.from({ length: RUNS }, () => reviewOnce(repo));
      const seconds = [...runs.map((r) => r.seconds)].sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
      const peakMb = Math.max(...runs.map((r) => r.peakMb));
      console.log(`${size.members} accounts: ${runs.map((r) => `${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds.toFixed(2)} s CPU`).join('; ')}; changed stacks: ${runs[0]!.changed.join(', ')}`);
      const checks: [string, boolean][] = [
        [`--base on ${size.members} accounts, one changed: <= ${size.seconds} s (${seconds.toFixed(1)} s)`, seconds <= size.seconds],
        ...(size.mb ? [[`--base on ${size.members} accounts: peak <= ${size.mb} MB (${peakMb.toFixed(0)} MB)`, peakMb <= size.mb] as [string, boolean]] : []),
      ];
      for (const [name, pass] of checks) console.log(`${pass ? 'PASS' : 'FAIL'}  ${name}`);
      if (checks.some(([, pass]) => !pass)) process.exitCode = 1;
      lines.push(`review: ${runs[0]!.stacks} stacks, ${seconds.toFixed(1)} s, ${peakMb.toFixed(0)} MB peak`);
    } finally {
      rmSync(dirname(repo), { recursive: true, force: true });
    }
  }
  console.log(`load average now: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores: above 2, other work competes for the CPU)`);
  for (const line of lines) console.log(line);
}

if (require.main === module) main();
