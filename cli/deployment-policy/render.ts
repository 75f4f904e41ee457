/**
 * The deployment role policies as files: for the central account and for every member account
 * (`npm run deployment-policy`), each split into customer managed policies that fit IAM's size
 * limit (`.central.json`, then `.central-2.json`, ...). Rendering is pure (config in, file names and
 * contents out); `trackedFilesThatWouldChange` asks git which of them the command must not overwrite.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrgConfig } from '../../config/schema';
import { UsageError } from '../common/errors';
import { wantsHelp } from '../common/help';
import { deploymentRolePolicies, deploymentTargetsOf, planRolePolicies, type DeploymentTarget } from '../../stacks/policy/deployment-role-policy';

/** Where the example org's files are committed (a test fails when they are stale). */
export const DEFAULT_OUT_DIR = 'deployment';

/**
 * The file of the `part`-th (1-based) managed policy of `target`: `deployment-role-policy.*` for the
 * deployment role (`deployment.roleName`), `plan-role-policy.*` for the read-only plan role
 * (`deployment.planRoleName`).
 */
export const policyFileName = (target: DeploymentTarget, part = 1, role: 'deployment' | 'plan' = 'deployment'): string =>
  `${role}-role-policy.${target}${part === 1 ? '' : `-${part}`}.json`;

/** File name -> content (pretty JSON, trailing newline), for every target (vault mode: the vault too) and both roles. */
export function renderDeploymentPolicies(config: OrgConfig): Record<string, string> {
  const targets: DeploymentTarget[] = deploymentTargetsOf(config);
  const files = (role: 'deployment' | 'plan', policies: typeof deploymentRolePolicies) =>
    targets.flatMap((t) => policies(config, t).map((doc, i) => [policyFileName(t, i + 1, role), `${JSON.stringify(doc, null, 2)}\n`]));
  return Object.fromEntries([...files('deployment', deploymentRolePolicies), ...files('plan', planRolePolicies)]);
}

/** A bad command line (the commands' one `UsageError`, re-exported for the tests). */
export { UsageError };

export const USAGE = `usage: npm run -s deployment-policy [-- --out DIR] [--force]

Writes the least-privilege policies of the deployment role (deployment.roleName) for the org config
(ORG_CONFIG, default: the example org): deployment-role-policy.central*.json for the central account
and deployment-role-policy.member*.json for every member account; and those of the read-only plan
role (deployment.planRoleName): plan-role-policy.central*.json and plan-role-policy.member*.json.

  --out DIR    where to write them (default deployment/, which holds the example org's, tracked by git)
  --force      overwrite files git tracks there (without it, a tracked file whose content would
               change is refused: the example org's committed policies are not replaced by accident)

Exit codes: 0 written, 1 a bad argument, an invalid config, or tracked files in the way.`;

export interface DeploymentPolicyArgs {
  readonly outDir: string;
  /** Overwrite files git tracks in `outDir`. */
  readonly force: boolean;
  /** `--help`: print the usage, write nothing. */
  readonly help?: true;
}

/** `--out DIR` (default `deployment`), `--force`, `--help`; anything else is a usage error. */
export function parseArgs(argv: readonly string[]): DeploymentPolicyArgs {
  if (wantsHelp(argv)) return { outDir: DEFAULT_OUT_DIR, force: false, help: true };
  let outDir = DEFAULT_OUT_DIR;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') {
      const value = argv[i + 1];
      if (value === undefined || value.trim() === '' || value.startsWith('--')) {
        throw new UsageError(`--out: needs a directory, got ${JSON.stringify(value ?? null)}`);
      }
      outDir = value;
      i++;
    } else if (arg === '--force') {
      force = true;
    } else {
      throw new UsageError(`${JSON.stringify(arg)}: unknown argument (allowed: --out DIR, --force, --help)`);
    }
  }
  return { outDir, force };
}

/**
 * The files of `files` that git tracks in `dir` and whose content on disk differs from the one
 * to be written (a tracked file deleted from the working tree counts: writing it changes the
 * checkout). Outside a git work tree, or without git, none.
 */
export function trackedFilesThatWouldChange(dir: string, files: Readonly<Record<string, string>>): string[] {
  if (!existsSync(dir)) return [];
  const run = spawnSync('git', ['ls-files', '-z', '--', ...Object.keys(files)], { cwd: dir, encoding: 'utf8' });
  if (run.status !== 0) return [];
  const tracked = new Set(run.stdout.split('\0').filter(Boolean));
  return Object.keys(files).filter((name) => {
    if (!tracked.has(name)) return false;
    try {
      return readFileSync(join(dir, name), 'utf8') !== files[name];
    } catch {
      return true;
    }
  });
}
