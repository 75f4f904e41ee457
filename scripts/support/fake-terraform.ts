/**
 * A stand-in `terraform` for the rollout tests and `npm run bench:rollout`: a POSIX sh script
 * (a few ms to start, so 3,000 calls cost little) put first on PATH. It behaves as the real CLI
 * does where the rollout depends on it:
 * - `plan -detailed-exitcode` exits 2 with changes (and writes the plan file), 0 without, 1 on
 *   error (https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode);
 * - it prints `Plan: N to add, ...` and `Apply complete! Resources: N added, ...`;
 * - `apply tfplan` fails when the plan file is missing;
 * - on SIGINT it stops and exits non-zero, as Terraform's graceful shutdown does.
 *
 * Cues (environment, space-separated `<stack>:<command>` entries):
 * - FAKE_TF_FAIL: exit 1; FAKE_TF_HANG: wait until SIGINT, then exit 1 (after creating
 *   `$FAKE_TF_DIR/hanging-<stack>`); FAKE_TF_HANG_FINISH: the same, but then finish normally
 *   (a graceful stop that completes the command); FAKE_TF_UNCHANGED: `<stack>` entries whose plan
 *   has no changes.
 * - FAKE_TF_SLEEP: seconds each command takes (the benchmark).
 * - FAKE_TF_RECORD: file that gets one line per event:
 *   `call<TAB>stack<TAB>command<TAB>cwd<TAB>TF_PLUGIN_CACHE_DIR<TAB>argv`, `start stack command`,
 *   `end stack command code`, `interrupted stack command`.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = `#!/bin/sh
chdir=""; cmd=""
for a in "$@"; do
  case "$a" in
    -chdir=*) chdir="\${a#-chdir=}" ;;
    -*) ;;
    *) [ -z "$cmd" ] && cmd="$a" ;;
  esac
done
stack="\${chdir##*/}"
rec="\${FAKE_TF_RECORD:-/dev/null}"
printf 'call\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$stack" "$cmd" "$PWD" "$TF_PLUGIN_CACHE_DIR" "$*" >> "$rec"
printf 'start %s %s\\n' "$stack" "$cmd" >> "$rec"
finish() { printf 'end %s %s %s\\n' "$stack" "$cmd" "$1" >> "$rec"; exit "$1"; }
case " $FAKE_TF_HANG " in *" $stack:$cmd "*)
  trap 'printf "interrupted %s %s\\n" "$stack" "$cmd" >> "$rec"; echo "Interrupt received."; finish 1' INT
  : > "$FAKE_TF_DIR/hanging-$stack"
  while :; do sleep 0.05; done ;;
esac
case " $FAKE_TF_HANG_FINISH " in *" $stack:$cmd "*)
  go=0
  trap 'printf "interrupted %s %s\\n" "$stack" "$cmd" >> "$rec"; go=1' INT
  : > "$FAKE_TF_DIR/hanging-$stack"
  while [ "$go" = 0 ]; do sleep 0.05; done ;;
esac
[ -n "$FAKE_TF_SLEEP" ] && sleep "$FAKE_TF_SLEEP"
case " $FAKE_TF_FAIL " in *" $stack:$cmd "*) echo "Error: stand-in failure of $cmd"; finish 1 ;; esac
case "$cmd" in
  init) echo "Terraform has been successfully initialized!"; finish 0 ;;
  plan)
    case " $FAKE_TF_UNCHANGED " in *" $stack "*) echo "No changes. Your infrastructure matches the configuration."; finish 0 ;; esac
    : > "$chdir/tfplan"
    echo "Plan: 3 to add, 1 to change, 0 to destroy."; finish 2 ;;
  apply)
    [ -f "$chdir/tfplan" ] || { echo "Error: Failed to load tfplan as a plan file"; finish 1; }
    rm -f "$chdir/tfplan"
    echo "Apply complete! Resources: 3 added, 1 changed, 0 destroyed."; finish 0 ;;
  *) echo "stand-in terraform: unexpected command $cmd"; finish 1 ;;
esac
`;

/** Writes the stand-in as `<dir>/terraform`; put `dir` first on PATH. */
export function writeFakeTerraform(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'terraform');
  writeFileSync(path, SCRIPT);
  chmodSync(path, 0o755);
  return dir;
}
