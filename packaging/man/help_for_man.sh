#!/bin/sh
# help2man runs this as `sh help_for_man.sh BINARY NAME --help`: it prints the --help of the built
# BINARY as the man page of NAME should show it. What the build machine would put there is written
# as what it means: the build directory goes, the runtime and cache directories read
# $XDG_RUNTIME_DIR and $XDG_CACHE_HOME, and --workers (the machine's cores) shows no number.
# For ssrd, the options of `ssrd snapshot` follow as a section of their own.
set -eu
binary=$1
name=$2
bindir=$(dirname "$binary")
for variable in $(env | sed -n 's/^\(SSRD_[A-Z0-9_]*\)=.*/\1/p'); do unset "$variable"; done
# Marker values, turned back into the variables' names below.
export XDG_RUNTIME_DIR=/XDG_RUNTIME_DIR XDG_CACHE_HOME=/XDG_CACHE_HOME
{
  "$binary" --help
  if [ "$name" = ssrd ]; then
    printf '\nThe snapshot command, ssrd snapshot [OPTIONS] bundle:\n'
    # Its option lines only: the usage line is the heading above, --help is said once.
    "$binary" snapshot --help | grep -e '^  ' | grep -v -e '--help'
  fi
} | sed -e "s|$bindir/||g" \
        -e 's|/XDG_RUNTIME_DIR|$XDG_RUNTIME_DIR|g' -e 's|/XDG_CACHE_HOME|$XDG_CACHE_HOME|g' \
        -e 's/=[0-9][0-9]* (Env:SSRD_WORKERS)/ (Env:SSRD_WORKERS)/'
