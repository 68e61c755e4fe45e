"""The include rules of docs/development.md as .ci/layers checks them: the tree as it is passes, and a
tree with an upward include, a reporter or analysis reaching <mpi.h> or <hdf5.h> through another header,
or a subcommand including another, fails naming the file and the rule."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAYERS = os.path.join(ROOT, ".ci", "layers")


def check(root):
    done = subprocess.run([sys.executable, LAYERS, "--root", root], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def tree(test, files):
    """A git repository in a new folder holding `files` (path -> text), untracked as new files are;
    removed when `test` ends."""
    folder = tempfile.mkdtemp()
    test.addCleanup(shutil.rmtree, folder)
    subprocess.run(["git", "init", "-q", folder], check=True)
    for path, text in files.items():
        os.makedirs(os.path.join(folder, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(folder, path), "w") as f:
            f.write(text)
    return folder


GOOD = {
    "comm/communicator.hpp": "#pragma once\n#include <mpi.h>\n",
    "comm/stats.hpp": "#pragma once\n#include <vector>\n",
    "analysis/scaling.hpp": '#pragma once\n#include "comm/stats.hpp"\n',
    "runs/usage_error.hpp": "#pragma once\n",
    "runs/config/run_config.hpp": '#pragma once\n#include "runs/usage_error.hpp"\n#include "analysis/scaling.hpp"\n',
    "runs/log/hdf5.hpp": "#pragma once\n#include <hdf5.h>\n",
    "runs/log/run_log.cpp": '#include "runs/log/hdf5.hpp"\n#include "runs/config/run_config.hpp"\n',
    "runs/report/table.hpp": '#pragma once\n#include "runs/config/run_config.hpp"\n',
    "runs/job/run_job.cpp": '#include "runs/report/table.hpp"\n#include "comm/communicator.hpp"\n',
    "runs/cli/command.hpp": "#pragma once\n",
    "runs/cli/run_command.cpp": '#include "runs/cli/command.hpp"\n#include "runs/job/run_job.cpp"\n',
}


class Layers(unittest.TestCase):
    def test_the_tree_as_it_is_keeps_the_rules(self):
        code, out, err = check(ROOT)
        self.assertEqual(code, 0, err)
        self.assertIn("every include downward", out)

    def test_a_tree_that_keeps_the_rules_passes(self):
        code, out, err = check(tree(self, GOOD))
        self.assertEqual(code, 0, err)

    def test_each_breach_is_named(self):
        cases = [
            ({"runs/report/table.hpp": '#pragma once\n#include "runs/job/run_job.cpp"\n'},
             "runs/report/table.hpp includes runs/job/run_job.cpp: runs/report/ may include runs/config, runs,"),
            ({"runs/config/run_config.hpp": '#pragma once\n#include "runs/log/hdf5.hpp"\n'},
             "(an upward include)"),
            ({"analysis/scaling.hpp": '#pragma once\n#include "runs/usage_error.hpp"\n'},
             "analysis/scaling.hpp includes runs/usage_error.hpp"),
            ({"comm/stats.hpp": '#pragma once\n#include "comm/communicator.hpp"\n'},
             "analysis/scaling.hpp reaches <mpi.h>: analysis/scaling.hpp -> comm/stats.hpp -> "
             "comm/communicator.hpp -> <mpi.h>"),
            ({"runs/report/table.hpp": '#pragma once\n#include <hdf5.h>\n'}, "runs/report/table.hpp reaches <hdf5.h>"),
            ({"runs/cli/plan_command.cpp": '#include "runs/cli/command.hpp"\n',
              "runs/cli/plan_command.hpp": "#pragma once\n",
              "runs/cli/report_command.cpp": '#include "runs/cli/plan_command.hpp"\n'},
             "runs/cli/report_command.cpp includes runs/cli/plan_command.hpp: a subcommand includes no other"),
        ]
        for change, expected in cases:
            with self.subTest(expected=expected):
                code, out, err = check(tree(self, dict(GOOD, **change)))
                self.assertEqual(code, 1, err)
                self.assertIn(expected, err)
                self.assertIn("of the include rules (docs/development.md)", err)


if __name__ == "__main__":
    unittest.main()
