// cellblock run — create a container from a root filesystem and run a command in it.
import { planIdMap, isMapped, type IdMapPlan, type UsernsMode } from '../userns/idmap.js';
import { DEFAULT_PATH, mergeEnv, parseEnvEntry, parseEnvFile, parseHostname, parseContainerName, parseUserOption, parseWorkdir } from '../runtime/options.js';
import { createRecord, newContainerId, processStartTime, removeRecord, shortId, updateRecord, type ContainerRecord } from '../runtime/records.js';
import { resolveRootfs } from '../runtime/rootfs.js';
import { RunError, runContainer } from '../runtime/run.js';
import type { ContainerSpec } from '../runtime/spec.js';
import type { SpawnedInit } from '../userns/spawn.js';
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

/**
 * Run COMMAND in INIT, which main.ts spawned before loading this module so
 * that its Node starts while we check the input. Returns cellblock's exit status.
 */
export async function run(command: string[], options: RunOptions, init: SpawnedInit): Promise<number> {
  let spec: ContainerSpec;
  let idMap: IdMapPlan;
  let record: ContainerRecord;
  try {
    let name: string | undefined;
    ({ spec, idMap, name } = prepare(command, options));
    record = createRecord(
      { id: spec.id, command, rootfs: spec.rootfs, created: new Date().toISOString(), status: 'created', autoRemove: options.rm ?? false },
      name,
    );
  } catch (error) {
    await init.abort(); // bad input, or the name is taken: nothing else was created
    throw error;
  }
  let status: number = EXIT_RUNTIME_FAILED;
  try {
    status = await runContainer(init, spec, idMap, {
      onStart: (pid) => updateRecord(spec.id, { status: 'running', pid, pidStartTime: processStartTime(pid), startedAt: new Date().toISOString() }),
    });
    return status;
  } catch (error) {
    if (error instanceof RunError) status = error.exitCode;
    throw error;
  } finally {
    if (options.rm) removeRecord(record);
    else updateRecord(spec.id, { status: 'exited', exitCode: status, finishedAt: new Date().toISOString(), pid: undefined, pidStartTime: undefined });
  }
}

/** Check everything the user typed and build the spec; throws a one-line Error. */
function prepare(command: string[], options: RunOptions) {
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

  return { spec, idMap, name };
}
