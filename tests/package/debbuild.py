"""Build this tree's Debian packages the way an administrator would, from a
copy of the tree as git sees it: shared by the package suite and the system
suite. Stdlib only."""

import glob
import os
import shutil
import subprocess

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def copy_tree(dest):
    """The tree as git sees it (tracked and new files, nothing ignored): no
    build directories, nothing of a previous package build."""
    files = subprocess.run(["git", "-C", SOURCE, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           capture_output=True, text=True, check=True).stdout
    for rel in filter(None, files.split("\0")):
        src = os.path.join(SOURCE, rel)
        if rel.startswith(("build/", "build-")) or not os.path.lexists(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel), follow_symlinks=False)


def build(work, version=None, options="parallel=2"):
    """dpkg-buildpackage -us -uc -b of a copy of the tree in work/ptrwatch
    (with version: a changelog entry of that version on top); the .debs land
    in work, the log in work/build.log. Returns the .deb paths, sorted."""
    src = os.path.join(work, "ptrwatch")
    copy_tree(src)
    if version:
        changelog = os.path.join(src, "debian", "changelog")
        with open(changelog) as f:
            old = f.read()
        with open(changelog, "w") as f:
            f.write(f"ptrwatch ({version}) unstable; urgency=medium\n\n  * Test build.\n\n"
                    " -- ptrwatch developers <ptrwatch@lists.example.org>  Mon, 30 Nov 2026 03:00:00 +0000\n\n" + old)
    log_path = os.path.join(work, "build.log")
    with open(log_path, "w") as log:
        p = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, stdout=log, stderr=subprocess.STDOUT,
                           env=dict(os.environ, DEB_BUILD_OPTIONS=options))
    if p.returncode != 0:
        with open(log_path) as f:
            raise AssertionError("dpkg-buildpackage failed:\n" + f.read()[-6000:])
    return sorted(glob.glob(os.path.join(work, "*.deb")))
