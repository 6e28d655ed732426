// Chapter 4 — the pid namespace and its /proc.
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, mount } from '../syscalls/index.js';
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
    // Shell: mount -t proc -o nosuid,nodev,noexec proc ROOT/proc
    const target = prepareMountpoint(root, 'proc', 'dir');
    mount('proc', target, 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);
  },
};
