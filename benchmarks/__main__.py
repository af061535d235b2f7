"""The command line of the benchmarks.

    python -m benchmarks list
    python -m benchmarks run STUDY [--seeds 0,1,2] [--smoke] [--out DIR]
    python -m benchmarks report STUDY [--out DIR]

``run`` makes the settings of the study that ``<out>/<study>/rows.csv`` lacks (so an
interrupted run resumes), then writes ``<out>/<study>/report.md``. ``--smoke`` runs a
tiny version (one seed, one budget, two iterations, small data) into a temporary folder.
"""

import argparse
import dataclasses
import os
import shlex
import sys
import tempfile

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split(
        "\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the studies and their questions")
    for name in ("run", "report"):
        sub = commands.add_parser(name)
        sub.add_argument("study")
        sub.add_argument("--out", default=None,
                         help="folder of <study>/rows.csv and report.md (default "
                         "benchmarks/results; with --smoke a temporary folder)")
        sub.add_argument("--smoke", action="store_true", help="the tiny version of the study")
        if name == "run":
            sub.add_argument("--seeds", default=None, help="comma-separated, e.g. 0,1,2")
    args = parser.parse_args(argv)

    from . import harness
    from .studies import STUDIES

    if args.command == "list":
        for name, study in STUDIES.items():
            print(f"{name:20s} {study.question}")
        return 0
    if args.study not in STUDIES:
        parser.error(f"unknown study {args.study!r}; one of {', '.join(STUDIES)}")
    study = STUDIES[args.study]
    if args.smoke:
        study = study.smoked()
    smoke_out = os.path.join(tempfile.gettempdir(), "skfairdistill-benchmarks-smoke")
    out = args.out or (smoke_out if args.smoke else RESULTS)
    command = "python -m benchmarks " + shlex.join(argv)
    if args.command == "report":
        if not os.path.exists(os.path.join(out, args.study, "rows.csv")):
            parser.error(f"no rows yet: run `python -m benchmarks run {args.study}` first")
        print(harness.report(study, args.study, out, command))
        return 0
    if args.seeds:
        study = dataclasses.replace(study, seeds=tuple(int(s) for s in args.seeds.split(",")))
    print(harness.run(study, args.study, out, command, smoke=args.smoke,
                      log=lambda message: print(message, flush=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
