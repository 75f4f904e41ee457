import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  ConfigError,
  EXAMPLE_CONFIG_PATH,
  findDuplicateJsonKeys,
  formatPath,
  loadOrgConfig,
  MAX_NESTING_DEPTH,
  MAX_YAML_EXPANDED_VALUES,
  orgConfigPath,
  parseOrgConfig,
  show,
} from '../config/load';
import { JSON_SCHEMA_PATH, renderJsonSchema } from '../scripts/write-json-schema';
import { problemsOf, rawConfig } from './support/config';

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

  it('rejects a snapshotCopy under which every member region would copy onto itself (nothing to copy), and accepts one copied region', () => {
    // rawConfig's members list eu-west-1 and us-east-1.
    expect(problemsOf(withCopy({ destinationRegion: 'eu-west-1', regionMap: { 'us-east-1': 'us-east-1' } }))).toEqual([
      'snapshotCopy.destinationRegion: "eu-west-1" has nothing to copy: every member region (eu-west-1, us-east-1) would copy onto itself; choose a destination (or regionMap entry) other than the members\' regions, or remove snapshotCopy',
    ]);
    expect(() => parseOrgConfig(withCopy({ destinationRegion: 'eu-west-1' }))).not.toThrow();
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

  // Two whole-number fields with bounds: each bad value names the field, the value and the bound; both bounds are accepted.
  describe.each([
    {
      field: 'maxInFlightCopies' as const,
      bounds: [1, 20],
      rejected: [
        [0, 'must be at least 1'],
        [21, 'must be at most 20 (EC2 allows 20 concurrent snapshot copies per account and destination region)'],
        [2.5, 'must be a whole number'],
      ] as [number, string][],
    },
    {
      field: 'retentionDays' as const,
      bounds: [1, 36_500],
      rejected: [
        [0, 'must be at least 1 (omit it to keep copies forever)'],
        [36_501, 'must be at most 36500 (100 years; omit it to keep copies forever)'],
        [7.5, 'must be a whole number'],
      ] as [number, string][],
    },
  ])('snapshotCopy.$field', ({ field, bounds, rejected }) => {
    it.each(rejected)(`rejects ${field} %j`, (value, message) => {
      expect(problemsOf(withCopy({ [field]: value }))[0]).toContain(`snapshotCopy.${field}: ${value} ${message}`);
    });

    it.each(bounds)(`accepts ${field} %j (the bounds)`, (value) => {
      expect(parseOrgConfig(withCopy({ [field]: value })).snapshotCopy![field]).toBe(value);
    });
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
      expect.stringMatching(/^deployment\.state\.bucket: "Bad_Bucket" is not an S3 bucket name \(3-63 lowercase letters/),
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


describe('org config: what AWS or Terraform would reject later is rejected now', () => {
  const withDeployment = (deployment: Record<string, unknown>) => rawConfig({ deployment: deployment as never });
  const withState = (state: Record<string, unknown>) => withDeployment({ state: { bucket: 'tf-state', region: 'eu-west-1', ...state } });
  const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`tag${i}`, 'v']));

  describe('copyTag', () => {
    it('GIVEN "key=" THEN it is rejected (the copy function refuses an empty value at run time)', () => {
      expect(problemsOf(withCopy({ copyTag: 'dr-copy=' }))).toEqual([
        'snapshotCopy.copyTag: "dr-copy=" has an empty value after "=": write the key alone to copy snapshots bearing the tag with any value',
      ]);
    });

    it.each(['dr-copy', 'dr-copy=true', 'a=b=c', 'team=ops#1 (any character: EC2 tag values allow it)'])('GIVEN %j THEN it is accepted', (copyTag) => {
      expect(parseOrgConfig(withCopy({ copyTag })).snapshotCopy?.copyTag).toBe(copyTag);
    });

    it('GIVEN a key starting with "AWS:" in another case THEN it is rejected', () => {
      expect(problemsOf(withCopy({ copyTag: 'AWS:backup' }))[0]).toMatch(/^snapshotCopy\.copyTag: "AWS:backup" is not "key" or "key=value"/);
    });
  });

  describe('role names: unique per account, regardless of case', () => {
    it.each(['ebs-event-hub-forwarder', 'EBS-Event-Hub-Forwarder'])('GIVEN memberRoleName %j (the forwarder role) THEN it is rejected', (memberRoleName) => {
      expect(problemsOf(withCopy({ memberRoleName }))).toEqual([
        `snapshotCopy.memberRoleName: ${JSON.stringify(memberRoleName)} is the name of the forwarder role every member account gets (IAM role names are unique per account, regardless of case): choose another name`,
      ]);
    });

    it('GIVEN memberRoleName equal to deployment.roleName THEN it is rejected on memberRoleName', () => {
      expect(problemsOf(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1', memberRoleName: 'Deployer' }, deployment: { roleName: 'deployer' } }))).toEqual([
        'snapshotCopy.memberRoleName: "Deployer" is the deployment role (deployment.roleName), which the stacks would then create: choose another name',
      ]);
    });

    it('GIVEN deployment.roleName equal to the default member role name THEN it is rejected on deployment.roleName', () => {
      expect(problemsOf(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' }, deployment: { roleName: 'ebs-event-hub-snapshot-copy' } }))).toEqual([
        'deployment.roleName: "ebs-event-hub-snapshot-copy" is the name of the member copy role (snapshotCopy.memberRoleName, default "ebs-event-hub-snapshot-copy"), which the stacks create: choose another name',
      ]);
    });

    it('GIVEN deployment.roleName equal to the forwarder role THEN it is rejected', () => {
      expect(problemsOf(withDeployment({ roleName: 'ebs-event-hub-forwarder' }))).toEqual([
        'deployment.roleName: "ebs-event-hub-forwarder" is the name of the forwarder role every member account gets: the stacks would create the role they deploy with',
      ]);
    });

    it('GIVEN the central account is a member THEN memberRoleName may not be a copy workflow role there; otherwise it may', () => {
      const members = [...rawConfig().members, { accountId: '111111111111', regions: ['eu-west-1' as const] }];
      for (const name of ['ebs-event-hub-copy-step', 'EBS-EVENT-HUB-COPY-START', 'ebs-event-hub-snapshot-copy-states']) {
        const copy = { destinationRegion: 'eu-central-1' as const, memberRoleName: name };
        expect(problemsOf(rawConfig({ members, snapshotCopy: copy }))).toEqual([
          `snapshotCopy.memberRoleName: ${JSON.stringify(name)} is the name of a role of the snapshot-copy workflow, in the central account (IAM role names are unique per account, regardless of case): choose another name`,
        ]);
        expect(parseOrgConfig(rawConfig({ snapshotCopy: copy })).snapshotCopy?.memberRoleName).toBe(name);
      }
    });

    it('GIVEN snapshotCopy THEN deployment.roleName may not be a copy workflow role (they exist in the central account)', () => {
      expect(problemsOf(rawConfig({ snapshotCopy: { destinationRegion: 'eu-central-1' }, deployment: { roleName: 'ebs-event-hub-copy-sweep' } }))).toEqual([
        'deployment.roleName: "ebs-event-hub-copy-sweep" is the name of a role of the snapshot-copy workflow, in the central account: the stacks would create the role they deploy with',
      ]);
    });

    it('uses the names the stacks give their roles and tags (config/reserved-names.ts is their one definition)', async () => {
      const { buildApp } = await import('../stacks/app');
      const { Testing } = await import('cdktf');
      const { fakeBundle } = await import('./support/bundle');
      const names = await import('../config/reserved-names');
      const members = [{ accountId: '111111111111', name: 'hub', regions: ['eu-west-1' as const] }];
      const app = buildApp({ config: parseOrgConfig(rawConfig({ members, snapshotCopy: { destinationRegion: 'eu-central-1' } })), outdir: Testing.app().outdir, snapshotCopyBundle: fakeBundle() });
      const roleNames = (stack: Parameters<typeof Testing.synth>[0]) => Object.values(JSON.parse(Testing.synth(stack)).resource.aws_iam_role).map((r) => (r as { name: string }).name);
      expect(roleNames(app.members[0]!)).toContain(names.FORWARDER_ROLE_NAME);
      expect(roleNames(app.central).sort()).toEqual([...names.CENTRAL_COPY_ROLE_NAMES.filter((n) => !n.includes('sweep'))].sort());
      const tagsOf = JSON.parse(Testing.synth(app.members[0]!)).provider.aws[0].default_tags[0].tags;
      expect(Object.keys(tagsOf)).toEqual(expect.arrayContaining([names.STACK_TAG_KEY, names.MEMBER_TAG_KEY]));
      expect([names.STACK_TAG_KEY, names.MEMBER_TAG_KEY].every((k) => k.startsWith(names.APP_TAG_KEY_PREFIX))).toBe(true);
    });
  });

  describe('deployment.defaultTags: AWS tag rules', () => {
    it.each([
      ['aws:team', 'starts with "aws:", which AWS reserves for its own tags'],
      ['AWS:Team', 'starts with "aws:", which AWS reserves for its own tags'],
      ['ebs-event-hub:stack', 'is one of the app\'s own tag keys (keys starting with "ebs-event-hub:" are reserved)'],
      ['Ebs-Event-Hub:owner', 'is one of the app\'s own tag keys (keys starting with "ebs-event-hub:" are reserved)'],
      ['cost#center', 'is not a tag key (1-128 letters, digits, spaces and _ . : / = + - @)'],
      ['k'.repeat(129), 'is not a tag key (1-128 letters, digits, spaces and _ . : / = + - @)'],
    ])('GIVEN key %j THEN it is rejected, naming the key', (key, message) => {
      expect(problemsOf(withDeployment({ defaultTags: { [key]: 'x' } }))).toEqual([`${formatPath(['deployment', 'defaultTags', key])}: key ${JSON.stringify(key)} ${message}`]);
    });

    it('GIVEN an empty key THEN it is rejected', () => {
      expect(problemsOf(withDeployment({ defaultTags: { '': 'x' } }))).toEqual(['deployment.defaultTags[""]: key "" is not a tag key (1-128 letters, digits, spaces and _ . : / = + - @)']);
    });

    it.each([['v'.repeat(257)], ['a<b>']])('GIVEN value %j THEN it is rejected', (value) => {
      expect(problemsOf(withDeployment({ defaultTags: { team: value } }))[0]).toMatch(/^deployment\.defaultTags\.team: ".*(\.\.\.|") is not a tag value \(0-256 letters/);
    });

    it('GIVEN a key of 128 and a value of 256 or an empty value THEN they are accepted', () => {
      const defaultTags = { ['k'.repeat(128)]: 'v'.repeat(256), empty: '', 'cost-center/team.name:x=y+z@1': 'Ünïcode ok' };
      expect(parseOrgConfig(withDeployment({ defaultTags })).deployment.defaultTags).toEqual(defaultTags);
    });

    it('GIVEN a named member (two app tags) THEN 48 tags pass and 49 are too many', () => {
      expect(parseOrgConfig(withDeployment({ defaultTags: tags(48) })).deployment.defaultTags).toEqual(tags(48));
      expect(problemsOf(withDeployment({ defaultTags: tags(49) }))).toEqual([
        expect.stringMatching(/^deployment\.defaultTags: \{.* has 49 tags: AWS allows 50 per resource and the app adds its own \(ebs-event-hub:stack, ebs-event-hub:member\), so at most 48$/),
      ]);
    });

    it('GIVEN no named member (one app tag) THEN 49 tags pass and 50 are too many', () => {
      const members = rawConfig().members.map(({ name: _omit, ...m }) => m);
      expect(Object.keys(parseOrgConfig(rawConfig({ members, deployment: { defaultTags: tags(49) } })).deployment.defaultTags)).toHaveLength(49);
      expect(problemsOf(rawConfig({ members, deployment: { defaultTags: tags(50) } }))[0]).toMatch(/has 50 tags: .*\(ebs-event-hub:stack\), so at most 49$/);
    });
  });

  describe('deployment.state: S3 backend key prefix and bucket name', () => {
    it.each([
      ['', 'must not be empty (omit it for the default "ebs-event-hub")'],
      ['/hub', 'must not start or end with "/" (the S3 backend rejects such a key)'],
      ['hub/', 'must not start or end with "/" (the S3 backend rejects such a key)'],
      ['a//b', 'must not contain "//" (the S3 backend rejects such a key)'],
      ['a/../b', 'must not contain a ".." segment'],
      ['..', 'must not contain a ".." segment'],
    ])('GIVEN keyPrefix %j THEN it is rejected', (keyPrefix, message) => {
      expect(problemsOf(withState({ keyPrefix }))).toContain(`deployment.state.keyPrefix: ${JSON.stringify(keyPrefix)} ${message}`);
    });

    it.each(['hub', 'org/prod/ebs-event-hub', 'a..b/c', 'v1.2'])('GIVEN keyPrefix %j THEN it is accepted', (keyPrefix) => {
      expect(parseOrgConfig(withState({ keyPrefix })).deployment.state?.keyPrefix).toBe(keyPrefix);
    });

    it.each([
      ['my..bucket', 'has two adjacent periods, which S3 bucket names may not'],
      ['192.168.5.4', 'is formatted as an IP address, which S3 bucket names may not be'],
      ['xn--state', 'starts with a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-)'],
      ['sthree-state', 'starts with a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-)'],
      ['amzn-s3-demo-state', 'starts with a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-)'],
      ['state-s3alias', 'has a suffix S3 reserves (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)'],
      ['state--ol-s3', 'has a suffix S3 reserves (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)'],
      ['state.mrap', 'has a suffix S3 reserves (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)'],
      ['state--x-s3', 'has a suffix S3 reserves (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)'],
    ])('GIVEN bucket %j THEN it is rejected', (bucket, message) => {
      expect(problemsOf(withState({ bucket }))).toEqual([`deployment.state.bucket: ${JSON.stringify(bucket)} ${message}`]);
    });

    it.each(['ab', 'a'.repeat(64), '-state', 'State'])('GIVEN bucket %j (length, start, case) THEN it is rejected', (bucket) => {
      expect(problemsOf(withState({ bucket }))[0]).toMatch(/^deployment\.state\.bucket: ".*" is not an S3 bucket name \(3-63 lowercase/);
    });

    it.each(['tf-state', 'org.tf-state.eu', 'a'.repeat(63), '1.2.3.4.5'])('GIVEN bucket %j THEN it is accepted', (bucket) => {
      expect(parseOrgConfig(withState({ bucket })).deployment.state?.bucket).toBe(bucket);
    });
  });
});

describe('org config files: JSON duplicates, BOM, YAML aliases, nesting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'org-text-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const problemsIn = (file: string): readonly string[] => {
    try {
      loadOrgConfig(file);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error('expected the file to be rejected');
  };
  const json = JSON.stringify(rawConfig(), null, 2);

  it('GIVEN "members" twice at the top THEN both lines are named (JSON.parse would keep the last and drop accounts)', () => {
    const text = json.replace(/\n}$/, ',\n  "members": [{ "accountId": "444444444444", "regions": ["eu-west-1"] }]\n}');
    const firstLine = text.split('\n').findIndex((l) => l.includes('"members"')) + 1;
    const secondLine = text.split('\n').findLastIndex((l) => l.includes('"members"')) + 1;
    expect(problemsIn(write('dup-top.json', text))).toEqual([
      `members: is given twice (line ${secondLine}, first at line ${firstLine}); a JSON parser keeps only the last, so remove or merge one`,
    ]);
  });

  it('GIVEN duplicates deep inside (an object in an array in an object) THEN each is named with its path', () => {
    const text = '{\n"central": {"accountId": "1", "busName": "a",\n "busName": "b"},\n"members": [{"accountId": "2"}, {"accountId": "3", "regions": [],\n "accountId": "4"}]\n}';
    expect(problemsIn(write('dup-deep.json', text))).toEqual([
      'central.busName: is given twice (line 3, first at line 2); a JSON parser keeps only the last, so remove or merge one',
      'members[1].accountId: is given twice (line 5, first at line 4); a JSON parser keeps only the last, so remove or merge one',
    ]);
  });

  it('finds duplicates by their decoded names, and never in string values', () => {
    expect(findDuplicateJsonKeys('{"a\\u0062": 1, "ab": 2}')).toEqual([{ path: ['ab'], line: 1, firstLine: 1 }]);
    expect(findDuplicateJsonKeys('{"k": "{\\"x\\": 1, \\"x\\": 2}", "l": ["x", "x"], "m": {"x": 1}, "n": {"x": 2}}')).toEqual([]);
  });

  it('GIVEN duplicate keys in YAML THEN they are a ConfigError with the position', () => {
    const file = write('dup.yaml', 'central:\n  accountId: "111111111111"\n  region: eu-west-1\n  busName: a\n  busName: b\nmembers: []\n');
    expect(problemsIn(file)).toEqual([expect.stringMatching(/^line 5, column 3: Map keys must be unique/)]);
  });

  it('GIVEN a UTF-8 byte order mark THEN JSON and YAML files load', () => {
    expect(loadOrgConfig(write('bom.json', `\uFEFF${json}`)).central.busName).toBe(rawConfig().central.busName);
    const yaml = '\uFEFFcentral:\n  accountId: "111111111111"\n  region: eu-west-1\n  busName: hub\nmembers:\n  - accountId: "222222222222"\n    regions: [us-east-1]\n';
    expect(loadOrgConfig(write('bom.yaml', yaml)).central.busName).toBe('hub');
  });

  it('GIVEN 101 members sharing `regions: *std` (over the YAML library\'s default of 100 alias uses) THEN it loads', () => {
    // The first member defines the anchor (the schema has no free key to hold it); 101 more use it.
    const members = Array.from({ length: 102 }, (_, i) => `  - accountId: "${String(200_000_000_000 + i)}"\n    regions: ${i === 0 ? '&std [eu-west-1, us-east-1]' : '*std'}`);
    const text = `central:\n  accountId: "111111111111"\n  region: eu-west-1\n  busName: hub\nmembers:\n${members.join('\n')}\n`;
    expect(() => parseYaml(text)).toThrowError(/Excessive alias count/); // what the library's default would do
    const config = loadOrgConfig(write('many-aliases.yaml', text));
    expect(config.members).toHaveLength(102);
    expect(config.members[101]!.regions).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('GIVEN an alias bomb (each level nine aliases of the one before) THEN a ConfigError, quickly, and no expansion', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    expect(problemsIn(write('bomb.yaml', `${levels.join('\n')}\n`))).toEqual([
      `YAML: aliases expand to more than ${MAX_YAML_EXPANDED_VALUES.toLocaleString('en-US')} values (an alias bomb?); an organization config needs far fewer`,
    ]);
  });

  // YAML 1.1 merge keys (`<<: *defaults`): the loader reads YAML 1.2 (the yaml library's default,
  // `merge: false`: https://eemeli.org/yaml/#options), in which `<<` is an ordinary key, so a member
  // written `<<: *defaults` would silently lose the fields it meant to bring in.
  const centralYaml = 'central:\n  accountId: "111111111111"\n  region: eu-west-1\n  busName: hub\n';
  const MERGE_NOT_SUPPORTED = 'is a YAML merge key, which is not supported (YAML 1.2 has none: it would be read as a field named "<<"); write the fields out, or alias a whole value (regions: *std)';
  it('GIVEN members that merge shared defaults (<<: *defaults) THEN each merge key is named with its path, line and column', () => {
    const text = `${centralYaml}x-defaults: &defaults\n  regions: [eu-west-1]\n  wave: 2\nmembers:\n  - accountId: "222222222222"\n    <<: *defaults\n  - <<: *defaults\n    accountId: "333333333333"\n`;
    expect(problemsIn(write('merge.yaml', text))).toEqual([`members[0]: "<<" (line 10, column 5) ${MERGE_NOT_SUPPORTED}`, `members[1]: "<<" (line 11, column 5) ${MERGE_NOT_SUPPORTED}`]);
  });

  it('GIVEN a merge key at the top level or deep inside (a sequence of maps) THEN its path says where', () => {
    const top = `base: &b\n  busName: hub\n<<: *b\n${centralYaml}members: []\n`;
    expect(problemsIn(write('merge-top.yaml', top))).toEqual([`(top level): "<<" (line 3, column 1) ${MERGE_NOT_SUPPORTED}`]);
    const deep = `${centralYaml}members:\n  - accountId: "222222222222"\n    regions: [eu-west-1]\nsnapshotCopy:\n  destinationRegion: eu-central-1\n  regionMap:\n    <<: {eu-west-1: us-east-1}\n`;
    expect(problemsIn(write('merge-deep.yaml', deep))).toEqual([`snapshotCopy.regionMap: "<<" (line 11, column 5) ${MERGE_NOT_SUPPORTED}`]);
  });

  it('GIVEN a quoted "<<" key (an ordinary key in both YAML versions) THEN it is not taken for a merge key: the schema rejects it as an unknown field', () => {
    const text = `${centralYaml}members:\n  - accountId: "222222222222"\n    regions: [eu-west-1]\n    "<<": x\n`;
    expect(problemsIn(write('merge-quoted.yaml', text))).toEqual(['members[0]["<<"]: is not a known field (check the spelling; config/org-config.schema.json lists the fields)']);
  });

  it('GIVEN anchors and aliases of whole values (no merge) THEN the config loads', () => {
    const text = `${centralYaml}members:\n  - accountId: "222222222222"\n    regions: &std [eu-west-1, us-east-1]\n  - accountId: "333333333333"\n    regions: *std\n`;
    expect(loadOrgConfig(write('merge-aliases.yaml', text)).members[1]!.regions).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('GIVEN an alias inside the value it names THEN a ConfigError', () => {
    expect(problemsIn(write('cycle.yaml', 'central: &c\n  self: *c\n'))).toEqual(['YAML: an alias refers to a value that contains it (a cycle)']);
  });

  it.each([
    ['deep.json', `{"members": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 'JSON'],
    ['deep.yaml', `members: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, 'YAML'],
    ['deeper.json', `${'['.repeat(200_000)}${']'.repeat(200_000)}`, 'JSON'],
  ])('GIVEN %s nested thousands deep THEN a ConfigError, not a crash', (name, text, kind) => {
    expect(problemsIn(write(name, text))).toEqual([expect.stringMatching(new RegExp(`^${kind}: brackets nested \\d+ deep; at most ${MAX_NESTING_DEPTH} are read`))]);
  });

  it('GIVEN YAML block sequences nested thousands deep (no brackets) THEN a ConfigError with the position', () => {
    expect(problemsIn(write('deep-block.yaml', `members:\n  ${'- '.repeat(10_000)}x\n`))).toEqual([expect.stringMatching(/^line 2, column \d+: nested too deeply to read$/)]);
  });

  it('GIVEN an already-parsed value nested 10,000 deep THEN the error formatter shows a bounded value', () => {
    let deep: unknown = [];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const problems = problemsOf(rawConfig({ members: deep as never }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^members\[0\]: \[{9}\.\.\.\]{9} must be an object$/);
    expect(show({ a: deep }).length).toBeLessThanOrEqual(200);
  });
});

describe('ORG_CONFIG', () => {
  it.each(['', '   '])('GIVEN ORG_CONFIG=%j (set but blank) THEN a ConfigError, never the example org', (value) => {
    expect(() => orgConfigPath(value, '/repo')).toThrowError(ConfigError);
    expect(() => orgConfigPath(value, '/repo')).toThrowError(`ORG_CONFIG: ${JSON.stringify(value)} is set but blank; unset it to synthesize the example org`);
    expect(() => loadOrgConfig(value)).toThrowError(/is set but blank/);
  });

  it('GIVEN it unset THEN the example org; relative THEN resolved against the root given; absolute THEN as is', () => {
    expect(orgConfigPath(undefined, '/repo')).toBeUndefined();
    expect(orgConfigPath('orgs/prod.json', '/repo')).toBe('/repo/orgs/prod.json');
    expect(orgConfigPath('../prod.yaml', '/repo')).toBe('/prod.yaml');
    expect(orgConfigPath('/etc/org.json', '/repo')).toBe('/etc/org.json');
  });
});
