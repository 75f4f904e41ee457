/**
 * What the units of the snapshot-copy path share (intake, workflow, sweep; next, vault): the
 * props every unit takes (and the deployed bundle), the log group names, the member-role statement,
 * and prop validation in aws-events style (the unit, the prop, the value, what is allowed).
 *
 * The units are not constructs: each builds its resources directly into the `SnapshotCopy` scope
 * it is given, with fixed ids. A resource's Terraform address and `//.metadata.path` come from its
 * construct path (`central/snapshot-copy/queue` → `snapshot-copy_queue_2D0B9A26`): a construct
 * level between `SnapshotCopy` and its resources would change every address, which Terraform
 * applies as a destroy and a create in every deployed organization
 * (`__tests__/synth-golden.test.ts` holds the synthesized output byte for byte). So the ids a
 * unit uses are part of its contract, listed in its JSDoc, and unique across the units.
 */
import { isAwsRegion } from '../../config/regions';
import { EC2_MAX_CONCURRENT_SNAPSHOT_COPIES } from '../../config/schema';
import { roleArn } from '../names';
import type { PolicyDocument, Statement } from '../policy/policy';
import type { RoleWithPolicies } from '../policy/role-with-policies';

/** The deployed bundle, as every function of the copy path names it. */
export interface FunctionCode {
  /** Path of the zip in the synthesized stack (the `TerraformAsset`'s `path`). */
  readonly filename: string;
  /** `HandlerBundle.sha256` (snapshot-copy.ts). */
  readonly sourceCodeHash: string;
}

/** Where a unit is deployed: the central account and region. */
export interface CopyScope {
  /** The central account (12 digits). */
  readonly accountId: string;
  /** The central region. */
  readonly region: string;
}

/** The props every unit of the copy path takes: where it lives, how it logs, whom its alarms tell. */
export interface CopyUnitProps extends CopyScope {
  /** Retention of every log group of the unit (`central.logRetentionDays`). */
  readonly logRetentionDays: number;
  /** The hub key's ARN: encrypts every log group of the unit. */
  readonly kmsKeyArn: string;
  /** The alert topic the unit's alarms notify. */
  readonly alertTopicArn: string;
}

/** Who the central functions may act as in the member accounts. */
export interface MemberRoleAccess {
  /**
   * The organization: the role is admitted by name in any of its accounts (`aws:ResourceOrgID`).
   * @default - none: the role is listed in each of `memberAccountIds`
   */
  readonly organizationId?: string;
  /** Role assumed in each member account (`snapshotCopy.memberRoleName`). */
  readonly memberRoleName: string;
  /** Member accounts (named in the role policies when there is no organization id). */
  readonly memberAccountIds: readonly string[];
}

/** Log groups: Lambda writes to `/aws/lambda/<name>`; state machines' vended logs under `/aws/vendedlogs/`. */
export const functionLogGroupName = (functionName: string): string => `/aws/lambda/${functionName}`;
/**
 * `/aws/vendedlogs/` keeps the CloudWatch Logs resource policy Step Functions creates from growing
 * per log group (its 5,120-character limit): https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 */
export const stateMachineLogGroupName = (name: string): string => `/aws/vendedlogs/states/${name}`;

/** Every function's Powertools settings (handlers/snapshot-copy/README.md). */
export const POWERTOOLS_ENVIRONMENT = { POWERTOOLS_SERVICE_NAME: 'snapshot-copy', POWERTOOLS_LOG_LEVEL: 'INFO' } as const;

/** Advice when a role listing every member account's copy role passes IAM's size quota. */
export const MEMBER_LIST_SIZE_HINT = 'Without organizationId the policy lists the member copy role of every account: set organizationId to admit them with one statement';

/** Assume the member role by name only: in the organization, or in the listed accounts. */
export function assumeMemberRole(props: MemberRoleAccess): Statement {
  return props.organizationId
    ? {
        Sid: 'AssumeMemberCopyRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: roleArn('*', props.memberRoleName),
        Condition: { StringEquals: { 'aws:ResourceOrgID': props.organizationId } },
      }
    : {
        Sid: 'AssumeMemberCopyRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [...new Set(props.memberAccountIds)].sort().map((a) => roleArn(a, props.memberRoleName)),
      };
}

/** A role of the copy path with its one inline policy (CopyFunction, CopyStateMachine, or built by a unit). */
export interface OwnedRole {
  readonly roleName: string;
  readonly role: RoleWithPolicies;
  readonly policy: PolicyDocument;
}

/** A unit's roles, by role name (what `SnapshotCopy.roles` merges). */
export const rolesByName = (owned: readonly OwnedRole[]): Record<string, RoleWithPolicies> => Object.fromEntries(owned.map((o) => [o.roleName, o.role]));
/** A unit's role policies, by role name: what the IAM tests evaluate. */
export const policiesByName = (owned: readonly OwnedRole[]): Record<string, PolicyDocument> => Object.fromEntries(owned.map((o) => [o.roleName, o.policy]));

// --- prop validation ------------------------------------------------------------------------

/** `<unit>: <prop> <value> <what is wrong and what is allowed>`. */
export function invalidProp(unit: string, prop: string, value: unknown, problem: string): Error {
  return new Error(`${unit}: ${prop} ${typeof value === 'number' ? value : JSON.stringify(value)} ${problem}`);
}

/** A whole number from `min` to `max`. */
export function checkWholeNumber(unit: string, prop: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw invalidProp(unit, prop, value, `is not a whole number from ${min} to ${max}`);
}

/** `maxInFlightCopies`: 1 to EC2's concurrent-copy quota. */
export const checkMaxInFlightCopies = (unit: string, value: number): void => checkWholeNumber(unit, 'maxInFlightCopies', value, 1, EC2_MAX_CONCURRENT_SNAPSHOT_COPIES);

/** The central account and region a unit is built for. */
export function checkScope(unit: string, props: CopyScope): void {
  if (!/^\d{12}$/.test(props.accountId)) throw invalidProp(unit, 'accountId', props.accountId, 'is not a 12-digit AWS account ID');
  if (!isAwsRegion(props.region)) throw invalidProp(unit, 'region', props.region, 'is not a commercial AWS region (config/regions.ts)');
}

/** An IAM role name: 1-64 of `[\w+=,.@-]`. */
export function checkRoleName(unit: string, prop: string, value: string): void {
  if (!/^[\w+=,.@-]{1,64}$/.test(value)) throw invalidProp(unit, prop, value, 'is not an IAM role name (1-64 characters of A-Z a-z 0-9 + = , . @ _ -)');
}

/**
 * The member role access: a role name, and without an organization at least one member account,
 * each of 12 digits (an empty list would give a policy that admits no role at all).
 */
export function checkMemberRoleAccess(unit: string, props: MemberRoleAccess): void {
  checkRoleName(unit, 'memberRoleName', props.memberRoleName);
  const bad = props.memberAccountIds.find((a) => !/^\d{12}$/.test(a));
  if (bad !== undefined) throw invalidProp(unit, 'memberAccountIds', bad, 'is not a 12-digit AWS account ID');
  if (!props.organizationId && props.memberAccountIds.length === 0) {
    throw new Error(`${unit}: memberAccountIds is empty and organizationId is not set: give the member accounts, or the organization`);
  }
}
