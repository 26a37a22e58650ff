#!/bin/sh
# Installs ceauth from the folder this script is in (a release's dist/): the binary, the man page
# and the shell completions under a prefix, after checking every file against SHA256SUMS (and
# SHA256SUMS.minisig with minisign, when both are there). A mismatch installs nothing.
#   sh install.sh [--prefix DIR]              default /usr/local
#   sh install.sh --uninstall [--prefix DIR]  removes exactly what it installed
#   sh install.sh --public-key FILE           check the signature with this minisign key instead of the project's
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=/usr/local
uninstall=false
key=""
# The project's minisign public key (minisign.pub in the repository), written in by Scripts/package.
project_key='@PUBLIC_KEY@'

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 64; }; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --public-key) [ $# -ge 2 ] || { echo "install.sh: --public-key needs a file" >&2; exit 64; }; key=$2; shift 2 ;;
        --uninstall) uninstall=true; shift ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done
manifest="$prefix/share/ceauth/installed-files"

if $uninstall; then
    [ -f "$manifest" ] || { echo "install.sh: nothing installed by install.sh under $prefix ($manifest is missing)" >&2; exit 1; }
    while IFS= read -r file; do rm -f "$prefix/$file"; done < "$manifest"
    rm -f "$manifest"
    # Folders this script made, if they are empty now.
    for folder in share/ceauth share/fish/vendor_completions.d share/fish share/zsh/site-functions share/zsh \
                  share/bash-completion/completions share/bash-completion share/man/man1 share/man share bin; do
        rmdir "$prefix/$folder" 2>/dev/null || true
    done
    echo "install.sh: removed ceauth from $prefix"
    exit 0
fi

cd "$here"
[ -f SHA256SUMS ] || { echo "install.sh: SHA256SUMS is missing beside install.sh; nothing installed" >&2; exit 1; }
if [ -f SHA256SUMS.minisig ] && command -v minisign >/dev/null 2>&1; then
    if [ -n "$key" ]; then
        [ -f "$key" ] || { echo "install.sh: no public key file $key; nothing installed" >&2; exit 1; }
        minisign -V -q -p "$key" -m SHA256SUMS || { echo "install.sh: the signature of SHA256SUMS does not verify with $key; nothing installed" >&2; exit 1; }
    else
        minisign -V -q -P "$project_key" -m SHA256SUMS || { echo "install.sh: the signature of SHA256SUMS does not verify with the project's key; nothing installed" >&2; exit 1; }
    fi
    echo "install.sh: SHA256SUMS signature verified"
elif [ -f SHA256SUMS.minisig ]; then
    echo "install.sh: SHA256SUMS is signed, but minisign is not installed, so only the checksums are checked (apt install minisign)" >&2
fi
for file in ceauth ceauth.1; do
    grep -q "  $file\$" SHA256SUMS || { echo "install.sh: SHA256SUMS does not list $file; nothing installed" >&2; exit 1; }
done
if ! bad=$(sha256sum -c SHA256SUMS 2>/dev/null | grep -v ': OK$'); then bad=""; fi
if [ -n "$bad" ]; then
    echo "install.sh: these files do not match SHA256SUMS; nothing installed:" >&2
    echo "$bad" | sed 's/^/  /' >&2
    exit 1
fi

staged=$(mktemp -d)
trap 'rm -rf "$staged"' EXIT
./ceauth --generate-completion-script bash > "$staged/bash"
./ceauth --generate-completion-script zsh > "$staged/zsh"
./ceauth --generate-completion-script fish > "$staged/fish"
gzip -9n < ceauth.1 > "$staged/ceauth.1.gz"
install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
    "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d" "$prefix/share/ceauth"
install -m 0755 ceauth "$prefix/bin/ceauth"
install -m 0644 "$staged/ceauth.1.gz" "$prefix/share/man/man1/ceauth.1.gz"
install -m 0644 "$staged/bash" "$prefix/share/bash-completion/completions/ceauth"
install -m 0644 "$staged/zsh" "$prefix/share/zsh/site-functions/_ceauth"
install -m 0644 "$staged/fish" "$prefix/share/fish/vendor_completions.d/ceauth.fish"
printf '%s\n' bin/ceauth share/man/man1/ceauth.1.gz share/bash-completion/completions/ceauth \
    share/zsh/site-functions/_ceauth share/fish/vendor_completions.d/ceauth.fish > "$manifest"
echo "install.sh: installed ceauth $("$prefix/bin/ceauth" --version) under $prefix"
