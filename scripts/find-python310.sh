#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.8-3.10 only).
# Looks at $PYTHON310, python3.10 on PATH, pyenv's versions, then the usual prefixes.
set -u

is_python310() {
    [ -n "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1
}

candidates=("${PYTHON310:-}" "$(command -v python3.10 2>/dev/null || true)")
if command -v pyenv >/dev/null 2>&1; then
    pyenv_root=$(pyenv root 2>/dev/null || true)
    [ -n "$pyenv_root" ] && candidates+=("$pyenv_root"/versions/3.10*/bin/python3.10)
fi
candidates+=("$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10)

for candidate in "${candidates[@]}"; do
    if is_python310 "$candidate"; then
        echo "$candidate"
        exit 0
    fi
done

cat >&2 <<'MSG'
No Python 3.10 found. Rasa 3.6 needs Python 3.8-3.10.
Install one, then run make again, for example:
  pyenv install 3.10        (with pyenv)
  apt-get install python3.10 python3.10-venv   (Debian/Ubuntu, where packaged)
Or point PYTHON310 at an interpreter: make run PYTHON310=/path/to/python3.10
MSG
exit 1
