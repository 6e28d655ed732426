// Chapter 6 — the container's view of cgroups: a cgroup namespace.
//
// By now the supervisor has put this process into the container's own cgroup
// (src/cgroups/container.ts), before it said "go". A cgroup namespace makes
// that cgroup look like the root of the tree: /proc/self/cgroup says "0::/"
// inside, and a cgroup2 filesystem mounted from in here shows only the
// container's subtree — its memory.max, its pids.current — and nothing of the
// host's other cgroups. The namespace's root is wherever the process stands
// when it unshares, which is why it is made here, by the init, and not by
// unshare(1) at the start (then the root would have been the supervisor's
// cgroup: the container could see its neighbours).
//
// Mounted read-only, as docker does: the limits were set from outside, and
// a container that could write its own cgroup's files could lift them.
// (With nsdelegate the kernel refuses those writes anyway; read-only says so
// plainly to any program that looks.)
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, mount, unshareCgroupNamespace } from '../syscalls/index.js';
import { isolates } from '../runtime/isolation.js';
import { prepareMountpoint } from './paths.js';
import type { InitStep } from './pipeline.js';

export const mountCgroup: InitStep = {
  name: 'mount-cgroup',
  chapter: 6,
  summary: 'with a cgroup of its own, where cgroup v2 is delegated: a cgroup namespace rooted there, mounted read-only on /sys/fs/cgroup',
  // --no-isolate=cgroup: the cgroup (and its limits) all the same, but the host's view of the tree (mount-sys).
  applies: (spec) => spec.cgroupNamespace === true && isolates(spec, 'cgroup'),
  run({ root }) {
    // Shell: unshare --cgroup, then mount -t cgroup2 -o ro,nosuid,nodev,noexec cgroup2 ROOT/sys/fs/cgroup
    unshareCgroupNamespace();
    const target = prepareMountpoint(root, 'sys/fs/cgroup', 'dir');
    // On a cgroup v2 host, ROOT/sys/fs/cgroup is already the host's cgroup2
    // mount (it came with /sys's recursive bind), locked there: it cannot be
    // unmounted from a user namespace. And mounting the same filesystem right
    // on top of its own mount's root is EBUSY — even with another root in
    // the tree. An empty tmpfs between the two makes it a different mount.
    // Shell: mount -t tmpfs -o ro,size=0 none ROOT/sys/fs/cgroup first.
    mount('tmpfs', target, 'tmpfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 'size=0');
    mount('cgroup2', target, 'cgroup2', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  },
};
