#!/bin/bash
# Stage 2 of the test VM: pid 1 in the real root (the host's own / with a
# tmpfs overlay, assembled by scripts/vm/init.sh), running as root.
#
# It makes the guest what the cgroup tests need — cgroup v2 mounted alone,
# a subtree delegated to an unprivileged user — then runs the job as that
# user, copies its output to the console (the harness streams it) and to the
# exchange share, leaves the exit status there, and powers off.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
exchange=/cellblock-vm
# CELLBLOCK_VM_PROJECT, CELLBLOCK_VM_USER and CELLBLOCK_VM_PATH, written by
# scripts/vm/job.mjs; the command itself is $exchange/command.sh.
. "$exchange/job.env"
project=$CELLBLOCK_VM_PROJECT
user=$CELLBLOCK_VM_USER

# pid 1 must never just exit (the kernel panics): every way out powers off.
power_off() {
  sync
  busybox poweroff -f
}
fail() {
  echo "cellblock-vm guest: $*" >&2
  power_off
}

# Mounts with busybox: a static binary starts in a fraction of the time
# util-linux's dynamically linked mount takes under emulation.
busybox mount -t proc proc /proc
busybox mount -t sysfs sysfs /sys
busybox mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /scratch
# What udev or systemd would add to /dev; bash's <(…) needs /dev/fd.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
# pasta and slirp4netns (the containers' network, chapter 10) open /dev/net/tun:
# Debian's udev rules make it 0666, devtmpfs alone 0600.
if [[ -c /dev/net/tun ]]; then chmod 0666 /dev/net/tun; fi
busybox mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
busybox mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# A fresh /tmp and /run would hide a project that lives under them on the
# host (CI may clone it into /tmp): hold it by a bind mount meanwhile, and
# put it back at its own path afterwards.
mkdir -p /cellblock-project
busybox mount --bind "$project" /cellblock-project || fail "bind $project failed"
busybox mount -t tmpfs -o mode=1777 tmpfs /tmp
busybox mount -t tmpfs -o mode=0755 tmpfs /run
if [ ! -e "$project/package.json" ]; then
  mkdir -p "$project"
  busybox mount --move /cellblock-project "$project" || fail "mount --move to $project failed"
else
  busybox umount /cellblock-project
fi
# cgroup v2 ALONE, as on a systemd host with the unified hierarchy: every
# controller lives here. nsdelegate makes cgroup namespaces delegation
# boundaries (a process in a cgroup namespace cannot write the files of its
# namespace's root), as systemd mounts it.
busybox mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || fail 'mount -t cgroup2 failed'
busybox ip link set lo up || fail 'ip link set lo up failed'

# The user's data goes on the scratch disk (an ext4 image the harness made,
# /dev/vda): a rootless overlay mount needs user.* xattrs on its upper
# directory, which this kernel's tmpfs (6.1) does not have. noinit_itable:
# do not spend emulated CPU zeroing inode tables nobody will read.
busybox mount -t ext4 -o noinit_itable /dev/vda /scratch || fail 'mount /dev/vda (the scratch disk) failed'

. "$project/scripts/vm/provision.sh"
step_packages
step_subids "$user" || fail 'provision: subordinate ids failed'
step_delegation "$user" || fail 'provision: cgroup delegation failed'
step_runtime_dir "$user" || fail 'provision: runtime directory failed'
step_project "$user" "$project" || fail 'provision: the project is not built'

# HOME and TMPDIR on the scratch disk, the user's alone.
user_ids "$user" || fail "no user $user"
home=/scratch/home
install -d -m 0700 -o "$USER_UID" -g "$USER_GID" "$home" /scratch/tmp

# The user must reach the project, which may sit under a directory only root
# may enter (/root, say). The guest's root is an overlay, so opening up the
# project's ancestors here changes nothing on the host.
ancestors=()
dir=$project
while [[ $dir == /?* ]]; do
  ancestors+=("$dir")
  dir=${dir%/*}
done
chmod o+rx "${ancestors[@]}"
# `cellblock learn check` writes the learner's build beside the real module
# (dist/cgroups/limits.exercise.js), as it may in a checkout of their own:
# the user gets dist/'s directories (in the overlay: the host's stay root's).
find "$project/dist" -type d -exec chown "$USER_UID" {} +

read -r uptime _ </proc/uptime
read -r command <"$exchange/command.sh"
echo "cellblock-vm guest: up in $uptime s; running as $user in $project: $command"

# The runner moves itself into the delegated cgroup, then becomes the user:
# everything the job starts is inside the user's subtree, as it would be in a
# systemd user session.
run_job() {
  echo "$BASHPID" >"$DELEGATED_CGROUP/cgroup.procs" || exit 125
  cd "$project" || exit 125
  exec setpriv --reuid="$USER_UID" --regid="$USER_GID" --init-groups \
    env -i PATH="$CELLBLOCK_VM_PATH" HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash \
    LANG=C.UTF-8 XDG_RUNTIME_DIR="/run/user/$USER_UID" TMPDIR=/scratch/tmp CELLBLOCK_IN_VM=1 \
    bash "$exchange/command.sh" </dev/null
}
{
  (run_job)
  echo $? >"$exchange/status"
} 2>&1 | tee "$exchange/output"
power_off
