// Pipes for the container's stdio, without the FFI.
//
// The container's stdout must be a pipe, not the unix socket Node makes for
// a child's "pipe" stdio: open("/dev/stdout") fails on a socket (ENXIO), and
// images that log to /dev/stdout (nginx does) would break. Node has neither
// pipe(2) nor mkfifo(3), and src/syscalls/ has pipe() — but loading the FFI
// takes ~20 ms, on the path of every container start, before the init can
// be spawned. A named pipe does the same job for ~4 ms: made by coreutils'
// mkfifo, opened at both ends, then unlinked at once. What is left is a
// pipe in all but its birth: two descriptors, one buffer, no name.
import { execFileSync } from 'node:child_process';
import { constants, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface Fifo {
  read: number;
  write: number;
}

/** COUNT pipes, made in DIR (ours alone: runtimeDir()), gone from it when this returns. */
export function fifos(dir: string, count: number): Fifo[] {
  const names = Array.from({ length: count }, (_, i) => join(dir, `fifo-${process.pid}-${i}`));
  mkfifo(names);
  try {
    // O_NONBLOCK: opening one end of a FIFO waits for the other to be opened,
    // except for reading without blocking. The init clears O_NONBLOCK on
    // fds 0–2 before the payload gets them (src/init/exec.ts). (Node opens
    // every file close-on-exec: only spawn's stdio passes them on.)
    return names.map((name) => {
      const read = openSync(name, constants.O_RDONLY | constants.O_NONBLOCK);
      return { read, write: openSync(name, constants.O_WRONLY) };
    });
  } finally {
    for (const name of names) unlinkSync(name);
  }
}

/** Shell: mkfifo -m 600 PATHS… — named pipes only we can open. */
export function mkfifo(paths: string[]): void {
  // By absolute path: coreutils is in every Debian (Essential), and a PATH
  // without it must not stop us before we can say what else is missing.
  execFileSync('/usr/bin/mkfifo', ['-m', '600', '--', ...paths]);
}
