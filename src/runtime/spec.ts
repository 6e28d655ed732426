// What the init needs to build one container. The parent computes it, sends it
// over the sync pipe with "go", and the init follows it step by step.

/** `-u` as given: names or numbers, resolved inside the container's /etc/passwd. */
export interface UserSpec {
  user: string;
  group?: string;
}

/** An image's layers as an overlay (chapter 07). */
export interface OverlaySpec {
  /** Directory holding the unpacked layers; `lower` names are relative to it. */
  layersDir: string;
  /** Layer directory names, topmost first (overlay's lowerdir order). */
  lower: string[];
  /** The container's own writable layer and overlay's work directory (same filesystem). */
  upper: string;
  work: string;
  /** Skip the kernel and use fuse-overlayfs (CELLBLOCK_OVERLAY=fuse-overlayfs). */
  fuse?: boolean;
}

export interface ContainerSpec {
  id: string;
  /**
   * Absolute host path of the root filesystem: a directory to bind, or,
   * with `overlay`, the empty directory the layers are mounted on.
   */
  rootfs: string;
  overlay?: OverlaySpec;
  readOnly: boolean;
  hostname: string;
  /** argv of the payload; argv[0] is looked up in the container's PATH. */
  command: string[];
  /** KEY=VALUE, in order; a later KEY wins. */
  env: string[];
  /** Absolute path inside the container. */
  workdir: string;
  user: UserSpec;
  /** -t: a pseudo-terminal for stdio, allocated inside the container's devpts, this size to begin with. */
  tty?: { rows: number; cols: number };
  /** The image's StopSignal: what `stop` sends first (default SIGTERM). */
  stopSignal?: string;
  /** --init: host path of a static init (catatonit, tini-static) to run as pid 1 in front of the command. */
  init?: string;
}
