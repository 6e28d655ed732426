// cellblock run — create a container from a root filesystem and run a command in it.
import { planIdMap, isMapped, type UsernsMode } from '../userns/idmap.js';
import { DEFAULT_PATH, mergeEnv, parseEnvEntry, parseEnvFile, parseHostname, parseContainerName, parseUserOption, parseWorkdir } from '../runtime/options.js';
import { createRecord, newContainerId, processStartTime, removeRecord, shortId, updateRecord } from '../runtime/records.js';
import { resolveRootfs } from '../runtime/rootfs.js';
import { RunError, runContainer } from '../runtime/run.js';
import type { ContainerSpec } from '../runtime/spec.js';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';

export interface RunOptions {
  rootfs?: string;
  rm?: boolean;
  name?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  readOnly?: boolean;
  userns?: UsernsMode;
}

/** Returns the exit status for cellblock itself. */
export async function run(command: string[], options: RunOptions): Promise<number> {
  // Everything the user typed is checked before anything is created.
  const rootfs = resolveRootfs(options);
  if (command.length === 0) throw new Error('run: no command given (usage: cellblock run --rootfs DIR COMMAND [ARG...])');
  const user = options.user !== undefined ? parseUserOption(options.user) : { user: '0' };
  const workdir = options.workdir !== undefined ? parseWorkdir(options.workdir) : '/';
  const name = options.name !== undefined ? parseContainerName(options.name) : undefined;
  const fromFiles = options.envFile.flatMap((file) => parseEnvFile(file, process.env));
  const fromFlags = options.env.map((entry) => parseEnvEntry(entry, '-e', process.env)).filter((e): e is string => e !== undefined);
  const idMap = planIdMap(options.userns);
  for (const [id, map, what] of [[user.user, idMap.uidMap, 'uid'], [user.group, idMap.gidMap, 'gid']] as const) {
    if (id !== undefined && /^\d+$/.test(id) && !isMapped(map, Number(id))) {
      throw new Error(`-u ${options.user}: ${what} ${id} is not mapped with --userns=${idMap.mode} (mapped: ${map.map((r) => `${r.inside}-${r.inside + r.count - 1}`).join(', ')})`);
    }
  }

  const id = newContainerId();
  const hostname = options.hostname !== undefined ? parseHostname(options.hostname) : shortId(id);
  const spec: ContainerSpec = {
    id,
    rootfs: rootfs.path,
    readOnly: options.readOnly ?? false,
    hostname,
    command,
    // docker's order: its defaults, then --env-file, then -e; the last KEY wins.
    env: mergeEnv([`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`], fromFiles, fromFlags),
    workdir,
    user,
  };

  const record = createRecord(
    { id, command, rootfs: rootfs.path, created: new Date().toISOString(), status: 'created', autoRemove: options.rm ?? false },
    name,
  );
  let status: number = EXIT_RUNTIME_FAILED;
  try {
    status = await runContainer(spec, idMap, { network: 'host' }, {
      onStart: (pid) => updateRecord(id, { status: 'running', pid, pidStartTime: processStartTime(pid), startedAt: new Date().toISOString() }),
    });
    return status;
  } catch (error) {
    if (error instanceof RunError) status = error.exitCode;
    throw error;
  } finally {
    if (options.rm) removeRecord(record);
    else updateRecord(id, { status: 'exited', exitCode: status, finishedAt: new Date().toISOString(), pid: undefined, pidStartTime: undefined });
  }
}
