/**
 * AWS clients per account and region, with the deployment role assumed in each account.
 * Clients use the SDK's standard retry mode (exponential backoff with jitter, throttling errors
 * retried, 3 attempts: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { roleArn } from '../../stacks/names';
import { checkCredentials, isCallerCredentialsError, noCredentialsError } from '../common/credentials';

export interface RegionClients {
  readonly events: EventBridgeClient;
  readonly sqs: SQSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sfn: SFNClient;
  /** Vault mode with `snapshotCopy.kmsKeyId`: the copy key and its policy (cli/verify/key-policy.ts). */
  readonly kms: KMSClient;
}

/** Clients for one account: `region` to its clients. */
export type AccountClients = (region: string) => RegionClients;

export interface ClientProvider {
  /**
   * Throws `AssumeRoleError` when the deployment role cannot be assumed in that account, and
   * `NoCredentialsError` when the caller's own credentials are missing, expired or invalid.
   */
  forAccount(accountId: string): Promise<AccountClients>;
  /** Throws `NoCredentialsError` when the caller has no usable credentials (once, before any account). */
  checkCredentials?(): Promise<void>;
}

export class AssumeRoleError extends Error {
  override readonly name = 'AssumeRoleError';
}

/** Extra client settings (tests give a request handler). */
export type ClientOverrides = Partial<Record<keyof RegionClients, Record<string, unknown>>>;

export const RETRY = { retryMode: 'standard', maxAttempts: 3 } as const;

/**
 * Assumes `arn:aws:iam::<account>:role/<roleName>` with the caller's credentials, once per account.
 * `sessionName` (default `ebs-event-hub-verify`) names the session in the account's CloudTrail.
 */
export function assumeRoleClients(options: { roleName: string; stsRegion: string; overrides?: ClientOverrides; sts?: STSClient; sessionName?: string }): ClientProvider {
  const sts = options.sts ?? new STSClient({ region: options.stsRegion, ...RETRY });
  return {
    async checkCredentials() {
      await checkCredentials(sts);
    },
    async forAccount(accountId) {
      const arn = roleArn(accountId, options.roleName);
      let creds;
      try {
        // 3600 s: the most a chained AssumeRole may ask for (the caller is usually itself a role session, e.g.
        // CI's OIDC role: "Role chaining limits your ... role session to a maximum of one hour",
        // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_RequestParameters).
        const out = await sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: options.sessionName ?? 'ebs-event-hub-verify', DurationSeconds: 3600 }));
        creds = out.Credentials;
      } catch (err) {
        if (isCallerCredentialsError(err)) throw noCredentialsError(err);
        throw new AssumeRoleError(`cannot assume ${arn}: ${(err as Error).name}: ${(err as Error).message}`);
      }
      if (!creds?.AccessKeyId || !creds.SecretAccessKey) throw new AssumeRoleError(`cannot assume ${arn}: STS returned no credentials`);
      const credentials = { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken, expiration: creds.Expiration };
      const cache = new Map<string, RegionClients>();
      return (region) => {
        let clients = cache.get(region);
        if (!clients) {
          const base = { region, credentials, ...RETRY };
          const o = options.overrides ?? {};
          clients = {
            events: new EventBridgeClient({ ...base, ...o.events }),
            sqs: new SQSClient({ ...base, ...o.sqs }),
            cloudwatch: new CloudWatchClient({ ...base, ...o.cloudwatch }),
            sfn: new SFNClient({ ...base, ...o.sfn }),
            kms: new KMSClient({ ...base, ...o.kms }),
          };
          cache.set(region, clients);
        }
        return clients;
      };
    },
  };
}
