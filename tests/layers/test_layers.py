#!/usr/bin/python3
"""The architecture check (#25) on this tree, and proof that it can fail:
the same check on copies of the tree with one fault put in each."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LIBRARY = os.environ["CORE_LIBRARY"]
sys.path.insert(0, HERE)
import check_layers  # noqa: E402


def run(root):
    p = subprocess.run([sys.executable, os.path.join(HERE, "check_layers.py"), root, LIBRARY],
                       capture_output=True, text=True)
    return p.returncode, p.stdout


class Tree(unittest.TestCase):
    def test_this_tree_keeps_its_layers(self):
        code, out = run(ROOT)
        self.assertEqual(code, 0, out)
        self.assertRegex(out, r"\n?\d{3} files, 0 problems\n$")


class TheCheckCanFail(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="layers-")
        self.addCleanup(shutil.rmtree, self.root)
        for top in ("common", "daemon", "client"):
            shutil.copytree(os.path.join(ROOT, top), os.path.join(self.root, top))

    def append(self, rel, text):
        with open(os.path.join(self.root, rel), "a") as f:
            f.write(text)

    def test_an_upward_include(self):
        self.append("daemon/dns/dnswire.c", '\n#include "manager.h"\n')
        code, out = run(self.root)
        self.assertEqual(code, 1)
        self.assertIn("daemon/dns/dnswire.c includes daemon/watch/manager.h: dns may not use watch", out)

    def test_a_sideways_include(self):
        self.append("daemon/check/helo.c", '\n#include "whoami.h"\n')
        code, out = run(self.root)
        self.assertIn("daemon/check/helo.c includes daemon/discover/whoami.h: check may not use discover", out)

    def test_an_include_cycle(self):
        self.append("daemon/util/prioq.h", '\n#include "atomic-file.h"\n')
        self.append("daemon/util/atomic-file.h", '\n#include "prioq.h"\n')
        code, out = run(self.root)
        self.assertIn("include cycle: daemon/util/atomic-file.h -> daemon/util/prioq.h -> daemon/util/atomic-file.h",
                      out)

    def test_a_long_function(self):
        body = "".join(f"        x += {i};\n" for i in range(85))
        self.append("daemon/util/prioq.c", f"\nint too_long(int x);\nint too_long(int x) {{\n{body}        return x;\n}}\n")
        code, out = run(self.root)
        self.assertRegex(out, r"daemon/util/prioq.c:\d+: too_long is 88 lines \(at most 80\)")

    def test_a_call_loop(self):
        graph = {"a.c": {"b.c"}, "b.c": {"c.c"}, "c.c": {"a.c"}, "d.c": {"a.c"}}
        self.assertEqual(check_layers.cycles(graph), [["a.c", "b.c", "c.c"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
