// The sync pipe between the parent (src/image/unpack.ts: runWorker) and the
// unpacker — the worker that does file work inside a user namespace
// (src/image/unpack-main.ts). The same handshake as the container's init
// (src/runtime/protocol.ts):
//
//   unpacker → parent   {"type":"ready","pid":4242}      my user namespace exists
//   parent → unpacker   {"type":"go","job":{…}}          ids are mapped; here is the work
//   unpacker → parent   {"type":"unpacked","diffId":…}   done (or "removed", "surveyed", "packed", "copied")
//                   or  {"type":"error","message":…}     failed; the parent removes the half layer
//
// File contents do not travel here but on the unpacker's stdin (a layer to
// unpack, a tar to copy in) or stdout (a tar packed for commit or cp).
import type { CopyDestination, CopySource } from '../../runtime/copy/paths.js';
import type { ContainerSpec } from '../../runtime/spec.js';
import type { UsernsMode } from '../../userns/idmap.js';
import type { LayerSurvey } from './survey.js';

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
    /** The most uncompressed bytes it may hold (src/image/validate.ts: layerSizeLimit), and how to say it. */
    limit: { bytes: number; text: string };
  }
  | { kind: 'remove'; path: string }
  /** system check: the survey (survey.ts) of each unpacked layer in PATHS; null for one that is not there. */
  | { kind: 'survey'; paths: string[] }
  /** commit: ROOT (a container's overlay upper directory) as a layer, on stdout. */
  | { kind: 'pack'; root: string; label: string }
  /**
   * cp out: PATH in the container as a tar on stdout (FOLLOW: a symlink at
   * PATH is followed, cp -L), its top entry named for DEST by docker's rules
   * (src/runtime/copy/paths.ts); DEST undefined: named as PATH is (cp … -).
   */
  | { kind: 'copy-out'; root: ContainerRoot; path: string; follow: boolean; dest?: CopyDestination; label: string }
  /**
   * cp in: the tar on stdin, into PATH in the container, renamed by docker's
   * rules for SOURCE (src/runtime/copy/paths.ts); SOURCE undefined: a tar given on
   * stdin (cp - CONTAINER:DIR), extracted as it is. OWNER: one owner for
   * every file (the container's root), or undefined to keep the tar's (cp -a).
   */
  | { kind: 'copy-in'; root: ContainerRoot; path: string; source?: CopySource; owner?: { uid: number; gid: number }; mode: UsernsMode; label: string };

/** How the unpacker reaches a container's files; it then chroots there. */
export type ContainerRoot =
  /** A running container: its pid 1's root, /proc/PID/root, with everything the container mounted. */
  | { kind: 'process'; pid: number }
  /** A stopped container made from an image: its layers, mounted again as its init mounts them (at spec.rootfs). */
  | { kind: 'overlay'; spec: ContainerSpec }
  /** A stopped container made from a directory (--rootfs). */
  | { kind: 'directory'; path: string };


export type UnpackerOrder = { type: 'go'; job: UnpackerJob };

export type UnpackerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'unpacked'; diffId: string; size: number; notices: string[]; survey: LayerSurvey }
  | { type: 'removed' }
  | { type: 'surveyed'; surveys: (LayerSurvey | null)[] }
  | { type: 'packed'; notices: string[] }
  | { type: 'copied'; notices: string[] }
  | { type: 'error'; message: string };
