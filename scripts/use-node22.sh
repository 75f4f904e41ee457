# shellcheck shell=sh
# Puts Node.js 22 first on PATH, installing it from the npm registry on first use.
#
# Why: the offline Step Functions tests run the real state machine definition with
# aws-local-stepfunctions 3.x, which needs Node >= 22 (Promise.withResolvers). The Lambda
# runtime is nodejs24.x either way. A machine that already runs Node >= 22 uses its own.
#
# Usage (from the repository root):  source scripts/use-node22.sh   (bash, zsh; `. scripts/use-node22.sh` in sh)
# From bash or zsh it may be sourced from any folder: it finds the repository from its own path.
# The binary comes from the registry package node-<os>-<arch> (the same one the `node` package
# installs through its preinstall script, which npm 11 does not run) into .tools/ (git-ignored).
NODE22_VERSION="22.23.3"
__node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "${__node_major}" -lt 22 ]; then
  # This file's path, as each shell tells a sourced file: bash in BASH_SOURCE, zsh through the
  # prompt escape %x ("the name of the file containing the source code currently being executed",
  # zshmisc(1)); a POSIX sh (dash) tells it nothing, so there it must be sourced from the root. Each
  # shell's own syntax is behind `eval`, so the others never parse it.
  if [ -n "${BASH_VERSION:-}" ]; then
    eval '__self="${BASH_SOURCE[0]}"'
  elif [ -n "${ZSH_VERSION:-}" ]; then
    eval '__self="${(%):-%x}"'
  else
    __self="scripts/use-node22.sh"
  fi
  __root="$(cd "$(dirname "${__self}")/.." 2>/dev/null && pwd)"
  if [ ! -f "${__root}/scripts/use-node22.sh" ]; then
    echo "use-node22: cannot find the repository from ${PWD}; in sh, source it from the repository root (. scripts/use-node22.sh)" >&2
    unset __self __root __node_major
    return 1
  fi
  case "$(uname -m)" in
    x86_64) __arch=x64 ;;
    aarch64 | arm64) __arch=arm64 ;;
    *) echo "use-node22: unsupported CPU $(uname -m); install Node >= 22 yourself" >&2; return 1 ;;
  esac
  __os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  __pkg="node-${__os}-${__arch}"
  __bin="${__root}/.tools/node_modules/${__pkg}/bin"
  if [ ! -x "${__bin}/node" ] || [ "$("${__bin}/node" --version)" != "v${NODE22_VERSION}" ]; then
    echo "use-node22: installing ${__pkg}@${NODE22_VERSION} into .tools/" >&2
    npm install --prefix "${__root}/.tools" --no-save --no-audit --no-fund --loglevel=error "${__pkg}@${NODE22_VERSION}" >&2 || return 1
  fi
  export PATH="${__bin}:${PATH}"
  unset __self __root __arch __os __pkg __bin
fi
unset __node_major
echo "use-node22: $(command -v node) $(node --version)" >&2
