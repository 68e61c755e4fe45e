"""End-to-end tests of `scaleout trace`, `predict --trace` and the report's critical path and message
sizes, on a tiny tp 2 x pp 2 run traced here: the timeline holds one slice per /ops row of the chosen
steps and ranks and pairs every pipeline send with its receive; a rank slowed on purpose is the one the
critical path names; the message sizes are recomputed from /program with h5py; bad input is refused."""

import json
import os
import shutil
import tempfile
import unittest
from collections import Counter

import h5py
import numpy as np

from test_cli import run, scaleout_lines

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "runs", "configs")
HYBRID = os.path.join(CONFIGS, "tiny-hybrid.yaml")
STEPS = ("--set", "emulation.steps=4", "--set", "emulation.warmup=1")


def traced_run(folder, name, *sets):
    log = os.path.join(folder, name)
    code, out, err = run("run", HYBRID, "--output", log, "--set", "output.trace=true", *STEPS, *sets, ranks=4,
                         timeout=300)
    assert code == 0, out + err
    return log


def rank_of_track(trace):
    """Every track's rank, from the thread names the trace gives them ("rank 3 ...")."""
    return {e["tid"]: int(e["args"]["name"].split()[1]) for e in trace["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name"}


def op_slices(trace):
    """The slices of ops: one per op, an instant event where the op took no time."""
    return [e for e in trace["traceEvents"] if (e["ph"] == "X" and e["cat"] != "step") or e["ph"] == "i"]


def report_json(log):
    code, out, err = run("report", log, "--format", "json")
    assert code == 0, out + err
    return json.loads(out)["points"][0]


class Timeline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp()
        cls.log = traced_run(cls.folder, "hybrid.h5")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder)

    def trace(self, *args):
        path = os.path.join(self.folder, "trace.json")
        code, out, err = run("trace", self.log, "--output", path, *args)
        self.assertEqual(code, 0, out + err)
        with open(path) as f:
            return json.load(f), out

    def test_one_slice_per_op_row_of_the_chosen_steps_and_ranks_with_what_each_op_was(self):
        trace, out = self.trace("--steps", "2:3", "--ranks", "1-3")
        with h5py.File(self.log, "r") as f:
            ops = f["ops"][:]
            program = f["program"][:]
            ranks = f["ranks"][:]
        chosen = ops[np.isin(ops["step"], [2, 3]) & np.isin(ops["rank"], [1, 2, 3])]
        slices = op_slices(trace)
        rank_of = rank_of_track(trace)
        self.assertEqual(len(slices), len(chosen))
        self.assertEqual(Counter((e["args"]["step"], rank_of[e["tid"]], e["args"]["op"]) for e in slices),
                         Counter((int(r["step"]), int(r["rank"]), int(r["op"])) for r in chosen))
        steps = [e for e in trace["traceEvents"] if e["ph"] == "X" and e["cat"] == "step"]
        self.assertEqual(len(steps), 2 * 3)
        # Each slice says what its op is, from /program of the rank's stage; its time is the row's.
        offsets = dict(zip(trace["otherData"]["steps"], trace["otherData"]["step_offsets_s"]))
        rows = {(int(r["step"]), int(r["rank"]), int(r["op"])): r for r in chosen}
        for e in slices:
            rank = rank_of[e["tid"]]
            stage = ranks["pp"][rank]
            op = program[(program["stage"] == stage) & (program["op"] == e["args"]["op"])][0]
            self.assertEqual(e["args"]["kind"], op["kind"].decode())
            row = rows[(e["args"]["step"], rank, e["args"]["op"])]
            self.assertAlmostEqual(e["ts"], (offsets[e["args"]["step"]] + row["begin_s"]) * 1e6, delta=0.002)
            if op["kind"] != b"compute":
                self.assertEqual(e["args"]["group"], op["group"].decode())
                self.assertEqual(e["args"]["bytes"], int(op["bytes"]))
                self.assertEqual(e["args"]["algorithm"], op["algorithm"].decode())
                self.assertIn(e["args"]["tier"], ("intra_node", "network"))
            self.assertEqual(e["pid"], int(ranks["node"][rank]))
        self.assertIn("3 ranks", out)
        self.assertEqual(trace["otherData"]["source"], "measured")

    def test_every_pipeline_send_has_a_flow_to_its_receive(self):
        trace, _ = self.trace("--steps", "1")
        with h5py.File(self.log, "r") as f:
            program = f["program"][:]
            ranks = f["ranks"][:]
        sends = sum(int(np.sum((program["stage"] == ranks["pp"][r]) & (program["kind"] == b"start")
                               & (program["transfer"] == b"send"))) for r in range(len(ranks)))
        starts = {e["id"]: e for e in trace["traceEvents"] if e["ph"] == "s"}
        ends = {e["id"]: e for e in trace["traceEvents"] if e["ph"] == "f"}
        self.assertEqual(len(starts), sends)
        self.assertEqual(set(starts), set(ends))
        rank_of = rank_of_track(trace)
        for flow, start in starts.items():
            # From a stage to the next or the one before: the ranks of one tp position in the two stages.
            self.assertEqual(abs(rank_of[start["tid"]] - rank_of[ends[flow]["tid"]]), 2)
        # Slices of one track nest: none starts inside another and ends outside it.
        for track in {(e["pid"], e["tid"]) for e in trace["traceEvents"] if e["ph"] == "X"}:
            spans = sorted((e["ts"], e["ts"] + e["dur"]) for e in trace["traceEvents"]
                           if e["ph"] == "X" and (e["pid"], e["tid"]) == track)
            open_ = []
            for begin, end in spans:
                while open_ and open_[-1] <= begin:
                    open_.pop()
                if open_:
                    self.assertLessEqual(end, open_[-1], f"slices cross on track {track}")
                open_.append(end)

    def test_the_report_carries_the_critical_path_and_the_message_sizes(self):
        point = report_json(self.log)
        path = point["critical_path"]
        for part in ("ranks", "nodes"):
            self.assertAlmostEqual(sum(x["share"] for x in path[part]), 1.0, places=9)
        for part in ("groups", "kinds"):
            self.assertAlmostEqual(sum(path[part].values()), 1.0, places=9)
        self.assertAlmostEqual(path["groups"]["compute"], path["kinds"]["compute"], places=12)
        with h5py.File(self.log, "r") as f:
            program = f["program"][:]
            ranks = f["ranks"][:]
            steps = f["steps"][:]
        # The path's length is the job's step: the slowest rank's, summed over the measured steps.
        measured = steps[steps["warmup"] == 0]
        self.assertEqual(path["steps"], len(set(measured["step"])))
        job = sum(np.max(measured["step_s"][measured["step"] == s]) for s in set(measured["step"]))
        self.assertAlmostEqual(path["seconds"], job, places=9)
        # Message sizes: every start and blocking op of every rank's stage, binned by the next power of 2.
        expected = {}
        for r in range(len(ranks)):
            # A message once, as its sender's: not the receive.
            mine = program[(program["stage"] == ranks["pp"][r])
                           & np.isin(program["kind"], [b"start", b"blocking"]) & (program["bytes"] > 0)
                           & (program["transfer"] != b"recv")]
            for op in mine:
                upto = 1 << (int(op["bytes"]) - 1).bit_length()
                key = (op["group"].decode(), upto)
                count, total = expected.get(key, (0, 0))
                expected[key] = (count + 1, total + int(op["bytes"]))
        got = {(g, b["upto_bytes"]): (b["operations"], b["bytes"]) for g, bins in point["message_sizes"].items()
               for b in bins}
        self.assertEqual(got, expected)
        code, out, _ = run("report", self.log)
        self.assertIn("critical path at 4 ranks", out)
        self.assertIn("message sizes at 4 ranks", out)
        plots = os.path.join(self.folder, "plots")
        os.mkdir(plots)
        code, out, err = run("report", self.log, "--plots", plots)
        self.assertEqual(code, 0, out + err)
        with open(os.path.join(plots, "message_sizes.svg")) as f:
            svg = f.read()
        for (group, upto) in expected:
            self.assertIn(f'id="operations-{group}-{upto}"', svg)
            self.assertIn(f'id="bytes-{group}-{upto}"', svg)

    def test_predict_writes_the_same_format_from_the_analytical_executor(self):
        calibration = os.path.join(self.folder, "calibration.json")
        code, out, err = run("calibrate", "--output", calibration, "--sizes", "16K:256K:4", "--iters", "3",
                             "--warmup", "1", ranks=2, timeout=300)
        self.assertEqual(code, 0, out + err)
        path = os.path.join(self.folder, "predicted.json")
        code, out, err = run("predict", HYBRID, "--calibration", calibration, "--nodes", "1", "--ranks-per-node",
                             "4", "--trace", path)
        self.assertEqual(code, 0, out + err)
        with open(path) as f:
            trace = json.load(f)
        self.assertEqual(trace["otherData"]["source"], "predicted")
        with h5py.File(self.log, "r") as f:
            program = f["program"][:]
        slices = op_slices(trace)
        # One simulated rank per stage (ranks 0 and 2), every op of its stage's program once.
        rank_of = rank_of_track(trace)
        self.assertEqual(sorted({rank_of[e["tid"]] for e in slices}), [0, 2])
        self.assertEqual(len(slices), len(program))
        self.assertEqual(len([e for e in trace["traceEvents"] if e["ph"] == "s"]),
                         int(np.sum((program["kind"] == b"start") & (program["transfer"] == b"send"))))
        code, _, err = run("predict", HYBRID, "--calibration", calibration, "--nodes", "1,2", "--trace", path)
        self.assertEqual(code, 2)
        self.assertIn("--trace: draws the step at one node count", err)

    def test_bad_input_is_refused_with_exit_2_and_no_file_written(self):
        path = os.path.join(self.folder, "refused.json")
        for args, message in ((("--steps", "9"), "--steps: step 9 is not in"),
                              (("--ranks", "0,7"), "--ranks: 7 is not a rank of"),
                              (("--ranks", "3-1"), "a range that ends below its start"),
                              (("--max-mb", "0.01"), "above --max-mb 0.01: choose fewer with --steps and --ranks")):
            code, out, err = run("trace", self.log, "--output", path, *args)
            self.assertEqual(code, 2, out + err)
            self.assertIn(message, err)
            self.assertEqual(len(scaleout_lines(err)), 1, err)
            self.assertFalse(os.path.exists(path))
        # A /ops row that names no op: trace refuses the log naming the row; report leaves out the critical
        # path and the message sizes with a note, and reports the rest.
        damaged = os.path.join(self.folder, "damaged-ops.h5")
        shutil.copy(self.log, damaged)
        with h5py.File(damaged, "r+") as f:
            last = len(f["ops"]) - 1  # of the last step, a measured one
            row = f["ops"][last]
            row["op"] = 99999
            f["ops"][last] = row
        code, out, err = run("trace", damaged, "--output", path)
        self.assertEqual(code, 2, out + err)
        self.assertIn(f"/ops row {last}: op 99999 of rank", err)
        code, out, err = run("report", damaged)
        self.assertEqual(code, 0, out + err)
        self.assertIn("critical path and the message sizes are left out: ", out)
        self.assertIn("critical path at 4 ranks: not traced", out)
        self.assertIsNone(report_json(damaged)["critical_path"])
        untraced = os.path.join(self.folder, "untraced.h5")
        code, out, err = run("run", HYBRID, "--output", untraced, *STEPS, ranks=4, timeout=300)
        self.assertEqual(code, 0, out + err)
        code, out, err = run("trace", untraced, "--output", path)
        self.assertEqual(code, 2)
        self.assertIn("holds no op trace; run with output.trace: true", err)
        self.assertIn("critical path at 4 ranks: not traced", run("report", untraced)[1])
        self.assertIsNone(report_json(untraced)["critical_path"])


class SlowRank(unittest.TestCase):
    def test_the_critical_path_names_the_rank_slowed_on_purpose(self):
        with tempfile.TemporaryDirectory() as folder:
            log = traced_run(folder, "slow.h5", "--set", "emulation.test_slow_rank=1",
                             "--set", "emulation.test_slow_factor=4")
            point = report_json(log)
            path = point["critical_path"]
            self.assertEqual(path["top_rank"], 1)
            share = {x["rank"]: x["share"] for x in path["ranks"]}
            self.assertGreater(share[1], 0.5)
            self.assertEqual([s["rank"] for s in point["stragglers"]][:1], [1])
            self.assertEqual(point["straggler_nodes"][0]["node"], 0)


if __name__ == "__main__":
    unittest.main()
