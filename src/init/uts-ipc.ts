// Chapter 5 — the uts and ipc namespaces: a hostname and System V / POSIX IPC of the container's own.
import { existsSync } from 'node:fs';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, mount, sethostname } from '../syscalls/index.js';
import { isolates } from '../runtime/isolation.js';
import { prepareMountpoint } from './paths.js';
import type { InitStep } from './pipeline.js';

export const mountMqueue: InitStep = {
  name: 'mount-mqueue',
  chapter: 5,
  summary: 'POSIX message queues of the new ipc namespace, on /dev/mqueue',
  applies: (spec) => isolates(spec, 'mount'), // --no-isolate=mount: the host's /dev/mqueue, if any
  run({ spec, root }) {
    if (!isolates(spec, 'ipc')) {
      // --no-isolate=ipc: the host's ipc namespace, whose owner is the host's
      // user namespace, so an mqueue mount is refused (EPERM). The host's
      // own /dev/mqueue, if it has one, shows the same queues; without one
      // the queues still work (mq_open needs no mount), they are just not listed.
      // Shell: mount --bind /dev/mqueue ROOT/dev/mqueue
      if (existsSync('/dev/mqueue')) mount('/dev/mqueue', prepareMountpoint(root, 'dev/mqueue', 'dir'), null, MS_BIND);
      return;
    }
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
  summary: "the new uts namespace gets the container's hostname",
  // --no-isolate=uts: the host's hostname, which is not ours to set (CAP_SYS_ADMIN over the host's uts namespace).
  applies: (spec) => isolates(spec, 'uts'),
  run({ spec }) {
    // The uts namespace holds just two strings, the hostname and the NIS
    // domain name. Ours is new, so this changes the container's name only.
    // #region exercise: set the container's hostname (spec.hostname) in its new uts namespace
    // Shell: hostname NAME
    sethostname(spec.hostname);
    // #endregion
  },
};
