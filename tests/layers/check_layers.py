#!/usr/bin/python3
"""The tree's architecture, checked (#25). README's map of the tree lists
the daemon's parts in layers; this fails on

- an #include of a project header from a part that may not use it (a use
  against the layering: upwards, or sideways where not allowed);
- an include cycle between project files;
- a loop between the daemon's source files: file A calls into B and B,
  directly or around a ring, calls back into A (read from the core
  library's objects with nm: which object's undefined symbols another one
  defines);
- a function longer than FUNCTION_LINES_MAX lines in common/, daemon/ or
  client/.

Usage: check_layers.py SOURCE_ROOT CORE_LIBRARY (the built
libptrwatchd-core.a). Prints every finding, exits 1 when there is one."""

import collections
import os
import re
import subprocess
import sys

FUNCTION_LINES_MAX = 80

# Who may use whom: each part, and the parts beneath it it may include.
# Everything may use common/; the entry points (daemon/ itself) use all.
LAYERS = {
    "common": [],
    "util": ["common"],
    "config": ["util", "common"],
    "dns": ["config", "util", "common"],
    "check": ["dns", "config", "util", "common"],
    "discover": ["dns", "config", "util", "common"],
    "watch": ["discover", "check", "dns", "config", "util", "common"],
    "bus": ["watch", "discover", "check", "dns", "config", "util", "common"],
    "entry": ["bus", "watch", "discover", "check", "dns", "config", "util", "common"],
    "client": ["common"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def part_of(rel):
    """common/x.c -> common; daemon/dns/x.c -> dns; daemon/main.c -> entry."""
    bits = rel.split("/")
    if bits[0] == "daemon":
        return "entry" if len(bits) == 2 else bits[1]
    return bits[0]


def project_files(root):
    found = []
    for top in ("common", "daemon", "client"):
        for d, _, files in os.walk(os.path.join(root, top)):
            found += [os.path.relpath(os.path.join(d, f), root) for f in files if f.endswith((".c", ".h"))]
    return sorted(found)


def check_includes(root, files):
    problems = []
    headers = {}
    for rel in files:
        if rel.endswith(".h"):
            name = os.path.basename(rel)
            if name in headers:
                problems.append(f"two headers named {name}: {headers[name]} and {rel}")
            headers[name] = rel
    graph = collections.defaultdict(set)
    for rel in files:
        with open(os.path.join(root, rel)) as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            target = headers.get(os.path.basename(inc))
            if not target:
                continue
            graph[rel].add(target)
            src, dst = part_of(rel), part_of(target)
            if src != dst and dst not in LAYERS[src]:
                problems.append(f"{rel} includes {target}: {src} may not use {dst}")
    for cycle in cycles(graph):
        problems.append("include cycle: " + " -> ".join(cycle + [cycle[0]]))
    return problems


def cycles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check_calls(root, library, files):
    """File-level call graph of the core library's objects."""
    sources = {rel.replace("daemon/", "", 1).replace("/", "_") + ".o": rel
               for rel in files if rel.startswith("daemon/") and rel.endswith(".c")}
    out = subprocess.run(["nm", "-A", library], capture_output=True, text=True, check=True).stdout
    defined, undefined = {}, collections.defaultdict(set)
    for line in out.splitlines():
        m = re.match(r"^[^:]+:([^:]+):\s*[0-9a-f]*\s+([A-Za-z])\s+(\S+)$", line)
        if not m:
            continue
        obj, kind, symbol = m.groups()
        rel = sources.get(os.path.basename(obj))       # a thin archive names its members by path
        if not rel:
            continue
        if kind == "U":
            undefined[rel].add(symbol)
        elif kind in "TDBR":
            defined[symbol] = rel
    if len(defined) < 50:
        return [f"{library}: too few symbols read ({len(defined)}): is it the core library?"]
    graph = collections.defaultdict(set)
    why = {}
    for rel, symbols in undefined.items():
        for s in symbols:
            target = defined.get(s)
            if target and target != rel:
                graph[rel].add(target)
                why.setdefault((rel, target), s)
    problems = []
    for comp in cycles(graph):
        members = set(comp)
        uses = sorted(f"{a} -> {b} ({why[(a, b)]})" for a in comp for b in graph[a] if b in members)
        problems.append("files that call each other: " + "; ".join(uses))
    for rel, targets in graph.items():
        for target in targets:
            src, dst = part_of(rel), part_of(target)
            if src != dst and dst not in LAYERS[src]:
                problems.append(f"{rel} calls {target} ({why[(rel, target)]}): {src} may not use {dst}")
    return problems


def check_function_lengths(root, files):
    """A function runs from the first line of its signature (at column 0) to
    the "}" alone at column 0 that closes it: the kernel style of this tree.
    A signature may span lines; an initializer ("= {") or a type is no
    function."""
    problems = []
    for rel in files:
        if not rel.endswith(".c"):
            continue
        with open(os.path.join(root, rel)) as f:
            lines = f.read().splitlines()
        start = None
        for i, line in enumerate(lines):
            if start is None and line.rstrip().endswith("{") and ")" in line and "=" not in line \
                    and not line.lstrip().startswith(("if ", "for ", "while ", "switch ", "else", "do ", "case ")):
                first = i
                while first > 0 and not re.match(r"[A-Za-z_]", lines[first]):
                    first -= 1
                start = first
            elif start is not None and line == "}":
                length = i - start + 1
                if length > FUNCTION_LINES_MAX:
                    name = re.search(r"(\w+)\s*\(", lines[start])
                    problems.append(f"{rel}:{start + 1}: {name.group(1) if name else '?'} is {length} lines "
                                    f"(at most {FUNCTION_LINES_MAX})")
                start = None
    return problems


def main():
    root, library = sys.argv[1], sys.argv[2]
    files = project_files(root)
    problems = check_includes(root, files) + check_calls(root, library, files) + check_function_lengths(root, files)
    for p in problems:
        print(p)
    print(f"{len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
