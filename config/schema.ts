/**
 * The organization config: the one input of this app.
 *
 * Written once with zod; the JSON Schema editors use (`config/org-config.schema.json`) is
 * generated from this same schema by `npm run get-schema`, and a test fails when it is stale.
 *
 * Field names are a contract: see README "Config reference".
 */
import { z } from 'zod';
import { AWS_REGIONS, isAwsRegion } from './regions';
import { APP_TAG_KEY_PREFIX, CENTRAL_COPY_ROLE_NAMES, FORWARDER_ROLE_NAME, MEMBER_TAG_KEY, STACK_TAG_KEY, VAULT_ROLE_NAME } from './reserved-names';

/** Defaults of the role names, also used by the cross-field checks on input without defaults applied. */
export const DEFAULT_DEPLOYMENT_ROLE_NAME = 'OrganizationAccountAccessRole';
export const DEFAULT_MEMBER_ROLE_NAME = 'ebs-event-hub-snapshot-copy';
export const DEFAULT_PLAN_ROLE_NAME = 'ebs-event-hub-plan';

/** Retention values CloudWatch Logs accepts (`retention_in_days`). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const accountId = z
  .string()
  .regex(/^\d{12}$/, { error: 'is not a 12-digit AWS account ID' })
  .describe('12-digit AWS account ID');

/** A region name; an enum so editors complete it from the JSON Schema. */
const region = z
  .enum(AWS_REGIONS, { error: 'is not a commercial AWS region name (e.g. us-east-1; the full list is in config/regions.ts)' })
  .describe('AWS region name, e.g. eu-west-1');

const logRetention = z
  .number()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    error: `is not a CloudWatch Logs retention (allowed: ${LOG_RETENTION_DAYS.join(', ')})`,
  });

/**
 * EventBridge custom bus names: 1-256 of `[A-Za-z0-9._-]`; `default` is the account's own bus and
 * `aws.` is reserved for partner buses.
 */
const busName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,256}$/, { error: 'is not an EventBridge bus name (1-256 characters of A-Z a-z 0-9 . _ -)' })
  .refine((n) => n !== 'default', { error: 'is the default bus: the central bus must be a custom bus' })
  .refine((n) => !n.startsWith('aws.'), { error: 'starts with "aws.", which is reserved for partner event buses' });

/** IAM role names: 1-64 of `[\w+=,.@-]`. */
const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, { error: 'is not an IAM role name (1-64 characters of A-Z a-z 0-9 + = , . @ _ -)' });

/**
 * Most principals the plan role trusts: each is named twice in its trust policy (the account root
 * and the `aws:PrincipalArn` condition), which IAM caps at 2,048 characters by default
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length).
 * A pre-check only: the synth measures the rendered trust policy (stacks/policy/policy-limits.ts),
 * which long role paths can still take past the limit.
 */
export const MAX_PLAN_PRINCIPALS = 10;

/**
 * An IAM role ARN in the commercial partition, with its path: what `aws:PrincipalArn` carries for
 * a session of that role (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 * Path segments take role-name characters only: IAM allows any printable ASCII in a path
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html), but a `*` or `?` in an
 * `ArnEquals` value is a wildcard, which would admit other roles.
 */
const roleArnPattern = /^arn:aws:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const planPrincipalArns = z
  .array(z.string().regex(roleArnPattern, { error: 'is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/[path/]name)' }))
  .min(1, { error: 'must list at least one role ARN (omit the field to create no plan role)' })
  .max(MAX_PLAN_PRINCIPALS, { error: `lists more than ${MAX_PLAN_PRINCIPALS} role ARNs (the plan role's trust policy must fit IAM's 2,048 characters)` });

/**
 * AWS tag rules (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions):
 * keys 1-128 and values 0-256 of letters, digits, spaces and `_ . : / = + - @`; keys starting
 * with `aws:` (in any case) are reserved by AWS; at most 50 tags per resource.
 */
const TAG_CHARS = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]';
const TAG_KEY = new RegExp(`^(?![aA][wW][sS]:)${TAG_CHARS}{1,128}$`, 'u');
const TAG_VALUE = new RegExp(`^${TAG_CHARS}{0,256}$`, 'u');
export const MAX_TAGS_PER_RESOURCE = 50;

/**
 * EC2's quota on snapshot copies in progress at once, per account and destination region (not
 * adjustable; over it CopySnapshot fails with ResourceLimitExceeded): the upper bound of
 * `snapshotCopy.maxInFlightCopies`. https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html
 */
export const EC2_MAX_CONCURRENT_SNAPSHOT_COPIES = 20;

const copyTag = z
  .string()
  .refine(
    (t) => {
      const eq = t.indexOf('=');
      const key = eq === -1 ? t : t.slice(0, eq);
      const value = eq === -1 ? '' : t.slice(eq + 1);
      // EC2 allows any character in tag values (snapshots are EC2 resources): only the length.
      return TAG_KEY.test(key) && value.length <= 256;
    },
    { error: 'is not "key" or "key=value" (key 1-128 characters, not starting with "aws:"; value up to 256)' },
  )
  // The copy function refuses it at run time (handlers/snapshot-copy/config.ts): say so now.
  .refine((t) => t.indexOf('=') === -1 || t.indexOf('=') < t.length - 1, {
    error: 'has an empty value after "=": write the key alone to copy snapshots bearing the tag with any value',
  });

/**
 * S3 general purpose bucket names
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3-63 of
 * lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit; no `..`;
 * not an IP address; reserved prefixes and suffixes.
 */
const BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    error: 'is not an S3 bucket name (3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit)',
  })
  .refine((b) => !b.includes('..'), { error: 'has two adjacent periods, which S3 bucket names may not' })
  .refine((b) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(b), { error: 'is formatted as an IP address, which S3 bucket names may not be' })
  .refine((b) => !BUCKET_PREFIXES.some((p) => b.startsWith(p)), { error: `starts with a prefix S3 reserves (${BUCKET_PREFIXES.join(', ')})` })
  .refine((b) => !BUCKET_SUFFIXES.some((s) => b.endsWith(s)), { error: `has a suffix S3 reserves (${BUCKET_SUFFIXES.join(', ')})` });

/**
 * The S3 backend's state key prefix: the backend rejects a key that starts or ends with `/` or
 * contains `//`; a `..` segment would climb out of the prefix; empty would put state at the top.
 * https://developer.hashicorp.com/terraform/language/backend/s3#key
 */
const stateKeyPrefix = z
  .string()
  .regex(/^[A-Za-z0-9!_.*'()/-]*$/, { error: "is not a safe S3 key prefix (letters, digits and ! _ . * ' ( ) / -)" })
  .refine((k) => k !== '', { error: 'must not be empty (omit it for the default "ebs-event-hub")' })
  .refine((k) => !k.startsWith('/') && !k.endsWith('/'), { error: 'must not start or end with "/" (the S3 backend rejects such a key)' })
  .refine((k) => !k.includes('//'), { error: 'must not contain "//" (the S3 backend rejects such a key)' })
  .refine((k) => !k.split('/').includes('..'), { error: 'must not contain a ".." segment' });

const tagValue = z.string().regex(TAG_VALUE, { error: 'is not a tag value (0-256 letters, digits, spaces and _ . : / = + - @)' });

/**
 * KMS key for the copies: key ARN, alias ARN, key id or `alias/name`. Copies stay in each
 * snapshot's own account, so an alias (resolved per account and region) is usually what an
 * organization wants; a key ARN must be usable by every member account.
 */
const kmsKeyId = z
  .string()
  .regex(
    /^(arn:aws:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)|alias\/[A-Za-z0-9/_-]+|(mrk-)?[0-9a-f-]{32,36})$/,
    { error: 'is not a KMS key ARN, alias ARN, key id or alias/name' },
  );

/** Days copies are kept, 1-36500 (100 years: a sanity bound; the field is omitted to keep them). */
export const COPY_MAX_RETENTION_DAYS = 36_500;
const retentionDays = (kept: string) =>
  z
    .number()
    .int({ error: 'is not a whole number' })
    .min(1, { error: `must be at least 1 (omit it to keep ${kept} forever)` })
    .max(COPY_MAX_RETENTION_DAYS, { error: `must be at most ${COPY_MAX_RETENTION_DAYS} (100 years; omit it to keep ${kept} forever)` });

/**
 * EBS snapshot lock, as `LockSnapshot` takes it: a lock lasts 1-36,500 days (`LockDuration`), in
 * governance or compliance mode (`LockMode`); a compliance lock may start with a cooling-off period
 * of 1-72 hours (`CoolOffPeriod`, "Allowed values: Min 1, max 72") during which it can still be
 * unlocked; for governance mode "omit CoolOffPeriod". A locked snapshot cannot be deleted until its
 * lock expires (governance: or a user with the rights unlocks it; compliance: nobody can).
 * https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-concepts.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html
 */
export const SNAPSHOT_LOCK_MODES = ['compliance', 'governance'] as const;
export const SNAPSHOT_LOCK_MAX_DAYS = 36_500;
export const SNAPSHOT_LOCK_MAX_COOL_OFF_HOURS = 72;

const vaultLock = z.strictObject({
  mode: z
    .enum(SNAPSHOT_LOCK_MODES, { error: 'is not a snapshot lock mode (allowed: compliance, governance)' })
    .describe('compliance: nobody can unlock or shorten the lock after the cooling-off period; governance: users with ec2:UnlockSnapshot can'),
  days: z
    .number()
    .int({ error: 'is not a whole number' })
    .min(1, { error: `must be at least 1 (EBS locks a snapshot for 1-${SNAPSHOT_LOCK_MAX_DAYS} days)` })
    .max(SNAPSHOT_LOCK_MAX_DAYS, { error: `must be at most ${SNAPSHOT_LOCK_MAX_DAYS} (the longest lock EBS allows)` })
    .describe(`Days each vault copy stays locked (1-${SNAPSHOT_LOCK_MAX_DAYS})`),
  coolOffHours: z
    .number()
    .int({ error: 'is not a whole number' })
    .min(1, { error: `must be at least 1 (EBS cooling-off period: 1-${SNAPSHOT_LOCK_MAX_COOL_OFF_HOURS} hours; omit it to lock in compliance mode at once)` })
    .max(SNAPSHOT_LOCK_MAX_COOL_OFF_HOURS, { error: `must be at most ${SNAPSHOT_LOCK_MAX_COOL_OFF_HOURS} (the longest cooling-off period EBS allows)` })
    .optional()
    .describe(`Compliance mode only: hours (1-${SNAPSHOT_LOCK_MAX_COOL_OFF_HOURS}) during which a new lock can still be removed; omit to lock at once`),
});

/** Vault mode: every DR copy also copied, locked, into a separate backup account (README "Vault mode"). */
const vault = z.strictObject({
  accountId: accountId.describe('The vault (backup) account: not the central account, not a member'),
  lock: vaultLock.optional().describe('EBS snapshot lock on every vault copy; omit for no lock'),
  retentionDays: retentionDays('vault copies')
    .optional()
    .describe('Days a vault copy is kept (at least lock.days: a locked copy cannot be deleted); omit to keep vault copies forever'),
  keepMemberCopy: z
    .boolean()
    .default(true)
    .describe('false: the member-side copy is deleted once its vault copy is locked'),
});

const email = z.email({ error: 'is not an email address' });

const member = z.strictObject({
  accountId: accountId,
  regions: z
    .array(region)
    .min(1, { error: 'must list at least one region' })
    .describe('Regions whose default bus forwards EC2/EBS events to the central bus'),
  name: z
    .string()
    .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, { error: 'is not a label of 1-128 letters, digits, spaces and _ . : / = + - @ (it becomes a tag value)' })
    .optional()
    .describe('Label, set as the ebs-event-hub:member tag on the member stack\'s resources'),
  wave: z
    .number()
    .int({ error: 'is not a whole number' })
    .positive({ error: 'must be a positive integer' })
    .default(1)
    .describe('Rollout wave (1 first). `npm run waves` lists the stacks of each wave'),
});

export const OrgConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path of the JSON Schema, for editors'),
    organizationId: z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, { error: 'is not an AWS Organizations ID ("o-" then 10-32 lowercase letters or digits)' })
      .optional()
      .describe('Without it, the bus policy lists every member account instead of admitting the organization'),
    central: z
      .strictObject({
        accountId,
        region,
        busName,
        archiveRetentionDays: z
          .number()
          .int({ error: 'is not a whole number' })
          .min(0, { error: 'must be 0 (keep forever) or more' })
          .default(365)
          .describe('Days the archive keeps forwarded events for replay; 0 keeps them forever'),
        logRetentionDays: logRetention.default(90).describe('Retention of the audit and function log groups'),
      })
      .describe('The account and region of the central event bus'),
    members: z
      .array(member)
      .min(1, { error: 'must list at least one member account' })
      .describe('Accounts whose EC2/EBS events are forwarded, with their regions'),
    snapshotCopy: z
      .strictObject({
        destinationRegion: region.describe('Default region the DR copies go to'),
        regionMap: z
          .record(z.string(), region)
          .optional()
          .describe('Per source region destination, overriding destinationRegion'),
        kmsKeyId: kmsKeyId.optional().describe('Copies are encrypted under this key (alias/name recommended)'),
        copyTag: copyTag.optional().describe('Only snapshots bearing this tag ("key" or "key=value") are copied'),
        memberRoleName: roleName
          .default(DEFAULT_MEMBER_ROLE_NAME)
          .describe('Role each member stack creates for the central copy function'),
        maxInFlightCopies: z
          .number()
          .int({ error: 'is not a whole number' })
          .min(1, { error: 'must be at least 1' })
          .max(EC2_MAX_CONCURRENT_SNAPSHOT_COPIES, {
            error: `must be at most ${EC2_MAX_CONCURRENT_SNAPSHOT_COPIES} (EC2 allows ${EC2_MAX_CONCURRENT_SNAPSHOT_COPIES} concurrent snapshot copies per account and destination region)`,
          })
          .default(15)
          .describe(
            'Most of this app\'s copies pending at once per account and destination region (EC2 allows 20 in all, shared with DLM and AWS Backup; the default 15 leaves them 5)',
          ),
        retentionDays: retentionDays('copies')
          .optional()
          .describe('Days a copy is kept: copies carry an expiry tag and a daily sweep deletes expired ones; omit to keep copies forever'),
        vault: vault.optional().describe('Vault mode: every copy also copied, under its own key and optionally locked, into a separate backup account'),
      })
      .optional()
      .describe('DR copies of completed snapshots; omit to deploy no copy function'),
    deployment: z
      .strictObject({
        roleName: roleName.default(DEFAULT_DEPLOYMENT_ROLE_NAME).describe('Role assumed in each account to deploy'),
        planRoleName: roleName
          .default(DEFAULT_PLAN_ROLE_NAME)
          .describe('Read-only role assumed in each account when the app is synthesized for planning (EBS_EVENT_HUB_ROLE=plan)'),
        planPrincipalArns: planPrincipalArns
          .optional()
          .describe('IAM role ARNs (your CI plan principal) the plan role trusts; set, every stack creates the plan role; omit to create none'),
        state: z
          .strictObject({
            bucket: bucketName,
            region,
            keyPrefix: stateKeyPrefix.default('ebs-event-hub'),
          })
          .optional()
          .describe('S3 backend (encrypt, use_lockfile), one key per stack; omit for local state'),
        defaultTags: z
          .record(z.string(), tagValue)
          .default({})
          .describe(`Tags on every resource (AWS tag rules; not "aws:" or "${APP_TAG_KEY_PREFIX}" keys; at most 48, or 49 when no member has a name)`),
      })
      .default({ roleName: DEFAULT_DEPLOYMENT_ROLE_NAME, planRoleName: DEFAULT_PLAN_ROLE_NAME, defaultTags: {} }),
    alerts: z
      .strictObject({
        emails: z.array(email).default([]).describe('Addresses subscribed to the alert topic'),
      })
      .default({ emails: [] }),
  })
  .superRefine((cfg, ctx) => {
    for (const problem of crossFieldProblems(cfg)) ctx.addIssue({ code: 'custom', ...problem });
  });

/** A problem that spans fields (duplicates, key/region consistency). */
export interface CrossFieldProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks that span fields. Defensive about shapes, so the loader can also run it on input that
 * failed the schema elsewhere and still report every problem at once.
 */
export function crossFieldProblems(cfg: unknown): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  if (!isObject(cfg)) return problems;
  const members = Array.isArray(cfg.members) ? cfg.members : [];
  const seenAccount = new Map<unknown, number>();
  members.forEach((m, i) => {
    if (!isObject(m)) return;
    if (typeof m.accountId === 'string') {
      const first = seenAccount.get(m.accountId);
      if (first !== undefined) {
        problems.push({ path: ['members', i, 'accountId'], message: `is listed twice (first at members[${first}].accountId)` });
      } else {
        seenAccount.set(m.accountId, i);
      }
    }
    const seenRegion = new Map<unknown, number>();
    (Array.isArray(m.regions) ? m.regions : []).forEach((r, j) => {
      const firstRegion = seenRegion.get(r);
      if (firstRegion !== undefined) {
        problems.push({ path: ['members', i, 'regions', j], message: `is listed twice (first at members[${i}].regions[${firstRegion}])` });
      } else {
        seenRegion.set(r, j);
      }
    });
  });
  problems.push(...defaultTagProblems(cfg), ...roleNameProblems(cfg));
  const copy = cfg.snapshotCopy;
  if (!isObject(copy)) return problems;
  const regionMap = isObject(copy.regionMap) ? copy.regionMap : {};
  for (const source of Object.keys(regionMap)) {
    if (!isAwsRegion(source)) {
      problems.push({
        path: ['snapshotCopy', 'regionMap', source],
        message: `key ${JSON.stringify(source)} is not a commercial AWS region name (e.g. us-east-1; the full list is in config/regions.ts)`,
      });
    }
  }
  // The copy starter copies only from member regions whose destination is another region
  // (SOURCE_REGIONS): with none, the copy path would be deployed to copy nothing.
  if (typeof copy.destinationRegion === 'string') {
    const destinationOf = (r: unknown) => (typeof r === 'string' && typeof regionMap[r] === 'string' ? regionMap[r] : copy.destinationRegion);
    const memberRegions = members.flatMap((m) => (isObject(m) && Array.isArray(m.regions) ? m.regions : []));
    if (memberRegions.length > 0 && memberRegions.every((r) => destinationOf(r) === r)) {
      problems.push({
        path: ['snapshotCopy', 'destinationRegion'],
        message: `has nothing to copy: every member region (${[...new Set(memberRegions)].join(', ')}) would copy onto itself; choose a destination (or regionMap entry) other than the members' regions, or remove snapshotCopy`,
      });
    }
  }
  const keyArnRegion = typeof copy.kmsKeyId === 'string' ? /^arn:aws:kms:([a-z0-9-]+):/.exec(copy.kmsKeyId)?.[1] : undefined;
  if (keyArnRegion) {
    const destinations = new Set([copy.destinationRegion, ...Object.values(regionMap)].filter((d) => typeof d === 'string'));
    const elsewhere = [...destinations].filter((d) => d !== keyArnRegion);
    if (elsewhere.length > 0) {
      problems.push({
        path: ['snapshotCopy', 'kmsKeyId'],
        message: `is a key in ${keyArnRegion}, but copies also go to ${elsewhere.join(', ')}: use an alias (alias/name) that exists in every destination region`,
      });
    }
  }
  problems.push(...vaultProblems(cfg, copy, members));
  return problems;
}

/**
 * `snapshotCopy.vault` against the rest of the config: the vault is an account of its own (not the
 * central account, not a member: whoever administers those must not be able to delete the vault
 * copies); a cooling-off period exists only in compliance mode; copies are not set to expire before
 * their lock does (a locked snapshot cannot be deleted); and member copies, which are shared with the
 * vault, are not under an AWS managed key ("You can't share snapshots that are encrypted with the
 * default AWS managed key", https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html).
 */
function vaultProblems(cfg: Record<string, unknown>, copy: Record<string, unknown>, members: readonly unknown[]): CrossFieldProblem[] {
  const vault = copy.vault;
  if (!isObject(vault)) return [];
  const problems: CrossFieldProblem[] = [];
  const at = (...path: string[]) => ['snapshotCopy', 'vault', ...path];
  if (typeof vault.accountId === 'string') {
    if (isObject(cfg.central) && vault.accountId === cfg.central.accountId) {
      problems.push({ path: at('accountId'), message: 'is the central account (central.accountId): the vault must be a separate account, or whoever administers the central account could delete the vault copies' });
    }
    const member = members.findIndex((m) => isObject(m) && m.accountId === vault.accountId);
    if (member !== -1) {
      problems.push({ path: at('accountId'), message: `is a member account (members[${member}].accountId): the vault must be a separate account, not one whose snapshots it protects` });
    }
  }
  const lock = isObject(vault.lock) ? vault.lock : undefined;
  if (lock?.mode === 'governance' && lock.coolOffHours !== undefined) {
    problems.push({ path: at('lock', 'coolOffHours'), message: 'is set with mode "governance": EBS takes a cooling-off period in compliance mode only (omit coolOffHours, or use mode "compliance")' });
  }
  if (typeof vault.retentionDays === 'number' && typeof lock?.days === 'number' && vault.retentionDays < lock.days) {
    problems.push({
      path: at('retentionDays'),
      message: `is shorter than the lock (snapshotCopy.vault.lock.days = ${lock.days}): a locked snapshot cannot be deleted before its lock expires; use at least ${lock.days}, or omit it to keep vault copies`,
    });
  }
  if (typeof copy.kmsKeyId === 'string' && /(^|:)alias\/aws\//.test(copy.kmsKeyId)) {
    problems.push({
      path: ['snapshotCopy', 'kmsKeyId'],
      message: 'is an AWS managed key: snapshots encrypted under it cannot be shared with the vault account; use a customer managed key, or omit kmsKeyId (each member stack then creates alias/ebs-event-hub-dr)',
    });
  }
  return problems;
}

/**
 * `deployment.defaultTags` keys (values are checked by the schema): AWS's tag key rules, none of
 * the app's own keys, and room for the app's own tags within AWS's 50 per resource.
 */
function defaultTagProblems(cfg: Record<string, unknown>): CrossFieldProblem[] {
  const tags = isObject(cfg.deployment) && isObject(cfg.deployment.defaultTags) ? cfg.deployment.defaultTags : {};
  const problems: CrossFieldProblem[] = [];
  const at = (key: string) => ['deployment', 'defaultTags', key];
  for (const key of Object.keys(tags)) {
    if (/^aws:/i.test(key)) {
      problems.push({ path: at(key), message: `key ${JSON.stringify(key)} starts with "aws:", which AWS reserves for its own tags` });
    } else if (key.toLowerCase().startsWith(APP_TAG_KEY_PREFIX)) {
      problems.push({ path: at(key), message: `key ${JSON.stringify(key)} is one of the app's own tag keys (keys starting with "${APP_TAG_KEY_PREFIX}" are reserved)` });
    } else if (!TAG_KEY.test(key)) {
      problems.push({ path: at(key), message: `key ${JSON.stringify(key)} is not a tag key (1-128 letters, digits, spaces and _ . : / = + - @)` });
    }
  }
  const members = Array.isArray(cfg.members) ? cfg.members : [];
  const own = [STACK_TAG_KEY, ...(members.some((m) => isObject(m) && m.name !== undefined) ? [MEMBER_TAG_KEY] : [])];
  const allowed = MAX_TAGS_PER_RESOURCE - own.length;
  const count = Object.keys(tags).length;
  if (count > allowed) {
    problems.push({
      path: ['deployment', 'defaultTags'],
      message: `has ${count} tags: AWS allows ${MAX_TAGS_PER_RESOURCE} per resource and the app adds its own (${own.join(', ')}), so at most ${allowed}`,
    });
  }
  return problems;
}

const sameRoleName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Roles the stacks create must not share a name with another role in the same account: IAM role
 * names are unique per account regardless of case
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names).
 * Every member account gets the forwarder role and (with `snapshotCopy`) the member copy role and
 * is deployed through `deployment.roleName`; with `snapshotCopy` the central account gets the copy
 * workflow's roles (`CENTRAL_COPY_ROLE_NAMES`), which a member copy role there must not collide with.
 */
function roleNameProblems(cfg: Record<string, unknown>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const deployment = isObject(cfg.deployment) ? cfg.deployment : {};
  const deploymentRole = typeof deployment.roleName === 'string' ? deployment.roleName : DEFAULT_DEPLOYMENT_ROLE_NAME;
  const central = isObject(cfg.central) ? cfg.central.accountId : undefined;
  const centralIsMember = (Array.isArray(cfg.members) ? cfg.members : []).some((m) => isObject(m) && m.accountId === central);
  const forwarder: [string, string] = [FORWARDER_ROLE_NAME, 'the forwarder role every member account gets'];
  // The copy path's roles exist in the central account whenever snapshotCopy is set.
  const centralCopyRoles: [string, string][] = isObject(cfg.snapshotCopy)
    ? CENTRAL_COPY_ROLE_NAMES.map((name): [string, string] => [name, 'a role of the snapshot-copy workflow, in the central account'])
    : [];
  // The vault role exists in the vault account, which is deployed (and planned) with these roles too.
  const vaultRole: [string, string][] =
    isObject(cfg.snapshotCopy) && isObject(cfg.snapshotCopy.vault) ? [[VAULT_ROLE_NAME, 'the vault role, in the vault account (snapshotCopy.vault)']] : [];
  for (const [name, what] of [forwarder, ...centralCopyRoles, ...vaultRole]) {
    if (sameRoleName(deploymentRole, name)) {
      problems.push({ path: ['deployment', 'roleName'], message: `is the name of ${what}: the stacks would create the role they deploy with` });
    }
  }
  problems.push(...planRoleProblems(deployment, deploymentRole, [forwarder, ...centralCopyRoles, ...vaultRole], isObject(cfg.snapshotCopy) ? cfg.snapshotCopy : undefined));
  if (isObject(cfg.snapshotCopy)) {
    const memberRole = typeof cfg.snapshotCopy.memberRoleName === 'string' ? cfg.snapshotCopy.memberRoleName : DEFAULT_MEMBER_ROLE_NAME;
    // The member copy role lands in the central account too when it is also a member.
    const clash = [forwarder, ...(centralIsMember ? centralCopyRoles : [])].find(([name]) => sameRoleName(memberRole, name));
    if (clash) {
      problems.push({
        path: ['snapshotCopy', 'memberRoleName'],
        message: `is the name of ${clash[1]} (IAM role names are unique per account, regardless of case): choose another name`,
      });
    } else if (sameRoleName(memberRole, deploymentRole)) {
      // Reported on the field that was set: the two defaults differ, so one of them was.
      problems.push(
        memberRole === DEFAULT_MEMBER_ROLE_NAME
          ? { path: ['deployment', 'roleName'], message: `is the name of the member copy role (snapshotCopy.memberRoleName, default "${DEFAULT_MEMBER_ROLE_NAME}"), which the stacks create: choose another name` }
          : { path: ['snapshotCopy', 'memberRoleName'], message: 'is the deployment role (deployment.roleName), which the stacks would then create: choose another name' },
      );
    }
  }
  return problems;
}

/**
 * `deployment.planRoleName` is created (with `planPrincipalArns`) or assumed in every account, the
 * central one included: it must not be a role the stacks create for something else, nor the
 * deployment role (planning must not hold the deployment role's rights). A clash with a default
 * is reported on the field that was set. `planPrincipalArns` lists each ARN once.
 */
function planRoleProblems(
  deployment: Record<string, unknown>,
  deploymentRole: string,
  created: readonly [string, string][],
  copy: Record<string, unknown> | undefined,
): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  // Run on the input as written and with defaults applied: "set" means "not the default".
  const planRole = typeof deployment.planRoleName === 'string' ? deployment.planRoleName : DEFAULT_PLAN_ROLE_NAME;
  const planSet = planRole !== DEFAULT_PLAN_ROLE_NAME;
  const clash = created.find(([name]) => sameRoleName(planRole, name));
  if (clash) {
    problems.push({ path: ['deployment', 'planRoleName'], message: `is the name of ${clash[1]} (IAM role names are unique per account, regardless of case): choose another name` });
  }
  if (sameRoleName(planRole, deploymentRole)) {
    problems.push(
      planSet
        ? { path: ['deployment', 'planRoleName'], message: 'is the deployment role (deployment.roleName): the plan role must be a separate, read-only role' }
        : { path: ['deployment', 'roleName'], message: `is the name of the plan role (deployment.planRoleName, default "${DEFAULT_PLAN_ROLE_NAME}"): choose another name` },
    );
  }
  const memberRole = typeof copy?.memberRoleName === 'string' ? copy.memberRoleName : DEFAULT_MEMBER_ROLE_NAME;
  const memberSet = memberRole !== DEFAULT_MEMBER_ROLE_NAME;
  if (copy && sameRoleName(planRole, memberRole)) {
    problems.push(
      planSet
        ? { path: ['deployment', 'planRoleName'], message: `is the member copy role (snapshotCopy.memberRoleName${memberSet ? '' : `, default "${DEFAULT_MEMBER_ROLE_NAME}"`}), which the stacks create: choose another name` }
        : { path: ['snapshotCopy', 'memberRoleName'], message: `is the name of the plan role (deployment.planRoleName, default "${DEFAULT_PLAN_ROLE_NAME}"): choose another name` },
    );
  }
  const seen = new Map<unknown, number>();
  (Array.isArray(deployment.planPrincipalArns) ? deployment.planPrincipalArns : []).forEach((arn, i) => {
    const first = seen.get(arn);
    if (first === undefined) seen.set(arn, i);
    else problems.push({ path: ['deployment', 'planPrincipalArns', i], message: `is listed twice (first at deployment.planPrincipalArns[${first}])` });
  });
  return problems;
}

/** The config as written (defaults not applied): what the JSON Schema describes. */
export type OrgConfigInput = z.input<typeof OrgConfigSchema>;
/** The validated config with defaults applied: what the stacks consume. */
export type OrgConfig = z.output<typeof OrgConfigSchema>;
export type MemberConfig = OrgConfig['members'][number];
export type SnapshotCopyConfig = NonNullable<OrgConfig['snapshotCopy']>;
export type VaultConfig = NonNullable<SnapshotCopyConfig['vault']>;

/** JSON Schema (draft 2020-12) of the config as written, for editors. */
export function orgConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(OrgConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
