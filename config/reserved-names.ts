/**
 * Names the app itself gives to AWS resources and tags, as plain data: the config validation needs
 * them (a configured role name must not collide with one of these), and `config/` imports nothing
 * from `stacks/`. `stacks/names.ts` re-exports them, so there is one definition.
 */

/** Prefix of every resource name this app creates. */
export const PREFIX = 'ebs-event-hub';

/** Role in each member account that EventBridge assumes to put events on the central bus. */
export const FORWARDER_ROLE_NAME = `${PREFIX}-forwarder`;

/** The snapshot-copy function's role, in the central account. */
export const COPY_FUNCTION_ROLE_NAME = `${PREFIX}-snapshot-copy-function`;

/** Tag keys the app sets on every resource of a stack (provider `default_tags`). */
export const STACK_TAG_KEY = `${PREFIX}:stack`;
export const MEMBER_TAG_KEY = `${PREFIX}:member`;

/**
 * Tag keys starting with this are the app's own (`ebs-event-hub:stack`, `ebs-event-hub:member`,
 * and the provenance tags the copy function puts on copies): `deployment.defaultTags` may not set them.
 */
export const APP_TAG_KEY_PREFIX = `${PREFIX}:`;
