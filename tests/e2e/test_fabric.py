"""End-to-end tests of `scaleout fabric` on one machine (every rank a participant): its exit statuses,
the JSON it prints, the heatmap, and a log whose figures are recomputed here from its raw samples.
The verdicts on slow nodes and pairs of a real network are tested on the virtual cluster
(test_cluster.py); here the ranks share two cores, so a noisy machine may name someone (exit 1)."""

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

from test_cli import MPIEXEC, SCALEOUT, run


def median_without_nan(values):
    return float(np.median([v for v in values if not np.isnan(v)]))


class Fabric(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="scaleout-fabric-")
        cls.log = os.path.join(cls.folder, "fabric.h5")
        cls.plots = os.path.join(cls.folder, "plots")
        cls.status, out, cls.err = run("fabric", "--every-rank", "--sizes", "4K,64K", "--iters", "3", "--output",
                                       cls.log, "--plots", cls.plots, "--format", "json", ranks=4)
        cls.printed = json.loads(out) if cls.status in (0, 1) else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder)

    def test_exits_healthy_or_names_someone(self):
        self.assertIn(self.status, (0, 1), self.err)
        self.assertEqual(self.printed["healthy"], self.status == 0)
        self.assertEqual(self.printed["measured"], "every rank of 4 on 1 node, pairs inside a node included")
        self.assertEqual(self.printed["sizes"], [4096, 65536])
        self.assertEqual(self.printed["message_bytes"], 32768)

    def test_the_log_keeps_every_sample_and_the_printed_verdict(self):
        with h5py.File(self.log, "r") as f:
            self.assertEqual(f.attrs["kind"], "fabric")
            self.assertEqual(int(f.attrs["healthy"]), 1 if self.status == 0 else 0)
            self.assertEqual([h.decode() for h in f["participants/host"][:]], [f["environment"].attrs["hostnames"]] * 4)
            self.assertEqual(list(f["participants/rank"][:]), [0, 1, 2, 3])
            pairs = f["all_pairs"]
            self.assertEqual(list(pairs["sizes"][:]), [4096, 65536])
            self.assertEqual(pairs["receive_s"].shape, (2, 4, 4, 3))
            self.assertEqual(pairs["receive_s"].attrs["units"], "s")
            self.assertEqual(pairs["bandwidth"].attrs["units"], "bytes/s")
            self.assertEqual(int(pairs.attrs["message_bytes"]), 32768)
            # 4 participants meet in 3 rounds, each pair once, each round a perfect matching.
            rounds = pairs["round"][:]
            for r in range(3):
                self.assertEqual(sorted((rounds == r).sum(axis=1)), [1, 1, 1, 1])
            receive = pairs["receive_s"][:]
            bandwidth = pairs["bandwidth"][:]
            retested = f["retest/bandwidth"][:]
            verdict = json.loads(f.attrs["verdict"])
        for key in ("drain", "groups", "healthy", "measured", "threshold", "expected_gbs"):
            self.assertEqual(verdict[key], self.printed[key], key)
        # The bandwidth is each direction's bytes over its median receive time...
        sizes = np.array([4096, 65536], dtype=float)
        recomputed = sizes[:, None, None] / np.median(receive, axis=3)
        off = ~np.eye(4, dtype=bool)
        np.testing.assert_allclose(bandwidth[:, off], recomputed[:, off], rtol=1e-12)
        self.assertTrue(np.isnan(bandwidth[:, ~off]).all())
        # ...and the printed figures come from the largest size, the pairs measured again alone (when
        # a noisy machine made suspects) as retested: all directions' median, each participant's
        # median over the directions it took part in, the reference their median.
        group = self.printed["groups"][0]
        largest = bandwidth[-1].copy()
        if retested.shape[0]:
            again = ~np.isnan(retested[0])
            largest[again] = retested[0][again]
        self.assertEqual(int((~np.isnan(retested[0])).sum()) if retested.shape[0] else 0,
                         2 * len(group["retested"]), "both directions of every retested pair")
        self.assertAlmostEqual(group["median_gbs"], median_without_nan(largest.ravel()) / 1e9, places=9)
        figures = []
        for k, participant in enumerate(group["participants"]):
            own = [largest[k, p] for p in range(4) if p != k] + [largest[p, k] for p in range(4) if p != k]
            figures.append(median_without_nan(own) / 1e9)
            self.assertAlmostEqual(participant["gbs"], figures[-1], places=9)
            self.assertAlmostEqual(participant["out_gbs"], median_without_nan(largest[k, :]) / 1e9, places=9)
            self.assertAlmostEqual(participant["in_gbs"], median_without_nan(largest[:, k]) / 1e9, places=9)
        self.assertAlmostEqual(group["reference_gbs"], float(np.median(figures)), places=9)

    def test_the_heatmap_is_drawn(self):
        for extension in ("png", "svg"):
            self.assertGreater(os.path.getsize(os.path.join(self.plots, f"fabric.{extension}")), 0)

    def test_an_existing_log_is_kept_without_overwrite(self):
        with open(self.log, "rb") as f:
            before = f.read()
        status, _, err = run("fabric", "--every-rank", "--sizes", "4K", "--iters", "1", "--output", self.log, ranks=2)
        self.assertEqual(status, 2)
        self.assertIn("--overwrite", err)
        with open(self.log, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_bad_input_exits_two_naming_the_flag(self):
        for args, message in [
            (["--threshold", "1.5"], "--threshold: 1.5 is not allowed; it must be a share above 0 and below 1"),
            (["--expect-rate", "foo"], "--expect-rate: 'foo' is not a rate"),
            (["--expect-rate", "inf"], "--expect-rate: 'inf' is not a rate"),
            (["--output", "x.txt"], "--output: 'x.txt' must end in .h5"),
            (["--message-size", "6"], "--message-size: 6 is not allowed; it must be a positive multiple of 4"),
            (["--iters", "0"], "--iters: 0 is not allowed"),
            (["--background", "storm"], "--background: 'storm' is not a pattern; allowed: incast, alltoall"),
            (["--background", "alltoall"], "with --per-rail or --every-rank every rank takes part"),
            (["--background-size", "6"], "--background-size: 6 is not allowed"),
        ]:
            status, out, err = run("fabric", "--every-rank", *args)
            self.assertEqual((status, out), (2, ""), args)
            self.assertIn(message, err, args)

    def test_switches_come_from_topology_conf_and_a_bad_line_is_named(self):
        with tempfile.TemporaryDirectory() as folder:
            good = os.path.join(folder, "topology.conf")
            with open(good, "w") as f:
                f.write(f"# this machine alone\nSwitchName=leaf Nodes={socket.gethostname()}\nSwitchName=top Switches=leaf\n")
            status, out, err = run("fabric", "--every-rank", "--sizes", "64K", "--iters", "2",
                                   "--topology-conf", good, "--format", "json", ranks=2)
            self.assertIn(status, (0, 1), err)
            verdict = json.loads(out)
            self.assertEqual(verdict["switches_from"], good)
            self.assertEqual([p["switch"] for p in verdict["groups"][0]["participants"]], ["leaf", "leaf"])
            self.assertEqual(verdict["groups"][0]["switches"], [], "one switch: nothing leaves it")
            status, out, err = run("fabric", "--every-rank", "--sizes", "64K", "--iters", "2",
                                   "--topology-conf", "none", "--format", "json", ranks=2)
            self.assertIsNone(json.loads(out)["switches_from"])
            bad = os.path.join(folder, "bad.conf")
            with open(bad, "w") as f:
                f.write("SwitchName=s0 Nodes=a1\nSwitchName=s1 Nodes=b[3-1]\n")
            for path, message in ((bad, f"--topology-conf: {bad}: line 2: nodes: 'b[3-1]': '3-1' is not a range"),
                                  (os.path.join(folder, "missing.conf"), "--topology-conf: ")):
                status, out, err = run("fabric", "--every-rank", "--topology-conf", path, ranks=2)
                self.assertEqual((status, out), (2, ""), err)
                self.assertEqual(sum(message in line for line in err.splitlines()), 1, err)

    def nic_rate_run(self, speed, folder, command="fabric --every-rank --sizes 64K --iters 2 --expect-rate nic "
                                                   "--format json"):
        """scaleout `command` (fabric --expect-rate nic) under mpiexec on 2 ranks where every Ethernet
        device reports `speed` Mb/s: a file bound over each /sys/class/net/*/speed in a private mount
        namespace (root only)."""
        if os.geteuid() != 0 or os.path.exists("/sys/class/infiniband"):
            self.skipTest("needs root to bind over sysfs, and no InfiniBand device whose rate it cannot set")
        fake = os.path.join(folder, "speed")
        with open(fake, "w") as f:
            f.write(f"{speed}\n")
        binds = " && ".join(f"mount --bind {fake} {path}" for path in glob.glob("/sys/class/net/*/speed"))
        done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                               f"{binds} && exec {MPIEXEC} -n 2 --oversubscribe {SCALEOUT} {command}"],
                              capture_output=True, text=True, timeout=120)
        if "unshare failed" in done.stderr or "mount: " in done.stderr:
            self.skipTest(done.stderr.strip())
        return done

    def test_the_expected_rate_can_be_the_nics_own(self):
        with tempfile.TemporaryDirectory() as folder:
            done = self.nic_rate_run(1000, folder)
            self.assertIn(done.returncode, (0, 1), done.stderr)
            verdict = json.loads(done.stdout)
            self.assertEqual([rate["gbit"] for rate in verdict["nic_rates"]], [1.0])
            self.assertEqual(verdict["expected_gbs"], 0.125)
            for participant in verdict["groups"][0]["participants"]:
                self.assertAlmostEqual(participant["expected_share"], participant["gbs"] / 0.125, places=9)
            # bench takes the same rate as its link's.
            path = os.path.join(folder, "bench.json")
            done = self.nic_rate_run(1000, folder, f"bench allreduce --sizes 64K --iters 2 --expect-rate nic "
                                                   f"--output {path}")
            self.assertEqual(done.returncode, 0, done.stderr)
            with open(path) as f:
                bench = json.load(f)
            self.assertEqual(bench["expected_link_gbs"], 0.125)
            self.assertIn("--expect-rate nic: ", bench["expected_link_from"])
            done = self.nic_rate_run(-1, folder)
            self.assertEqual((done.returncode, done.stdout), (2, ""), done.stderr)
            self.assertIn("reports no link rate for its NICs", done.stderr)
            self.assertIn("give the rate instead (for example --expect-rate 100gbit)", done.stderr)

    def test_one_node_without_every_rank_is_refused(self):
        status, out, err = run("fabric", "--sizes", "4K", ranks=2)
        self.assertEqual(status, 2, err)
        self.assertEqual(out, "")
        self.assertIn("fabric needs at least 2 nodes: this job has 1", err)
        self.assertEqual(err.count("fabric needs at least 2 nodes"), 1, "said once, not by every rank")


if __name__ == "__main__":
    unittest.main()
