#!/usr/bin/env bash
# test-completion-bash.sh COMPLETION_FILE CLI: the bash completion of
# blockscope-cli, sourced into this bash and called as bash calls it (COMP_WORDS,
# COMP_CWORD, then the function that `complete -p` names), with CLI as the
# program being completed. Checks COMPREPLY. TAP output.
set -u

completion=$1
cli=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# shellcheck source=/dev/null
source "$completion" || { echo "Bail out! cannot source $completion"; exit 1; }
spec=$(complete -p blockscope-cli) || { echo "Bail out! no completion for blockscope-cli"; exit 1; }
func=${spec#*-F }
func=${func%% *}

# Nothing in the working folder to complete, until the file cases make some.
mkdir "$tmp/work"
cd "$tmp/work" || exit 1

n=0
failed=0

# complete WORD...: completes the last word of "CLI WORD..." (split at "="
# as bash does with its default COMP_WORDBREAKS, when the caller does).
complete_words()
{
    COMP_WORDS=("$cli" "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$func" blockscope-cli "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}

# check DESCRIPTION EXPECTED...: COMPREPLY must be exactly EXPECTED (any order).
check()
{
    local desc=$1 got want
    shift
    got=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort -u | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | LC_ALL=C sort -u | tr '\n' ' ')
    n=$((n + 1))
    if [[ $got == "$want" ]]; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc"
        echo "# offered:  $got"
        echo "# expected: $want"
        failed=$((failed + 1))
    fi
}

# The long options of a command, from its --help.
help_options()
{
    "$cli" "$@" --help | sed -n 's/^ \{2,\}\(-[[:alnum:]], \)\{0,1\}\(--[[:alnum:]-]\{1,\}\).*/\2/p'
}

complete_words ''
check 'commands' train eval cka cka-merge activations dominant convergence seeds render blocks probe bench runs datasets download import info

complete_words '-'
check 'options before a command' --help --version

complete_words bench ''
check 'benchmarks' train cka

for c in train eval cka cka-merge activations dominant convergence seeds render blocks probe runs datasets download import info 'bench train' 'bench cka'; do
    # shellcheck disable=SC2086
    options=$(help_options $c)
    if [[ $'\n'$options$'\n' != *$'\n--help\n'* ]]; then
        n=$((n + 1))
        echo "not ok $n - options of $c: no --help in its --help"
        failed=$((failed + 1))
        continue
    fi
    # shellcheck disable=SC2086
    complete_words $c --
    # shellcheck disable=SC2086
    check "options of $c, as in its --help" $options
done

complete_words cka --
check 'options of cka' --a --b --dataset --data-dir --limit --batch --passes --seed --seed-b \
    --layers --biased --measure --shard --exclude-images --pc1 --threads --acts-a --acts-b --out --quiet --json --help

mapfile -t names < <("$cli" datasets --names)
complete_words train --dataset ''
check 'data sets, as datasets --names prints them' "${names[@]}"

complete_words cka --dataset c
check 'data sets after --dataset' cifar10 cifar100

complete_words cka --measure cka-
check 'measures after --measure' cka-without-pc1

complete_words eval --dataset = fa
check 'data sets after --dataset=, split at =' fashion-mnist

complete_words train --dataset=m
check 'data sets after --dataset=, not split' --dataset=mnist

complete_words cka --a res
check 'model names' resnet8 resnet14 resnet20 resnet26 resnet32 resnet38 resnet44 resnet50 \
    resnet56 resnet110 resnet164

complete_words cka --a resnet20 --b resnet56
check 'width forms of a model name' resnet56 resnet56x2 resnet56x4 resnet56x8 resnet56x10 \
    resnet56x16

complete_words bench train -m imagenet-
check 'ImageNet model names' imagenet-resnet50 imagenet-resnet101 imagenet-resnet152

complete_words download ''
check 'data sets that can be downloaded, and weights' cifar10 cifar100 mnist weights

complete_words download weights ''
check 'architectures with official weights' imagenet-resnet50 imagenet-resnet101 imagenet-resnet152

complete_words train --schedule ''
check 'schedules' linear cosine constant

complete_words cka --layers ''
check 'layer selections' all residual

complete_words train --epochs ''
check 'nothing to offer for a number'

mkdir runs
touch a.safetensors b.safetensors m.npy notes.txt
complete_words eval ''
check 'checkpoints and folders for eval' a.safetensors b.safetensors runs

complete_words cka --a ''
check 'model names, checkpoints and folders for --a' resnet8 resnet14 resnet20 resnet26 \
    resnet32 resnet38 resnet44 resnet50 resnet56 resnet110 resnet164 imagenet-resnet50 \
    imagenet-resnet101 imagenet-resnet152 a.safetensors b.safetensors runs

complete_words cka --out ''
check 'matrix files and folders for cka --out' m.npy runs

complete_words cka --acts-a ''
check 'folders for --acts-a' runs

echo "1..$n"
exit $((failed > 0))
