/**
 * Benchmark of the snapshot-copy Lambda bundle (not a test; run with `npm run bench:handler`).
 *
 *   - bundle bytes of dist/snapshot-copy/index.js;
 *   - module init: median over fresh `node` processes of the time to require() the bundle, measured
 *     inside the child with process.hrtime.bigint(), side by side with the AWS guide's sample Lambda
 *     (scripts/bench/guide-v2-sample.js) bundled the same way with the whole aws-sdk v2 inside;
 *   - per-snapshot overhead: median ms to run one snapshot through the workflow's steps (the bundle's
 *     `step` export: inspect, find, admit, copy, poll), in-process, against the loopback EC2 stand-in
 *     (each snapshot really copies; copies complete at once, so this is the happy path with no waits);
 *   - EC2 calls per copied snapshot on that path, counted at the stand-in (one per step).
 *
 * Exits non-zero when a target is missed: bundle <= 1 MB, init <= 0.35 x the v2 sample, <= 5 EC2
 * calls per copy on the happy path. The cost of waiting (admission, polling) under load is
 * `npm run bench:burst`'s subject.
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildHandler } from './build-handler';
import { LEDGER_TABLE, withLedgerTable } from './support/copy-tables';
import { DynamoDbStandin } from './support/dynamodb-standin';
import { startEc2Standin } from './support/ec2-standin';

const ROOT = resolve(__dirname, '..');
const GUIDE_SAMPLE = resolve(ROOT, 'scripts/bench/guide-v2-sample.js');
const INIT_RUNS = Number(process.env['BENCH_INIT_RUNS'] ?? 15);
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 300);
const WARMUP_EVENTS = 20;
const ACCOUNT = '111111111111';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ebs-event-hub-copy-step`;
const STEPS = ['inspect', 'find', 'admit', 'copy', 'poll', 'release'] as const;

const TARGETS = { bundleBytes: 1024 * 1024, initRatio: 0.35, ec2CallsPerCopy: 5 }; // release calls DynamoDB only

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const percentile = (values: number[], p: number): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** Time to require() `file` in a fresh node process, measured by the child itself. */
function measureInit(file: string): Promise<number> {
  const script =
    `const t0 = process.hrtime.bigint(); require(${JSON.stringify(file)}); const t1 = process.hrtime.bigint();` +
    `process.stdout.write('\\n' + JSON.stringify({ initMs: Number(t1 - t0) / 1e6 }) + '\\n');`;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: {
        PATH: process.env['PATH'] ?? '',
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
        AWS_REGION: 'us-east-1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolvePromise((JSON.parse(line) as { initMs: number }).initMs);
      } catch (error) {
        reject(new Error(`init measurement of ${file} failed (${(error as Error).message}): ${out}`));
      }
    });
  });
}

async function bundleGuideSample(dir: string): Promise<{ outfile: string; bytes: number }> {
  const outfile = join(dir, 'guide-v2-sample.js');
  await build({
    entryPoints: [GUIDE_SAMPLE],
    outfile,
    bundle: true, // the whole aws-sdk v2, not external
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
  });
  return { outfile, bytes: statSync(outfile).size };
}

interface EventRun {
  perEventMs: number[];
  copies: number;
  ec2Calls: number;
  otherCalls: number;
  logLines: number;
  failures: string[];
}

/** Runs snapshots through the bundle's `step` export in this process, one at a time. */
async function measureEvents(bundle: string): Promise<EventRun> {
  const standin = await startEc2Standin({ defaultAccount: ACCOUNT });
  const dynamodb = withLedgerTable(new DynamoDbStandin());
  const dynamodbUrl = await dynamodb.listen();
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbUrl,
    SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:ebs-event-hub-snapshot-copy',
    LEDGER_TABLE_NAME: LEDGER_TABLE,
    AWS_ENDPOINT_URL_EC2: standin.url,
    AWS_ENDPOINT_URL_STS: standin.url,
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_REGION: 'us-east-1',
    MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
    MAX_IN_FLIGHT_COPIES: '15',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];

  const load = createRequire(__filename);
  type Data = { outcome?: string; snapshotId: string };
  const { step } = load(bundle) as { step: (event: unknown, context: unknown) => Promise<Data> };
  const context = { invokedFunctionArn: FUNCTION_ARN, awsRequestId: 'bench', functionName: 'ebs-event-hub-copy-step' };
  const snapshotId = (i: number) => `snap-${i.toString(16).padStart(17, '0')}`;
  /** One execution's steps, as the state machine would run them on the happy path. */
  const handler = async (i: number): Promise<string | undefined> => {
    let data: Data = { account: ACCOUNT, sourceRegion: 'us-west-2', snapshotId: snapshotId(i), destinationRegion: 'us-east-1' } as Data;
    for (const name of STEPS) data = await step({ step: name, executionStartTime: new Date().toISOString(), data }, context);
    return data.outcome;
  };
  for (let i = 0; i < WARMUP_EVENTS + EVENTS; i++) {
    standin.addSnapshot({ snapshotId: snapshotId(i), region: 'us-west-2', ownerId: ACCOUNT, state: 'completed', tags: [{ key: 'Name', value: `disk ${i}` }] });
  }

  // Powertools writes one JSON line per decision to stdout: keep the cost of producing it, not the terminal's.
  const write = process.stdout.write.bind(process.stdout);
  let logLines = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logLines += String(chunk).split('\n').filter((l) => l.startsWith('{')).length;
    return true;
  }) as typeof process.stdout.write;

  const run: EventRun = { perEventMs: [], copies: 0, ec2Calls: 0, otherCalls: 0, logLines: 0, failures: [] };
  try {
    for (let i = 0; i < WARMUP_EVENTS; i++) await handler(i);
    const before = standin.requests.length;
    const copiesBefore = standin.snapshots().filter((s) => s.copiedFrom).length;
    logLines = 0;
    for (let i = WARMUP_EVENTS; i < WARMUP_EVENTS + EVENTS; i++) {
      const t0 = process.hrtime.bigint();
      const outcome = await handler(i);
      run.perEventMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (outcome !== 'copied') run.failures.push(`snapshot ${i}: ${outcome}`);
    }
    const seen = standin.requests.slice(before);
    run.ec2Calls = seen.filter((r) => r.service === 'ec2').length;
    run.otherCalls = seen.length - run.ec2Calls;
    run.copies = standin.snapshots().filter((s) => s.copiedFrom).length - copiesBefore;
    run.logLines = logLines;
  } finally {
    process.stdout.write = write;
    process.env = saved;
    await standin.close();
    await dynamodb.close();
  }
  return run;
}

async function main(): Promise<number> {
  const ours = await buildHandler();
  const tmp = mkdtempSync(join(tmpdir(), 'bench-handler-'));
  try {
    const guide = await bundleGuideSample(tmp);

    // Warm the file cache once, then alternate the two so drift affects both alike.
    await measureInit(ours.outfile);
    await measureInit(guide.outfile);
    const oursInit: number[] = [];
    const guideInit: number[] = [];
    for (let i = 0; i < INIT_RUNS; i++) {
      oursInit.push(await measureInit(ours.outfile));
      guideInit.push(await measureInit(guide.outfile));
    }
    const events = await measureEvents(ours.outfile);

    const oursMedian = median(oursInit);
    const guideMedian = median(guideInit);
    const ratio = oursMedian / guideMedian;
    const callsPerCopy = events.copies > 0 ? events.ec2Calls / events.copies : Number.POSITIVE_INFINITY;

    const checks = [
      { name: 'bundle <= 1 MB', pass: ours.bytes <= TARGETS.bundleBytes },
      { name: `init <= ${TARGETS.initRatio} x v2 sample`, pass: ratio <= TARGETS.initRatio },
      { name: `EC2 calls per copy <= ${TARGETS.ec2CallsPerCopy}`, pass: callsPerCopy <= TARGETS.ec2CallsPerCopy && events.copies === EVENTS },
    ];
    const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    const rows: string[][] = [
      ['metric', 'snapshot-copy (SDK v3)', 'guide sample (SDK v2)', 'target', 'result'],
      ['bundle bytes', fmt(ours.bytes, 0), fmt(guide.bytes, 0), `<= ${fmt(TARGETS.bundleBytes, 0)}`, checks[0]!.pass ? 'PASS' : 'FAIL'],
      [`module init, median of ${INIT_RUNS} fresh node (ms)`, fmt(oursMedian), fmt(guideMedian), '', ''],
      ['module init, min / max (ms)', `${fmt(Math.min(...oursInit))} / ${fmt(Math.max(...oursInit))}`, `${fmt(Math.min(...guideInit))} / ${fmt(Math.max(...guideInit))}`, '', ''],
      ['init ratio (ours / v2 sample)', fmt(ratio, 3), '1.000', `<= ${TARGETS.initRatio}`, checks[1]!.pass ? 'PASS' : 'FAIL'],
      [`per-snapshot overhead (${STEPS.length} steps), median of ${EVENTS} (ms)`, fmt(median(events.perEventMs), 2), 'n/a', '', ''],
      ['per-snapshot overhead, p95 (ms)', fmt(percentile(events.perEventMs, 95), 2), 'n/a', '', ''],
      ['EC2 calls per copied snapshot', `${fmt(callsPerCopy, 2)} (${events.ec2Calls} calls / ${events.copies} copies)`, '1 (no dedupe)', `<= ${TARGETS.ec2CallsPerCopy}`, checks[2]!.pass ? 'PASS' : 'FAIL'],
      ['log lines per snapshot', fmt(events.logLines / EVENTS, 2), '', '', ''],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
    console.log(`\nsnapshot-copy handler benchmark (node ${process.version}, ${process.platform}/${process.arch})\n`);
    console.log(line(rows[0]!));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows.slice(1)) console.log(line(r));
    if (events.failures.length > 0 || events.otherCalls > 0) {
      console.log(`\nunexpected: ${events.failures.length} snapshots not copied (${events.failures.slice(0, 3).join('; ')}), ${events.otherCalls} non-EC2 calls`);
    }
    const failed = checks.filter((c) => !c.pass);
    console.log(failed.length === 0 ? '\nall targets met' : `\nMISSED: ${failed.map((c) => c.name).join(', ')}`);
    return failed.length === 0 && events.failures.length === 0 ? 0 : 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
