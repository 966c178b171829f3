"""The `coresample` command line."""
from __future__ import annotations

import argparse
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="coresample", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="select from a built-in synthetic dataset and check the estimate")
    demo.add_argument("--n", type=int, default=20000, help="rows (default 20000)")
    demo.add_argument("--d", type=int, default=32, help="features (default 32)")
    demo.add_argument("--clusters", type=int, default=50, help="k (default 50)")
    demo.add_argument("--budget", type=int, default=300, help="sampled rows (default 300)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--repeats", type=int, default=20, help="seeds in the comparison (default 20)")
    args = parser.parse_args(argv)

    from .demo import run_demo

    run_demo(n=args.n, d=args.d, n_clusters=args.clusters, budget=args.budget, seed=args.seed,
             repeats=args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
