#!/usr/bin/env zsh
# test-completion-zsh.zsh COMPLETION_DIR CLI: the zsh completion of blockscope-cli,
# run for real. For each case an interactive zsh (zsh -f -i) starts on a
# pseudo-terminal (zsh/zpty) with compinit and the completion from
# COMPLETION_DIR, CLI's folder first in $path; the test types a command line
# and a Tab. A compadd wrapper writes every match that completion offers to
# a file, and a function run after completion prints a marker that the test
# waits for. TAP output.
emulate -R zsh
setopt extended_glob no_unset

zmodload zsh/zpty || { print '1..0 # SKIP zsh/zpty is missing'; exit 0 }

compdir=${1:A}
cli=${2:A}
tmp=$(mktemp -d)
trap 'zpty -d 2>/dev/null; rm -rf -- $tmp' EXIT

cat > $tmp/setup.zsh <<SETUP
PS1='' RPS1=''
fpath=(${(q)compdir} \$fpath)
path=(${(q)cli:h} \$path)
autoload -Uz compinit && compinit -u -D
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
bindkey '^I' complete-word
compadd () {
  # Calls that only compute matches (-O, -A, -D) are not what is offered.
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "\$@"
    return
  fi
  local -a __bs_hits
  builtin compadd -O __bs_hits "\$@"
  (( \$#__bs_hits )) && print -rl -- \$__bs_hits >> ${(q)tmp}/matches
  builtin compadd "\$@"
}
_bs_test_done () { print -r -- '@@completion''-done@@' }
comppostfuncs=(_bs_test_done)
SETUP

# Nothing in the working folder to complete, until the file cases make some.
mkdir $tmp/work
cd $tmp/work

n=0
failed=0
reply=

# complete LINE: sets $matches to what completing LINE offers (sorted, unique).
complete () {
  : > $tmp/matches
  zpty bs zsh -f -i
  zpty -w bs "source ${(q)tmp}/setup.zsh"
  zpty -w -n bs "$1"$'\t'
  zpty -r bs reply '*@@completion-done@@*'
  zpty -d bs
  matches=(${(ou)${(f)"$(<$tmp/matches)"}})
}

# check DESCRIPTION EXPECTED...: $matches must be exactly EXPECTED (any order).
check () {
  local desc=$1
  shift
  local -a expected=(${(ou)@})
  (( ++n ))
  if [[ "${(j: :)matches}" == "${(j: :)expected}" ]]; then
    print -r -- "ok $n - $desc"
  else
    print -r -- "not ok $n - $desc"
    print -r -- "# offered:  ${(j: :)matches}"
    print -r -- "# expected: ${(j: :)expected}"
    print -r -- "# terminal: ${(q+)reply}"
    (( ++failed ))
  fi
}

# The long options of a command, from its --help.
help_options () {
  local -a lines=(${(f)"$($cli $@ --help)"})
  local l
  for l in $lines; do
    [[ $l == (#b)[[:space:]]##(-?,[[:space:]])#(--[[:alnum:]-]##)* ]] && print -r -- $match[2]
  done
}

complete 'blockscope-cli '
check 'commands' train eval cka cka-merge activations dominant convergence seeds render blocks probe bench runs datasets download import info

complete 'blockscope-cli bench '
check 'benchmarks' train cka

for c in train eval cka cka-merge activations dominant convergence seeds render blocks probe runs datasets download import info 'bench train' 'bench cka'; do
  opts=($(help_options ${=c}))
  if (( ! ${opts[(I)--help]} )); then
    (( ++n, ++failed ))
    print -r -- "not ok $n - options of $c: no --help in its --help"
    continue
  fi
  complete "blockscope-cli $c --"
  check "options of $c, as in its --help" $opts
done

complete 'blockscope-cli train --dataset '
check 'data sets, as datasets --names prints them' ${(f)"$($cli datasets --names)"}

complete 'blockscope-cli cka --dataset=c'
check 'data sets after --dataset=' cifar10 cifar100

complete 'blockscope-cli cka --a resnet5'
check 'model names' resnet50 resnet56

complete 'blockscope-cli cka --b resnet56x'
check 'width forms of a model name' resnet56x{2,4,8,10,16}

complete 'blockscope-cli bench train --model imagenet-'
check 'ImageNet model names' imagenet-resnet{50,101,152}

complete 'blockscope-cli train --schedule '
check 'schedules' linear cosine constant

complete 'blockscope-cli cka --layers '
check 'layer selections' all residual

mkdir runs
touch a.safetensors b.safetensors m.npy notes.txt
complete 'blockscope-cli eval '
check 'checkpoints and folders for eval' a.safetensors b.safetensors runs

complete 'blockscope-cli cka --out '
check 'matrix files and folders for cka --out' m.npy runs

print "1..$n"
exit $(( failed > 0 ))
