// The isolation switches: which namespaces a container gets (--isolate,
// --no-isolate, and docker's --pid host, --uts host, --ipc host, --cgroupns
// host, --userns host, --network host), so that a lab can show the "before"
// beside the "after".
//
// "Off" means the container shares the host's namespace of that kind, and
// for an unprivileged user that is not always a free choice. The kernel lets
// us create namespaces only inside a user namespace of our own: there we
// hold every capability, and each namespace we make is owned by it. So:
//
//   user    off only with everything else off: without a user namespace,
//           unshare(CLONE_NEWNS | CLONE_NEWPID | …) wants CAP_SYS_ADMIN in
//           the host's user namespace (EPERM). What remains is no container
//           at all: the command runs on the host, as you (chapter 02's baseline).
//   mount   off: the host's mount namespace belongs to the host's user
//           namespace, where we may mount nothing — no overlay, no /proc, no
//           pivot_root — so the container's root is the host's, and
//           --rootfs / must say so. (chroot(2) into a directory would be
//           allowed: it needs only CAP_SYS_CHROOT in OUR user namespace. But
//           it is no wall (chapter 03), and the init still reads /proc after
//           changing root — its id maps, the kernel's capability count —
//           which a directory has only if something is mounted there.)
//   pid     off: a fresh proc mount needs CAP_SYS_ADMIN over the user
//           namespace that owns the pid namespace (the host's), so the
//           host's /proc is bound instead, as rootless podman --pid host does.
//   uts     off: the host's hostname, which is not ours to set.
//   ipc     off: the host's System V objects and POSIX queues; an mqueue
//           mount is refused there too, so the host's /dev/mqueue is bound.
//   net     off: --network host (chapter 10).
//   cgroup  off: no cgroup namespace; limits still apply (docker's
//           --cgroupns host does the same): the cgroup is made from outside.
import type { ContainerSpec } from './spec.js';
import { hasNetworkNamespace } from '../network/mode.js';

export const NAMESPACES = ['user', 'mount', 'pid', 'uts', 'ipc', 'net', 'cgroup'] as const;
export type Namespace = (typeof NAMESPACES)[number];

/** The flags that say something about namespaces, as commander gives them. */
export interface IsolationFlags {
  isolate?: string;
  noIsolate?: string;
  pid?: string;
  uts?: string;
  ipc?: string;
  cgroupns?: string;
  userns?: string;
  network?: string;
}

/** What the flags decided: the namespaces shared with the host, and which flag turned each off (for error messages). */
export interface Isolation {
  /** In NAMESPACES order; empty: a container with every namespace of its own (the default). */
  shared: Namespace[];
  /** The flag, as the user typed it, that turned each shared namespace off. */
  sharedBy: Partial<Record<Namespace, string>>;
}

/** One flag's word on one namespace: the container's own (true) or the host's (false). */
interface Statement {
  namespace: Namespace;
  own: boolean;
  flag: string;
}

/** docker's one-namespace flags: the values each accepts, and whether that value means "the container's own". */
const ALIASES: { option: keyof IsolationFlags; flag: string; namespace: Namespace; values: Record<string, boolean> }[] = [
  { option: 'pid', flag: '--pid', namespace: 'pid', values: { host: false } },
  { option: 'uts', flag: '--uts', namespace: 'uts', values: { host: false } },
  { option: 'ipc', flag: '--ipc', namespace: 'ipc', values: { host: false, private: true } },
  { option: 'cgroupns', flag: '--cgroupns', namespace: 'cgroup', values: { host: false, private: true } },
  // --userns also chooses the id map (single, subids): both mean a user namespace of its own.
  { option: 'userns', flag: '--userns', namespace: 'user', values: { host: false, single: true, subids: true } },
];

/** Check every isolation flag and combine them; throws a one-line Error. */
export function parseIsolation(flags: IsolationFlags): Isolation {
  if (flags.isolate !== undefined && flags.noIsolate !== undefined) {
    throw new Error('--isolate and --no-isolate: give one or the other (--isolate lists what the container gets, --no-isolate what it shares with the host)');
  }
  const statements: Statement[] = [];
  if (flags.isolate !== undefined) {
    const listed = parseList('--isolate', flags.isolate);
    const flag = `--isolate=${flags.isolate}`;
    for (const namespace of NAMESPACES) statements.push({ namespace, own: listed.includes(namespace), flag });
  }
  if (flags.noIsolate !== undefined) {
    const flag = `--no-isolate=${flags.noIsolate}`;
    for (const namespace of parseList('--no-isolate', flags.noIsolate)) statements.push({ namespace, own: false, flag });
  }
  for (const { option, flag, namespace, values } of ALIASES) {
    const value = flags[option];
    if (value === undefined) continue;
    if (!(value in values)) throw new Error(`${flag} ${value}: use ${Object.keys(values).join(' or ')}`);
    statements.push({ namespace, own: values[value], flag: `${flag} ${value}` });
  }
  if (flags.network !== undefined) statements.push({ namespace: 'net', own: flags.network !== 'host', flag: `--network ${flags.network}` });

  const decided = new Map<Namespace, Statement>();
  for (const statement of statements) {
    const earlier = decided.get(statement.namespace);
    if (earlier && earlier.own !== statement.own) {
      const [off, on] = earlier.own ? [statement, earlier] : [earlier, statement];
      throw new Error(`${off.flag} contradicts ${on.flag}: the first shares the host's ${statement.namespace} namespace, the second gives the container its own`);
    }
    decided.set(statement.namespace, statement);
  }
  const shared = NAMESPACES.filter((namespace) => decided.get(namespace)?.own === false);
  const sharedBy = Object.fromEntries(shared.map((namespace) => [namespace, decided.get(namespace)!.flag]));
  if (shared.includes('user')) {
    const kept = NAMESPACES.filter((namespace) => !shared.includes(namespace));
    if (kept.length > 0) {
      throw new Error(`${sharedBy.user}: without a user namespace, an unprivileged user may create no other namespace (unshare: EPERM, it needs CAP_SYS_ADMIN): keep user, or share ${kept.join(', ')} too (--no-isolate=${NAMESPACES.join(',')})`);
    }
  }
  return { shared, sharedBy };
}

/** A comma-separated list of namespace names: none missing, none unknown. */
function parseList(flag: string, text: string): Namespace[] {
  const names = text.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) throw new Error(`${flag}=${text}: an empty name: list namespaces separated by commas (${NAMESPACES.join(',')})`);
  const unknown = names.find((name) => !(NAMESPACES as readonly string[]).includes(name));
  if (unknown !== undefined) throw new Error(`${flag}=${text}: no namespace is called ${JSON.stringify(unknown)} (known: ${NAMESPACES.join(', ')})`);
  return names as Namespace[];
}

/**
 * The namespaces shared with the host, as far as the flags can be read:
 * what the supervisor needs to spawn the init before run has checked
 * anything. Input that parseIsolation refuses counts as "share nothing" —
 * run refuses it a moment later, and this init is never used.
 */
export function sharedNamespacesOf(flags: IsolationFlags): Namespace[] {
  try {
    return parseIsolation(flags).shared;
  } catch {
    return [];
  }
}

/** What the rest of run was asked for, as far as the isolation switches care. */
export interface RunRequest {
  /** --rootfs DIR, absolute; undefined: an image. */
  rootfs?: string;
  hostname: boolean;
  user: boolean;
  mounts: boolean;
  readOnly: boolean;
  tty: boolean;
  init: boolean;
  addHost: boolean;
  dns: boolean;
  /** --cap-add, --cap-drop, --privileged or --security-opt. */
  security: boolean;
  /** The container gets a cgroup of its own here (src/cgroups/plan.ts), and with it a cgroup namespace. */
  cgroup: boolean;
}

/** Refuse, in one line, what the container cannot have with the namespaces it shares. */
export function checkIsolation(isolation: Isolation, request: RunRequest): void {
  const { shared, sharedBy } = isolation;
  if (shared.includes('user')) {
    if (request.user) throw new Error(`-u: ${sharedBy.user} runs the command as you (switching to another uid needs CAP_SETUID)`);
    // An unprivileged process of the host has no capabilities to give or take.
    if (request.security) throw new Error(`--cap-add/--cap-drop/--privileged/--security-opt: with ${sharedBy.user} the command is an ordinary process of yours, with no capabilities to give or take`);
  }
  if (shared.includes('mount')) {
    const flag = sharedBy.mount!;
    if (request.rootfs !== '/') {
      const what = request.rootfs === undefined ? "an image's layers" : request.rootfs;
      throw new Error(`${flag}: without a mount namespace nothing can be mounted (no overlay, no /proc, no pivot_root), so ${what} cannot become the root: the host's is, say so with --rootfs /`);
    }
    const needsMount = ([
      [request.mounts, '-v/--mount/--tmpfs'], [request.readOnly, '--read-only'], [request.tty, '-t (a devpts of its own)'],
      [request.init, '--init'], [request.addHost, '--add-host (/etc/hosts)'], [request.dns, '--dns (/etc/resolv.conf)'],
    ] as const).find(([asked]) => asked);
    if (needsMount) throw new Error(`${needsMount[1]} needs a mount, and with ${flag} nothing can be mounted (mount needs CAP_SYS_ADMIN over the host's mount namespace)`);
    // The init makes the cgroup namespace in the step that mounts its cgroup2 (src/init/cgroup.ts), after "go".
    if (request.cgroup && !shared.includes('cgroup')) throw new Error(`${flag}: the container's cgroup namespace comes with a cgroup2 mount of its own: share cgroup too (--no-isolate=mount,cgroup)`);
  }
  if (shared.includes('uts') && request.hostname) {
    throw new Error(`-h/--hostname: with ${sharedBy.uts} the hostname is the host's, and setting it needs CAP_SYS_ADMIN over the host's uts namespace`);
  }
}

/** Whether the container of SPEC has a namespace of its own of kind NAMESPACE (records made before these switches have them all). */
export function isolates(spec: Pick<ContainerSpec, 'hostNamespaces' | 'network'>, namespace: Namespace): boolean {
  // The network has said so since chapter 10: --network host.
  if (namespace === 'net') return hasNetworkNamespace(spec.network);
  return !(spec.hostNamespaces ?? []).includes(namespace);
}
