// What the init needs to build one container. The parent computes it, sends it
// over the sync pipe with "go", and the init follows it step by step.

/** `-u` as given: names or numbers, resolved inside the container's /etc/passwd. */
export interface UserSpec {
  user: string;
  group?: string;
}

export interface ContainerSpec {
  id: string;
  /** Absolute host path of the root filesystem. */
  rootfs: string;
  readOnly: boolean;
  hostname: string;
  /** argv of the payload; argv[0] is looked up in the container's PATH. */
  command: string[];
  /** KEY=VALUE, in order; a later KEY wins. */
  env: string[];
  /** Absolute path inside the container. */
  workdir: string;
  user: UserSpec;
}
