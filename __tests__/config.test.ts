import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, EXAMPLE_CONFIG_PATH, loadOrgConfig, parseOrgConfig } from '../config/load';
import { JSON_SCHEMA_PATH, renderJsonSchema } from '../scripts/write-json-schema';
import { rawConfig } from './support/config';

/** The problems reported for `raw`, or a failure if it was accepted. */
function problemsOf(raw: unknown): readonly string[] {
  try {
    parseOrgConfig(raw, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

const withCentral = (central: Record<string, unknown>) => rawConfig({ central: { ...rawConfig().central, ...central } as never });
const withMember0 = (member: Record<string, unknown>) =>
  rawConfig({ members: [{ ...rawConfig().members[0]!, ...member } as never, rawConfig().members[1]!] });
const withCopy = (copy: Record<string, unknown>) => rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', ...copy } as never });

describe('org config: accepted input', () => {
  it('applies the documented defaults', () => {
    const config = parseOrgConfig(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' } }));
    expect(config.members[1]!.wave).toBe(1);
    expect(config.deployment.roleName).toBe('OrganizationAccountAccessRole');
    expect(config.deployment.state).toBeUndefined();
    expect(config.alerts.emails).toEqual([]);
    expect(config.central.archiveRetentionDays).toBe(365);
    expect(config.central.logRetentionDays).toBe(90);
    expect(config.snapshotCopy!.maxInFlightCopies).toBe(15);
    expect(config.snapshotCopy!.retentionDays).toBeUndefined();
    expect(config.snapshotCopy!.memberRoleName).toBe('ebs-event-hub-snapshot-copy');
  });

  it('accepts a config without organizationId (the bus policy then lists accounts)', () => {
    const { organizationId: _omit, ...raw } = rawConfig();
    expect(parseOrgConfig(raw).organizationId).toBeUndefined();
  });

  it('loads the embedded example org when ORG_CONFIG is unset', () => {
    const config = loadOrgConfig(undefined);
    expect(config.central.busName).toBe(JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')).central.busName);
    expect(config.members.length).toBeGreaterThan(0);
  });

  it('loads YAML as well as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'org-'));
    const file = join(dir, 'org.yaml');
    writeFileSync(
      file,
      ['central:', '  accountId: "111111111111"', '  region: eu-west-1', '  busName: hub', 'members:', '  - accountId: "222222222222"', '    regions: [us-east-1]'].join('\n'),
    );
    const config = loadOrgConfig(file);
    expect(config.central.busName).toBe('hub');
    expect(config.members[0]!.regions).toEqual(['us-east-1']);
  });

  it('keeps the committed JSON Schema in step with the zod schema (npm run get-schema)', () => {
    expect(readFileSync(JSON_SCHEMA_PATH, 'utf8')).toBe(renderJsonSchema());
    const schema = JSON.parse(renderJsonSchema());
    expect(schema.required).toEqual(expect.arrayContaining(['central', 'members']));
    expect(schema.properties.central.properties.region.enum).toContain('eu-west-1');
  });
});

describe('org config: rejected input, one rule each', () => {
  it.each([
    ['uppercase', 'o-ABCDEFGHIJ'],
    ['too short', 'o-abc'],
    ['no o- prefix', 'a1b2c3d4e5f6'],
  ])('rejects a malformed organizationId (%s)', (_why, organizationId) => {
    expect(problemsOf(rawConfig({ organizationId }))).toEqual([
      `organizationId: ${JSON.stringify(organizationId)} is not an AWS Organizations ID ("o-" then 10-32 lowercase letters or digits)`,
    ]);
  });

  it('rejects a config without central', () => {
    const { central: _omit, ...raw } = rawConfig();
    expect(problemsOf(raw)).toEqual(['central: is required']);
  });

  it('names every missing required field, including enums', () => {
    expect(problemsOf({ central: { accountId: '111111111111' }, members: [{ accountId: '222222222222' }] })).toEqual([
      'central.region: is required',
      'central.busName: is required',
      'members[0].regions: is required',
    ]);
  });

  it('rejects a central account id that is not 12 digits', () => {
    expect(problemsOf(withCentral({ accountId: '12345' }))).toEqual(['central.accountId: "12345" is not a 12-digit AWS account ID']);
  });

  it('rejects an account id given as a number (leading zeros would be lost)', () => {
    expect(problemsOf(withCentral({ accountId: 111111111111 }))).toEqual(['central.accountId: 111111111111 must be a string']);
  });

  it('rejects an unknown central region', () => {
    expect(problemsOf(withCentral({ region: 'eu-middle-9' }))[0]).toMatch(/^central\.region: "eu-middle-9" is not a commercial AWS region name/);
  });

  it.each([
    ['default', 'is the default bus'],
    ['aws.partner', 'starts with "aws."'],
    ['has space', 'is not an EventBridge bus name'],
    ['', 'is not an EventBridge bus name'],
  ])('rejects central.busName %j', (busName, message) => {
    expect(problemsOf(withCentral({ busName }))[0]).toContain(`central.busName: ${JSON.stringify(busName)} ${message}`);
  });

  it('rejects an empty member list', () => {
    expect(problemsOf(rawConfig({ members: [] }))).toEqual(['members: [] must list at least one member account']);
  });

  it('rejects a malformed member account id with its index', () => {
    expect(problemsOf(withMember0({ accountId: '2222' }))).toEqual(['members[0].accountId: "2222" is not a 12-digit AWS account ID']);
  });

  it('rejects a member account listed twice', () => {
    const raw = rawConfig({ members: [rawConfig().members[0]!, rawConfig().members[1]!, { accountId: '222222222222', regions: ['us-west-2'] }] });
    expect(problemsOf(raw)).toEqual(['members[2].accountId: "222222222222" is listed twice (first at members[0].accountId)']);
  });

  it('rejects a member with no regions', () => {
    expect(problemsOf(withMember0({ regions: [] }))).toEqual(['members[0].regions: [] must list at least one region']);
  });

  it('rejects an unknown member region', () => {
    expect(problemsOf(withMember0({ regions: ['eu-west-1', 'moon-1'] }))[0]).toMatch(/^members\[0\]\.regions\[1\]: "moon-1" is not a commercial AWS region name/);
  });

  it('rejects a region listed twice for one member', () => {
    expect(problemsOf(withMember0({ regions: ['us-east-1', 'us-east-1'] }))).toEqual([
      'members[0].regions[1]: "us-east-1" is listed twice (first at members[0].regions[0])',
    ]);
  });

  it.each([
    [0, 'must be a positive integer'],
    [1.5, 'must be a whole number'],
  ])('rejects wave %j', (wave, message) => {
    expect(problemsOf(withMember0({ wave }))).toEqual([`members[0].wave: ${wave} ${message}`]);
  });

  it('rejects a member name that cannot be a tag value', () => {
    expect(problemsOf(withMember0({ name: 'prod<1>' }))[0]).toContain('members[0].name: "prod<1>" is not a label of 1-128 letters');
  });

  it('rejects an unknown field, naming it', () => {
    expect(problemsOf(withCentral({ busname: 'x' }))).toEqual([
      'central.busname: is not a known field (check the spelling; config/org-config.schema.json lists the fields)',
    ]);
  });

  it('rejects a negative archive retention and a retention CloudWatch Logs does not offer', () => {
    expect(problemsOf(withCentral({ archiveRetentionDays: -1, logRetentionDays: 2 }))).toEqual([
      'central.archiveRetentionDays: -1 must be 0 (keep forever) or more',
      expect.stringMatching(/^central\.logRetentionDays: 2 is not a CloudWatch Logs retention \(allowed: 1, 3, 5/),
    ]);
  });

  it('rejects an unknown snapshot-copy destination region', () => {
    expect(problemsOf(withCopy({ destinationRegion: 'nowhere-1' }))[0]).toMatch(/^snapshotCopy\.destinationRegion: "nowhere-1" is not a commercial/);
  });

  it('rejects a regionMap with an unknown source region (key) or destination (value)', () => {
    const problems = problemsOf(withCopy({ regionMap: { 'nowhere-1': 'us-east-1', 'us-east-1': 'nowhere-2' } }));
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^snapshotCopy\.regionMap\["nowhere-1"\]: key "nowhere-1" is not a commercial AWS region name/),
        expect.stringMatching(/^snapshotCopy\.regionMap\["us-east-1"\]: "nowhere-2" is not a commercial AWS region name/),
      ]),
    );
  });

  it('rejects a malformed kmsKeyId', () => {
    expect(problemsOf(withCopy({ kmsKeyId: 'my key' }))).toEqual(['snapshotCopy.kmsKeyId: "my key" is not a KMS key ARN, alias ARN, key id or alias/name']);
  });

  it('rejects a key ARN in one region when copies go to another', () => {
    const kmsKeyId = 'arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(problemsOf(withCopy({ kmsKeyId, regionMap: { 'eu-central-1': 'eu-west-1' } }))).toEqual([
      `snapshotCopy.kmsKeyId: ${JSON.stringify(kmsKeyId)} is a key in eu-central-1, but copies also go to eu-west-1: use an alias (alias/name) that exists in every destination region`,
    ]);
  });

  it.each(['aws:backup', '=value', ''])('rejects copyTag %j', (copyTag) => {
    expect(problemsOf(withCopy({ copyTag }))[0]).toMatch(/^snapshotCopy\.copyTag: .* is not "key" or "key=value"/);
  });

  it.each([
    [0, 'must be at least 1'],
    [21, 'must be at most 20 (EC2 allows 20 concurrent snapshot copies per account and destination region)'],
    [2.5, 'must be a whole number'],
  ])('rejects maxInFlightCopies %j', (maxInFlightCopies, message) => {
    expect(problemsOf(withCopy({ maxInFlightCopies }))[0]).toContain(`snapshotCopy.maxInFlightCopies: ${maxInFlightCopies} ${message}`);
  });

  it.each([1, 20])('accepts maxInFlightCopies %j (the bounds)', (maxInFlightCopies) => {
    expect(parseOrgConfig(withCopy({ maxInFlightCopies })).snapshotCopy!.maxInFlightCopies).toBe(maxInFlightCopies);
  });

  it.each([
    [0, 'must be at least 1 (omit it to keep copies forever)'],
    [36_501, 'must be at most 36500 (100 years; omit it to keep copies forever)'],
    [7.5, 'must be a whole number'],
  ])('rejects retentionDays %j', (retentionDays, message) => {
    expect(problemsOf(withCopy({ retentionDays }))[0]).toContain(`snapshotCopy.retentionDays: ${retentionDays} ${message}`);
  });

  it.each([1, 36_500])('accepts retentionDays %j (the bounds)', (retentionDays) => {
    expect(parseOrgConfig(withCopy({ retentionDays })).snapshotCopy!.retentionDays).toBe(retentionDays);
  });

  it('rejects the removed maxConcurrency field as unknown', () => {
    expect(problemsOf(withCopy({ maxConcurrency: 5 }))).toEqual(['snapshotCopy.maxConcurrency: is not a known field (check the spelling; config/org-config.schema.json lists the fields)']);
  });

  it('rejects an invalid member role name', () => {
    expect(problemsOf(withCopy({ memberRoleName: 'has space' }))[0]).toContain('snapshotCopy.memberRoleName: "has space" is not an IAM role name');
  });

  it('rejects an invalid deployment role name and state bucket', () => {
    const problems = problemsOf(
      rawConfig({ deployment: { roleName: 'a/b', state: { bucket: 'Bad_Bucket', region: 'eu-west-1' } } }),
    );
    expect(problems).toEqual([
      expect.stringContaining('deployment.roleName: "a/b" is not an IAM role name'),
      'deployment.state.bucket: "Bad_Bucket" is not an S3 bucket name',
    ]);
  });

  it('rejects a malformed alert email', () => {
    expect(problemsOf(rawConfig({ alerts: { emails: ['ops@example.com', 'not-an-email'] } }))).toEqual([
      'alerts.emails[1]: "not-an-email" is not an email address',
    ]);
  });

  it('reports every problem at once, including duplicates next to malformed fields', () => {
    const problems = problemsOf({
      organizationId: 'bad',
      central: { accountId: '1', region: 'eu-west-1', busName: 'default' },
      members: [
        { accountId: '222222222222', regions: 'eu-west-1' },
        { accountId: '222222222222', regions: ['eu-west-1'] },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^organizationId: "bad"/),
      'central.accountId: "1" is not a 12-digit AWS account ID',
      expect.stringMatching(/^central\.busName: "default"/),
      'members[0].regions: "eu-west-1" must be an array',
      'members[1].accountId: "222222222222" is listed twice (first at members[0].accountId)',
    ]);
  });
});

describe('org config: files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'org-files-'));

  it('names the line and column of a JSON syntax error', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "central": {\n    "accountId": "111111111111",\n  }\n}\n');
    expect(() => loadOrgConfig(file)).toThrowError(/broken\.json: 1 problem:\n {2}- line 4, column 3: invalid JSON/);
  });

  it('names the position of a YAML syntax error', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'central:\n  accountId: "1\n');
    expect(() => loadOrgConfig(file)).toThrowError(/broken\.yaml: 1 problem:\n {2}- line \d+, column \d+: /);
  });

  it('rejects a file that does not exist, saying which', () => {
    const file = join(dir, 'missing.json');
    expect(() => loadOrgConfig(file)).toThrowError(`${file}: 1 problem:\n  - file: cannot be read (ENOENT); set ORG_CONFIG to a JSON or YAML org config`);
  });

  it('rejects an unsupported extension', () => {
    const file = join(dir, 'org.toml');
    writeFileSync(file, 'x = 1');
    expect(() => loadOrgConfig(file)).toThrowError(/file name: "\.toml" is not a supported config extension \(allowed: \.json, \.yaml, \.yml\)/);
  });
});

describe('org config: any malformed value is a ConfigError, never a crash', () => {
  const full = rawConfig({
    snapshotCopy: { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1' }, kmsKeyId: 'alias/x', copyTag: 'dr' },
    deployment: { roleName: 'Deployer', state: { bucket: 'state-bucket', region: 'eu-west-1' }, defaultTags: { a: 'b' } },
    alerts: { emails: ['ops@example.com'] },
  });
  /** Every path to a value in the config (objects, arrays and leaves). */
  const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] =>
    v && typeof v === 'object'
      ? [at, ...Object.entries(v).flatMap(([k, c]) => paths(c, [...at, Array.isArray(v) ? Number(k) : k]))]
      : [at];
  const replaced = (path: (string | number)[], value: unknown): unknown => {
    const copy = structuredClone(full) as Record<string | number, unknown>;
    let cur = copy;
    path.slice(0, -1).forEach((k) => (cur = cur[k] as Record<string | number, unknown>));
    cur[path[path.length - 1]!] = value;
    return copy;
  };

  it.each(paths(full).filter((p) => p.length > 0).map((p) => [p.join('.'), p] as const))('%s', (_name, path) => {
    for (const bad of [null, 0, -1, '', 'x', [], {}, true, [null], { x: 1 }]) {
      try {
        parseOrgConfig(replaced(path, bad));
      } catch (err) {
        expect(err, `${path.join('.')} = ${JSON.stringify(bad)}`).toBeInstanceOf(ConfigError);
        for (const line of (err as ConfigError).problems) expect(line).toMatch(/^(?:[\w.[\]"$-]+|\(top level\)): \S/);
      }
    }
  });
});

