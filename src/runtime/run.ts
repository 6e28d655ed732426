// The parent's side of one container run (the supervisor's, src/supervisor/):
// map ids (step 2) once step 1 says ready, send the spec, relay signals until
// pid 1 exits, and turn how it ended into docker's exit status.
import type { IdMapPlan } from '../userns/idmap.js';
import { converse, describeEnd, type SpawnedInit } from '../userns/spawn.js';
import { EXIT_RUNTIME_FAILED, statusFromWait } from './exit-status.js';
import type { Narration } from './protocol.js';
import type { ContainerSpec } from './spec.js';

/** A failure with docker's exit status for it (125, 126 or 127) and one line to print. */
export class RunError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'RunError';
  }
}

export interface RunHooks {
  /**
   * The init (host PID) has its id maps and waits for "go": nothing of the
   * payload has run yet. May throw: the container then never starts, and the
   * error is the run's (exit 125). Awaited: "go" waits for it (the network helper, chapter 10).
   */
  onReady?(pid: number): void | Promise<void>;
  /** The payload has replaced the init: the container runs its command. */
  onExec?(pid: number): void;
  /** What unshare(1) printed besides the container's own output (normally nothing). */
  onDiagnostics?(text: string): void;
  /** run --explain: given, "go" asks the init to tell each step and call, and each one comes here, in order with "exec". */
  onExplain?(told: Narration): void;
}

export interface RunningContainer {
  /**
   * Send SIGNAL to the container. Pid 1 of a pid namespace only receives the
   * signals it installed a handler for (the kernel drops the rest), so, as
   * with docker, a payload that ignores SIGTERM keeps running and `stop`
   * falls back to SIGKILL. A signal that comes while the container is still
   * being set up stops the setup instead: unshare blocks SIGINT and SIGTERM
   * while it waits, and the init (Node, as pid 1) would lose them.
   */
  kill(signal: NodeJS.Signals): void;
  /** The exit status docker would give; rejects with a RunError when the container could not start. */
  status: Promise<number>;
}

/**
 * util-linux before 2.40 (Debian 12 has 2.38) cannot pass on a SIGKILL: when
 * the child of `unshare --fork` is killed with SIGKILL, unshare tries to reset
 * SIGKILL's handler, fails, prints this and exits 1 (util-linux issue #2614).
 * Since unshare's stderr comes to us, we can tell that apart from `exit 1`.
 */
const UNSHARE_SIGKILL_BUG = 'sigprocmask unblock failed';

/** Run SPEC in INIT (spawned already: it needs nothing from us until "go") to the end. */
export function startContainer(init: SpawnedInit, spec: ContainerSpec, idMap: IdMapPlan | undefined, hooks: RunHooks = {}): RunningContainer {
  let payloadPid: number | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (payloadPid !== undefined) process.kill(payloadPid, signal);
      else if (!interrupted) {
        interrupted = signal;
        init.process.kill('SIGKILL'); // unshare; --kill-child takes the init with it
      }
    } catch {
      // Already gone: its exit is on its way to us.
    }
  };

  const status = (async () => {
    let failure: { code: number; message: string } | undefined;
    let initPid: number | undefined;
    let execed = false;
    try {
      const onReady = async (pid: number) => {
        initPid = pid;
        await hooks.onReady?.(pid);
      };
      const go = { type: 'go', spec, ...(hooks.onExplain ? { explain: true } : {}) } as const;
      for await (const message of converse(init, idMap, go, onReady)) {
        if (message.type === 'explain') hooks.onExplain?.(message.told);
        else if (message.type === 'exec') {
          execed = true;
          payloadPid = initPid;
          hooks.onExec?.(initPid!);
        } else {
          failure = message;
          payloadPid = undefined;
        }
      }
    } catch (error) {
      throw new RunError((error as Error).message, EXIT_RUNTIME_FAILED); // the id maps could not be written, or onReady failed
    }
    // The sync pipe has closed: the payload ran to its end, or something failed.
    const [end, diagnostics] = await Promise.all([init.ended, init.diagnostics]);
    if ('error' in end) throw new RunError(describeEnd(end, diagnostics), EXIT_RUNTIME_FAILED);
    const { code, signal } = end;

    if (failure) throw new RunError(failure.message, failure.code);
    if (interrupted && !execed) return statusFromWait(null, interrupted);
    if (!execed) throw new RunError(`the container's init ended before starting the command: ${describeEnd(end, diagnostics)}`, EXIT_RUNTIME_FAILED);
    if (code === 1 && diagnostics.includes(UNSHARE_SIGKILL_BUG)) return statusFromWait(null, 'SIGKILL');
    if (diagnostics) hooks.onDiagnostics?.(diagnostics);
    return statusFromWait(code, signal);
  })();
  return { kill, status };
}
