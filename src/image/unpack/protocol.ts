// The sync pipe between the parent (src/image/unpack.ts: runWorker) and the
// unpacker — the worker that does file work inside a user namespace
// (src/image/unpack-main.ts). The same handshake as the container's init
// (src/runtime/protocol.ts):
//
//   unpacker → parent   {"type":"ready","pid":4242}      my user namespace exists
//   parent → unpacker   {"type":"go","job":{…}}          ids are mapped; here is the work
//   unpacker → parent   {"type":"unpacked","diffId":…}   done (or "removed", "packed")
//                   or  {"type":"error","message":…}     failed; the parent removes the half layer
//
// File contents do not travel here but on the unpacker's stdin (a layer to
// unpack) or stdout (a tar packed for commit).
import type { UsernsMode } from '../../userns/idmap.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export type UnpackerJob =
  | {
    kind: 'unpack';
    /** An existing, empty directory: the layer's root. */
    target: string;
    compression: Compression;
    mode: UsernsMode;
    /** How notices name the layer: "layer sha256:…". */
    label: string;
  }
  | { kind: 'remove'; path: string }
  /** commit: ROOT (a container's overlay upper directory) as a layer, on stdout. */
  | { kind: 'pack'; root: string; label: string };

export type UnpackerOrder = { type: 'go'; job: UnpackerJob };

export type UnpackerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'unpacked'; diffId: string; size: number; notices: string[] }
  | { type: 'removed' }
  | { type: 'packed'; notices: string[] }
  | { type: 'error'; message: string };
