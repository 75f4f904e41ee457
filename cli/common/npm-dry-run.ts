/**
 * `npm run <command> --dry-run -- ...`: npm takes a `--dry-run` before the `--` as its own config
 * (every command sees it: https://docs.npmjs.com/cli/v10/using-npm/config#dry-run), sets
 * `npm_config_dry_run` and still runs the script, without the flag: a command meant as a dry run
 * would run for real. The commands with a `--dry-run` refuse to start when this is true.
 */
export const npmTookDryRun = (env: NodeJS.ProcessEnv): boolean =>
  env.npm_config_dry_run !== undefined && env.npm_config_dry_run !== '' && env.npm_config_dry_run !== 'false';
