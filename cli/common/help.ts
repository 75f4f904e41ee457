/**
 * `--help` / `-h`: every command prints its usage on stdout and exits 0, before it reads the
 * config or the environment (so help works anywhere, even without credentials or a valid config).
 */

/** True when the command line asks for help (`--help` or `-h` anywhere before a `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}
