/**
 * The copy ledger table in the central stack: its keys and indexes (equal to what the handler
 * queries), recovery and deletion protection, and which role may do what on it.
 */
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { describe, expect, it } from 'vitest';
import { leafChanges, replacementReasons } from '../../cli/review/force-new';
import { LEDGER_SCHEMA as HANDLER_LEDGER_SCHEMA } from '../../handlers/snapshot-copy/ledger';
import { COPY_LEDGER_TABLE_NAME, LEDGER_SCHEMA, copyLedgerIndexArn, copyLedgerTableArn } from '../../stacks/central/snapshot-copy-ledger';
import { CENTRAL_ACCOUNT, CENTRAL_REGION, rawConfig } from '../support/config';
import { addressOf, inlinePoliciesOf, resourcesOf, theResource } from '../support/synth';
import { COPY, envOf, fnNamed, statement, synthAll, WITH_RETENTION } from './support';

const scope = { accountId: CENTRAL_ACCOUNT, region: CENTRAL_REGION };

describe('the copy ledger table', () => {
  const { central } = synthAll(rawConfig({ snapshotCopy: WITH_RETENTION }));
  const table = () => theResource(central, DynamodbTable.tfResourceType, (t) => t.name === COPY_LEDGER_TABLE_NAME);

  it('keys the handler queries: partition target, sort copySnapshotId; index by-source (KEYS_ONLY) and sparse index by-kind-expiry (kind, expiresAt; INCLUDE sourceSnapshotId)', () => {
    expect(LEDGER_SCHEMA).toEqual(HANDLER_LEDGER_SCHEMA);
    expect(table()).toMatchObject({
      name: 'ebs-event-hub-copy-ledger',
      region: CENTRAL_REGION,
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'target',
      range_key: 'copySnapshotId',
      global_secondary_index: [
        { name: 'by-source', hash_key: 'target', range_key: 'sourceSnapshotId', projection_type: 'KEYS_ONLY' },
        { name: 'by-kind-expiry', hash_key: 'kind', range_key: 'expiresAt', projection_type: 'INCLUDE', non_key_attributes: ['sourceSnapshotId'] },
      ],
    });
    // Every declared attribute is a key of the table or an index, and every key is declared (the provider refuses either mistake).
    const declared = (table()['attribute'] as Array<{ name: string; type: string }>).map((a) => a.name).sort();
    expect(declared).toEqual(['copySnapshotId', 'expiresAt', 'kind', 'sourceSnapshotId', 'target']);
    expect((table()['attribute'] as Array<{ type: string }>).every((a) => a.type === 'S')).toBe(true);
  });

  it('GIVEN a table deployed by the version before (sparse index by-expiry on target) THEN the change to by-kind-expiry replaces nothing: hashicorp/aws 6.25 updates indexes and attributes in place (the review\'s ForceNew table agrees)', () => {
    const after = table();
    const before = {
      ...after,
      attribute: ['target', 'copySnapshotId', 'sourceSnapshotId', 'expiresAt'].map((name) => ({ name, type: 'S' })),
      global_secondary_index: [
        { name: 'by-source', hash_key: 'target', range_key: 'sourceSnapshotId', projection_type: 'KEYS_ONLY' },
        { name: 'by-expiry', hash_key: 'target', range_key: 'expiresAt', projection_type: 'INCLUDE', non_key_attributes: ['sourceSnapshotId'] },
      ],
    };
    const changes = leafChanges(before, after, '', () => undefined);
    expect(changes.map((c) => c.path)).toEqual(expect.arrayContaining(['attribute.name', 'global_secondary_index.name', 'global_secondary_index.hash_key']));
    expect(replacementReasons(DynamodbTable.tfResourceType, changes, { providerRegion: CENTRAL_REGION })).toEqual({ certain: [], conditional: [] });
    // What would replace it (and, deletion protection on, fail the apply): the table's own keys.
    expect(replacementReasons(DynamodbTable.tfResourceType, leafChanges({ hash_key: 'target' }, { hash_key: 'kind' }, '', () => undefined)).certain).toEqual([{ attribute: 'hash_key' }]);
  });

  it('cannot be rebuilt from EC2, so keeps 35 days of point-in-time recovery and deletion protection on; encrypted at rest under an AWS owned key', () => {
    expect(table()).toMatchObject({ point_in_time_recovery: { enabled: true, recovery_period_in_days: 35 }, deletion_protection_enabled: true });
    expect(table()['server_side_encryption']).toBeUndefined();
  });

  it('is created before the step and sweep functions, which name it in LEDGER_TABLE_NAME', () => {
    const address = addressOf(central, DynamodbTable.tfResourceType, (t) => t.name === COPY_LEDGER_TABLE_NAME);
    for (const name of ['ebs-event-hub-copy-step', 'ebs-event-hub-copy-sweep']) {
      expect(fnNamed(central, name)['depends_on']).toContain(address);
      expect(envOf(fnNamed(central, name))['LEDGER_TABLE_NAME']).toBe(COPY_LEDGER_TABLE_NAME);
    }
  });

  it('exists without retention too (Find and Admit read it); then no sweep role exists to read it', () => {
    const { central: noRetention } = synthAll(rawConfig({ snapshotCopy: COPY }));
    expect(resourcesOf(noRetention, DynamodbTable.tfResourceType).map((t) => t['name']).sort()).toEqual(['ebs-event-hub-copy-ledger', 'ebs-event-hub-copy-slots']);
    expect(resourcesOf(noRetention, LambdaFunction.tfResourceType).map((f) => f['function_name'])).not.toContain('ebs-event-hub-copy-sweep');
  });

  it('grants the step role record, membership and Find only, the sweep role the expired-copies index and DeleteItem only', () => {
    const step = inlinePoliciesOf(central, 'ebs-event-hub-copy-step')['ebs-event-hub-copy-step']!;
    expect(statement(step, 'RecordCopies')).toEqual({ Sid: 'RecordCopies', Effect: 'Allow', Action: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'], Resource: copyLedgerTableArn(scope) });
    expect(statement(step, 'FindRecordedCopies')).toEqual({ Sid: 'FindRecordedCopies', Effect: 'Allow', Action: 'dynamodb:Query', Resource: `arn:aws:dynamodb:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:table/ebs-event-hub-copy-ledger/index/by-source` });
    const sweep = inlinePoliciesOf(central, 'ebs-event-hub-copy-sweep')['ebs-event-hub-copy-sweep']!;
    expect(statement(sweep, 'FindExpiredCopies')).toEqual({ Sid: 'FindExpiredCopies', Effect: 'Allow', Action: 'dynamodb:Query', Resource: `arn:aws:dynamodb:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:table/ebs-event-hub-copy-ledger/index/by-kind-expiry` });
    expect(copyLedgerIndexArn(scope, 'byKindExpiry')).toBe(statement(sweep, 'FindExpiredCopies').Resource);
    expect(statement(sweep, 'ForgetDeletedCopies')).toEqual({ Sid: 'ForgetDeletedCopies', Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: copyLedgerTableArn(scope) });
    expect(JSON.stringify(inlinePoliciesOf(central, 'ebs-event-hub-copy-start'))).not.toContain('dynamodb:');
  });
});
