// Chapter 10 — plugging a container into a bridge with a veth pair.
//
// A veth pair is two interfaces joined back to back: what goes in one comes
// out of the other. Creating one with its far end in another network
// namespace (`ip link add … peer name eth0 netns PID`) takes CAP_NET_ADMIN
// over BOTH namespaces — that is, in the user namespaces that own them. An
// unprivileged user has it over neither the host's namespace nor, from the
// host, over any other. That is why a container on a user-defined network
// does not get a user namespace of its own: it joins the rootless network
// namespace's (src/userns/spawn.ts), so its network namespace is owned by
// the same user namespace as the bridge's, and a process in it may do both.
//
// iproute2's `ip -batch -` reads one command per line: one process per side.
import { execFile } from 'node:child_process';

export interface Plug {
  /** The holder of the rootless network namespace (rootless-netns.ts). */
  holderPid: number;
  /** The container's init: its network namespace gets the far end. */
  containerPid: number;
  bridge: string;
  /** The near end's name, on the bridge; the far end is INTERFACE inside. */
  hostInterface: string;
  interface: string;
  address: string;
  prefixLength: number;
  /** The container's default route: only through its first network. */
  gateway?: string;
}

/**
 * The environment for ip(8) and nft(8): they live in /usr/sbin, which is not
 * on an ordinary user's PATH on Debian — yet need no privilege of the host's
 * to run in namespaces of our own.
 */
function adminToolsEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };
}

/**
 * Run PROGRAM ARGS in the holder's user namespace and NETNS (a
 * /proc/PID/ns/net path), INPUT on its stdin; a failure is one line: its
 * last line of stderr, or a hint when the program is not installed.
 */
export function inNamespaces(holderPid: number, netns: string, program: string, args: string[], input = ''): Promise<void> {
  // What it was asked, in two words, for the error: "ip (link add…)", "nft (add rule…)".
  const asked = (input.split('\n')[0] || args.join(' ')).split(' ').slice(0, 2).join(' ');
  return new Promise((resolve, reject) => {
    const child = execFile('nsenter', [`--user=/proc/${holderPid}/ns/user`, `--net=${netns}`, '--', program, ...args], { env: adminToolsEnv() }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const said = stderr.trim().split('\n').filter((line) => !line.startsWith('Command failed')).at(-1) || error.message;
      const missing = /failed to execute/.test(said) ? ` (is ${PACKAGE_OF[program] ?? program} installed?)` : '';
      reject(new Error(`${program} (${asked}…): ${said}${missing}`));
    });
    // A program that exits before reading its input (nsenter finding no such
    // process) closes the pipe: EPIPE here, while its status says what went wrong.
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
  });
}

/** The Debian package of each program run in the namespaces, for the hint when one is missing. */
const PACKAGE_OF: Record<string, string> = { ip: 'iproute2', nft: 'nftables' };

/** `ip -batch -`: one ip command per line, one process. */
export function ipBatch(holderPid: number, netns: string, commands: string[]): Promise<void> {
  return inNamespaces(holderPid, netns, 'ip', ['-batch', '-'], `${commands.join('\n')}\n`);
}

/** Make the pair, the near end on the bridge, the far end addressed and up inside. */
export async function plugIn(plug: Plug): Promise<void> {
  // Shell (in the rootless namespace): ip link add vcb… type veth peer name eth0 netns PID
  await ipBatch(plug.holderPid, `/proc/${plug.holderPid}/ns/net`, [
    `link add ${plug.hostInterface} type veth peer name ${plug.interface} netns ${plug.containerPid}`,
    `link set ${plug.hostInterface} master ${plug.bridge}`,
    `link set ${plug.hostInterface} up`,
  ]);
  // Shell (in the container's): ip addr add 10.89.0.2/24 dev eth0; ip link set eth0 up; ip route add default via 10.89.0.1
  await ipBatch(plug.holderPid, `/proc/${plug.containerPid}/ns/net`, [
    `address add ${plug.address}/${plug.prefixLength} dev ${plug.interface}`,
    `link set ${plug.interface} up`,
    ...(plug.gateway ? [`route add default via ${plug.gateway}`] : []),
  ]);
}

/** Remove the pair (deleting one end deletes both): `network disconnect` of a running container. */
export function unplug(holderPid: number, hostInterface: string): Promise<void> {
  return ipBatch(holderPid, `/proc/${holderPid}/ns/net`, [`link delete ${hostInterface}`]);
}
