// cellblock volume create|ls|inspect|rm|prune — named volumes, as `docker volume` shows them.
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { diskUsage } from '../runtime/files.js';
import { checkVolumeName } from '../runtime/mounts.js';
import { listRecords } from '../runtime/records.js';
import { createVolume, describeUser, hasVolume, listVolumes, readVolume, removeVolume, volumeUsers } from '../runtime/volumes.js';

export function volumeCreate(name: string | undefined, options: { driver: string; label: string[] }): void {
  if (options.driver !== 'local') throw new Error(`volume create: driver "${options.driver}" is not supported (only "local")`);
  const labels: Record<string, string> = {};
  for (const label of options.label) {
    const eq = label.indexOf('=');
    const key = eq === -1 ? label : label.slice(0, eq);
    if (key === '') throw new Error(`volume create: invalid label "${label}": the key is empty`);
    labels[key] = eq === -1 ? '' : label.slice(eq + 1);
  }
  const chosen = name === undefined ? randomBytes(32).toString('hex') : checkVolumeName(name, 'volume create');
  // Creating a volume that exists is no error, as in docker: it is there, as asked.
  createVolume(chosen, labels);
  process.stdout.write(`${chosen}\n`);
}

export function volumeLs(options: { quiet?: boolean }): void {
  const volumes = listVolumes();
  if (options.quiet) {
    for (const volume of volumes) process.stdout.write(`${volume.name}\n`);
    return;
  }
  process.stdout.write('DRIVER    VOLUME NAME\n');
  for (const volume of volumes) process.stdout.write(`local     ${volume.name}\n`);
}

export function volumeInspect(names: string[]): void {
  const shown = names.map(readVolume).map((volume) => ({
    CreatedAt: volume.createdAt,
    Driver: 'local',
    Labels: volume.labels,
    Mountpoint: volume.mountpoint,
    Name: volume.name,
    Options: {},
    Scope: 'local',
  }));
  process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
}

/** Remove volumes; one a container still names is kept unless -f. Returns the exit status. */
export async function volumeRm(names: string[], options: { force?: boolean }): Promise<number> {
  let status = 0;
  for (const name of names) {
    if (options.force && !hasVolume(name)) continue; // -f: gone is what was asked
    try {
      readVolume(name);
      const users = volumeUsers(name);
      if (users.length > 0 && !options.force) {
        throw new Error(`volume ${name} is in use by ${describeUser(users[0])}: remove the container first, or use volume rm -f`);
      }
      await removeVolume(name);
      process.stdout.write(`${name}\n`);
    } catch (error) {
      process.stderr.write(`cellblock: ${(error as Error).message}\n`);
      status = EXIT_RUNTIME_FAILED;
    }
  }
  return status;
}

export async function volumePrune(options: { force?: boolean }): Promise<void> {
  if (!options.force && !(await confirm('WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return;
  process.stdout.write('Deleted Volumes:\n');
  await removeUnusedVolumes((name) => process.stdout.write(`${name}\n`));
}

/** Remove every volume no container (running or not) names, telling ON_REMOVED each; returns the bytes freed. Shared with `system prune --volumes`. */
export async function removeUnusedVolumes(onRemoved: (name: string) => void): Promise<number> {
  const records = listRecords();
  let reclaimed = 0;
  for (const volume of listVolumes().filter((v) => volumeUsers(v.name, records).length === 0)) {
    const size = diskUsage(volume.mountpoint);
    await removeVolume(volume.name);
    reclaimed += size;
    onRemoved(volume.name);
  }
  return reclaimed;
}

/** Ask QUESTION on stdout and read one line: true for y or yes. */
async function confirm(question: string): Promise<boolean> {
  process.stdout.write(question);
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const answer = await lines.next();
  process.stdin.destroy();
  return !answer.done && /^y(es)?$/i.test(answer.value.trim());
}
