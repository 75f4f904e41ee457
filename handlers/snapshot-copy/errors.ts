/**
 * Named errors of the snapshot-copy handler. Each sets `name` explicitly: the bundle is minified, so
 * class names are not preserved and logs would otherwise show a mangled constructor name.
 */

/** The function's environment (or its Lambda context) is unusable. Thrown once per container, loudly. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** The input is not an event this function can understand. Never retried into success: ends in the DLQ. */
export class MalformedEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedEventError';
  }
}

/**
 * EC2 refused the copy with ResourceLimitExceeded: the destination region already runs its maximum
 * number of concurrent snapshot copies (20 per account and region, not adjustable). The SDK does not
 * retry this; the record fails so the queue redelivers it after its visibility timeout.
 */
export class CopyQuotaExceededError extends Error {
  readonly snapshotId: string;
  readonly destinationRegion: string;
  constructor(snapshotId: string, destinationRegion: string, cause: unknown) {
    super(
      `CopySnapshot of ${snapshotId} to ${destinationRegion} refused: too many snapshot copies in progress ` +
        `(ResourceLimitExceeded: ${cause instanceof Error ? cause.message : String(cause)}); the queue will retry the message`,
      { cause },
    );
    this.name = 'CopyQuotaExceededError';
    this.snapshotId = snapshotId;
    this.destinationRegion = destinationRegion;
  }
}

/** The source snapshot exists but is not yet (or no longer) in a copyable state; retried by the queue. */
export class SourceSnapshotNotReadyError extends Error {
  constructor(snapshotId: string, sourceRegion: string, state: string) {
    super(`source snapshot ${snapshotId} in ${sourceRegion} is in state "${state}", not "completed"; the queue will retry the message`);
    this.name = 'SourceSnapshotNotReadyError';
  }
}

/** Several snapshots of one multi-volume event failed; `errors` holds each failure. */
export class SnapshotSetCopyError extends Error {
  readonly errors: readonly Error[];
  constructor(errors: readonly Error[]) {
    super(`${errors.length} snapshot copies of the set failed: ${errors.map((e) => `${e.name}: ${e.message}`).join('; ')}`);
    this.name = 'SnapshotSetCopyError';
    this.errors = errors;
  }
}

export const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));
