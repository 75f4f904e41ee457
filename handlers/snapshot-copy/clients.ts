/**
 * EC2 clients per (account, region), created once per container and cached, and STS AssumeRole
 * credentials per member role, cached until five minutes before they expire.
 *
 * The function's own account uses the default credential chain (the Lambda execution role). Another
 * account's snapshot is handled entirely under `arn:…:iam::<account>:role/<MEMBER_ROLE_NAME>`, so its
 * copy stays in its own account. One AssumeRole per member account serves every region.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeSnapshotsCommand, EC2Client, type DescribeSnapshotsCommandInput, type EC2ClientConfig, type Snapshot } from '@aws-sdk/client-ec2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';

/**
 * Connection and request timeouts of every client (`requestHandler`, the NodeHttpHandler's
 * options): without them a call that hangs waits for the socket's default timeout, longer than the
 * step function's 120 s, and the whole invocation times out instead of one call failing and being
 * retried. `requestTimeout` alone only logs a warning in @smithy/node-http-handler 4.x:
 * `throwOnRequestTimeout: true` makes it an error ("TimeoutError", which the SDK's standard retry
 * strategy retries as a transient error, except on CopySnapshot's one-attempt client, where it is
 * "outcome unknown": the step confirms before copying again).
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html (requestHandler options)
 * https://github.com/smithy-lang/smithy-typescript/blob/main/packages/types/src/http/httpHandlerInitialization.ts
 * Worst case of one call: maxAttempts × (connectionTimeout + requestTimeout) plus the SDK's backoff
 * (at most 2^i s before retry i+1): 27 s for EC2 (2 attempts) and for the others (3 attempts), at most
 * half of every function's timeout (a test checks it against the stack's timeouts).
 */
export const HTTP_TIMEOUTS = {
  /** EC2: DescribeSnapshots pages of up to 1,000 snapshots take a few seconds at most. */
  ec2: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  /** DynamoDB, Step Functions, STS: small requests answered in milliseconds. */
  other: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
} as const;
/** Attempts of the DynamoDB, Step Functions and STS clients (standard retry: throttling and transient errors). */
export const DEFAULT_ATTEMPTS = 3;

/** The copy-slots and copy-ledger tables' client (the function's own region and credentials). */
export const createDynamoDbClient = (region: string): DynamoDBClient =>
  new DynamoDBClient({ region, maxAttempts: DEFAULT_ATTEMPTS, retryMode: 'standard', requestHandler: { ...HTTP_TIMEOUTS.other } });
/** Step Functions (StartExecution, DescribeExecution), in the function's own region. */
export const createSfnClient = (region?: string): SFNClient =>
  new SFNClient({ ...(region !== undefined ? { region } : {}), maxAttempts: DEFAULT_ATTEMPTS, retryMode: 'standard', requestHandler: { ...HTTP_TIMEOUTS.other } });

/**
 * Reads (DescribeSnapshots, DeleteSnapshot): throttling (RequestLimitExceeded is in the SDK's
 * THROTTLING_ERROR_CODES) and transient errors are retried by the SDK up to maxAttempts with
 * exponential backoff and jitter; what outlives that surfaces to the workflow, which waits (Admit,
 * Copy, Poll; Inspect, Find and ConfirmCopy answer `unavailable`) with longer jittered waits. Two
 * attempts, not more: under a burst, quick SDK retries mostly meet the same empty token bucket, and
 * through a throttling storm every attempt is a refused call (bench:burst, storm scenario: 3
 * attempts cost 36 EC2 calls per snapshot, 2 attempts 29; 5 attempts cost ~1.5 more per snapshot
 * in the plain burst).
 */
export const DEFAULT_EC2_CONFIG: Partial<EC2ClientConfig> = { maxAttempts: 2, retryMode: 'standard', requestHandler: { ...HTTP_TIMEOUTS.ec2 } };
/**
 * CopySnapshot: the SDK must never send it twice. It has no idempotency token (ClientToken), and the
 * standard retry strategy re-sends after a 5xx or a reset connection, after which EC2 may hold two
 * copies. One attempt; the workflow decides (ConfirmCopy looks for the copy before any new attempt).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export const COPY_EC2_CONFIG: Partial<EC2ClientConfig> = { maxAttempts: 1, retryMode: 'standard', requestHandler: { ...HTTP_TIMEOUTS.ec2 } };
export const DEFAULT_STS_CONFIG: Partial<STSClientConfig> = { maxAttempts: DEFAULT_ATTEMPTS, retryMode: 'standard', requestHandler: { ...HTTP_TIMEOUTS.other } };

/** Refresh assumed-role credentials this long before they expire. */
export const CREDENTIAL_REFRESH_MARGIN_MS = 5 * 60_000;

export interface Ec2Target {
  region: string;
  /** Absent: the function's own account and credentials. */
  roleArn?: string;
  /** RoleSessionName used if this call has to assume the role (CloudTrail shows it). */
  roleSessionName?: string;
  /** The client for CopySnapshot: COPY_EC2_CONFIG (one attempt, never re-sent by the SDK). */
  forCopy?: boolean;
}

/** The one method the steps use: an EC2Client, or an in-memory model (bench) with the same commands. */
export type Ec2Sender = Pick<EC2Client, 'send'>;

/**
 * Every page of a DescribeSnapshots answer (NextToken), for the steps and the sweep alike.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
 */
export async function describeSnapshots(client: Ec2Sender, input: DescribeSnapshotsCommandInput): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new DescribeSnapshotsCommand({ ...input, ...(NextToken !== undefined ? { NextToken } : {}) }));
    out.push(...(page.Snapshots ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

export interface ClientProvider {
  ec2(target: Ec2Target): Ec2Sender;
}

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface ClientProviderOptions {
  /** Region STS is called in (the function's region). */
  stsRegion: string;
  /** Merged over DEFAULT_EC2_CONFIG for every EC2 client (tests inject endpoint, retryStrategy, …). */
  ec2Config?: Partial<EC2ClientConfig>;
  stsConfig?: Partial<STSClientConfig>;
  /** Injectable clock for the credential cache. */
  now?: () => number;
  /** EC2 clients kept at most (MAX_CACHED_EC2_CLIENTS by default). */
  maxEc2Clients?: number;
}

/**
 * EC2 clients one container keeps, the least recently used dropped first. A warm container of the
 * retention sweep meets every account × region that holds expired copies (tens of thousands in a
 * large organization), and an EC2Client with its HTTP handler is not small: without a bound the
 * cache would grow with the organization until the function ran out of memory. A dropped client is
 * not destroyed (a call may still be using it): it is garbage once its last call is done.
 */
export const MAX_CACHED_EC2_CLIENTS = 256;

interface CacheEntry {
  credentials?: TemporaryCredentials;
  pending?: Promise<TemporaryCredentials>;
  sessionName: string;
}

/** Cached STS AssumeRole credentials, one entry per role ARN; concurrent callers share one request. */
export class AssumedRoleCredentials {
  private readonly entries = new Map<string, CacheEntry>();
  private sts: STSClient | undefined;

  constructor(
    private readonly createSts: () => STSClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers the session name to use when the role is next assumed. */
  hint(roleArn: string, sessionName: string): void {
    const entry = this.entries.get(roleArn);
    if (entry) entry.sessionName = sessionName;
    else this.entries.set(roleArn, { sessionName });
  }

  async get(roleArn: string): Promise<TemporaryCredentials> {
    let entry = this.entries.get(roleArn);
    if (!entry) {
      entry = { sessionName: 'snapshot-copy' };
      this.entries.set(roleArn, entry);
    }
    const cached = entry.credentials;
    if (cached && cached.expiration.getTime() - CREDENTIAL_REFRESH_MARGIN_MS > this.now()) return cached;
    if (!entry.pending) {
      const current = entry;
      current.pending = this.assume(roleArn, current.sessionName).then(
        (credentials) => {
          current.credentials = credentials;
          current.pending = undefined;
          return credentials;
        },
        (error: unknown) => {
          current.pending = undefined;
          throw error;
        },
      );
    }
    return entry.pending!;
  }

  private async assume(roleArn: string, sessionName: string): Promise<TemporaryCredentials> {
    this.sts ??= this.createSts();
    const out = await this.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`STS AssumeRole of ${roleArn} returned no credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  }
}

export function createClientProvider(options: ClientProviderOptions): ClientProvider {
  const ec2Clients = new Map<string, EC2Client>();
  const roles = new AssumedRoleCredentials(
    () => new STSClient({ ...DEFAULT_STS_CONFIG, ...options.stsConfig, region: options.stsRegion }),
    options.now,
  );

  const maxClients = options.maxEc2Clients ?? MAX_CACHED_EC2_CLIENTS;
  return {
    ec2(target: Ec2Target): EC2Client {
      const { region, roleArn } = target;
      if (roleArn !== undefined && target.roleSessionName !== undefined) roles.hint(roleArn, target.roleSessionName);
      const key = `${roleArn ?? 'self'}|${region}|${target.forCopy === true ? 'copy' : 'read'}`;
      let client = ec2Clients.get(key);
      // Most recently used last (a Map keeps insertion order): the first key is the one to drop.
      if (client) {
        ec2Clients.delete(key);
        ec2Clients.set(key, client);
      } else {
        if (ec2Clients.size >= maxClients) ec2Clients.delete(ec2Clients.keys().next().value!);
        client = new EC2Client({
          ...DEFAULT_EC2_CONFIG,
          ...options.ec2Config,
          // After the injected config: nothing may give CopySnapshot a retrying strategy (its
          // timeouts may be injected: tests shorten them).
          ...(target.forCopy === true ? { maxAttempts: COPY_EC2_CONFIG.maxAttempts, retryMode: COPY_EC2_CONFIG.retryMode, retryStrategy: undefined } : {}),
          region,
          ...(roleArn !== undefined ? { credentials: () => roles.get(roleArn) } : {}),
        });
        ec2Clients.set(key, client);
      }
      return client;
    },
  };
}
