/**
 * `npm run deployment-policy [-- --out DIR]`: writes the least-privilege deployment role policies
 * for the org config (`ORG_CONFIG`, else the example org) to DIR (default `deployment/`):
 * `deployment-role-policy.central.json` and `deployment-role-policy.member.json`.
 * See README, "Deployment identity".
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadOrgConfig, orgConfigPath } from '../config/load';
import { parseArgs, renderDeploymentPolicies, UsageError } from './deployment-policy/render';

function main(argv: readonly string[]): void {
  const { outDir } = parseArgs(argv);
  const files = renderDeploymentPolicies(loadOrgConfig(orgConfigPath(process.env.ORG_CONFIG, join(__dirname, '..'))));
  mkdirSync(outDir, { recursive: true });
  // Every file is rendered before any is written, and each lands by rename: nothing half-written.
  for (const [name, content] of Object.entries(files)) {
    const path = join(outDir, name);
    writeFileSync(`${path}.tmp`, content);
    renameSync(`${path}.tmp`, path);
    process.stdout.write(`wrote ${path}\n`);
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
}
