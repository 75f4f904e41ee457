/**
 * `npm run deployment-policy [-- --out DIR] [--force]`: writes the least-privilege deployment role
 * policies for the org config (`ORG_CONFIG`, else the example org) to DIR (default `deployment/`):
 * `deployment-role-policy.central*.json` and `deployment-role-policy.member*.json` (the deployment
 * role), and `plan-role-policy.central*.json` and `plan-role-policy.member*.json` (the read-only plan
 * role). Files git tracks there are overwritten only with `--force`. See README, "Deployment identity".
 */
import { join } from 'node:path';
import { ConfigError, loadOrgConfig, orgConfigPath } from '../config/load';
import { writeFilesAtomically } from './common/atomic';
import { UsageError } from './common/errors';
import { finish } from './common/exit';
import { parseArgs, renderDeploymentPolicies, trackedFilesThatWouldChange, USAGE } from './deployment-policy/render';

async function main(argv: readonly string[]): Promise<number> {
  const { outDir, force, help } = parseArgs(argv);
  if (help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const files = renderDeploymentPolicies(loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, join(__dirname, '..'))));
  const tracked = force ? [] : trackedFilesThatWouldChange(outDir, files);
  if (tracked.length > 0) {
    throw new UsageError(
      `${outDir}: would overwrite ${tracked.length === 1 ? 'a file' : `${tracked.length} files`} tracked by git (${tracked.map((f) => join(outDir, f)).join(', ')}); pass --force to overwrite, or --out DIR to write elsewhere`,
    );
  }
  // Every file is rendered before any is written, and they land together: nothing half-written.
  writeFilesAtomically(outDir, files);
  for (const name of Object.keys(files)) process.stdout.write(`wrote ${join(outDir, name)}\n`);
  return 0;
}

// Exit 1 on a user error (the deployment-role-policy tests pin it), not the other commands' 2.
if (require.main === module) finish(main(process.argv.slice(2)), [UsageError, ConfigError], () => 1);
