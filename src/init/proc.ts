// Chapter 4 — the pid namespace and its /proc.
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_REC, makeReadOnly, mount } from '../syscalls/index.js';
import { isolates } from '../runtime/isolation.js';
import { prepareMountpoint } from './paths.js';
import type { InitStep } from './pipeline.js';

export const mountProc: InitStep = {
  name: 'mount-proc',
  chapter: 4,
  summary: "a /proc of the new pid namespace: the container's processes only",
  applies: (spec) => isolates(spec, 'mount'), // --no-isolate=mount: the host's /proc, as it is
  run({ spec, root }) {
    if (!isolates(spec, 'pid')) {
      // --no-isolate=pid: we live in the host's pid namespace, and the kernel
      // allows a new proc mount only to a holder of CAP_SYS_ADMIN in the user
      // namespace that owns the pid namespace — the host's (EPERM). The
      // host's /proc, bound with what is mounted under it, shows the same
      // thing a fresh mount would show here: every process of the host.
      // (Rootless podman --pid host does the same.)
      // Shell: mount --rbind /proc ROOT/proc
      mount('/proc', prepareMountpoint(root, 'proc', 'dir'), null, MS_BIND | MS_REC);
      return;
    }
    // /proc is not a list of "all processes": each proc mount shows the pid
    // namespace of the process that mounted it. We are pid 1 of a new pid
    // namespace, so a proc mounted by us lists only the container's
    // processes, and `ps` inside sees itself and pid 1, nothing of the host.
    // #region exercise: mount a fresh proc (nosuid, nodev, noexec) at ROOT/proc: it shows the pid namespace of whoever mounts it
    // Shell: mount -t proc -o nosuid,nodev,noexec proc ROOT/proc
    const target = prepareMountpoint(root, 'proc', 'dir');
    mount('proc', target, 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);
    // #endregion
  },
};

/** Where --init puts the host's init: our own /dev tmpfs, so the image's files are untouched. */
export const INIT_PATH = '/dev/init';

export const mountInit: InitStep = {
  name: 'mount-init',
  chapter: 4,
  summary: "with --init: the host's static init bound read-only on /dev/init, to be pid 1",
  applies: (spec) => spec.init !== undefined && isolates(spec, 'mount'),
  run({ spec, root }) {
    // pid 1 has duties a normal program does not know about: reaping the
    // orphans the kernel hands it (or they stay zombies), and passing on the
    // signals it is sent (it gets only those it handles). --init puts a tiny
    // program that does both in front of the command. It must be static:
    // the container's root has the image's libraries, not the host's.
    // Shell: touch ROOT/dev/init && mount --bind -o ro /usr/bin/catatonit ROOT/dev/init
    const target = prepareMountpoint(root, INIT_PATH.slice(1), 'file');
    mount(spec.init!, target, null, MS_BIND);
    makeReadOnly(target, false);
  },
};
