#!/bin/sh
# Stage 1 of the test VM: /init inside the initramfs (busybox sh, pid 1).
#
# Its one job is to assemble the real root and hand over to it: load the
# modules the kernel needs to see its disks (there is no modprobe here, and
# the host has no /lib/modules for this kernel: scripts/vm/initramfs.mjs put
# them in /modules in dependency order), mount the HOST's own / read-only
# over 9p with a tmpfs overlay on top (the guest gets the host's exact node,
# npm and libraries, and may write anywhere without touching the host), then
# switch_root into it and run stage 2, scripts/vm/guest.sh, from the project.
#
# switch_root, not chroot: the kernel refuses an unprivileged CLONE_NEWUSER
# to a process whose root is not its mount namespace's root (EPERM), and
# rootless containers are what the guest is for.

# pid 1 must not just exit (the kernel panics): say why and power off.
fail() {
  echo "cellblock-vm init: $*" >&2
  poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r module; do
  insmod "/modules/$module.ko" || fail "insmod $module failed"
done < /modules/order

mkdir -p /host /rw /newroot
# cache=loose: the host's files do not change under a test run, and
# without it every stat() is a round trip to qemu.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /host ||
  fail 'mount -t 9p hostroot failed'
mount -t tmpfs -o mode=0755 rw /rw
mkdir /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work root /newroot ||
  fail 'mount -t overlay (host root + tmpfs) failed'

# The exchange share carries the job in and the output and exit status out.
# No cache option: what the guest writes must reach the host before poweroff.
mkdir -p /newroot/cellblock-vm
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 exchange /newroot/cellblock-vm ||
  fail 'mount -t 9p exchange failed'
. /newroot/cellblock-vm/job.env

# Stage 2 mounts its own /proc, /sys and /dev in the new root.
umount /proc /sys /dev
exec switch_root /newroot /bin/bash "$CELLBLOCK_VM_PROJECT/scripts/vm/guest.sh"
