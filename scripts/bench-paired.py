#!/usr/bin/env python3
"""Paired timing of commands on a noisy machine: the commands run interleaved (ABAB..., the
order reversed every other round), so drift in disk or CPU load hits all of them alike, and
each difference is reported as the median of per-round differences as well as the difference
of medians. Used by scripts/bench-run.sh; see docs/BENCHMARKS.md.
  bench-paired.py ROUNDS NAME=COMMAND NAME=COMMAND ...   (the first command is the baseline)
"""
import shlex, statistics, subprocess, sys, time

def main():
    rounds = int(sys.argv[1])
    cmds = [(a.split("=", 1)[0], shlex.split(a.split("=", 1)[1])) for a in sys.argv[2:]]
    times = {name: [] for name, _ in cmds}
    for r in range(rounds + 5):
        order = cmds if r % 2 == 0 else list(reversed(cmds))
        for name, argv in order:
            t = time.perf_counter_ns()
            p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            elapsed = (time.perf_counter_ns() - t) / 1e6
            if p.returncode != 0:
                sys.exit(f"{name} exited {p.returncode}: {' '.join(argv)}")
            if r >= 5:  # warm-up rounds are not counted
                times[name].append(elapsed)
    base = cmds[0][0]
    print(f"{'command':24s} {'median ms':>10s} {'p10':>7s} {'p90':>7s}   vs {base}: diff of medians, median of paired diffs")
    for name, _ in cmds:
        t = sorted(times[name])
        q = lambda f: t[min(len(t) - 1, int(f * len(t)))]
        line = f"{name:24s} {statistics.median(t):10.2f} {q(0.1):7.2f} {q(0.9):7.2f}"
        if name != base:
            paired = statistics.median(a - b for a, b in zip(times[name], times[base]))
            line += f"   {statistics.median(t) - statistics.median(times[base]):+6.2f}  {paired:+6.2f}"
        print(line)

main()
