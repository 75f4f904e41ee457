/**
 * A synth for planning (`EBS_EVENT_HUB_ROLE=plan`) has every provider assume the read-only plan
 * role: applying it would fail on the first write, stack after stack, after the plans said
 * "changes". `npm run rollout` refuses it up front with this check (exit 2, like a cdktf.out from
 * another config). The synth stamp records the role; a stamp without one predates the switch and
 * was synthesized for deploying.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SYNTH_STAMP_FILE } from '../../stacks/synth-stamp';
import { UsageError } from './errors';

/** The role a stamp records (`deploy` when it names none); throws for anything else. */
export function stampedRole(stamp: unknown, where: string): 'deploy' | 'plan' {
  const role = stamp && typeof stamp === 'object' ? (stamp as { role?: unknown }).role : undefined;
  if (role === undefined || role === 'deploy' || role === 'plan') return role ?? 'deploy';
  throw new UsageError(`${where}: unknown provider role ${JSON.stringify(role)} in ${SYNTH_STAMP_FILE}; run \`npm run synth\` again`);
}

/**
 * Throws `UsageError` when `outdir` was synthesized for planning. Call it after `readSynthOutput`
 * (which checks the folder exists and matches the config) and before any `terraform` runs.
 */
export function assertSynthForDeploy(outdir: string, cwd = process.cwd()): void {
  const path = resolve(cwd, outdir, SYNTH_STAMP_FILE);
  let stamp: unknown;
  try {
    stamp = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${outdir}: cannot read ${SYNTH_STAMP_FILE} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); run \`npm run synth\` first`);
  }
  if (stampedRole(stamp, outdir) === 'plan') {
    throw new UsageError(
      `${outdir}: was synthesized for planning (EBS_EVENT_HUB_ROLE=plan): its providers assume the read-only plan role, which cannot apply; run \`npm run synth\` without EBS_EVENT_HUB_ROLE, then the rollout`,
    );
  }
}
