"""End-to-end tests of serving as a user runs it: prefill and decode passes on tp 4 and on tp 2 x pp 2
with --check, what their logs hold (one row per pass and rank, the KV cache's growth in the program,
the serving summary), the KV-cache verdict, bad serving configs, and the report over a sweep of
thinking budgets and tp."""

import csv
import io
import json
import os
import tempfile
import unittest

import h5py
import numpy as np

from test_cli import run, write

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "runs", "configs")
SERVE = os.path.join(CONFIGS, "tiny-serve.yaml")
LLAMA3_70B = os.path.join(CONFIGS, "llama3-70b-serve.yaml")

GROUPS = ("dp", "tp", "pp", "ep", "cp")


def serve(folder, name, *sets, ranks=4, check=True):
    log = os.path.join(folder, name + ".h5")
    args = ["run", SERVE, "--output", log] + (["--check"] if check else [])
    for s in sets:
        args += ["--set", s]
    code, out, err = run(*args, ranks=ranks, timeout=300)
    return log, code, out, err


class ServingRun(unittest.TestCase):
    def check_log(self, log, tp, pp):
        with h5py.File(log, "r") as f:
            self.assertEqual(f.attrs["status"], "complete")
            self.assertEqual(f.attrs["schema_version"], 6)
            self.assertEqual((f.attrs["tp"], f.attrs["pp"], f.attrs["output_tokens"]), (tp, pp, 16))
            steps = f["steps"][:]
            self.assertTrue(np.all(steps["wrong"] == 0))
            # 5 request batches (1 warm-up) of 16 passes on 4 ranks: a prefill making token 1, then decodes.
            self.assertEqual(len(steps), 5 * 16 * 4)
            first = steps[steps["step"] % 16 == 0]
            self.assertTrue(np.all(first["pass"] == 1) and np.all(first["token"] == 1))
            rest = steps[steps["step"] % 16 != 0]
            self.assertTrue(np.all(rest["pass"] == 2))
            self.assertEqual(sorted(set(rest["token"])), list(range(2, 17)))
            exposed = sum(steps[f"exposed_{g}_s"] for g in GROUPS)
            total = steps["compute_s"] + exposed + steps["bubble_s"] + steps["other_s"]
            self.assertLess(np.max(np.abs(total - steps["step_s"]) / steps["step_s"]), 1e-9)
            # TP moves b s h B per allreduce in prefill and b h B in decode: 2 per layer, 4 layers / pp,
            # and the embedding's on the first stage; the last gathers the logits of 8 positions (vLLM's).
            layers = 4 // pp
            stage = f["ranks"]["pp"][steps["rank"]]
            logits = (stage == pp - 1) * 8 * 1024 * 2
            for number, tokens in ((1, 8 * 64), (2, 8)):
                chosen = steps["pass"] == number
                expected = (2 * layers + (stage[chosen] == 0)) * tokens * 256 * 2 + logits[chosen]
                self.assertTrue(np.all(steps["bytes_tp"][chosen] == expected), number)
            # The program: prefill and the first decode pass of every stage; decode reads the KV cache.
            program = f["program"][:]
            self.assertEqual(set(program["pass"]), {1, 2})
            self.assertEqual(set(program["stage"]), set(range(pp)))
            summary = dict(f["summary"].attrs)
            for name in ("ttft_p50_s", "ttft_p95_s", "tpot_p50_s", "tpot_p95_s", "tokens_per_s_replica",
                         "tokens_per_s_device", "prefill_comm_share", "decode_comm_share"):
                self.assertGreater(summary[name], 0, name)
            self.assertEqual(summary["batches"], 4)
            self.assertEqual(summary["decode_passes"], 4 * 15)
            self.assertAlmostEqual(summary["tokens_per_s_device"] * 4, summary["tokens_per_s_replica"], places=6)
            self.assertEqual(f.attrs["memory_fits"], 1)
            self.assertGreater(f.attrs["memory_kv_cache_bytes"], 0)
            return steps, summary

    def test_tp4_prefill_and_decode_check_every_transfer(self):
        with tempfile.TemporaryDirectory() as folder:
            log, code, out, err = serve(folder, "tp4", "parallel.tp=4")
            self.assertEqual(code, 0, out + err)
            for line in ("time to first token", "time per output token", "tokens per second", "KV cache: fits",
                         "decode is bound by"):
                self.assertIn(line, out)
            self.check_log(log, 4, 1)

    def test_tp2_by_pp2_passes_activations_between_stages(self):
        with tempfile.TemporaryDirectory() as folder:
            log, code, out, err = serve(folder, "tp2pp2", "parallel.pp=2")
            self.assertEqual(code, 0, out + err)
            self.assertIn("replicas of tp 2 x pp 2", out)
            steps, _ = self.check_log(log, 2, 2)
            with h5py.File(log, "r") as f:
                stage = f["ranks"]["pp"][steps["rank"]]
            # The second stage waits for the first's activations: its bubble; the first sends b h B.
            decode = steps["pass"] == 2
            self.assertTrue(np.all(steps["bubble_s"][decode & (stage == 1)] > 0))
            self.assertTrue(np.all(steps["bytes_pp"][decode & (stage == 0)] == 8 * 256 * 2))
            self.assertTrue(np.all(steps["bytes_pp"][(steps["pass"] == 1) & (stage == 0)] == 8 * 64 * 256 * 2))

    def test_replicas_fill_the_job(self):
        with tempfile.TemporaryDirectory() as folder:
            log, code, out, err = serve(folder, "replicas", "emulation.steps=1", ranks=4, check=False)
            self.assertEqual(code, 0, out + err)
            self.assertIn("2 replicas of tp 2", out)
            with h5py.File(log, "r") as f:
                summary = dict(f["summary"].attrs)
                self.assertEqual(summary["replicas"], 2)
                self.assertAlmostEqual(summary["tokens_per_s_job"], 2 * summary["tokens_per_s_replica"], places=6)


class ServingConfig(unittest.TestCase):
    def test_kv_cache_that_does_not_fit_is_named(self):
        code, out, err = run("plan", LLAMA3_70B, "--set", "parallel.tp=2", "--set", "inference.sequences=256")
        self.assertEqual(code, 0, out + err)
        self.assertIn("does not fit", out)
        self.assertIn("at most", out)
        code, out, err = run("plan", LLAMA3_70B)
        self.assertEqual(code, 0, out + err)
        self.assertIn("fits: 17.6 GB of weights + 6.7 GB of KV cache", out)
        self.assertIn("at most 323 sequences of 5120 tokens, or 51788 tokens for 32 sequences", out)

    def test_strict_memory_refuses_what_does_not_fit(self):
        code, out, err = run("run", LLAMA3_70B, "--set", "parallel.tp=1", "--strict-memory", ranks=1)
        self.assertEqual(code, 2, out + err)
        self.assertIn("the weights alone", err)

    def test_bad_serving_configs_exit_two_naming_the_field(self):
        cases = [
            (["inference.output_tokens=0"], "inference.output_tokens"),
            (["parallel.cp=2"], "parallel.cp"),
            (["batch.global=8"], "batch.global"),
            (["inference.sequences=3", "parallel.tp=1", "parallel.ep=2", "model.preset=tiny-moe"], "inference.sequences"),
        ]
        for sets, field in cases:
            args = ["run", SERVE]
            for s in sets:
                args += ["--set", s]
            code, out, err = run(*args, ranks=2)
            self.assertEqual(code, 2, (sets, out, err))
            self.assertIn(field, err)
        code, out, err = run("run", SERVE, "--set", "parallel.pp=2", ranks=3)
        self.assertEqual(code, 2, out + err)
        self.assertIn("replica of tp x pp x ep = 2 x 2 x 1 = 4 ranks", err)
        with tempfile.TemporaryDirectory() as folder:
            config = write(folder, "c.yaml", "model: tiny\ninference: {sequences: 4}\n")
            code, out, err = run("run", config, ranks=1)
            self.assertEqual(code, 2, out + err)
            self.assertIn("inference.prompt_tokens: required", err)


class ServingSweep(unittest.TestCase):
    def test_report_over_thinking_budgets_and_tp(self):
        with tempfile.TemporaryDirectory() as folder:
            logs = []
            for tp in (1, 2):
                for tokens in (4, 12):
                    log, code, out, err = serve(folder, f"tp{tp}-out{tokens}", f"parallel.tp={tp}",
                                                f"inference.output_tokens={tokens}", "emulation.steps=2",
                                                ranks=tp, check=False)
                    self.assertEqual(code, 0, out + err)
                    logs.append(log)
            code, out, err = run("report", *logs, "--format", "json")
            self.assertEqual(code, 0, out + err)
            report = json.loads(out)
            rows = report["runs"]
            self.assertEqual([(r["tp"], r["output_tokens"]) for r in rows], [(1, 4), (2, 4), (1, 12), (2, 12)])
            for r in rows:
                self.assertGreater(r["ttft_p50_s"], 0)
                self.assertGreater(r["tokens_per_s_device"], 0)
                self.assertIn(r["decode_bound"], ("communication", "memory bandwidth", "compute", "pipeline bubble"))
            # A longer thinking budget attends over more context: the request batch takes longer.
            self.assertGreater(rows[2]["batch_s"], rows[0]["batch_s"])
            self.assertIn("communication_bound_from", report)
            code, out, err = run("report", *logs)
            self.assertEqual(code, 0, out + err)
            for heading in ("TTFT", "TPOT p50", "tok/s/device", "decode comm %", "where decode turns"):
                self.assertIn(heading, out)
            code, out, err = run("report", *logs, "--format", "csv")
            self.assertEqual(code, 0, out + err)
            self.assertEqual(len(out.strip().splitlines()), 5)
            rows = list(csv.DictReader(io.StringIO(out)))
            self.assertEqual(sorted(r["log"] for r in rows), sorted(logs))
            self.assertEqual({r["decode_bound"] for r in rows} - {"communication", "memory bandwidth", "compute",
                                                                   "pipeline bubble"}, set())
            # Training and serving runs do not mix, and serving runs are reported, not compared.
            with h5py.File(logs[0], "r") as f:
                self.assertEqual(f.attrs["output_tokens"], 4)
            code, out, err = run("compare", logs[0], logs[1])
            self.assertEqual(code, 2, out + err)
            self.assertIn("serving runs are not compared", err)
            training = os.path.join(folder, "training.h5")
            code, out, err = run("run", os.path.join(CONFIGS, "tiny.yaml"), "--output", training,
                                 "--set", "emulation.steps=1", ranks=1)
            self.assertEqual(code, 0, out + err)
            code, out, err = run("report", logs[0], training)
            self.assertEqual(code, 2, out + err)
            self.assertIn("report them apart", err)
