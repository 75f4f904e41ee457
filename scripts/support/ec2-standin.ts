/**
 * Loopback stand-in for the EC2 and STS Query APIs, for tests and the handler benchmark.
 *
 * It is NOT handler code: it never ships in the Lambda bundle. It listens on 127.0.0.1 only, speaks
 * just enough of the EC2 Query protocol (DescribeSnapshots, CopySnapshot) and of STS (AssumeRole) for
 * the real AWS SDK v3 stack to run against it, and records every request it sees (action, signing
 * region and service, access key, form parameters) so callers can count and inspect calls.
 *
 * Point the SDK at it with AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_STS = `standin.url`.
 * Faults are scripted per action with `failNext`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StandinSnapshot {
  snapshotId: string;
  region: string;
  ownerId: string;
  state: 'pending' | 'completed' | 'error' | 'recoverable' | 'recovering';
  tags: Array<{ key: string; value: string }>;
  description?: string;
  volumeId?: string;
  encrypted?: boolean;
  kmsKeyId?: string;
  /** For copies made through the stand-in: where they came from. */
  copiedFrom?: { region: string; snapshotId: string };
}

export interface StandinRequest {
  service: string;
  action: string;
  /** Signing region from the SigV4 credential scope. */
  region: string;
  accessKeyId: string;
  /** Account the access key belongs to (assumed-role keys map to the role's account). */
  account: string;
  params: Record<string, string>;
}

export interface StandinFault {
  code: string;
  message?: string;
  /** HTTP status; EC2 answers throttling with 503 and client errors with 400. */
  status?: number;
}

export interface Ec2Standin {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly requests: readonly StandinRequest[];
  /** Requests for one action, in arrival order. */
  calls(action: string): StandinRequest[];
  addSnapshot(snapshot: StandinSnapshot): void;
  snapshots(): StandinSnapshot[];
  /** The next `times` requests for `action` fail with `fault`. */
  failNext(action: string, fault: StandinFault, times?: number): void;
  /** Clears requests, snapshots and scripted faults (keeps the server running). */
  reset(): void;
  close(): Promise<void>;
}

export interface StandinOptions {
  /** Account that owns requests signed with keys the stand-in did not issue. */
  defaultAccount: string;
}

const escapeXml = (value: string): string =>
  value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/** `Prefix.1`, `Prefix.2`, … in order. */
function listParam(params: Record<string, string>, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; params[`${prefix}.${i}`] !== undefined; i++) out.push(params[`${prefix}.${i}`]!);
  return out;
}

function parseAuthorization(header: string | undefined): { accessKeyId: string; region: string; service: string } {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(header ?? '');
  return match ? { accessKeyId: match[1]!, region: match[2]!, service: match[3]! } : { accessKeyId: '', region: '', service: '' };
}

function snapshotXml(s: StandinSnapshot): string {
  const tags = s.tags.map((t) => `<item><key>${escapeXml(t.key)}</key><value>${escapeXml(t.value)}</value></item>`).join('');
  return (
    '<item>' +
    `<snapshotId>${s.snapshotId}</snapshotId>` +
    `<volumeId>${s.volumeId ?? 'vol-0123456789abcdef0'}</volumeId>` +
    `<status>${s.state}</status>` +
    '<startTime>2025-01-01T00:00:00.000Z</startTime>' +
    `<progress>${s.state === 'completed' ? '100%' : '0%'}</progress>` +
    `<ownerId>${s.ownerId}</ownerId>` +
    '<volumeSize>8</volumeSize>' +
    `<description>${escapeXml(s.description ?? '')}</description>` +
    `<encrypted>${s.encrypted ? 'true' : 'false'}</encrypted>` +
    (s.kmsKeyId ? `<kmsKeyId>${escapeXml(s.kmsKeyId)}</kmsKeyId>` : '') +
    (tags ? `<tagSet>${tags}</tagSet>` : '') +
    '<storageTier>standard</storageTier>' +
    '</item>'
  );
}

export async function startEc2Standin(options: StandinOptions): Promise<Ec2Standin> {
  const requests: StandinRequest[] = [];
  let snapshots: StandinSnapshot[] = [];
  const faults = new Map<string, Array<StandinFault>>();
  const keyAccounts = new Map<string, string>();
  let counter = 0;
  const nextId = (): string => (++counter).toString(16).padStart(17, '0');

  const ec2Error = (res: ServerResponse, status: number, code: string, message: string): void => {
    res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>req-${nextId()}</RequestID></Response>`,
    );
  };
  const stsError = (res: ServerResponse, status: number, code: string, message: string): void => {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>req-${nextId()}</RequestId></ErrorResponse>`,
    );
  };
  const ok = (res: ServerResponse, body: string): void => {
    res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  };

  const describeSnapshots = (req: StandinRequest, res: ServerResponse): void => {
    const ids = listParam(req.params, 'SnapshotId');
    const owners = listParam(req.params, 'Owner').map((o) => (o === 'self' ? req.account : o));
    const filters: Array<{ name: string; values: string[] }> = [];
    for (let i = 1; req.params[`Filter.${i}.Name`] !== undefined; i++) {
      filters.push({ name: req.params[`Filter.${i}.Name`]!, values: listParam(req.params, `Filter.${i}.Value`) });
    }
    const inRegion = snapshots.filter((s) => s.region === req.region);
    for (const id of ids) {
      if (!inRegion.some((s) => s.snapshotId === id)) {
        ec2Error(res, 400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
        return;
      }
    }
    const found = inRegion.filter((s) => {
      if (ids.length > 0 && !ids.includes(s.snapshotId)) return false;
      if (ids.length === 0 && s.ownerId !== req.account) return false; // no public snapshots here
      if (owners.length > 0 && !owners.includes(s.ownerId)) return false;
      return filters.every((f) => {
        if (f.name.startsWith('tag:')) {
          const key = f.name.slice(4);
          return s.tags.some((t) => t.key === key && f.values.includes(t.value));
        }
        if (f.name === 'tag-key') return s.tags.some((t) => f.values.includes(t.key));
        if (f.name === 'status') return f.values.includes(s.state);
        return true;
      });
    });
    ok(
      res,
      `<DescribeSnapshotsResponse xmlns="${EC2_NS}"><requestId>req-${nextId()}</requestId><snapshotSet>${found.map(snapshotXml).join('')}</snapshotSet></DescribeSnapshotsResponse>`,
    );
  };

  const copySnapshot = (req: StandinRequest, res: ServerResponse): void => {
    const sourceRegion = req.params['SourceRegion'] ?? '';
    const sourceId = req.params['SourceSnapshotId'] ?? '';
    const source = snapshots.find((s) => s.region === sourceRegion && s.snapshotId === sourceId && s.ownerId === req.account);
    if (!source) {
      ec2Error(res, 400, 'InvalidSnapshot.NotFound', `The snapshot '${sourceId}' does not exist.`);
      return;
    }
    const tags: Array<{ key: string; value: string }> = [];
    for (let i = 1; req.params[`TagSpecification.1.Tag.${i}.Key`] !== undefined; i++) {
      tags.push({ key: req.params[`TagSpecification.1.Tag.${i}.Key`]!, value: req.params[`TagSpecification.1.Tag.${i}.Value`] ?? '' });
    }
    if (tags.some((t) => t.key.toLowerCase().startsWith('aws:'))) {
      ec2Error(res, 400, 'InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
      return;
    }
    if (tags.length > 50) {
      ec2Error(res, 400, 'TagLimitExceeded', 'The maximum number of tags per resource is 50');
      return;
    }
    const copy: StandinSnapshot = {
      snapshotId: `snap-${nextId()}`,
      region: req.region,
      ownerId: req.account,
      state: 'pending',
      tags,
      description: req.params['Description'] ?? '',
      encrypted: req.params['Encrypted'] === 'true' || source.encrypted === true,
      ...(req.params['KmsKeyId'] ? { kmsKeyId: req.params['KmsKeyId'] } : {}),
      copiedFrom: { region: sourceRegion, snapshotId: sourceId },
    };
    snapshots.push(copy);
    ok(res, `<CopySnapshotResponse xmlns="${EC2_NS}"><requestId>req-${nextId()}</requestId><snapshotId>${copy.snapshotId}</snapshotId></CopySnapshotResponse>`);
  };

  const assumeRole = (req: StandinRequest, res: ServerResponse): void => {
    const roleArn = req.params['RoleArn'] ?? '';
    const match = /^arn:aws[\w-]*:iam::(\d{12}):role\/(.+)$/.exec(roleArn);
    if (!match) {
      stsError(res, 400, 'ValidationError', `RoleArn ${roleArn} is not a role ARN`);
      return;
    }
    const account = match[1]!;
    const accessKeyId = `ASIA${account}${nextId().slice(-4)}`;
    keyAccounts.set(accessKeyId, account);
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    ok(
      res,
      `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult>` +
        `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>standin-secret-${account}</SecretAccessKey>` +
        `<SessionToken>standin-token-${account}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROASTANDIN:${escapeXml(req.params['RoleSessionName'] ?? '')}</AssumedRoleId>` +
        `<Arn>arn:aws:sts::${account}:assumed-role/${escapeXml(match[2]!)}/${escapeXml(req.params['RoleSessionName'] ?? '')}</Arn></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>req-${nextId()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  };

  const handle = (httpReq: IncomingMessage, res: ServerResponse, body: string): void => {
    const params = Object.fromEntries(new URLSearchParams(body));
    const auth = parseAuthorization(httpReq.headers.authorization);
    const action = params['Action'] ?? '';
    const req: StandinRequest = {
      service: auth.service,
      action,
      region: auth.region,
      accessKeyId: auth.accessKeyId,
      account: keyAccounts.get(auth.accessKeyId) ?? options.defaultAccount,
      params,
    };
    requests.push(req);
    const isSts = auth.service === 'sts';
    const queued = faults.get(action);
    const fault = queued?.shift();
    if (fault) {
      (isSts ? stsError : ec2Error)(res, fault.status ?? 400, fault.code, fault.message ?? `${fault.code} (stand-in fault)`);
      return;
    }
    if (isSts && action === 'AssumeRole') return assumeRole(req, res);
    if (!isSts && action === 'DescribeSnapshots') return describeSnapshots(req, res);
    if (!isSts && action === 'CopySnapshot') return copySnapshot(req, res);
    (isSts ? stsError : ec2Error)(res, 400, 'InvalidAction', `The action ${action} is not valid for this web service (stand-in).`);
  };

  const server = createServer((httpReq, res) => {
    const chunks: Buffer[] = [];
    httpReq.on('data', (c: Buffer) => chunks.push(c));
    httpReq.on('end', () => handle(httpReq, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (action) => requests.filter((r) => r.action === action),
    addSnapshot: (s) => {
      snapshots.push({ ...s, tags: [...s.tags] });
    },
    snapshots: () => snapshots.map((s) => ({ ...s })),
    failNext: (action, fault, times = 1) => {
      const queue = faults.get(action) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(action, queue);
    },
    reset: () => {
      requests.length = 0;
      snapshots = [];
      faults.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
