import { readdirSync, rmSync } from 'node:fs';
import { App, TerraformStack } from 'cdktf';
import type { MemberConfig, OrgConfig } from '../config/schema';
import type { ProviderRole } from './base-stack';
import { CentralStack, HandlerBundleMissingError } from './central-stack';
import type { HandlerBundle } from './central/snapshot-copy';
import { centralBusPolicy } from './central/event-bus';
import { CENTRAL_STACK_ID, centralBusArn } from './names';
import { MemberStack } from './member-stack';
import { VaultStack } from './vault-stack';

export interface BuildAppProps {
  readonly config: OrgConfig;
  /** @default - cdktf's default: `CDKTF_OUTDIR` or `cdktf.out` */
  readonly outdir?: string;
  /** The built snapshot-copy handler; required when `config.snapshotCopy` is set. */
  readonly snapshotCopyBundle?: HandlerBundle;
  /** The role every stack's provider assumes. @default 'deploy' */
  readonly providerRole?: ProviderRole;
  /**
   * The members whose stacks this app builds (the fast synth stamps the others out of a
   * template, see stamped-synth.ts).
   * @default config.members
   */
  readonly members?: readonly MemberConfig[];
}

export interface Shard {
  readonly index: number;
  readonly count: number;
}

export interface BuiltApp {
  readonly app: App;
  /** The central stack; in a shard other than 0, a placeholder that synthesizes nothing of use. */
  readonly central: TerraformStack;
  readonly members: readonly MemberStack[];
  /** With `snapshotCopy.vault`, in shard 0 only: the vault account's stack. */
  readonly vault?: VaultStack;
}

/**
 * Composes the app: `central` and one `member-<accountId>` stack per member account. Members
 * depend on central so `cdktf deploy '*'` creates the bus policy before any rule targets the bus.
 */
export function buildApp(props: BuildAppProps): BuiltApp & { readonly central: CentralStack } {
  const built = buildShard(props, { index: 0, count: 1 });
  return built as BuiltApp & { central: CentralStack };
}

/**
 * One shard of the app, for parallel synthesis: every `count`-th member stack from `index`.
 * Shard 0 holds the real central stack; the others a placeholder with the same id, so their
 * members still record their dependency on `central` (the placeholder's output is discarded).
 */
export function buildShard(props: BuildAppProps, shard: Shard): BuiltApp {
  preflight(props);
  // synthesize() always names the folder (main.ts: CDKTF_OUTDIR); without one, App's own default.
  const app = new App(props.outdir ? { outdir: props.outdir } : {});
  try {
    const central =
      shard.index === 0
        ? new CentralStack(app, { config: props.config, snapshotCopyBundle: props.snapshotCopyBundle, providerRole: props.providerRole })
        : new TerraformStack(app, CENTRAL_STACK_ID);
    const members = (props.members ?? props.config.members).filter((_, i) => i % shard.count === shard.index).flatMap((member) => addMemberStacks(app, props, member, central));
    // Wave 0 after central (README "Vault mode"): a stack-level dependency, so `cdktf deploy '*'`
    // applies it after central; member stacks refer to nothing in it (key policies and trusts name
    // the vault account, not its resources), so they do not depend on it.
    const vaultConfig = props.config.snapshotCopy?.vault;
    const vault = shard.index === 0 && vaultConfig ? new VaultStack(app, { config: props.config, providerRole: props.providerRole }) : undefined;
    vault?.addDependency(central);
    return { app, central, members, ...(vault ? { vault } : {}) };
  } catch (err) {
    // A construct refused the config (a policy over its size limit, say): `new App()` has just
    // created the output folder (and stacks their empty folders); leave nothing behind. Only a
    // folder tree holding no file is removed: an earlier synth's output stays as it was.
    const entries = readdirSync(app.outdir, { recursive: true, withFileTypes: true });
    if (entries.every((e) => e.isDirectory())) rmSync(app.outdir, { recursive: true });
    throw err;
  }
}

/**
 * The stacks of one member account (today one, `member-<accountId>`), each depending on `central`.
 * The one place they are created: the construct-by-construct synth and the fast synth's templates
 * (stamped-synth.ts) both call it, so a stack added here is in both.
 */
export function addMemberStacks(app: App, props: Pick<BuildAppProps, 'config' | 'providerRole'>, member: MemberConfig, central: TerraformStack): MemberStack[] {
  const stack = new MemberStack(app, { config: props.config, member, providerRole: props.providerRole });
  // A stack-level dependency (the manifest's `dependencies`), not a resource ordering: a
  // member's rules target the central bus, whose policy EventBridge checks at PutTargets.
  stack.addDependency(central);
  return [stack];
}

/**
 * Checks that depend on the whole config and can fail, run before `App` exists: `new App()`
 * creates the output folder, and a failed synth must leave nothing behind.
 */
export function preflight({ config, snapshotCopyBundle }: BuildAppProps): void {
  if (config.snapshotCopy && !snapshotCopyBundle) {
    throw new HandlerBundleMissingError('snapshotCopy is set but the handler is not built: run `npm run build` (`npm run synth` does it first)');
  }
  centralBusPolicy({
    busArn: centralBusArn(config),
    organizationId: config.organizationId,
    memberAccountIds: config.members.map((m) => m.accountId),
  });
}
