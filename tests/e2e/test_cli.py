"""End-to-end tests of the scaleout command as a user runs it: under mpiexec, with its exit statuses,
its messages and the files it writes. Python's unittest only; run by ctest (label e2e), which sets
SCALEOUT (the binary), MPIEXEC and SCALEOUT_TEST_DATA."""

import csv
import json
import os
import subprocess
import tempfile
import time
import unittest

import numpy as np

SCALEOUT = os.environ.get("SCALEOUT", "scaleout")
MPIEXEC = os.environ.get("MPIEXEC", "mpiexec")
DATA = os.environ.get("SCALEOUT_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
DGX2 = os.path.join(DATA, "topologies", "nvidiaDGX2.xml")


def run(*args, ranks=None, timeout=120, env=None, cwd=None):
    """scaleout with `args` (under mpiexec with `ranks`) in `cwd`; `env` adds to the environment."""
    command = [SCALEOUT, *args]
    if ranks is not None:
        command = [MPIEXEC, "-n", str(ranks), "--oversubscribe", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=dict(os.environ, **(env or {})))
    return done.returncode, done.stdout, done.stderr


def started_run(*args, ranks=2):
    """`scaleout run args` under mpiexec, returned once it has printed its first step (it is stepping)."""
    job = subprocess.Popen([MPIEXEC, "-n", str(ranks), "--oversubscribe", SCALEOUT, "run", *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in job.stdout:
        if line.startswith("step"):
            break
    return job


def ranks_of(job):
    """The scaleout ranks that `job` (an mpiexec) started: its children named scaleout."""
    found = []
    for task in os.listdir(f"/proc/{job.pid}/task"):
        with open(f"/proc/{job.pid}/task/{task}/children") as f:
            for child in f.read().split():
                with open(f"/proc/{child}/comm") as comm:
                    if comm.read().strip() == "scaleout":
                        found.append(int(child))
    return found


def stop_ranks(job, signum):
    """Sends `signum` to every rank of `job`, as Slurm signals every task; returns the job's stdout,
    stderr and the seconds it took to end."""
    ranks = ranks_of(job)
    signalled = time.monotonic()
    for pid in ranks:
        os.kill(pid, signum)
    out, err = job.communicate(timeout=60)
    return out, err, time.monotonic() - signalled


def write(folder, name, text):
    """A file `name` in `folder` holding `text`; its path."""
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def scaleout_lines(stderr):
    """The lines scaleout itself printed (mpiexec adds its own banner when a rank exits non-zero)."""
    return [line for line in stderr.splitlines() if line.startswith("scaleout")]


class Bench(unittest.TestCase):
    def test_checked_allreduce_prints_the_table_and_writes_json(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "allreduce.json")
            code, out, err = run("bench", "allreduce", "--sizes", "4K:64K:4", "--check", "--iters", "3",
                                 "--warmup", "1", "--output", path, ranks=4)
            self.assertEqual(code, 0, err)
            rows = [line.split() for line in out.splitlines() if line.startswith("  allreduce")]
            self.assertEqual([int(row[2]) for row in rows], [4096, 16384, 65536])
            self.assertEqual({row[1] for row in rows}, {"ring"})  # NCCL's choice on 4 ranks of one node
            self.assertTrue(all(row[-1] == "0" for row in rows), out)  # wrong elements
            with open(path) as f:
                document = json.load(f)
        self.assertEqual(document["ranks"], 4)
        self.assertEqual(document["nodes"], 1)
        self.assertTrue(document["mpi_library"].startswith("Open MPI"), document["mpi_library"])
        self.assertEqual(len(document["results"]), 3)
        self.assertEqual(document["algorithm"], "auto")
        for result in document["results"]:
            self.assertEqual(result["collective"], "allreduce")
            self.assertEqual(result["algorithm"], "ring")
            self.assertEqual(result["wrong"], 0)
            times = result["time_us"]
            self.assertLessEqual(times["min"], times["p50"])
            self.assertLessEqual(times["p50"], times["p95"])
            self.assertLessEqual(times["p95"], times["p99"])
            self.assertLessEqual(times["p99"], times["max"])
            self.assertAlmostEqual(result["algbw_gbs"], result["bytes"] / (times["p50"] * 1e-6) / 1e9, places=6)
            self.assertAlmostEqual(result["busbw_gbs"], result["algbw_gbs"] * 2 * 3 / 4, places=6)

    def test_under_a_background_every_size_runs_again_with_its_impact_recomputed(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "loaded.json")
            code, out, err = run("bench", "allreduce", "--sizes", "64K,1M", "--check", "--iters", "5",
                                 "--warmup", "1", "--background", "alltoall", "--background-size", "256K",
                                 "--background-ranks-per-node", "2", "--output", path, ranks=4)
            self.assertEqual(code, 0, err)
            self.assertIn("2 ranks on 1 node", out, "the ranks that measure")
            self.assertIn("--background alltoall: 2 ranks (the last 2 of every node) make it, 262144 bytes", out)
            alone = [line.split() for line in out.splitlines() if line.startswith("  allreduce")]
            under = [line.split() for line in out.splitlines() if line.startswith("  under alltoall")]
            self.assertEqual([int(row[2]) for row in alone], [65536, 1048576])
            self.assertEqual([int(row[3]) for row in under], [65536, 1048576])
            self.assertTrue(all(row[-3] == "0" for row in alone + under), out)  # checked, none wrong
            with open(path) as f:
                document = json.load(f)
            csv_path = os.path.join(folder, "loaded.csv")
            code, out, err = run("bench", "allreduce", "--sizes", "64K", "--iters", "3", "--background", "incast",
                                 "--background-ranks-per-node", "2", "--output", csv_path, ranks=4)
            self.assertEqual(code, 0, err)
            with open(csv_path) as f:
                rows = list(csv.DictReader(f))
        congestion = document["congestion"]
        self.assertEqual((congestion["pattern"], congestion["unit_bytes"], congestion["background_ranks"]),
                         ("alltoall", 262144, 2))
        self.assertGreater(congestion["units"], 0)
        self.assertEqual(congestion["node_load_gbs"], 0.0, "one node: nothing crossed a node's link")
        for isolated, congested, printed in zip(document["results"], congestion["results"], under):
            self.assertEqual(congested["bytes"], isolated["bytes"])
            for q, name, column in ((50, "impact_p50", -2), (99, "impact_p99", -1)):
                want = np.percentile(congested["iterations_us"], q) / np.percentile(isolated["iterations_us"], q)
                self.assertAlmostEqual(congested[name], want, places=9)
                self.assertAlmostEqual(float(printed[column]), want, delta=0.006)
        self.assertEqual([(r["background"], r["impact_p50"] != "") for r in rows], [("", False), ("incast", True)])

    def test_every_collective_in_bf16_non_blocking_to_csv(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "all.csv")
            code, out, err = run("bench", "all", "--sizes", "1000,64K", "--check", "--dtype", "bf16",
                                 "--nonblocking", "--iters", "2", "--warmup", "1", "--output", path, ranks=3)
            self.assertEqual(code, 0, err)
            self.assertIn("bf16, non-blocking", out)
            with open(path) as f:
                rows = list(csv.DictReader(f))
        self.assertEqual([r["collective"] for r in rows[::2]],
                         ["allreduce", "reduce_scatter", "allgather", "alltoall", "broadcast", "reduce", "sendrecv"])
        self.assertEqual([r["algorithm"] for r in rows[::2]],
                         ["ring", "ring", "ring", "pairwise", "library", "library", "direct"])
        self.assertTrue(all(r["wrong"] == "0" for r in rows))
        # 1000 bytes of bf16 over 3 ranks: 166 elements per block, S = 996 bytes.
        self.assertEqual(rows[2]["bytes"], "996")

    def test_runs_without_a_launcher(self):
        code, out, err = run("bench", "sendrecv", "--sizes", "4K", "--iters", "2", "--check")
        self.assertEqual(code, 0, err)
        self.assertIn("1 rank on 1 node", out)


class BadInput(unittest.TestCase):
    CASES = [
        (("bench", "allreduse"), "collective 'allreduse' is unknown; allowed: allreduce"),
        (("bench", "--sizes", "4Q"), "--sizes: '4Q' has an unknown unit"),
        (("bench", "--sizes", "64M:4K"), "--sizes: '64M:4K' has its minimum 64M above its maximum 4K"),
        (("bench", "--sizes", "1K:1M:1"), "the factor must be a whole number of at least 2"),
        (("bench", "--iters", "0"), "--iters: 0 is not allowed; it must be at least 1"),
        (("bench", "--algorithm", "fastest"), "--algorithm: 'fastest' is unknown; allowed: auto, ring, tree, library"),
        (("bench", "--iters", "-2"), "--iters: -2 is not allowed"),
        (("bench", "--iters", "many"), "--iters"),
        (("bench", "--warmup", "-1"), "--warmup: -1 is not allowed"),
        (("bench", "--iters", "1000000000"), "--iters: 1000000000 is not allowed; it must be at least 1 and at most"),
        (("bench", "--warmup", "2000000"), "--warmup: 2000000 is not allowed"),
        (("compare", "a.h5", "b.h5", "--confidence", "nan"), "--confidence: nan is not allowed"),
        (("bench", "--dtype", "fp64"), "--dtype: 'fp64' is unknown; allowed: fp32, bf16"),
        (("bench", "--output", "results.txt"), "--output: 'results.txt' must end in .json or .csv"),
        (("bench", "--frobnicate"), "--frobnicate"),
        (("topo", "--xml", "/nonexistent/machine.xml"), "--xml: /nonexistent/machine.xml: no such file"),
        (("topo", "--xml", "/"), "--xml: /: is a folder"),
        (("topo", "--xml", "/etc/hostname"), "not a valid hwloc XML topology"),
        (("launch",), "'launch' is not a command; allowed: run, plan, bench, fabric, topo"),
        ((), "A subcommand is required"),
    ]

    def test_exit_two_with_one_message_naming_the_argument(self):
        for args, expected in self.CASES:
            with self.subTest(args=args):
                code, out, err = run(*args)
                self.assertEqual(code, 2, err)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn(expected, err)
                self.assertNotIn("terminate called", err)

    def test_under_mpiexec_the_message_comes_once(self):
        for args, expected in self.CASES[:3]:
            with self.subTest(args=args):
                code, out, err = run(*args, ranks=3)
                self.assertEqual(code, 2, err)
                self.assertEqual(len(scaleout_lines(err)), 1, err)
                self.assertIn(expected, err)

    def test_unwritable_output_is_refused_before_measuring(self):
        code, out, err = run("bench", "--output", "/nonexistent/folder/r.json", ranks=2)
        self.assertEqual(code, 2, err)
        self.assertEqual(scaleout_lines(err), [
            "scaleout bench: --output: /nonexistent/folder/r.json cannot be written: "
            "its folder /nonexistent/folder does not exist"])
        self.assertNotIn("allreduce", out)

    def test_sizes_beyond_mpi_counts_are_refused(self):
        code, out, err = run("bench", "--sizes", "64G", ranks=2)
        self.assertEqual(code, 2, err)
        self.assertIn("--sizes: 64G is too large for allreduce on 2 ranks with fp32", err)

    def test_sizes_beyond_the_nodes_memory_are_refused_not_killed(self):
        # 30 GiB all-to-all on 4 ranks: 60 GiB of buffers per rank, more than any test machine has.
        code, out, err = run("bench", "alltoall", "--sizes", "30G", ranks=4)
        self.assertEqual(code, 2, err)
        self.assertIn("--sizes: alltoall of 30G needs 240.0 GiB of buffers on node", err)


class Topo(unittest.TestCase):
    def test_captured_dgx2(self):
        code, out, err = run("topo", "--xml", DGX2, "--json")
        self.assertEqual(code, 0, err)
        node = json.loads(out)["nodes"][0]
        self.assertEqual((node["packages"], node["numa_nodes"], len(node["gpus"])), (2, 2, 16))
        for key in ("hostname", "cores", "pus", "memory_bytes", "l3_bytes", "nics"):
            self.assertIn(key, node)
        code, text, err = run("topo", "--xml", DGX2)
        self.assertEqual(code, 0, err)
        self.assertIn("2 packages, 2 NUMA nodes", text)
        self.assertIn("GPU 15", text)

    def test_this_machine_and_the_placement_under_mpiexec(self):
        code, out, err = run("topo", ranks=4)
        self.assertEqual(code, 0, err)
        self.assertIn("node 0:", out)
        self.assertIn("placement: 4 ranks on 1 node", out)
        code, out, err = run("topo", "--json", ranks=3)
        self.assertEqual(code, 0, err)
        document = json.loads(out)
        self.assertEqual(len(document["nodes"]), 1)
        self.assertEqual([r["rank"] for r in document["ranks"]], [0, 1, 2])
        self.assertEqual(sorted(r["local_rank"] for r in document["ranks"]), [0, 1, 2])


class Help(unittest.TestCase):
    def test_help_and_version(self):
        code, out, _ = run("--help")
        self.assertEqual(code, 0)
        self.assertIn("bench", out)
        self.assertIn("topo", out)
        code, out, _ = run("bench", "--help")
        self.assertEqual(code, 0)
        for option in ("--sizes", "--iters", "--warmup", "--check", "--dtype", "--nonblocking", "--output"):
            self.assertIn(option, out)
        code, out, _ = run("--version")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"\d+\.\d+\.\d+")


class Formats(unittest.TestCase):
    """One vocabulary of --format on every command that prints (runs/report/format.hpp)."""
    TINY = os.path.join(os.path.dirname(__file__), "..", "..", "runs", "configs", "tiny.yaml")

    def test_json_is_the_same_as_format_json(self):
        for command in (("plan", self.TINY), ("topo", "--xml", DGX2)):
            with self.subTest(command=command[0]):
                code, flag, err = run(*command, "--json")
                self.assertEqual(code, 0, err)
                code, option, err = run(*command, "--format", "json")
                self.assertEqual(code, 0, err)
                self.assertEqual(json.loads(option), json.loads(flag))
                code, text, err = run(*command, "--format", "text")
                self.assertEqual(code, 0, err)
                self.assertEqual(text, run(*command)[1])

    def test_a_format_a_command_does_not_print_is_exit_two_naming_the_allowed(self):
        for command, allowed in ((("plan", self.TINY), "{text,json}"), (("topo", "--xml", DGX2), "{text,json}"),
                                 (("report", "missing.h5"), "{text,markdown,csv,json}"),
                                 (("compare", "a.h5", "b.h5"), "{text,json}")):
            for wrong in ("yaml", "markdown") if allowed == "{text,json}" else ("yaml",):
                with self.subTest(command=command[0], format=wrong):
                    code, out, err = run(*command, "--format", wrong)
                    self.assertEqual(code, 2, err)
                    self.assertEqual(len(err.strip().splitlines()), 1, err)
                    self.assertIn("--format", err)
                    self.assertIn(allowed, err)
                    self.assertEqual(out, "")


if __name__ == "__main__":
    unittest.main()
