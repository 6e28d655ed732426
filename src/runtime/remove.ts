// Removing a container for good: its files, then its record.
import { removeTree } from '../image/unpack.js';
import { planIdMap } from '../userns/idmap.js';
import { removeRecord, type ContainerRecord } from './records.js';

/**
 * Delete the container's storage (its log, its writable layer — which may
 * hold files of subordinate ids, hence removeTree) and forget it. A record
 * someone else removed meanwhile (an `rm` racing a `--rm`) is no error.
 */
export async function removeContainer(record: ContainerRecord): Promise<void> {
  await removeTree(record.storage, planIdMap(record.userns));
  try {
    removeRecord(record);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
