// Chapter 3 — the mount namespace: a root filesystem of the container's own.
import { hasNetworkNamespace } from '../network/mode.js';
import { isolates } from '../runtime/isolation.js';
import type { ContainerSpec } from '../runtime/spec.js';
import {
  MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC,
  chdir, makeReadOnly, mount, pivotRoot as pivotRootCall, umount2,
} from '../syscalls/index.js';
import { prepareMountpoint } from './paths.js';
import type { InitStep } from './pipeline.js';

export const makeMountsPrivate: InitStep = {
  name: 'make-mounts-private',
  chapter: 3,
  summary: "every mount becomes private: nothing mounted from now on reaches the host, nothing of the host's comes in",
  applies: hasMountNamespace,
  run() {
    // A new mount namespace starts as a copy of the host's. Ours belongs to a
    // new user namespace, so the kernel has already turned the host's
    // "shared" mounts (systemd makes / shared) into slaves: nothing we mount
    // can reach the host, but the host's mounts and unmounts still flow in —
    // a disk mounted on the host would appear in the container. Private cuts
    // that last link, and pivot_root wants no shared propagation around it.
    // Shell: mount --make-rprivate /
    mount(null, '/', null, MS_REC | MS_PRIVATE);
  },
};

export const bindRootfs: InitStep = {
  name: 'bind-rootfs',
  chapter: 3,
  summary: 'for --rootfs: the directory is bound onto itself, making it a mount point that pivot_root accepts',
  applies: (spec) => spec.overlay === undefined && hasMountNamespace(spec), // an image's root is an overlay mount instead
  run({ root }) {
    // pivot_root needs the new root to be a mount point, and a directory is
    // not one until something is mounted there: bind it onto itself.
    // Shell: mount --rbind ROOTFS ROOTFS
    mount(root, root, null, MS_BIND | MS_REC);
  },
};

export const mountSys: InitStep = {
  name: 'mount-sys',
  chapter: 3,
  summary: "/sys, read-only: a sysfs of the network namespace's own, or the host's without one",
  applies: hasMountNamespace,
  run({ spec, root }) {
    const target = prepareMountpoint(root, 'sys', 'dir');
    if (hasNetworkNamespace(spec.network)) {
      // sysfs shows the network devices of the namespace of whoever mounts
      // it (/sys/class/net), so the kernel lets only the owner of a network
      // namespace mount one. Ours was made with our user namespace: a fresh
      // sysfs, read-only as docker mounts it, lists the container's lo and eth0.
      // Shell: mount -t sysfs -o ro,nosuid,nodev,noexec sysfs ROOT/sys
      mount('sysfs', target, 'sysfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      if (!isolates(spec, 'cgroup')) {
        // --no-isolate=cgroup: no cgroup namespace, so the host's view of
        // the cgroup tree, read-only, as docker --cgroupns host shows it. (A
        // fresh sysfs has only an empty directory there; the host's /sys,
        // below, brings its cgroup mounts along.)
        // Shell: mount --rbind /sys/fs/cgroup ROOT/sys/fs/cgroup && mount -o remount,bind,ro ROOT/sys/fs/cgroup
        const cgroup = `${target}/fs/cgroup`;
        mount('/sys/fs/cgroup', cgroup, null, MS_BIND | MS_REC);
        makeReadOnly(cgroup, true);
      }
      return;
    }
    // Sharing the host's network, we may not mount a sysfs: we show the
    // host's /sys instead, read-only (what rootless podman does with --network host).
    // Shell: mount --rbind /sys ROOT/sys && mount -o remount,bind,ro ROOT/sys
    mount('/sys', target, null, MS_BIND | MS_REC);
    makeReadOnly(target, true);
  },
};

export const pivotRoot: InitStep = {
  name: 'pivot-root',
  chapter: 3,
  summary: "the container's root becomes /, and the host's old root is detached: no path leads back",
  // --no-isolate=mount: the host's mount namespace, whose root stays ours (--rootfs /, src/runtime/isolation.ts).
  applies: hasMountNamespace,
  run(ctx) {
    // pivot_root swaps the root of the whole mount namespace, unlike chroot,
    // which only changes how this one process resolves "/" (and is easy to
    // climb out of). Passing "." twice stacks the old root on top of the new
    // one; unmounting "." then removes the old root, so no path inside the
    // container leads back to the host's files.
    // #region exercise: make ctx.root the root of the mount namespace with pivot_root, and detach the old root so no path leads back to the host
    // Shell: cd ROOT && pivot_root . . && umount -l .
    chdir(ctx.root);
    pivotRootCall('.', '.');
    umount2('.', MNT_DETACH);
    chdir('/');
    // #endregion
    ctx.root = '/';
  },
};

export const readOnlyRoot: InitStep = {
  name: 'read-only-root',
  chapter: 3,
  summary: 'with --read-only: / becomes read-only; its submounts stay as they are',
  applies: (spec) => spec.readOnly,
  run() {
    // Only "/" itself: /dev, /dev/shm and /proc stay writable, as with docker --read-only.
    // Shell: mount -o remount,bind,ro /
    makeReadOnly('/', false);
  },
};

/** Whether the container has a mount namespace of its own (not --no-isolate=mount): every step that mounts needs one. */
function hasMountNamespace(spec: ContainerSpec): boolean {
  return isolates(spec, 'mount');
}
