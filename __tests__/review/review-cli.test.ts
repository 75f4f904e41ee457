import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameBundleInputs } from '../../cli/review/trees';
import { rawConfig } from '../support/config';
import { git, runTs, tempRepo } from '../support/temp-repo';

/** The org file committed in the test repository (ORG_CONFIG names it relative to the root). */
const ORG = 'org.json';
const NEW_ACCOUNT = '555555555555';

let repo: string;

const review = (args: string[]) => runTs(repo, 'cli/review.ts', args, { ORG_CONFIG: ORG });
const reviewJson = (out = 'cdktf.out/review') => JSON.parse(readFileSync(join(repo, out, 'review.json'), 'utf8'));

afterAll(() => rmSync(dirname(repo), { recursive: true, force: true }));

beforeAll(() => {
  repo = tempRepo('review-');
  writeFileSync(join(repo, ORG), JSON.stringify(rawConfig(), null, 2));
  git(repo, 'add', ORG);
  git(repo, 'commit', '-q', '-m', 'org with two members');
});

describe('npm run review, without --base', () => {
  it('GIVEN the working tree THEN prints every stack with its resource counts by type, and writes review.md and review.json', () => {
    const run = review([]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('The working tree synthesizes 3 stacks');
    const row = run.stdout.split('\n').find((l) => l.startsWith('| `member-333333333333` |'))!;
    expect(row).toMatch(/^\| `member-333333333333` \| \d+ \| aws_cloudwatch_event_rule 1, aws_cloudwatch_event_target 1, /);
    expect(row).toContain('aws_sqs_queue 1');
    expect(readFileSync(join(repo, 'cdktf.out/review/review.md'), 'utf8')).toBe(run.stdout);
    const json = reviewJson();
    expect(json.base).toBeNull();
    expect(Object.keys(json.stacks)).toEqual(['central', 'member-222222222222', 'member-333333333333']);
    expect(json.stacks['member-222222222222'].resourceTypes.aws_cloudwatch_event_rule).toBe(2); // two regions
    expect(json.addedStacks).toEqual([]);
  });
});

describe('npm run review -- --base', () => {
  it('GIVEN one account onboarded under an organizationId THEN exactly one new stack and nothing else', () => {
    const org = rawConfig();
    writeFileSync(join(repo, ORG), JSON.stringify({ ...org, members: [...org.members, { accountId: NEW_ACCOUNT, regions: ['eu-west-1'] }] }, null, 2));
    git(repo, 'commit', '-q', '-am', 'onboard one account');
    const run = review(['--base', 'HEAD~1', '--out', 'out/onboard']);
    expect(run.status, run.stderr).toBe(0);
    const json = reviewJson('out/onboard');
    expect(json.addedStacks).toEqual([`member-${NEW_ACCOUNT}`]);
    expect(json.removedStacks).toEqual([]);
    expect(json.changedStacks).toEqual([]);
    expect(json.unchangedStacks).toEqual(['central', 'member-222222222222', 'member-333333333333']);
    expect(json).toMatchObject({ widenings: [], deletions: [], replacements: [], possibleReplacements: [], leftBehind: [] });
    expect(json.stacks[`member-${NEW_ACCOUNT}`].status).toBe('added');
    expect(run.stdout).toContain('1 added, 0 removed, 0 changed, 3 unchanged');
    expect(run.stdout).toContain('No replacement, no removed stack, no deletion, no widening.');
    // The base's temporary worktree is gone.
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('GIVEN a change that drops the DLQ policy condition THEN every DLQ policy change is flagged as widening, at the top and per stack', () => {
    const file = join(repo, 'stacks/dead-letter-queue.ts');
    const source = readFileSync(file, 'utf8');
    const dropped = source.replace("      Condition: { ArnEquals: { 'aws:SourceArn': [...props.sourceRuleArns] } },\n", '');
    expect(dropped).not.toBe(source);
    writeFileSync(file, dropped);
    try {
      const run = review(['--base', 'HEAD', '--out', 'out/widening']); // uncommitted change vs HEAD
      expect(run.status, run.stderr).toBe(0);
      const json = reviewJson('out/widening');
      expect(json.changedStacks).toEqual(['central', 'member-222222222222', 'member-333333333333', `member-${NEW_ACCOUNT}`]);
      expect(json.widenings.length).toBe(5); // central's target DLQ, one DLQ per member region
      expect(json.widenings[0]).toMatchObject({ stack: 'central', policy: 'SQS queue policy', sid: 'EventBridgeRulesSendFailedEvents', reasons: [expect.stringMatching(/^condition dropped: ArnEquals aws:SourceArn/)] });
      expect(json.stacks.central.counts.widenings).toBe(1);
      expect(json.stacks.central.verdict).toMatch(/^WIDENS ACCESS \(1 statement\); updates 1 in place/);
      expect(run.stdout).toMatch(/## Risk summary\n\n- \*\*5 widenings\*\*/);
      expect(run.stdout).toContain('changed `EventBridgeRulesSendFailedEvents` **WIDENING**: Allow sqs:SendMessage to Service:events.amazonaws.com');
    } finally {
      writeFileSync(file, source);
    }
  });

  it('GIVEN a ref that names no commit THEN exit 2 with the ref named, and the existing report left as it was', () => {
    const before = readFileSync(join(repo, 'out/onboard/review.json'));
    const run = review(['--base', 'origin/no-such-branch', '--out', 'out/onboard']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('error: --base "origin/no-such-branch" names no commit');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(join(repo, 'out/onboard/review.json')).equals(before)).toBe(true);
  });

  it('GIVEN a base that does not synthesize THEN exit 2 with its error, and no report', () => {
    writeFileSync(join(repo, ORG), '{ "central": ');
    git(repo, 'commit', '-q', '-am', 'broken org file');
    writeFileSync(join(repo, ORG), JSON.stringify(rawConfig(), null, 2));
    git(repo, 'commit', '-q', '-am', 'fixed org file');
    const run = review(['--base', 'HEAD~1', '--out', 'out/broken-base']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/error: the base HEAD~1 \([0-9a-f]{12}\) does not synthesize:\n[\s\S]*org\.json: 1 problem:\n.*invalid JSON/);
    expect(existsSync(join(repo, 'out/broken-base'))).toBe(false);
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('GIVEN unresolved merge conflicts THEN exit 2 naming the files, and no report', () => {
    git(repo, 'checkout', '-q', '-b', 'other', 'HEAD~1');
    writeFileSync(join(repo, ORG), JSON.stringify(rawConfig({ members: [{ accountId: '666666666666', regions: ['eu-west-1'] }] })));
    git(repo, 'commit', '-q', '-am', 'conflicting org');
    git(repo, 'checkout', '-q', 'main');
    try {
      expect(() => git(repo, 'merge', '-q', 'other')).toThrow();
      const run = review(['--base', 'HEAD', '--out', 'out/conflict']);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`error: the working tree has unresolved merge conflicts (${ORG})`);
      expect(existsSync(join(repo, 'out/conflict'))).toBe(false);
    } finally {
      git(repo, 'merge', '--abort');
    }
  });

  it('reuses the working tree bundle for the base only while handler sources, build script and lockfile are unchanged', () => {
    expect(sameBundleInputs(repo, git(repo, 'rev-parse', 'HEAD'))).toBe(true);
    const file = join(repo, 'handlers/snapshot-copy/index.ts');
    const source = readFileSync(file, 'utf8');
    writeFileSync(file, `${source}\n// changed\n`);
    try {
      expect(sameBundleInputs(repo, git(repo, 'rev-parse', 'HEAD'))).toBe(false);
    } finally {
      writeFileSync(file, source);
    }
    writeFileSync(join(repo, 'handlers/snapshot-copy/new-module.ts'), 'export {};\n');
    try {
      expect(sameBundleInputs(repo, git(repo, 'rev-parse', 'HEAD'))).toBe(false);
    } finally {
      rmSync(join(repo, 'handlers/snapshot-copy/new-module.ts'));
    }
  });

  it('rejects unknown arguments and a --base without a value with usage, exit 2', () => {
    const unknown = review(['--bse', 'main']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('error: unknown argument "--bse"; usage: npm run review [-- --base <git ref>] [--out <folder>]');
    const empty = review(['--base']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('error: --base needs a value');
  });
});
