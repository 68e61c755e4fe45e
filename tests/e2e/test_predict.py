"""End-to-end tests of `scaleout calibrate`, `scaleout predict` and `scaleout report --calibration`:
a calibration made here, on this machine's ranks; a run of the tiny model predicted against its own
measurement; what-if and sensitivity answers on a calibration with a network tier; bad input."""

import copy
import json
import os
import shutil
import tempfile
import time
import unittest

from test_cli import run, scaleout_lines, write

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "runs", "configs")
TINY = os.path.join(CONFIGS, "tiny.yaml")
LLAMA_405B = os.path.join(CONFIGS, "llama3-405b.yaml")


def with_network(calibration):
    """The calibration with an inter-node tier added by hand: 1 GB/s and 20 us for every collective."""
    made = copy.deepcopy(calibration)
    for fit in calibration["fits"]:
        if fit["tier"] == "intra":
            added = copy.deepcopy(fit)
            added.update(tier="inter", pieces=[{"from_bytes": 0, "alpha_s": 20e-6, "beta_s_per_byte": 1e-9,
                                                "bandwidth_gbs": 1.0}])
            made["fits"].append(added)
    made["cluster"]["nodes"] = 2
    return made


class Calibrate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp()
        cls.path = os.path.join(cls.folder, "calibration.json")
        code, out, err = run("calibrate", "--output", cls.path, "--sizes", "16K:1M:4", "--iters", "5", "--warmup", "1",
                             ranks=2, timeout=300)
        assert code == 0, out + err
        cls.out = out
        with open(cls.path) as f:
            cls.calibration = json.load(f)
        cls.networked = write(cls.folder, "networked.json", json.dumps(with_network(cls.calibration)))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder)

    def test_the_file_holds_every_fit_of_the_node_with_its_points_and_the_cluster(self):
        c = self.calibration
        self.assertEqual(c["format"], "scaleout-calibration")
        self.assertEqual((c["cluster"]["nodes"], c["cluster"]["ranks_per_node"]), (1, 2))
        kinds = {(f["tier"], f["progress"], f["collective"]) for f in c["fits"]}
        expected = {("intra", p, k) for p in ("blocking", "polled")
                    for k in ("allreduce", "reduce_scatter", "allgather", "alltoall", "sendrecv")}
        self.assertEqual(kinds, expected)  # one node: no inter-node tier
        for fit in c["fits"]:
            self.assertEqual(fit["ranks"], 2)
            self.assertEqual([p["bytes"] for p in fit["points"]], [16384, 65536, 262144, 1048576])
            for point in fit["points"]:
                self.assertGreater(point["seconds"], 0)
                # The residuals are those of the points.
                self.assertLessEqual(abs(point["fitted_seconds"] - point["seconds"]) / point["seconds"],
                                     fit["max_residual"] + 1e-12)
            self.assertGreaterEqual(min(p["alpha_s"] for p in fit["pieces"]), 0)
        self.assertEqual(c["compute"]["mode"], "sleep")
        self.assertEqual(len(c["compute"]["points"]), 5)
        self.assertIn("inter-node: not measured (one node)", self.out)

    def test_a_run_just_measured_is_predicted_within_a_generous_tolerance(self):
        log = os.path.join(self.folder, "tiny.h5")
        code, out, err = run("run", TINY, "--output", log, "--set", "emulation.steps=6", ranks=2, timeout=300)
        self.assertEqual(code, 0, out + err)
        code, out, err = run("report", log, "--calibration", self.path, "--format", "json")
        self.assertEqual(code, 0, err)
        point = json.loads(out)["points"][0]
        step = point["predicted"]["step p50"]
        self.assertAlmostEqual(step["measured_s"], point["step_p50_s"], places=12)
        # Two ranks sharing two cores with the test runner: noise is large, the bound generous.
        self.assertLess(abs(step["error"]), 0.35, step)
        compute = point["predicted"]["compute"]
        self.assertLess(abs(compute["error"]), 0.1, compute)
        code, out, err = run("report", log, "--calibration", self.path)
        self.assertEqual(code, 0, err)
        self.assertIn("predicted against measured", out)
        self.assertRegex(out, r"step p50 +[0-9.]+ +[0-9.]+ +[-+][0-9.]+")

    def test_predict_gives_the_breakdown_and_sensitivity_per_scale(self):
        code, out, err = run("predict", TINY, "--calibration", self.networked, "--nodes", "1:4", "--format", "json")
        self.assertEqual(code, 0, err)
        result = json.loads(out)
        self.assertEqual([p["nodes"] for p in result["points"]], [1, 2, 4])
        self.assertEqual([p["ranks"] for p in result["points"]], [2, 4, 8])
        self.assertEqual([p["layout"]["dp"] for p in result["points"]], [2, 4, 8])
        for p in result["points"]:
            self.assertAlmostEqual(p["step_s"], p["compute_s"] + p["exposed_total_s"] + p["bubble_s"], delta=1e-9)
            for resource in ("compute", "memory_bandwidth", "intra_bandwidth", "network_bandwidth"):
                self.assertGreaterEqual(p["sensitivity"][resource], 1 - 1e-9)
        one, four = result["points"][0], result["points"][2]
        self.assertEqual(one["sensitivity"]["network_bandwidth"], 1.0)  # one node: no network
        self.assertGreater(four["exposed_s"]["dp"], one["exposed_s"]["dp"])
        code, text, err = run("predict", TINY, "--calibration", self.networked, "--nodes", "1,2")
        self.assertEqual(code, 0, err)
        for heading in ("step ms", "exp dp", "crossover:", "best upgrade"):
            self.assertIn(heading, text)

    def test_a_faster_network_shrinks_exposed_communication_across_nodes(self):
        def exposed(*what_if):
            code, out, err = run("predict", TINY, "--calibration", self.networked, "--nodes", "4", "--format", "json",
                                 *what_if)
            self.assertEqual(code, 0, err)
            return json.loads(out)["points"][0]["exposed_s"]["dp"]

        base, faster, slower = exposed(), exposed("--bandwidth-scale", "4"), exposed("--latency-scale", "10")
        self.assertLess(faster, base)
        self.assertGreater(slower, base)

    def test_the_devices_fabric_costs_the_hops_inside_a_node(self):
        def predicted(*intra_node):
            code, out, err = run("predict", TINY, "--calibration", self.path, "--nodes", "1", "--set",
                                 "parallel.tp=2", "--format", "json", *intra_node)
            self.assertEqual(code, 0, err)
            return json.loads(out)

        host, device = predicted("--intra-node", "host"), predicted("--intra-node", "device")
        self.assertEqual((host["intra_node"], device["intra_node"]), ("host", "device"))
        # Without --intra-node, as the run would: the config's emulation.intra_node (device for an H100).
        self.assertEqual(predicted()["intra_node"], "device")
        self.assertEqual(predicted("--set", "emulation.intra_node=host")["intra_node"], "host")
        # NVLink 4 (450 GB/s a direction, 3.4 us a hop) against this host's shared memory.
        self.assertLess(device["points"][0]["exposed_s"]["tp"], host["points"][0]["exposed_s"]["tp"])
        code, text, err = run("predict", TINY, "--calibration", self.path, "--nodes", "1", "--intra-node", "device")
        self.assertEqual(code, 0, err)
        self.assertIn("inside a node: the device's fabric, not the host's (8 per node over NVLink 4", text)

    def test_llama_405b_at_16384_ranks_is_predicted(self):
        began = time.monotonic()
        code, out, err = run("predict", LLAMA_405B, "--calibration", self.networked, "--nodes", "2048",
                             "--ranks-per-node", "8", "--format", "json")
        self.assertEqual(code, 0, err)
        point = json.loads(out)["points"][0]
        self.assertEqual(point["ranks"], 16384)
        self.assertEqual(point["layout"], {"dp": 1024, "tp": 8, "pp": 2, "cp": 1, "ep": 1})
        self.assertGreater(point["bubble_s"], 0)
        self.assertEqual(len(point["stages"]), 2)
        # Not a timing assertion (the benchmark measures it): a bound only a hang or a blow-up breaks.
        self.assertLess(time.monotonic() - began, 60)

    def test_bad_input_exits_2_with_one_message(self):
        folder = self.folder
        broken = write(folder, "broken.json", "{ not json")
        other = write(folder, "other.json", json.dumps({"format": "something else"}))
        negative = copy.deepcopy(self.calibration)
        negative["fits"][0]["pieces"][0]["alpha_s"] = -1
        negative_path = write(folder, "negative.json", json.dumps(negative))
        cases = [
            (["predict", TINY, "--calibration", self.path, "--nodes", "2"], "inter-node"),
            (["predict", TINY, "--calibration", self.path, "--nodes", "0"], "--nodes"),
            (["predict", TINY, "--calibration", self.path, "--nodes", "4:2"], "--nodes"),
            (["predict", TINY, "--calibration", self.path, "--nodes", "two"], "--nodes"),
            (["predict", TINY, "--calibration", self.path, "--bandwidth-scale", "-1"], "--bandwidth-scale"),
            (["predict", TINY, "--calibration", self.path, "--latency-scale", "nan"], "--latency-scale"),
            (["predict", TINY, "--calibration", self.path, "--intra-node", "nvlink"], "--intra-node"),
            (["predict", TINY, "--calibration", broken], "not JSON"),
            (["predict", TINY, "--calibration", other], "scaleout-calibration"),
            (["predict", TINY, "--calibration", negative_path], "fits.pieces.alpha_s"),
            (["predict", TINY, "--calibration", folder], "--calibration"),
            (["predict", TINY, "--calibration", os.path.join(folder, "missing.json")], "missing.json: no such file"),
            (["predict", TINY, "--calibration", self.path, "--set", "parallel.tp=3"], "parallel.tp"),
            (["predict", TINY, "--calibration", self.path, "--format", "csv"], "--format: csv is for serving"),
            (["predict", TINY, "--calibration", self.path, "--format", "yaml"], "--format"),
            (["report", self.path, "--calibration", self.path], ""),
        ]
        for args, expected in cases:
            code, out, err = run(*args)
            lines = scaleout_lines(err)
            self.assertEqual(code, 2, (args, out, err))
            self.assertEqual(len(lines), 1, (args, err))
            self.assertIn(expected, lines[0], args)

    def test_serving_sweep_over_tp_and_thinking_budget(self):
        serve = os.path.join(CONFIGS, "tiny-serve.yaml")
        code, out, err = run("predict", serve, "--calibration", self.networked, "--tp", "1,2,4",
                             "--output-tokens", "16,4", "--ranks-per-node", "2", "--format", "json")
        self.assertEqual(code, 0, out + err)
        report = json.loads(out)
        rows = report["runs"]
        self.assertEqual([(r["tp"], r["output_tokens"], r["nodes"]) for r in rows],
                         [(1, 4, 1), (2, 4, 1), (4, 4, 2), (1, 16, 1), (2, 16, 1), (4, 16, 2)])
        for r in rows:
            self.assertGreater(r["ttft_p50_s"], 0)
            self.assertGreater(r["tpot_p50_s"], 0)
            self.assertAlmostEqual(r["tokens_per_s_device"] * r["ranks"], r["tokens_per_s_replica"])
        by = {(r["tp"], r["output_tokens"]): r for r in rows}
        # A longer thinking budget takes longer; tp across the network exposes more of a decode pass.
        self.assertGreater(by[(2, 16)]["batch_s"], by[(2, 4)]["batch_s"])
        self.assertGreater(by[(4, 16)]["decode_comm_share"], by[(2, 16)]["decode_comm_share"])
        self.assertEqual(by[(1, 16)]["decode_comm_share"], 0)
        # The predicted passes are the programs' own: one replica of tp 1 decodes at its device time.
        code, out, err = run("plan", serve, "--set", "parallel.tp=1", "--set", "inference.output_tokens=16",
                             "--json")
        plan = json.loads(out)
        first = plan["stages"][0]["decode_first"]["compute_seconds"]
        last = plan["stages"][0]["decode_last"]["compute_seconds"]
        self.assertGreaterEqual(by[(1, 16)]["tpot_p50_s"], first)
        self.assertLessEqual(by[(1, 16)]["tpot_p50_s"], last * 1.2)
        # Serving predictions print every format of the vocabulary, as the serving report does.
        code, out, err = run("predict", serve, "--calibration", self.networked, "--tp", "1,2", "--output-tokens",
                             "4", "--ranks-per-node", "2", "--format", "csv")
        self.assertEqual(code, 0, out + err)
        self.assertEqual(out.splitlines()[0].split(",")[:2], ["tp", "pp"])
        self.assertEqual(len(out.splitlines()), 3)
        for args, expected in ((["--nodes", "1,2"], "--nodes"), (["--tp", "0"], "--tp")):
            code, out, err = run("predict", serve, "--calibration", self.networked, *args)
            self.assertEqual(code, 2, out + err)
            self.assertIn(expected, err)
        code, out, err = run("predict", os.path.join(CONFIGS, "tiny.yaml"), "--calibration", self.networked,
                             "--tp", "2")
        self.assertEqual(code, 2, out + err)
        self.assertIn("sweeps serving configs", err)

    def test_calibrate_refuses_bad_arguments_before_measuring(self):
        cases = [
            (["--sizes", "64K"], "at least two"),
            (["--dtype", "int8"], "--dtype"),
            (["--compute", "nap"], "--compute"),
            (["--output", os.path.join(self.folder, "c.txt")], ".json"),
            (["--output", self.path], "--overwrite"),
            (["--output", "/nonexistent/c.json"], "cannot be written"),
        ]
        for args, expected in cases:
            code, out, err = run("calibrate", *args, ranks=2)
            self.assertEqual(code, 2, (args, out, err))
            lines = scaleout_lines(err)
            self.assertEqual(len(lines), 1, (args, err))
            self.assertIn(expected, lines[0], args)


if __name__ == "__main__":
    unittest.main()
