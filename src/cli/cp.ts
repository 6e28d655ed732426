// cellblock cp — copy files between a container and the host (docker cp).
import { copyFromContainer, copyToContainer, type CopyOptions } from '../runtime/copy/copy.js';
import { splitCopyArgument } from '../runtime/copy/paths.js';
import { findRecord } from '../runtime/records.js';

export async function cp(from: string, to: string, options: CopyOptions): Promise<void> {
  const source = splitCopyArgument(from);
  const destination = splitCopyArgument(to);
  if (source.container !== undefined && destination.container !== undefined) {
    throw new Error('cp: copying between containers is not supported: copy to the host, then into the other container');
  }
  if (source.container === undefined && destination.container === undefined) {
    throw new Error('cp: one side must be a container path, CONTAINER:PATH (a host path with ":" in it can be written ./NAME)');
  }
  if (source.container !== undefined) {
    const record = findRecord(source.container);
    await copyFromContainer(record, containerPath(from, source.path), destination.path, options);
  } else {
    const record = findRecord(destination.container!);
    await copyToContainer(source.path, record, containerPath(to, destination.path), options);
  }
}

/** A path in the container is always from its root: "etc/hosts" is /etc/hosts, as docker reads it. */
function containerPath(argument: string, path: string): string {
  if (path === '') throw new Error(`cp: ${argument}: no path after the container's name (use CONTAINER:/ for its root)`);
  return path.startsWith('/') ? path : `/${path}`;
}
