"""End-to-end tests of what a run does when things go wrong (docs/reliability.md): a rank that stops
making progress is found by the watchdog, named, and the job ended with its own exit status and a
failed log; a rank killed with SIGKILL ends the job quickly and leaves a readable log."""

import os
import signal
import subprocess
import tempfile
import time
import unittest

import h5py

from test_cli import MPIEXEC, SCALEOUT, run, scaleout_lines

TINY = os.path.join(os.path.dirname(__file__), "..", "..", "runs", "configs", "tiny.yaml")


def processes_with(text):
    """Processes whose command line holds `text` (this test's own log path)."""
    done = subprocess.run(["pgrep", "-f", text], capture_output=True, text=True)
    return [int(pid) for pid in done.stdout.split()]


class Watchdog(unittest.TestCase):
    def test_a_rank_that_stops_is_named_and_the_job_ends_with_status_6(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "stalled.h5")
            began = time.monotonic()
            code, out, err = run("run", TINY, "--output", log, "--set", "emulation.watchdog_s=2",
                                 "--set", "emulation.test_stall_rank=1", "--set", "emulation.test_stall_step=3",
                                 ranks=2, timeout=120)
            self.assertEqual(code, 6, out + err)
            self.assertLess(time.monotonic() - began, 60)
            message = [line for line in scaleout_lines(err) if "watchdog" in line]
            self.assertTrue(message, err)
            # Rank 0 waits on rank 1 inside step 3: the message names the rank, step, op, group and peer.
            self.assertRegex(message[0], r"watchdog: rank 0 on \S+ made no progress for [0-9.]+ s .* in step 3, "
                                         r"op [0-9]+ of [0-9]+: \w+ dp \w+ of [0-9]+ bytes .* with rank 1;")
            self.assertEqual(processes_with(log), [])
            with h5py.File(log, "r") as f:
                self.assertEqual(f.attrs["status"], "failed")
                self.assertTrue(f.attrs["status_message"].startswith("watchdog: rank 0"))
                self.assertEqual(sorted(set(f["steps"]["step"])), [0, 1, 2])  # every completed step
                self.assertEqual(len(f["steps"]), 3 * 2)

    def test_the_timeout_is_checked_like_any_option(self):
        code, out, err = run("run", TINY, "--set", "emulation.watchdog_s=-1", ranks=1)
        self.assertEqual(code, 2, err)
        self.assertIn("emulation.watchdog_s", scaleout_lines(err)[0])


class RankFailure(unittest.TestCase):
    def test_a_rank_killed_mid_run_ends_the_job_and_leaves_every_completed_step(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "killed.h5")
            job = subprocess.Popen([MPIEXEC, "-n", "2", "--oversubscribe", SCALEOUT, "run", TINY, "--output", log,
                                    "--set", "emulation.steps=1000000"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and len(processes_with(log)) < 2:
                    time.sleep(0.2)
                time.sleep(2)  # some steps complete
                ranks = [pid for pid in processes_with(log) if pid != job.pid]
                self.assertEqual(len(ranks), 2, ranks)
                os.kill(ranks[-1], signal.SIGKILL)
                killed = time.monotonic()
                job.wait(timeout=30)
                self.assertLess(time.monotonic() - killed, 30)
                self.assertNotEqual(job.returncode, 0)
            finally:
                if job.poll() is None:
                    job.kill()
            self.assertEqual(processes_with(log), [])
            with h5py.File(log, "r") as f:
                steps = f["steps"][:]
                self.assertEqual(f.attrs["status"], "running")  # the job ended before the log could say
                self.assertGreater(len(steps), 0)
                # Whole steps only: every step logged has both ranks' rows, and none is missing.
                numbers = sorted(set(steps["step"]))
                self.assertEqual(numbers, list(range(len(numbers))))
                self.assertEqual(len(steps), 2 * len(numbers))


if __name__ == "__main__":
    unittest.main()
