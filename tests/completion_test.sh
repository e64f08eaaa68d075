#!/usr/bin/env bash
# The bash completion (tools/completion/sgn-launch.bash) against the built tools:
# options, element types, a type's properties, placements, sgn-inspect's types.
#   completion_test.sh COMPLETION_SCRIPT TOOLS_DIR
set -u
source "$1"
tools=$2
failures=0
# expect "COMMAND LINE" WORD...: completing the last word of the line offers every WORD.
expect() {
  local line=$1
  shift
  read -r -a COMP_WORDS <<<"$line"
  [[ $line == *' ' ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_WORDS[0]=$tools/${COMP_WORDS[0]}
  COMPREPLY=()
  case ${COMP_WORDS[0]} in *sgn-inspect) _sgn_inspect ;; *) _sgn_launch ;; esac
  for want in "$@"; do
    if ! printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$want"; then
      echo "FAIL: '$line' does not offer '$want' (offers: ${COMPREPLY[*]})"
      failures=$((failures + 1))
    fi
  done
}
expect "sgn-launch --roud" --roudi-preset
expect "sgn-launch --roudi-preset s" small
expect "sgn-launch --log-level d" debug
expect "sgn-launch si" sine-source
expect "sgn-launch -q sine-source frames=3 ! f" fir file-sink file-source
expect "sgn-launch sine-source ! fir ta" taps=
expect "sgn-launch sine-source ! fir taps=3 placement=p" placement=process
expect "sgn-launch sine-source fr" frames=
expect "sgn-inspect fi" fir file-sink file-source
expect "sgn-inspect --v" --version
echo "completion: $failures failed"
[ "$failures" -eq 0 ]
