"""Where the store lives when `stargazer` runs outside a checkout (docs/assets.md).

Issue 17, item 10: `assets ls` outside a checkout used to create `./.stargazer` wherever it
ran. The rule now: `$STARGAZER_HOME`; else `.stargazer/` in the nearest folder upwards with
`.git`, `pyproject.toml` or an existing store; else the per-user store
`$XDG_DATA_HOME/stargazer` (`~/.local/share/stargazer`), said once on stderr.
"""

import os
import subprocess
import sys
from pathlib import Path

STARGAZER = str(Path(sys.executable).with_name("stargazer"))
NOTICE = "warning: no workspace (.git or pyproject.toml) in {cwd} or above: using your per-user "


def _stargazer(*args: str, cwd: Path, home: Path, **env: str) -> subprocess.CompletedProcess:
    """Run `stargazer` as a user would, with its own HOME and no store chosen by environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("STARGAZER_HOME", "STARGAZER_STORE", "XDG_DATA_HOME")
    }
    return subprocess.run(
        [STARGAZER, *args],
        cwd=cwd,
        env={**clean, "HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    elsewhere = tmp_path / "downloads"
    elsewhere.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    return elsewhere, home


def test_assets_ls_outside_a_workspace_creates_no_store_and_says_which_it_reads(tmp_path):
    elsewhere, home = _folders(tmp_path)
    result = _stargazer("assets", "ls", cwd=elsewhere, home=home)
    assert result.returncode == 0, result.stderr
    store = home / ".local" / "share" / "stargazer"
    notice = NOTICE.format(cwd=elsewhere) + f"store {store} (set STARGAZER_HOME to choose another)"
    assert result.stderr.splitlines().count(notice) == 1, result.stderr
    assert list(elsewhere.iterdir()) == []  # no ./.stargazer
    assert not store.exists()  # a read-only command creates no store anywhere


def test_assets_add_outside_a_workspace_goes_to_the_per_user_store(tmp_path):
    elsewhere, home = _folders(tmp_path)
    data = tmp_path / "xdg-data"
    fasta = elsewhere / "ref.fa"
    fasta.write_text(">chr1\nACGTACGTAC\n")
    added = _stargazer(
        "assets", "add", str(fasta), "--type", "reference", "--meta", "build=mine",
        cwd=elsewhere, home=home, XDG_DATA_HOME=str(data),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    asset_id = added.stdout.strip().splitlines()[-1]
    store = data / "stargazer"
    assert (store / "manifests" / f"{asset_id}.json").is_file()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["ref.fa"]  # no ./.stargazer
    assert added.stderr.count("using your per-user store") == 1  # said once per command
    assert f"store {store} (set STARGAZER_HOME" in added.stderr

    # Any other folder outside a workspace finds the same store.
    other = tmp_path / "other"
    other.mkdir()
    listed = _stargazer("assets", "ls", cwd=other, home=home, XDG_DATA_HOME=str(data))
    assert listed.returncode == 0, listed.stderr
    assert asset_id in listed.stdout


def test_an_existing_store_in_a_parent_folder_is_still_used(tmp_path):
    """A `.stargazer/` made before the rule (outside any checkout) is found, not abandoned."""
    project, home = _folders(tmp_path)
    fasta = project / "ref.fa"
    fasta.write_text(">chr1\nACGTACGTAC\n")
    added = _stargazer(
        "assets", "add", str(fasta), "--type", "reference", "--meta", "build=old",
        cwd=project, home=home, STARGAZER_HOME=str(project / ".stargazer"),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    asset_id = added.stdout.strip().splitlines()[-1]
    (project / "sub").mkdir()
    listed = _stargazer("assets", "ls", cwd=project / "sub", home=home)
    assert listed.returncode == 0, listed.stderr
    assert asset_id in listed.stdout
    assert "per-user store" not in listed.stderr
    assert not (home / ".local" / "share" / "stargazer").exists()
