/**
 * `npm run review`: synthesize the working tree (and the base, in parallel), compare, write the
 * report. Offline: git, node and the checked-out code only.
 */
import { join, resolve } from 'node:path';
import { resourcesOf } from '../../stacks/guardrails';
import type { ReviewArgs } from './args';
import { writeFilesAtomically } from '../common/atomic';
import { diffOutputs, suppressionsOf } from './diff';
import { loadOutput, readStack } from './load';
import { buildReport, renderJson, renderMarkdown, type Report } from './render';
import { assertComparable, checkoutBase, orgConfigFor, repoRoot, resolveRef, sameBundleInputs, synthesizeTree } from './trees';

export interface ReviewContext {
  /** Folder of the working tree (the repository root, where main.ts is). */
  readonly cwd: string;
  /** `ORG_CONFIG` as given. */
  readonly orgConfig?: string;
  /** Progress lines (stderr). */
  readonly log?: (line: string) => void;
}

export interface ReviewResult {
  readonly report: Report;
  readonly markdown: string;
  readonly json: string;
  readonly outDir: string;
}

/** Runs the review; a UsageError for anything the user must fix (exit 2), nothing written then. */
export async function runReview(args: ReviewArgs, ctx: ReviewContext): Promise<ReviewResult> {
  const started = Date.now();
  const log = (line: string) => ctx.log?.(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
  const cwd = resolve(ctx.cwd);
  const outDir = resolve(cwd, args.out);
  const headOut = join(cwd, 'cdktf.out');
  let report: Report;
  if (!args.base) {
    log('synthesizing the working tree');
    await synthesizeTree({ tree: cwd, outdir: headOut, orgConfig: orgConfigFor(cwd, cwd, ctx.orgConfig), label: 'working tree' });
    const head = loadOutput(headOut);
    const stacks: Record<string, Report['stacks'][string]> = {};
    for (const id of head.files.keys()) {
      const types: Record<string, number> = {};
      for (const r of resourcesOf(readStack(head, id))) types[r.type] = (types[r.type] ?? 0) + 1;
      const resourceTypes = Object.fromEntries(Object.entries(types).sort(([a], [b]) => a.localeCompare(b)));
      stacks[id] = { status: 'current', verdict: '', counts: { added: 0, removed: 0, changed: 0, replaced: 0, widenings: 0, policyStatementsChanged: 0 }, widenings: [], resourceTypes };
    }
    report = { base: null, stackCount: head.files.size, addedStacks: [], removedStacks: [], changedStacks: [], unchangedStacks: [], stacks, replacements: [], possibleReplacements: [], leftBehind: [], deletions: [], widenings: [], suppressions: suppressionsOf(head) };
  } else {
    const root = repoRoot(cwd);
    assertComparable(root);
    const commit = resolveRef(root, args.base);
    log(`checking out ${args.base} (${commit.slice(0, 12)}) in a temporary worktree`);
    const base = checkoutBase(root, commit);
    try {
      log(`dependencies of the base: ${base.dependencies === 'linked' ? 'same package-lock.json, node_modules linked' : 'npm ci'}; synthesizing both trees`);
      const baseOut = join(base.dir, 'cdktf.out');
      // Two syntheses at once already use both cores of a small machine: one thread each, unless
      // the user chose (SYNTH_SHARDS). The output does not depend on it (a test compares them).
      const env = process.env.SYNTH_SHARDS ? {} : { SYNTH_SHARDS: '1' };
      let headBundled: () => void = () => {};
      const headBundle = new Promise<string>((done) => (headBundled = () => done(cwd)));
      const reuseBundle = sameBundleInputs(root, commit);
      // If the working tree fails before its bundle exists, the base stops waiting for it.
      const headSynth = synthesizeTree({ tree: cwd, outdir: headOut, orgConfig: orgConfigFor(cwd, root, ctx.orgConfig), label: 'working tree', log, env, onBundle: () => headBundled() });
      const baseSynth = synthesizeTree({
        tree: base.dir,
        outdir: baseOut,
        orgConfig: orgConfigFor(base.dir, root, ctx.orgConfig),
        label: `base ${args.base} (${commit.slice(0, 12)})`,
        log,
        env,
        ...(reuseBundle ? { bundleFrom: Promise.race([headBundle, headSynth.then(() => cwd)]) } : {}),
      });
      await Promise.all([headSynth, baseSynth]);
      log('synthesized both; comparing');
      const head = loadOutput(headOut);
      const diff = diffOutputs(loadOutput(baseOut), head);
      report = buildReport(diff, { ref: args.base, commit }, head.files.size);
      log(`compared: ${diff.changedStacks.length} changed, ${diff.addedStacks.length} added, ${diff.removedStacks.length} removed`);
    } finally {
      await base.remove();
    }
  }
  const markdown = renderMarkdown(report);
  const json = renderJson(report);
  writeFilesAtomically(outDir, { 'review.md': markdown, 'review.json': json });
  return { report, markdown, json, outDir };
}
