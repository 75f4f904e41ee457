/**
 * The `sweep` entry: `{ account, region }` → in that account (its member role, unless it is the
 * function's own) and region, delete this app's copies whose expiry has passed.
 *
 * What is "this app's copy" and when it expires comes from the copy ledger (./ledger), never from
 * tags alone: a snapshot of a volume restored from a copy can carry the copy's tags, expired expiry
 * included, and must never be deleted. The sweep reads only the ledger's expired items (Query on the
 * index `by-expiry`, a page of SWEEP_PAGE_SIZE at a time), describes each page in EC2 (one
 * DescribeSnapshots with a `snapshot-id` filter), and per copy (decideSweep):
 *   gone from EC2                      → its ledger item is removed (`gone`)
 *   tags still name the recorded source and the `expires-at` tag has passed too
 *                                      → DeleteSnapshot, then the ledger item is removed (`deleted`)
 *   `expires-at` moved later           → kept (`notExpired`), looked at again next sweep
 *   tags removed or changed            → kept (`kept`, logged): the member role's IAM condition on
 *                                        ec2:DeleteSnapshot (both tags) would refuse it anyway
 * InvalidSnapshot.InUse (an AMI uses it) → kept (`inUse`); NotFound on delete → gone. Any other
 * failure is counted and, after the whole sweep, thrown as SweepIncompleteError.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html
 */
import { DeleteSnapshotCommand, DescribeSnapshotsCommand, type Snapshot } from '@aws-sdk/client-ec2';
import type { ClientProvider } from './clients';
import { isRegionName, type SweepConfig } from './config';
import { classifyEc2Error, decideSweep, roleArnFor, type FunctionIdentity } from './decide';
import { MalformedEventError, SweepIncompleteError, asError } from './errors';
import { ledgerCopiesQuery, type ExpiredCopy, type LedgerStore } from './ledger';
import type { Log } from './logger';

export interface SweepDeps {
  config: SweepConfig;
  clients: ClientProvider;
  /** The copy ledger (./ledger: createLedgerStore). */
  ledger: LedgerStore;
  logger: Log;
  self: FunctionIdentity;
  now: () => Date;
}

export interface SweepResult {
  account: string;
  region: string;
  /** Copies the ledger records as expired. */
  examined: number;
  deleted: number;
  /** Their `expires-at` tag was moved later: kept. */
  notExpired: number;
  /** Copies an AMI still uses (InvalidSnapshot.InUse): kept, tried again next sweep. */
  inUse: number;
  /** Their tags no longer say they are this app's expired copy: kept. */
  kept: number;
  /** No longer in EC2 (deleted by someone else): their ledger items removed. */
  gone: number;
  failed: number;
}

type Ec2 = ReturnType<ClientProvider['ec2']>;

export async function handleSweep(event: unknown, deps: SweepDeps): Promise<SweepResult> {
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const account = e['account'];
  const region = e['region'];
  if (typeof account !== 'string' || !/^\d{12}$/.test(account) || typeof region !== 'string' || !isRegionName(region)) {
    throw new MalformedEventError(`sweep input must be { "account": <12 digits>, "region": <region name> }, got ${JSON.stringify(event)?.slice(0, 200)}`);
  }
  const roleArn = roleArnFor(account, deps.self, deps.config.memberRoleName);
  const ec2 = deps.clients.ec2({ region, ...(roleArn !== undefined ? { roleArn, roleSessionName: 'snapshot-copy-sweep' } : {}) });
  const now = deps.now();
  const result: SweepResult = { account, region, examined: 0, deleted: 0, notExpired: 0, inUse: 0, kept: 0, gone: 0, failed: 0 };
  for await (const page of deps.ledger.expired(account, region, now)) {
    const described = await describePage(ec2, page);
    for (const copy of page) {
      result.examined++;
      await sweepOne(copy, described.get(copy.copySnapshotId), ec2, now, result, deps);
    }
  }
  deps.logger.info('retention sweep done', { ...result });
  if (result.failed > 0) throw new SweepIncompleteError(`sweep of ${account} ${region}: ${result.failed} expired copies could not be deleted (${result.deleted} deleted)`);
  return result;
}

/** The page's copies as EC2 describes them now (absent: gone), every page of the answer. */
async function describePage(ec2: Ec2, page: readonly ExpiredCopy[]): Promise<Map<string, Snapshot>> {
  const found = new Map<string, Snapshot>();
  let NextToken: string | undefined;
  do {
    const out = await ec2.send(new DescribeSnapshotsCommand({ ...ledgerCopiesQuery(page.map((c) => c.copySnapshotId)), ...(NextToken !== undefined ? { NextToken } : {}) }));
    for (const s of out.Snapshots ?? []) if (s.SnapshotId) found.set(s.SnapshotId, s);
    NextToken = out.NextToken;
  } while (NextToken);
  return found;
}

async function sweepOne(copy: ExpiredCopy, snapshot: Snapshot | undefined, ec2: Ec2, now: Date, result: SweepResult, deps: SweepDeps): Promise<void> {
  const keys = { account: result.account, region: result.region, copySnapshotId: copy.copySnapshotId, sourceSnapshotId: copy.sourceSnapshotId, expiresAt: copy.expiresAt };
  const forget = async (counter: 'deleted' | 'gone', message: string) => {
    result[counter]++;
    deps.logger.info(message, { ...keys, decision: counter === 'deleted' ? 'deleted' : 'forgotten' });
    await deps.ledger.forget(result.account, result.region, copy.copySnapshotId);
  };
  const decision = decideSweep(snapshot, copy, now);
  if (decision.kind === 'forget') return forget('gone', 'expired copy already gone; ledger item removed');
  if (decision.kind === 'keep') {
    if (decision.reason === 'not-expired') result.notExpired++;
    else {
      result.kept++;
      deps.logger.warn(`expired copy kept: ${decision.reason} (its tags no longer mark it as an expired copy of ${copy.sourceSnapshotId})`, { ...keys, decision: 'kept', reason: decision.reason });
    }
    return;
  }
  try {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: copy.copySnapshotId }));
  } catch (caught) {
    const error = asError(caught);
    if (classifyEc2Error(error) === 'not-found') return forget('gone', 'expired copy already gone; ledger item removed');
    if (error.name === 'InvalidSnapshot.InUse') {
      result.inUse++;
      deps.logger.warn('expired copy kept: an AMI uses it', { ...keys, decision: 'kept', reason: 'in-use' });
      return;
    }
    result.failed++;
    deps.logger.error(`expired copy not deleted: ${error.name}: ${error.message}`, { ...keys, decision: 'failed', error: { name: error.name, message: error.message } });
    return;
  }
  await forget('deleted', 'expired copy deleted');
}
