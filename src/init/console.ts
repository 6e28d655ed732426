// Chapter 9 — a terminal of the container's own (-t).
import { closeSync } from 'node:fs';
import { CONSOLE_FD } from '../runtime/protocol.js';
import { moveFd, openPty, sendFd, setControllingTerminal, setWindowSize, setsid } from '../syscalls/index.js';
import type { InitStep } from './pipeline.js';

export const openConsole: InitStep = {
  name: 'open-console',
  chapter: 9,
  summary: "with -t: a terminal in the container's devpts; its master side goes to the supervisor",
  applies: (spec) => spec.tty !== undefined,
  run(ctx) {
    // The container's own devpts is mounted (mount-dev), and we are still
    // before pivot_root: its ptmx is ROOT/dev/pts/ptmx. A pty made there is
    // numbered in the container's devpts, so `tty` inside prints /dev/pts/0.
    const { master, slave } = openPty(`${ctx.root}/dev/pts/ptmx`);
    setWindowSize(master, ctx.spec.tty!);
    // The relay (outside) gets the master; we keep only the slave, for the payload.
    sendFd(CONSOLE_FD, master);
    closeSync(master);
    closeSync(CONSOLE_FD);
    ctx.console = slave;
  },
};

/**
 * Make the terminal SLAVE the payload's stdin, stdout and stderr, and its
 * controlling terminal: then ^C typed on it sends SIGINT to the payload's
 * foreground process group, and the relay closing the master sends SIGHUP.
 * Shell: setsid --ctty PROGRAM <SLAVE >SLAVE 2>SLAVE
 */
export function attachConsole(slave: number): void {
  // A controlling terminal belongs to a session, and only a session leader
  // with none may take one. We are pid 1 here, but not a process group
  // leader (our group is unshare's, outside), so we may start a session.
  setsid();
  setControllingTerminal(slave);
  for (const fd of [0, 1, 2]) moveFd(slave, fd);
}
