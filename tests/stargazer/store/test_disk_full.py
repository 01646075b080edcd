"""A full disk at every step of `assets add`: nothing half-registered, a clear message.

The store lives on a small tmpfs mounted in a private mount namespace (`unshare`), filled up
to leave 0, 1, 2, ... pages free, so the add runs out of space at a different write each time
(the object, the manifest, the index). After space is freed, every add either is complete and
listed, or left nothing visible.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SCENARIO = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from click.testing import CliRunner
    from stargazer.cli.main import cli

    disk = Path(sys.argv[1])
    os.environ["STARGAZER_HOME"] = str(disk / "store")
    os.environ["STARGAZER_INGEST"] = "copy"
    run = lambda *a: CliRunner().invoke(cli, ["assets", *a])
    sources = []
    for k in range(24):
        source = disk / "in" / f"t{k}.tsv"
        source.parent.mkdir(exist_ok=True)
        source.write_text(f"key\\tvalue\\nrow\\t{k}\\n" + "pad\\t" + "x" * 3000 + "\\n")
        sources.append(source)
    first = run("add", str(sources[0]), "--type", "table")
    assert first.exit_code == 0, first.output
    results = []
    filler = disk / "filler"
    for k, source in enumerate(sources[1:]):
        filler.unlink(missing_ok=True)
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            while True:
                os.write(fd, bytes(4096))
        except OSError:
            os.close(fd)
        os.truncate(filler, max(0, filler.stat().st_size - (k // 2) * 4096))
        added = run("add", str(source), "--type", "table")
        results.append([str(source), added.exit_code, added.output])
    filler.unlink()
    listing = run("ls", "--json")
    print(json.dumps({"results": results, "ls": listing.output, "ls_exit": listing.exit_code,
                      "verify": run("verify").exit_code}))
    """
)


@pytest.mark.timeout(180)
def test_full_disk_at_every_step_leaves_complete_assets_or_nothing(tmp_path, subprocess_env):
    disk = tmp_path / "disk"
    disk.mkdir()
    script = f'mount -t tmpfs -o size=512k tmpfs {disk} && exec {sys.executable} -c "$0" {disk}'
    result = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, SCENARIO],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["ls_exit"] == 0 and report["verify"] == 0
    listed = {primary_name(m) for m in json.loads(report["ls"])}
    failures = 0
    for source, code, output in report["results"]:
        assert "Traceback" not in output and "sqlite3." not in output, output
        name = source.rsplit("/", 1)[-1]
        if code == 0:
            assert name in listed, f"{name}: add said saved, but it is not listed"
        else:
            failures += 1
            assert "no space left on the device of" in output and "nothing was" in output, output
            assert name not in listed, f"{name}: add failed, yet the asset is visible"
    assert failures > 0, "the disk never filled up: the test did not test anything"


def primary_name(manifest: dict) -> str:
    """The primary file name of a manifest."""
    return manifest["names"]["primary"]
