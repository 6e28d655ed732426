// Chapter 10 — a network helper as a process of the supervisor's: started on
// the container's namespaces while its init waits for "go", waited for until
// the helper itself says the interface is up, and stopped with the container.
//
// Node cannot setns(2) (see src/userns/spawn.ts), and need not: both helpers
// take the init's host pid and join its user and network namespaces
// themselves, as `nsenter -t PID -U -n` would.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';

export interface HelperProcess {
  /**
   * Wait for READY, the helper's own "my interface is up" (never a sleep, never
   * a poll), or fail with the line the helper printed if it exits first.
   */
  untilReady(ready: Promise<unknown>): Promise<void>;
  /** End it (by how STOP says) and wait until it has exited; at once if it has already. */
  stop(): Promise<void>;
}

/**
 * Spawn ARGV, its stdout and stderr kept (for the line that explains a
 * failure), fds 3… being EXTRA. STOP asks it to end, once: a signal, or the
 * closing of a descriptor it watches.
 */
export function startHelper(name: string, argv: string[], extra: number[], stop: (child: ChildProcess) => void): HelperProcess {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe', ...extra] as StdioOptions });
  let output = '';
  for (const stream of [child.stdout, child.stderr] as Readable[]) {
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      if (output.length < 65536) output += chunk;
    });
  }
  // 'close' comes once it has exited AND its output has ended: what it said is all there.
  const ended = new Promise<string>((resolve) => {
    child.once('close', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit status ${code}`));
    child.once('error', (error) => resolve(error.message));
  });
  let stopping = false;
  return {
    async untilReady(ready) {
      const first = await Promise.race([ready.then(() => undefined), ended.then((how) => ({ how }))]);
      if (first === undefined) return;
      throw new Error(`${name} could not connect the container: ${explanation(output) ?? first.how}`);
    },
    async stop() {
      if (!stopping && child.exitCode === null && child.signalCode === null) {
        stopping = true;
        stop(child);
      }
      await ended;
    },
  };
}

/**
 * Wait until HELPER writes to READY_FD (our end of a pipe, or of a FIFO, it
 * writes to once its interface is up), then for THEN (what is left to ask of
 * it: published ports). A helper that fails on the way is stopped, and its
 * failure thrown. READY_FD is closed either way.
 */
export async function whenReady(helper: HelperProcess, readyFd: number, then: () => Promise<void> = async () => {}): Promise<void> {
  const pipe = new Socket({ fd: readyFd, readable: true, writable: false });
  pipe.on('error', () => {});
  try {
    await helper.untilReady(new Promise((resolve) => pipe.once('data', resolve)));
    await then();
  } catch (error) {
    await helper.stop();
    throw error;
  } finally {
    pipe.destroy();
  }
}

/**
 * The line that says what went wrong: the last one a helper printed before
 * giving up. pasta also tries the system log and, where there is none (a
 * container, a CI machine), says so before every line: that is noise here.
 */
function explanation(output: string): string | undefined {
  return output.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !/^Failed to send \d+ bytes to syslog$/.test(line)).at(-1);
}
