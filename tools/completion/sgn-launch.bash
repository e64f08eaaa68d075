# bash completion for sgn-launch and sgn-inspect (installed as
# share/bash-completion/completions/sgn-launch and .../sgn-inspect).
# Element types and property names come from the program itself
# (`sgn-launch --complete types`, `--complete properties TYPE`), so elements of
# plugins and of programs built on sgn::launch_main are completed too:
#   complete -F _sgn_launch my-launcher

_sgn_words() {
  # The words, with "key=value" kept whole (bash splits at '=' by default).
  if declare -F _get_comp_words_by_ref >/dev/null; then
    _get_comp_words_by_ref -n = cur prev words cword
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi
}

_sgn_launch() {
  local cur prev words cword
  _sgn_words
  local tool=${words[0]}
  case $prev in
    -f | --file | --json | --dot)
      compopt -o default 2>/dev/null
      COMPREPLY=()
      return
      ;;
    --roudi-preset)
      COMPREPLY=($(compgen -W "default small" -- "$cur"))
      return
      ;;
    --log-level)
      COMPREPLY=($(compgen -W "trace debug info warn error off" -- "$cur"))
      return
      ;;
    --queue | --queue-bytes | --join-timeout | --spin-us) return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$("$tool" --complete options 2>/dev/null)" -- "$cur"))
    return
  fi
  # The element this word belongs to: the first word after the last '!' (or the
  # first word of the description), skipping options and their values.
  local i type= start=1
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -f | --file | --json | --dot | --queue | --queue-bytes | --join-timeout | --spin-us | --log-level | --roudi-preset) ((i++)) ;;
      -*) ;;
      '!') type= ;;
      *) [[ -z $type ]] && type=${words[i]} ;;
    esac
  done
  if [[ -z $type || $type == *.* ]]; then
    COMPREPLY=($(compgen -W "$("$tool" --complete types 2>/dev/null) !" -- "$cur"))
    return
  fi
  if [[ $cur == placement=* ]]; then
    COMPREPLY=($(compgen -P placement= -W "main thread process" -- "${cur#placement=}"))
    return
  fi
  [[ $cur == *=* ]] && return
  COMPREPLY=($(compgen -W "$("$tool" --complete properties "$type" 2>/dev/null) !" -- "$cur"))
  [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
  return 0
}

_sgn_inspect() {
  local cur prev words cword
  _sgn_words
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
    return
  fi
  # sgn-inspect knows the same element types as the sgn-launch beside it.
  local launch=${words[0]%sgn-inspect}sgn-launch
  [[ -x $launch ]] || launch=sgn-launch
  COMPREPLY=($(compgen -W "$("$launch" --complete types 2>/dev/null)" -- "$cur"))
}

complete -F _sgn_launch sgn-launch
complete -F _sgn_inspect sgn-inspect
