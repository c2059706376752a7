# Sourced by the other scripts: make the virtual environment exist (.venv, or
# the directory named by VENV), hold the packages of the requirements file
# given as $1, and be active. Reinstalls only when that file (or a file it
# includes) changed since the last install.
set -euo pipefail
requirements="$1"
venv="${VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "Creating the virtual environment in $venv ..."
  python3 -m venv "$venv"
fi
stamp="$venv/.installed-$(basename "$requirements")"
digest=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  echo "Installing $requirements ..."
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$digest" > "$stamp"
fi
# shellcheck disable=SC1091
source "$venv/bin/activate"
