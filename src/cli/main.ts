#!/usr/bin/env -S node --
// (The "--" is load-bearing: Node 20 looks for its own --env-file option
// anywhere in argv, even after the script, and exits 9 when that file is
// missing — so `cellblock run --env-file F` would never reach us.)
//
// The cellblock command line. Each verb's code is imported only when that
// verb runs: start-up time is the time of every `cellblock run`.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { fail } from './fail.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** --tls-verify[=false]: plain HTTP is only ever used for loopback registries, or when this says false. */
function tlsVerifyOption(): Option {
  return new Option('--tls-verify [bool]', 'require HTTPS and valid certificates (false allows plain HTTP)')
    .default(true)
    .argParser((value: string) => {
      if (value !== 'true' && value !== 'false') throw new InvalidArgumentError('use --tls-verify=true or --tls-verify=false');
      return value === 'true';
    });
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

program
  .command('run')
  .description('run a command in a new container')
  .usage('[options] IMAGE [COMMAND] [ARG...]   or   run [options] --rootfs DIR COMMAND [ARG...]')
  .argument('[image-and-command...]', 'the image, then the command and its arguments (or just the command, with --rootfs)')
  .passThroughOptions()
  .helpOption('--help', 'display help for command') // -h is --hostname, as in docker
  .option('--rootfs <dir>', 'directory to use as the root filesystem')
  .option('--rm', 'remove the container when it exits')
  .option('--name <name>', 'assign a name to the container')
  .option('-e, --env <KEY=VALUE>', 'set an environment variable (KEY alone copies it from here)', collect, [])
  .option('--env-file <file>', 'read environment variables from a file', collect, [])
  .option('-w, --workdir <dir>', 'working directory inside the container')
  .option('-u, --user <user[:group]>', 'user to run as, by id or name')
  .option('-h, --hostname <name>', 'container host name (default: its short id)')
  .option('--read-only', 'mount the root filesystem read-only')
  .option('--init', 'run a tiny init (catatonit) as pid 1 that reaps zombies and forwards signals')
  .addOption(new Option('--userns <mode>', 'id map: single (0 → you) or subids (plus /etc/subuid ranges); default subids when you have ranges').choices(['single', 'subids']))
  .option('--entrypoint <command>', "override the image's ENTRYPOINT (\"\" clears it)")
  .addOption(new Option('--pull <policy>', 'pull the image: missing, always or never').choices(['missing', 'always', 'never']).default('missing'))
  .option('--platform <os/arch>', 'image platform to pull from a multi-platform index (default: this machine)')
  .addOption(tlsVerifyOption())
  .action(async (command: string[], options) => {
    // The init needs nothing from us until "go": start it first, so its Node
    // boots while we load the rest and check the input (ARCHITECTURE.md, step 1).
    const { spawnInit } = await import('../userns/spawn.js');
    const init = spawnInit({ network: 'host' });
    const { run } = await import('./run.js');
    process.exitCode = await run(command, options, init);
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
  .option('-c, --change <instruction>', 'set config as a Dockerfile would: CMD, ENTRYPOINT, ENV, WORKDIR or USER', collect, [])
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

const image = program.command('image').description('manage images');
image
  .command('inspect')
  .description('show an image as JSON')
  .argument('<image...>', 'names or ids')
  .action(async (names: string[]) => {
    const { inspect } = await import('./images.js');
    inspect(names);
  });
image
  .command('prune')
  .description('remove blobs and layers no image or container uses any more')
  .action(async () => {
    const { prune } = await import('./images.js');
    await prune();
  });

program
  .command('ps')
  .description('list containers')
  .option('-a, --all', 'show all containers (default: running only)')
  .option('-q, --quiet', 'only show ids')
  .action(async (options) => {
    const { ps } = await import('./ps.js');
    ps(options);
  });

program
  .command('rm')
  .description('remove containers')
  .argument('<container...>', 'names or ids (a unique prefix is enough)')
  .option('-f, --force', 'kill a running container first')
  .action(async (containers: string[], options) => {
    const { rm } = await import('./rm.js');
    process.exitCode = await rm(containers, options);
  });

program
  .command('exec')
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
  });

try {
  // Bare `cellblock` shows the help, as bare `docker` does (commander would call it an error).
  if (process.argv.length <= 2) program.help();
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version "fail" with code 0; commander already printed any message.
    process.exit(error.exitCode === 0 ? 0 : 125);
  }
  fail(error);
}
