// run --explain, the supervisor's side (chapter 12). A container starts in
// three steps (chapter 2): the supervisor spawns an init in new namespaces,
// prepares them from outside while the init waits for "go", and the init
// sets up the inside and execs the command. The first two happen here, and
// are told here; the third is told by the init (src/init/explain.ts) and
// passed on. Every line goes to the CLI that asked, in FRAME.explain frames:
// its stderr, never the container's output, never its log.
//
// What is told is read from what ran: the spawned process's own argv, the
// maps and cgroup the kernel reports for the init, the init's traced calls.
import { readFileSync } from 'node:fs';
import { CHAPTERS } from '../learn/chapters.js';
import type { Narration } from '../runtime/protocol.js';
import type { NetworkSettings } from '../runtime/records.js';
import type { NetworkSpec } from '../runtime/spec.js';
import type { IdMapPlan } from '../userns/idmap.js';

const LEGEND = `cellblock run --explain: each step of this container's start, in order.
[chNN name] names the chapter that explains the step (chapters/NN-name.md). Under a step, indented:
the system calls it made through src/syscalls/, as strace writes them (NAME(ARGS) = RESULT), or a
command it ran ($ …), or what the kernel reports after it (/proc/…). Node's own file calls
(mkdir, symlink, writing files) are not shown.
`;

/** [ch03 mount-namespace] pivot-root — what it does; a call or command indented under its step. */
export function formatNarration(told: Narration): string {
  if ('call' in told && told.last) return `  ${told.call}\n  (no result: when execve works it does not return — the command takes over this process, pid 1 inside)\n`;
  if ('call' in told) return `  ${told.call}\n`;
  const chapter = CHAPTERS.find((c) => c.number === told.chapter);
  const tag = `[ch${String(told.chapter).padStart(2, '0')}${chapter ? ` ${chapter.slug}` : ''}]`;
  return told.skipped ? `${tag} ${told.step} — skipped (${told.summary})\n` : `${tag} ${told.step} — ${told.summary}\n`;
}

const banner = (text: string) => `── ${text} ──\n`;

/** A command line as a shell user would type it back. */
function shellLine(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`)).join(' ');
}

/** "/proc/PID/FILE: what it says", read now, one line (or why it could not be read). */
function procLine(pid: number, file: string): Narration {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/${file}`, 'utf8').trim().split('\n').map((line) => line.trim().replace(/\s+/g, ' ')).join(' · ');
  } catch (error) {
    text = `(${(error as NodeJS.ErrnoException).code})`;
  }
  return { call: `/proc/${pid}/${file}: ${text}` };
}

export class StartNarrator {
  constructor(private readonly send: (text: string) => void) {}

  /** Pass on one thing the init told. */
  told(told: Narration): void {
    this.send(formatNarration(told));
  }

  /** Step 1, told once the supervisor knows the run wants it: the init was spawned before, with this ARGV. */
  spawned(argv: readonly string[], pid: number | undefined): void {
    this.send(LEGEND);
    this.send(banner('1 · outside, in the supervisor: an init in new namespaces (src/userns/spawn.ts)'));
    this.told({
      step: 'spawn-init', chapter: 2,
      summary: 'Node cannot enter new namespaces itself (it has threads): setpriv and unshare(1) make them, then run a fresh Node in them, the init',
    });
    this.told({ call: `$ ${shellLine(argv)}` });
    this.told({ call: `(setpriv's pid ${pid ?? '?'}: spawned when the supervisor started, while the CLI was still reading your command line)` });
  }

  /** Step 2 begins: the init (host PID) said "ready", and its maps are written already (MAP undefined: it joined a user namespace that had them). */
  idMapped(pid: number, map: IdMapPlan | undefined): void {
    this.send(banner(`2 · outside: the init (host pid ${pid}) said "ready" on the sync pipe, fd 3; it waits for "go"`));
    const summary = map === undefined
      ? "it joined the rootless network namespace's user namespace, mapped when that was made"
      : map.mode === 'subids'
        ? 'root inside is you outside, and the ids from 1 up your /etc/subuid and /etc/subgid ranges: newuidmap and newgidmap (setuid, package uidmap) wrote the maps'
        : 'root inside is you outside, and no one else: the supervisor wrote uid_map, setgroups and gid_map itself';
    this.told({ step: 'map-ids', chapter: 2, summary, ...(map ? {} : { skipped: true }) });
    for (const file of ['uid_map', 'gid_map', 'setgroups']) this.told(procLine(pid, file));
  }

  /** The init is in the container's own cgroup now (JOINED), or the container has none. */
  cgroup(pid: number, joined: boolean): void {
    if (!joined) {
      this.told({ step: 'join-cgroup', chapter: 6, summary: 'with cgroup v2 delegated to you: a cgroup of its own, limits written before the command runs; not on this host', skipped: true });
      return;
    }
    this.told({ step: 'join-cgroup', chapter: 6, summary: "the init moves into the container's own cgroup, its limits written first: the command never runs outside them" });
    this.told(procLine(pid, 'cgroup'));
  }

  /** The network helper is up (or there is none), the /etc files written. */
  network(network: NetworkSpec | undefined, settings: NetworkSettings | undefined): void {
    if (!network) {
      this.told({ step: 'connect-network', chapter: 10, summary: 'a container made before networking: the host\'s network, nothing to connect', skipped: true });
      return;
    }
    const how: Record<NetworkSpec['mode'], string> = {
      none: '--network none: its own network namespace with lo only (the init brings it up); no helper',
      host: "--network host: no network namespace, the host's network as it is; no helper",
      pasta: "pasta enters the init's network namespace from outside and gives it eth0, a copy of the host's address and routes",
      slirp4netns: "slirp4netns gives the init's network namespace a tap device eth0 and relays its traffic in user space",
      bridge: `a veth pair: eth0 inside, the other end on the bridge of network ${network.networks?.[0]?.name ?? '?'} in the rootless network namespace`,
    };
    this.told({ step: 'connect-network', chapter: 10, summary: how[network.mode] });
    if (settings) this.told({ call: `eth0: ${settings.ipAddress}/${settings.prefixLength}, gateway ${settings.gateway}` });
    this.told({ call: `hosts, hostname, resolv.conf written in ${network.filesDir} (the init binds them over /etc)` });
  }

  /** Step 3: "go" is on its way to the init. */
  go(): void {
    this.send(banner('3 · inside the new namespaces: "go" sent with the spec; the init runs its pipeline (src/init/pipeline.ts)'));
  }
}
