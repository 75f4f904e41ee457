/**
 * The deployment role policies as files: for the central account and for every member account
 * (`npm run deployment-policy`), each split into customer managed policies that fit IAM's size
 * limit (`.central.json`, then `.central-2.json`, ...). Pure: config in, file names and contents out.
 */
import type { OrgConfig } from '../../config/schema';
import { UsageError } from '../common/errors';
import { deploymentRolePolicies, planRolePolicies, type DeploymentTarget } from '../../stacks/policy/deployment-role-policy';

/** Where the example org's files are committed (a test fails when they are stale). */
export const DEFAULT_OUT_DIR = 'deployment';

/**
 * The file of the `part`-th (1-based) managed policy of `target`: `deployment-role-policy.*` for the
 * deployment role (`deployment.roleName`), `plan-role-policy.*` for the read-only plan role
 * (`deployment.planRoleName`).
 */
export const policyFileName = (target: DeploymentTarget, part = 1, role: 'deployment' | 'plan' = 'deployment'): string =>
  `${role}-role-policy.${target}${part === 1 ? '' : `-${part}`}.json`;

/** File name -> content (pretty JSON, trailing newline), for both targets and both roles. */
export function renderDeploymentPolicies(config: OrgConfig): Record<string, string> {
  const targets: DeploymentTarget[] = ['central', 'member'];
  const files = (role: 'deployment' | 'plan', policies: typeof deploymentRolePolicies) =>
    targets.flatMap((t) => policies(config, t).map((doc, i) => [policyFileName(t, i + 1, role), `${JSON.stringify(doc, null, 2)}\n`]));
  return Object.fromEntries([...files('deployment', deploymentRolePolicies), ...files('plan', planRolePolicies)]);
}

/** A bad command line (the commands' one `UsageError`, re-exported for the tests). */
export { UsageError };

/** `--out DIR` (default `deployment`); anything else is a usage error. */
export function parseArgs(argv: readonly string[]): { outDir: string } {
  let outDir = DEFAULT_OUT_DIR;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') {
      const value = argv[i + 1];
      if (value === undefined || value.trim() === '' || value.startsWith('--')) {
        throw new UsageError(`--out: needs a directory, got ${JSON.stringify(value ?? null)}`);
      }
      outDir = value;
      i++;
    } else {
      throw new UsageError(`${JSON.stringify(arg)}: unknown argument (allowed: --out DIR)`);
    }
  }
  return { outDir };
}
