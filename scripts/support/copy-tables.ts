/**
 * The copy path's DynamoDB tables in the stand-in (scripts/support/dynamodb-standin.ts), with the
 * keys and indexes the handler's LEDGER_SCHEMA declares (equal to what the central stack deploys:
 * a test keeps the two equal).
 */
import { LEDGER_SCHEMA } from '../../handlers/snapshot-copy/ledger';
import type { DynamoDbStandin } from './dynamodb-standin';

export const LEDGER_TABLE = 'ebs-event-hub-copy-ledger';

/** Declares the copy-ledger table (its two indexes) in `dynamodb`. */
export function withLedgerTable(dynamodb: DynamoDbStandin, name = LEDGER_TABLE): DynamoDbStandin {
  const index = (i: (typeof LEDGER_SCHEMA)['bySource'] | (typeof LEDGER_SCHEMA)['byKindExpiry']) => ({
    partitionKey: i.partitionKey,
    sortKey: i.sortKey,
    projection: i.projection,
    nonKeyAttributes: [...i.nonKeyAttributes],
  });
  return dynamodb.defineTable(name, {
    partitionKey: LEDGER_SCHEMA.partitionKey,
    sortKey: LEDGER_SCHEMA.sortKey,
    indexes: { [LEDGER_SCHEMA.bySource.name]: index(LEDGER_SCHEMA.bySource), [LEDGER_SCHEMA.byKindExpiry.name]: index(LEDGER_SCHEMA.byKindExpiry) },
  });
}
