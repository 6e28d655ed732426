import type { SeccompProfile } from '../security/seccomp-profile.js';
import type { Namespace } from './isolation.js';

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

/**
 * Storage on top of the root filesystem (-v, --mount, --tmpfs), mounted in
 * this order: a parent directory before anything below it (docker's rule).
 * TARGET is an absolute path inside the container; symlinks in the image are
 * followed, but never out of its root (src/init/paths.ts, openInRoot).
 */
export type MountSpec =
  /** A host file or directory, as it is. */
  | { type: 'bind'; source: string; target: string; readOnly: boolean; file: boolean }
  /**
   * A named volume: SOURCE is its directory under the data dir. An empty one
   * first gets the image's content at TARGET (COPY_UP). Anonymous ones
   * (-v /dir) go with `rm -v` and `--rm`.
   */
  | { type: 'volume'; name: string; source: string; target: string; readOnly: boolean; anonymous: boolean; copyUp: boolean }
  /** A fresh tmpfs: OPTIONS are mount flags (noexec, nosuid, nodev), DATA tmpfs's own (size=64m,mode=1777). */
  | { type: 'tmpfs'; target: string; readOnly: boolean; options: TmpfsFlag[]; data: string };

export type TmpfsFlag = 'noexec' | 'nosuid' | 'nodev';

/** --device-read-bps /dev/sda:1mb: the device, its numbers (io.max names devices by MAJ:MIN) and bytes a second. */
export interface DeviceRate {
  path: string;
  major: number;
  minor: number;
  rate: number;
}

/**
 * Resource limits as docker's flags give them (and as inspect's HostConfig
 * shows them); src/cgroups/limits.ts turns them into cgroup v2 files.
 */
export interface ResourceLimits {
  /** --memory, bytes → memory.max */
  memory?: number;
  /** --memory-swap: memory plus swap, bytes, or -1 for unlimited swap → memory.swap.max */
  memorySwap?: number;
  /** --memory-reservation, bytes → memory.low */
  memoryReservation?: number;
  /** --cpus × 10⁹ (docker's NanoCpus) → cpu.max */
  nanoCpus?: number;
  /** --cpu-shares (cgroup v1's scale, default 1024) → cpu.weight */
  cpuShares?: number;
  /** --cpuset-cpus, e.g. "0-1,3" → cpuset.cpus */
  cpusetCpus?: string;
  /** --pids-limit → pids.max */
  pidsLimit?: number;
  /** --blkio-weight, 10–1000 → io.weight (or io.bfq.weight) */
  blkioWeight?: number;
  /** --device-read-bps, --device-write-bps → io.max */
  deviceReadBps?: DeviceRate[];
  deviceWriteBps?: DeviceRate[];
}

/**
 * How the container reaches the network (chapter 10, src/network/):
 *   none         a network namespace of its own with only `lo`
 *   host         no network namespace: the host's interfaces, ports and all
 *   pasta        its own namespace, with a tap device that pasta(1) (from passt) turns into host sockets
 *   slirp4netns  the same idea, by slirp4netns(1): a user-mode TCP/IP stack
 *   bridge       user-defined networks (`--network NAME`): a veth pair to a bridge in the rootless network namespace
 */
export type NetworkMode = 'none' | 'host' | 'pasta' | 'slirp4netns' | 'bridge';

/** -p HOSTIP:HOSTPORT:CPORT/PROTO, with the host port already chosen when -p CPORT left it to us. */
export interface PortMapping {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  /** The host port was picked for the user (-p CPORT, -P): docker shows HostPort "" in PortBindings. */
  random?: boolean;
}

export interface NetworkSpec {
  mode: NetworkMode;
  /** -p and -P, in the order given. */
  ports: PortMapping[];
  /** --add-host NAME:ADDRESS; ADDRESS may be "host-gateway" (the helper's way to the host, known when it starts). */
  extraHosts: { name: string; address: string }[];
  /** --dns: the nameservers of /etc/resolv.conf instead of the mode's own. */
  dns: string[];
  /** -P: every port the image exposes is in PORTS, on a random host port (kept for inspect). */
  publishAll?: boolean;
  /** bridge: the user-defined networks it is on (the first gives its default route), and its --network-alias names there. */
  networks?: { name: string; aliases: string[] }[];
  /** Host directory holding the generated hosts, hostname and resolv.conf that are bound over the container's /etc ones. */
  filesDir: string;
}

/**
 * What the payload may do once it runs (chapter 11, src/security/): its
 * capabilities, seccomp filter and the /proc and /sys paths hidden from it.
 */
export interface SecuritySpec {
  /** CAP_* names the payload keeps (its bounding set; root's effective set after execve). */
  capabilities: string[];
  /** --security-opt no-new-privileges: setuid bits and file capabilities stop working. */
  noNewPrivileges: boolean;
  /** docker's default filter, none (seccomp=unconfined), or a profile read from a file when the container was made. */
  seccomp: 'default' | 'unconfined' | { file: string; profile: SeccompProfile };
  /** Files and directories covered by /dev/null or an empty tmpfs. */
  maskedPaths: string[];
  /** Made read-only in the container (a bind of each onto itself). */
  readOnlyPaths: string[];
  /** The flags as given, for inspect's HostConfig (CapAdd, CapDrop, Privileged, SecurityOpt). */
  asked: { capAdd: string[]; capDrop: string[]; privileged: boolean; securityOpt: string[] };
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
  /** -v, --mount, --tmpfs, in the order they are mounted. */
  mounts?: MountSpec[];
  /** Limits asked for (--memory, --cpus, …); none given: {} or absent. */
  resources?: ResourceLimits;
  /**
   * The container has a cgroup of its own (src/cgroups/): the init unshares
   * a cgroup namespace once it is in it, and mounts cgroup2 at /sys/fs/cgroup
   * (unless hostNamespaces has "cgroup": then the limits apply all the same).
   */
  cgroupNamespace?: boolean;
  /**
   * --no-isolate and friends (src/runtime/isolation.ts): the namespaces it
   * shares with the host, "net" aside (that is network.mode host). Absent or
   * empty: every namespace of its own.
   */
  hostNamespaces?: Namespace[];
  /** --network, -p, --add-host, --dns. Absent in records made before networking: the host's network, nothing generated. */
  network?: NetworkSpec;
  /** --cap-add, --cap-drop, --privileged, --security-opt. Absent in records made before chapter 11: nothing was restricted. */
  security?: SecuritySpec;
}
