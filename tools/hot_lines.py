#!/usr/bin/env python3
"""Distinct 64-byte lines of code a call runs, from two callgrind runs of profile_show.

A call's time on a loaded machine follows the code and data it touches more than the
instructions it runs (BENCHMARKS.md). This counts the code side: the instructions executed at
least 0.9 times per call (so once-only setup is left out), grouped by the 64-byte line they lie
in and by the symbol (one copy of a generic function each) that holds them. Unlike cache
misses, the count repeats from run to run; between two builds it moves by up to about 20 lines
with the layout alone.

    CARGO_PROFILE_BENCH_DEBUG=true cargo bench --bench profile_show --no-run
    B=$(ls -t target/release/deps/profile_show-* | grep -v '\\.d$' | head -1)
    CALLS=3000 valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=full.out $B
    RAW=1 CALLS=3000 valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=raw.out $B
    python3 tools/hot_lines.py $B full.out raw.out 3000 [name-pattern]

Prints the lines of each side, then the symbols whose line counts differ (optionally only
those matching the pattern), most lines first.
"""

import bisect
import collections
import re
import subprocess
import sys


def symbols(binary):
    """(start, size, name) of every function symbol, sorted by start."""
    out = subprocess.run(
        ["nm", "-C", "-S", "--defined-only", binary], capture_output=True, text=True
    ).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[2] in "tTwW":
            syms.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
    return sorted(syms)


def position(token, previous):
    """An address or line of callgrind's compressed format: absolute, relative or repeated."""
    if token.startswith("0x"):
        return int(token, 16)
    if token[0] in "+-":
        step = int(token[1:], 16) if token[1:].startswith("0x") else int(token[1:])
        return previous + step if token[0] == "+" else previous - step
    if token == "*":
        return previous
    return int(token)


def executions(path):
    """How many times each instruction address ran (its own cost lines only, not calls)."""
    count = collections.Counter()
    address, after_calls = 0, False
    with open(path) as f:
        for line in f:
            if line.startswith("calls="):
                after_calls = True
                continue
            if not line or line[0] not in "0123456789+-*":
                continue
            fields = line.split()
            address = position(fields[0], address)
            if after_calls:
                # The line after `calls=` is the call's inclusive cost, not an execution.
                after_calls = False
                continue
            if len(fields) >= 3:
                count[address] += int(fields[2])
    return count


def hot_lines(path, calls, syms):
    starts = [s[0] for s in syms]
    lines = collections.defaultdict(set)
    for address, n in executions(path).items():
        if n < 0.9 * calls:
            continue
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and address < syms[i][0] + syms[i][1]:
            key = (syms[i][0], syms[i][2])
        else:
            key = (0, "?")
        lines[key].add(address >> 6)
    return lines


def main():
    binary, full, raw, calls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    pattern = sys.argv[5] if len(sys.argv) > 5 else ""
    syms = symbols(binary)
    a, b = hot_lines(full, calls, syms), hot_lines(raw, calls, syms)
    all_a, all_b = set().union(*a.values()), set().union(*b.values())
    print(f"lines per call: {len(all_a)} and {len(all_b)}, gap {len(all_a) - len(all_b)}")
    rows = []
    for key in set(a) | set(b):
        na, nb = len(a.get(key, ())), len(b.get(key, ()))
        if na != nb and re.search(pattern, key[1]):
            rows.append((na - nb, na, nb, key))
    for diff, na, nb, (start, name) in sorted(rows, key=lambda r: -r[0]):
        print(f"{diff:5d} {na:5d} {nb:5d} {start:x} {name[:130]}")


if __name__ == "__main__":
    main()
