"""End-to-end tests of `scaleout run` and `scaleout plan` as a user runs them: a small emulation under
mpiexec, its summary, and its run log read with h5py; bad configs; a run stopped by SIGTERM."""

import os
import re
import signal
import tempfile
import unittest

import h5py
import numpy as np

from test_cli import ranks_of, run, scaleout_lines, started_run, stop_ranks, write

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "runs", "configs")
TINY = os.path.join(CONFIGS, "tiny.yaml")


class Run(unittest.TestCase):
    def test_tiny_run_prints_summary_and_logs_every_step_and_rank(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "tiny.h5")
            code, out, err = run("run", TINY, "--output", log, "--check",
                                 "--set", "output.trace=true", ranks=4, timeout=300)
            self.assertEqual(code, 0, out + err)
            self.assertIn("step 10/10", out)
            for line in ("step time        p50", "compute  ", "exposed comm dp", "overlapped comm", "other  ",
                         "communication share", "emulated MFU", "compute emulation    requested",
                         "by tier              node's fabric", "inside a node        modelled on the device's NVLink 4",
                         "bound by             ", "note: emulation.check moved the modelled bytes too"):
                self.assertIn(line, out)
            self.assertIn(f"run log: {log} (complete)", out)
            with h5py.File(log, "r") as f:
                self.assertEqual(f.attrs["schema_version"], 6)
                self.assertEqual(f.attrs["status"], "complete")
                self.assertIn("preset: tiny", f.attrs["config"])
                self.assertIn("check: true", f.attrs["config"])
                steps = f["steps"][:]
                self.assertEqual(len(steps), 10 * 4)
                self.assertEqual(sorted(set(zip(steps["step"], steps["rank"]))),
                                 [(s, r) for s in range(10) for r in range(4)])
                self.assertEqual(list(steps["warmup"][steps["rank"] == 0]), [1, 1] + [0] * 8)
                total = steps["compute_s"] + steps["exposed_dp_s"] + steps["bubble_s"] + steps["other_s"]
                self.assertTrue(np.all(steps["bubble_s"] == 0), "no pipeline, no bubble")
                self.assertLess(np.max(np.abs(total - steps["step_s"]) / steps["step_s"]), 0.01)
                self.assertTrue(np.all(steps["wrong"] == 0))
                self.assertTrue(np.all(steps["pass"] == 0) and np.all(steps["token"] == 0), "training steps")
                self.assertTrue(np.all(steps["bytes_dp"] == f.attrs["gradient_bytes"]))
                # An H100's hops inside the node are modelled on NVLink (the default), their bytes moved
                # too under --check; no hop leaves the node.
                self.assertIn("intra_node: device", f.attrs["config"])
                self.assertTrue(np.all(steps["bytes_modelled"] > 0) and np.all(steps["bytes_moved"] == 0))
                self.assertTrue(np.all(steps["exposed_dp_network_s"] == 0))
                self.assertTrue(np.all(steps["overlapped_network_s"] == 0))
                self.assertTrue(np.all(steps["overlapped_intra_node_s"] <= steps["overlapped_s"] + 1e-12))
                self.assertEqual(len(f["ranks"]), 4)
                self.assertEqual(list(f["ranks"]["dp"]), [0, 1, 2, 3])
                self.assertEqual(f["topology/nodes"][0]["ranks"], 4)
                self.assertIn("<topology", f["topology/xml"][0].decode())
                self.assertEqual(len(f["ops"]), 10 * 4 * len(f["program"]))
                program = f["program"][:]
                compute = program["kind"] == b"compute"
                self.assertTrue(np.all(program["algorithm"][compute] == b""))
                # comm.algorithm auto on 4 ranks of one node: NCCL's choice there is the ring.
                self.assertEqual(set(program["algorithm"][~compute]), {b"ring"})
                self.assertEqual(f["summary"].attrs["steps"], 8)
                self.assertTrue(f["environment"].attrs["mpi_library"].startswith("Open MPI"))

    def test_the_library_algorithm_is_run_and_logged_and_an_unknown_one_refused(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "library.h5")
            # The library's collectives move their hops themselves: only the host's shared memory can carry
            # them inside a node.
            code, out, err = run("run", TINY, "--output", log, "--set", "comm.algorithm=library", cwd=folder)
            self.assertEqual(code, 2, out + err)
            self.assertIn("comm.algorithm: library", err)
            self.assertIn("emulation.intra_node: host", err)
            code, out, err = run("run", TINY, "--output", log, "--check", "--set", "comm.algorithm=library",
                                 "--set", "emulation.intra_node=host", "--set", "emulation.steps=2", ranks=3,
                                 timeout=300)
            self.assertEqual(code, 0, out + err)
            with h5py.File(log, "r") as f:
                program = f["program"][:]
                self.assertEqual(set(program["algorithm"][program["kind"] != b"compute"]), {b"library"})
                self.assertTrue(np.all(f["steps"]["wrong"] == 0))
            code, out, err = run("run", TINY, "--set", "comm.algorithm=fastest", cwd=folder)
            self.assertEqual(code, 2, out + err)
            self.assertEqual(scaleout_lines(err), ["scaleout run: comm.algorithm: 'fastest' is not allowed; expected one "
                                                   "of auto, ring, tree, library"])

    def test_a_run_without_a_log_prints_its_summary_and_writes_nothing(self):
        with tempfile.TemporaryDirectory() as folder:
            code, out, err = run("run", TINY, "--set", "output.log=false", "--set", "emulation.steps=3", ranks=2,
                                 cwd=folder)
            self.assertEqual(code, 0, out + err)
            self.assertIn("log none (output.log: false)", out)
            self.assertIn("step time        p50", out)
            self.assertIn("run: complete (no log)", out)
            self.assertEqual(os.listdir(folder), [])
            code, out, err = run("run", TINY, "--set", "output.log=false", "--set", "output.trace=true", cwd=folder)
            self.assertEqual(code, 2, out + err)
            self.assertIn("output.trace: true needs output.log: true", scaleout_lines(err)[0])

    def test_existing_log_is_kept_without_overwrite(self):
        with tempfile.TemporaryDirectory() as folder:
            log = write(folder, "kept.h5", "precious")
            code, out, err = run("run", TINY, "--output", log, ranks=2)
            self.assertEqual(code, 2, out + err)
            self.assertEqual(scaleout_lines(err),
                             [f"scaleout run: output.path: {log} cannot be written: it exists; pass --overwrite "
                              "(or output.overwrite: true) to replace it"])
            with open(log) as f:
                self.assertEqual(f.read(), "precious")

    def test_sigterm_stops_at_a_step_boundary_and_closes_the_log_as_interrupted(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "stopped.h5")
            # Once the run is stepping, signal the ranks as Slurm does.
            job = started_run(TINY, "--output", log, "--set", "emulation.steps=1000")
            try:
                self.assertEqual(len(ranks_of(job)), 2)
                out, err, ended = stop_ranks(job, signal.SIGTERM)
            finally:
                job.kill()
            self.assertEqual(job.returncode, 4, out + err)
            # Slurm kills 30 s after SIGTERM; a step of tens of milliseconds ends long before.
            self.assertLess(ended, 10)
            self.assertIn("(interrupted)", out)
            self.assertTrue(any("stopped by a signal (SIGTERM) after step" in line for line in scaleout_lines(err)),
                            err)
            with h5py.File(log, "r") as f:
                self.assertEqual(f.attrs["status"], "interrupted")
                steps = f["steps"][:]
                self.assertGreater(len(steps), 0)
                self.assertEqual(len(steps) % 2, 0)  # whole steps only
                self.assertIn("step_p50_s", f["summary"].attrs)


def step_figures(rows):
    """The summary's step time (per step the slowest rank; p50, p95) and exposed communication (per group,
    the median over steps of the mean over ranks; summed) of measured rows."""
    numbers = sorted(set(rows["step"]))
    slowest = [rows["step_s"][rows["step"] == s].max() for s in numbers]
    exposed = sum(np.median([rows[f"exposed_{g}_s"][rows["step"] == s].mean() for s in numbers])
                  for g in ("dp", "tp", "pp", "ep", "cp"))
    return float(np.percentile(slowest, 50)), float(np.percentile(slowest, 95)), float(exposed)


class Background(unittest.TestCase):
    """emulation.background on one node: the last 2 of 4 ranks make the traffic while the others train."""

    def test_every_measured_step_runs_alone_then_under_it_and_the_slowdown_is_recomputed(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "background.h5")
            code, out, err = run("run", TINY, "--output", log, "--set", "emulation.background=alltoall",
                                 "--set", "emulation.background_ranks_per_node=2", "--set", "emulation.steps=4",
                                 ranks=4, timeout=300)
            self.assertEqual(code, 0, out + err)
            self.assertIn("2 ranks on 1 node (dp 2) and 2 background ranks (alltoall)", out)
            with h5py.File(log, "r") as f:
                steps = f["steps"][:]
                alone = f["background/isolated_steps"][:]
                background = f["background"]
                attrs = dict(background.attrs)
                self.assertEqual(len(steps), 6 * 2, "2 warm-up and 4 measured steps of the 2 training ranks")
                under = steps[steps["warmup"] == 0]
                self.assertEqual(sorted(zip(alone["step"], alone["rank"])), sorted(zip(under["step"], under["rank"])))
                self.assertTrue(np.all(alone["warmup"] == 0))
                self.assertEqual(list(f["ranks"]["rank"]), [0, 1], "the training ranks only")
                self.assertEqual(list(background["rank"]), [2, 3])
                self.assertEqual(attrs["pattern"], "alltoall")
                self.assertEqual(attrs["unit_bytes"], 1 << 20)
                units = background["units"][:]
                self.assertTrue(np.all(units > 0) and np.all(background["seconds"][:] > 0))
                # Both background ranks share the training's node: nothing crossed a node's link.
                self.assertTrue(np.all(background["bytes_sent"][:] == 0) and np.all(background["bytes_received"][:] == 0))
                self.assertEqual(attrs["node_load_gbs"], 0.0)
            p50_alone, p95_alone, exposed_alone = step_figures(alone)
            p50, p95, exposed = step_figures(under)
            for name, want in (("step_p50_isolated_s", p50_alone), ("step_p95_isolated_s", p95_alone),
                               ("exposed_isolated_s", exposed_alone), ("step_p50_s", p50), ("step_p95_s", p95),
                               ("exposed_s", exposed), ("step_slowdown_p50", p50 / p50_alone),
                               ("step_slowdown_p95", p95 / p95_alone)):
                self.assertAlmostEqual(attrs[name], want, delta=1e-9 * max(1.0, want), msg=name)
            printed = re.search(r"step time +p50 +([\d.]+) ms alone +x([\d.]+) under it +p95 ([\d.]+) ms alone +"
                                r"x([\d.]+)\n +exposed comm +([\d.]+) ms alone +([\d.]+) ms under it", out)
            self.assertIsNotNone(printed, out)
            for text, want in zip(printed.groups(), (p50_alone * 1e3, p50 / p50_alone, p95_alone * 1e3,
                                                     p95 / p95_alone, exposed_alone * 1e3, exposed * 1e3)):
                self.assertAlmostEqual(float(text), want, delta=0.006)
            self.assertIn("by 2 ranks (1 MiB per rank and unit)", out)
            # The report of the log says what its steps ran under.
            code, out_report, err = run("report", log)
            self.assertEqual(code, 0, err)
            self.assertIn(f"note: {log}: its steps ran under alltoall background traffic (emulation.background)",
                          out_report)
            self.assertIn(f"0.000 GB/s per node (median; the larger of out and in over other nodes), {units.sum()} units",
                          out)

    def test_a_background_that_leaves_a_node_no_training_rank_is_refused_once_and_writes_nothing(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "refused.h5")
            for per_node, message in (("4", "emulation.background_ranks_per_node: 4 would leave node 0 (4 ranks) no "
                                            "rank to train"),
                                      ("1", "emulation.background: its 1 rank (the last of the only node) cannot "
                                            "make traffic alone")):
                code, out, err = run("run", TINY, "--output", log, "--set", "emulation.background=incast",
                                     "--set", f"emulation.background_ranks_per_node={per_node}", ranks=4, timeout=120)
                self.assertEqual(code, 2, out + err)
                self.assertEqual(sum(message in line for line in scaleout_lines(err)), 1, err)
                self.assertFalse(os.path.exists(log))
            # A refusal of the training side (its layout) reaches the background ranks: all end, exit 2.
            code, out, err = run("run", TINY, "--output", log, "--set", "emulation.background=incast",
                                 "--set", "emulation.background_ranks_per_node=2", "--set", "parallel.tp=4",
                                 ranks=4, timeout=120)
            self.assertEqual(code, 2, out + err)
            self.assertIn("parallel.tp: 4 does not divide", err)
            self.assertFalse(os.path.exists(log))


class BadConfigs(unittest.TestCase):
    def test_exit_two_with_one_message_before_any_communication(self):
        cases = [
            ("model: tiny\nbatch: {micro: 1, globl: 4}\n", "'batch.globl' is not an option; batch has micro, global"),
            ("model: tiny\nbatch: {micro: 3, global: 8}\n",
             "batch.global: 8 is not a multiple of batch.micro x dp = 3 x 2 = 6; use 6 or 12"),
            ("model: tiny\nparallel: {dp: 4}\n", "parallel.dp: 4 does not match the 2 ranks of this job"),
            ("model: tiny\nemulation: {steps: 1e99}\n", "emulation.steps: '1e99' is not allowed"),
            ("model: [\n", "not valid YAML"),
        ]
        with tempfile.TemporaryDirectory() as folder:
            for text, expected in cases:
                with self.subTest(config=text):
                    path = write(folder, "bad.yaml", text)
                    code, out, err = run("run", path, "--output", os.path.join(folder, "x.h5"), ranks=2)
                    self.assertEqual(code, 2, out + err)
                    lines = scaleout_lines(err)
                    self.assertEqual(len(lines), 1, err)
                    self.assertIn(expected, lines[0])
                    self.assertFalse(os.path.exists(os.path.join(folder, "x.h5")))

    def test_bad_set_and_missing_file(self):
        code, _, err = run("run", TINY, "--set", "dp.bucket_mb=-1")
        self.assertEqual(code, 2)
        self.assertIn("dp.bucket_mb: '-1' is not allowed", err)
        code, _, err = run("run", "/nonexistent.yaml")
        self.assertEqual(code, 2)
        self.assertIn("/nonexistent.yaml: no such file", err)


class Plan(unittest.TestCase):
    def test_llama2_7b_has_674_billion_parameters(self):
        code, out, err = run("plan", os.path.join(CONFIGS, "llama2-7b-dp.yaml"), "--ranks", "2")
        self.assertEqual(code, 0, err)
        self.assertIn("parameters 6.74B (6738415616)", out)
        self.assertRegex(out, r"\n +dp +allreduce +\d+ x")

    def test_json_carries_the_documented_fields(self):
        import json
        code, out, err = run("plan", TINY, "--ranks", "4", "--json")
        self.assertEqual(code, 0, err)
        plan = json.loads(out)
        self.assertEqual(plan["parameters"], 3426560)
        self.assertGreater(plan["flops_per_step"], 0)
        self.assertGreater(plan["memory_per_device_bytes"], 0)
        self.assertEqual(plan["layout"]["dp"], 4)
        self.assertEqual(len(plan["stages"]), 1)
        ops = plan["stages"][0]["ops"]
        # Megatron's defaults: the gradients reduced in fp32, 4 bytes each.
        self.assertEqual(plan["framework"], {"name": "megatron", "gradient_dtype": "fp32", "bucket_bytes": 1 << 20,
                                             "bucket_elements": 262144, "overlap": True,
                                             "overlap_param_gather": False, "tp_comm_overlap": False})
        self.assertEqual(plan["model"]["padded_vocab"], 1024)  # already a multiple of 128
        self.assertEqual(plan["device"]["fabric"], {"name": "NVLink 4", "bandwidth": 450e9, "pair_bandwidth": 450e9,
                                                    "latency": 3.4e-6, "devices_per_node": 8})
        self.assertEqual(sum(op["bytes"] * op["count_per_step"] for op in ops), 4 * 3426560)
        self.assertTrue(all(set(op) == {"group", "channel", "kind", "bytes", "count_per_step"} for op in ops))
        self.assertEqual(set(plan["memory"]), {"stage", "parameters", "gradients", "optimizer_states", "activations",
                                               "microbatches_in_flight", "total", "capacity", "fits"})


if __name__ == "__main__":
    unittest.main()
