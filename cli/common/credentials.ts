/**
 * "No credentials" told apart from "this account's role cannot be assumed". The first is the
 * caller's problem, the same for every account: the commands say so in one line and exit 2. The
 * second (AccessDenied on sts:AssumeRole: a missing role, a trust policy that does not admit the
 * caller) is a problem of that account, and the others are still worked on.
 */
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { UsageError } from './errors';

/**
 * The caller has no usable AWS credentials: none found, expired, or not valid. A `UsageError`
 * (exit 2, one line), so every command that already reports usage errors reports this one too.
 */
export class NoCredentialsError extends UsageError {}

/**
 * Errors that are about the caller's own credentials, whatever the API and the account:
 * - `CredentialsProviderError` ("Could not load credentials from any providers"), and
 *   `TokenProviderError` (an expired or missing SSO token): the SDK's credential chain found
 *   nothing usable (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-credentials-node.html);
 * - the services' common errors for a signature made with bad credentials: an expired session
 *   token (`ExpiredToken` from STS's query protocol, `ExpiredTokenException` elsewhere), an unknown
 *   key (`InvalidClientTokenId`, `UnrecognizedClientException`), a wrong secret
 *   (`SignatureDoesNotMatch`, `IncompleteSignature`), none at all (`MissingAuthenticationToken`):
 *   https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
 */
const CALLER_CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'TokenProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);

export const isCallerCredentialsError = (err: unknown): boolean => CALLER_CREDENTIAL_ERRORS.has((err as Error | undefined)?.name ?? '');

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();

/** The one line for a caller credentials error. */
export function noCredentialsError(err: unknown): NoCredentialsError {
  const e = err as Error;
  const what = /Expired/.test(e.name) || /expired/i.test(e.message) ? 'AWS credentials have expired' : e.name === 'CredentialsProviderError' ? 'no AWS credentials' : 'AWS credentials are not valid';
  return new NoCredentialsError(
    `${what} (${e.name}: ${oneLine(e.message)}); set or refresh them (AWS_PROFILE and \`aws sso login\`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN) and run again`,
  );
}

/**
 * Asks STS who the caller is (GetCallerIdentity needs no permission:
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html). Throws
 * `NoCredentialsError` when the caller's credentials are missing, expired or invalid. Any other
 * failure (STS unreachable, throttled) is left to the calls that follow, which report it where
 * it happens; the caller's ARN is returned when known.
 */
export async function checkCredentials(sts: STSClient): Promise<string | undefined> {
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } catch (err) {
    if (isCallerCredentialsError(err)) throw noCredentialsError(err);
    return undefined;
  }
}
