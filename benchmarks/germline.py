"""Germline benchmark: accuracy against planted truth, speed against the plain tools, warm cache.

In one run, on demo data generated here (deterministic seeds, deleted afterwards):

1. **Accuracy** on 1 Mb at 30x, ``easy`` and ``hard``: the `germline_variants` workflow and
   the plain command-line pipeline, each scored against the truth VCF (precision, recall, F1
   for SNVs and indels, matched at genotype level after ``bcftools norm``). Targets: easy SNV
   F1 >= 0.995 and indel F1 >= 0.95; hard: at least the plain pipeline's F1.
2. **Speed** on 5 Mb at 30x (easy), same data, 2 threads each: the workflow through
   ``flyte.run`` with a cold cache against Debian's ``bwa mem | samtools fixmate -m |
   samtools sort``, ``samtools markdup``, ``samtools index``, ``bcftools mpileup | bcftools
   call -mv``. Per-step times come from Flyte's local run history. Target: total ratio <= 1.10.
3. **Warm cache**: the same workflow run again in a new process; target <= 2 s.

The Debian tools are installed with apt-get when missing (``apt-get install bwa samtools
bcftools``). Writes benchmarks/results/germline.json. Run with
``.venv/bin/python benchmarks/germline.py`` (``--quick`` for 200 kb / 1 Mb sizes).
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
reference = Asset.load(sys.argv[1])
samples = [Asset.load(i) for i in sys.argv[2:]]
began = time.perf_counter()
variants = flyte.run(germline_variants, reference=reference, samples=samples).outputs()[0]
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


def run_workflow(root: Path, env: dict[str, str], reference: str, samples: list[str]) -> dict:
    """Run germline_variants in a new process; returns ids, path and timings."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", RUN_SCRIPT, reference, *samples],
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


def task_times(root: Path) -> dict[str, float]:
    """Seconds per task of the latest workflow run, from Flyte's local run history."""
    database = root / ".flyte" / "local-cache" / "cache.db"
    with sqlite3.connect(database) as connection:
        (run,) = connection.execute(
            "select run_name from runs order by start_time desc limit 1"
        ).fetchone()
        rows = connection.execute(
            "select task_name, start_time, end_time, cache_hit from runs where run_name = ?",
            (run,),
        ).fetchall()
    times: dict[str, float] = {}
    for task, start, end, _hit in rows:
        name = task.split(".")[-1]
        if start and end:
            times[name] = max(times.get(name, 0.0), end - start)
    return times


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


def accuracy(calls: Path, truth: Path, reference: Path) -> dict:
    from stargazer.tasks.variants.accuracy import score_vcf

    report = score_vcf(calls, truth, reference)
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
    plain_total = sum(plain_steps.values())
    return {
        "size": size,
        "coverage": 30,
        "threads": THREADS,
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
        "warm_run_seconds": round(warm["run_seconds"], 3),
        "warm_process_seconds": round(warm["wall_seconds"], 3),
        "same_result_when_warm": warm["id"] == cold["id"],
    }


def table(results: dict) -> str:
    lines = ["accuracy (F1; precision/recall)            workflow                 plain"]
    for case in results["accuracy"]:
        for kind in ("snv", "indel"):
            w, p = case["workflow"][kind], case["plain"][kind]
            lines.append(
                f"  {case['difficulty']:<5} {kind:<5} {case['size'] // 1000:>5} kb   "
                f"{w['f1']:.4f} ({w['precision']:.4f}/{w['recall']:.4f})   "
                f"{p['f1']:.4f} ({p['precision']:.4f}/{p['recall']:.4f})"
            )
    speed = results["speed"]
    lines.append(f"speed, {speed['size'] // 1000} kb 30x, {speed['threads']} threads (seconds)")
    lines.append(f"  {'step':<18} {'workflow':>9} {'plain':>9} {'ratio':>7}")
    for step in ("prepare_reference", "align", "mark_duplicates", "call_variants"):
        w = speed["workflow_steps"].get(step, 0.0)
        p = speed["plain_steps"].get(step, 0.0)
        lines.append(f"  {step:<18} {w:>9.2f} {p:>9.2f} {w / p if p else 0:>7.2f}")
    qc = speed["workflow_steps"].get("alignment_qc", 0.0)
    lines.append(f"  {'alignment_qc':<18} {qc:>9.2f} {'-':>9} {'-':>7}")
    lines.append(
        f"  {'total':<18} {speed['workflow_seconds']:>9.2f} {speed['plain_seconds']:>9.2f} "
        f"{speed['ratio']:>7.2f}"
    )
    lines.append(
        f"warm cache: flyte.run {speed['warm_run_seconds']:.2f} s, whole new process "
        f"{speed['warm_process_seconds']:.2f} s (same result: {speed['same_result_when_warm']})"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 kb accuracy, 1 Mb speed")
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="re-measure speed only, keeping the accuracy of the last results file",
    )
    args = parser.parse_args()
    accuracy_size, speed_size = (200_000, 1_000_000) if args.quick else (1_000_000, 5_000_000)
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
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    easy, hard = results["accuracy"]
    results["targets"] = {
        "easy_snv_f1>=0.995": easy["workflow"]["snv"]["f1"] >= 0.995,
        "easy_indel_f1>=0.95": easy["workflow"]["indel"]["f1"] >= 0.95,
        "hard_f1>=plain": all(
            hard["workflow"][k]["f1"] >= hard["plain"][k]["f1"] for k in ("snv", "indel")
        ),
        "total_ratio<=1.10": results["speed"]["ratio"] <= 1.10,
        "warm_run<=2s": results["speed"]["warm_run_seconds"] <= 2.0,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print("targets:", json.dumps(results["targets"]))
    print(f"wrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
