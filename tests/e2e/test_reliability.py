"""End-to-end tests of what a run does when things go wrong (docs/reliability.md): a rank that stops
making progress is found by the watchdog, named, and the job ended with its own exit status and a
failed log; a rank killed with SIGKILL ends the job quickly and leaves a readable log."""

import errno
import os
import resource
import signal
import subprocess
import tempfile
import time
import unittest

import h5py

from test_cli import MPIEXEC, SCALEOUT, ranks_of, run, scaleout_lines, started_run, stop_ranks, write

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


class StopSignals(unittest.TestCase):
    def test_a_step_that_does_not_end_is_abandoned_within_the_grace_and_the_log_closed_as_interrupted(self):
        # Rank 1 stops in step 3 (a link that never delivers); SIGTERM cannot wait for the step
        # boundary, so the watchdog closes the log with the steps before it, well inside Slurm's 30 s.
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "stopped.h5")
            job = started_run(TINY, "--output", log, "--set", "emulation.stop_grace_s=3",
                              "--set", "emulation.watchdog_s=600", "--set", "emulation.test_stall_rank=1",
                              "--set", "emulation.test_stall_step=3")
            try:
                time.sleep(2)  # steps of milliseconds: rank 1 is long stalled in step 3
                self.assertIsNone(job.poll())
                out, err, ended = stop_ranks(job, signal.SIGTERM)
            finally:
                job.kill()
            self.assertEqual(job.returncode, 4, out + err)
            self.assertGreaterEqual(ended, 3)   # the step had its grace
            self.assertLess(ended, 15)          # and the job ended well inside 30 s
            self.assertEqual(processes_with(log), [])
            self.assertTrue(any("stopped by SIGTERM during step 3, which had not ended 3 s later" in line
                                for line in scaleout_lines(err)), err)
            with h5py.File(log, "r") as f:
                self.assertEqual(f.attrs["status"], "interrupted")
                self.assertIn("during step 3", f.attrs["status_message"])
                self.assertEqual(sorted(set(f["steps"]["step"])), [0, 1, 2])
                self.assertEqual(len(f["steps"]), 3 * 2)
                self.assertEqual(f["summary"].attrs["steps"], 1)  # 2 warm-up steps, 1 measured

    def test_a_single_rank_abandoning_its_step_says_one_line(self):
        # MPI_Abort added Open MPI's ten-line banner to the one line of a job of one process.
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "alone.h5")
            job = subprocess.Popen([SCALEOUT, "run", TINY, "--output", log, "--set", "emulation.test_stall_rank=0",
                                    "--set", "emulation.test_stall_step=3", "--set", "emulation.stop_grace_s=2",
                                    "--set", "emulation.watchdog_s=600"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                time.sleep(3)  # rank 0 is stalled in step 3
                job.send_signal(signal.SIGTERM)
                out, err = job.communicate(timeout=60)
            finally:
                job.kill()
            self.assertEqual(job.returncode, 4, out + err)
            self.assertEqual(len(err.splitlines()), 1, err)
            self.assertIn("stopped by SIGTERM during step 3", err)

    def test_every_stop_signal_to_any_rank_ends_the_run_with_status_4_and_is_named(self):
        # SIGUSR1 to rank 1 alone was "signal 0" on rank 0; SIGHUP (a closed terminal) killed the run.
        for signum, to_rank_1_only in ((signal.SIGUSR1, True), (signal.SIGHUP, False), (signal.SIGINT, False)):
            with self.subTest(signal.Signals(signum).name), tempfile.TemporaryDirectory() as folder:
                log = os.path.join(folder, "stopped.h5")
                job = started_run(TINY, "--output", log, "--set", "emulation.steps=100000",
                                  "--set", "emulation.watchdog_s=600")
                try:
                    ranks = ranks_of(job)
                    for pid in ranks[1:] if to_rank_1_only else ranks:
                        os.kill(pid, signum)
                    out, err = job.communicate(timeout=60)
                finally:
                    job.kill()
                self.assertEqual(job.returncode, 4, out + err)
                name = signal.Signals(signum).name
                self.assertTrue(any(f"stopped by a signal ({name}) after step" in line for line in scaleout_lines(err)),
                                err)
                with h5py.File(log, "r") as f:
                    self.assertEqual(f.attrs["status"], "interrupted")
                    self.assertIn(name, f.attrs["status_message"])

    def test_a_closed_stdout_stops_the_run_as_interrupted_with_its_log_closed(self):
        # `scaleout run ... | head -1`: SIGPIPE killed the rank and left its log "running" for ever.
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "piped.h5")
            job = subprocess.Popen([SCALEOUT, "run", TINY, "--output", log, "--set", "emulation.steps=100000"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            job.stdout.readline()
            job.stdout.close()
            try:
                err = job.stderr.read().decode()
                job.wait(timeout=60)
            finally:
                job.kill()
                job.stderr.close()
            self.assertEqual(job.returncode, 4, err)
            self.assertIn("stopped by a signal (SIGPIPE (stdout was closed)) after step", err)
            with h5py.File(log, "r") as f:
                self.assertEqual(f.attrs["status"], "interrupted")
                self.assertIn("SIGPIPE", f.attrs["status_message"])

    def test_the_grace_is_checked_like_any_option(self):
        code, out, err = run("run", TINY, "--set", "emulation.stop_grace_s=0", ranks=1)
        self.assertEqual(code, 2, err)
        self.assertIn("emulation.stop_grace_s", scaleout_lines(err)[0])


class SmallFileSystem:
    """A tmpfs of `size` mounted on a fresh folder (root only), unmounted however the test ends."""

    def __init__(self, size):
        self.size = size

    def __enter__(self):
        self.folder = tempfile.mkdtemp()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs", self.folder], check=True)
        return self.folder

    def __exit__(self, *error):
        subprocess.run(["umount", "-l", self.folder], check=False)
        os.rmdir(self.folder)

    @staticmethod
    def free(folder):
        facts = os.statvfs(folder)
        return facts.f_bavail * facts.f_frsize


@unittest.skipUnless(os.geteuid() == 0, "mounting a small file system needs root")
class FullDisk(unittest.TestCase):
    def test_too_little_free_space_is_refused_before_any_communication(self):
        with SmallFileSystem("1m") as folder:
            log = os.path.join(folder, "big.h5")
            code, out, err = run("run", TINY, "--output", log, "--set", "emulation.steps=1000000",
                                 "--set", "output.trace=true", ranks=2)
            self.assertEqual(code, 2, out + err)
            self.assertEqual(len(scaleout_lines(err)), 1, err)
            self.assertRegex(scaleout_lines(err)[0],
                             r"output.path: .*big.h5 cannot be written: its file system has [0-9.]+ MiB free and "
                             r"the log may grow to [0-9.]+ MiB \(1000002 steps x the ranks' rows and the op trace\)")
            self.assertNotIn("scaleout run:", out)  # refused before the run began
            self.assertFalse(os.path.exists(log))

    def test_a_disk_filled_by_others_during_the_run_costs_nothing_of_the_log(self):
        # The log's space is reserved when it is made: another writer filling the disk mid-run gets
        # ENOSPC; the run's flushes do not.
        with SmallFileSystem("16m") as folder:
            log = os.path.join(folder, "kept.h5")
            job = started_run(TINY, "--output", log, "--set", "emulation.steps=150", "--set", "output.trace=true")
            try:
                filled = False
                with open(os.path.join(folder, "filler"), "wb") as filler:
                    try:
                        while True:
                            filler.write(b"\0" * 65536)
                            filler.flush()
                    except OSError as error:
                        filled = error.errno == errno.ENOSPC
                self.assertTrue(filled)
                self.assertLess(SmallFileSystem.free(folder), 65536)
                out, err = job.communicate(timeout=120)
            finally:
                job.kill()
            self.assertEqual(job.returncode, 0, out + err)
            with h5py.File(log, "r") as f:
                self.assertEqual(f.attrs["status"], "complete")
                self.assertEqual(len(f["steps"]), 152 * 2)
                self.assertEqual(len(f["ops"]), 152 * 2 * len(f["program"]))
                self.assertIn("step_p50_s", f["summary"].attrs)
            # The reservation's unused tail is given back at close.
            self.assertGreater(SmallFileSystem.free(folder), 65536)


def hostile_configs(folder):
    """Config files meant to break a parser: name -> path."""
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    files = {
        "aliases multiplied (a billion laughs)": "\n".join(laughs + ["model: *a11"]) + "\n",
        "aliases multiplied inside a section": "\n".join(laughs[:9]) + "\nmodel:\n  layers: *a8\n",
        "deep nesting": "model: " + "[" * 100000 + "]" * 100000 + "\n",
        "deep mappings": "".join(" " * i + f"k{i}:\n" for i in range(1500)) + " " * 1500 + "v: 1\n",
        "huge number": "model: tiny\nbatch:\n  micro: 99999999999999999999999999\n",
        "negative number": "model: tiny\nbatch:\n  global: -5\n",
        "NaN": "model: tiny\ndp:\n  bucket_mb: .nan\n",
        "infinity": "model: tiny\ndevice:\n  peak_tflops: .inf\n",
        "bytes overflowing 64 bits": "model:\n  layers: 4\n  hidden: 1000000\n  heads: 8\n  ffn_hidden: 1000000\n"
                                     "  vocab: 100000000\n  seq_len: 1000000\nbatch:\n  micro: 1000000\n",
        "empty": "",
        "only a comment": "# nothing\n",
        "a list": "- model\n- tiny\n",
        "a scalar": "tiny\n",
        "a key given twice": "model: tiny\nmodel: gpt3-125m\n",
    }
    paths = {}
    for i, (name, text) in enumerate(files.items()):
        paths[name] = write(folder, f"hostile-{i}.yaml", text)
    binary = {"not UTF-8": b"model: \xff\xfe\xfa\n", "a NUL byte": b"model: ti\x00ny\n",
              "a binary file": bytes(range(256)) * 64, "escape sequences": b"model: \x1b[2J\x1b[31mred\n"}
    for i, (name, data) in enumerate(binary.items()):
        paths[name] = os.path.join(folder, f"binary-{i}.yaml")
        with open(paths[name], "wb") as f:
            f.write(data)
    big = os.path.join(folder, "big.yaml")
    with open(big, "w") as f:
        f.write("model: tiny\n" + "# padding\n" * 300000)
    paths["a file of 3 MB"] = big
    paths["a directory"] = folder
    paths["a missing file"] = os.path.join(folder, "missing.yaml")
    paths["/dev/zero"] = "/dev/zero"
    return paths


def limited(seconds=20, memory=2 << 30):
    """A child's limits: CPU seconds and address space, so a parser that blows up fails the test, not the machine."""
    def apply():
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    return apply


class HostileInput(unittest.TestCase):
    def check_refused(self, command, what):
        began = time.monotonic()
        done = subprocess.run(command, capture_output=True, timeout=60, preexec_fn=limited())
        err = done.stderr.decode("utf-8")  # the message is UTF-8 text whatever the input was
        self.assertEqual(done.returncode, 2, (what, done.stdout, err))
        lines = scaleout_lines(err)
        self.assertEqual(len(lines), 1, (what, err))
        self.assertEqual(err.count("\n"), 1, (what, err))
        self.assertTrue(all(c == "\t" or c.isprintable() for c in lines[0]), (what, lines[0]))
        self.assertLess(len(lines[0]), 2100, what)
        self.assertLess(time.monotonic() - began, 30, what)
        return lines[0]

    def test_configs_meant_to_break_the_parser_exit_2_with_one_printable_line(self):
        with tempfile.TemporaryDirectory() as folder:
            for what, path in hostile_configs(folder).items():
                with self.subTest(what):
                    self.check_refused([SCALEOUT, "plan", path, "--ranks", "1"], what)

    def test_a_nul_in_a_config_is_named_as_what_it_is(self):
        # yaml-cpp read it as an escape: "unknown escape character", or 'ti\\ny' as the model's name.
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "nul.yaml")
            with open(path, "wb") as f:
                f.write(b"model: ti\x00ny\n")
            line = self.check_refused([SCALEOUT, "plan", path, "--ranks", "1"], "a NUL")
            self.assertIn("line 1, column 10: a control character (byte 0x00); a config is text", line)

    def test_hostile_arguments_exit_2(self):
        cases = {
            "a negative rank count": ["plan", TINY, "--ranks", "-1"],
            "a rank count past 64 bits": ["plan", TINY, "--ranks", "99999999999999999999999"],
            "a value of 100 kB": ["plan", TINY, "--set", "output.path=" + "x" * 100000],
            "a key of control characters": ["plan", TINY, "--set", "\x1b[2J=1"],
            "sizes past 64 bits": ["bench", "--sizes", "99999999999999999999T"],
            "NaN as a scale": ["predict", TINY, "--calibration", TINY, "--bandwidth-scale", "nan"],
            "a vanishing scale": ["predict", TINY, "--calibration", TINY, "--bandwidth-scale", "1e-300"],
            # Accepted before: 0 and "" fell back to defaults, -1 and 2^64 wrapped.
            "no ranks": ["plan", TINY, "--ranks", "0"],
            "no ranks per node": ["plan", TINY, "--ranks", "2", "--ranks-per-node", "0"],
            "an empty node list": ["predict", TINY, "--calibration", TINY, "--nodes", ""],
            "an empty tp list": ["predict", TINY, "--calibration", TINY, "--tp", ""],
            "a negative seed": ["bench", "--sizes", "4K", "--seed", "-1"],
            "a seed past 64 bits": ["bench", "--sizes", "4K", "--seed", "18446744073709551616"],
            "a stalled rank past the ranks": ["plan", TINY, "--ranks", "2", "--set", "emulation.test_stall_rank=5"],
            # Counts past 64 bits: "parameters -7091811956490957824" before, and "bytes": 0 from a cast.
            "parameters past 64 bits": ["plan", TINY, "--ranks", "1", "--set", "model.layers=10000", "--set",
                                        "model.hidden=1000000", "--set", "model.heads=1000", "--set",
                                        "model.experts=4096", "--set", "model.top_k=2", "--set",
                                        "model.ffn_hidden=10000000"],
            "a transfer past 64 bits": ["plan", TINY, "--ranks", "2", "--set", "parallel.tp=2", "--set",
                                        "batch.micro=1000000", "--set", "model.seq_len=100000000", "--set",
                                        "model.hidden=1000000", "--set", "model.heads=1000", "--set",
                                        "dp.bucket_mb=1000000"],
            # The bound per stage let pp 4096 x 8192 microbatches through (51 s of plan).
            "a pipeline's work past the bound": ["plan", TINY, "--ranks", "4096", "--set", "parallel.pp=4096",
                                                 "--set", "model.layers=4096", "--set", "batch.global=8192"],
        }
        for what, args in cases.items():
            with self.subTest(what):
                self.check_refused([SCALEOUT, *args], what)

    def test_what_a_run_prints_of_its_output_path_is_escaped(self):
        # ESC in --output reached the terminal raw (a screen cleared); U+2028 split a line in two.
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "x\x1b[2J\u2028y.h5")
            code, out, err = run("run", TINY, "--output", log, "--set", "emulation.steps=1", ranks=1)
            self.assertEqual(code, 0, out + err)
            self.assertNotIn("\x1b", out)
            self.assertNotIn("\u2028", out)
            self.assertIn("x\\x1b[2J\\xe2\\x80\\xa8y.h5", out)

    def test_a_bucket_past_mpis_int_count_is_refused_before_the_first_step(self):
        # 4100 MiB of bf16 is 2.15e9 elements in one allreduce: it passed every check, allocated 4.2 GB
        # and failed in step 0 with exit 1.
        with tempfile.TemporaryDirectory() as folder:
            code, out, err = run("run", TINY, "--output", os.path.join(folder, "big.h5"), "--set", "dp.bucket_mb=4100",
                                 "--set", "dp.gradient_dtype=bf16", "--set", "model.layers=400", "--set", "model.hidden=4096", "--set", "model.heads=32",
                                 "--set", "model.kv_heads=8", "--set", "model.ffn_hidden=14336", ranks=2, timeout=120)
            self.assertFalse(os.listdir(folder))
        self.assertEqual(code, 2, out + err)
        self.assertIn("past the 2147483647 that MPI's int count holds; use smaller gradient buckets (dp.bucket_mb)",
                      scaleout_lines(err)[0])

    def test_a_hostile_config_under_mpiexec_exits_2_on_every_rank(self):
        with tempfile.TemporaryDirectory() as folder:
            path = hostile_configs(folder)["aliases multiplied (a billion laughs)"]
            code, out, err = run("run", path, ranks=2, timeout=60)
            self.assertEqual(code, 2, err)
            self.assertEqual(len(scaleout_lines(err)), 1, err)


class Inputs(unittest.TestCase):
    """Inputs are read only when they are regular files, bounded, and once: a FIFO hung open(), /dev/zero
    as a calibration read 2 GB, and under mpiexec only rank 0 could read /dev/stdin."""

    def test_a_fifo_or_a_device_given_as_any_input_is_refused_at_once(self):
        # A FIFO with no writer reads as empty (text inputs) or is refused (HDF5 and XML, which seek).
        with tempfile.TemporaryDirectory() as folder:
            fifo = os.path.join(folder, "fifo")
            os.mkfifo(fifo)
            cases = {
                "run's config": ["run", fifo],
                "plan's config": ["plan", fifo, "--ranks", "1"],
                "predict's calibration": ["predict", TINY, "--calibration", fifo],
                "predict's calibration, a device": ["predict", TINY, "--calibration", "/dev/zero"],
                "topo --xml": ["topo", "--xml", fifo],
                "topo --xml, a device": ["topo", "--xml", "/dev/zero"],
                "plan --xml": ["plan", TINY, "--xml", fifo],
                "report of a fifo": ["report", fifo],
            }
            for what, args in cases.items():
                with self.subTest(what):
                    line = HostileInput.check_refused(self, [SCALEOUT, *args], what)
                    self.assertIn(fifo if "device" not in what else "/dev/", line)
            # compare's bench outputs were read through an ifstream without a bound: /dev/zero never ended.
            zero = os.path.join(folder, "zero.json")
            os.symlink("/dev/zero", zero)
            line = HostileInput.check_refused(self, [SCALEOUT, "compare", zero, zero], "compare of a device")
            self.assertIn(f"{zero}: is a device", line)

    def test_under_mpiexec_every_rank_runs_the_config_rank_0_read_from_stdin(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "stdin.h5")
            with open(TINY) as config:
                done = subprocess.run([MPIEXEC, "-n", "2", "--oversubscribe", SCALEOUT, "run", "/dev/stdin",
                                       "--output", log, "--set", "emulation.steps=2"],
                                      stdin=config, capture_output=True, text=True, timeout=120)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            with h5py.File(log, "r") as f:
                self.assertEqual(f.attrs["status"], "complete")
                self.assertEqual(len(f["steps"]), (2 + 2) * 2)

    def test_a_second_yaml_document_is_refused_not_ignored(self):
        with tempfile.TemporaryDirectory() as folder:
            with open(TINY) as f:
                path = write(folder, "two.yaml", f.read() + "---\nparallel:\n  tp: 2\n")
            line = HostileInput.check_refused(self, [SCALEOUT, "plan", path, "--ranks", "2"], "two documents")
            self.assertIn("second YAML document", line)
            code, out, err = run("run", path, ranks=2)
            self.assertEqual(code, 2, err)
            self.assertIn("second YAML document", scaleout_lines(err)[0])

    def test_an_empty_output_is_refused_not_replaced_by_the_configs(self):
        code, out, err = run("run", TINY, "--output", "", ranks=1)
        self.assertEqual(code, 2, err)
        self.assertIn("output.path", scaleout_lines(err)[0])
        self.assertIn("must name a file", scaleout_lines(err)[0])


class Outputs(unittest.TestCase):
    """No input destroyed: an output that is an input, a file without leave, or a log another job
    writes is refused before anything can truncate it (HDF5 truncated first, then failed its lock)."""

    def test_a_second_job_cannot_replace_a_log_the_first_is_writing(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "shared.h5")
            first = started_run(TINY, "--output", log, "--set", "emulation.steps=6",
                                "--set", "device.peak_tflops=0.02", ranks=1)
            code, out, err = run("run", TINY, "--output", log, "--overwrite", ranks=1)
            self.assertEqual(code, 2, out + err)
            self.assertIn("another process is writing it", scaleout_lines(err)[0])
            out, err = first.communicate(timeout=120)
            self.assertEqual(first.returncode, 0, out + err)
            with h5py.File(log, "r") as f:
                self.assertEqual(f.attrs["status"], "complete")
                self.assertEqual(len(f["steps"]), 2 + 6)

    def test_a_run_never_writes_its_log_over_its_own_config(self):
        with tempfile.TemporaryDirectory() as folder:
            with open(TINY) as f:
                text = f.read()
            config = write(folder, "run.yaml", text)
            os.symlink(config, os.path.join(folder, "link.h5"))
            for output in (config, os.path.join(folder, "link.h5")):
                with self.subTest(output):
                    code, out, err = run("run", config, "--output", output, "--overwrite", ranks=1)
                    self.assertEqual(code, 2, out + err)
                    self.assertIn("an input of this command", scaleout_lines(err)[0])
                    with open(config) as f:
                        self.assertEqual(f.read(), text)

    def test_bench_replaces_an_existing_output_only_with_overwrite(self):
        with tempfile.TemporaryDirectory() as folder:
            path = write(folder, "calibration.json", "{}")
            args = ("bench", "allreduce", "--sizes", "4K", "--iters", "2", "--warmup", "1", "--output", path)
            code, out, err = run(*args, ranks=1)
            self.assertEqual(code, 2, out + err)
            self.assertIn("it exists; pass --overwrite", scaleout_lines(err)[0])
            with open(path) as f:
                self.assertEqual(f.read(), "{}")
            code, out, err = run(*args, "--overwrite", ranks=1)
            self.assertEqual(code, 0, out + err)
            with open(path) as f:
                self.assertIn("results", f.read())


class DamagedLogs(unittest.TestCase):
    def test_truncated_logs_are_refused_by_report_and_compare_with_one_message(self):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "whole.h5")
            code, out, err = run("run", TINY, "--output", log, "--set", "emulation.steps=3", ranks=1)
            self.assertEqual(code, 0, err)
            with open(log, "rb") as f:
                data = f.read()
            for fraction in (0.9, 0.5, 0.1, 0.0):
                cut = os.path.join(folder, f"cut-{fraction}.h5")
                with open(cut, "wb") as f:
                    f.write(data[:int(len(data) * fraction)])
                for args in (["report", cut], ["compare", log, cut], ["report", log, cut, "--format", "json"]):
                    with self.subTest(fraction=fraction, command=args[0]):
                        code, out, err = run(*args)
                        self.assertEqual(code, 2, (args, out, err))
                        lines = scaleout_lines(err)
                        self.assertEqual(len(lines), 1, err)
                        self.assertIn(cut, lines[0])


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
