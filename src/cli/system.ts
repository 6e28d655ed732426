// cellblock system check [--repair] | df [-v] | prune [-a] [--volumes] [-f]
// — the store as a whole: is it sound, how big is it, and clearing it out.
import { checkStore } from '../image/check.js';
import { collectGarbage } from '../image/gc.js';
import { imageId, openStore } from '../image/local.js';
import { isUntagged, STORE_LOCK } from '../image/store.js';
import { storeBytes, storeUsage } from '../image/usage.js';
import { removeNetworkFile, listNetworks } from '../network/networks.js';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { diskUsage } from '../runtime/files.js';
import { withLock } from '../runtime/lock.js';
import { listRecords } from '../runtime/records.js';
import { listVolumes, volumeUsers } from '../runtime/volumes.js';
import { decimalSize, formatTable } from './format.js';
import { usersOf } from './network.js';
import { confirm, pruneStoppedContainers } from './prune.js';
import { removeUnusedVolumes } from './volume.js';

/** Exit status of a check that found problems (repaired or not), as fsck's "errors were found". */
const PROBLEMS_FOUND = 1;

/**
 * Check the store (src/image/check.ts): one line per problem on stdout, and
 * with REPAIR what was done about each. Exclusive on the store lock, as gc
 * is: no pull is half-way while we look. Returns the exit status.
 */
export async function systemCheck(options: { repair?: boolean }): Promise<number> {
  const store = openStore();
  return withLock(store.locks, STORE_LOCK, async () => {
    const problems = await checkStore(store);
    let failed = false;
    for (const problem of problems) {
      process.stdout.write(`${problem.line}\n`);
      if (!options.repair) continue;
      try {
        process.stdout.write(`  repaired: ${await problem.repair()}\n`);
      } catch (error) {
        process.stderr.write(`cellblock: could not repair: ${(error as Error).message}\n`);
        failed = true;
      }
    }
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    if (problems.length === 0) process.stdout.write('the store is clean\n');
    else if (options.repair) process.stdout.write(`${count} found${failed ? '; some could not be repaired' : ', all repaired'}\n`);
    else process.stdout.write(`${count} found: cellblock system check --repair removes what is broken\n`);
    return failed ? EXIT_RUNTIME_FAILED : problems.length > 0 ? PROBLEMS_FOUND : 0;
  });
}

/** docker's "size (percent)" of a reclaimable amount; no percent of nothing. */
const reclaimable = (bytes: number, total: number): string =>
  total > 0 ? `${decimalSize(bytes)} (${Math.round((bytes / total) * 100)}%)` : decimalSize(bytes);

/** `docker system df`: images, containers, volumes (and docker's build cache row, always empty here). */
export function systemDf(options: { verbose?: boolean }): void {
  const store = openStore();
  const images = storeUsage(store);
  const records = listRecords();
  const containerSizes = records.map((record) => ({ record, size: diskUsage(record.storage) }));
  const containersTotal = containerSizes.reduce((sum, c) => sum + c.size, 0);
  const stopped = containerSizes.filter((c) => c.record.status !== 'running').reduce((sum, c) => sum + c.size, 0);
  const volumes = listVolumes().map((volume) => ({ volume, size: diskUsage(volume.mountpoint), links: volumeUsers(volume.name, records).length }));
  const volumesTotal = volumes.reduce((sum, v) => sum + v.size, 0);
  const unusedVolumes = volumes.filter((v) => v.links === 0).reduce((sum, v) => sum + v.size, 0);

  process.stdout.write(formatTable([
    ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
    ['Images', String(images.images.length), String(images.images.filter((i) => i.containers > 0).length), decimalSize(images.total), reclaimable(images.reclaimable, images.total)],
    ['Containers', String(records.length), String(records.filter((r) => r.status === 'running').length), decimalSize(containersTotal), reclaimable(stopped, containersTotal)],
    ['Local Volumes', String(volumes.length), String(volumes.filter((v) => v.links > 0).length), decimalSize(volumesTotal), reclaimable(unusedVolumes, volumesTotal)],
    ['Build Cache', '0', '0', '0B', '0B'],
  ]));
  if (!options.verbose) return;
  process.stdout.write(`\nImages space usage:\n\n${formatTable([
    ['IMAGE', 'IMAGE ID', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'],
    ...images.images.map((i) => [i.names.join(', '), imageId(i.image).slice(7, 19), decimalSize(i.size), decimalSize(i.shared), decimalSize(i.unique), String(i.containers)]),
  ])}`);
  process.stdout.write(`\nContainers space usage:\n\n${formatTable([
    ['CONTAINER ID', 'IMAGE', 'SIZE', 'STATUS', 'NAMES'],
    ...containerSizes.map(({ record, size }) => [record.id.slice(0, 12), record.image ?? '-', decimalSize(size), record.status, record.name]),
  ])}`);
  process.stdout.write(`\nLocal Volumes space usage:\n\n${formatTable([
    ['VOLUME NAME', 'LINKS', 'SIZE'],
    ...volumes.map((v) => [v.volume.name, String(v.links), decimalSize(v.size)]),
  ])}`);
}

export interface SystemPruneOptions {
  /** -a: every image no container uses, not only the dangling ones (those without a name). */
  all?: boolean;
  volumes?: boolean;
  force?: boolean;
}

function pruneWarning(options: SystemPruneOptions): string {
  return ['WARNING! This will remove:', '  - all stopped containers', '  - all networks not used by at least one container',
    ...(options.volumes ? ['  - all volumes not used by at least one container'] : []),
    options.all ? '  - all images without at least one container associated to them' : '  - all dangling images',
    '', 'Are you sure you want to continue? [y/N] '].join('\n');
}

/** `docker system prune`: stopped containers, unused networks, dangling (-a: unused) images, with --volumes unused volumes. */
export async function systemPrune(options: SystemPruneOptions): Promise<number> {
  if (!options.force) {
    // Asking on a pipe would read the answer from whatever the script feeds
    // in; removing this much deserves a person at a terminal, or an explicit -f.
    if (!process.stdin.isTTY) throw new Error('system prune: stdin is not a terminal to ask for confirmation on: use -f to remove without asking');
    if (!(await confirm(pruneWarning(options)))) return 0;
  }
  const containers = await pruneStoppedContainers();
  if (containers.removed.length > 0) process.stdout.write(`Deleted Containers:\n${containers.removed.map((id) => `${id}\n`).join('')}\n`);

  const networks = listNetworks().filter((network) => usersOf(network).length === 0);
  for (const network of networks) removeNetworkFile(network);
  if (networks.length > 0) process.stdout.write(`Deleted Networks:\n${networks.map((n) => `${n.name}\n`).join('')}\n`);

  let reclaimed = containers.reclaimed;
  if (options.volumes) {
    const removed: string[] = [];
    reclaimed += await removeUnusedVolumes((name) => removed.push(name));
    if (removed.length > 0) process.stdout.write(`Deleted Volumes:\n${removed.map((name) => `${name}\n`).join('')}\n`);
  }

  reclaimed += await pruneImages(options.all ?? false);
  process.stdout.write(`Total reclaimed space: ${decimalSize(reclaimed)}\n`);
  return containers.status;
}

/**
 * Drop the names of the images to prune — dangling ones (kept under a
 * <none> ref), or with ALL every one no container was made from — then let
 * gc remove what nothing names any more. Returns the bytes freed.
 */
async function pruneImages(all: boolean): Promise<number> {
  const store = openStore();
  const used = new Set(listRecords().flatMap((record) => (record.imageManifest ? [record.imageManifest] : [])));
  const untagged = store.refs().filter((ref) => !used.has(ref.digest) && (all || isUntagged(ref.name)));
  const ids = new Map(storeUsage(store).images.map((usage) => [usage.image.manifestDigest, imageId(usage.image)]));
  const before = storeBytes(store);
  for (const ref of untagged) store.removeRef(ref.name);
  await collectGarbage(store);
  const deleted = [...new Set(untagged.map((ref) => ref.digest))].filter((digest) => !store.hasBlob(digest));
  if (untagged.length > 0) {
    const lines = [...untagged.filter((ref) => !isUntagged(ref.name)).map((ref) => `untagged: ${ref.name}`), ...deleted.map((digest) => `deleted: ${ids.get(digest) ?? digest}`)];
    process.stdout.write(`Deleted Images:\n${lines.map((line) => `${line}\n`).join('')}\n`);
  }
  return Math.max(0, before - storeBytes(store));
}
