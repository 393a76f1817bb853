# Shared by scripts/run and scripts/test. Sourced, not run.

# Everything the build, the tests and the demo need, in one place.
PACKAGES=(
        gcc libc6-dev pkg-config meson ninja-build python3 binutils
        libsystemd-dev libgetdns-dev libcmocka-dev libpcre2-dev
        unbound nsd iproute2 util-linux
        dbus python3-gi gir1.2-glib-2.0 systemd
        scdoc libdbus-1-dev bash-completion strace man-db valgrind
        prometheus-node-exporter
)

# Only for scripts/test: a mail server to read the configuration of and to
# receive from (Postfix), the SpamAssassin and Rspamd engines the predictions are
# checked against, Cockpit and Chromium for the page's browser test,
# debhelper and lintian for the Debian packages, systemd-nspawn to boot
# them in a container (and acl, which the package depends on), and the libraries of the
# exim4 binary ensure_exim extracts. Never installed by scripts/run: on a host running Exim,
# installing Postfix would replace it.
TEST_PACKAGES=(
        postfix spamassassin rspamd
        cockpit-ws cockpit-bridge cockpit-system chromium
        build-essential debhelper dpkg-dev lintian
        systemd-container acl
        libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0 libnsl2 libpcre2-8-0 libcrypt1
)

# promtool, taken out of Debian's prometheus package rather than installing
# it (which brings the web UI and starts a server).
PROMTOOL_ROOT=/var/cache/ptrwatch-tests/prometheus
PROMTOOL=$PROMTOOL_ROOT/usr/bin/promtool

die() {
        echo "$*" >&2
        exit 1
}

need_root() {
        [ "$(id -u)" = 0 ] || die "$1 must run as root (it installs packages and uses network namespaces)."
}

# Install the packages that are missing, without starting their services:
# unbound and nsd are test tools here, not this host's DNS.
# ensure_packages [PACKAGE...]: PACKAGES and those.
ensure_packages() {
        local missing=() p
        for p in "${PACKAGES[@]}" "$@"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        echo "Installing: ${missing[*]}"
        local policy=/usr/sbin/policy-rc.d made_policy=
        if [ ! -e "$policy" ]; then
                printf '#!/bin/sh\nexit 101\n' > "$policy"
                chmod 755 "$policy"
                made_policy=1
        fi
        local rc=0
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                "${missing[@]}" >/dev/null || rc=$?
        [ -n "$made_policy" ] && rm -f "$policy"
        [ $rc -eq 0 ] || die "apt-get install failed ($rc)"
}

ensure_promtool() {
        [ -x "$PROMTOOL" ] && return 0
        local tmp rc=0
        tmp=$(mktemp -d)
        echo "Extracting promtool from Debian's prometheus package"
        ( cd "$tmp" && { apt-get download -qq prometheus 2>/dev/null ||
                         { apt-get update -qq && apt-get download -qq prometheus; }; } ) &&
                mkdir -p "$PROMTOOL_ROOT" && dpkg-deb -x "$tmp"/prometheus_*.deb "$PROMTOOL_ROOT" || rc=$?
        rm -rf "$tmp"
        [ $rc -eq 0 ] && [ -x "$PROMTOOL" ] || die "could not get promtool ($rc)"
}

# Exim's binary, taken out of Debian's exim4-daemon-light rather than
# installing it: it conflicts with postfix (both are the system's MTA), and
# the tests need Postfix installed. Its libraries are in PACKAGES.
EXIM_ROOT=/var/cache/ptrwatch-tests/exim4
EXIM_DIR=$EXIM_ROOT/usr/sbin

ensure_exim() {
        [ -x "$EXIM_DIR/exim4" ] && return 0
        local tmp rc=0
        tmp=$(mktemp -d)
        echo "Extracting exim4 from Debian's exim4-daemon-light package"
        ( cd "$tmp" && { apt-get download -qq exim4-daemon-light 2>/dev/null ||
                         { apt-get update -qq && apt-get download -qq exim4-daemon-light; }; } ) &&
                mkdir -p "$EXIM_ROOT" && dpkg-deb -x "$tmp"/exim4-daemon-light_*.deb "$EXIM_ROOT" || rc=$?
        rm -rf "$tmp"
        [ $rc -eq 0 ] && [ -x "$EXIM_DIR/exim4" ] || die "could not get exim4 ($rc)"
}

# meson setup DIR [OPTIONS...], reconfiguring an existing build directory.
setup_build() {
        local dir=$1
        shift
        if [ -d "$dir/meson-private" ]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@" >/dev/null
        fi
}
