/**
 * Named errors of the snapshot-copy entry points. Each sets `name` explicitly: the bundle is
 * minified (class names are mangled), and for the `step` entry the name IS the contract: Lambda
 * reports it as the `errorType`, which Step Functions uses as the state's `Error`, which the
 * definition's Retry/Catch match (stacks/central/copy-workflow.ts WORKFLOW_ERRORS; a test keeps the
 * two lists equal, since handlers may not import stacks/).
 */

/** Error names the copy workflow matches. Keep equal to WORKFLOW_ERRORS in stacks/central/copy-workflow.ts. */
export const STEP_ERRORS = {
  sourceNotReady: 'SourceSnapshotNotReady',
  ec2Unavailable: 'Ec2Unavailable',
  copyOutcomeUnknown: 'CopyOutcomeUnknown',
  copyNotVisibleYet: 'CopyNotVisibleYet',
  copyPending: 'CopyPending',
  copyStillPending: 'CopyStillPending',
  waitTimedOut: 'CopyWaitTimedOut',
  copyFailed: 'CopyFailed',
  permissionDenied: 'CopyPermissionDenied',
  sourceGone: 'SourceSnapshotGone',
  invalidInput: 'InvalidCopyInput',
  slotTableUnavailable: 'SlotTableUnavailable',
  sourceKeyNotAccessible: 'SourceKeyNotAccessible',
  memberCopyGone: 'MemberCopyGone',
  vaultShareRefused: 'VaultShareRefused',
  vaultPermissionDenied: 'VaultPermissionDenied',
  vaultCopyFailed: 'VaultCopyFailed',
  vaultLockFailed: 'VaultLockFailed',
} as const;
export type StepErrorName = (typeof STEP_ERRORS)[keyof typeof STEP_ERRORS];

/** An error the workflow matches by name. `details` go into logs (and, through the message, into the execution's cause). */
export class StepError extends Error {
  constructor(
    name: StepErrorName,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = name;
  }
}

/**
 * A base class whose instances carry `name` (kept through minification, unlike the class name).
 * Each named error below is its own class, so `instanceof` tells them apart.
 */
const namedError = (name: string) =>
  class extends Error {
    constructor(message: string) {
      super(message);
      this.name = name;
    }
  };

/** The function's environment (or its Lambda context) is unusable. Thrown once per container, loudly. */
export class ConfigurationError extends namedError('ConfigurationError') {}

/** The input is not an event this function can understand. The record fails (and ends in the DLQ). */
export class MalformedEventError extends namedError('MalformedEventError') {}

/** `start` was invoked with something other than an SQS batch (e.g. a bare event, by hand or by a forged rule). */
export class NotAnSqsBatchError extends namedError('NotAnSqsBatchError') {}

/** A record came from a queue other than COPY_QUEUE_ARN: refused, never processed. */
export class ForeignEventSourceError extends namedError('ForeignEventSourceError') {}

export const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));

/**
 * Node.js network failures (the error's `code`) the AWS SDK itself retries as transient: a request
 * that fails with one of these after the SDK's retries met an outage, not a refusal. The SDK's lists,
 * NODEJS_TIMEOUT_ERROR_CODES and NODEJS_NETWORK_ERROR_CODES (@smithy/core, service-error-classification):
 * https://github.com/smithy-lang/smithy-typescript/blob/main/packages/service-error-classification/src/constants.ts
 */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
export const isNetworkError = (error: unknown): boolean => NETWORK_ERROR_CODES.has(String((error as { code?: unknown } | undefined)?.code));
