// Chapter 3 — a /dev of the container's own.
import { readFileSync, symlinkSync } from 'node:fs';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_STRICTATIME, mount } from '../syscalls/index.js';
import { isMapped, parseMap } from '../userns/idmap.js';
import { isolates } from '../runtime/isolation.js';
import { prepareMountpoint } from './paths.js';
import type { InitStep } from './pipeline.js';

/** The device nodes every program expects, as docker provides them. */
const HOST_DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

const TTY_GROUP = 5;

export const mountDev: InitStep = {
  name: 'mount-dev',
  chapter: 3,
  summary: 'a /dev of its own: a tmpfs, six devices bound from the host, a devpts of its own, /dev/shm',
  applies: (spec) => isolates(spec, 'mount'), // --no-isolate=mount: the host's /dev, as it is
  run({ root, spec }) {
    // The host's /dev holds every disk and terminal of the machine: the
    // container gets an empty tmpfs instead, with only a handful of devices.
    // Shell: mount -t tmpfs -o nosuid,strictatime,mode=755,size=64m tmpfs ROOT/dev
    const dev = prepareMountpoint(root, 'dev', 'dir');
    mount('tmpfs', dev, 'tmpfs', MS_NOSUID | MS_STRICTATIME, 'mode=755,size=65536k');

    // mknod of a character device is refused in a user namespace (it would
    // let anyone create /dev/sda with their own permissions), so each device
    // is a bind mount of the host's node onto an empty file.
    // Shell: touch ROOT/dev/null && mount --bind /dev/null ROOT/dev/null
    for (const name of HOST_DEVICES) {
      mount(`/dev/${name}`, prepareMountpoint(root, `dev/${name}`, 'file'), null, MS_BIND);
    }

    // A devpts of our own ("newinstance") holds only the terminals the
    // container opens; /dev/ptmx must point at its ptmx, not the host's.
    // Shell: mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts ROOT/dev/pts
    const ptsOptions = ['newinstance', 'ptmxmode=0666', 'mode=0620'];
    // gid=5 (tty) is only accepted when that group exists in our user namespace.
    if (isGidMapped(TTY_GROUP)) ptsOptions.push(`gid=${TTY_GROUP}`);
    mount('devpts', prepareMountpoint(root, 'dev/pts', 'dir'), 'devpts', MS_NOSUID | MS_NOEXEC, ptsOptions.join(','));
    symlinkSync('pts/ptmx', `${dev}/ptmx`);

    // POSIX shared memory (shm_open) is files in /dev/shm, and a name means
    // the same object to everyone who sees the same directory. A container
    // with an ipc namespace of its own gets an empty one; one that shares the
    // host's (--ipc host) gets the host's, as docker does, so that its
    // System V and its POSIX shared memory are both the host's.
    const shm = prepareMountpoint(root, 'dev/shm', 'dir');
    if (isolates(spec, 'ipc')) {
      // Shell: mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=64m shm ROOT/dev/shm
      mount('shm', shm, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=1777,size=65536k');
    } else {
      // Shell: mount --bind /dev/shm ROOT/dev/shm
      mount('/dev/shm', shm, null, MS_BIND);
    }

    // The conventional links, resolved through the container's own /proc.
    symlinkSync('/proc/self/fd', `${dev}/fd`);
    symlinkSync('/proc/self/fd/0', `${dev}/stdin`);
    symlinkSync('/proc/self/fd/1', `${dev}/stdout`);
    symlinkSync('/proc/self/fd/2', `${dev}/stderr`);
  },
};

/** Whether GID has an owner in this process's user namespace (per /proc/self/gid_map). */
function isGidMapped(gid: number): boolean {
  return isMapped(parseMap(readFileSync('/proc/self/gid_map', 'utf8')), gid);
}
