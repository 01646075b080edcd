import re
from datetime import datetime

import pytest

from stargazer.demo.germline import GermlineSpec, generate
from stargazer.types import Reads, Reference, assemble
from stargazer.utils import asset_label, label_of, labels_of, picker_options


@pytest.fixture
def three_reads(workspace):
    """Three registrations of one sample (different bytes), oldest first."""
    made = []
    for seed in (1, 2, 3):
        demo = generate(GermlineSpec(size=10_000, coverage=2, seed=seed), workspace / f"d{seed}")
        (r1, r2) = demo.reads["sample1"]
        made.append(Reads.create_sync(r1, companions={"r2": r2}, sample_id="NA12878"))
    return made


def test_labels_are_distinct_readable_and_newest_first(three_reads):
    options = picker_options(assemble(kind="reads"))
    labels = list(options)
    assert len(set(labels)) == 3
    assert [a.id for a in options.values()] == [a.id for a in reversed(three_reads)]
    for label, asset in options.items():
        # "NA12878 · paired reads · 2026-11-29 23:52 · #1a2b3c4d"
        assert re.fullmatch(
            r"NA12878 · paired reads · \d{4}-\d\d-\d\d \d\d:\d\d · #[0-9a-f]{8}", label
        )
        assert asset.id.split("-")[1].startswith(label.rpartition("#")[2])


def test_reference_label_names_its_build(workspace):
    demo = generate(GermlineSpec(size=10_000, coverage=2, seed=5), workspace / "d")
    reference = Reference.create_sync(demo.reference, build="GRCh38")
    assert asset_label(reference).startswith("reference GRCh38 · ")


def test_same_minute_same_description_differ_only_by_id(three_reads):
    # same description and time: the short id alone tells them apart
    same = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    a, b = three_reads[:2]
    assert asset_label(a, same, 8) != asset_label(b, same, 8)  # real ids differ early
    assert asset_label(a, same, 1)[:-1] == asset_label(b, same, 1)[:-1]  # only the id differs


def test_selection_is_found_again_after_another_registration(three_reads, workspace):
    chosen = three_reads[0]
    before = picker_options(assemble(kind="reads"))
    kept = label_of(before, chosen.id)
    demo = generate(GermlineSpec(size=10_000, coverage=2, seed=9), workspace / "d9")
    Reads.create_sync(
        demo.reads["sample1"][0], companions={"r2": demo.reads["sample1"][1]}, sample_id="NA12878"
    )
    after = picker_options(assemble(kind="reads"))
    assert len(after) == 4
    assert label_of(after, chosen.id) == kept
    assert after[kept].id == chosen.id
    assert labels_of(after, [chosen.id, "reads-missing"]) == [kept]
    assert label_of(after, None) is None
