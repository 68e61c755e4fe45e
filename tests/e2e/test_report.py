"""End-to-end tests of `scaleout report` and `scaleout compare`: logs the test makes itself, the
report's numbers checked against what those logs hold, every format, logs it must refuse; compare's
verdicts on a run against itself, against a slower device, and on inputs that do not match."""

import csv
import io
import json
import os
import re
import subprocess
import sys
import shutil
import tempfile
import unittest

import h5py
import numpy as np

from test_cli import run, scaleout_lines, write

TINY = os.path.join(os.path.dirname(__file__), "..", "..", "runs", "configs", "tiny.yaml")


def expected(path):
    """The report's figures recomputed from a log's /steps rows."""
    with h5py.File(path, "r") as f:
        steps = f["steps"][:]
        tokens = f.attrs["tokens_per_step"]
    steps = steps[steps["warmup"] == 0]
    numbers = sorted(set(steps["step"]))
    slowest = [steps["step_s"][steps["step"] == s].max() for s in numbers]
    mean = lambda column: [steps[column][steps["step"] == s].mean() for s in numbers]
    groups = ("dp", "tp", "pp", "ep", "cp")
    network = sum(steps[f"exposed_{g}_network_s"] for g in groups)
    intra = sum(steps[f"exposed_{g}_s"] for g in groups) - network
    per_step = lambda values: float(np.median([values[steps["step"] == s].mean() for s in numbers]))
    return {"step_p50_s": float(np.percentile(slowest, 50)), "step_p95_s": float(np.percentile(slowest, 95)),
            "compute_s": float(np.median(mean("compute_s"))), "exposed_dp_s": float(np.median(mean("exposed_dp_s"))),
            "tokens_per_s": float(tokens / np.percentile(slowest, 50)), "ranks": len(set(steps["rank"])),
            "exposed_tier_s": {"intra_node": per_step(intra), "network": per_step(network)},
            "overlapped_tier_s": {t: per_step(steps[f"overlapped_{t}_s"]) for t in ("intra_node", "network")},
            "bytes_modelled": per_step(steps["bytes_modelled"].astype(float))}


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp()
        cls.logs = []
        for ranks in (1, 2):
            log = os.path.join(cls.folder, f"ranks-{ranks}.h5")
            code, out, err = run("run", TINY, "--output", log, "--set", "batch.global=4", "--set", "emulation.steps=4",
                                 ranks=ranks, timeout=300)
            assert code == 0, out + err
            cls.logs.append(log)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder)

    def test_figures_match_the_logs(self):
        code, out, err = run("report", *reversed(self.logs), "--format", "json")
        self.assertEqual(code, 0, err)
        report = json.loads(out)
        self.assertEqual(report["scaling"], "strong", "one global batch at every scale")
        self.assertEqual(report["scale"], "ranks", "every run on one node: scales are rank counts")
        self.assertEqual([p["ranks"] for p in report["points"]], [1, 2])
        for point, log in zip(report["points"], self.logs):
            want = expected(log)
            for name in ("step_p50_s", "step_p95_s", "compute_s", "tokens_per_s"):
                self.assertAlmostEqual(point[name], want[name], delta=1e-9 * max(1, want[name]), msg=name)
            self.assertAlmostEqual(point["exposed_s"].get("dp", 0.0), want["exposed_dp_s"], delta=1e-12)
            for figure in ("exposed_tier_s", "overlapped_tier_s"):
                for tier in ("intra_node", "network"):
                    self.assertAlmostEqual(point[figure][tier], want[figure][tier], delta=1e-12, msg=figure + tier)
            self.assertAlmostEqual(point["bytes_modelled"], want["bytes_modelled"], delta=1e-6)
            # The binding link: the largest of calculation, memory bandwidth, the tiers and the bubble.
            memory = point["compute_s"] * point["memory_bound_share"]
            parts = {"calculation": point["compute_s"] - memory, "memory bandwidth": memory,
                     "the node's fabric": want["exposed_tier_s"]["intra_node"],
                     "the network": want["exposed_tier_s"]["network"], "pipeline bubble": point["bubble_s"]}
            self.assertEqual(point["binding_link"], max(parts, key=parts.get), parts)
        first, second = report["points"]
        self.assertAlmostEqual(second["efficiency"], (second["tokens_per_s"] / 2) / first["tokens_per_s"], places=12)
        # Reached exactly when some scale's exposed communication exceeds its compute.
        exceeds = any(p["exposed_total_s"] > p["compute_s"] for p in report["points"])
        self.assertEqual(report["crossover"]["reached"], exceeds, report["crossover"]["text"])
        self.assertIn("not reached" if not exceeds else "rank", report["crossover"]["text"])

    def test_runs_that_did_not_complete_or_carry_no_checksums_are_named(self):
        with tempfile.TemporaryDirectory() as folder:
            stopped, old = os.path.join(folder, "stopped.h5"), os.path.join(folder, "old.h5")
            shutil.copy(self.logs[0], stopped)
            shutil.copy(self.logs[1], old)
            with h5py.File(stopped, "r+") as f:
                self.assertEqual(f["steps"].fletcher32, True)
                f.attrs["status"] = "interrupted"
                f.attrs["status_message"] = "stopped by a signal (SIGTERM) after step 3 of 6"
            with h5py.File(old, "r+") as f:  # as logs were written before the checksums
                steps = f["steps"][...]
                del f["steps"]
                f.create_dataset("steps", data=steps, maxshape=(None,), chunks=(1024,))
            code, out, err = run("report", stopped, old)
            self.assertEqual(code, 0, err)
            self.assertIn(f"note: {stopped}: the run is interrupted (stopped by a signal (SIGTERM) after step 3 of 6); "
                          "the table holds the steps it measured", out)
            self.assertIn(f"note: {old}: written without checksums; its integrity cannot be checked", out)
            self.assertNotIn(f"note: {self.logs[0]}", out)
            code, out, err = run("report", stopped, old, "--format", "json")
            points = json.loads(out)["points"]
            self.assertEqual([(p["status"], p["checksummed"]) for p in points],
                             [("interrupted", True), ("complete", False)])

    def test_text_markdown_and_csv(self):
        code, out, err = run("report", *self.logs)
        self.assertEqual(code, 0, err)
        self.assertIn("scaling report:", out)
        self.assertIn("crossover: ", out)
        self.assertIn("bound by", out)
        code, out, err = run("report", *self.logs, "--format", "markdown")
        self.assertEqual(code, 0, err)
        rows = [line for line in out.splitlines() if line.startswith("| 1 | ")]  # one node; 1 and 2 ranks
        self.assertEqual([row.split("|")[2].strip() for row in rows], ["1", "2"])
        code, out, err = run("report", *self.logs, "--format", "csv")
        self.assertEqual(code, 0, err)
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual([row["ranks"] for row in rows], ["1", "2"])
        self.assertEqual(rows[1]["log"], self.logs[1])

    def test_a_plots_folder_that_cannot_be_is_refused_before_the_table(self):
        # Exit 2 came only after the whole table was printed.
        for plots in (os.devnull, self.logs[0], os.path.join(self.logs[0], "plots")):
            with self.subTest(plots):
                code, out, err = run("report", *self.logs, "--plots", plots)
                self.assertEqual(code, 2, out + err)
                self.assertEqual(out, "")
                self.assertIn(f"--plots: {plots} cannot take the plots", scaleout_lines(err)[0])

    def test_plots_show_every_scale_and_the_markdown_embeds_them(self):
        plots = os.path.join(self.folder, "plots")
        code, out, err = run("report", *self.logs, "--plots", plots)
        self.assertEqual(code, 0, err)
        for name in ("breakdown", "efficiency", "step_times", "tiers"):
            for extension in ("png", "svg"):
                path = os.path.join(plots, f"{name}.{extension}")
                self.assertIn(f"plot: {path}", out)
                self.assertGreater(os.path.getsize(path), 1000, path)
        with open(os.path.join(plots, "breakdown.svg")) as f:
            svg = f.read()
        # One bar per scale (scales are rank counts here) for compute, and its legend.
        self.assertEqual(sorted(re.findall(r'id="compute-(\d+)"', svg)), ["1", "2"])
        self.assertIn(">compute<", svg)
        # The chain: the two ranks' allreduce on the node's fabric, the binding link named over each bar.
        with open(os.path.join(plots, "tiers.svg")) as f:
            svg = f.read()
        self.assertEqual(sorted(re.findall(r'id="calculation-(\d+)"', svg)), ["1", "2"])
        self.assertEqual(sorted(re.findall(r'id="the_nodes_fabric-(\d+)"', svg)), ["1", "2"])
        self.assertIn(">the node's fabric<", svg)
        self.assertEqual(sorted(re.findall(r'id="binding-(\d+)"', svg)), ["1", "2"])
        with open(os.path.join(plots, "report.md")) as f:
            markdown = f.read()
        self.assertEqual(len(re.findall(r"!\[[^]]*\]\((breakdown|efficiency|step_times|tiers)\.png\)", markdown)), 4)
        self.assertIn("| 1 | 2 |", markdown, "the scaling table")

    def test_plots_say_what_is_missing(self):
        code, out, err = run("report", self.logs[0], "--plots", os.path.join(self.folder, "p2"),
                             env={"SCALEOUT_PLOTS_SCRIPT": "/nonexistent/plots.py"})
        self.assertEqual(code, 1, err)
        self.assertIn("the plots script /nonexistent/plots.py is missing", err)

    def test_logs_it_cannot_read_are_refused_with_a_message(self):
        old = os.path.join(self.folder, "old.h5")
        shutil.copy(self.logs[0], old)
        with h5py.File(old, "r+") as f:
            f.attrs["schema_version"] = 1
        cases = [
            ((old,), "written with run-log schema version 1; this scaleout reads versions 3 to 6"),
            ((write(self.folder, "notes.h5", "not a log"),), "not an HDF5 file"),
            ((os.path.join(self.folder, "missing.h5"),), "missing.h5"),
            ((self.folder,), "a folder without manifest.json is not a sweep"),
            ((self.logs[0], "--format", "xml"), "--format"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                code, out, err = run("report", *args)
                self.assertEqual(code, 2, out + err)
                self.assertEqual(len(scaleout_lines(err)), 1, err)
                self.assertIn(message, err)


class BenchPlots(unittest.TestCase):
    def test_busbw_against_size_one_line_per_run(self):
        with tempfile.TemporaryDirectory() as folder:
            outputs = []
            for name in ("before", "after"):
                path = os.path.join(folder, name + ".json")
                code, out, err = run("bench", "allreduce", "alltoall", "--sizes", "4K:64K:4", "--iters", "3",
                                     "--output", path, ranks=2)
                self.assertEqual(code, 0, err)
                outputs.append(path)
            script = os.path.join(os.path.dirname(__file__), "..", "..", "analysis", "plots.py")
            # The test runs under Debian's python3 (tests/CMakeLists.txt), which has matplotlib.
            done = subprocess.run([sys.executable, script,
                                   "bench", *outputs, "--labels", "before,after", "--output", folder],
                                  capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            with open(os.path.join(folder, "busbw.svg")) as f:
                lines = set(re.findall(r'id="((?:before|after)-\w+)"', f.read()))
            self.assertEqual(lines, {"before-allreduce", "before-alltoall", "after-allreduce", "after-alltoall"})


class Compare(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp()

        def make(name, *sets, ranks=2, env=None):
            log = os.path.join(cls.folder, name + ".h5")
            code, out, err = run("run", TINY, "--output", log, "--set", "emulation.steps=12", *sets, ranks=ranks,
                                 timeout=300, env=env)
            assert code == 0, out + err
            return log

        cls.base = make("base")
        cls.slower = make("slower", "--set", "device.peak_tflops=0.25")  # half the device: compute twice as long
        # Repeats, as a site makes them on other days: two more of each.
        cls.bases = [cls.base] + [make(f"base-{k}") for k in (2, 3)]
        cls.slowers = [cls.slower] + [make(f"slower-{k}", "--set", "device.peak_tflops=0.25") for k in (2, 3)]
        cls.ob1 = make("ob1", env={"OMPI_MCA_pml": "ob1"})  # the same workload over another messaging layer
        cls.bigger = make("bigger", "--set", "batch.global=8")
        cls.one_rank = make("one", ranks=1)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder)

    def test_a_run_against_itself_has_no_significant_change(self):
        code, out, err = run("compare", self.base, self.base, "--format", "json", "--fail-on-regression")
        self.assertEqual(code, 0, err)
        result = json.loads(out)
        self.assertEqual(result["overall"], "no significant change")
        for metric in result["scales"][0]["metrics"]:
            # The same steps, resampled independently on each side: a ratio of 1 inside its interval.
            self.assertEqual(metric["ratio"], 1.0)
            self.assertLessEqual(metric["low"], 1.0)
            self.assertGreaterEqual(metric["high"], 1.0)
            self.assertEqual(metric["verdict"], "no significant change")

    def test_repeats_per_side_base_the_interval_on_run_to_run_variation(self):
        before, after = ",".join(self.bases), ",".join(self.slowers)
        code, out, err = run("compare", before, after, "--format", "json")
        self.assertEqual(code, 0, err)
        result = json.loads(out)
        self.assertEqual((result["runs_before"], result["runs_after"], result["interval_from"]), (3, 3, "runs"))
        metrics = {m["metric"]: m for m in result["scales"][0]["metrics"]}
        self.assertEqual(metrics["compute"]["verdict"], "regressed")
        self.assertAlmostEqual(metrics["compute"]["ratio"], 2.0, delta=0.1)
        # The point estimate is the median of the runs' medians, recomputed from the logs.
        medians = []
        for log in self.bases:
            with h5py.File(log, "r") as f:
                steps = f["steps"][:]
                measured = steps[steps["warmup"] == 0] if "warmup" in steps.dtype.names else steps
                per_step = {}
                for row in measured:
                    per_step.setdefault(int(row["step"]), []).append(float(row["step_s"]))
                medians.append(np.median([max(v) for v in per_step.values()]))
        self.assertAlmostEqual(metrics["step"]["before_s"], float(np.median(medians)), places=9)
        code, out, err = run("compare", before, after)
        self.assertEqual(code, 0, err)
        self.assertIn("3 runs before, 3 after", out)
        self.assertIn("interval from run-to-run variation", out)
        # One run per side says so too.
        code, out, err = run("compare", self.base, self.slower)
        self.assertIn("from the steps of one run per side", out)
        # Repeats of bench outputs and empty paths are refused.
        code, out, err = run("compare", self.base + ",", self.slower)
        self.assertEqual(code, 2)
        self.assertIn("an empty path among the runs", err)
        code, out, err = run("compare", "a.json,b.json", "c.json")
        self.assertEqual(code, 2)
        self.assertIn("bench outputs are compared one per side", err)

    def test_the_environment_differences_are_printed_beside_the_verdict(self):
        code, out, err = run("compare", self.base, self.ob1, "--format", "json")
        self.assertEqual(code, 0, err)
        differences = {d["name"]: d for d in json.loads(out)["scales"][0]["environment"]}
        self.assertEqual(differences["transport"], {"name": "transport", "before": ["default"], "after": ["ob1"]})
        self.assertEqual(differences["OMPI_MCA_pml"]["after"], ["ob1"])
        self.assertNotIn("hostnames", differences, "the same machine on both sides")
        code, out, err = run("compare", self.base, self.ob1)
        self.assertIn("environment: transport default -> ob1", out)
        code, out, err = run("compare", self.base, self.slower, "--format", "json")
        self.assertEqual(json.loads(out)["scales"][0]["environment"], [])

    def test_a_slower_device_regresses_compute_and_fails_on_request(self):
        code, out, err = run("compare", self.base, self.slower, "--format", "json")
        self.assertEqual(code, 0, err)
        metrics = {m["metric"]: m for m in json.loads(out)["scales"][0]["metrics"]}
        self.assertEqual(metrics["compute"]["verdict"], "regressed")
        self.assertAlmostEqual(metrics["compute"]["ratio"], 2.0, delta=0.1)
        self.assertGreater(metrics["compute"]["low"], 1.0)
        code, out, err = run("compare", self.base, self.slower, "--fail-on-regression")
        self.assertEqual(code, 5, err)
        self.assertIn("overall: regressed", out)
        # The other way round, compute and the step improve; with less compute to hide behind, the
        # data-parallel allreduce is less overlapped, which compare reports as it is.
        code, out, err = run("compare", self.slower, self.base, "--format", "json")
        self.assertEqual(code, 0, err)
        metrics = {m["metric"]: m for m in json.loads(out)["scales"][0]["metrics"]}
        self.assertEqual((metrics["step"]["verdict"], metrics["compute"]["verdict"]), ("improved", "improved"))

    def test_bench_outputs_are_matched_by_collective_and_size(self):
        outputs = []
        for name, sizes in (("b1", "16K:64K:4"), ("b2", "16K:256K:4")):
            path = os.path.join(self.folder, name + ".json")
            code, out, err = run("bench", "allreduce", "--sizes", sizes, "--iters", "10", "--output", path, ranks=2)
            self.assertEqual(code, 0, err)
            outputs.append(path)
        code, out, err = run("compare", *outputs, "--format", "json")
        self.assertEqual(code, 0, err)
        metrics = json.loads(out)["scales"][0]["metrics"]
        self.assertEqual([m["metric"] for m in metrics], ["allreduce 16384", "allreduce 65536"], "sizes in both")
        for m in metrics:
            self.assertLessEqual(m["low"], m["ratio"])
            self.assertLessEqual(m["ratio"], m["high"])
        other = os.path.join(self.folder, "b3.json")
        code, out, err = run("bench", "allreduce", "--sizes", "16K", "--iters", "3", "--dtype", "bf16",
                             "--output", other, ranks=2)
        self.assertEqual(code, 0, err)
        code, out, err = run("compare", outputs[0], other)
        self.assertEqual(code, 2, out + err)
        self.assertIn('BEFORE and AFTER are different benchmarks: dtype is "fp32"', err)
        code, out, err = run("compare", outputs[0], self.base)
        self.assertEqual(code, 2, out + err)
        self.assertIn("must both be runs (or sweeps) or both bench outputs", err)

    def test_inputs_that_do_not_match_are_refused(self):
        code, out, err = run("compare", self.base, self.bigger)
        self.assertEqual(code, 2, out + err)
        self.assertIn("BEFORE and AFTER are different workloads at 1 node (2 ranks): flops_per_step is", err)
        code, out, err = run("compare", self.base, self.one_rank)
        self.assertEqual(code, 2, out + err)
        self.assertIn("no scale in common", err)


if __name__ == "__main__":
    unittest.main()
