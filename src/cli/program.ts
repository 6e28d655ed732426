// The cellblock command line (main.ts loads it). Each verb's code is
// imported only when that verb runs: start-up time is the time of every
// `cellblock run`.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { fail } from './fail.js';

const collect = (value: string, previous: string[]) => [...previous, value];

const count = (value: string) => {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
};

/** --tls-verify[=false]: plain HTTP is only ever used for loopback registries, or when this says false. */
function tlsVerifyOption(): Option {
  return new Option('--tls-verify [bool]', 'require HTTPS and valid certificates (false allows plain HTTP)')
    .default(true)
    .argParser((value: string) => {
      if (value !== 'true' && value !== 'false') throw new InvalidArgumentError('use --tls-verify=true or --tls-verify=false');
      return value === 'true';
    });
}

/**
 * --no-isolate LIST. Commander reads any --no-X as "X off" and would store
 * LIST under isolate, where --isolate's own list goes: this one is a list of
 * its own (options.noIsolate).
 */
function isolationListOff(): Option {
  const option = new Option('--no-isolate <list>', 'the namespaces the container shares with the host instead, e.g. pid or uts,ipc');
  option.negate = false;
  return option;
}

const program = new Command('cellblock')
  .description('a rootless container runtime you can read')
  .version('0.1.0')
  // Options after the command belong to the command: `run --rootfs R ls -la`.
  .enablePositionalOptions()
  .showSuggestionAfterError()
  .exitOverride()
  .configureOutput({
    outputError: (text, write) => write(`cellblock: ${text.replace(/^error: /, '').trim().split('\n')[0]}\n`),
  });

// docker spells most container verbs both ways: `docker stop` and `docker container stop`.
const container = program.command('container').description('manage containers');

/** A verb that is also `container VERB`: defined once, registered under both. */
function containerVerb(name: string, define: (command: Command) => Command): void {
  define(program.command(name));
  define(container.command(name));
}

program
  .command('run')
  .description('run a command in a new container')
  .usage('[options] IMAGE [COMMAND] [ARG...]   or   run [options] --rootfs DIR COMMAND [ARG...]')
  .argument('[image-and-command...]', 'the image, then the command and its arguments (or just the command, with --rootfs)')
  .passThroughOptions()
  .helpOption('--help', 'display help for command') // -h is --hostname, as in docker
  .option('--rootfs <dir>', 'directory to use as the root filesystem')
  .option('--rm', 'remove the container when it exits')
  .option('--explain', 'tell each step of the start on stderr: its chapter, and the system calls it made (chapter 12)')
  .option('-d, --detach', 'run in the background and print the container id')
  .option('-i, --interactive', 'keep stdin open (run -d -i: for whoever attaches later)')
  .option('-t, --tty', 'give the container a terminal (its own, in its devpts)')
  .option('--detach-keys <keys>', 'keys that detach from a terminal (default ctrl-p,ctrl-q; "" for none)')
  .option('--name <name>', 'assign a name to the container')
  .option('-e, --env <KEY=VALUE>', 'set an environment variable (KEY alone copies it from here)', collect, [])
  .option('--env-file <file>', 'read environment variables from a file', collect, [])
  .option('-w, --workdir <dir>', 'working directory inside the container')
  .option('-u, --user <user[:group]>', 'user to run as, by id or name')
  .option('-h, --hostname <name>', 'container host name (default: its short id)')
  .option('--read-only', 'mount the root filesystem read-only')
  .option('--init', 'run a tiny init (catatonit) as pid 1 that reaps zombies and forwards signals')
  .option('-v, --volume <HOSTDIR:CDIR[:ro]|NAME:CDIR[:ro]|CDIR>', 'mount a host directory, a named volume, or a new anonymous volume', collect, [])
  .option('--mount <type=bind|volume|tmpfs,source=…,target=…[,readonly]>', 'mount storage, docker --mount style', collect, [])
  .option('--tmpfs <CDIR[:size=64m,mode=1777,…]>', 'mount a fresh tmpfs (gone when the container ends)', collect, [])
  .addOption(new Option('--userns <mode>', 'id map: single (0 → you) or subids (plus /etc/subuid ranges); default subids when you have ranges; host: none (--no-isolate=user)').choices(['single', 'subids', 'host']))
  .option('--entrypoint <command>', "override the image's ENTRYPOINT (\"\" clears it)")
  .addOption(new Option('--pull <policy>', 'pull the image: missing, always or never').choices(['missing', 'always', 'never']).default('missing'))
  .option('--platform <os/arch>', 'image platform to pull from a multi-platform index (default: this machine)')
  .addOption(tlsVerifyOption())
  // Resource limits (cgroup v2, chapter 6): docker's flags and units.
  .option('-m, --memory <bytes>', 'memory limit, e.g. 32m or 1g (memory.max)')
  .option('--memory-swap <bytes>', 'memory plus swap limit; -1 for unlimited swap (memory.swap.max)')
  .option('--memory-reservation <bytes>', 'memory the kernel reclaims last (memory.low)')
  .option('--cpus <number>', 'CPUs the container may use, e.g. 0.5 (cpu.max)')
  .option('-c, --cpu-shares <number>', 'relative CPU weight, 1024 by default (cpu.weight)')
  .option('--cpuset-cpus <list>', 'CPUs the container may run on, e.g. 0-1 (cpuset.cpus)')
  .option('--pids-limit <number>', 'most processes at once; -1 for no limit (pids.max)')
  .option('--blkio-weight <number>', 'relative block I/O weight, 10 to 1000 (io.weight)')
  .option('--device-read-bps <device:rate>', 'read rate limit for a device, e.g. /dev/sda:1mb (io.max)', collect, [])
  .option('--device-write-bps <device:rate>', 'write rate limit for a device (io.max)', collect, [])
  // Networking (chapter 10): docker's flags.
  .option('--network <mode>', 'none, host, pasta, slirp4netns, or a network made by `network create` (default: pasta if passt is installed, else slirp4netns)')
  .option('--network-alias <name>', 'another name the container has on its user-defined network', collect, [])
  .option('-p, --publish <[ip:][hostPort:]containerPort[/tcp|udp]>', "publish a container's port on the host (no hostPort: a free one)", collect, [])
  .option('-P, --publish-all', 'publish every port the image exposes, each on a free host port')
  .option('--add-host <name:ip>', 'add a line to /etc/hosts (ip may be host-gateway: the host, as the container reaches it)', collect, [])
  .option('--dns <ip>', 'nameserver for /etc/resolv.conf (instead of the network helper\'s)', collect, [])
  // Security (chapter 11)
  .option('--cap-add <capability>', 'keep a capability docker\'s default set drops, e.g. NET_ADMIN (ALL for every one)', collect, [])
  .option('--cap-drop <capability>', 'drop a capability of the default set, e.g. NET_RAW (ALL for every one)', collect, [])
  .option('--privileged', 'every capability of the user namespace, no seccomp filter, nothing of /proc or /sys masked')
  .option('--security-opt <option>', 'no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json (docker\'s format) or systempaths=unconfined', collect, [])
  // Isolation switches (src/runtime/isolation.ts): docker's --pid host and friends, and lists.
  .option('--isolate <list>', 'the namespaces the container gets, of user,mount,pid,uts,ipc,net,cgroup (default: all)')
  .addOption(isolationListOff())
  .option('--pid <host>', 'host: share the host\'s pid namespace (--no-isolate=pid)')
  .option('--uts <host>', 'host: share the host\'s hostname (--no-isolate=uts)')
  .option('--ipc <host|private>', 'host: share the host\'s ipc namespace (--no-isolate=ipc)')
  .option('--cgroupns <host|private>', 'host: no cgroup namespace (--no-isolate=cgroup)')
  .action(async (command: string[], options) => {
    // main.ts launched the supervisor already; now it can be told how the
    // container's stdio is wired, and spawn the init while we check the input.
    const { launchSupervisor, takeEarlySupervisor } = await import('../supervisor/client.js');
    const supervisor = takeEarlySupervisor() ?? launchSupervisor();
    // (A --network value is checked later, by run: this only needs "host or not", and "a network of one's own or not".)
    const { namesExistingNetwork } = await import('../network/networks.js');
    const { sharedNamespacesOf } = await import('../runtime/isolation.js');
    const share = sharedNamespacesOf(options);
    supervisor.configure({
      stdin: (!options.detach && !options.tty) || (options.interactive ?? false), tty: options.tty ?? false,
      netns: !share.includes('net'), rootlessNetns: namesExistingNetwork(options.network), share,
    });
    const { run } = await import('./run.js');
    process.exitCode = await run(command, options, supervisor);
  });

program
  .command('info')
  .description('show what this host offers containers: kernel, id map, cgroups (can limits be set?), storage')
  .option('-f, --format <template>', 'Go-template output (e.g. {{.CgroupVersion}}), or json')
  .action(async (options) => {
    const { info } = await import('./info.js');
    info(options);
  });

program
  .command('pull')
  .description('pull an image from a registry')
  .argument('<image>', 'e.g. busybox, alice/app:1.0, 127.0.0.1:5000/app@sha256:…')
  .option('-q, --quiet', 'print only the image id')
  .option('--platform <os/arch>', 'platform to pull from a multi-platform index (default: this machine)')
  .addOption(new Option('--userns <mode>', 'unpack layers for this id map (as run does)').choices(['single', 'subids']))
  .addOption(tlsVerifyOption())
  .action(async (image: string, options) => {
    const { pull } = await import('./images.js');
    await pull(image, options);
  });

program
  .command('login')
  .description('log in to a registry: the credentials are checked, then kept in ~/.config/cellblock/auth.json')
  .argument('<host>', 'registry host, e.g. 127.0.0.1:5000 or docker.io')
  .option('-u, --username <user>', 'user name (asked for on a terminal when missing)')
  .option('-p, --password <password>', 'password (other users can see it in ps: prefer --password-stdin)')
  .option('--password-stdin', 'read the password from standard input')
  .addOption(tlsVerifyOption())
  .action(async (host: string, options) => {
    const { login } = await import('./login.js');
    await login(host, options);
  });

program
  .command('logout')
  .description('remove the credentials kept for a registry')
  .argument('<host>', 'registry host')
  .action(async (host: string) => {
    const { logout } = await import('./logout.js');
    logout(host);
  });

program
  .command('images')
  .description('list images')
  .option('-q, --quiet', 'only show image ids')
  .action(async (options) => {
    const { images } = await import('./images.js');
    images(options);
  });

program
  .command('rmi')
  .description('remove images')
  .argument('<image...>', 'names or ids')
  .option('-f, --force', 'remove even if a container uses it')
  .action(async (names: string[], options) => {
    const { rmi } = await import('./images.js');
    process.exitCode = await rmi(names, options);
  });

program
  .command('tag')
  .description('give an image another name')
  .argument('<source>', 'an image in the store')
  .argument('<target>', 'the new name')
  .action(async (source: string, target: string) => {
    const { tag } = await import('./images.js');
    tag(source, target);
  });

program
  .command('load')
  .description('load images from a docker-archive or an OCI image layout (a directory or a tar)')
  .requiredOption('-i, --input <path>', 'the archive or layout to read')
  .addOption(new Option('--userns <mode>', 'unpack layers for this id map (as run does)').choices(['single', 'subids']))
  .action(async (options) => {
    const { load } = await import('./images.js');
    await load(options);
  });

program
  .command('import')
  .description('make a one-layer image from a directory')
  .argument('<dir>', 'the directory that becomes the image\'s root filesystem')
  .argument('<name>', 'the image name, e.g. localhost/demo:latest')
  .option('-c, --change <instruction>', 'set config as a Dockerfile would: CMD, ENTRYPOINT, ENV, WORKDIR, USER or EXPOSE', collect, [])
  .addOption(new Option('--userns <mode>', 'unpack the layer for this id map (as run does)').choices(['single', 'subids']))
  .action(async (dir: string, name: string, options) => {
    const { importImage } = await import('./images.js');
    await importImage(dir, name, options);
  });

program
  .command('save')
  .description('write images to a docker-archive or an OCI image layout')
  .argument('<image...>', 'names or ids')
  .requiredOption('-o, --output <path>', 'the file (or directory, for oci-dir) to write')
  .addOption(new Option('--format <format>', 'what to write').choices(['docker-archive', 'oci-archive', 'oci-dir']).default('docker-archive'))
  .action(async (names: string[], options) => {
    const { save } = await import('./images.js');
    await save(names, options);
  });

containerVerb('commit', (command) => command
  .description("create a new image from a container's changes")
  .argument('<container>', 'name or id (a unique prefix is enough)')
  .argument('[repository[:tag]]', 'name of the new image (without one, it is known by its id)')
  .option('-m, --message <message>', 'commit message, kept in the image history')
  .option('-a, --author <author>', 'author, e.g. "Ada <ada@example.com>"')
  .option('-c, --change <instruction>', 'set config as a Dockerfile would: CMD, ENTRYPOINT, ENV, WORKDIR, USER or EXPOSE', collect, [])
  .action(async (container: string, name: string | undefined, options) => {
    const { commit } = await import('./commit.js');
    await commit(container, name, options);
  }));

containerVerb('cp', (command) => command
  .description('copy files between a container and the host')
  .usage('[options] CONTAINER:SRC_PATH DEST_PATH|-   or   cp [options] SRC_PATH|- CONTAINER:DEST_PATH')
  .argument('<source>', 'CONTAINER:PATH, a host path, or - (a tar on stdin)')
  .argument('<destination>', 'CONTAINER:PATH, a host path, or - (a tar on stdout)')
  .option('-a, --archive', "copying in: keep your files' uid/gid, as the container maps them (default: its root's)")
  .option('-L, --follow-link', 'follow a symlink given as the source')
  .action(async (source: string, destination: string, options) => {
    const { cp } = await import('./cp.js');
    await cp(source, destination, options);
  }));

const image = program.command('image').description('manage images');
inspectCommand(image.command('inspect'), 'image');
image
  .command('prune')
  .description('remove blobs and layers no image or container uses any more')
  .action(async () => {
    const { prune } = await import('./images.js');
    await prune();
  });

/** `ps` and `container ls`: one set of options, one implementation. */
function psCommand(command: Command): Command {
  return command
    .description('list containers')
    .option('-a, --all', 'show all containers (default: running only)')
    .option('-q, --quiet', 'only show ids')
    .option('--format <format>', 'table, table TEMPLATE, json, or a Go template over {{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.CreatedAt}} {{.RunningFor}} {{.Status}} {{.State}} {{.Ports}} {{.Mounts}} {{.Label "KEY"}}')
    .option('--no-trunc', 'do not truncate ids, commands and mounts')
    .option('-n, --last <n>', 'show the n containers created last (in any state)', count)
    .option('-l, --latest', 'show the container created last (in any state)')
    .option('-f, --filter <key=value>', 'status=created|running|exited…, name=REGEXP, id=PREFIX (repeat to combine)', collect, [])
    .action(async (options) => {
      const { ps } = await import('./ps.js');
      ps(options);
    });
}

/** `inspect`, `container inspect` and `image inspect` (TYPE fixed for the last two). */
function inspectCommand(command: Command, type?: 'container' | 'image'): Command {
  command
    .description(type ? `show ${type}s as JSON` : 'show containers or images as JSON (a name is looked up as a container first)')
    .argument('<name...>', 'names or ids (a unique prefix is enough)')
    .option('-f, --format <template>', 'a Go template, e.g. {{.State.Status}} or {{json .Config}}; json for one line');
  if (!type) command.addOption(new Option('--type <type>', 'only look for this kind of object').choices(['container', 'image']));
  return command.action(async (names: string[], options) => {
    const { inspect } = await import('./inspect.js');
    process.exitCode = await inspect(names, { format: options.format, type: type ?? options.type });
  });
}

function topCommand(command: Command): Command {
  return command
    .description("show a running container's processes (host pids and users), as the host's ps shows them")
    .usage('CONTAINER [ps OPTIONS]')
    .argument('<container>', 'name or id')
    .argument('[ps-options...]', 'options for ps(1) instead of -ef, e.g. aux or -o pid,user,args')
    .passThroughOptions()
    .action(async (container: string, psOptions: string[]) => {
      const { top } = await import('./top.js');
      top(container, psOptions);
    });
}

containerVerb('stats', (command) => command
  .description("show containers' CPU, memory, block I/O and pids, live (every running one, or those named)")
  .argument('[container...]', 'names or ids (a unique prefix is enough)')
  .option('-a, --all', 'show all containers (default: running only)')
  .option('--no-stream', 'sample twice, a second apart, print one table and exit')
  .option('--no-trunc', 'do not truncate ids')
  .option('--format <format>', 'table, table TEMPLATE, json, or a Go template over {{.Container}} {{.ID}} {{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}')
  .action(async (containers: string[], options) => {
    const { stats } = await import('./stats.js');
    await stats(containers, options);
  }));

function renameCommand(command: Command): Command {
  return command
    .description('rename a container')
    .argument('<container>', 'name or id')
    .argument('<new-name>', 'the new name')
    .action(async (container: string, name: string) => {
      const { rename } = await import('./rename.js');
      rename(container, name);
    });
}

psCommand(program.command('ps'));
inspectCommand(program.command('inspect'));
topCommand(program.command('top'));
renameCommand(program.command('rename'));

// docker's management-command spellings of the same verbs.
psCommand(container.command('ls').aliases(['ps', 'list']));
inspectCommand(container.command('inspect'), 'container');
topCommand(container.command('top'));
renameCommand(container.command('rename'));
container
  .command('prune')
  .description('remove all stopped containers')
  .option('-f, --force', 'do not ask for confirmation')
  .action(async (options) => {
    const { prune } = await import('./prune.js');
    process.exitCode = await prune(options);
  });

containerVerb('port', (command) => command
  .description("list a running container's published ports, or the host address of one of them")
  .argument('<container>', 'name or id')
  .argument('[private-port]', 'PORT or PORT/tcp|udp: only where this port of the container is published')
  .action(async (container: string, privatePort: string | undefined) => {
    const { port } = await import('./port.js');
    process.exitCode = port(container, privatePort);
  }));

containerVerb('rm', (command) => command
  .description('remove containers')
  .argument('<container...>', 'names or ids (a unique prefix is enough)')
  .option('-f, --force', 'kill a running container first')
  .option('-v, --volumes', 'remove its anonymous volumes too')
  .action(async (containers: string[], options) => {
    const { rm } = await import('./lifecycle.js');
    process.exitCode = await rm(containers, options);
  }));

const seconds = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('give a whole number of seconds');
  return Number(value);
};

containerVerb('logs', (command) => command
  .description("show a container's output")
  .argument('<container>', 'name or id')
  .option('-f, --follow', 'keep printing new output until the container ends')
  .option('-n, --tail <lines>', 'only the last N lines', 'all')
  .option('-t, --timestamps', 'show when each line was written')
  .option('--since <time>', 'only lines since this time (2026-11-23T08:00:00Z, Unix seconds, or 10m ago)')
  .option('--until <time>', 'only lines before this time')
  .action(async (container: string, options) => {
    const { logs } = await import('./logs.js');
    await logs(container, options);
  }));

containerVerb('attach', (command) => command
  .description("connect to a running container's output (and stdin, if it keeps one open)")
  .argument('<container>', 'name or id')
  .option('--no-stdin', 'do not send our stdin')
  .option('--detach-keys <keys>', 'keys that detach from a terminal (default ctrl-p,ctrl-q; "" for none)')
  .action(async (container: string, options) => {
    const { attach } = await import('./attach.js');
    process.exitCode = await attach(container, options);
  }));

containerVerb('start', (command) => command
  .description('start stopped containers again (their files are as they left them)')
  .argument('<container...>', 'names or ids')
  .option('-a, --attach', 'relay its output and wait for it to end')
  .option('-i, --interactive', 'send our stdin (with -a)')
  .action(async (containers: string[], options) => {
    const { start } = await import('./lifecycle.js');
    process.exitCode = await start(containers, options);
  }));

containerVerb('stop', (command) => command
  .description('stop running containers: the stop signal (SIGTERM), then SIGKILL after a grace period')
  .argument('<container...>', 'names or ids')
  .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', seconds, 10)
  .option('-s, --signal <signal>', "signal to send first (default: the image's StopSignal, else SIGTERM)")
  .action(async (containers: string[], options) => {
    const { stop } = await import('./lifecycle.js');
    process.exitCode = await stop(containers, options);
  }));

containerVerb('restart', (command) => command
  .description('stop, then start containers')
  .argument('<container...>', 'names or ids')
  .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', seconds, 10)
  .action(async (containers: string[], options) => {
    const { restart } = await import('./lifecycle.js');
    process.exitCode = await restart(containers, options);
  }));

containerVerb('kill', (command) => command
  .description('send a signal to running containers')
  .argument('<container...>', 'names or ids')
  .option('-s, --signal <signal>', 'the signal', 'SIGKILL')
  .action(async (containers: string[], options) => {
    const { kill } = await import('./lifecycle.js');
    process.exitCode = await kill(containers, options);
  }));

containerVerb('wait', (command) => command
  .description('wait for containers to end, and print their exit statuses')
  .argument('<container...>', 'names or ids')
  .action(async (containers: string[]) => {
    const { wait } = await import('./lifecycle.js');
    process.exitCode = await wait(containers);
  }));

const volume = program.command('volume').description('manage named volumes');
volume
  .command('create')
  .description('create a volume (a generated name if none is given)')
  .argument('[name]', 'the volume name: [a-zA-Z0-9][a-zA-Z0-9_.-]+')
  .option('-d, --driver <driver>', 'volume driver (only "local")', 'local')
  .option('-l, --label <KEY=VALUE>', 'set a label', collect, [])
  .action(async (name: string | undefined, options) => {
    const { volumeCreate } = await import('./volume.js');
    volumeCreate(name, options);
  });
volume
  .command('ls')
  .description('list volumes')
  .option('-q, --quiet', 'only show names')
  .action(async (options) => {
    const { volumeLs } = await import('./volume.js');
    volumeLs(options);
  });
volume
  .command('inspect')
  .description('show volumes as JSON')
  .argument('<name...>', 'volume names')
  .action(async (names: string[]) => {
    const { volumeInspect } = await import('./volume.js');
    volumeInspect(names);
  });
volume
  .command('rm')
  .description('remove volumes')
  .argument('<name...>', 'volume names')
  .option('-f, --force', 'remove even if a container uses it; a missing volume is no error')
  .action(async (names: string[], options) => {
    const { volumeRm } = await import('./volume.js');
    process.exitCode = await volumeRm(names, options);
  });
volume
  .command('prune')
  .description('remove every volume no container uses')
  .option('-f, --force', 'do not ask for confirmation')
  .action(async (options) => {
    const { volumePrune } = await import('./volume.js');
    await volumePrune(options);
  });

// The course (chapters/, labs/): `learn` opens it; the subcommands are exercise mode.
const learn = program
  .command('learn')
  .description('the course: read a chapter, run its lab, do its exercise (a terminal app; --no-tui for plain text)')
  .option('--no-tui', 'print plain text instead of the terminal app (the default when stdout is not a terminal)')
  .action(async (options: { tui: boolean }) => {
    const { learnApp } = await import('../learn/tui/main.js');
    process.exitCode = await learnApp(options);
  });
learn
  .command('start')
  .description('copy chapter N\'s step module into exercises/, its teaching lines left for you to write')
  .argument('<chapter>', 'the chapter number')
  .action(async (chapter: string) => {
    const { learnStart } = await import('./learn.js');
    learnStart(chapter);
  });
learn
  .command('reset')
  .description('put chapter N\'s exercise file back as `learn start` wrote it')
  .argument('<chapter>', 'the chapter number')
  .action(async (chapter: string) => {
    const { learnReset } = await import('./learn.js');
    learnReset(chapter);
  });
learn
  .command('solution')
  .description('show the real code of chapter N\'s exercise')
  .argument('<chapter>', 'the chapter number')
  .action(async (chapter: string) => {
    const { learnSolution } = await import('./learn.js');
    learnSolution(chapter);
  });
learn
  .command('check')
  .description('run chapter N\'s lab on your exercise file: pass, fail with the chapter\'s hint (exit 1), or cannot be checked on this machine (exit 2)')
  .argument('<chapter>', 'the chapter number')
  .action(async (chapter: string) => {
    const { learnCheck } = await import('./learn.js');
    process.exitCode = await learnCheck(chapter);
  });

const system = program.command('system').description('the store as a whole: check it, see its size, prune it');
system
  .command('check')
  .description('verify every blob, unpacked layer, name, temporary and container record of the store (exit 1 when problems are found)')
  .option('--repair', 'remove what is broken (a pull fetches it again) and say what was done')
  .action(async (options) => {
    const { systemCheck } = await import('./system.js');
    process.exitCode = await systemCheck(options);
  });
system
  .command('df')
  .description('show disk usage: images, containers, volumes')
  .option('-v, --verbose', 'show each image, container and volume')
  .action(async (options) => {
    const { systemDf } = await import('./system.js');
    systemDf(options);
  });
system
  .command('prune')
  .description('remove stopped containers, unused networks and dangling images (-a: all unused images; --volumes: unused volumes)')
  .option('-a, --all', 'remove every image no container uses, not only dangling ones')
  .option('--volumes', 'remove volumes no container uses too')
  .option('-f, --force', 'do not ask for confirmation')
  .action(async (options) => {
    const { systemPrune } = await import('./system.js');
    process.exitCode = await systemPrune(options);
  });

const network = program.command('network').description('manage user-defined networks (containers on one reach each other by name)');
network
  .command('create')
  .description('create a network: a bridge in the rootless network namespace, made when a container first joins')
  .argument('<name>', 'the network name: [a-zA-Z0-9][a-zA-Z0-9_.-]*')
  .option('--subnet <cidr>', 'IPv4 subnet, e.g. 10.89.5.0/24 (default: the first free 10.89.N.0/24)')
  .option('--gateway <ip>', "the bridge's address (default: the subnet's first)")
  .option('-d, --driver <driver>', 'network driver (only "bridge")', 'bridge')
  .action(async (name: string, options) => {
    const { networkCreate } = await import('./network.js');
    networkCreate(name, options);
  });
network
  .command('ls')
  .description('list networks')
  .option('-q, --quiet', 'only show names')
  .action(async (options) => {
    const { networkLs } = await import('./network.js');
    networkLs(options);
  });
network
  .command('inspect')
  .description('show networks as JSON, with the containers on them')
  .argument('<network...>', 'names (or id prefixes)')
  .action(async (names: string[]) => {
    const { networkInspect } = await import('./network.js');
    await networkInspect(names);
  });
network
  .command('rm')
  .description('remove networks no container is on')
  .argument('<network...>', 'names (or id prefixes)')
  .action(async (names: string[]) => {
    const { networkRm } = await import('./network.js');
    process.exitCode = networkRm(names);
  });
network
  .command('connect')
  .description('put a container on another network (now, if it runs)')
  .argument('<network>', 'network name')
  .argument('<container>', 'name or id')
  .option('--alias <name>', 'another name the container has on this network', collect, [])
  .action(async (name: string, container: string, options) => {
    const { networkConnect } = await import('./network.js');
    await networkConnect(name, container, options);
  });
network
  .command('disconnect')
  .description('take a container off a network')
  .argument('<network>', 'network name')
  .argument('<container>', 'name or id')
  .action(async (name: string, container: string) => {
    const { networkDisconnect } = await import('./network.js');
    await networkDisconnect(name, container);
  });

containerVerb('exec', (command) => command
  .description('run a command in a running container')
  .usage('[options] CONTAINER COMMAND [ARG...]')
  .argument('<container>', 'name or id (a unique prefix is enough)')
  .argument('<command...>', 'the command and its arguments')
  .passThroughOptions()
  .option('-i, --interactive', 'pass stdin to the command')
  .option('-t, --tty', 'give the command a terminal of its own')
  .option('-d, --detach', 'start the command and return at once')
  .option('-e, --env <KEY=VALUE>', 'set an environment variable (KEY alone copies it from here)', collect, [])
  .option('--env-file <file>', 'read environment variables from a file', collect, [])
  .option('-w, --workdir <dir>', 'working directory inside the container')
  .option('-u, --user <user[:group]>', 'user to run as, by id or name')
  .option('--detach-keys <keys>', 'keys that leave an -it session (default ctrl-p,ctrl-q; "" for none)')
  .action(async (container: string, command: string[], options) => {
    const { exec } = await import('./exec.js');
    process.exitCode = await exec(container, command, options);
  }));

try {
  // Bare `cellblock` shows the help, as bare `docker` does (commander would call it an error).
  if (process.argv.length <= 2) program.help();
  await program.parseAsync();
} catch (error) {
  // A `run` that never reached its action (a bad flag, --help) leaves no supervisor behind.
  const { takeEarlySupervisor } = await import('../supervisor/client.js');
  await takeEarlySupervisor()?.abort();
  if (error instanceof CommanderError) {
    // --help and --version "fail" with code 0; commander already printed any message.
    process.exit(error.exitCode === 0 ? 0 : 125);
  }
  fail(error);
}
