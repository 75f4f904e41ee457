/** What the snapshot-copy tests share: a synthesized app with copy on, and a bare scope for one unit. */
import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { expect } from 'vitest';
import { parseOrgConfig } from '../../config/load';
import type { OrgConfigInput } from '../../config/schema';
import { buildApp } from '../../stacks/app';
import type { CopyUnitProps, FunctionCode } from '../../stacks/central/snapshot-copy-common';
import type { PolicyDocument, Statement } from '../../stacks/policy/policy';
import { fakeBundle } from '../support/bundle';
import { CENTRAL_ACCOUNT, CENTRAL_REGION } from '../support/config';
import { synthStack, theResource, type StackJson } from '../support/synth';

export const COPY = { destinationRegion: 'eu-central-1', regionMap: { 'eu-central-1': 'eu-west-1' }, kmsKeyId: 'alias/ebs-dr', copyTag: 'dr=true' } as const;
export const WITH_RETENTION = { ...COPY, retentionDays: 30, maxInFlightCopies: 12 } as const;
export const ARN = (service: string, resource: string) => `arn:aws:${service}:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:${resource}`;
export const FUNCTIONS = ['ebs-event-hub-copy-start', 'ebs-event-hub-copy-step', 'ebs-event-hub-copy-sweep'];

export function synthAll(raw: OrgConfigInput, bundle = fakeBundle()) {
  const built = buildApp({ config: parseOrgConfig(raw), outdir: Testing.app().outdir, snapshotCopyBundle: bundle });
  return { built, central: synthStack(built.central), members: built.members.map((m) => synthStack(m)) };
}

export const statement = (doc: PolicyDocument, sid: string): Statement => {
  const found = doc.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${JSON.stringify(doc)}`);
  return found;
};
export const fnNamed = (stack: StackJson, name: string) => theResource(stack, LambdaFunction.tfResourceType, (f) => f.function_name === name);
export const envOf = (fn: Record<string, unknown>) => (fn.environment as { variables: Record<string, string> }).variables;
export const machineNamed = (stack: StackJson, name: string) => theResource(stack, SfnStateMachine.tfResourceType, (m) => m.name === name);

/** Every `lambda:invoke` task of a definition, at any depth (Map item processors included). */
export function invokedFunctions(definition: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    if (o.Type === 'Task') {
      expect(o.Resource).toBe('arn:aws:states:::lambda:invoke');
      found.push(String((o.Parameters as Record<string, unknown>).FunctionName));
    }
    Object.values(o).forEach(walk);
  };
  walk(definition);
  return found;
}

// --- one unit on its own ----------------------------------------------------------------------

/** The props every unit takes, for the central account of the test config. */
export const UNIT: CopyUnitProps = {
  accountId: CENTRAL_ACCOUNT,
  region: CENTRAL_REGION,
  logRetentionDays: 90,
  kmsKeyArn: ARN('kms', 'key/hub'),
  alertTopicArn: ARN('sns', 'ebs-event-hub-alerts'),
};
export const CODE: FunctionCode = { filename: 'assets/code/snapshot-copy.zip', sourceCodeHash: 'c2hhMjU2' };
export const CENTRAL_TARGET_DLQ = ARN('sqs', 'ebs-event-hub-central-target-dlq');

/** A stack with a bare `snapshot-copy` construct, as `SnapshotCopy` gives its units. */
export function unitScope(): { stack: TerraformStack; scope: Construct } {
  const stack = new TerraformStack(Testing.app(), 'central');
  return { stack, scope: new Construct(stack, 'snapshot-copy') };
}

/** The ids a unit built into `scope` (its contract: each is part of a Terraform address). */
export const idsIn = (scope: Construct): string[] => scope.node.children.map((c) => c.node.id).sort();
