/** `npm run rollout` arguments. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../common/errors';
import { npmTookDryRun } from '../common/npm-dry-run';
import { parseShard, type Shard } from './shard';

/** Options a run records, so `--resume` (and `--apply`) reuse them. */
export interface RunOptions {
  readonly parallelism: number;
  readonly failureTolerance: number;
  readonly verify: boolean;
  /** Terraform's `-lock-timeout` on plan and apply: `5m`, `90s`, `1h30m`. */
  readonly lockTimeout: string;
  /** After this long a stack's terraform is interrupted and the stack counted failed. Same format. */
  readonly stackTimeout: string;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { parallelism: 10, failureTolerance: 0, verify: false, lockTimeout: '5m', stackTimeout: '60m' };

interface Common {
  readonly dryRun: boolean;
  /** Only the options given on the command line: a resumed run fills in the rest from its record. */
  readonly given: Partial<RunOptions>;
  readonly outdir: string;
  readonly pluginCacheDir: string;
}

export type RolloutArgs =
  | { readonly command: 'help' }
  | (Common & {
      readonly command: 'rollout';
      /** `--plan`: plan only; `--apply <run-id>` applies the saved plans later. */
      readonly planOnly: boolean;
      readonly wave?: string;
      readonly shard?: Shard;
      readonly resume: boolean;
      /** With `--resume`: the run to continue. A new run: its name (must not exist yet). */
      readonly runId?: string;
    })
  | (Common & { readonly command: 'apply'; readonly runId: string })
  | (Common & { readonly command: 'destroy'; readonly stacks: readonly string[]; readonly yes: boolean });

export const USAGE = `usage: npm run rollout -- --wave <N|all> [--shard i/K] [--plan] [options]   plan and apply (or, with --plan, only plan)
       npm run rollout -- --apply <run-id> [options]                           apply exactly the plans a --plan run saved
       npm run rollout -- --resume [--run-id ID | --wave <N|all> [--shard i/K]] continue a stopped run with its recorded options
       npm run rollout -- --destroy <stack> [--destroy <stack>...] [--yes]    plan a stack's destruction, show it, then destroy it
       npm run rollout -- --help

  --wave N|all             wave 0 (central, then the vault stack in vault mode; applied when their plans have changes),
                           then wave N's member stacks, or every wave in order
  --shard i/K              only the i-th of K slices of the wave's member stacks (1 <= i <= K <= 256), for K CI jobs;
                           wave 0 only in shard 1 and only with --wave 0 or all
  --plan                   init and plan only; keep each saved plan in cdktf.out/rollout/<run-id>/ and print +add ~change -destroy
  --apply RUN-ID           apply that --plan run's saved plans, wave by wave; a stack whose cdk.tf.json changed since is refused
  --resume                 re-run what a stopped run did not finish, and every stack whose cdk.tf.json changed since it was
                           applied (or planned); reuses the run's options unless given again
  --run-id ID              with --resume: the run (default: the latest, of --wave/--shard when given); else the new run's name
  --destroy STACK          plan -destroy, print the resources, then (confirmed) destroy them; from cdktf.out/stacks/STACK,
                           else from the copy the rollout kept when it applied the stack (cdktf.out/rollout/applied/STACK)
  --yes                    with --destroy: do not ask (required when stdin is not a terminal)
  --dry-run                print the commands, in order, and run nothing
  --parallelism K          stacks at once (default 10, at least 1)
  --failure-tolerance F    stop starting stacks after more than F failures (default 0)
  --verify                 run npm run verify after each wave; stop before the next wave if it fails
  --lock-timeout D         terraform -lock-timeout on plan and apply (default 5m; D like 90s, 5m, 1h30m)
  --stack-timeout D        interrupt a stack's terraform after D (SIGINT, SIGKILL 2 min later) and count it failed (default 60m)
  --outdir DIR             the synthesized app (default cdktf.out; CDKTF_OUTDIR)
  --help                   this text
  env TF_PLUGIN_CACHE_DIR  shared provider plugin cache (default ~/.terraform.d/plugin-cache)

exit codes: 0 done, 1 a stack or verify failed, 2 bad argument or precondition (nothing started), 130 stopped by Ctrl-C`;

function whole(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name}: ${JSON.stringify(value)} is not a whole number of at least ${min}`);
  }
  return n;
}

/** Go duration units Terraform's `-lock-timeout` takes that make sense here (time.ParseDuration). */
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `1h30m` to milliseconds; undefined when it is not such a duration. */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === '') return undefined;
  const [h, min, s] = [m[1], m[2], m[3]].map((v) => Number(v ?? 0));
  return ((h! * 60 + min!) * 60 + s!) * 1000;
}

function duration(name: string, value: string | undefined, minMs: number): string | undefined {
  if (value === undefined) return undefined;
  const ms = durationMs(value);
  if (ms === undefined || ms < minMs) {
    throw new UsageError(`--${name}: ${JSON.stringify(value)} is not a duration of at least ${minMs / 1000}s (whole hours, minutes and seconds: 90s, 5m, 1h30m)`);
  }
  return value;
}

const RUN_ID = /^[A-Za-z0-9._-]+$/;
const STACK_ID = /^(central|member-\d{12}|vault-\d{12})$/;

/** Flags that make no sense together: the first one found names the conflict. */
function conflicts(present: Record<string, boolean>, flag: string, others: readonly string[], why: string): void {
  if (!present[flag]) return;
  const other = others.find((o) => present[o]);
  if (other) throw new UsageError(`--${other}: not with --${flag} (${why})`);
}

export function parseRolloutArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RolloutArgs {
  // `npm run rollout --dry-run -- ...`: the rollout would run for real.
  if (npmTookDryRun(env)) {
    throw new UsageError('--dry-run: npm took it as its own flag (npm run rollout --dry-run -- ...), so nothing here would be a dry run; put it after the --: npm run rollout -- --dry-run ...');
  }
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
        shard: { type: 'string' },
        plan: { type: 'boolean' },
        apply: { type: 'string' },
        destroy: { type: 'string', multiple: true },
        yes: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        parallelism: { type: 'string' },
        'failure-tolerance': { type: 'string' },
        'lock-timeout': { type: 'string' },
        'stack-timeout': { type: 'string' },
        resume: { type: 'boolean' },
        'run-id': { type: 'string' },
        verify: { type: 'boolean' },
        outdir: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) return { command: 'help' };
  const present = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v !== undefined && v !== false]));
  conflicts(present, 'destroy', ['wave', 'shard', 'plan', 'apply', 'resume', 'run-id', 'verify'], 'a destroy names its stacks and runs on its own');
  conflicts(present, 'apply', ['wave', 'shard', 'plan', 'resume', 'run-id'], 'the run it applies has its waves and shard; run --apply again to continue it');
  conflicts(present, 'plan', ['verify'], 'nothing is deployed by a plan; give --verify to --apply');
  if (values.yes && !values.destroy) throw new UsageError('--yes: only with --destroy');

  const common: Common = {
    dryRun: values['dry-run'] ?? false,
    given: Object.fromEntries(
      Object.entries({
        parallelism: whole('parallelism', values.parallelism, 1),
        failureTolerance: whole('failure-tolerance', values['failure-tolerance'], 0),
        verify: values.verify,
        lockTimeout: duration('lock-timeout', values['lock-timeout'], 0),
        stackTimeout: duration('stack-timeout', values['stack-timeout'], 1000),
      }).filter(([, v]) => v !== undefined),
    ) as Partial<RunOptions>,
    outdir: values.outdir ?? (env.CDKTF_OUTDIR || 'cdktf.out'),
    pluginCacheDir: env.TF_PLUGIN_CACHE_DIR || join(homedir(), '.terraform.d', 'plugin-cache'),
  };
  const runId = (flag: string, id: string): string => {
    if (!RUN_ID.test(id)) throw new UsageError(`--${flag}: ${JSON.stringify(id)} is not a run id (a folder name under cdktf.out/rollout: letters, digits, . _ -)`);
    return id;
  };

  if (values.destroy) {
    for (const id of values.destroy) {
      if (!STACK_ID.test(id)) throw new UsageError(`--destroy: ${JSON.stringify(id)} is not a stack id (allowed: central, or member- or vault- and a 12-digit account id)`);
    }
    return { ...common, command: 'destroy', stacks: [...new Set(values.destroy)], yes: values.yes ?? false };
  }
  if (values.apply !== undefined) return { ...common, command: 'apply', runId: runId('apply', values.apply) };
  if (values.wave === undefined && !values.resume) throw new UsageError(`--wave: required (a wave number or all; \`npm run waves\` lists them)\n${USAGE}`);
  return {
    ...common,
    command: 'rollout',
    planOnly: values.plan ?? false,
    wave: values.wave,
    shard: values.shard === undefined ? undefined : parseShard(values.shard),
    resume: values.resume ?? false,
    runId: values['run-id'] === undefined ? undefined : runId('run-id', values['run-id']),
  };
}
