#!/usr/bin/env bash
# Bring up (or tear down) a one-node SLURM cluster on this machine, from Debian's packages; needs root.
#   bash workflow/cluster/slurm-single-node.sh up     install if missing, configure, start munge + slurmctld + slurmd
#   bash workflow/cluster/slurm-single-node.sh down   stop the daemons
# Partitions `cpu` (default) and `gpu`, as workflow/profiles/slurm expects; the node advertises GPUS generic GPUs
# (GRES without device files: jobs that ask for GPUs are scheduled as on a real GPU node and run on the CPU).
# No accounting database: the executor plugin reads job states from squeue, which keeps finished jobs for
# MinJobAge seconds: a day, so a test that reads squeue after a long run still sees its first jobs.
set -euo pipefail
GPUS=${GPUS:-2}
CONF=/etc/slurm

down() {
    pkill -x slurmd 2>/dev/null || true
    pkill -x slurmctld 2>/dev/null || true
    pkill -x munged 2>/dev/null || true
    sleep 1
}

up() {
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
        || ! command -v munged >/dev/null; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurmctld slurmd slurm-client munge
    fi
    down
    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
    mkdir -p "$CONF" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/lib/munge /var/log/munge
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
    chmod 0700 /etc/munge
    chmod 0400 /etc/munge/munge.key
    cat > "$CONF/slurm.conf" <<CONF
ClusterName=diffae-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
ReturnToService=2
MinJobAge=86400
SchedulerParameters=bf_interval=1
MessageTimeout=30
NodeName=$host CPUs=$cpus RealMemory=$mem Gres=gpu:$GPUS State=UNKNOWN
PartitionName=cpu Nodes=$host Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$host MaxTime=INFINITE State=UP
CONF
    # Stand-in GPU device files (copies of /dev/null): gres/gpu needs one file per GPU it schedules.
    for i in $(seq 0 $((GPUS - 1))); do
        [ -e "/dev/standin-gpu$i" ] || mknod "/dev/standin-gpu$i" c 1 3
    done
    echo "NodeName=$host Name=gpu File=/dev/standin-gpu[0-$((GPUS - 1))] AutoDetect=off" > "$CONF/gres.conf"
    cat > "$CONF/cgroup.conf" <<CONF
CgroupPlugin=cgroup/v1
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
CONF
    su -s /bin/sh munge -c "munged --force" 2>/dev/null || munged --force
    slurmctld
    slurmd
    scontrol update nodename="$host" state=resume 2>/dev/null || true  # clear a drain left by an earlier start
    for _ in $(seq 60); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then
            sinfo
            return 0
        fi
        sleep 1
    done
    echo "SLURM did not come up; its logs:" >&2
    tail -n 30 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
    return 1
}

case "${1:-up}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
