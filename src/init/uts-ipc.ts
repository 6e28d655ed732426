// Chapter 5 — the uts and ipc namespaces: a hostname and System V / POSIX IPC of the container's own.
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, mount, sethostname } from '../syscalls/index.js';
import { prepareMountpoint } from './paths.js';
import type { InitStep } from './pipeline.js';

export const mountMqueue: InitStep = {
  name: 'mount-mqueue',
  chapter: 5,
  run({ root }) {
    // POSIX message queues live in the ipc namespace. An mqueue filesystem
    // shows the queues of the ipc namespace of whoever mounts it: ours.
    // Shell: mount -t mqueue -o nosuid,nodev,noexec mqueue ROOT/dev/mqueue
    const target = prepareMountpoint(root, 'dev/mqueue', 'dir');
    mount('mqueue', target, 'mqueue', MS_NOSUID | MS_NODEV | MS_NOEXEC);
  },
};

export const setHostname: InitStep = {
  name: 'set-hostname',
  chapter: 5,
  run({ spec }) {
    // The uts namespace holds just two strings, the hostname and the NIS
    // domain name. Ours is new, so this changes the container's name only.
    // #region exercise: set the container's hostname (spec.hostname) in its new uts namespace
    // Shell: hostname NAME
    sethostname(spec.hostname);
    // #endregion
  },
};
