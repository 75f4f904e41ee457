/**
 * `--shard i/K`: the i-th of K slices of a wave's member stacks, so K CI jobs (a GitHub matrix)
 * share a wave without overlap and without talking to each other.
 *
 * The slice depends only on the set of stack ids, not on their order in the config: ids are
 * sorted, then dealt round robin (the n-th id goes to slice n mod K), so slices differ in size by
 * at most one and every job of a matrix computes the same partition.
 */
import { UsageError } from '../common/errors';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

/** A GitHub Actions matrix generates at most 256 jobs per workflow run: https://docs.github.com/en/actions/reference/limits */
export const MAX_SHARDS = 256;

export function parseShard(text: string): Shard {
  const m = /^(\d{1,3})\/(\d{1,3})$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(index >= 1 && index <= count && count <= MAX_SHARDS)) {
    throw new UsageError(`--shard: ${JSON.stringify(text)} is not i/K with whole numbers 1 <= i <= K <= ${MAX_SHARDS} (e.g. 3/20)`);
  }
  return { index, count };
}

export const shardText = (s: Shard): string => `${s.index}/${s.count}`;

/** The stack ids of `ids` in slice `shard`, in their original order. */
export function shardOf<T extends string>(ids: readonly T[], shard: Shard): T[] {
  const mine = new Set([...ids].sort().filter((_, n) => n % shard.count === shard.index - 1));
  return ids.filter((id) => mine.has(id));
}
