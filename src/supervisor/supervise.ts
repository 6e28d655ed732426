// What the supervisor does once its init is spawned (see main.ts): learn which
// container to run, run it, and stay with it to the end.
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { logPath } from '../runtime/log-file.js';
import { attachSocketPath, processStartTime, readRecord, updateRecord } from '../runtime/records.js';
import { RunError, startContainer } from '../runtime/run.js';
import { planIdMap } from '../userns/idmap.js';
import type { SpawnedInit } from '../userns/spawn.js';
import { Clients } from './clients.js';
import { FRAME, FrameDecoder, encodeFrame, frameJson, nextFrame } from './frames.js';
import { LogWriter } from './log-writer.js';
import { ContainerCgroup } from '../cgroups/container.js';
import { detectCgroups } from '../cgroups/detect.js';
import { formatSize } from '../cgroups/limits.js';
import type { ResourceLimits } from '../runtime/spec.js';
import { containerStdio, type SupervisorFds } from './stdio.js';
import { connectNetwork, type ConnectedNetwork } from '../network/connect.js';
import { isolates } from '../runtime/isolation.js';
import { killSession } from '../runtime/pid-namespace.js';

/** The first frame from the CLI that started us: which container, and how it stays attached. */
export interface StartRequest {
  id: string;
  /** The CLI relays the container's stdio (run without -d, start -a). */
  attach: boolean;
  /** …and it is the container's foreground `run`: its vanishing stops the container. */
  foreground: boolean;
  /** run --explain: narrate the start to this CLI (src/supervisor/explain.ts). */
  explain?: boolean;
}

export async function supervise(
  init: SpawnedInit, control: Socket, controlFrames: FrameDecoder, fds: SupervisorFds, rootlessNetns?: { holder?: number; error?: Error },
): Promise<never> {
  const first = await nextFrame(controlFrames);
  if (first?.type !== FRAME.start) {
    // The CLI found a problem in its input (or died) before it had a container for us.
    await init.abort();
    if (rootlessNetns?.holder !== undefined) await (await import('../network/join.js')).leaveNetworks();
    process.exit(0);
  }
  const request = frameJson<StartRequest>(first);
  const record = readRecord(request.id);
  updateRecord(record.id, { supervisorPid: process.pid, error: undefined });
  const log = new LogWriter(logPath(record.storage));
  // run --explain: to the CLI that asked, on its own connection, never to the log.
  const narrator = request.explain
    ? new (await import('./explain.js')).StartNarrator((text) => control.write(encodeFrame(FRAME.explain, text)))
    : undefined;
  narrator?.spawned(init.process.spawnargs, init.process.pid);

  // Output is read only once the record says "running": whoever sees a line
  // of it (a client, the log) can count on ps and exec seeing the container.
  const stdio = containerStdio(
    fds,
    (stream, chunk) => {
      log.write(stream, chunk);
      clients.output(stream === 'stdout' ? FRAME.stdout : FRAME.stderr, chunk);
    },
    (stream) => log.flush(stream),
  );

  // With a cgroup of its own (chapter 6), SIGKILL takes every process in it
  // at once, however fast they fork; other signals go to pid 1, as in docker.
  let cgroup: ContainerCgroup | undefined;
  const kill = (signal: NodeJS.Signals) => {
    running.kill(signal);
    if (signal === 'SIGKILL') cgroup?.killAll();
  };
  const clients: Clients = new Clients({
    onStdin: (data) => stdio.write(data),
    onStdinEnd: () => stdio.endInput(),
    onResize: (size) => stdio.resize(size),
    onSignal: (signal) => {
      if (signal in constants.signals) kill(signal);
    },
    onAbandoned: () => kill('SIGKILL'),
  });
  await clients.listen(attachSocketPath(record.id));

  let network: ConnectedNetwork | undefined;
  // The command runs once the init says "exec". With --explain the init
  // still tells its last calls after that (execve's line is the last, sent
  // just before the call): the container counts as started once that line is
  // in, so the whole story comes before the command's output, and before
  // `run -d` prints the id and leaves.
  let execPid: number | undefined;
  let toldAll = !narrator;
  const startIfTold = () => {
    if (execPid === undefined || !toldAll) return;
    const startedAt = new Date().toISOString();
    updateRecord(record.id, { status: 'running', pid: execPid, pidStartTime: processStartTime(execPid), startedAt, exitCode: undefined, finishedAt: undefined });
    clients.broadcast(FRAME.started, { pid: execPid });
    stdio.resume();
  };
  // Joined to the rootless network namespace's user namespace, the init has its maps already;
  // with --no-isolate=user it has no user namespace to map.
  const idMap = rootlessNetns?.holder === undefined && isolates(record.spec, 'user') ? planIdMap(record.userns) : undefined;
  // --no-isolate=pid: no namespace ends the command's children with it; its session will (killSession).
  let session: number | undefined;
  const running = startContainer(init, record.spec, idMap, {
    onReady: async (pid) => {
      if (rootlessNetns?.error) throw rootlessNetns.error;
      narrator?.idMapped(pid, idMap);
      if (record.spec.cgroupNamespace) {
        cgroup = createCgroupFor(record.id, record.spec.resources ?? {}, pid);
        updateRecord(record.id, { cgroup: cgroup.path, oomKilled: undefined });
      }
      narrator?.cgroup(pid, cgroup !== undefined);
      // Chapter 10: the /etc files, and the network helper up on the init's namespaces, before "go".
      network = await connectNetwork(record, pid);
      narrator?.network(record.spec.network, network.settings);
      updateRecord(record.id, { networkSettings: network.settings });
      narrator?.go();
    },
    onExec: (pid) => {
      // The session is unshare's (spawned with setsid), or with -t the command's own (src/init/console.ts).
      if (!isolates(record.spec, 'pid')) session = record.spec.tty ? pid : init.process.pid;
      execPid = pid;
      startIfTold();
    },
    onDiagnostics: (text) => clients.output(FRAME.stderr, Buffer.from(text)),
    onExplain: narrator && ((told) => {
      narrator.told(told);
      if ('call' in told && told.last) {
        toldAll = true;
        startIfTold();
      }
    }),
  });
  clients.add(control, controlFrames, { output: request.attach, stdin: request.attach, foreground: request.foreground });

  let status: number;
  let error: string | undefined;
  try {
    status = await running.status;
  } catch (failure) {
    status = failure instanceof RunError ? failure.exitCode : EXIT_RUNTIME_FAILED;
    error = (failure as Error).message;
  }
  if (session !== undefined) killSession(session);
  await network?.disconnect(); // the helper holds the network namespace open: it goes now
  // Reserved a place in the rootless network namespace but never joined (the init or the join failed): give it back.
  if (!network && rootlessNetns?.holder !== undefined) await (await import('../network/join.js')).leaveNetworks();
  // pid 1's exit ended every process in its namespace, so the pipes' last
  // writers are gone: the output ends, with nothing left unread.
  stdio.resume(); // (if the command never ran, nobody resumed it)
  await stdio.ended;
  log.close();
  stdio.close();
  const { oomKilled, problem } = await releaseCgroup(cgroup);
  error ??= problem;
  updateRecord(record.id, {
    status: 'exited', exitCode: status, error, finishedAt: new Date().toISOString(),
    pid: undefined, pidStartTime: undefined, supervisorPid: undefined, cgroup: undefined, oomKilled, networkSettings: undefined,
  });
  // docker keeps State.Error empty for an OOM kill (State.OOMKilled says it); the client is told in words.
  const said = error ?? (oomKilled && status === 137 ? oomMessage(record.spec.resources) : undefined);
  if (record.autoRemove) {
    try {
      const { removeContainer } = await import('../runtime/remove.js');
      await removeContainer(readRecord(record.id));
      const { removeAnonymousVolumes } = await import('../runtime/volumes.js');
      await removeAnonymousVolumes(record); // docker's --rm takes them too
    } catch (removal) {
      error ??= `the container ended, but could not be removed: ${(removal as Error).message}`;
    }
  }
  await clients.close(FRAME.exit, { status, error: said });
  process.exit(0);
}

/** The container's cgroup, limits written, with PID (its init, waiting for "go") in it. */
function createCgroupFor(id: string, limits: ResourceLimits, pid: number): ContainerCgroup {
  const cgroup = ContainerCgroup.create(detectCgroups(), id, limits);
  try {
    cgroup.enter(pid);
  } catch (error) {
    void cgroup.remove();
    throw error;
  }
  return cgroup;
}

/** After the end: whether the OOM killer struck, then the cgroup removed (once its last process is gone). */
async function releaseCgroup(cgroup: ContainerCgroup | undefined): Promise<{ oomKilled?: boolean; problem?: string }> {
  if (!cgroup) return {};
  const oomKilled = cgroup.oomKilled();
  try {
    await cgroup.remove();
    return { oomKilled };
  } catch (removal) {
    return { oomKilled, problem: `the container ended, but its cgroup could not be removed: ${(removal as Error).message}` };
  }
}

function oomMessage(limits: ResourceLimits | undefined): string {
  const limit = limits?.memory === undefined ? '' : ` (--memory ${formatSize(limits.memory)})`;
  return `the container was OOM killed: it used up its memory limit${limit}`;
}
