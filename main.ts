/**
 * Entry point run by `cdktf synth` (see cdktf.json): load the config, build the app, synth.
 * With the config loader, the only code that reads the environment or files.
 *
 * Environment:
 * - `ORG_CONFIG`: the org config (JSON or YAML); unset, the embedded example org. A relative path
 *   is resolved against the repository root (this file's folder), wherever the command runs from.
 *   Set but blank is an error (never silently the example).
 * - `CDKTF_OUTDIR`: output folder (set by the cdktf CLI); default `cdktf.out`.
 * - `SYNTH_SHARDS`: threads synthesizing at once, 1-16 in plain decimal digits; default one per
 *   core (at most 4) from 100 member stacks built through cdktf up, else 1.
 * - `SYNTH_FAST=0`: build every member stack through cdktf instead of stamping the members of one
 *   shape out of a template (stacks/stamped-synth.ts; the output is the same bytes). For
 *   debugging and comparison; `1` (or unset) is the default.
 * - `CDKTF_CREATION_STACKS=1`: keep cdktf's token creation stack traces (slow; for debugging).
 * - `EBS_EVENT_HUB_ROLE`: the role every provider assumes, `deploy` (default: `deployment.roleName`)
 *   or `plan` (`deployment.planRoleName`, read-only: a synth for `terraform plan`, which
 *   `npm run rollout` refuses to apply). Anything else is an error.
 */
import { availableParallelism } from 'node:os';
import { ConfigError, loadOrgConfig, orgConfigPath } from './config/load';
import { handlerBundleFromDist } from './handler-bundle';
import { PROVIDER_ROLES, type ProviderRole } from './stacks/base-stack';
import { HandlerBundleMissingError } from './stacks/central-stack';
import { BusPolicyTooLargeError } from './stacks/central/event-bus';
import { RolePolicyTooLargeError } from './stacks/policy/role-with-policies';
import { withoutCreationStacks } from './stacks/creation-stacks';
import { GuardrailError } from './stacks/guardrails';
import { PolicyTooLargeError } from './stacks/policy/policy-limits';
import { synthesize } from './stacks/synth';

/** An environment variable with a value it does not take. */
class EnvError extends Error {
  override readonly name = 'EnvError';
}

/**
 * Mistakes in the user's input (or a precondition the user must fix, like `npm run build`):
 * reported as one message, no stack trace, exit code 1. Every error class the stacks and the
 * config loader throw on what the config asks for; the others (PolicyError, HubKeyPropsError,
 * SuppressionError, UnknownResourceTypeError, ...) are programming errors and keep their trace.
 */
const USER_ERRORS = [
  ConfigError,
  BusPolicyTooLargeError,
  RolePolicyTooLargeError,
  PolicyTooLargeError,
  HandlerBundleMissingError,
  GuardrailError,
  EnvError,
];

/**
 * A user error, also when it comes from a synth worker thread: Node passes a worker's error to
 * the main thread as a plain `Error` that keeps its own `name` property, not its class.
 */
const isUserError = (err: unknown): boolean =>
  err instanceof Error && USER_ERRORS.some((type) => err instanceof type || err.name === type.name);

function providerRole(asked: string | undefined): ProviderRole {
  if (asked === undefined) return 'deploy';
  const role = PROVIDER_ROLES.find((r) => r === asked);
  if (!role) throw new EnvError(`EBS_EVENT_HUB_ROLE: ${JSON.stringify(asked)} is not a provider role (allowed: ${PROVIDER_ROLES.join(', ')}; unset means deploy)`);
  return role;
}

/** Below this many member accounts, starting worker threads costs more than it saves. */
const SHARD_FROM_MEMBERS = 100;

/** SYNTH_SHARDS, or by default a count by how many member stacks are built through cdktf. */
function shardCount(): number | ((membersBuilt: number) => number) {
  const asked = process.env.SYNTH_SHARDS;
  if (asked !== undefined) {
    // Digits only: Number() would also take "1e1", "0x2", " 2" and "2.0".
    const n = /^[0-9]{1,2}$/.test(asked) ? Number(asked) : NaN;
    if (!(n >= 1 && n <= 16)) {
      throw new ConfigError('SYNTH_SHARDS', [`SYNTH_SHARDS: ${JSON.stringify(asked)} is not a whole number from 1 to 16 (plain decimal digits)`]);
    }
    return n;
  }
  return (members) => (members >= SHARD_FROM_MEMBERS ? Math.min(availableParallelism(), 4) : 1);
}

/** SYNTH_FAST: unset or `1` stamps member stacks of one shape (the default), `0` builds each through cdktf. */
function fastSynth(): boolean {
  const asked = process.env.SYNTH_FAST;
  if (asked === undefined || asked === '1') return true;
  if (asked === '0') return false;
  throw new ConfigError('SYNTH_FAST', [`SYNTH_FAST: ${JSON.stringify(asked)} is neither 0 (build every stack through cdktf) nor 1 (stamp member stacks of one shape; the default)`]);
}

async function main(): Promise<void> {
  const role = providerRole(process.env.EBS_EVENT_HUB_ROLE);
  const config = loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, __dirname));
  const snapshotCopyBundle = handlerBundleFromDist();
  const shards = shardCount();
  const fast = fastSynth();
  // Every check that can fail on user input runs (preflight, guardrails) before anything is written.
  // The cdktf CLI sets CDKTF_OUTDIR (`--output`); unset (the app run by hand), cdktf's own default.
  const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';
  await withoutCreationStacks(() => synthesize({ config, snapshotCopyBundle, outdir, shards, fast, providerRole: role }), process.env.CDKTF_CREATION_STACKS === '1');
}

main().catch((err: unknown) => {
  if (isUserError(err)) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  }
  throw err;
});
