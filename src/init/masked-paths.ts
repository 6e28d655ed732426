// Chapter 11 — the parts of /proc and /sys that show or change the whole machine.
import { lstatSync } from 'node:fs';
import { MS_BIND, MS_RDONLY, MS_REC, makeReadOnly, mount } from '../syscalls/index.js';
import type { InitStep } from './pipeline.js';

export const maskPaths: InitStep = {
  name: 'mask-paths',
  chapter: 11,
  summary: 'unless --privileged: the files of /proc and /sys that show or change the whole machine are covered, or made read-only',
  applies: (spec) => (spec.security?.maskedPaths.length ?? 0) + (spec.security?.readOnlyPaths.length ?? 0) > 0,
  // After pivot_root: these are the container's /proc and /sys, and its /dev/null.
  run({ spec }) {
    // A pid namespace hides other processes, but many /proc files are not
    // per-namespace at all: they describe the kernel and the hardware. They
    // cannot be left out of a proc mount, so they are covered instead —
    // and a mount we made in our mount namespace cannot be removed by the
    // payload without CAP_SYS_ADMIN (limit-capabilities drops it).
    for (const path of spec.security!.maskedPaths) {
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (!stat) continue; // not on this kernel (no sound card, no ACPI)
      // Shell: mount -t tmpfs -o ro tmpfs PATH   (a directory)
      //        mount --bind /dev/null PATH       (a file: reads as empty)
      if (stat.isDirectory()) mount('tmpfs', path, 'tmpfs', MS_RDONLY, null);
      else mount('/dev/null', path, null, MS_BIND);
    }
    for (const path of spec.security!.readOnlyPaths) {
      if (!lstatSync(path, { throwIfNoEntry: false })) continue;
      // Shell: mount --rbind PATH PATH && mount -o remount,bind,ro PATH
      mount(path, path, null, MS_BIND | MS_REC);
      makeReadOnly(path, true);
    }
  },
};
