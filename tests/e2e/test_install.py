"""End-to-end test of the install layout as a site installs scaleout: `cmake --install` of this build
into a temporary prefix, then, from a folder outside the checkout, the installed `scaleout plan` on an
installed example config, the installed sweep helper's --help, `man -l` on an installed page, and
`module load scaleout` with Debian's Lmod followed by `scaleout --version` (docs/usage.md,
"Installing")."""

import os
import shutil
import subprocess
import tempfile
import unittest

from test_cli import SCALEOUT

BUILD = os.path.dirname(os.path.abspath(SCALEOUT))  # the binary sits at the build folder's top
LMOD_INIT = "/usr/share/lmod/lmod/init/bash"


class Installed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="scaleout-prefix-")
        cls.elsewhere = tempfile.mkdtemp(prefix="scaleout-elsewhere-")
        done = subprocess.run(["cmake", "--install", BUILD, "--prefix", cls.prefix], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix)
        shutil.rmtree(cls.elsewhere)

    def run_here(self, *command, env=None):
        """`command` from a folder outside the checkout, with a PATH that has no scaleout of the build."""
        environment = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
                       "LANG": "C.UTF-8", **(env or {})}
        return subprocess.run(command, capture_output=True, text=True, cwd=self.elsewhere, env=environment,
                              timeout=120)

    def installed(self, *parts):
        return os.path.join(self.prefix, *parts)

    def version(self):
        return self.run_here(self.installed("bin", "scaleout"), "--version").stdout.split()[0]

    def test_the_layout_holds_the_binary_helpers_templates_configs_docs_pages_and_module(self):
        for path in (("bin", "scaleout"), ("bin", "scaleout-sweep"), ("bin", "scaleout-vcluster"),
                     ("share", "scaleout", "slurm", "run.sbatch"), ("share", "scaleout", "slurm", "fabric.sbatch"),
                     ("share", "scaleout", "configs", "tiny-hybrid.yaml"), ("share", "scaleout", "plots.py"),
                     ("share", "doc", "scaleout", "README.md"), ("share", "doc", "scaleout", "usage.md"),
                     ("share", "man", "man1", "scaleout.1"), ("share", "modulefiles", "scaleout", self.version())):
            self.assertTrue(os.path.isfile(self.installed(*path)), os.path.join(*path))
        for program in ("scaleout", "scaleout-sweep", "scaleout-vcluster"):
            self.assertTrue(os.access(self.installed("bin", program), os.X_OK), program)
        # A page per subcommand that `scaleout --help` lists, and the helpers'.
        help_text = self.run_here(self.installed("bin", "scaleout"), "--help").stdout
        subcommands = [line.split()[0] for line in help_text.split("Subcommands:\n")[1].splitlines() if line.strip()]
        self.assertIn("trace", subcommands)
        pages = sorted(os.listdir(self.installed("share", "man", "man1")))
        self.assertEqual(pages, sorted(["scaleout.1", "scaleout-sweep.1", "scaleout-vcluster.1"]
                                       + [f"scaleout-{name}.1" for name in subcommands]))

    def test_the_installed_plan_runs_on_an_installed_config_from_elsewhere(self):
        done = self.run_here(self.installed("bin", "scaleout"), "plan",
                             self.installed("share", "scaleout", "configs", "tiny-hybrid.yaml"), "--ranks", "4")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("dp 1 x tp 2 x pp 2", done.stdout)

    def test_the_installed_sweep_helper_answers_help(self):
        done = self.run_here(self.installed("bin", "scaleout-sweep"), "--help")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("usage: scaleout-sweep", done.stdout)
        self.assertIn("--ranks-per-node", done.stdout)
        done = self.run_here(self.installed("bin", "scaleout-vcluster"), "--help")
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_man_reads_an_installed_page(self):
        done = self.run_here("man", "-l", self.installed("share", "man", "man1", "scaleout-trace.1"),
                             env={"MANPAGER": "cat", "MANWIDTH": "100"})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("scaleout trace [OPTIONS] log", done.stdout)
        self.assertIn("--steps", done.stdout)

    def test_module_load_puts_the_install_on_path_and_manpath(self):
        self.assertTrue(os.path.exists(LMOD_INIT), "Debian's lmod is installed by .ci/setup")
        script = (f"source {LMOD_INIT} && module use {self.installed('share', 'modulefiles')} && "
                  "module load scaleout && command -v scaleout && scaleout --version && man -w scaleout-plan")
        done = self.run_here("bash", "-c", script, env={"LMOD_ALLOW_ROOT_USE": "yes"})
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        lines = done.stdout.splitlines()
        self.assertEqual(lines[0], self.installed("bin", "scaleout"))
        self.assertEqual(lines[1].split()[0], self.version())
        self.assertEqual(lines[2], self.installed("share", "man", "man1", "scaleout-plan.1"))


if __name__ == "__main__":
    unittest.main()
