/**
 * The `sweep` entry: `{ account, region }` → in that account (its member role, unless it is the
 * function's own) and region, delete this app's copies whose `ebs-event-hub:expires-at` is past.
 * Lists only snapshots carrying the expiry tag (DescribeSnapshots, OwnerIds self, paginated) and
 * deletes one only when decideSweep says so: it bears the provenance tag and its expiry is past.
 * The member role's IAM condition (aws:ResourceTag on the provenance tag) enforces the same rule.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html
 */
import { DeleteSnapshotCommand, DescribeSnapshotsCommand, type Snapshot } from '@aws-sdk/client-ec2';
import type { ClientProvider } from './clients';
import { isRegionName, type SweepConfig } from './config';
import { classifyEc2Error, decideSweep, expiringCopiesQuery, roleArnFor, type FunctionIdentity } from './decide';
import { MalformedEventError, SweepIncompleteError, asError } from './errors';
import type { Log } from './logger';

export interface SweepDeps {
  config: SweepConfig;
  clients: ClientProvider;
  logger: Log;
  self: FunctionIdentity;
  now: () => Date;
}

export interface SweepResult {
  account: string;
  region: string;
  examined: number;
  deleted: number;
  notExpired: number;
  /** Copies an AMI still uses (InvalidSnapshot.InUse): kept, tried again next sweep. */
  inUse: number;
  failed: number;
}

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
  const result: SweepResult = { account, region, examined: 0, deleted: 0, notExpired: 0, inUse: 0, failed: 0 };
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeSnapshotsCommand({ ...expiringCopiesQuery(), ...(NextToken !== undefined ? { NextToken } : {}) }));
    for (const snapshot of page.Snapshots ?? []) {
      result.examined++;
      await sweepOne(snapshot, ec2, now, result, deps);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  deps.logger.info('retention sweep done', { ...result });
  if (result.failed > 0) throw new SweepIncompleteError(`sweep of ${account} ${region}: ${result.failed} expired copies could not be deleted (${result.deleted} deleted)`);
  return result;
}

async function sweepOne(snapshot: Snapshot, ec2: ReturnType<ClientProvider['ec2']>, now: Date, result: SweepResult, deps: SweepDeps): Promise<void> {
  const decision = decideSweep(snapshot, now);
  const keys = { account: result.account, region: result.region, copySnapshotId: snapshot.SnapshotId };
  if (decision.kind === 'keep') {
    if (decision.reason === 'not-expired') result.notExpired++;
    else deps.logger.warn(`copy kept: ${decision.reason}`, { ...keys, decision: 'kept', reason: decision.reason });
    return;
  }
  try {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot.SnapshotId! }));
    result.deleted++;
    deps.logger.info('expired copy deleted', { ...keys, decision: 'deleted' });
  } catch (caught) {
    const error = asError(caught);
    if (classifyEc2Error(error) === 'not-found') return; // already gone
    if (error.name === 'InvalidSnapshot.InUse') {
      result.inUse++;
      deps.logger.warn('expired copy kept: an AMI uses it', { ...keys, decision: 'kept', reason: 'in-use' });
      return;
    }
    result.failed++;
    deps.logger.error(`expired copy not deleted: ${error.name}: ${error.message}`, { ...keys, decision: 'failed', error: { name: error.name, message: error.message } });
  }
}
