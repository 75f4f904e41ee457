import { describe, expect, it } from 'vitest';
import { diffStack } from '../../cli/review/diff';
import { diffJson, diffStateMachine } from '../../cli/review/json-diff';
import { buildReport, renderMarkdown } from '../../cli/review/render';

const definition = (states: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ Comment: 'copy', StartAt: 'Inspect', States: states, ...extra });
const inspect = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], MaxAttempts: 3 }], Next: 'Wait' };
const wait = { Type: 'Wait', Seconds: 60, Next: 'Done' };
const done = { Type: 'Succeed' };

describe('state machine definitions: a diff of the parsed definition', () => {
  it('lists states added, removed and changed, with the changed fields before and after', () => {
    const before = definition({ Inspect: inspect, Wait: wait, Done: done });
    const after = definition({ Inspect: { ...inspect, Retry: [{ ...inspect.Retry[0], MaxAttempts: 6 }], Next: 'Copy' }, Copy: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ec2:copySnapshot', End: true } }, { TimeoutSeconds: 3600 });
    expect(diffStateMachine(before, after)).toEqual({
      added: ['Copy'],
      removed: ['Wait', 'Done'],
      changed: [{ state: 'Inspect', fields: [{ path: 'Retry[0].MaxAttempts', before: '3', after: '6' }, { path: 'Next', before: '"Wait"', after: '"Copy"' }] }],
      top: [{ path: 'TimeoutSeconds', after: '3600' }],
    });
  });

  it('reads nested states (Map item processors, Parallel branches) as Outer/Inner', () => {
    const map = (inner: Record<string, unknown>) => ({ Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Each', States: inner }, End: true });
    const d = diffStateMachine(definition({ Fan: map({ Each: wait }) }), definition({ Fan: map({ Each: { ...wait, Seconds: 30 }, Extra: done }) }));
    expect(d).toEqual({ added: ['Fan/Extra'], removed: [], changed: [{ state: 'Fan/Each', fields: [{ path: 'Seconds', before: '60', after: '30' }] }], top: [] });
  });

  it('diffs any JSON value by path', () => {
    expect(diffJson({ source: ['aws.ec2'], detail: { state: ['completed'] } }, { source: ['aws.ec2', 'aws.ebs'], detail: { state: ['completed'] } })).toEqual([{ path: 'source', before: '["aws.ec2"]', after: '["aws.ec2","aws.ebs"]' }]);
    expect(diffJson({ a: 1 }, { a: 1, b: 'x' })).toEqual([{ path: 'b', after: '"x"' }]);
  });
});

describe('JSON-string arguments in the stack diff and the report', () => {
  const meta = (path: string) => ({ '//': { metadata: { path, uniqueId: path } } });
  const stack = (def: object, pattern: object, input: object) => ({
    resource: {
      aws_sfn_state_machine: { copy: { ...meta('c/copy'), name: 'copy', definition: JSON.stringify(def), region: 'eu-west-1' } },
      aws_cloudwatch_event_rule: { rule: { ...meta('c/rule'), name: 'r', event_pattern: JSON.stringify(pattern), region: 'eu-west-1' } },
      aws_cloudwatch_event_target: { target: { ...meta('c/target'), rule: 'r', arn: 'arn:aws:sqs:eu-west-1:1:q', input: JSON.stringify(input), region: 'eu-west-1' } },
    },
  });
  const before = stack(definition({ Inspect: inspect, Wait: wait, Done: done }), { source: ['aws.ec2'] }, { mode: 'copy' });
  const after = stack(definition({ Inspect: { ...inspect, Next: 'Done' }, Done: done }), { source: ['aws.ec2'], 'detail-type': ['EBS Snapshot Notification'] }, { mode: 'sweep' });
  const d = diffStack('central', before, after);

  it('GIVEN a changed definition, event pattern and input THEN each carries what changed inside, in place (not replaced)', () => {
    const sm = d.changed.find((c) => c.address === 'aws_sfn_state_machine.copy')!;
    expect(sm.replacedFor).toEqual([]);
    expect(sm.attributes[0]!.stateMachine).toEqual({ added: [], removed: ['Wait'], changed: [{ state: 'Inspect', fields: [{ path: 'Next', before: '"Wait"', after: '"Done"' }] }], top: [] });
    expect(d.changed.find((c) => c.address === 'aws_cloudwatch_event_rule.rule')!.attributes[0]!.json).toEqual([{ path: 'detail-type', after: '["EBS Snapshot Notification"]' }]);
    expect(d.changed.find((c) => c.address === 'aws_cloudwatch_event_target.target')!.attributes[0]!.json).toEqual([{ path: 'mode', before: '"copy"', after: '"sweep"' }]);
  });

  it('GIVEN the report THEN it shows the states and paths, not two long string prefixes', () => {
    const md = renderMarkdown(buildReport({ addedStacks: [], removedStacks: [], changedStacks: ['central'], unchangedStacks: [], stacks: [d], suppressions: [] }, { ref: 'main', commit: 'c'.repeat(40) }, 1));
    expect(md).toContain(['- `aws_sfn_state_machine.copy` (updated in place)', '  - `definition`: state machine definition changed', '    - states removed: `Wait`', '    - state `Inspect` changed:', '      - `Next`: `"Wait"` -> `"Done"`'].join('\n'));
    expect(md).toContain(['  - `event_pattern`: JSON document changed', '    - `detail-type`: added `["EBS Snapshot Notification"]`'].join('\n'));
    expect(md).not.toContain('{"Comment"');
  });
});
