/**
 * Synthesis of the whole app.
 *
 * By default member stacks of one shape are stamped out of one synthesized template
 * (stamped-synth.ts): the output is byte-identical to building every stack through cdktf, which
 * `fast: false` (main.ts: `SYNTH_FAST=0`) does, for debugging or comparison.
 *
 * Stacks built through cdktf are synthesized one after another on one core; for many of them
 * (`shards`) they are split: this thread synthesizes central and shard 0 into the output folder,
 * worker threads the other shards into sibling folders, and their stack folders and manifest
 * entries are then moved into the output folder. The result is the same as a one-thread synth (a
 * test compares them file by file).
 */
import { mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { MemberConfig, OrgConfig } from '../config/schema';
import { TerraformStack, type App } from 'cdktf';
import type { ProviderRole } from './base-stack';
import { buildShard, preflight, type Shard } from './app';
import type { HandlerBundle } from './central/snapshot-copy';
import { refuseToOrphanState, replaceStackFolder } from './local-state';
import { sortKeys, writeSynthStamp } from './synth-stamp';
import { GuardrailError, guardrailViolations, type Violation } from './guardrails';
import { CENTRAL_STACK_ID } from './names';
import { prepareStamping } from './stamped-synth';

export interface SynthOptions {
  readonly config: OrgConfig;
  /**
   * The output folder (main.ts passes `CDKTF_OUTDIR`): the app writes there, and the local-state
   * check looks there. Given to `App` explicitly, so nothing here reads the environment.
   * @default 'cdktf.out'
   */
  readonly outdir?: string;
  readonly snapshotCopyBundle?: HandlerBundle;
  /**
   * Shards synthesized at once (this thread plus workers), or a function of how many member
   * stacks are built through cdktf (the fast synth stamps the others).
   * @default 1 — one thread
   */
  readonly shards?: number | ((membersBuilt: number) => number);
  /**
   * Stamp member stacks of one shape out of a template (stamped-synth.ts); false builds every
   * stack through cdktf (same bytes, slower).
   * @default true
   */
  readonly fast?: boolean;
  /** The role the providers assume (recorded in the synth stamp). @default 'deploy' */
  readonly providerRole?: ProviderRole;
}

/** What a worker thread receives. */
export interface ShardJob {
  readonly config: OrgConfig;
  readonly snapshotCopyBundle?: HandlerBundle;
  readonly shard: Shard;
  readonly outdir: string;
  /** The members built through cdktf (the others are stamped). */
  readonly members: readonly MemberConfig[];
  readonly providerRole?: ProviderRole;
}

interface Manifest {
  version: string;
  stacks: Record<string, { workingDirectory: string } & Record<string, unknown>>;
}

/**
 * Violations in the order a one-thread construct-by-construct synth finds them, whichever thread
 * or template found them: `central`, then each member's stacks (their ids carry the account id) in
 * config order; a stable sort keeps the order within a member.
 */
function inStackOrder(config: OrgConfig, violations: readonly Violation[]): Violation[] {
  const memberIndex = new Map(config.members.map((m, i) => [m.accountId, i + 1]));
  const rank = (stack: string) => (stack === CENTRAL_STACK_ID ? 0 : (memberIndex.get(/\d{12}/.exec(stack)?.[0] ?? '') ?? memberIndex.size + 1));
  return [...violations].sort((a, b) => rank(a.stack) - rank(b.stack));
}

/**
 * JSON as cdktf writes its manifest (json-stable-stringify, 2 spaces): keys sorted, and an empty
 * array as `[` newline `]`. The merged manifest is then byte-identical to a one-thread synth's.
 */
function manifestJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2).replace(/^( *)(.*)\[\]/gm, '$1$2[\n$1]');
}

/** Guardrail violations of every stack of a built app (checked before anything is written). */
export const appViolations = (app: App): Violation[] => guardrailViolations(app.node.findAll().filter(TerraformStack.isStack));

/**
 * `new App()` has already created the output folder and its `stacks/` folder: a synth that fails
 * before writing (guardrail violations, a user error thrown in a worker thread) removes them when
 * they are empty, so it leaves nothing behind (an existing output folder with content is left as
 * it was).
 */
function removeEmptyOutput(app: App): void {
  const outdir = resolve(app.outdir);
  for (const dir of [join(outdir, 'stacks'), outdir]) {
    try {
      if (readdirSync(dir).length === 0) rmdirSync(dir);
    } catch {
      // not there, or not ours to remove
    }
  }
}

/** What a worker posts once its shard is built and checked, before it writes. */
export interface ShardChecked {
  readonly violations: readonly Violation[];
}

interface RunningWorker {
  /** The shard's guardrail violations (empty: it goes on to synthesize into its scratch folder). */
  readonly checked: Promise<readonly Violation[]>;
  readonly done: Promise<void>;
}

function runWorker(job: ShardJob): RunningWorker {
  let reportChecked: (v: readonly Violation[]) => void = () => {};
  const checked = new Promise<readonly Violation[]>((resolveChecked) => (reportChecked = resolveChecked));
  const done = new Promise<void>((done, fail) => {
    // Workers do not inherit the main thread's module hooks: register tsx's require hook, then
    // load the TypeScript worker module.
    const source = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(join(__dirname, 'synth-worker.ts'))});`;
    const worker = new Worker(source, { eval: true, workerData: job });
    worker.on('message', (m: ShardChecked) => reportChecked(m.violations));
    worker.once('error', fail);
    worker.once('exit', (code) => (code === 0 ? done() : fail(new Error(`synth worker for shard ${job.shard.index} exited with code ${code}`))));
  });
  // A worker that fails before checking never reports: `done` rejects instead.
  return { checked: Promise.race([checked, done.then(() => [] as readonly Violation[])]), done };
}

/**
 * Synthesizes into cdktf's output folder (`CDKTF_OUTDIR`, else `cdktf.out`) and returns it, with
 * the synth stamp (`ebs-event-hub.synth.json`, see synth-stamp.ts) that `npm run rollout` checks.
 */
export async function synthesize(options: SynthOptions): Promise<string> {
  const asked = { ...options, outdir: options.outdir ?? 'cdktf.out' };
  refuseToOrphanState(asked.config, asked.outdir); // before anything is written: local state cdktf would delete
  const outdir = await synthesizeStacks(asked);
  writeSynthStamp(outdir, options.config, options.providerRole);
  return outdir;
}

async function synthesizeStacks(options: SynthOptions): Promise<string> {
  const { config, snapshotCopyBundle, providerRole } = options;
  // The checks on the whole config, before anything (templates included) is built.
  preflight({ config, snapshotCopyBundle });
  const stamping = options.fast === false ? undefined : prepareStamping({ config, snapshotCopyBundle, providerRole });
  const members = stamping?.individual ?? config.members;
  const shards = typeof options.shards === 'function' ? options.shards(members.length) : (options.shards ?? 1);
  const count = Math.max(1, Math.min(shards, members.length));
  const { app } = buildShard({ config, snapshotCopyBundle, providerRole, members, outdir: options.outdir }, { index: 0, count });
  const outdir = resolve(app.outdir);
  // Siblings of the output folder: same file system, so stack folders move by rename.
  const scratch = count > 1 ? mkdtempSync(join(dirname(outdir), '.synth-shards-')) : undefined;
  try {
    const jobs = Array.from({ length: count - 1 }, (_, i): ShardJob => ({
      config,
      snapshotCopyBundle,
      shard: { index: i + 1, count },
      outdir: join(scratch!, String(i + 1)),
      members,
      providerRole,
    }));
    const running = jobs.map(runWorker);
    const workers = Promise.all(running.map((w) => w.done));
    // Workers write only into scratch folders; this thread writes the output folder, and only once
    // every stack has passed the guardrails: a failing synth leaves the output folder as it was.
    const found = [...appViolations(app), ...(stamping?.violations ?? [])];
    let violations: Violation[];
    try {
      violations = inStackOrder(config, [...found, ...(jobs.length > 0 ? (await Promise.all(running.map((w) => w.checked))).flat() : [])]);
    } catch (error) {
      // A worker failed before its shard was checked (e.g. a policy over its size limit in shard 2).
      await Promise.allSettled(running.map((w) => w.done));
      removeEmptyOutput(app);
      throw error;
    }
    if (violations.length > 0) {
      await Promise.allSettled(running.map((w) => w.done));
      removeEmptyOutput(app);
      throw new GuardrailError(violations);
    }
    app.synth();
    await workers;
    if (jobs.length === 0 && !stamping?.stampedStacks) return outdir;
    const manifestPath = join(outdir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    for (const job of jobs) {
      const part = JSON.parse(readFileSync(join(job.outdir, 'manifest.json'), 'utf8')) as Manifest;
      for (const [id, entry] of Object.entries(part.stacks)) {
        if (id in manifest.stacks) continue; // central: shards > 0 hold only a placeholder
        // Over an earlier synth's copy of this stack, keeping the state Terraform wrote there.
        replaceStackFolder(join(job.outdir, entry.workingDirectory), join(outdir, entry.workingDirectory));
        manifest.stacks[id] = entry;
      }
    }
    Object.assign(manifest.stacks, stamping?.write(outdir));
    writeFileSync(manifestPath, manifestJson(manifest));
    return outdir;
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
