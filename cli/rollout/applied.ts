/**
 * The copy the rollout keeps of every stack it applied (or found unchanged), so the stack can
 * still be destroyed once it is no longer synthesized (its member removed from the config, after
 * which `cdktf synth` deletes its folder):
 *
 *   cdktf.out/rollout/applied/<stack>/cdk.tf.json   the stack's `terraform` block (backend,
 *                                                   required providers) and `provider` blocks,
 *                                                   without its resources
 *   cdktf.out/rollout/applied/<stack>/applied.json  when, by which run, from which cdk.tf.json
 *
 * Why no resources: `terraform plan -destroy` plans the deletion of everything in the state, and
 * resources in the state that the configuration no longer declares are destroyed through the
 * provider configuration they were created with (same address, `provider["registry.terraform.io/hashicorp/aws"]`).
 * The backend says where that state is; the provider block which account and role. So this small
 * copy destroys exactly what the state holds, and 10,000 of them cost a few MB, not a second copy
 * of every stack.
 *
 * With local state (no `deployment.state`), the state file lives in the stack's synthesized
 * folder (`cdktf.out/stacks/<stack>/terraform.<stack>.tfstate`), which the synth refuses to delete
 * while it holds resources (stacks/local-state.ts): `--destroy` then uses that folder.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rolloutRoot } from './state';

export const appliedDir = (outdir: string, stackId: string): string => join(rolloutRoot(outdir), 'applied', stackId);

export interface AppliedRecord {
  readonly stack: string;
  readonly runId: string;
  readonly at: string;
  /** SHA-256 of the full cdk.tf.json that was applied. */
  readonly cdkSha256: string;
}

/** The parts of a synthesized stack a destroy needs: its terraform (backend) and provider blocks. */
export function destroySkeleton(cdkTfJson: string): string {
  const full = JSON.parse(cdkTfJson) as Record<string, unknown>;
  const skeleton = {
    '//': 'Kept by npm run rollout when it applied this stack: its backend and providers, to destroy what its state holds (npm run rollout -- --destroy <stack>).',
    terraform: full.terraform,
    provider: full.provider,
  };
  return `${JSON.stringify(skeleton, null, 2)}\n`;
}

/** Keeps (or refreshes) the copy of a stack applied from `stackDir`; rewrites files only when they changed. */
export function keepAppliedCopy(outdir: string, stackId: string, stackDir: string, record: Omit<AppliedRecord, 'stack'>): void {
  const dir = appliedDir(outdir, stackId);
  const skeleton = destroySkeleton(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'cdk.tf.json');
  if (!existsSync(path) || readFileSync(path, 'utf8') !== skeleton) writeFileSync(path, skeleton);
  writeFileSync(join(dir, 'applied.json'), `${JSON.stringify({ stack: stackId, ...record }, null, 2)}\n`);
}

export function readAppliedRecord(outdir: string, stackId: string): AppliedRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(appliedDir(outdir, stackId), 'applied.json'), 'utf8')) as AppliedRecord;
  } catch {
    return undefined;
  }
}

export const forgetAppliedCopy = (outdir: string, stackId: string): void => rmSync(appliedDir(outdir, stackId), { recursive: true, force: true });
