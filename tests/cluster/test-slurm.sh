#!/bin/bash
# test-slurm.sh: a one-node Slurm cluster runs README's sbatch scripts; the merged
# shards are exactly the single machine's result.
#
# Starts munged, slurmctld and slurmd of Debian's munge and slurm-wlm as root,
# with their keys, configuration, state and sockets in a temporary folder
# (nothing of the machine's own configuration is used or changed), submits
# data/slurm/cka-shards.sbatch as an array of 4 shards and
# data/slurm/cka-merge.sbatch after it, waits for the merge, and compares its
# .npy byte for byte with `blockscope-cli cka` of the same protocol. Every
# daemon is stopped at the end; on failure their logs are printed.
#
# Usage: test-slurm.sh SOURCE_DIR BUILD_DIR   (TAP on stdout)
set -uo pipefail

src=$1
build=$2
cli=$build/src/cli/blockscope-cli
n=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
fail () {
    n=$((n + 1))
    echo "not ok $n - $1"
    for log in "$tmp"/*.log "$tmp"/run/*.log; do
        [[ -f $log ]] || continue
        echo "# ---- $log"
        sed 's/^/# /' "$log" | tail -n 40
    done
    echo "1..$n"
    exit 1
}

if [[ $(id -u) != 0 ]]; then
    # Outside CI (which runs as root and allows no skip) a developer's run says why.
    echo "1..0 # SKIP needs root to start munged, slurmctld and slurmd"
    exit 0
fi
for program in munged slurmctld slurmd sbatch sinfo; do
    command -v "$program" >/dev/null || { tmp=; fail "$program is installed (apt-get install slurm-wlm munge)"; }
done

tmp=$(mktemp -d /tmp/bs-slurm-XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup () {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# Waits (up to $2 s) for the command $1 to succeed, checking every 0.2 s.
await () {
    local deadline=$((SECONDS + $2))
    until eval "$1" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

free_port () {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# munge: a key of our own and a socket of our own.
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/run"
head -c 1024 /dev/urandom > "$tmp/munge/munge.key"
chmod 400 "$tmp/munge/munge.key"
munged --force --foreground --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/socket" \
    --pid-file="$tmp/munge/pid" --seed-file="$tmp/munge/seed" --log-file="$tmp/munged.log" \
    >/dev/null 2>>"$tmp/munged.log" &
pids+=($!)
await "test -S '$tmp/munge/socket'" 20 || fail "munged starts"
ok "munged starts"

host=$(hostname -s)
cpus=$(nproc)
cat > "$tmp/slurm.conf" <<EOF
ClusterName=blockscope-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -f "$SLURM_CONF" >/dev/null 2>>"$tmp/slurmctld.log" &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >/dev/null 2>>"$tmp/slurmd.log" &
pids+=($!)
await "sinfo -h -o %T | grep -qx idle" 60 || fail "slurmctld and slurmd start, the node is idle"
ok "slurmctld and slurmd start, the node is idle"

# The README's scripts, as a user submits them, on a small protocol.
export PATH=$build/src/cli:$PATH
export BLOCKSCOPE_A=resnet8 BLOCKSCOPE_B=resnet14 BLOCKSCOPE_DATASET=synthetic BLOCKSCOPE_PASSES=2
export BLOCKSCOPE_CKA_ARGS="--limit 128 --batch 32 --threads 1"
export BLOCKSCOPE_SHARDS=$tmp/run/shards BLOCKSCOPE_OUT=$tmp/run/m.npy
shards=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --chdir="$tmp/run" \
                --output="$tmp/run/shard-%a.log" "$src/data/slurm/cka-shards.sbatch") \
    || fail "sbatch takes the array job"
ok "sbatch takes the array job ($shards)"
sbatch --parsable --wait --dependency=afterok:"$shards" --chdir="$tmp/run" --output="$tmp/run/merge.log" \
       "$src/data/slurm/cka-merge.sbatch" >/dev/null \
    || fail "the merge job runs after the shards and succeeds"
ok "the merge job runs after the shards and succeeds"
[[ $(ls "$tmp"/run/shards/part-*.bscka | wc -l) == 4 ]] || fail "four shard files"
ok "four shard files"

# shellcheck disable=SC2086
"$cli" cka --a resnet8 --b resnet14 --dataset synthetic --passes 2 $BLOCKSCOPE_CKA_ARGS \
    --out "$tmp/whole.npy" --quiet || fail "one machine's run"
cmp "$tmp/whole.npy" "$tmp/run/m.npy" || fail "the merged matrix is the single run's, byte for byte"
ok "the merged matrix is the single run's, byte for byte"
echo "1..$n"
