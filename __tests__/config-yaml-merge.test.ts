/**
 * YAML merge keys (`<<: *defaults`) belong to YAML 1.1; the loader reads YAML 1.2 (the `yaml`
 * library's default, `merge: false`: https://eemeli.org/yaml/#options), in which `<<` is an
 * ordinary key. Read silently, a member written `<<: *defaults` would lose the fields it meant to
 * bring in; each merge key is a ConfigError naming its path and position instead.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadOrgConfig } from '../config/load';

const dir = mkdtempSync(join(tmpdir(), 'org-merge-'));
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

const central = 'central:\n  accountId: "111111111111"\n  region: eu-west-1\n  busName: hub\n';
const NOT_SUPPORTED = 'is a YAML merge key, which is not supported (YAML 1.2 has none: it would be read as a field named "<<"); write the fields out, or alias a whole value (regions: *std)';

describe('org config: YAML merge keys', () => {
  it('GIVEN members that merge shared defaults (<<: *defaults) THEN each merge key is named with its path, line and column', () => {
    const text = `${central}x-defaults: &defaults\n  regions: [eu-west-1]\n  wave: 2\nmembers:\n  - accountId: "222222222222"\n    <<: *defaults\n  - <<: *defaults\n    accountId: "333333333333"\n`;
    expect(problemsIn(write('merge.yaml', text))).toEqual([`members[0]: "<<" (line 10, column 5) ${NOT_SUPPORTED}`, `members[1]: "<<" (line 11, column 5) ${NOT_SUPPORTED}`]);
  });

  it('GIVEN a merge key at the top level or deep inside (a sequence of maps) THEN its path says where', () => {
    const top = `base: &b\n  busName: hub\n<<: *b\n${central}members: []\n`;
    expect(problemsIn(write('top.yaml', top))).toEqual([`(top level): "<<" (line 3, column 1) ${NOT_SUPPORTED}`]);
    const deep = `${central}members:\n  - accountId: "222222222222"\n    regions: [eu-west-1]\nsnapshotCopy:\n  destinationRegion: eu-central-1\n  regionMap:\n    <<: {eu-west-1: us-east-1}\n`;
    expect(problemsIn(write('deep.yaml', deep))).toEqual([`snapshotCopy.regionMap: "<<" (line 11, column 5) ${NOT_SUPPORTED}`]);
  });

  it('GIVEN a quoted "<<" key (an ordinary key in both YAML versions) THEN it is not taken for a merge key: the schema rejects it as an unknown field', () => {
    const text = `${central}members:\n  - accountId: "222222222222"\n    regions: [eu-west-1]\n    "<<": x\n`;
    expect(problemsIn(write('quoted.yaml', text))).toEqual(['members[0]["<<"]: is not a known field (check the spelling; config/org-config.schema.json lists the fields)']);
  });

  it('GIVEN anchors and aliases of whole values (no merge) THEN the config loads', () => {
    const text = `${central}members:\n  - accountId: "222222222222"\n    regions: &std [eu-west-1, us-east-1]\n  - accountId: "333333333333"\n    regions: *std\n`;
    expect(loadOrgConfig(write('aliases.yaml', text)).members[1]!.regions).toEqual(['eu-west-1', 'us-east-1']);
  });
});
