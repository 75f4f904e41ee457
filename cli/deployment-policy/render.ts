/**
 * The deployment role policies as files: one for the central account, one for every member
 * account (`npm run deployment-policy`). Pure: config in, file names and contents out.
 */
import type { OrgConfig } from '../../config/schema';
import { deploymentRolePolicy, type DeploymentTarget } from '../../stacks/deployment-role-policy';

/** Where the example org's files are committed (a test fails when they are stale). */
export const DEFAULT_OUT_DIR = 'deployment';

export const policyFileName = (target: DeploymentTarget): string => `deployment-role-policy.${target}.json`;

/** File name -> content (pretty JSON, trailing newline), for both targets. */
export function renderDeploymentPolicies(config: OrgConfig): Record<string, string> {
  const targets: DeploymentTarget[] = ['central', 'member'];
  return Object.fromEntries(targets.map((t) => [policyFileName(t), `${JSON.stringify(deploymentRolePolicy(config, t), null, 2)}\n`]));
}

/** A bad command line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

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
