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

export interface HandlerConfig {
  /** Where copies go unless REGION_MAP names another destination for the source region. */
  destinationRegion: string;
  /** Source region → destination region overrides. */
  regionMap: Readonly<Record<string, string>>;
  /** When set, copies are Encrypted under this key (key id, key ARN or alias). */
  kmsKeyId?: string;
  /** Role assumed in other accounts; without it their snapshots are skipped. */
  memberRoleName?: string;
  /** Only snapshots bearing this tag are copied. */
  copyTag?: CopyTagFilter;
  /** Region of the function itself (AWS_REGION): where STS is called. */
  functionRegion: string;
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

export function loadConfig(env: Env): HandlerConfig {
  const destination = optional(env, 'DESTINATION_REGION');
  if (destination === undefined) {
    throw new ConfigurationError('DESTINATION_REGION is not set: the function needs the region to copy snapshots to');
  }
  const destinationRegion = parseRegion('DESTINATION_REGION', destination);
  const regionMap = parseRegionMap(optional(env, 'REGION_MAP'));
  const kmsKeyId = optional(env, 'KMS_KEY_ID');
  const memberRoleName = optional(env, 'MEMBER_ROLE_NAME');
  if (memberRoleName !== undefined && !ROLE_NAME_PATTERN.test(memberRoleName)) {
    throw new ConfigurationError(`MEMBER_ROLE_NAME "${memberRoleName}" is not an IAM role name (a role name, not an ARN)`);
  }
  const copyTag = parseCopyTag(optional(env, 'COPY_TAG'));
  const functionRegionRaw = optional(env, 'AWS_REGION') ?? optional(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1';
  const functionRegion = parseRegion('AWS_REGION', functionRegionRaw);

  return {
    destinationRegion,
    regionMap,
    functionRegion,
    ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
    ...(memberRoleName !== undefined ? { memberRoleName } : {}),
    ...(copyTag !== undefined ? { copyTag } : {}),
  };
}
