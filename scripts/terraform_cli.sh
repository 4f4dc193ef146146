# shellcheck shell=bash
# Shared by scripts/tofu and scripts/terraform (sourced, not run): the provider mirror,
# the CLI configuration and the run of the CLI itself.
#
# Providers. Both CLIs install hashicorp/aws from one filesystem mirror in the cache,
#   toolchain/providers/<host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-*
# filled with symlinks (the aws provider is ~700 MB: never copied) to every provider found in
#   WHISPER_SAGEMAKER_PROVIDER_MIRROR (colon-separated filesystem mirrors; replaces the search), or
#   ~/.terraform.d/plugins, ~/.local/share/terraform/plugins, /usr/share/terraform/plugins and
#   /opt/tf-plugins (where this project's build image keeps hashicorp/aws 5.100.0).
# Each provider is linked under registry.terraform.io AND registry.opentofu.org: Terraform
# resolves `hashicorp/aws` to the first host, OpenTofu to the second.
# With a local hashicorp/aws the CLI config installs only from that mirror (offline, never a
# registry). With none, `init` falls back to the registry when it answers; when it does not,
# a failed init ends with one line saying what to install or set.
#
# Plugin cache. Only for registry installs (a ~700 MB download worth keeping). From the mirror,
# each `init` links .terraform/providers straight to the mirror, so a cache would save nothing,
# and it is shared state: concurrent `init`s re-install into it (no lock-file entry yet) and
# OpenTofu can then fail with "still not detected in <cache>". Registry installs into the cache
# take a lock (flock) so parallel `init`s run one at a time.
#
# Environment: WHISPER_SAGEMAKER_CACHE (default ~/.cache/whisper-sagemaker);
# WHISPER_SAGEMAKER_CLI_CONFIG (use this CLI config file instead of the generated one);
# WHISPER_SAGEMAKER_REGISTRY_URL (the registry probed before falling back to it).

cache=${WHISPER_SAGEMAKER_CACHE:-$HOME/.cache/whisper-sagemaker}
toolchain=$cache/toolchain
mirror=$toolchain/providers

provider_sources() {
  if [ -n "${WHISPER_SAGEMAKER_PROVIDER_MIRROR:-}" ]; then
    tr ':' '\n' <<<"$WHISPER_SAGEMAKER_PROVIDER_MIRROR"
  else
    printf '%s\n' "$HOME/.terraform.d/plugins" "$HOME/.local/share/terraform/plugins" \
      /usr/share/terraform/plugins /opt/tf-plugins
  fi
}

# Symlink every provider of every source into the mirror, under both public registry hosts
# (other hosts keep their own name). Cheap: a few globs; links are only rewritten when they differ.
link_providers() {
  local src file rel host rest target
  while IFS= read -r src; do
    [ -d "$src" ] && [ "$src" != "$mirror" ] || continue
    # unpacked layout: HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_*
    for file in "$src"/*/*/*/*/*/terraform-provider-*; do
      [ -f "$file" ] || continue
      rel=${file#"$src"/}
      host=${rel%%/*}
      rest=${rel#*/}
      case $host in
        registry.terraform.io | registry.opentofu.org) set -- registry.terraform.io registry.opentofu.org ;;
        *) set -- "$host" ;;
      esac
      for host in "$@"; do
        target=$mirror/$host/$rest
        [ "$(readlink "$target" 2>/dev/null)" = "$file" ] && continue
        mkdir -p "$(dirname "$target")"
        # a concurrent first run may have just made the same link
        ln -sfn "$file" "$target" 2>/dev/null || [ "$(readlink "$target")" = "$file" ]
      done
    done
  done < <(provider_sources)
  # a provider removed from its source leaves a dangling link: drop it
  find "$mirror" -xtype l -delete
}

have_aws_provider() {
  compgen -G "$mirror/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*" >/dev/null
}

# Does the CLI's registry answer? Only asked when no local provider exists and `init` runs.
registry_reachable() {
  local url=${WHISPER_SAGEMAKER_REGISTRY_URL:-$1}
  curl -fsS --max-time 5 -o /dev/null "$url/.well-known/terraform.json" 2>/dev/null
}

# Write $toolchain/<cli>rc: mirror only, or (no local provider, registry reachable) direct.
write_cli_config() {
  local rc=$1 source=$2 want
  local cache_line=""
  if [ "$source" = mirror ]; then
    source="  filesystem_mirror {
    path = \"$mirror\"
  }"
  else
    source="  direct {}"
    cache_line="plugin_cache_dir = \"$toolchain/plugin-cache\"
"
  fi
  want="# Written by scripts/$cli: $3.
provider_installation {
$source
}
${cache_line}disable_checkpoint = true"
  if [ ! -f "$rc" ] || [ "$(cat "$rc")" != "$want" ]; then
    printf '%s\n' "$want" >"$rc.tmp.$$" && mv "$rc.tmp.$$" "$rc"
  fi
}

# run_cli NAME BINARY REGISTRY_URL ARGS...: configure providers and run the CLI.
run_cli() {
  local cli=$1 bin=$2 registry=$3 sub="" arg
  shift 3
  mkdir -p "$mirror" "$toolchain/plugin-cache"
  link_providers
  for arg in "$@"; do
    case $arg in -*) ;; *) sub=$arg && break ;; esac
  done

  local rc=$toolchain/${cli}rc fallback="" lock=()
  if have_aws_provider; then
    write_cli_config "$rc" mirror "providers come only from the local mirror, never a registry"
  elif [ "$sub" = init ] && registry_reachable "$registry"; then
    write_cli_config "$rc" direct "no local hashicorp/aws, so providers come from the registry"
    command -v flock >/dev/null && lock=(flock "$toolchain/plugin-cache/.init.lock")
  else
    write_cli_config "$rc" mirror "providers come only from the local mirror, never a registry"
    fallback=no
  fi

  export TF_CLI_CONFIG_FILE=${WHISPER_SAGEMAKER_CLI_CONFIG:-$rc}
  export CHECKPOINT_DISABLE=1
  if [ "$sub" != init ] || [ -z "$fallback" ]; then
    exec "${lock[@]}" "$bin" "$@"
  fi
  local status=0
  "$bin" "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "ERROR: no hashicorp/aws provider on this machine and $registry does not answer:" \
      "put terraform-provider-aws in a filesystem mirror (HOST/hashicorp/aws/VERSION/OS_ARCH/) under" \
      "$(provider_sources | paste -sd, -) or set WHISPER_SAGEMAKER_PROVIDER_MIRROR to one" >&2
  fi
  exit "$status"
}
