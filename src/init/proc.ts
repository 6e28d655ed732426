// Chapter 4 — the pid namespace and its /proc.
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, makeReadOnly, mount } from '../syscalls/index.js';
import { prepareMountpoint } from './paths.js';
import type { InitStep } from './pipeline.js';

export const mountProc: InitStep = {
  name: 'mount-proc',
  chapter: 4,
  run({ root }) {
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
  applies: (spec) => spec.init !== undefined,
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
