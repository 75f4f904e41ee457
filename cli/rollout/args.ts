/** `npm run rollout` arguments. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../common/errors';

export interface RolloutArgs {
  readonly wave?: string;
  readonly dryRun: boolean;
  readonly parallelism: number;
  readonly failureTolerance: number;
  readonly resume: boolean;
  readonly runId?: string;
  readonly verify: boolean;
  readonly outdir: string;
  readonly pluginCacheDir: string;
}

export const USAGE = `usage: npm run rollout -- --wave <N|all> [--dry-run] [--parallelism K] [--failure-tolerance F] [--verify]
       npm run rollout -- --resume [--run-id ID]

  --wave N|all             central (applied when its plan has changes), then wave N's member stacks, or every wave in order
  --dry-run                print the commands, in order, and run nothing
  --parallelism K          member stacks at once (default 10, at least 1)
  --failure-tolerance F    stop starting stacks after more than F failures (default 0)
  --resume                 continue the latest stopped rollout (or --run-id) without re-applying its applied stacks
  --verify                 run npm run verify after each wave; stop before the next wave if it fails
  --outdir DIR             the synthesized app (default cdktf.out; CDKTF_OUTDIR)
  env TF_PLUGIN_CACHE_DIR  shared provider plugin cache (default ~/.terraform.d/plugin-cache)`;

function whole(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name}: ${JSON.stringify(value)} is not a whole number of at least ${min}`);
  }
  return n;
}

export function parseRolloutArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RolloutArgs {
  // `--failure-tolerance -1` must reach the range check, not parseArgs' "ambiguous" complaint.
  const args = argv.flatMap((a, i) => (/^-\d/.test(argv[i + 1] ?? '') && /^--[a-z-]+$/.test(a) ? [] : /^-\d/.test(a) && i > 0 ? [`${argv[i - 1]}=${a}`] : [a]));
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        wave: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        parallelism: { type: 'string' },
        'failure-tolerance': { type: 'string' },
        resume: { type: 'boolean', default: false },
        'run-id': { type: 'string' },
        verify: { type: 'boolean', default: false },
        outdir: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.wave === undefined && !values.resume) throw new UsageError(`--wave: required (a wave number or all; \`npm run waves\` lists them)\n${USAGE}`);
  if (values['run-id'] !== undefined && !/^[A-Za-z0-9._-]+$/.test(values['run-id'])) {
    throw new UsageError(`--run-id: ${JSON.stringify(values['run-id'])} is not a run id (a folder name under cdktf.out/rollout)`);
  }
  return {
    wave: values.wave,
    dryRun: values['dry-run'] ?? false,
    parallelism: whole('parallelism', values.parallelism, 10, 1),
    failureTolerance: whole('failure-tolerance', values['failure-tolerance'], 0, 0),
    resume: values.resume ?? false,
    runId: values['run-id'],
    verify: values.verify ?? false,
    outdir: values.outdir ?? (env.CDKTF_OUTDIR || 'cdktf.out'),
    pluginCacheDir: env.TF_PLUGIN_CACHE_DIR || join(homedir(), '.terraform.d', 'plugin-cache'),
  };
}
