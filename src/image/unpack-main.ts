// The unpacker: a worker for file work that needs the ids of a user
// namespace, started by src/image/unpack.ts through setpriv and unshare(1)
// (or nsenter(1)), as the container's init is (src/init/main.ts) and for the
// same reason: Node cannot enter a user namespace itself. As root of that
// namespace it can lchown a file to the image's uid 1000 — host uid 100999
// with a subordinate range — and read a file of that uid with mode 0600,
// which no unprivileged process outside can do. Its jobs:
//
//   unpack     a layer on stdin → a layer directory (pull, load, import, commit)
//   remove     rm -rf of a tree holding such files (rmi, rm, image prune)
//   survey     the metadata fingerprint of unpacked layers (system check)
//   pack       a container's overlay upper directory → a layer on stdout (commit)
//   copy-out   a path in a container → a tar on stdout (cp CONTAINER:PATH …)
//   copy-in    a tar on stdin → a path in a container (cp … CONTAINER:PATH)
//
// It says "ready", waits for "go" (the parent has written the id maps by
// then), does its one job, reports, and exits.
import { existsSync, readlinkSync } from 'node:fs';
import { tellParent, waitForParent } from '../init/channel.js';
import type { UnpackerMessage, UnpackerOrder } from './unpack/protocol.js';

// /proc is the host's (no pid namespace), so /proc/self is our pid as the parent sees it.
tellParent<UnpackerMessage>({ type: 'ready', pid: Number(readlinkSync('/proc/self')) });

try {
  // Loaded while the parent writes the id maps — and before any job
  // chroots into a container, where the project's files are out of reach.
  const [{ unpackHere }, { removeHere }, { surveyHere }, { packLayerHere }, { copyInHere, copyOutHere }] = await Promise.all([
    import('./unpack/untar.js'), import('./unpack/remove.js'), import('./unpack/survey.js'), import('./unpack/pack-layer.js'), import('../runtime/copy/inside.js'),
  ]);
  const { job } = waitForParent<UnpackerOrder>();
  if (job.kind === 'unpack') {
    const result = await unpackHere(process.stdin, job);
    // The fingerprint the layer is checked against later (system check).
    tellParent<UnpackerMessage>({ type: 'unpacked', ...result, survey: surveyHere(job.target) });
  } else if (job.kind === 'remove') {
    removeHere(job.path);
    tellParent<UnpackerMessage>({ type: 'removed' });
  } else if (job.kind === 'survey') {
    tellParent<UnpackerMessage>({ type: 'surveyed', surveys: job.paths.map((path) => (existsSync(path) ? surveyHere(path) : null)) });
  } else if (job.kind === 'pack') {
    tellParent<UnpackerMessage>({ type: 'packed', notices: await packLayerHere(job, process.stdout) });
  } else if (job.kind === 'copy-out') {
    tellParent<UnpackerMessage>({ type: 'copied', notices: await copyOutHere(job, process.stdout) });
  } else {
    tellParent<UnpackerMessage>({ type: 'copied', notices: await copyInHere(job, process.stdin) });
  }
  process.exit(0);
} catch (error) {
  // EPIPE: the parent stopped reading our tar. It did so on purpose and
  // knows why (a destination it cannot write, say); this is not news to it.
  if ((error as NodeJS.ErrnoException).code === 'EPIPE') process.exit(1);
  const message = error instanceof Error ? error.message : String(error);
  tellParent<UnpackerMessage>({ type: 'error', message });
  process.exit(1);
}
