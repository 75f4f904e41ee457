/** Worker thread of `synthesize`: builds and synthesizes one shard of the app. */
import { workerData } from 'node:worker_threads';
import { buildShard } from './app';
import { withoutCreationStacks } from './creation-stacks';
import type { ShardJob } from './synth';

const job = workerData as ShardJob;
withoutCreationStacks(() => buildShard({ config: job.config, snapshotCopyBundle: job.snapshotCopyBundle, outdir: job.outdir }, job.shard).app.synth());
