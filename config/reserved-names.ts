/**
 * Names the app itself gives to AWS resources and tags, as plain data: the config validation needs
 * them (a configured role name must not collide with one of these), and `config/` imports nothing
 * from `stacks/`. `stacks/names.ts` re-exports them, so there is one definition.
 */

/** Prefix of every resource name this app creates. */
export const PREFIX = 'ebs-event-hub';

/** Role in each member account that EventBridge assumes to put events on the central bus. */
export const FORWARDER_ROLE_NAME = `${PREFIX}-forwarder`;

/**
 * The snapshot-copy workflow in the central account: three functions from one bundle, each with a
 * role of the same name, and the Standard state machine that runs one execution per snapshot.
 */
export const COPY_START_FUNCTION_NAME = `${PREFIX}-copy-start`;
export const COPY_STEP_FUNCTION_NAME = `${PREFIX}-copy-step`;
export const COPY_SWEEP_FUNCTION_NAME = `${PREFIX}-copy-sweep`;
export const COPY_STATE_MACHINE_NAME = `${PREFIX}-snapshot-copy`;
/** The retention sweep's state machine (a Map over every member account and destination region). */
export const COPY_SWEEP_STATE_MACHINE_NAME = `${PREFIX}-copy-sweep`;
/**
 * Every IAM role the copy path creates in the central account (the functions' roles share their
 * names; the state machines' and the sweep schedule's roles are suffixed): a member role name must
 * not collide with them when the central account is also a member.
 */
export const CENTRAL_COPY_ROLE_NAMES: readonly string[] = [
  COPY_START_FUNCTION_NAME,
  COPY_STEP_FUNCTION_NAME,
  `${COPY_STATE_MACHINE_NAME}-states`,
  COPY_SWEEP_FUNCTION_NAME,
  `${COPY_SWEEP_STATE_MACHINE_NAME}-states`,
  `${PREFIX}-copy-sweep-events`,
];

/**
 * Vault mode (`snapshotCopy.vault`): the role in the vault account that the central copy step (and,
 * with `vault.retentionDays`, the sweep) assumes to copy, lock and expire vault copies. It exists
 * in the vault account only, where `deployment.roleName` and `deployment.planRoleName` must not
 * take its name.
 */
export const VAULT_ROLE_NAME = `${PREFIX}-vault-copy`;

/** Tag keys the app sets on every resource of a stack (provider `default_tags`). */
export const STACK_TAG_KEY = `${PREFIX}:stack`;
export const MEMBER_TAG_KEY = `${PREFIX}:member`;

/**
 * Tag keys starting with this are the app's own (`ebs-event-hub:stack`, `ebs-event-hub:member`,
 * and the provenance tags the copy function puts on copies): `deployment.defaultTags` may not set them.
 */
export const APP_TAG_KEY_PREFIX = `${PREFIX}:`;
