"""End-to-end tests of hybrid layouts as a user runs them: a tp x pp run with --check and its log, the
pipeline bubble against theory, layouts that do not fit the job or the device, and `scaleout plan`
with placement and memory for Llama-3 70B."""

import json
import os
import tempfile
import unittest

import h5py
import numpy as np

from test_cli import DATA, run, scaleout_lines, write

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "runs", "configs")
HYBRID = os.path.join(CONFIGS, "tiny-hybrid.yaml")
LLAMA3_70B = os.path.join(CONFIGS, "llama3-70b-tp8-pp4.yaml")

# Eight thin layers and a tiny vocabulary on a slow device: stages of equal compute, communication
# negligible against it, so the measured bubble is the schedule's.
PIPELINE = """model: {layers: 8, hidden: 256, heads: 4, vocab: 16, seq_len: 128, architecture: llama, ffn_hidden: 688}
device: {preset: h100-sxm, peak_tflops: 0.1}
batch: {micro: 1, global: 8}
parallel: {pp: 4}
emulation: {steps: 3, warmup: 1}
"""


class HybridRun(unittest.TestCase):
    def test_tp_by_pp_run_checks_every_transfer_and_logs_the_grid(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "hybrid.h5")
            code, out, err = run("run", HYBRID, "--output", log, "--check", "--set", "output.trace=true",
                                 "--set", "parallel.sequence_parallel=true", ranks=4, timeout=300)
            self.assertEqual(code, 0, out + err)
            self.assertIn("dp 1 x tp 2 (sp) x pp 2 (1f1b)", out)
            for line in ("exposed comm tp", "exposed comm pp", "pipeline bubble"):
                self.assertIn(line, out)
            with h5py.File(log, "r") as f:
                self.assertEqual(f.attrs["status"], "complete")
                self.assertEqual((f.attrs["tp"], f.attrs["pp"], f.attrs["dp"]), (2, 2, 1))
                ranks = f["ranks"][:]
                self.assertEqual(list(ranks["tp"]), [0, 1, 0, 1])
                self.assertEqual(list(ranks["pp"]), [0, 0, 1, 1])
                steps = f["steps"][:]
                self.assertTrue(np.all(steps["wrong"] == 0))
                exposed = sum(steps[f"exposed_{g}_s"] for g in ("dp", "tp", "pp", "ep", "cp"))
                total = steps["compute_s"] + exposed + steps["bubble_s"] + steps["other_s"]
                self.assertLess(np.max(np.abs(total - steps["step_s"]) / steps["step_s"]), 1e-9)
                self.assertTrue(np.all(steps["bytes_tp"] > 0))
                self.assertTrue(np.all(steps["bytes_pp"] > 0))
                self.assertTrue(np.all(steps["bubble_s"] > 0))
                program = f["program"][:]
                self.assertEqual(sorted(set(program["stage"])), [0, 1])
                self.assertEqual({t.decode() for t in program["transfer"]} - {""},
                                 {"allreduce", "reduce_scatter", "allgather", "send", "recv"})
                # Every op row names an op of its rank's stage program.
                ops = f["ops"][:]
                sizes = {s: int(np.sum(program["stage"] == s)) for s in (0, 1)}
                self.assertEqual(len(ops), 10 * sum(sizes[p] for p in ranks["pp"]))

    def test_moe_with_expert_parallelism_runs_exact(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "moe.h5")
            code, out, err = run("run", HYBRID, "--output", log, "--check", "--set", "model.preset=tiny-moe",
                                 "--set", "parallel.tp=1", "--set", "parallel.pp=1", "--set", "parallel.ep=2",
                                 "--set", "emulation.steps=3", ranks=4, timeout=300)
            self.assertEqual(code, 0, out + err)
            self.assertIn("exposed comm ep", out)
            with h5py.File(log, "r") as f:
                steps = f["steps"][:]
                self.assertTrue(np.all(steps["wrong"] == 0))
                self.assertTrue(np.all(steps["bytes_ep"] > 0))
                self.assertEqual(list(f["ranks"]["ep"]), [0, 1, 0, 1])


class Bubble(unittest.TestCase):
    """The measured bubble of pp 4 with 8 microbatches against (p-1)/(m+p-1), and interleaving's gain."""

    def measured_share(self, folder, name, *sets):
        log = os.path.join(folder, name + ".h5")
        code, out, err = run("run", write(folder, name + ".yaml", PIPELINE), "--output", log, *sets, ranks=4,
                             timeout=300)
        self.assertEqual(code, 0, out + err)
        with h5py.File(log, "r") as f:
            return f["summary"].attrs["bubble_share"], f.attrs["ideal_bubble_share"]

    def test_1f1b_bubble_matches_theory_and_interleaving_lowers_it(self):
        with tempfile.TemporaryDirectory() as folder:
            share, ideal = self.measured_share(folder, "1f1b")
            self.assertAlmostEqual(ideal, 3 / 11)
            self.assertLess(abs(share / ideal - 1), 0.10, f"measured {share:.4f}, theory {ideal:.4f}")
            interleaved, ideal_v2 = self.measured_share(folder, "interleaved", "--set", "parallel.schedule=interleaved",
                                                        "--set", "parallel.virtual_stages=2")
            self.assertAlmostEqual(ideal_v2, 3 / 19)
            self.assertLess(interleaved, share)
            self.assertLess(abs(interleaved / ideal_v2 - 1), 0.15, f"measured {interleaved:.4f}, theory {ideal_v2:.4f}")


class BadLayouts(unittest.TestCase):
    def test_exit_two_with_the_valid_choices(self):
        cases = [
            ("parallel.tp=3", "parallel.tp: 3 does not divide the model's 4 attention heads; use 1, 2 or 4"),
            ("parallel.pp=3", "parallel.pp: 3 stages x 1 chunk do not divide the model's 4 layers; with 1 chunk per "
                              "rank, pp may be 1, 2 or 4"),
            ("parallel.tp=4",
             "parallel.tp: 4 does not divide the model's 2 key/value heads, as training needs (Megatron-LM); use 1 "
             "or 2"),
            ("parallel.pp=4",
             "parallel: tp x pp x cp = 2 x 4 x 1 = 8 does not divide the 4 ranks of this job; with 4 ranks, tp x pp x "
             "cp may be 1, 2 or 4"),
            ("parallel.dp=2", "parallel: dp x tp x pp x cp = 2 x 2 x 2 x 1 = 8 but the job has 4 ranks; use dp 1 (or 0)"),
        ]
        with tempfile.TemporaryDirectory() as folder:
            for assignment, expected in cases:
                with self.subTest(assignment=assignment):
                    log = os.path.join(folder, "x.h5")
                    code, out, err = run("run", HYBRID, "--set", assignment, "--output", log, ranks=4)
                    self.assertEqual(code, 2, out + err)
                    lines = scaleout_lines(err)
                    self.assertEqual(len(lines), 1, err)
                    self.assertIn(expected, lines[0])
                    self.assertFalse(os.path.exists(log))

    def test_strict_memory_refuses_a_layout_that_does_not_fit(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "x.h5")
            # Llama-3 70B on 8 ranks of pure data parallelism: a full replica per 80 GB device.
            args = ("run", os.path.join(CONFIGS, "llama2-7b-dp.yaml"), "--set", "model.preset=llama3-70b",
                    "--output", log)
            code, out, err = run(*args, "--strict-memory", ranks=2)
            self.assertEqual(code, 2, out + err)
            lines = scaleout_lines(err)
            self.assertEqual(len(lines), 1, err)
            self.assertIn("memory: the layout needs", lines[0])
            self.assertIn("but a h100-sxm has", lines[0])
            self.assertFalse(os.path.exists(log))


class TopoLayouts(unittest.TestCase):
    def test_topo_shows_the_grid_on_the_nodes_of_the_job(self):
        code, out, err = run("topo", "--config", HYBRID, ranks=4)
        self.assertEqual(code, 0, err)
        self.assertIn("grid: dp 1 x tp 2 x pp 2 (1f1b) on 4 ranks", out)
        self.assertIn("every TP and CP group is inside a node", out)
        code, out, err = run("topo", "--config", HYBRID, "--json", ranks=4)
        self.assertEqual(code, 0, err)
        grid = json.loads(out)["grid"]
        self.assertEqual([r["pp"] for r in grid["ranks"]], [0, 0, 1, 1])
        code, _, err = run("topo", "--config", HYBRID, "--set", "parallel.tp=3", ranks=4)
        self.assertEqual(code, 2, err)
        self.assertIn("parallel.tp: 3 does not divide", err)


class PlanLayouts(unittest.TestCase):
    def test_llama3_70b_memory_breakdown_fit_verdict_and_placement(self):
        code, out, err = run("plan", LLAMA3_70B, "--ranks", "64", "--ranks-per-node", "8")
        self.assertEqual(code, 0, err)
        self.assertIn("dp 2 x tp 8 (sp) x pp 4 (interleaved, 2 chunks), zero 1, full recompute = 64 ranks", out)
        self.assertIn("memory per device (GiB):", out)
        self.assertIn("verdict: fits", out)
        self.assertIn("every TP and CP group inside a node", out)
        self.assertNotIn("warning", out)

        code, out, err = run("plan", LLAMA3_70B, "--ranks", "64", "--ranks-per-node", "4")
        self.assertEqual(code, 0, err)
        self.assertIn("warning: 8 of 8 tp groups (of 8 ranks) span nodes", out)

        # Without recomputation and with plain 1F1B, four 8k microbatches of activations do not fit.
        code, out, err = run("plan", LLAMA3_70B, "--ranks", "32", "--set", "parallel.recompute=none",
                             "--set", "parallel.sequence_parallel=false", "--set", "parallel.schedule=1f1b",
                             "--set", "parallel.virtual_stages=1", "--json")
        self.assertEqual(code, 0, err)
        plan = json.loads(out)
        self.assertFalse(plan["memory"]["fits"])
        self.assertEqual(plan["memory"]["stage"], 0)
        self.assertEqual(plan["memory"]["microbatches_in_flight"], 4)
        self.assertEqual(len(plan["stages"]), 4)

    def test_gpt3_presets_with_head_sizes_and_groups_of_one_rank(self):
        tiny = os.path.join(CONFIGS, "tiny.yaml")
        for preset, heads in (("gpt3-13b", "40 heads of 128"), ("gpt3-1.3b", "16 heads of 128")):
            code, out, err = run("plan", tiny, "--set", "model.preset=" + preset, "--set", "device.peak_tflops=989")
            self.assertEqual(code, 0, err)
            self.assertIn(heads, out)
        # As Table 2.1 prints 1.3B: 24 heads of 128 on hidden 2048, given with model.head_dim.
        code, out, err = run("plan", tiny, "--set", "model.preset=gpt3-1.3b", "--set", "model.heads=24",
                             "--set", "model.head_dim=128", "--json")
        self.assertEqual(code, 0, err)
        plan = json.loads(out)
        self.assertEqual((plan["model"]["heads"], plan["model"]["head_dim"]), (24, 128))
        code, _, err = run("plan", tiny, "--set", "model.preset=gpt3-1.3b", "--set", "model.heads=24")
        self.assertEqual(code, 2)
        self.assertIn("model.heads: 24 does not divide model.hidden (2048)", err)
        code, _, err = run("plan", tiny, "--set", "model.preset=tiny-moe", "--set", "parallel.tp=2")
        self.assertEqual(code, 2)
        self.assertIn("parallel.sequence_parallel: a mixture of experts with tp 2 needs it", err)
        code, _, err = run("plan", tiny, "--set", "model.attention=eager")
        self.assertEqual(code, 2)
        self.assertIn("model.attention", err)
        # GPT-3 175B at tp 8 x pp 16 on 128 ranks: dp 1, so no DP op on any stage.
        code, out, err = run("plan", os.path.join(CONFIGS, "gpt3-175b.yaml"), "--ranks", "128", "--set",
                             "parallel.pp=16", "--json")
        self.assertEqual(code, 0, err)
        plan = json.loads(out)
        self.assertEqual(plan["layout"]["dp"], 1)
        self.assertEqual(plan["layout"]["groups_of_one_rank"], ["dp"])
        self.assertEqual([op for stage in plan["stages"] for op in stage["ops"] if op["group"] == "dp"], [])

    def test_placement_from_a_captured_node(self):
        # A DGX-2 XML has 16 GPUs: one rank per GPU, so tp 8 fits in a node.
        xml = os.path.join(DATA, "topologies", "nvidiaDGX2.xml")
        code, out, err = run("plan", LLAMA3_70B, "--ranks", "64", "--xml", xml)
        self.assertEqual(code, 0, err)
        self.assertIn("placement  16 ranks per node, 4 nodes: every TP and CP group inside a node", out)


if __name__ == "__main__":
    unittest.main()
