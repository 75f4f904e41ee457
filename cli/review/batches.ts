/**
 * The stacks a pull request's plan jobs run, in batches for a GitHub Actions matrix: at most 256
 * jobs (GitHub's limit per matrix: https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/running-variations-of-jobs-in-a-workflow),
 * at least MIN_PER_JOB stacks per job once there are many (a job's start-up, checkout and
 * `terraform init` cost more than a small stack's plan).
 */
export const MAX_JOBS = 256;
export const MIN_PER_JOB = 4;

/** Stacks to plan: new and changed ones (a removed stack is destroyed from the base, not planned here). */
export function planBatches(stacks: readonly string[], maxJobs = MAX_JOBS, minPerJob = MIN_PER_JOB): string[][] {
  if (stacks.length === 0) return [];
  const perJob = Math.max(Math.min(minPerJob, stacks.length), Math.ceil(stacks.length / maxJobs));
  const batches: string[][] = [];
  for (let i = 0; i < stacks.length; i += perJob) batches.push(stacks.slice(i, i + perJob));
  return batches;
}
