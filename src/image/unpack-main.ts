// The layer unpacker: runs inside a user namespace of its own, started by
// src/image/unpack.ts through setpriv and unshare(1), as the container's
// init is (src/init/main.ts) and for the same reason: Node cannot enter a
// user namespace itself. It needs no other namespace: mapping ids is the
// whole point. As root of that namespace it can lchown a file to the
// image's uid 1000 — host uid 100999 with a subordinate range — which no
// unprivileged process outside can do.
//
// It says "ready", waits for "go" (the parent has written the id maps by
// then), does its one job, reports, and exits.
import { readlinkSync } from 'node:fs';
import { tellParent, waitForParent } from '../init/channel.js';
import type { UnpackerMessage, UnpackerOrder } from './unpack/protocol.js';

// /proc is the host's (no pid namespace), so /proc/self is our pid as the parent sees it.
tellParent<UnpackerMessage>({ type: 'ready', pid: Number(readlinkSync('/proc/self')) });

try {
  // Loaded while the parent writes the id maps.
  const [{ unpackHere }, { removeHere }] = await Promise.all([import('./unpack/untar.js'), import('./unpack/remove.js')]);
  const { job } = waitForParent<UnpackerOrder>();
  if (job.kind === 'unpack') {
    const result = await unpackHere(process.stdin, job);
    tellParent<UnpackerMessage>({ type: 'unpacked', ...result });
  } else {
    removeHere(job.path);
    tellParent<UnpackerMessage>({ type: 'removed' });
  }
  process.exit(0);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  tellParent<UnpackerMessage>({ type: 'error', message });
  process.exit(1);
}
