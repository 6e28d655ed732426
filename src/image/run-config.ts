// How an image's config and the `run` flags combine into what runs — docker's rules:
//
//   argv     = Entrypoint + (run arguments, or the image's Cmd if there are none)
//   --entrypoint X   replaces the Entrypoint AND drops the image's Cmd
//                    (--entrypoint "" clears it, leaving just the run arguments)
//   env      = the image's Env (with docker's PATH if it has none), then
//              --env-file, then -e; a later KEY wins
//   workdir  = -w, else WorkingDir, else /
//   user     = -u, else User, else root
import type { ContainerConfig } from './oci.js';

export interface RunRequest {
  args: string[];
  entrypoint?: string;
  workdir?: string;
  user?: string;
}

export interface ResolvedCommand {
  argv: string[];
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
    workdir: request.workdir ?? (image.WorkingDir || '/'),
    user: request.user ?? (image.User || '0'),
  };
}
