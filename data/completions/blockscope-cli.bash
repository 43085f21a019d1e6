# bash completion for blockscope-cli                         -*- shell-script -*-
#
# Installed as share/bash-completion/completions/blockscope-cli, where
# bash-completion loads it the first time blockscope-cli is completed. It
# needs nothing from bash-completion, so `source` works too.
#
# Completes the commands (and `bench train|cka`), each command's options, and
# the values that can be known: model names and checkpoints, data set names
# (asked from the program: `blockscope-cli datasets --names`), --schedule,
# --layers, --input, folders and files. The option lists follow each
# command's --help; tests/cli/test-completion-bash.sh checks that they do.

# Model names: the CIFAR ResNets of common depths (their width forms
# resnet<D>x<K> once the depth is typed) and the ImageNet ResNets.
_blockscope_cli_model_names()
{
    local cur=$1 d k
    local -a names=()

    for d in 8 14 20 26 32 38 44 50 56 110 164; do
        names+=("resnet$d")
        if [[ $cur == resnet$d* ]]; then
            for k in 2 4 8 10 16; do
                names+=("resnet${d}x$k")
            done
        fi
    done
    names+=(imagenet-resnet50 imagenet-resnet101 imagenet-resnet152)
    compgen -W "${names[*]}" -- "$cur"
}

# Adds the folders, and the files with one of the given endings (a glob
# each, e.g. '*.npy'), to COMPREPLY, to be shown and quoted as file names.
_blockscope_cli_files()
{
    local cur=$1 glob
    shift

    compopt -o filenames 2>/dev/null
    _blockscope_cli_add < <(compgen -d -- "$cur")
    for glob in "$@"; do
        _blockscope_cli_add < <(compgen -f -X "!$glob" -- "$cur")
    done
}

# Appends the lines of standard input to COMPREPLY (names may hold spaces).
_blockscope_cli_add()
{
    local line

    while IFS= read -r line; do
        COMPREPLY+=("$line")
    done
}

# The data set names, from the program being completed.
_blockscope_cli_datasets()
{
    local prog=$1 cur=$2

    [[ $prog == '~/'* ]] && prog=$HOME/${prog#'~/'}
    compgen -W "$("$prog" datasets --names 2>/dev/null)" -- "$cur"
}

_blockscope_cli()
{
    local prog=${COMP_WORDS[0]}
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local opt='' prefix='' command='' first=1 i
    local options values positional=''

    COMPREPLY=()

    # The command, and `bench train` or `bench cka`.
    if ((COMP_CWORD == 1)); then
        if [[ $cur == -* ]]; then
            _blockscope_cli_add < <(compgen -W '--help --version' -- "$cur")
        else
            _blockscope_cli_add < <(compgen -W 'train eval cka cka-merge activations dominant convergence seeds render blocks probe bench runs datasets download import info' -- "$cur")
        fi
        return
    fi
    command=${COMP_WORDS[1]}
    if [[ $command == bench ]]; then
        if ((COMP_CWORD == 2)); then
            if [[ $cur == -* ]]; then
                _blockscope_cli_add < <(compgen -W '--help' -- "$cur")
            else
                _blockscope_cli_add < <(compgen -W 'train cka' -- "$cur")
            fi
            return
        fi
        command="bench ${COMP_WORDS[2]}"
        first=2
    fi

    # Options, with (values) those that take a value.
    case $command in
        train)
            options='-h --help -m --model --init -d --dataset -o --out --run-dir --resume -e --epochs
                     -b --batch --lr --schedule --warmup-epochs --momentum --weight-decay -s --seed
                     -t --threads --limit --test-limit --augment --no-augment
                     --snapshot-every-epochs --snapshot-steps --probe-images --probe-batch
                     --no-snapshots --keep-all-checkpoints --data-dir --json'
            values='-m --model --init -d --dataset -o --out --run-dir --resume -e --epochs -b --batch
                    --lr --schedule --warmup-epochs --momentum --weight-decay -s --seed -t
                    --threads --limit --test-limit --snapshot-every-epochs --snapshot-steps
                    --probe-images --probe-batch --data-dir'
            ;;
        render)
            options='-h --help -o --out --colormap --range --title --panel-titles --columns --width
                     --font-size --dpi --mask-upper --std-error-above --stage-lines --pc1-strips --blocks
                     --block-threshold --frame-ms --frames'
            values='-o --out --colormap --range --title --panel-titles --columns --width --font-size
                    --dpi --std-error-above --block-threshold --frame-ms'
            positional=matrix
            ;;
        blocks)
            options='-h --help -t --threshold --min-size --min-contrast --json'
            values='-t --threshold --min-size --min-contrast'
            positional=matrix
            ;;
        probe)
            options='-h --help -d --dataset --data-dir --layers --limit --test-limit -e --epochs
                     -s --seed -t --threads -o --out --json -q --quiet'
            values='-d --dataset --data-dir --layers --limit --test-limit -e --epochs -s --seed
                    -t --threads -o --out'
            positional=spec
            ;;
        runs)
            options='-h --help --runs-dir --json'
            values='--runs-dir'
            ;;
        eval)
            options='-h --help -d --dataset --json --limit -b --batch -t --threads --data-dir'
            values='-d --dataset --limit -b --batch -t --threads --data-dir'
            positional=checkpoint
            ;;
        cka)
            options='-h --help --a --b --dataset --data-dir --limit --batch --passes --seed
                     --seed-b --layers --biased --measure --shard --exclude-images --pc1 --threads --acts-a
                     --acts-b -o --out -q --quiet --json'
            values='--a --b --dataset --data-dir --limit --batch --passes --seed --seed-b
                    --layers --measure --shard --exclude-images --threads --acts-a --acts-b -o --out'
            ;;
        cka-merge)
            options='-h --help -o --out --partial -q --quiet'
            values='-o --out'
            positional=shard
            ;;
        convergence)
            options='-h --help --dataset --data-dir --limit --batch --passes --layers --settled
                     --threads -o --out -q --quiet'
            values='--dataset --data-dir --limit --batch --passes --layers --settled --threads
                    -o --out'
            positional=folder
            ;;
        seeds)
            options='-h --help --dataset --data-dir --limit --batch --passes --seed --layers
                     --threads -o --out -q --quiet'
            values='--dataset --data-dir --limit --batch --passes --seed --layers --threads -o
                    --out'
            positional=spec
            ;;
        dominant)
            options='-h --help -l --layer -d --dataset --data-dir -k --top --limit --seed
                     -t --threads --json'
            values='-l --layer -d --dataset --data-dir -k --top --limit --seed -t --threads'
            positional=spec
            ;;
        activations)
            options='-h --help -d --dataset --data-dir --layers --limit -b --batch --seed
                     -t --threads -o --out -q --quiet --json'
            values='-d --dataset --data-dir --layers --limit -b --batch --seed -t --threads
                    -o --out'
            positional=spec
            ;;
        datasets)
            options='-h --help --data-dir --json --names'
            values='--data-dir'
            ;;
        download)
            options='-h --help --data-dir --weights-dir --json -q --quiet'
            values='--data-dir --weights-dir'
            positional=download
            ;;
        import)
            options='-h --help -m --model -o --out --input --json'
            values='-m --model -o --out --input'
            positional=weights
            ;;
        info)
            options='-h --help --json'
            values=''
            ;;
        'bench train')
            options='-h --help -m --model -b --batch -t --threads --steps --warmup --input
                     --classes --seed --json'
            values='-m --model -b --batch -t --threads --steps --warmup --input --classes --seed'
            ;;
        'bench cka')
            options='-h --help --a --b --batch --minibatches --warmup --images --passes
                     --threads --channels --size --classes --biased --pc1 --json'
            values='--a --b --batch --minibatches --warmup --images --passes --threads
                    --channels --size --classes'
            ;;
        *)
            return
            ;;
    esac

    # Which option the word being completed is the value of: "--opt VALUE",
    # "--opt=VALUE" split at "=" (COMP_WORDBREAKS) or not.
    if [[ $cur == = ]] && ((COMP_CWORD - 1 > first)); then
        opt=$prev
        cur=''
    elif [[ $prev == = ]] && ((COMP_CWORD - 2 > first)); then
        opt=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        prefix=$opt=
        cur=${cur#*=}
    elif ((COMP_CWORD - 1 > first)) && [[ " ${values//$'\n'/ } " == *" $prev "* ]]; then
        opt=$prev
    fi

    if [[ -n $opt ]]; then
        case "$command:$opt" in
            import:-m | import:--model)
                _blockscope_cli_add < <(compgen -W 'imagenet-resnet50 imagenet-resnet101 imagenet-resnet152' -- "$cur")
                ;;
            import:-o | import:--out)
                _blockscope_cli_files "$cur" '*.safetensors'
                ;;
            'bench train:-m' | 'bench train:--model')
                _blockscope_cli_add < <(_blockscope_cli_model_names "$cur")
                ;;
            *:-m | *:--model | *:--a | *:--b)
                _blockscope_cli_add < <(_blockscope_cli_model_names "$cur")
                _blockscope_cli_files "$cur" '*.safetensors'
                ;;
            *:-d | *:--dataset)
                _blockscope_cli_add < <(_blockscope_cli_datasets "$prog" "$cur")
                ;;
            train:-o | train:--out | train:--init)
                _blockscope_cli_files "$cur" '*.safetensors'
                ;;
            probe:-o | probe:--out)
                _blockscope_cli_files "$cur" '*.csv'
                ;;
            cka:-o | cka:--out)
                _blockscope_cli_files "$cur" '*.npy' '*.csv'
                ;;
            render:-o | render:--out)
                _blockscope_cli_files "$cur" '*.pdf' '*.svg' '*.png' '*.gif'
                ;;
            *:--colormap)
                _blockscope_cli_add < <(compgen -W 'magma viridis inferno plasma grey' -- "$cur")
                ;;
            render:--range)
                _blockscope_cli_add < <(compgen -W 'fixed data' -- "$cur")
                ;;
            render:--width)
                _blockscope_cli_add < <(compgen -W '3.5in 7in 89mm 183mm' -- "$cur")
                ;;
            activations:-o | activations:--out)
                _blockscope_cli_files "$cur"
                ;;
            *:--data-dir | *:--weights-dir | *:--acts-a | *:--acts-b | train:--run-dir | train:--resume | runs:--runs-dir)
                _blockscope_cli_files "$cur"
                ;;
            cka:--measure)
                _blockscope_cli_add < <(compgen -W 'cka cka-without-pc1 pc1-alignment cka,cka-without-pc1,pc1-alignment' -- "$cur")
                ;;
            *:--schedule)
                _blockscope_cli_add < <(compgen -W 'linear cosine constant' -- "$cur")
                ;;
            *:--layers)
                _blockscope_cli_add < <(compgen -W 'all residual' -- "$cur")
                ;;
            *:--input)
                _blockscope_cli_add < <(compgen -W '3x32x32 1x28x28' -- "$cur")
                ;;
        esac
        if [[ -n $prefix ]]; then
            for i in "${!COMPREPLY[@]}"; do
                COMPREPLY[i]=$prefix${COMPREPLY[i]}
            done
        fi
        return
    fi

    if [[ $cur == -* || -z $positional ]]; then
        _blockscope_cli_add < <(compgen -W "$options" -- "$cur")
    elif [[ $positional == checkpoint ]]; then
        _blockscope_cli_files "$cur" '*.safetensors'
    elif [[ $positional == matrix ]]; then
        _blockscope_cli_files "$cur" '*.npy'
    elif [[ $positional == spec ]]; then
        _blockscope_cli_add < <(_blockscope_cli_model_names "$cur")
        _blockscope_cli_files "$cur" '*.safetensors'
    elif [[ $positional == weights ]]; then
        _blockscope_cli_files "$cur" '*.pth' '*.pt' '*.safetensors'
    elif [[ $positional == shard ]]; then
        _blockscope_cli_files "$cur" '*.bscka'
    elif [[ $positional == folder ]]; then
        _blockscope_cli_files "$cur"
    elif [[ $positional == download ]]; then
        if [[ ${COMP_WORDS[COMP_CWORD - 1]} == weights ]]; then
            _blockscope_cli_add < <(compgen -W 'imagenet-resnet50 imagenet-resnet101 imagenet-resnet152' -- "$cur")
        else
            _blockscope_cli_add < <(compgen -W 'cifar10 cifar100 mnist weights' -- "$cur")
        fi
    fi
} &&
    complete -F _blockscope_cli blockscope-cli

# ex: filetype=sh
