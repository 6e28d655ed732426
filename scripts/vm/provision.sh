#!/usr/bin/env bash
# Make a machine ready for rootless containers with cgroup v2 limits.
#
# One script, two users:
#   - the workshop VM (Vagrantfile): Debian trixie with systemd and a network.
#     Vagrant runs `provision.sh USER PROJECT_DIR` as root; every step runs.
#   - the test VM of `npm run test:vm` (scripts/vm/guest.sh): the host's own
#     root shared read-only with a throw-away overlay, no systemd, no network.
#     guest.sh sources this file and calls the steps; each step notices where
#     it is: packages are the host's (present ones are skipped, none can be
#     installed), delegation is done by hand in cgroupfs instead of by
#     systemd, and the project was built by the harness before it booted.
#
# Each step says what it did or why it did nothing, prefixed "provision:".

# What a rootless container with limits needs, as package:command (the
# command shows whether the package, or an equivalent, is there: nodejs may
# come from NodeSource with npm built in).
PROVISION_PACKAGES=(
  nodejs:node npm:npm          # cellblock itself (Node >= 20; trixie has 20.x)
  uidmap:newuidmap             # newuidmap/newgidmap: the /etc/subuid ranges
  passt:pasta                  # user-mode networking for rootless containers
  nftables:nft iproute2:ip     # user-defined networks: masquerade, bridges and veth pairs
  busybox-static:busybox       # the root filesystem of the tests and labs
  util-linux:setpriv           # unshare, nsenter, setpriv
  catatonit:catatonit          # run --init
  procps:ps                    # top
  fuse-overlayfs:fuse-overlayfs # the overlay fallback
)
# The controllers a user gets to set limits with. systemd delegates only
# memory and pids to users by default; cpu, cpuset and io must be asked for.
PROVISION_CONTROLLERS=(cpu cpuset io memory pids)

say() { echo "provision: $*"; }
die() { echo "provision: $*" >&2; return 1; }

# In the test VM every program started costs ~0.2 s of emulated dynamic
# linking, so the steps prefer bash's builtins to grep, cut and stat.

# systemd's own test for "booted with systemd" (sd_booted(3)).
has_systemd() { [[ -d /run/systemd/system ]]; }

# Whether FILE has a line that starts with PREFIX (grep -q "^PREFIX" FILE).
has_line_starting() {
  local line
  while IFS= read -r line; do
    [[ $line == "$1"* ]] && return 0
  done <"$2"
  return 1
}

# USER's uid, gid and home, from the passwd database: sets USER_UID USER_GID USER_HOME.
user_ids() {
  IFS=: read -r _ _ USER_UID USER_GID _ USER_HOME _ <<<"$(getent passwd "$1")" && [[ -n $USER_UID ]] ||
    die "no user $1"
}

# Install the packages whose command is missing. Without systemd we are the
# test VM: its root is the host's, read-only underneath and offline, so a
# missing package can only be reported (install it on the host).
step_packages() {
  local entry missing=()
  for entry in "${PROVISION_PACKAGES[@]}"; do
    command -v "${entry#*:}" >/dev/null || missing+=("${entry%%:*}")
  done
  if ((${#missing[@]} == 0)); then
    say "packages: all present"
  elif ! has_systemd; then
    say "packages: not installed on the host whose root this VM shares: ${missing[*]} (apt-get install ${missing[*]} on the host)"
  else
    say "packages: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Give USER subordinate uid and gid ranges (newuidmap maps them into the
# container, so files owned by other ids in an image keep their owners).
# A new range starts after every existing one: ranges must not overlap.
step_subids() {
  local user=$1 file start
  for file in /etc/subuid /etc/subgid; do
    if [[ -e $file ]] && has_line_starting "$user:" "$file"; then
      say "$file: $user has a range"
      continue
    fi
    start=$(awk -F: 'BEGIN { end = 100000 } $2 + $3 > end { end = $2 + $3 } END { print end }' "$file" 2>/dev/null || echo 100000)
    if [[ $file == /etc/subuid ]]; then
      usermod --add-subuids "$start-$((start + 65535))" "$user"
    else
      usermod --add-subgids "$start-$((start + 65535))" "$user"
    fi
    say "$file: $user gets $start-$((start + 65535))"
  done
}

# Delegate a cgroup v2 subtree to USER with every controller it needs: the
# user may then create child cgroups, move its own processes between them
# and write their limits, but not raise the limits set above its subtree.
#
# With systemd, user@UID.service is that subtree (/sys/fs/cgroup/user.slice/
# user-UID.slice/user@UID.service), and Delegate= chooses the controllers.
# Without systemd we do what systemd would: enable the controllers in the
# parent's cgroup.subtree_control, make the child, and chown the directory
# and the three files that make it the user's (cgroup v2's documentation,
# "Delegation Containment"). Sets DELEGATED_CGROUP to the child's path.
step_delegation() {
  local user=$1 root=/sys/fs/cgroup controller available
  user_ids "$user" || return
  # cgroup.controllers exists only at a cgroup v2 root: not on cgroup v1,
  # nor on a hybrid host (whose cgroup2 mount is /sys/fs/cgroup/unified).
  if [[ ! -e $root/cgroup.controllers ]]; then
    die "delegation: $root is not cgroup v2 (boot with systemd.unified_cgroup_hierarchy=1)"
    return
  fi
  if has_systemd; then
    mkdir -p /etc/systemd/system/user@.service.d
    printf '[Service]\nDelegate=%s\n' "${PROVISION_CONTROLLERS[*]}" >/etc/systemd/system/user@.service.d/delegate.conf
    systemctl daemon-reload
    # A user manager already running keeps its old delegation until restarted.
    systemctl try-restart "user@$USER_UID.service"
    DELEGATED_CGROUP=$root/user.slice/user-$USER_UID.slice/user@$USER_UID.service
    say "delegation: systemd delegates ${PROVISION_CONTROLLERS[*]} to user@.service (for $user: $DELEGATED_CGROUP)"
    return
  fi
  read -r available <"$root/cgroup.controllers"
  for controller in "${PROVISION_CONTROLLERS[@]}"; do
    if [[ " $available " != *" $controller "* ]]; then
      die "delegation: the kernel offers no $controller controller ($root/cgroup.controllers: $available)"
      return
    fi
  done
  echo "${PROVISION_CONTROLLERS[@]/#/+}" >"$root/cgroup.subtree_control"
  DELEGATED_CGROUP=$root/user-$USER_UID
  mkdir -p "$DELEGATED_CGROUP"
  chown "$USER_UID:$USER_GID" "$DELEGATED_CGROUP" "$DELEGATED_CGROUP"/cgroup.{procs,threads,subtree_control}
  read -r available <"$DELEGATED_CGROUP/cgroup.controllers"
  say "delegation: $DELEGATED_CGROUP belongs to $user, with $available"
}

# $XDG_RUNTIME_DIR: systemd-logind makes /run/user/UID at login; without it,
# we do (0700 and the user's: cellblock keeps its container records there).
step_runtime_dir() {
  local user=$1
  user_ids "$user" || return
  if has_systemd; then
    say "runtime dir: systemd-logind makes /run/user/$USER_UID at login"
    return
  fi
  install -d -m 0700 -o "$USER_UID" -g "$USER_GID" "/run/user/$USER_UID"
  say "runtime dir: /run/user/$USER_UID"
}

# npm ci && npm run build, as USER, unless dist/ is newer than every source.
# The test VM cannot build (no network for npm ci): the harness builds on
# the host before it boots, and a stale build here is an error, not a rebuild.
step_project() {
  local user=$1 dir=$2
  if [[ -e $dir/dist/cli/main.js && -d $dir/node_modules ]] &&
    [[ -z $(find "$dir/src" "$dir/package.json" "$dir/package-lock.json" "$dir/tsconfig.json" -newer "$dir/dist/cli/main.js" -print -quit) ]]; then
    say "project: $dir is built"
    return
  fi
  if ! has_systemd; then
    die "project: $dir/dist is missing or older than its sources: run npm run build on the host first (npm run test:vm does)"
    return
  fi
  say "project: npm ci && npm run build in $dir as $user"
  runuser -l "$user" -c "cd $(printf %q "$dir") && npm ci --no-audit --no-fund && npm run build"
}

# The workshop VM: every step, for USER and the project in DIR.
provision_all() {
  local user=${1:?usage: provision.sh USER PROJECT_DIR} dir=${2:?usage: provision.sh USER PROJECT_DIR}
  step_packages
  step_subids "$user"
  step_delegation "$user"
  step_runtime_dir "$user"
  step_project "$user" "$dir"
  say "done: log in again as $user (vagrant ssh), then start a shell in your delegated cgroup (a login sits in a root-owned session scope): systemd-run --user --scope -p Delegate=yes bash; the project is built in $dir"
}

# Executed (Vagrant), not sourced (guest.sh): run every step.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  provision_all "$@"
fi
