/**
 * Proof: `npm run review -- --base` over real change pairs, each made by editing the org config
 * of a repository (the example org, three members under an organization) and committing it. The
 * assertions are what Terraform would do with hashicorp/aws 6.25 (ForceNew from the provider's
 * source, `cli/review/force-new-table.ts`), and what IAM would admit.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewJsonSchema, type ReviewJson } from '../../cli/review/review-json';
import type { OrgConfigInput } from '../../config/schema';
import { git, runTs, tempRepo } from '../support/temp-repo';
import { exampleOrg } from './synth-configs';

const ORG = 'org.json';
let repo: string;
let baseCommit: string;

beforeAll(() => {
  repo = tempRepo('review-pairs-');
  writeFileSync(join(repo, ORG), JSON.stringify(exampleOrg(), null, 2));
  git(repo, 'add', ORG);
  git(repo, 'commit', '-q', '-m', 'the example org');
  baseCommit = git(repo, 'rev-parse', 'HEAD');
});
afterAll(() => rmSync(dirname(repo), { recursive: true, force: true }));

/** Commits `edit` of the example org, reviews it against the base, then returns to the base. */
function reviewChange(name: string, edit: (org: OrgConfigInput) => OrgConfigInput): { json: ReviewJson; md: string } {
  writeFileSync(join(repo, ORG), JSON.stringify(edit(exampleOrg()), null, 2));
  git(repo, 'commit', '-q', '-am', name);
  try {
    const run = runTs(repo, 'cli/review.ts', ['--base', baseCommit, '--out', `out/${name}`], { ORG_CONFIG: ORG });
    expect(run.status, run.stderr).toBe(0);
    const json = reviewJsonSchema.parse(JSON.parse(readFileSync(join(repo, 'out', name, 'review.json'), 'utf8')));
    return { json, md: run.stdout };
  } finally {
    git(repo, 'reset', '-q', '--hard', baseCommit);
  }
}

const riskSummary = (md: string) => md.slice(md.indexOf('## Risk summary'), md.indexOf('## Stacks'));
const replaced = (json: ReviewJson, stack: string, addressPrefix: string) => json.replacements.filter((r) => r.stack === stack && r.address.startsWith(addressPrefix));

describe('review over real change pairs', () => {
  it('GIVEN central.busName renamed THEN the bus, its archive, its rules and targets and the audit log group are REPLACED, the data lost said in words, first in the risk summary', () => {
    const { json, md } = reviewChange('bus-rename', (org) => ({ ...org, central: { ...org.central, busName: 'ebs-events-renamed' } }));
    expect(replaced(json, 'central', 'aws_cloudwatch_event_bus.')).toEqual([{ stack: 'central', address: expect.any(String), attributes: ['name'], loses: 'the event bus, and the rules and targets on it', dataLoss: true }]);
    expect(replaced(json, 'central', 'aws_cloudwatch_event_archive.')).toEqual([
      { stack: 'central', address: expect.any(String), attributes: [expect.stringMatching(/^event_source_arn \(aws_cloudwatch_event_bus\.\S+ is replaced: new arn\)$/)], loses: 'the archive and every event it holds: nothing is left to replay', dataLoss: true },
    ]);
    // Every rule on the bus and its target; the copy-execution alert rule listens on the account's default bus and stays.
    const onDefaultBus = 1;
    expect(replaced(json, 'central', 'aws_cloudwatch_event_rule.')).toHaveLength(json.stacks.central!.resourceTypes.aws_cloudwatch_event_rule! - onDefaultBus);
    expect(replaced(json, 'central', 'aws_cloudwatch_event_target.')).toHaveLength(json.stacks.central!.resourceTypes.aws_cloudwatch_event_target! - onDefaultBus);
    expect(json.replacements.map((r) => r.address).filter((a) => a.includes('execution-alert'))).toEqual([]);
    expect(replaced(json, 'central', 'aws_cloudwatch_log_group.audit-log')).toEqual([expect.objectContaining({ loses: 'the log group and all its logs', dataLoss: true })]);
    // Members only retarget their forwarding rule: updated in place.
    expect(json.replacements.filter((r) => r.stack !== 'central')).toEqual([]);
    expect(json.stacks.central!.verdict).toMatch(/^REPLACES \d+ \(3 LOSING DATA\)/);
    const risk = riskSummary(md);
    expect(risk).toMatch(/^## Risk summary\n\n- \*\*\d+ resources REPLACED\*\* \(destroyed, then created[^\n]*\*\*3 losing data\*\*:\n {2}- `central` `aws_cloudwatch_event_archive\.archive`, for event_source_arn [^\n]*\*\*LOSES DATA: the archive and every event it holds: nothing is left to replay\*\*/);
    expect(risk).toContain('**LOSES DATA: the event bus, and the rules and targets on it**');
    expect(risk.indexOf('REPLACED')).toBeLessThan(risk.indexOf('widening'));
  });

  it('GIVEN snapshotCopy.memberRoleName renamed THEN every member role, its inline policy and its exclusive-policies resource are REPLACED, not updated in place', () => {
    const { json, md } = reviewChange('role-rename', (org) => ({ ...org, snapshotCopy: { ...org.snapshotCopy!, memberRoleName: 'dr-copy-role' } }));
    const members = ['member-222222222222', 'member-333333333333', 'member-444444444444'];
    for (const stack of members) {
      expect(replaced(json, stack, 'aws_iam_role.')).toEqual([expect.objectContaining({ attributes: ['name'], dataLoss: false })]);
      expect(replaced(json, stack, 'aws_iam_role_policy.')).toEqual([expect.objectContaining({ attributes: [expect.stringMatching(/^role \(aws_iam_role\.\S+\.name changes\)$/)] })]);
      expect(replaced(json, stack, 'aws_iam_role_policies_exclusive.')).toEqual([expect.objectContaining({ attributes: [expect.stringMatching(/^role_name \(aws_iam_role\.\S+\.name changes\)$/)] })]);
      const role = json.stacks[stack]!.resources!.changed.find((c) => c.address.startsWith('aws_iam_role.snapshot-copy-role'))!;
      expect(role.replacedFor).toEqual(['name']);
      expect(json.stacks[stack]!.verdict).toBe('REPLACES 3');
    }
    expect(md).toMatch(/- in 3 stacks \(`member-222222222222`, `member-333333333333`, `member-444444444444`\): `aws_iam_role\.snapshot-copy-role_\w+`, for name\n/);
    expect(md).not.toMatch(/`aws_iam_role\.snapshot-copy-role_\w+` \(updated in place\)/);
  });

  it('GIVEN organizationId dropped THEN the bus policy lists the accounts: narrower, and no widening is flagged', () => {
    const { json, md } = reviewChange('org-to-list', (org) => {
      const { organizationId: _dropped, ...rest } = org;
      return rest;
    });
    expect(json.widenings).toEqual([]);
    expect(json.replacements).toEqual([]);
    const busPolicy = json.stacks.central!.policyChanges!.find((p) => p.label === 'event bus policy')!;
    const added = busPolicy.statements.find((s) => s.kind === 'added')!;
    expect(added.widening).toEqual([]);
    expect(added.details.join('\n')).toMatch(/principal narrowed: \* in organization o-a1b2c3d4e5 -> AWS:arn:aws:iam::222222222222:root, .* \(the named accounts taken as members of o-a1b2c3d4e5/);
    expect(riskSummary(md)).toContain('No replacement, no removed stack, no deletion, no widening.');
  });

  it('GIVEN a member removed from the config THEN the review names the stack, the resources it leaves behind, and the command that destroys them', () => {
    const { json, md } = reviewChange('remove-member', (org) => ({ ...org, members: org.members.filter((m) => m.accountId !== '444444444444') }));
    expect(json.removedStacks).toEqual(['member-444444444444']);
    const base = json.stacks['member-444444444444']!;
    const resources = Object.values(base.resourceTypes).reduce((a, b) => a + b, 0);
    expect(resources).toBeGreaterThan(10);
    expect(json.leftBehind).toEqual([{ stack: 'member-444444444444', resources, resourceTypes: base.resourceTypes, wouldLose: ['the queue and every message in it'], command: 'npm run rollout -- --destroy member-444444444444' }]);
    expect(riskSummary(md)).toBe(
      '## Risk summary\n\n' +
        `- **stack \`member-444444444444\` REMOVED from the config**: its ${resources} resources (base synth) are **left behind** in the account: Terraform does not destroy a stack that is no longer synthesized. ` +
        'To destroy them, run `npm run rollout -- --destroy member-444444444444` (that destroys the queue and every message in it).\n\n',
    );
    expect(md).toContain(`| \`member-444444444444\` | REMOVED from the config: its ${resources} resources are left behind, not destroyed (\`npm run rollout -- --destroy member-444444444444\` destroys them) |`);
  });

  it('GIVEN the copy destination region changed THEN nothing is replaced; the old region forwarding queues are destroyed with their messages, and the new region grants are widenings', () => {
    const { json, md } = reviewChange('copy-destination', (org) => ({ ...org, snapshotCopy: { ...org.snapshotCopy!, destinationRegion: 'us-west-2' } }));
    expect(json.replacements).toEqual([]);
    // Members that forwarded from eu-central-1 only because copies went there lose that region's forwarding.
    const queues = json.deletions.filter((d) => d.address.startsWith('aws_sqs_queue.forwarding_dlq-eu-central-1'));
    expect(queues.map((q) => q.stack)).toEqual(['member-333333333333', 'member-444444444444']);
    for (const q of queues) expect(q).toMatchObject({ loses: 'the queue and every message in it', dataLoss: true });
    expect(json.widenings.filter((w) => w.sid === 'CopySnapshotsToDestinationRegions').map((w) => w.reasons)).toEqual([
      ['resource widened: + arn:aws:ec2:us-west-2::snapshot/*'],
      ['resource widened: + arn:aws:ec2:us-west-2::snapshot/*'],
      ['resource widened: + arn:aws:ec2:us-west-2::snapshot/*'],
    ]);
    expect(riskSummary(md)).toMatch(/`aws_sqs_queue\.forwarding_dlq-eu-central-1_queue_\w+` \*\*LOSES DATA: the queue and every message in it\*\*/);
    expect(json.stacks.central!.resources!.changed.map((c) => c.attributes.map((a) => `${a.attribute}: ${a.before} -> ${a.after}`))).toEqual([['environment.variables.DESTINATION_REGION: eu-central-1 -> us-west-2']]);
  });
});
