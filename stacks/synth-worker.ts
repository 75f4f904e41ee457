/** Worker thread of `synthesize`: builds one shard of the app, reports its guardrail check, then synthesizes it. */
import { parentPort, workerData } from 'node:worker_threads';
import { buildShard } from './app';
import { withoutCreationStacks } from './creation-stacks';
import { appViolations, type ShardChecked, type ShardJob } from './synth';

const job = workerData as ShardJob;
withoutCreationStacks(() => {
  const { app } = buildShard({ config: job.config, snapshotCopyBundle: job.snapshotCopyBundle, outdir: job.outdir, providerRole: job.providerRole, members: job.members }, job.shard);
  const violations = appViolations(app);
  parentPort?.postMessage({ violations } satisfies ShardChecked);
  if (violations.length === 0) app.synth();
});
