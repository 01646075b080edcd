"""Germline benchmark: accuracy against planted truth, speed against the plain tools, scale.

In one run, on demo data generated here (deterministic seeds, deleted afterwards):

1. **Accuracy** on 1 Mb at 30x, ``easy`` and ``hard``: the `germline_variants` workflow and
   the plain command-line pipeline, each scored against the truth VCF (precision, recall, F1
   for SNVs and indels, matched at genotype level after ``bcftools norm``), the workflow both
   for its PASS calls and for all calls. Goals: easy SNV F1 >= 0.998 and indel F1 >= 0.99;
   hard: F1 >= the plain pipeline's + 0.02 (SNV and indel).
2. **Speed** on 5 Mb at 30x (easy), same data, 2 threads each: the workflow through
   ``flyte.run`` with a cold cache against Debian's ``bwa mem | samtools fixmate -m |
   samtools sort``, ``samtools markdup``, ``samtools index``, ``bcftools mpileup | bcftools
   call -mv``, run one after the other in this process's run. Per-step times come from
   Flyte's local run history (a step is the span of its task calls; ``mark_duplicates`` is
   the region shards, while ``gather_alignment`` and ``alignment_qc`` run beside the calls
   and are listed on their own). Goals: align and markdup <= 1.0x, total <= 0.9x. Then the
   same workflow sharded (2 read chunks, 4 regions) in a fresh workspace: on 2 cores no
   slower than unsharded. **Warm cache**: a re-run.
3. **Scale** on 2 Mb at 30x: for N shards (1, 2, 4, 8) each shard's step (split, align a
   chunk, mark duplicates in a region, call a region; gather, join) runs alone in its own
   process with 2 threads, as a pod would; from their CPU and wall seconds: total CPU, the
   critical path (serial steps + the slowest shard of each fan-out; the gather runs beside
   the calls) and the speed-up N workers give. Goal: at 8 shards the critical path is
   <= 1/4 of the total CPU time.

The Debian tools are installed with apt-get when missing (``apt-get install bwa samtools
bcftools``). Writes benchmarks/results/germline.json. Run with
``.venv/bin/python benchmarks/germline.py`` (``--quick`` for smaller sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "germline.json"
THREADS = 2
DEBIAN_TOOLS = {"bwa": "bwa", "samtools": "samtools", "bcftools": "bcftools"}

RUN_SCRIPT = """
import json, sys, time
started = time.perf_counter()
import flyte
from stargazer.types import Asset
from stargazer.workflows import germline_variants
flyte.init_from_config()
options = json.loads(sys.argv[1])
reference = Asset.load(sys.argv[2])
samples = [Asset.load(i) for i in sys.argv[3:]]
began = time.perf_counter()
variants = flyte.run(
    germline_variants, reference=reference, samples=samples, **options
).outputs()[0]
done = time.perf_counter()
print(json.dumps({"id": variants.id, "path": str(variants.path), "run_seconds": done - began,
                  "process_seconds": done - started}))
"""


def ensure_debian_tools() -> dict[str, str]:
    """Install bwa, samtools and bcftools from Debian if missing; return their versions."""
    missing = [pkg for tool, pkg in DEBIAN_TOOLS.items() if shutil.which(tool) is None]
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", *missing], check=True, env=env)
    bwa = subprocess.run(["bwa"], capture_output=True, text=True, errors="replace").stderr
    version = next(
        (line.split(":", 1)[1].strip() for line in bwa.splitlines() if "Version" in line), ""
    )
    samtools = subprocess.run(
        ["samtools", "--version"], capture_output=True, text=True, errors="replace"
    ).stdout
    bcftools = subprocess.run(
        ["bcftools", "--version"], capture_output=True, text=True, errors="replace"
    ).stdout
    return {
        "bwa": version,
        "samtools": samtools.splitlines()[0].split()[-1],
        "bcftools": bcftools.splitlines()[0].split()[-1],
    }


def workspace(root: Path) -> dict[str, str]:
    """A scratch workspace (Flyte config + store) under root; returns the environment."""
    (root / ".flyte").mkdir(parents=True)
    shutil.copy(REPO / ".flyte" / "config.yaml", root / ".flyte" / "config.yaml")
    env = dict(os.environ, STARGAZER_HOME=str(root / ".stargazer"))
    env.pop("STARGAZER_STORE", None)
    return env


def register(root: Path, env: dict[str, str], demo) -> tuple[str, list[str], str]:
    """Register the demo's files in the workspace's store (in a child, for its STARGAZER_HOME)."""
    script = (
        "import json, sys\n"
        "from stargazer.types import Reads, Reference, Variants\n"
        "ref, truth, *reads = sys.argv[1:]\n"
        "r = Reference.create_sync(ref, build='demo')\n"
        "ids = []\n"
        "for item in reads:\n"
        "    sample, r1, r2 = item.split(',')\n"
        "    ids.append(Reads.create_sync(r1, companions={'r2': r2}, sample_id=sample).id)\n"
        "t = Variants.create_sync(truth, companions={'tbi': truth + '.tbi'}, caller='truth')\n"
        "print(json.dumps([r.id, ids, t.id]))\n"
    )
    reads = [f"{s},{r1},{r2}" for s, (r1, r2) in demo.reads.items()]
    out = subprocess.run(
        [sys.executable, "-c", script, str(demo.reference), str(demo.truth), *reads],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    reference, samples, truth = json.loads(out.stdout.strip().splitlines()[-1])
    return reference, samples, truth


def run_workflow(
    root: Path, env: dict[str, str], reference: str, samples: list[str], **options: int
) -> dict:
    """Run germline_variants in a new process; returns ids, path and timings."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", RUN_SCRIPT, json.dumps(options), reference, *samples],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"workflow failed:\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    return result


#: Workflow steps as the plain pipeline has them, by the tasks that make them up.
STEPS = {
    "prepare_reference": ("prepare_reference",),
    "align": ("split_reads", "align"),
    "mark_duplicates": ("mark_duplicates_region",),
    "gather_alignment": ("gather_alignment",),
    "call_variants": ("call_region", "join_calls"),
    "alignment_qc": ("alignment_qc",),
    "germline_variants": ("germline_variants",),
}


def task_times(root: Path) -> dict[str, float]:
    """Seconds per step of the latest workflow run (the span of its task calls).

    From Flyte's local run history; a step's tasks run one after the other or side by side
    (shards), so its time is from the first start to the last end.
    """
    database = root / ".flyte" / "local-cache" / "cache.db"
    with sqlite3.connect(database) as connection:
        (run,) = connection.execute(
            "select run_name from runs order by start_time desc limit 1"
        ).fetchone()
        rows = connection.execute(
            "select task_name, start_time, end_time from runs where run_name = ?", (run,)
        ).fetchall()
    spans: dict[str, tuple[float, float]] = {}
    for task, start, end in rows:
        name = task.split(".")[-1]
        step = next((s for s, tasks in STEPS.items() if name in tasks), name)
        if start and end:
            low, high = spans.get(step, (start, end))
            spans[step] = (min(low, start), max(high, end))
    return {step: high - low for step, (low, high) in spans.items()}


def shell(command: str, cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def plain_pipeline(folder: Path, demo) -> tuple[dict[str, float], Path]:
    """Debian's bwa/samtools/bcftools on the demo data; returns step times and the VCF."""
    work = folder / "plain"
    work.mkdir()
    shutil.copy(demo.reference, work / "ref.fa")
    t = THREADS
    steps: dict[str, float] = {}
    steps["prepare_reference"] = shell(
        "bwa index ref.fa && samtools faidx ref.fa && samtools dict -o ref.dict ref.fa", work
    )
    bams = []
    align = markdup = 0.0
    for sample, (r1, r2) in demo.reads.items():
        group = f"@RG\\tID:{sample}\\tSM:{sample}\\tPL:ILLUMINA"
        align += shell(
            f"bwa mem -t {t} -R '{group}' ref.fa {r1} {r2} | samtools fixmate -m - - "
            f"| samtools sort -@ {t} -o {sample}.sorted.bam -",
            work,
        )
        markdup += shell(
            f"samtools markdup -@ {t} {sample}.sorted.bam {sample}.bam "
            f"&& samtools index -@ {t} {sample}.bam",
            work,
        )
        bams.append(f"{sample}.bam")
    steps["align"], steps["mark_duplicates"] = align, markdup
    steps["call_variants"] = shell(
        f"bcftools mpileup -f ref.fa -a FORMAT/AD,FORMAT/DP {' '.join(bams)} "
        f"| bcftools call -mv -Oz -o calls.vcf.gz && bcftools index -t calls.vcf.gz",
        work,
    )
    return steps, work / "calls.vcf.gz"


def accuracy(calls: Path, truth: Path, reference: Path, pass_only: bool = False) -> dict:
    from stargazer.tasks.variants.accuracy import score_vcf

    report = score_vcf(calls, truth, reference, pass_only=pass_only)
    return {kind: report[kind] for kind in ("snv", "indel")}


def accuracy_case(folder: Path, size: int, difficulty: str, seed: int) -> dict:
    from stargazer.demo.germline import GermlineSpec, generate
    from stargazer.tasks.general.samtools import faidx

    case = folder / f"accuracy-{difficulty}"
    demo = generate(
        GermlineSpec(size=size, coverage=30, difficulty=difficulty, seed=seed), case / "data"
    )
    faidx(demo.reference)
    env = workspace(case / "ws")
    reference, samples, _truth = register(case / "ws", env, demo)
    result = run_workflow(case / "ws", env, reference, samples)
    _, plain_vcf = plain_pipeline(case, demo)
    return {
        "size": size,
        "coverage": 30,
        "difficulty": difficulty,
        "seed": seed,
        "planted": demo.summary(),
        "workflow": accuracy(Path(result["path"]), demo.truth, demo.reference),
        "workflow_pass": accuracy(Path(result["path"]), demo.truth, demo.reference, True),
        "plain": accuracy(plain_vcf, demo.truth, demo.reference),
    }


def speed_case(folder: Path, size: int, seed: int) -> dict:
    from stargazer.demo.germline import GermlineSpec, generate

    case = folder / "speed"
    started = time.perf_counter()
    demo = generate(GermlineSpec(size=size, coverage=30, seed=seed), case / "data")
    generate_seconds = time.perf_counter() - started
    env = workspace(case / "ws")
    started = time.perf_counter()
    reference, samples, _truth = register(case / "ws", env, demo)
    register_seconds = time.perf_counter() - started
    cold = run_workflow(case / "ws", env, reference, samples)
    steps = task_times(case / "ws")
    plain_steps, _ = plain_pipeline(case, demo)
    warm = run_workflow(case / "ws", env, reference, samples)
    # the same data sharded (2 read chunks, 4 calling regions), in a fresh workspace
    pairs = sum(1 for _ in open_fastq(demo.reads["sample1"][0]))
    shard_env = workspace(case / "ws-sharded")
    reference2, samples2, _ = register(case / "ws-sharded", shard_env, demo)
    sharded = run_workflow(
        case / "ws-sharded",
        shard_env,
        reference2,
        samples2,
        reads_per_chunk=-(-pairs // 2),
        region_size=-(-size // 4),
    )
    sharded_steps = task_times(case / "ws-sharded")
    plain_total = sum(plain_steps.values())
    return {
        "size": size,
        "coverage": 30,
        "threads": THREADS,
        "pairs": pairs,
        "generate_seconds": round(generate_seconds, 2),
        "register_seconds": round(register_seconds, 2),
        "workflow_seconds": round(cold["run_seconds"], 2),
        "workflow_steps": {k: round(v, 2) for k, v in steps.items()},
        "plain_seconds": round(plain_total, 2),
        "plain_steps": {k: round(v, 2) for k, v in plain_steps.items()},
        "ratio": round(cold["run_seconds"] / plain_total, 3),
        "step_ratios": {
            k: round(steps[k] / v, 3) for k, v in plain_steps.items() if steps.get(k) and v
        },
        "sharded": {
            "read_chunks": 2,
            "regions": 4,
            "workflow_seconds": round(sharded["run_seconds"], 2),
            "workflow_steps": {k: round(v, 2) for k, v in sharded_steps.items()},
            "ratio_to_unsharded": round(sharded["run_seconds"] / cold["run_seconds"], 3),
        },
        "warm_run_seconds": round(warm["run_seconds"], 3),
        "warm_process_seconds": round(warm["wall_seconds"], 3),
        "same_result_when_warm": warm["id"] == cold["id"],
    }


def open_fastq(path: Path):
    import pysam

    with pysam.FastxFile(str(path)) as handle:
        yield from handle


STEP_SCRIPT = """
import json, sys
from pathlib import Path
step, args = sys.argv[1], json.loads(sys.argv[2])
if step == "split":
    from stargazer.tasks.general.bwa_reads import split_pairs
    split_pairs(args["r1"], args["r2"], args["reads"], args["out"])
elif step == "align":
    from stargazer.tasks.general.bwa_align import align_reads
    align_reads(args["ref"], args["r1"], args["r2"], args["out"], sample_id="s", threads=2,
                index=False)
elif step == "markdup":
    from stargazer.tasks.general.region_files import mark_region_files
    from stargazer.tasks.variants.calling import parse_regions
    mark_region_files(args["bams"], parse_regions(args["regions"]), args["out"],
                      Path(args["out"]).parent)
    pysam_index = __import__("pysam").samtools.index
    pysam_index(args["out"], catch_stdout=False)
elif step == "gather":
    from stargazer.tasks.general.region_files import gather_files
    gather_files(args["shards"], args["chunks"], args["out"])
    __import__("pysam").samtools.index("-@", "2", args["out"], catch_stdout=False)
elif step == "call":
    from stargazer.tasks.general.region_files import merge_window
    from stargazer.tasks.variants.calling import finish, parse_regions, start_part
    part = parse_regions(args["regions"])
    bam = args["bams"][0]
    if len(args["bams"]) > 1:
        bam = str(merge_window(args["bams"], part, Path(args["out"] + ".window.bam")))
    finish(start_part(Path(args["ref"]), part, Path(args["out"]), [bam]), [bam])
elif step == "join":
    from stargazer.tasks.variants.calling import join_parts
    join_parts(Path(args["ref"]), [Path(p) for p in args["parts"]], Path(args["out"]))
"""


def timed_step(step: str, **args: object) -> dict[str, float]:
    """Run one shard's step alone in its own process; its wall and CPU seconds."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", STEP_SCRIPT, step, json.dumps(args, default=str)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def scale_row(work: Path, demo, fasta: Path, shards: int, pairs: int) -> dict:
    """One row of the scale table: every shard of every step run alone, then summed up."""
    import pysam

    from stargazer.tasks.general.reference_checks import reference_contigs
    from stargazer.tasks.general.region_files import shards_reaching
    from stargazer.tasks.variants.calling import region_text, split_regions

    folder = work / f"n{shards}"
    folder.mkdir()
    r1, r2 = demo.reads["sample1"]
    serial: dict[str, dict[str, float]] = {}
    fanout: dict[str, list[dict[str, float]]] = {"align": [], "markdup": [], "call": []}
    if shards > 1:
        per_chunk = -(-pairs // shards)
        serial["split"] = timed_step("split", r1=r1, r2=r2, reads=per_chunk, out=folder)
        chunks = sorted(folder.glob("chunk*_R1.fastq.gz"))
        mates = [c.with_name(c.name.replace("_R1", "_R2")) for c in chunks]
    else:
        chunks, mates = [r1], [r2]
    bams = []
    for number, (one, two) in enumerate(zip(chunks, mates, strict=True)):
        bams.append(folder / f"chunk{number}.bam")
        fanout["align"].append(timed_step("align", ref=fasta, r1=one, r2=two, out=bams[-1]))
        pysam.samtools.index(str(bams[-1]), catch_stdout=False)
    parts = split_regions(reference_contigs(fasta), shards)
    shard_bams = [folder / f"shard{number}.bam" for number in range(len(parts))]
    for part, shard in zip(parts, shard_bams, strict=True):
        fanout["markdup"].append(
            timed_step("markdup", bams=bams, regions=region_text(part), out=shard)
        )
    gather = timed_step("gather", shards=shard_bams, chunks=bams, out=folder / "marked.bam")
    calls = []
    for number, part in enumerate(parts):
        calls.append(folder / f"part{number}.bcf")
        reaching = [shard_bams[i] for i in shards_reaching(parts, number)]
        fanout["call"].append(
            timed_step("call", ref=fasta, regions=region_text(part), out=calls[-1], bams=reaching)
        )
    serial["join"] = timed_step("join", ref=fasta, parts=calls, out=folder / "calls.vcf.gz")
    # the gather runs beside the calls; only the longer of the two is on the critical path
    beside = {"gather": gather["wall"], "slowest_call": max(s["wall"] for s in fanout["call"])}
    steps = [*serial.values(), gather, *(shard for name in fanout for shard in fanout[name])]
    one_worker = sum(step["wall"] for step in steps)
    critical = (
        sum(step["wall"] for step in serial.values())
        + max(shard["wall"] for shard in fanout["align"])
        + max(shard["wall"] for shard in fanout["markdup"])
        + max(beside.values())
    )
    total_cpu = sum(step["cpu"] for step in steps)
    return {
        "shards": shards,
        "total_cpu_seconds": round(total_cpu, 2),
        "one_worker_seconds": round(one_worker, 2),
        "critical_path_seconds": round(critical, 2),
        "speedup_with_n_workers": round(one_worker / critical, 2),
        "critical_path_over_total_cpu": round(critical / total_cpu, 3),
        "serial_seconds": {k: round(v["wall"], 2) for k, v in serial.items()},
        "gather_seconds_beside_calls": round(gather["wall"], 2),
        "align_shard_seconds": [round(s["wall"], 2) for s in fanout["align"]],
        "markdup_shard_seconds": [round(s["wall"], 2) for s in fanout["markdup"]],
        "call_shard_seconds": [round(s["wall"], 2) for s in fanout["call"]],
    }


def scale_case(folder: Path, size: int, seed: int, counts: tuple[int, ...]) -> dict:
    from stargazer.demo.germline import GermlineSpec, generate
    from stargazer.tasks.general.bwa_align import bwa_index
    from stargazer.tasks.general.samtools import faidx

    work = folder / "scale"
    demo = generate(GermlineSpec(size=size, coverage=30, seed=seed), work / "data")
    fasta = work / "ref.fa"
    shutil.copy(demo.reference, fasta)
    faidx(fasta)
    bwa_index(fasta)
    pairs = sum(1 for _ in open_fastq(demo.reads["sample1"][0]))
    rows = [scale_row(work, demo, fasta, n, pairs) for n in counts]
    one = rows[0]
    return {
        "size": size,
        "coverage": 30,
        "pairs": pairs,
        "threads_per_shard": THREADS,
        "rows": rows,
        "rates": {
            "align_pairs_per_second_per_shard": round(pairs / sum(one["align_shard_seconds"]), 1),
            "call_bp_per_second_per_shard": round(size / sum(one["call_shard_seconds"]), 1),
            "markdup_pairs_per_second_per_shard": round(
                pairs / sum(one["markdup_shard_seconds"]), 1
            ),
        },
    }


def table(results: dict) -> str:
    lines = ["accuracy (F1; precision/recall)   workflow all     workflow PASS    plain"]
    for case in results["accuracy"]:
        for kind in ("snv", "indel"):
            w, q, p = case["workflow"][kind], case["workflow_pass"][kind], case["plain"][kind]
            lines.append(
                f"  {case['difficulty']:<5} {kind:<5} {case['size'] // 1000:>5} kb   "
                f"{w['f1']:.4f} ({w['precision']:.3f}/{w['recall']:.3f})  "
                f"{q['f1']:.4f}   {p['f1']:.4f} ({p['precision']:.3f}/{p['recall']:.3f})"
            )
    speed = results["speed"]
    lines.append(f"speed, {speed['size'] // 1000} kb 30x, {speed['threads']} threads (seconds)")
    lines.append(f"  {'step':<18} {'workflow':>9} {'plain':>9} {'ratio':>7}")
    for step in ("prepare_reference", "align", "mark_duplicates", "call_variants"):
        w = speed["workflow_steps"].get(step, 0.0)
        p = speed["plain_steps"].get(step, 0.0)
        lines.append(f"  {step:<18} {w:>9.2f} {p:>9.2f} {w / p if p else 0:>7.2f}")
    for beside in ("gather_alignment", "alignment_qc"):  # both run beside the calls
        seconds = speed["workflow_steps"].get(beside, 0.0)
        lines.append(f"  {beside:<18} {seconds:>9.2f} {'-':>9} {'-':>7}")
    lines.append(
        f"  {'total':<18} {speed['workflow_seconds']:>9.2f} {speed['plain_seconds']:>9.2f} "
        f"{speed['ratio']:>7.2f}"
    )
    sharded = speed["sharded"]
    lines.append(
        f"sharded (2 chunks, 4 regions) on {speed['threads']} cores: "
        f"{sharded['workflow_seconds']:.2f} s, {sharded['ratio_to_unsharded']:.2f}x unsharded"
    )
    lines.append(
        f"warm cache: flyte.run {speed['warm_run_seconds']:.2f} s, whole new process "
        f"{speed['warm_process_seconds']:.2f} s (same result: {speed['same_result_when_warm']})"
    )
    scale = results["scale"]
    lines.append(f"scale, {scale['size'] // 1000} kb 30x, 2 threads per shard (seconds)")
    lines.append("  shards  total CPU  1 worker  critical path  speed-up  critical/CPU")
    for row in scale["rows"]:
        lines.append(
            f"  {row['shards']:>6} {row['total_cpu_seconds']:>10.1f} "
            f"{row['one_worker_seconds']:>9.1f} {row['critical_path_seconds']:>14.1f} "
            f"{row['speedup_with_n_workers']:>9.2f} {row['critical_path_over_total_cpu']:>13.3f}"
        )
    return "\n".join(lines)


def targets(results: dict) -> dict[str, bool]:
    """The issue's goals, each true or false."""
    easy, hard = results["accuracy"]
    speed = results["speed"]
    eight = next(row for row in results["scale"]["rows"] if row["shards"] == 8)
    return {
        "easy_snv_f1>=0.998": easy["workflow"]["snv"]["f1"] >= 0.998,
        "easy_indel_f1>=0.99": easy["workflow"]["indel"]["f1"] >= 0.99,
        "hard_snv_f1>=plain+0.02": hard["workflow"]["snv"]["f1"]
        >= hard["plain"]["snv"]["f1"] + 0.02,
        "hard_indel_f1>=plain+0.02": hard["workflow"]["indel"]["f1"]
        >= hard["plain"]["indel"]["f1"] + 0.02,
        "align_ratio<=1.0": speed["step_ratios"].get("align", 9) <= 1.0,
        "markdup_ratio<=1.0": speed["step_ratios"].get("mark_duplicates", 9) <= 1.0,
        "total_ratio<=0.9": speed["ratio"] <= 0.9,
        "sharded_no_slower_on_2_cores": speed["sharded"]["ratio_to_unsharded"] <= 1.0,
        "critical_path<=cpu/4_at_8_shards": eight["critical_path_over_total_cpu"] <= 0.25,
        "warm_run<=2s": speed["warm_run_seconds"] <= 2.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 kb accuracy, 1 Mb speed")
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="re-measure speed only, keeping accuracy and scale from the last results file",
    )
    args = parser.parse_args()
    accuracy_size, speed_size = (200_000, 1_000_000) if args.quick else (1_000_000, 5_000_000)
    scale_size = 500_000 if args.quick else 2_000_000
    tools = ensure_debian_tools()
    import pysam

    folder = Path(tempfile.mkdtemp(prefix="stargazer-bench-germline-"))
    try:
        results = {
            "benchmark": "germline",
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "tools": {"debian": tools, "pysam": pysam.__version__},
            "accuracy": json.loads(RESULTS.read_text())["accuracy"]
            if args.speed_only
            else [
                accuracy_case(folder, accuracy_size, "easy", seed=1),
                accuracy_case(folder, accuracy_size, "hard", seed=2),
            ],
            "speed": speed_case(folder, speed_size, seed=3),
            "scale": json.loads(RESULTS.read_text())["scale"]
            if args.speed_only
            else scale_case(folder, scale_size, seed=4, counts=(1, 2, 4, 8)),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results["targets"] = targets(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print("targets:", json.dumps(results["targets"]))
    print(f"wrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
