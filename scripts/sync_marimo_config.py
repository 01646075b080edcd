"""Copy `marimo.toml` into `[tool.marimo]` of `pyproject.toml`, where marimo reads it.

marimo 0.25 reads project settings from `[tool.marimo]` in the nearest `pyproject.toml` and
user settings from `.marimo.toml` / `~/.config/marimo/marimo.toml`, never from a file called
`marimo.toml` in a project. `marimo.toml` stays the one file people edit; this script writes
its tables, with their names prefixed by `tool.marimo.`, between two marker lines at the end
of `pyproject.toml`, and checks that both parse to the same settings.

    python scripts/sync_marimo_config.py          # rewrite the block if it is stale
    python scripts/sync_marimo_config.py --check  # exit 1 if it is stale (CI, pre-commit)
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "# --- [tool.marimo]: generated from marimo.toml by scripts/sync_marimo_config.py ---"
END = "# --- end of [tool.marimo] (edit marimo.toml, then run the script) ---"
HEADER = re.compile(r"^(\[\[?)([^\]]+)(\]\]?)\s*$")


def render(marimo_toml: str) -> str:
    """The `[tool.marimo]` block for a `marimo.toml` text, between the marker lines.

    Comment lines outside strings are dropped; table headers are prefixed with `tool.marimo.`;
    everything else (including multi-line strings) is copied as written.
    """
    lines = []
    in_string = False
    for line in marimo_toml.splitlines():
        if not in_string:
            if line.startswith("#"):
                continue
            match = HEADER.match(line)
            if match:
                line = f"{match.group(1)}tool.marimo.{match.group(2).strip()}{match.group(3)}"
        if line.count('"""') % 2 == 1:
            in_string = not in_string
        lines.append(line)
    body = "\n".join(lines).strip("\n")
    block = f"{BEGIN}\n{body}\n{END}\n"
    expected = tomllib.loads(marimo_toml)
    got = tomllib.loads(block).get("tool", {}).get("marimo")
    if got != expected:
        raise ValueError(
            "marimo.toml did not translate to the same [tool.marimo] settings; keep its tables "
            "as plain `[name]` headers at the start of a line"
        )
    return block


def updated(pyproject: str, block: str) -> str:
    """`pyproject.toml` text with the generated block replaced (or appended at the end)."""
    if BEGIN in pyproject and END in pyproject:
        start = pyproject.index(BEGIN)
        end = pyproject.index(END) + len(END)
        return pyproject[:start] + block.rstrip("\n") + pyproject[end:]
    return pyproject.rstrip("\n") + "\n\n" + block


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with --check, verify) the generated block; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail instead of rewriting")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: this)")
    args = parser.parse_args(argv)
    source = args.root / "marimo.toml"
    target = args.root / "pyproject.toml"
    block = render(source.read_text(encoding="utf-8"))
    current = target.read_text(encoding="utf-8")
    new = updated(current, block)
    if new == current:
        return 0
    if args.check:
        print(
            f"{target}: [tool.marimo] is out of date with {source}; "
            "run `.venv/bin/python scripts/sync_marimo_config.py`",
            file=sys.stderr,
        )
        return 1
    target.write_text(new, encoding="utf-8")
    print(f"{target}: [tool.marimo] updated from {source}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
