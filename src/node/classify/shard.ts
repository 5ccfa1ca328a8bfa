/**
 * `--shard i/n`: which part of an image list one of n independent processes
 * classifies. A file's shard is a hash of its path string modulo n, not its
 * position in the list, so it does not move when other files are added or
 * removed (a rerun after new images arrive keeps every old file in the shard
 * whose output already holds it). Kubernetes Indexed Jobs (i =
 * $JOB_COMPLETION_INDEX, n = .spec.completions) and Slurm job arrays (i =
 * $SLURM_ARRAY_TASK_ID with --array=0-(n-1)) give each process its i.
 */

export interface Shard {
  /** 0-based: 0 ≤ index < count. */
  index: number;
  count: number;
}

/** "2/8" → { index: 2, count: 8 }; anything else fails naming the flag and what it expects. */
export function parseShard(text: string, flag = '--shard'): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match === null ? NaN : Number(match[1]);
  const count = match === null ? NaN : Number(match[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new Error(`${flag} '${text}': expected i/n with 0 ≤ i < n (shard i of n, 0-based), e.g. 0/4`);
  }
  return { index, count };
}

const encoder = new TextEncoder();

/**
 * FNV-1a, 32 bits, over the UTF-8 bytes of `text`: tiny, fast, well spread
 * on short similar strings (file names differing in one digit), and the same
 * in every language, so other tools can compute a file's shard too.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The shard (0 to count − 1) that `path` belongs to among `count`. */
export function shardOf(path: string, count: number): number {
  return fnv1a32(path) % count;
}

/** The files of `files` in `shard`, in their order. */
export function filesInShard(files: readonly string[], shard: Shard): string[] {
  return files.filter((f) => shardOf(f, shard.count) === shard.index);
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
