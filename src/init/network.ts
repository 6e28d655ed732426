// Chapter 10 — the container's side of its network: what the init does once
// the helper (if any) has given it an interface.
import { join } from 'node:path';
import { hasNetworkNamespace } from '../network/mode.js';
import { isolates } from '../runtime/isolation.js';
import { ETC_FILES } from '../network/etc-files.js';
import { setInterfaceUp } from '../syscalls/index.js';
import type { InitStep } from './pipeline.js';
import { mountOne } from './volumes.js';

export const bringUpLoopback: InitStep = {
  name: 'bring-up-loopback',
  chapter: 10,
  summary: 'with a network namespace of its own: lo, its loopback interface, goes up',
  applies: (spec) => hasNetworkNamespace(spec.network),
  run() {
    // A new network namespace has one interface, lo, and it is down: until it
    // is up, even 127.0.0.1 answers "network unreachable". pasta and
    // slirp4netns bring it up along with eth0; --network none has nobody else to.
    // #region exercise: bring up lo, the loopback interface of the new network namespace
    // Shell: ip link set lo up
    setInterfaceUp('lo');
    // #endregion
  },
};

export const bindNetworkFiles: InitStep = {
  name: 'bind-network-files',
  chapter: 10,
  summary: "/etc/hosts, /etc/hostname and /etc/resolv.conf, written by the supervisor, bound over the image's",
  applies: (spec) => spec.network !== undefined && isolates(spec, 'mount'), // --no-isolate=mount: the host's /etc files
  run({ spec, root }) {
    // The supervisor wrote them into the container's own directory just
    // before "go" (src/network/connect.ts). A bind mount puts each over the
    // image's file — created as an empty mount point, in the container's
    // writable layer, when the image has none — so the image itself is never
    // written to. Before the volumes: a -v over /etc/hosts still wins.
    // #region exercise: bind each of the container's network files (ETC_FILES, written in spec.network.filesDir) over the image's /etc/FILE
    // Shell: mount --bind FILES_DIR/hosts ROOT/etc/hosts (and hostname, resolv.conf)
    for (const file of ETC_FILES) {
      mountOne(root, { type: 'bind', source: join(spec.network!.filesDir, file), target: `/etc/${file}`, readOnly: false, file: true });
    }
    // #endregion
  },
};
