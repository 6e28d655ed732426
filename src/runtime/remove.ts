// Removing a container for good: its files, then its record.
import { removeTree } from '../image/unpack.js';
import { planIdMap } from '../userns/idmap.js';
import { removeRecord, type ContainerRecord } from './records.js';

/**
 * Delete the container's cgroup if it still has one, its storage (its log, its writable layer — which may
 * hold files of subordinate ids, hence removeTree) and forget it. A record
 * someone else removed meanwhile (an `rm` racing a `--rm`) is no error.
 */
export async function removeContainer(record: ContainerRecord): Promise<void> {
  if (record.cgroup) {
    // Its supervisor normally removes the cgroup when the container ends; if
    // the supervisor was killed, the cgroup (and anything left in it) is ours to end.
    const { ContainerCgroup } = await import('../cgroups/container.js');
    const cgroup = ContainerCgroup.at(record.cgroup);
    cgroup.killAll();
    await cgroup.remove();
  }
  if (record.spec.network?.mode === 'bridge') {
    // A supervisor killed by SIGKILL could not leave the rootless network namespace: looking
    // at it drops the dead member, tells the others' /etc/hosts, and ends it if it was the last.
    const { pruneRootlessNetns } = await import('../network/rootless-netns.js');
    await pruneRootlessNetns();
  }
  await removeTree(record.storage, planIdMap(record.userns));
  try {
    removeRecord(record);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
