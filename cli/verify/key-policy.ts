/**
 * Vault mode with `snapshotCopy.kmsKeyId` (README "Vault mode"): a member's copies are under the
 * user's key, so the vault can copy them only if that key's policy lets the vault role use it
 * through EC2. `npm run verify` reads the key (DescribeKey) and its policy (GetKeyPolicy) in each
 * member account and destination region, and simulates the vault role's calls against the policy
 * with `@cloud-copilot/iam-simulate`: the vault role's own policy (as the vault stack synthesizes
 * it) as the identity policy, the key policy as the resource policy, and only the context keys AWS
 * documents for those calls (stacks/policy/context-keys.ts). Pure: AWS's answers in, problems out.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { OrgConfig } from '../../config/schema';
import { vaultRoleArn } from '../../stacks/names';
import { documentedContext } from '../../stacks/policy/context-keys';
import { SHARED_KEY_ACTIONS, vaultRolePolicyOf } from '../../stacks/policy/vault-permissions';

/** What KMS said of the copy key in one account and region. */
export interface CopyKeyFacts {
  /** `snapshotCopy.kmsKeyId` as configured. */
  readonly kmsKeyId: string;
  readonly region: string;
  /** DescribeKey's `KeyMetadata.Arn`. */
  readonly keyArn: string;
  /** DescribeKey's `KeyMetadata.KeyManager`: `AWS` or `CUSTOMER`. */
  readonly keyManager?: string;
  /** GetKeyPolicy's `Policy` (JSON text). */
  readonly policy?: string;
}

/** The calls EBS makes with the vault role's credentials on the member copy key: the documented shared-key actions, and CreateGrant. */
export const VAULT_KEY_CALLS = [...SHARED_KEY_ACTIONS, 'kms:CreateGrant'] as const;

/**
 * Problems of one copy key, one line each: an AWS managed key (it cannot be shared: "You can't share
 * snapshots that are encrypted with the default AWS managed key",
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html), a
 * policy that is not JSON or that the simulator refuses, or the calls the policy does not allow
 * the vault role through EC2 in the key's region.
 */
export async function copyKeyProblems(config: OrgConfig, facts: CopyKeyFacts): Promise<string[]> {
  const vault = config.snapshotCopy?.vault;
  if (!vault) return [];
  const what = `copy key ${facts.kmsKeyId} (${facts.keyArn})`;
  if (facts.keyManager === 'AWS') return [`${what} is an AWS managed key: snapshots encrypted under it cannot be shared with the vault account; use a customer managed key`];
  let keyPolicy: unknown;
  try {
    keyPolicy = JSON.parse(facts.policy ?? '');
  } catch {
    return [`${what}: its key policy could not be read as JSON`];
  }
  const principal = vaultRoleArn(vault.accountId);
  const keyAccount = facts.keyArn.split(':')[4] ?? '';
  const identity = vaultRolePolicyOf(config);
  const refused: string[] = [];
  for (const action of VAULT_KEY_CALLS) {
    const context = documentedContext('iam-role-session', action, {
      'aws:PrincipalArn': principal,
      'aws:PrincipalAccount': vault.accountId,
      'kms:ViaService': `ec2.${facts.region}.amazonaws.com`,
      'kms:CallerAccount': vault.accountId,
      ...(action === 'kms:CreateGrant' ? { 'kms:GrantIsForAWSResource': 'true' } : {}),
    });
    const result = await runSimulation(
      {
        request: { principal, action, resource: { resource: facts.keyArn, accountId: keyAccount }, contextVariables: context },
        identityPolicies: [{ name: 'vault-copies', policy: identity }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: keyPolicy,
      },
      { simulationMode: 'Strict' },
    );
    if (result.resultType === 'error') return [`${what}: its key policy could not be evaluated (${JSON.stringify(result.errors).slice(0, 300)})`];
    if (result.resultType !== 'single' || result.overallResult !== 'Allowed') refused.push(action);
  }
  return refused.length === 0
    ? []
    : [
        `${what}: its policy does not let the vault role ${principal} use it through EC2 in ${facts.region} (${refused.join(', ')} refused); ` +
          'add the statements README "Vault mode" lists for a kmsKeyId key',
      ];
}
