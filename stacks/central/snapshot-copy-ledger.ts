/**
 * The copy ledger: a DynamoDB table in the central account and region with one item for every copy
 * the workflow made (handlers/snapshot-copy/ledger.ts). It is how the app tells its own copies from
 * snapshots that merely carry its tags (a volume restored from a copy after a failover, and the
 * snapshots DLM or AWS Backup take of it, can carry them, expired expiry included): Find and
 * ConfirmCopy trust it, Admit counts only its pending copies, and the sweep deletes only the copies
 * it records as expired.
 *
 * Unlike the copy-slots table it cannot be rebuilt from EC2 (that is its point), so:
 * - point-in-time recovery ON, for the longest window (35 days): a bad write or a deleted table can
 *   be restored to any second of it (a deleted table with PITR on also leaves a system backup kept
 *   35 days; PITR's price does not depend on the window).
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery_Howitworks.html
 * - deletion protection ON: a `terraform destroy`, or a change that makes Terraform replace the
 *   table (a new key schema in a later version), fails at apply instead of silently forgetting every
 *   copy, after which the sweep would never delete one again (their storage would be paid forever).
 *   Removing the app on purpose: `aws dynamodb update-table --table-name ebs-event-hub-copy-ledger
 *   --no-deletion-protection-enabled` first (README).
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection
 * - on-demand billing (a few writes per copy, bursts of hundreds); encrypted at rest under an AWS
 *   owned key (no `server_side_encryption` block: nothing to grant; the items are snapshot ids and
 *   times). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html
 *
 * Keys (LEDGER_SCHEMA; the handler's copy is kept equal by a test, since stacks/ may not import
 * handlers/): partition `target` = `<copyAccount>#<destinationRegion>`, sort `copySnapshotId`
 * (membership of a copy id: BatchGetItem, strongly consistent); index `by-source` (target,
 * sourceSnapshotId; KEYS_ONLY) for Find and ConfirmCopy; sparse index `by-kind-expiry` (kind,
 * expiresAt; INCLUDE sourceSnapshotId), holding only copies made with retention, for the sweep's
 * `kind = member-copy | vault-copy AND expiresAt <= now`: one Query returns every expired copy of
 * the organization, page by page, whatever the number of accounts and regions. A global secondary
 * index's key may repeat the table's partition key.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html
 *
 * Changing indexes is an in-place update (hashicorp/aws 6.25: `global_secondary_index` is not
 * ForceNew, unlike `hash_key`, `range_key` and `local_secondary_index`; `recovery_period_in_days`
 * validates 1-35; lonegunmanb/terraform-provider-aws-index@add8b630a, v6.25.0:
 * dynamodb/func.resourceTable.goindex; resourceTableUpdate deletes the indexes that went, one UpdateTable at a time, each waited
 * out, then creates the new ones the same way, waiting for each to be ACTIVE, i.e. backfilled from
 * the existing items). The version before this one had the sparse index `by-expiry` (target,
 * expiresAt), which only a per-account × region sweep could use: it is deleted, and `by-kind-expiry`
 * created and filled from the items already there (every item carries `kind`), so copies recorded
 * before the change are swept like the others. The functions are updated only after the table
 * (they depend on it). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.OnlineOps.html
 */
import type { Construct } from 'constructs';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { PREFIX } from '../names';
import type { Statement } from '../policy/policy';
import type { CopyScope } from './snapshot-copy-common';

export const COPY_LEDGER_TABLE_NAME = `${PREFIX}-copy-ledger`;

/** Keys and indexes of the ledger. Equal to handlers/snapshot-copy/ledger.ts LEDGER_SCHEMA (tested). */
export const LEDGER_SCHEMA = {
  partitionKey: 'target',
  sortKey: 'copySnapshotId',
  bySource: { name: 'by-source', partitionKey: 'target', sortKey: 'sourceSnapshotId', projection: 'KEYS_ONLY', nonKeyAttributes: [] },
  byKindExpiry: { name: 'by-kind-expiry', partitionKey: 'kind', sortKey: 'expiresAt', projection: 'INCLUDE', nonKeyAttributes: ['sourceSnapshotId'] },
} as const;

/** PITR keeps this many days (DynamoDB's maximum, 1-35). */
export const LEDGER_RECOVERY_PERIOD_DAYS = 35;

export const copyLedgerTableArn = (p: CopyScope): string => `arn:aws:dynamodb:${p.region}:${p.accountId}:table/${COPY_LEDGER_TABLE_NAME}`;
/**
 * Query on a global secondary index is authorized on the index's ARN, `<table ARN>/index/<name>`
 * (resource type `index`): https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
 */
export const copyLedgerIndexArn = (p: CopyScope, index: 'bySource' | 'byKindExpiry'): string => `${copyLedgerTableArn(p)}/index/${LEDGER_SCHEMA[index].name}`;

/**
 * The step role's ledger rights, no more: PutItem (record a copy, conditionally), BatchGetItem
 * (which pending copies are recorded) on the table, Query on the index `by-source` (Find,
 * ConfirmCopy). No DeleteItem, UpdateItem or Scan; no Query of the expiry index.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html
 */
export function ledgerStepStatements(p: CopyScope): Statement[] {
  return [
    { Sid: 'RecordCopies', Effect: 'Allow', Action: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'], Resource: copyLedgerTableArn(p) },
    { Sid: 'FindRecordedCopies', Effect: 'Allow', Action: 'dynamodb:Query', Resource: copyLedgerIndexArn(p, 'bySource') },
  ];
}

/**
 * The sweep role's: Query on the index `by-kind-expiry` (expired copies), DeleteItem (forget a deleted
 * or vanished copy). No Query of the table or of `by-source`, no Scan, no write but DeleteItem.
 */
export function ledgerSweepStatements(p: CopyScope): Statement[] {
  return [
    { Sid: 'FindExpiredCopies', Effect: 'Allow', Action: 'dynamodb:Query', Resource: copyLedgerIndexArn(p, 'byKindExpiry') },
    { Sid: 'ForgetDeletedCopies', Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: copyLedgerTableArn(p) },
  ];
}

/** The ledger table, built into `scope` with the id `ledger-table`. */
export function copyLedgerTable(scope: Construct, p: CopyScope): DynamodbTable {
  const index = (i: (typeof LEDGER_SCHEMA)['bySource'] | (typeof LEDGER_SCHEMA)['byKindExpiry']) => ({
    name: i.name,
    hashKey: i.partitionKey,
    rangeKey: i.sortKey,
    projectionType: i.projection,
    ...(i.nonKeyAttributes.length > 0 ? { nonKeyAttributes: [...i.nonKeyAttributes] } : {}),
  });
  return new DynamodbTable(scope, 'ledger-table', {
    name: COPY_LEDGER_TABLE_NAME,
    region: p.region,
    billingMode: 'PAY_PER_REQUEST',
    hashKey: LEDGER_SCHEMA.partitionKey,
    rangeKey: LEDGER_SCHEMA.sortKey,
    // Every attribute declared is a key of the table or of an index (the provider refuses others).
    attribute: [LEDGER_SCHEMA.partitionKey, LEDGER_SCHEMA.sortKey, LEDGER_SCHEMA.bySource.sortKey, LEDGER_SCHEMA.byKindExpiry.partitionKey, LEDGER_SCHEMA.byKindExpiry.sortKey].map((name) => ({ name, type: 'S' })),
    globalSecondaryIndex: [index(LEDGER_SCHEMA.bySource), index(LEDGER_SCHEMA.byKindExpiry)],
    pointInTimeRecovery: { enabled: true, recoveryPeriodInDays: LEDGER_RECOVERY_PERIOD_DAYS },
    deletionProtectionEnabled: true,
  });
}
