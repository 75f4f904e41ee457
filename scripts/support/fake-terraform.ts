/**
 * A stand-in `terraform` for the rollout tests and `npm run bench:rollout`: a POSIX sh script
 * (a few ms to start, so 30,000 calls cost little) put first on PATH. It behaves as the real CLI
 * (1.10/1.11) does where the rollout depends on it, each behaviour checked against terraform 1.11.4:
 * - `version -json` prints `{"terraform_version": ...}` (FAKE_TF_VERSION, default 1.11.4);
 * - `plan -detailed-exitcode -out=FILE` exits 2 with changes (and writes FILE), 0 without, 1 on
 *   error (https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode); it prints
 *   `Plan: N to add, ...` and `# <address> must be replaced` for a replacement; `-destroy` plans
 *   the deletion of every resource in the stand-in state, and exits 0 ("No changes. No objects
 *   need to be destroyed.") when it holds none;
 * - `show -json FILE` prints the plan in Terraform's JSON format (`resource_changes[].change.actions`);
 * - `apply FILE` applies a saved plan and prints `Apply complete! Resources: N added, N changed, N destroyed.`;
 *   it refuses a plan made before the state last changed with `Error: Saved plan is stale`
 *   (Terraform records the state's lineage and serial in the plan; any apply since bumps the serial);
 * - a held state lock (`$FAKE_TF_DIR/lock-<stack>` exists) is waited for up to `-lock-timeout`
 *   (`Ns`/`Nm`), then it prints `Error: Error acquiring the state lock` and exits 1, as Terraform's
 *   local and S3 backends do; released within the timeout, the command goes on;
 * - on SIGINT it stops and exits non-zero, as Terraform's graceful shutdown does.
 *
 * The state is `<stack dir>/.fake-state` (local state), or `$FAKE_TF_STATE_DIR/<stack>.state` when
 * that is set (a remote backend): a serial on the first line, then one resource address a line.
 *
 * Cues (environment, space-separated `<stack>:<command>` entries):
 * - FAKE_TF_FAIL: exit 1 with `Error: stand-in failure of <command>`; FAKE_TF_HANG: wait until SIGINT,
 *   then exit 1 (after creating `$FAKE_TF_DIR/hanging-<stack>`); FAKE_TF_HANG_FINISH: the same, but
 *   then finish normally (a graceful stop that completes the command); FAKE_TF_HANG_HARD: the same,
 *   but SIGINT is ignored (only SIGKILL stops it); FAKE_TF_UNCHANGED: `<stack>` entries whose plan
 *   has no changes; FAKE_TF_REPLACE: `<stack>` entries whose plan also replaces `aws_cloudwatch_event_bus.bus`.
 * - FAKE_TF_SLEEP: seconds each command takes; or, per stack, `<stack dir>/.fake-durations`
 *   (`init=0.8 plan=1.5 apply=2.2`, sourced by the shell: the benchmark's spread of durations).
 * - FAKE_TF_RECORD: file that gets one line per event:
 *   `call<TAB>stack<TAB>command<TAB>cwd<TAB>TF_PLUGIN_CACHE_DIR<TAB>argv`, `start stack command`,
 *   `end stack command code`, `interrupted stack command`.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = `#!/bin/sh
chdir=""; cmd=""; file=""; lock_timeout=0s; destroy=0; out=""
for a in "$@"; do
  case "$a" in
    -chdir=*) chdir="\${a#-chdir=}" ;;
    -out=*) out="\${a#-out=}" ;;
    -lock-timeout=*) lock_timeout="\${a#-lock-timeout=}" ;;
    -destroy) destroy=1 ;;
    -*) ;;
    *) if [ -z "$cmd" ]; then cmd="$a"; else file="$a"; fi ;;
  esac
done
if [ "$cmd" = version ]; then
  printf '{\\n  "terraform_version": "%s",\\n  "platform": "linux_amd64",\\n  "provider_selections": {},\\n  "terraform_outdated": false\\n}\\n' "\${FAKE_TF_VERSION:-1.11.4}"
  exit 0
fi
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
case " $FAKE_TF_HANG_HARD " in *" $stack:$cmd "*)
  trap 'printf "ignored-interrupt %s %s\\n" "$stack" "$cmd" >> "$rec"' INT
  : > "$FAKE_TF_DIR/hanging-$stack"
  while :; do sleep 0.05; done ;;
esac
if [ -f "$chdir/.fake-durations" ]; then . "$chdir/.fake-durations"; eval "d=\\\${$cmd:-}"; [ -n "$d" ] && sleep "$d"; fi
[ -n "$FAKE_TF_SLEEP" ] && sleep "$FAKE_TF_SLEEP"
case " $FAKE_TF_FAIL " in *" $stack:$cmd "*) echo "Error: stand-in failure of $cmd"; finish 1 ;; esac
if [ "$cmd" = plan ] || [ "$cmd" = apply ]; then
  if [ -e "$FAKE_TF_DIR/lock-$stack" ]; then
    echo "Acquiring state lock. This may take a few moments..."
    case "$lock_timeout" in *m) wait_s=$(( \${lock_timeout%m} * 60 )) ;; *s) wait_s=\${lock_timeout%s} ;; *) wait_s=0 ;; esac
    ticks=$(( wait_s * 10 ))
    while [ -e "$FAKE_TF_DIR/lock-$stack" ] && [ "$ticks" -gt 0 ]; do sleep 0.1; ticks=$(( ticks - 1 )); done
    if [ -e "$FAKE_TF_DIR/lock-$stack" ]; then
      printf '\\nError: Error acquiring the state lock\\n\\nError message: resource temporarily unavailable\\nLock Info:\\n  ID:        %s\\n  Operation: OperationTypeApply\\n' "$(cat "$FAKE_TF_DIR/lock-$stack")"
      finish 1
    fi
  fi
fi
state="$chdir/.fake-state"; [ -n "$FAKE_TF_STATE_DIR" ] && state="$FAKE_TF_STATE_DIR/$stack.state"
# Shell builtins only from here (no head, tail, wc): the benchmark runs 30,000 of these.
serial=0; [ -f "$state" ] && read -r serial < "$state"
case "$cmd" in
  init) echo "Terraform has been successfully initialized!"; finish 0 ;;
  plan)
    if [ "$destroy" = 1 ]; then
      n=0; [ -f "$state" ] && { read -r _; while read -r _; do n=$(( n + 1 )); done; } < "$state"
      if [ "$n" -le 0 ]; then echo "No changes. No objects need to be destroyed."; finish 0; fi
      { echo "$serial"; echo destroy; { read -r _; while read -r addr; do echo "$addr"; done; } < "$state"; } > "$out"
      echo "Plan: 0 to add, 0 to change, $n to destroy."; finish 2
    fi
    case " $FAKE_TF_UNCHANGED " in *" $stack "*) echo "No changes. Your infrastructure matches the configuration."; finish 0 ;; esac
    { echo "$serial"; echo create; echo aws_cloudwatch_event_rule.forward; echo aws_iam_role.forwarder; echo aws_sqs_queue.dlq; } > "$out"
    adds=3; destroys=0
    case " $FAKE_TF_REPLACE " in *" $stack "*) echo "  # aws_cloudwatch_event_bus.bus must be replaced"; echo replace >> "$out"; adds=4; destroys=1 ;; esac
    echo "Plan: $adds to add, 1 to change, $destroys to destroy."; finish 2 ;;
  show)
    [ -f "$file" ] || { echo "Error: Failed to read the given file as a state or plan file"; finish 1; }
    printf '{"format_version":"1.2","resource_changes":['
    {
      read -r _; read -r kind; sep=""
      if [ "$kind" != destroy ]; then
        printf '{"address":"data.aws_caller_identity.current","mode":"data","change":{"actions":["read"]}}'
        printf ',{"address":"aws_cloudwatch_event_target.forward","mode":"managed","change":{"actions":["update"]}}'
        printf ',{"address":"aws_cloudwatch_log_group.audit","mode":"managed","change":{"actions":["no-op"]}}'
        sep=","
      fi
      while read -r addr; do
        if [ "$kind" = destroy ]; then printf '%s{"address":"%s","mode":"managed","change":{"actions":["delete"]}}' "$sep" "$addr"
        elif [ "$addr" = replace ]; then printf '%s{"address":"aws_cloudwatch_event_bus.bus","mode":"managed","change":{"actions":["delete","create"]}}' "$sep"
        else printf '%s{"address":"%s","mode":"managed","change":{"actions":["create"]}}' "$sep" "$addr"; fi
        sep=","
      done
    } < "$file"
    printf ']}\n'; finish 0 ;;
  apply)
    [ -f "$file" ] || { echo "Error: Failed to load \\"$file\\" as a plan file"; finish 1; }
    { read -r planned; read -r kind; } < "$file"
    if [ "$planned" != "$serial" ]; then
      printf '\nError: Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed by\nanother operation after the plan was created.\n'
      finish 1
    fi
    if [ "$kind" = destroy ]; then
      n=0; { read -r _; read -r _; while read -r _; do n=$(( n + 1 )); done; } < "$file"
      echo $(( serial + 1 )) > "$state"
      echo "Apply complete! Resources: 0 added, 0 changed, $n destroyed."; finish 0
    fi
    replaced=0
    { read -r _; read -r _; echo $(( serial + 1 )); while read -r addr; do if [ "$addr" = replace ]; then replaced=1; else echo "$addr"; fi; done; } < "$file" > "$state"
    if [ "$replaced" = 1 ]; then
      echo aws_cloudwatch_event_bus.bus >> "$state"
      echo "Apply complete! Resources: 4 added, 1 changed, 1 destroyed."
    else
      echo "Apply complete! Resources: 3 added, 1 changed, 0 destroyed."
    fi
    finish 0 ;;
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
