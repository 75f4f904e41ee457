/**
 * `npm run verify`, vault mode with kmsKeyId (cli/verify/key-policy.ts): the member copy key's
 * policy is simulated for the vault role's calls through EC2 in the key's region. Key policies as
 * GetKeyPolicy returns them (the policy's JSON text:
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html); the default key
 * policy ("Enable IAM User Permissions": the account root, kms:*) is KMS's own
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyKeyProblems, VAULT_KEY_CALLS } from '../cli/verify/key-policy';
import { parseOrgConfig } from '../config/load';
import { vaultUsesMemberKeyStatements } from '../stacks/policy/vault-permissions';
import { VAULT_ACCOUNT, VAULT_WITH_KMS_KEY_ID } from './support/vault-configs';

const config = parseOrgConfig(VAULT_WITH_KMS_KEY_ID);
const MEMBER = '222222222222';
const REGION = 'eu-central-1';
const KEY = `arn:aws:kms:${REGION}:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const facts = (policy: unknown, over: Record<string, string> = {}) => ({ kmsKeyId: 'alias/ebs-dr', region: REGION, keyArn: KEY, keyManager: 'CUSTOMER', policy: typeof policy === 'string' ? policy : JSON.stringify(policy), ...over });
const defaultKeyPolicy = { Version: '2012-10-17', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 'kms:*', Resource: '*' }] };
const withStatements = (...statements: unknown[]) => ({ ...defaultKeyPolicy, Statement: [...defaultKeyPolicy.Statement, ...statements] });
const VAULT_ROLE = `arn:aws:iam::${VAULT_ACCOUNT}:role/ebs-event-hub-vault-copy`;

describe('verify: the kmsKeyId key policy in vault mode', () => {
  it('GIVEN the statements README "Vault mode" lists THEN no problem', async () => {
    expect(await copyKeyProblems(config, facts(withStatements(...vaultUsesMemberKeyStatements(VAULT_ACCOUNT, REGION))))).toEqual([]);
  });

  it('GIVEN the default key policy (the account only) THEN one line naming the key, the vault role, the region and every refused call', async () => {
    expect(await copyKeyProblems(config, facts(defaultKeyPolicy))).toEqual([
      `copy key alias/ebs-dr (${KEY}): its policy does not let the vault role ${VAULT_ROLE} use it through EC2 in ${REGION} (${VAULT_KEY_CALLS.join(', ')} refused); add the statements README "Vault mode" lists for a kmsKeyId key`,
    ]);
  });

  it('GIVEN the statements for another region\'s EC2 THEN every call is refused here', async () => {
    expect(await copyKeyProblems(config, facts(withStatements(...vaultUsesMemberKeyStatements(VAULT_ACCOUNT, 'eu-west-1'))))).toHaveLength(1);
  });

  it('GIVEN everything but the grant THEN only kms:CreateGrant is named', async () => {
    const [use] = vaultUsesMemberKeyStatements(VAULT_ACCOUNT, REGION);
    const [line] = await copyKeyProblems(config, facts(withStatements(use)));
    expect(line).toContain('(kms:CreateGrant refused)');
  });

  it('GIVEN the vault account admitted by its root with no condition THEN allowed (broader than needed, but it works)', async () => {
    const open = { Sid: 'VaultAccount', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${VAULT_ACCOUNT}:root` }, Action: [...VAULT_KEY_CALLS], Resource: '*' };
    expect(await copyKeyProblems(config, facts(withStatements(open)))).toEqual([]);
  });

  it('GIVEN another role of the vault account named THEN refused: the vault role is the one that copies', async () => {
    const other = vaultUsesMemberKeyStatements(VAULT_ACCOUNT, REGION).map((s) => JSON.parse(JSON.stringify(s).replace('ebs-event-hub-vault-copy', 'backup-admin')) as unknown);
    expect(await copyKeyProblems(config, facts(withStatements(...other)))).toHaveLength(1);
  });

  it('GIVEN an AWS managed key, or a policy that is not JSON THEN one line saying so', async () => {
    expect(await copyKeyProblems(config, facts(defaultKeyPolicy, { keyManager: 'AWS' }))).toEqual([
      `copy key alias/ebs-dr (${KEY}) is an AWS managed key: snapshots encrypted under it cannot be shared with the vault account; use a customer managed key`,
    ]);
    expect(await copyKeyProblems(config, facts('{not json'))).toEqual([`copy key alias/ebs-dr (${KEY}): its key policy could not be read as JSON`]);
  });

  it('GIVEN no vault THEN nothing to check', async () => {
    const { vault: _none, ...copy } = VAULT_WITH_KMS_KEY_ID.snapshotCopy!;
    expect(await copyKeyProblems(parseOrgConfig({ ...VAULT_WITH_KMS_KEY_ID, snapshotCopy: copy }), facts(defaultKeyPolicy))).toEqual([]);
  });
});

describe('README "Vault mode": the statements a kmsKeyId key must hold', () => {
  it('are exactly the statements the member copy keys carry and verify simulates (placeholders <vault> and <region>)', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### With `snapshotCopy.kmsKeyId`'));
    const block = /```json\n([\s\S]*?)\n```/.exec(section)![1]!;
    expect(JSON.parse(`[${block}]`)).toEqual(JSON.parse(JSON.stringify(vaultUsesMemberKeyStatements('<vault>', '<region>'))));
  });
});
