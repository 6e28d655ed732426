// --init: a static init from the host, bound into the container (chapter 04).
import { existsSync } from 'node:fs';

/** Static builds only: the container's root has the image's libraries, not the host's. */
const CANDIDATES = ['/usr/bin/catatonit', '/usr/libexec/podman/catatonit', '/usr/bin/tini-static'];

export function findStaticInit(): string {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) throw new Error(`--init needs a static init on this machine (${CANDIDATES.join(', ')}): apt-get install catatonit`);
  return found;
}
