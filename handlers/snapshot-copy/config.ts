/**
 * The function's configuration, parsed once per container from its environment.
 * Every rejected value throws a ConfigurationError that names the variable and what is wrong with it.
 */
import { ConfigurationError } from './errors';

export { ConfigurationError } from './errors';

export interface CopyTagFilter {
  key: string;
  /** Absent: any value matches. */
  value?: string;
}

/** The `start` entry: SQS batch → StartExecution. */
export interface StartConfig {
  stateMachineArn: string;
  /** Records from any other eventSourceARN are refused. */
  copyQueueArn: string;
  /** Where copies go unless REGION_MAP names another destination for the source region. */
  destinationRegion: string;
  /** Source region → destination region overrides. */
  regionMap: Readonly<Record<string, string>>;
  /**
   * The regions snapshots are copied from (SOURCE_REGIONS): a snapshot of any other region is
   * skipped (`skipped-region-not-configured`), whatever forwarded it.
   */
  sourceRegions: ReadonlySet<string>;
}

/** The `step` entry: the workflow's task. */
export interface StepConfig {
  /** Role assumed in every account but the function's own. */
  memberRoleName: string;
  /** When set, copies are Encrypted under this key (key id, key ARN or alias). */
  kmsKeyId?: string;
  /** Only snapshots bearing this tag are copied. */
  copyTag?: CopyTagFilter;
  /** At most this many of this app's copies pending per account and destination region (1-20). */
  maxInFlightCopies: number;
  /** When set, copies carry `ebs-event-hub:expires-at` = copy time + this many days. */
  retentionDays?: number;
  /** Region of the function itself (AWS_REGION): where STS is called. */
  functionRegion: string;
  /** The copy-slots table (DynamoDB, in the function's region): the semaphore of MAX_IN_FLIGHT_COPIES. */
  slotsTableName: string;
  /** The copy state machine: slot holders are its executions (DescribeExecution tells a live one from a leaked slot). */
  stateMachineArn: string;
  /** The copy ledger (DynamoDB, in the function's region): every copy this app made (./ledger). */
  ledgerTableName: string;
  /**
   * Vault mode without KMS_KEY_ID: member-side copies are made under this key (MEMBER_KMS_KEY_ID,
   * `alias/ebs-event-hub-dr`, which each member stack creates), since a snapshot under the default
   * `aws/ebs` key cannot be shared with the vault account.
   */
  memberKmsKeyId?: string;
  /** Vault mode (VAULT_*): every member-side copy is also copied, locked, into the vault account. */
  vault?: VaultStepConfig;
}

/** Vault mode as the step function is told it (README "Vault mode", "What the copy step is told"). */
export interface VaultStepConfig {
  /** VAULT_ACCOUNT_ID. */
  accountId: string;
  /** VAULT_ROLE_NAME: assumed in the vault account. */
  roleName: string;
  /** VAULT_KMS_KEY_ID: vault copies are encrypted under it (resolved in the vault account and the copy's region). */
  kmsKeyId: string;
  /** VAULT_KEEP_MEMBER_COPY: false, the member-side copy is deleted once its vault copy is locked. */
  keepMemberCopy: boolean;
  /** VAULT_LOCK_MODE + VAULT_LOCK_DAYS (+ VAULT_LOCK_COOL_OFF_HOURS, compliance only). */
  lock?: { mode: 'compliance' | 'governance'; days: number; coolOffHours?: number };
  /** VAULT_RETENTION_DAYS: vault copies carry `ebs-event-hub:expires-at` = copy time + this many days. */
  retentionDays?: number;
  /** This app's vault copies pending at once per destination region: VAULT_MAX_IN_FLIGHT_COPIES (not configurable). */
  maxInFlightCopies: number;
}

/** The kinds of copy the ledger records (`kind`): the sweep deletes those of the kinds it is given. */
export const COPY_KINDS = ['member-copy', 'vault-copy'] as const;
export type SweptKind = (typeof COPY_KINDS)[number];

/** The `sweep` entry: retention. */
export interface SweepConfig {
  memberRoleName: string;
  functionRegion: string;
  /** The copy ledger: the sweep deletes only the copies it records as expired. */
  ledgerTableName: string;
  /**
   * SWEEP_KINDS: which copies expire, in the order swept (`member-copy` with
   * `snapshotCopy.retentionDays`, `vault-copy` with `snapshotCopy.vault.retentionDays`).
   */
  kinds: readonly SweptKind[];
  /** With `vault-copy`: the vault account and the role its copies are deleted under. */
  vault?: { accountId: string; roleName: string };
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Commercial, GovCloud, China and ISO partitions: us-east-1, us-gov-west-1, cn-north-1,
 * us-isob-east-1, eu-isoe-west-1, ap-southeast-5, mx-central-1, …
 */
const REGION_PATTERN = /^[a-z]{2}(?:-(?:gov|iso[a-z]?))?-[a-z]+-\d{1,2}$/;
/** IAM role name, optionally with a path: [\w+=,.@-], at most 64 characters for the name. */
const ROLE_NAME_PATTERN = /^(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

export const isRegionName = (value: string): boolean => REGION_PATTERN.test(value);

/** Unset and blank both mean "not configured" (Terraform often renders an empty optional as ""). */
function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function parseRegion(name: string, value: string): string {
  if (!isRegionName(value)) {
    throw new ConfigurationError(`${name} "${value}" is not an AWS region name (expected something like us-east-1)`);
  }
  return value;
}

export function parseRegionMap(raw: string | undefined): Record<string, string> {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigurationError(`REGION_MAP is not valid JSON (${(error as Error).message}): ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError(`REGION_MAP must be a JSON object of "source-region": "destination-region", got ${raw}`);
  }
  const map: Record<string, string> = {};
  for (const [source, destination] of Object.entries(parsed)) {
    if (!isRegionName(source)) {
      throw new ConfigurationError(`REGION_MAP key "${source}" is not an AWS region name`);
    }
    if (typeof destination !== 'string' || !isRegionName(destination)) {
      throw new ConfigurationError(`REGION_MAP["${source}"] = ${JSON.stringify(destination)} is not an AWS region name`);
    }
    map[source] = destination;
  }
  return map;
}

/** SOURCE_REGIONS: a comma-separated list of region names, none twice, at least one. */
export function parseSourceRegions(raw: string): Set<string> {
  const regions = raw.split(',').map((r) => r.trim());
  const seen = new Set<string>();
  for (const [i, region] of regions.entries()) {
    if (region === '') throw new ConfigurationError(`SOURCE_REGIONS "${raw}" has an empty entry at position ${i + 1} (expected region names separated by commas)`);
    if (!isRegionName(region)) throw new ConfigurationError(`SOURCE_REGIONS entry "${region}" is not an AWS region name`);
    if (seen.has(region)) throw new ConfigurationError(`SOURCE_REGIONS lists "${region}" twice`);
    seen.add(region);
  }
  return seen;
}

/** `key=value` (that value only) or `key` (any value). Splits on the first "=": values may contain "=". */
export function parseCopyTag(raw: string | undefined): CopyTagFilter | undefined {
  if (raw === undefined) return undefined;
  const eq = raw.indexOf('=');
  const key = (eq === -1 ? raw : raw.slice(0, eq)).trim();
  const value = eq === -1 ? undefined : raw.slice(eq + 1).trim();
  if (key === '') {
    throw new ConfigurationError(`COPY_TAG "${raw}" has no tag key (expected "key=value" or "key")`);
  }
  if (key.length > 128) {
    throw new ConfigurationError(`COPY_TAG key "${key.slice(0, 20)}…" is ${key.length} characters long; tag keys have at most 128`);
  }
  if (value === '') {
    throw new ConfigurationError(`COPY_TAG "${raw}" has an empty value: write "${key}" to match the tag with any value`);
  }
  if (value !== undefined && value.length > 256) {
    throw new ConfigurationError(`COPY_TAG value is ${value.length} characters long; tag values have at most 256`);
  }
  return value === undefined ? { key } : { key, value };
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
/** https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(?:\.fifo)?$/;

function required(env: Env, name: string, what: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigurationError(`${name} is not set: the function needs ${what}`);
  return value;
}

function matching(name: string, value: string, pattern: RegExp, expected: string): string {
  if (!pattern.test(value)) throw new ConfigurationError(`${name} "${value}" is not ${expected}`);
  return value;
}

function memberRole(env: Env): string {
  const value = required(env, 'MEMBER_ROLE_NAME', 'the role name to assume in member accounts');
  return matching('MEMBER_ROLE_NAME', value, ROLE_NAME_PATTERN, 'an IAM role name (a role name, not an ARN)');
}

/** LEDGER_TABLE_NAME: the copy ledger, a DynamoDB table name. */
function ledgerTable(env: Env): string {
  return matching('LEDGER_TABLE_NAME', required(env, 'LEDGER_TABLE_NAME', 'the copy-ledger DynamoDB table'), TABLE_NAME, 'a DynamoDB table name (3-255 of [A-Za-z0-9_.-])');
}

function functionRegion(env: Env): string {
  return parseRegion('AWS_REGION', optional(env, 'AWS_REGION') ?? optional(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1');
}

/** An integer in [min, max], or a ConfigurationError naming the variable, the value and the range. */
export function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigurationError(`${name} "${raw}" is not a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

const stateMachineArn = (env: Env, what: string): string =>
  matching('STATE_MACHINE_ARN', required(env, 'STATE_MACHINE_ARN', what), STATE_MACHINE_ARN, 'a Step Functions state machine ARN');

export function loadStartConfig(env: Env): StartConfig {
  return {
    stateMachineArn: stateMachineArn(env, 'the copy state machine to start'),
    copyQueueArn: matching('COPY_QUEUE_ARN', required(env, 'COPY_QUEUE_ARN', 'the only queue it accepts records from'), QUEUE_ARN, 'an SQS queue ARN'),
    destinationRegion: parseRegion('DESTINATION_REGION', required(env, 'DESTINATION_REGION', 'the region to copy snapshots to')),
    regionMap: parseRegionMap(optional(env, 'REGION_MAP')),
    sourceRegions: parseSourceRegions(required(env, 'SOURCE_REGIONS', 'the regions it copies snapshots from (comma-separated)')),
  };
}

/**
 * EC2 allows 20 concurrent snapshot copies per destination region and account. The config's bound
 * is the same number (config/schema.ts EC2_MAX_CONCURRENT_SNAPSHOT_COPIES, with its source); the
 * handler bundle does not import config/ (zod), and a test keeps the two equal.
 */
export const MAX_COPIES_PER_REGION = 20;

/**
 * The vault account receives copies from the whole organization into one region: EC2's 20
 * concurrent copies per destination region per account are the vault's bottleneck, and the vault
 * account runs nothing else that copies (a dedicated backup account), so this app takes all 20.
 * A copy someone else starts there meanwhile makes EC2 refuse ours (ResourceLimitExceeded), which
 * the vault copy step waits out with its slot kept, as the member path does. A margin would cost
 * throughput every day for a case that is handled anyway: each slot left free is 5% of the drain
 * rate of a burst (bench:burst, vault scenario).
 */
export const VAULT_MAX_IN_FLIGHT_COPIES = 20;

const LOCK_MODES = ['compliance', 'governance'] as const;
const VAULT_VARIABLES = ['VAULT_ROLE_NAME', 'VAULT_KMS_KEY_ID', 'VAULT_KEEP_MEMBER_COPY', 'VAULT_LOCK_MODE', 'VAULT_LOCK_DAYS', 'VAULT_LOCK_COOL_OFF_HOURS', 'VAULT_RETENTION_DAYS'] as const;

/** VAULT_*: undefined without VAULT_ACCOUNT_ID (and then no other VAULT_ variable may be set). */
export function parseVaultConfig(env: Env): VaultStepConfig | undefined {
  const accountId = optional(env, 'VAULT_ACCOUNT_ID');
  if (accountId === undefined) {
    const stray = VAULT_VARIABLES.filter((name) => optional(env, name) !== undefined);
    if (stray.length > 0) throw new ConfigurationError(`${stray.join(', ')} set without VAULT_ACCOUNT_ID: set the vault account too, or none of the VAULT_ variables`);
    return undefined;
  }
  matching('VAULT_ACCOUNT_ID', accountId, /^\d{12}$/, 'a 12-digit AWS account ID');
  const roleName = matching('VAULT_ROLE_NAME', required(env, 'VAULT_ROLE_NAME', 'the role to assume in the vault account'), ROLE_NAME_PATTERN, 'an IAM role name (a role name, not an ARN)');
  const kmsKeyId = required(env, 'VAULT_KMS_KEY_ID', 'the key vault copies are encrypted under');
  const keep = required(env, 'VAULT_KEEP_MEMBER_COPY', 'whether the member-side copy is kept (true or false)');
  if (keep !== 'true' && keep !== 'false') throw new ConfigurationError(`VAULT_KEEP_MEMBER_COPY "${keep}" is not true or false`);
  const mode = optional(env, 'VAULT_LOCK_MODE');
  const days = optional(env, 'VAULT_LOCK_DAYS');
  const coolOff = optional(env, 'VAULT_LOCK_COOL_OFF_HOURS');
  if ((mode === undefined) !== (days === undefined)) {
    throw new ConfigurationError(`VAULT_LOCK_MODE and VAULT_LOCK_DAYS go together: ${mode === undefined ? 'VAULT_LOCK_DAYS' : 'VAULT_LOCK_MODE'} is set alone`);
  }
  if (mode !== undefined && !(LOCK_MODES as readonly string[]).includes(mode)) throw new ConfigurationError(`VAULT_LOCK_MODE "${mode}" is not ${LOCK_MODES.join(' or ')}`);
  if (coolOff !== undefined && mode !== 'compliance') {
    throw new ConfigurationError(`VAULT_LOCK_COOL_OFF_HOURS "${coolOff}" is set ${mode === undefined ? 'without a lock' : 'with a governance lock'}: EBS takes a cooling-off period in compliance mode only`);
  }
  // EBS snapshot lock: 1 to 36,500 days, cooling-off 1 to 72 hours (LockSnapshot LockDuration, CoolOffPeriod).
  const lock =
    mode !== undefined && days !== undefined
      ? {
          mode: mode as (typeof LOCK_MODES)[number],
          days: parseInteger('VAULT_LOCK_DAYS', days, 1, 36_500),
          ...(coolOff !== undefined ? { coolOffHours: parseInteger('VAULT_LOCK_COOL_OFF_HOURS', coolOff, 1, 72) } : {}),
        }
      : undefined;
  const retention = optional(env, 'VAULT_RETENTION_DAYS');
  const retentionDays = retention !== undefined ? parseInteger('VAULT_RETENTION_DAYS', retention, lock?.days ?? 1, 36_500) : undefined;
  return {
    accountId,
    roleName,
    kmsKeyId,
    keepMemberCopy: keep === 'true',
    ...(lock ? { lock } : {}),
    ...(retentionDays !== undefined ? { retentionDays } : {}),
    maxInFlightCopies: VAULT_MAX_IN_FLIGHT_COPIES,
  };
}

export function loadStepConfig(env: Env): StepConfig {
  const kmsKeyId = optional(env, 'KMS_KEY_ID');
  const copyTag = parseCopyTag(optional(env, 'COPY_TAG'));
  const retention = optional(env, 'RETENTION_DAYS');
  const memberKmsKeyId = optional(env, 'MEMBER_KMS_KEY_ID');
  const vault = parseVaultConfig(env);
  if (vault && kmsKeyId === undefined && memberKmsKeyId === undefined) {
    throw new ConfigurationError('VAULT_ACCOUNT_ID is set but neither KMS_KEY_ID nor MEMBER_KMS_KEY_ID: member-side copies must be made under a customer managed key to be shared with the vault');
  }
  if (!vault && memberKmsKeyId !== undefined) throw new ConfigurationError('MEMBER_KMS_KEY_ID is set without VAULT_ACCOUNT_ID: the member copy key is for vault mode only');
  return {
    memberRoleName: memberRole(env),
    maxInFlightCopies: parseInteger('MAX_IN_FLIGHT_COPIES', required(env, 'MAX_IN_FLIGHT_COPIES', 'its admission limit (1-20)'), 1, MAX_COPIES_PER_REGION),
    functionRegion: functionRegion(env),
    slotsTableName: matching('SLOTS_TABLE_NAME', required(env, 'SLOTS_TABLE_NAME', 'the copy-slots DynamoDB table'), TABLE_NAME, 'a DynamoDB table name (3-255 of [A-Za-z0-9_.-])'),
    stateMachineArn: stateMachineArn(env, 'the copy state machine whose executions hold copy slots'),
    ledgerTableName: ledgerTable(env),
    ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
    ...(copyTag !== undefined ? { copyTag } : {}),
    ...(retention !== undefined ? { retentionDays: parseInteger('RETENTION_DAYS', retention, 1, 36_500) } : {}),
    ...(memberKmsKeyId !== undefined ? { memberKmsKeyId } : {}),
    ...(vault ? { vault } : {}),
  };
}

/** SWEEP_KINDS: a comma-separated list of copy kinds, none twice, at least one. */
export function parseSweepKinds(raw: string): SweptKind[] {
  const kinds: SweptKind[] = [];
  for (const [i, entry] of raw.split(',').map((k) => k.trim()).entries()) {
    const kind = COPY_KINDS.find((k) => k === entry);
    if (!kind) throw new ConfigurationError(`SWEEP_KINDS entry ${i + 1} "${entry}" is not a copy kind (allowed: ${COPY_KINDS.join(', ')})`);
    if (kinds.includes(kind)) throw new ConfigurationError(`SWEEP_KINDS lists "${kind}" twice`);
    kinds.push(kind);
  }
  return kinds;
}

export function loadSweepConfig(env: Env): SweepConfig {
  const memberRoleName = memberRole(env);
  const region = functionRegion(env);
  const ledgerTableName = ledgerTable(env);
  const kinds = parseSweepKinds(required(env, 'SWEEP_KINDS', `which copies expire (comma-separated: ${COPY_KINDS.join(', ')})`));
  const vault = kinds.includes('vault-copy')
    ? {
        accountId: matching('VAULT_ACCOUNT_ID', required(env, 'VAULT_ACCOUNT_ID', 'the vault account whose expired copies it deletes (SWEEP_KINDS has vault-copy)'), /^\d{12}$/, 'a 12-digit AWS account ID'),
        roleName: matching('VAULT_ROLE_NAME', required(env, 'VAULT_ROLE_NAME', 'the role to assume in the vault account (SWEEP_KINDS has vault-copy)'), ROLE_NAME_PATTERN, 'an IAM role name (a role name, not an ARN)'),
      }
    : undefined;
  return { memberRoleName, functionRegion: region, ledgerTableName, kinds, ...(vault ? { vault } : {}) };
}
