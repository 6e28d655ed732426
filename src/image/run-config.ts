// How an image's config and the `run` flags combine into what runs — docker's rules:
//
//   argv     = Entrypoint + (run arguments, or the image's Cmd if there are none)
//   --entrypoint X   replaces the Entrypoint AND drops the image's Cmd
//                    (--entrypoint "" clears it, leaving just the run arguments)
//   env      = the image's Env (with docker's PATH if it has none), then
//              --env-file, then -e; a later KEY wins
//   workdir  = -w, else WorkingDir, else /
//   user     = -u, else User, else root
import { parseContainerPort } from '../network/ports.js';
import type { ContainerConfig } from './oci.js';

export interface RunRequest {
  args: string[];
  entrypoint?: string;
  workdir?: string;
  user?: string;
}

export interface ResolvedCommand {
  argv: string[];
  /** The leading part of argv that is the entrypoint (inspect shows Entrypoint and Cmd apart). */
  entrypoint: string[];
  workdir: string;
  user: string;
}

export function resolveCommand(image: ContainerConfig, request: RunRequest): ResolvedCommand {
  const entrypoint = request.entrypoint !== undefined
    ? (request.entrypoint === '' ? [] : [request.entrypoint])
    : image.Entrypoint ?? [];
  const cmd = request.args.length > 0 ? request.args : request.entrypoint !== undefined ? [] : image.Cmd ?? [];
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) throw new Error('no command specified: the image has no Entrypoint or Cmd, so give one after the image name');
  return {
    argv,
    entrypoint,
    workdir: request.workdir ?? (image.WorkingDir || '/'),
    user: request.user ?? (image.User || '0'),
  };
}

/**
 * docker import --change: the Dockerfile instructions that only set config.
 * CMD and ENTRYPOINT take a JSON array (exec form) or a string, which — as in
 * a Dockerfile — runs under /bin/sh -c.
 */
export function applyChange(config: ContainerConfig, change: string): ContainerConfig {
  const match = /^\s*(CMD|ENTRYPOINT|ENV|WORKDIR|USER|EXPOSE)\s+(.+?)\s*$/i.exec(change);
  if (!match) throw new Error(`invalid --change "${change}": expected CMD, ENTRYPOINT, ENV, WORKDIR, USER or EXPOSE followed by a value`);
  const [, instruction, value] = match;
  const command = () => {
    if (!value.startsWith('[')) return ['/bin/sh', '-c', value];
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((part) => typeof part === 'string')) return parsed as string[];
    } catch {
      // reported below
    }
    throw new Error(`invalid --change "${change}": the exec form is a JSON array of strings`);
  };
  switch (instruction.toUpperCase()) {
    case 'CMD': return { ...config, Cmd: command() };
    case 'ENTRYPOINT': return { ...config, Entrypoint: command() };
    case 'WORKDIR': return { ...config, WorkingDir: value };
    case 'USER': return { ...config, User: value };
    case 'EXPOSE': return { ...config, ExposedPorts: { ...config.ExposedPorts, ...exposedPorts(change, value) } };
    default: {
      if (!/^[^=\s]+=/.test(value)) throw new Error(`invalid --change "${change}": ENV takes KEY=VALUE`);
      return { ...config, Env: [...(config.Env ?? []), value] };
    }
  }
}

/** EXPOSE 80 53/udp → {"80/tcp": {}, "53/udp": {}}: what run -P publishes (src/network/ports.ts). */
function exposedPorts(change: string, value: string): Record<string, object> {
  return Object.fromEntries(value.split(/\s+/).map((word) => {
    const port = parseContainerPort(word);
    if (!port) throw new Error(`invalid --change "${change}": EXPOSE takes ports, PORT or PORT/tcp|udp`);
    return [`${port.port}/${port.protocol}`, {}];
  }));
}
