/**
 * What a saved plan will do, from `terraform show -json <plan>`: the JSON output format's
 * `resource_changes[].change.actions` (https://developer.hashicorp.com/terraform/internals/json-format#change-representation):
 * `["create"]`, `["update"]`, `["delete"]`, a replacement as `["delete","create"]` or
 * `["create","delete"]` (create_before_destroy), `["no-op"]`, `["read"]` (data sources) and
 * `["forget"]` (a `removed` block with `destroy = false`, Terraform 1.7).
 */

export interface Changes {
  readonly added: number;
  readonly changed: number;
  readonly destroyed: number;
  /** Addresses replaced (each also counted in `added` and `destroyed`). */
  readonly replaced?: readonly string[];
  /** Addresses deleted outright (not replaced): with `--destroy`, every resource. */
  readonly deleted?: readonly string[];
  /** Addresses Terraform stops managing without destroying them. */
  readonly forgotten?: readonly string[];
}

interface PlanJson {
  readonly resource_changes?: readonly { readonly address: string; readonly mode?: string; readonly change: { readonly actions: readonly string[] } }[];
}

export function summarizePlan(planJson: string): Changes {
  const plan = JSON.parse(planJson) as PlanJson;
  let added = 0;
  let changed = 0;
  let destroyed = 0;
  const replaced: string[] = [];
  const deleted: string[] = [];
  const forgotten: string[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === 'data') continue;
    const a = [...rc.change.actions].sort().join(',');
    if (a === 'create') added += 1;
    else if (a === 'update') changed += 1;
    else if (a === 'delete') {
      destroyed += 1;
      deleted.push(rc.address);
    } else if (a === 'create,delete') {
      added += 1;
      destroyed += 1;
      replaced.push(rc.address);
    } else if (a === 'forget') forgotten.push(rc.address);
  }
  return { added, changed, destroyed, ...(replaced.length ? { replaced } : {}), ...(deleted.length ? { deleted } : {}), ...(forgotten.length ? { forgotten } : {}) };
}

const listed = (what: string, addresses: readonly string[] | undefined, max: number): string[] =>
  addresses?.length ? [`${addresses.length} ${what}: ${addresses.slice(0, max).join(', ')}${addresses.length > max ? `, and ${addresses.length - max} more` : ''}`] : [];

/** `+3 ~1 -1 (1 replaced: aws_iam_role.forwarder)`: a replacement counts as one + and one -. */
export function formatCounts(c: Changes, max = 3): string {
  const notes = [...listed('replaced', c.replaced, max), ...listed('no longer managed, not destroyed', c.forgotten, max)];
  return `+${c.added} ~${c.changed} -${c.destroyed}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

export function addChanges(a: Changes, b: Changes): Changes {
  return {
    added: a.added + b.added,
    changed: a.changed + b.changed,
    destroyed: a.destroyed + b.destroyed,
    replaced: [...(a.replaced ?? []), ...(b.replaced ?? [])],
  };
}

export const NO_CHANGES: Changes = { added: 0, changed: 0, destroyed: 0 };
