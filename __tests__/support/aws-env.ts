import { envWithoutOrgConfig } from './run-main';

/**
 * An environment in which the AWS SDK finds no credentials at all: no keys or profile variables,
 * config and credentials files that do not exist, no instance metadata (the SDK's default chain:
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-credentials-node.html).
 */
export function noCredentials(): NodeJS.ProcessEnv {
  const env = envWithoutOrgConfig();
  for (const key of Object.keys(env)) if (/^AWS_(?!CA_BUNDLE$)/.test(key)) delete env[key];
  return { ...env, AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_EC2_METADATA_DISABLED: 'true' };
}
