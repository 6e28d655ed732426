#!/usr/bin/env -S node --
// (The "--" is load-bearing: Node 20 looks for its own --env-file option
// anywhere in argv, even after the script, and exits 9 when that file is
// missing — so `cellblock run --env-file F` would never reach us.)
//
// The cellblock command line. Each verb's code is imported only when that
// verb runs: start-up time is the time of every `cellblock run`.
import { Command, CommanderError, Option } from 'commander';
import { fail } from './fail.js';

const collect = (value: string, previous: string[]) => [...previous, value];

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
  .usage('[options] --rootfs DIR COMMAND [ARG...]')
  .argument('[command...]', 'the command and its arguments')
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
  .addOption(new Option('--userns <mode>', 'id map: single (0 → you) or subids (plus /etc/subuid ranges); default subids when you have ranges').choices(['single', 'subids']))
  .action(async (command: string[], options) => {
    // The init needs nothing from us until "go": start it first, so its Node
    // boots while we load the rest and check the input (ARCHITECTURE.md, step 1).
    const { spawnInit } = await import('../userns/spawn.js');
    const init = spawnInit({ network: 'host' });
    const { run } = await import('./run.js');
    process.exitCode = await run(command, options, init);
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
    process.exitCode = rm(containers, options);
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
