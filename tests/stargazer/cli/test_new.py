import pytest
from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.cli.new import packaged_template
from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

TEMPLATE = REPO_ROOT / "notebooks" / "scratch" / "template.py"


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A folder with notebooks/scratch/template.py, as the cwd."""
    (tmp_path / "notebooks" / "scratch").mkdir(parents=True)
    (tmp_path / "notebooks" / "scratch" / "template.py").write_text(TEMPLATE.read_text())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_new_creates_the_notebook_from_the_template_and_says_how_to_open_it(checkout):
    result = CliRunner().invoke(cli, ["new", "scratch/coverage_qc"])
    assert result.exit_code == 0, result.output
    created = checkout / "notebooks" / "scratch" / "coverage_qc.py"
    assert "# Scratch notebook: coverage_qc" in created.read_text()
    assert created.read_text().replace("coverage_qc", "template") == TEMPLATE.read_text()
    assert f"stargazer note {created}" not in result.output  # no second server (issue 17)
    assert "Start one with `make note` (or `stargazer note`)" in result.output
    assert f"Run it as a script with:  python {created}" in result.output


def test_new_refuses_to_overwrite(checkout):
    existing = checkout / "notebooks" / "scratch" / "mine.py"
    existing.write_text("my work")
    result = CliRunner().invoke(cli, ["new", "scratch/mine"])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert existing.read_text() == "my work"


@pytest.mark.parametrize(
    ("target", "message"),
    [("tutorials/x", "use scratch/NAME"), ("scratch/", "use scratch/NAME"), ("scratch/9x", "bad")],
)
def test_new_refuses_bad_targets(checkout, target, message):
    result = CliRunner().invoke(cli, ["new", target])
    assert result.exit_code == 1
    assert message in result.output


def test_new_uses_the_packaged_template_outside_a_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["new", "scratch/x"])
    assert result.exit_code == 0, result.output
    assert "# Scratch notebook: x" in (tmp_path / "notebooks" / "scratch" / "x.py").read_text()


def test_packaged_template_is_the_notebooks_template():
    assert packaged_template() == TEMPLATE.read_text()
