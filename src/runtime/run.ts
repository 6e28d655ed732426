// The parent's side of one container run: spawn step 1, map ids (step 2),
// send the spec, then stay around as the container's stdio owner and signal
// relay until pid 1 exits.
import { once } from 'node:events';
import { applyIdMap, type IdMapPlan } from '../userns/idmap.js';
import { spawnInit, type NamespaceOptions } from '../userns/spawn.js';
import { EXIT_RUNTIME_FAILED, statusFromWait } from './exit-status.js';
import type { ContainerSpec } from './spec.js';

/** A failure with docker's exit status for it (125, 126 or 127) and one line to print. */
export class RunError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'RunError';
  }
}

export interface RunHooks {
  /** pid 1 of the container (a host pid) exists and is about to exec the payload. */
  onStart?(pid: number): void;
}

/** Signals a terminal or a process manager sends to stop a foreground program. */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Run SPEC to the end; resolves with the exit status docker would give. */
export async function runContainer(spec: ContainerSpec, idMap: IdMapPlan, namespaces: NamespaceOptions, hooks: RunHooks = {}): Promise<number> {
  const init = spawnInit(namespaces);
  const exited = once(init.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const spawnFailed = once(init.process, 'error').then(([error]) => {
    throw new RunError(`cannot start setpriv/unshare (util-linux): ${(error as Error).message}`, EXIT_RUNTIME_FAILED);
  });
  spawnFailed.catch(() => {});

  // Until we know pid 1, a signal goes to unshare, whose death kills the container (--kill-child).
  let target = init.process.pid!;
  // Pid 1 of a pid namespace only receives the signals it installed a handler
  // for; the rest are dropped by the kernel. So, as with docker, a payload that
  // ignores SIGTERM keeps running, and the caller falls back to SIGKILL.
  const relay = (signal: NodeJS.Signals) => {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone: its exit is on its way to us.
    }
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, relay);

  let failure: { code: number; message: string } | undefined;
  let execed = false;
  try {
    const conversation = (async () => {
      for await (const message of init.messages) {
        if (message.type === 'ready') {
          target = message.pid;
          try {
            await applyIdMap(message.pid, idMap);
          } catch (error) {
            process.kill(init.process.pid!, 'SIGKILL');
            throw new RunError((error as Error).message, EXIT_RUNTIME_FAILED);
          }
          hooks.onStart?.(message.pid);
          init.send({ type: 'go', spec });
        } else if (message.type === 'exec') {
          execed = true;
        } else if (message.type === 'error') {
          failure = message;
        }
      }
    })();
    await Promise.race([conversation, spawnFailed]);
    const [code, signal] = await exited;
    if (failure) throw new RunError(failure.message, failure.code);
    if (!execed) {
      const how = signal ? `killed by ${signal}` : `exit status ${code}`;
      throw new RunError(`the container's init ended before starting the command (${how})`, EXIT_RUNTIME_FAILED);
    }
    return statusFromWait(code, signal);
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, relay);
  }
}
