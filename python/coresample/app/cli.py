"""The `coresample` command line.

Subcommands: `select` (pick a weighted subset of an embedding file), `info` (version, SIMD kernel,
threads, OpenMP runtime) and `demo` (a synthetic end-to-end check). `coresample --version` prints
the version and exits 0.

Exit codes: 0 success; 1 an input or data error (missing file, wrong shape or dtype, NaN, a
budget out of range), reported as one line `coresample: error: ...` on stderr (`--debug` shows
the traceback); 2 bad command-line arguments (argparse); 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import traceback
import warnings
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

from .. import __version__

SELECT_DESCRIPTION = """\
Pick a small weighted representative subset of the rows of EMB (clustering-based sensitivity
sampling, `coresample.select`). The result is the same as coresample.select(X, B, n_clusters=K,
random_state=SEED, ...) on the same array.

input EMB:
  file.npy        memory-mapped; C-contiguous float32/float64 is used without a copy
  file.npz        its single array, or --key NAME (loaded into memory)
  folder/         the .npy shards in it in sorted file-name order, memory-mapped and read
                  in blocks, never concatenated (same n_features and dtype in all shards)
  file.parquet    --column NAME (default: the only list column), a list or fixed-size list of
                  floats per row, read into an in-memory float32 array (needs pyarrow)
  float16 is computed in float32, converted block by block; integer dtypes, NaN/inf and
  non-2-D arrays are errors. Out of core (docs/OUT_OF_CORE.md): with a subsample fit
  (--points-per-center N, or 'auto' on large problems) only O(n) scalars and one block of
  rows are in memory; an all-rows fit first copies shards and float16 input into one
  temporary float32 file in TMPDIR.

--loss-file L:
  a .npy of n_samples per-row losses (finite, >= 0) used as the oracle (only the rows the
  selection queries are read), so the output carries an estimate of the mean loss, its
  standard error and 95% CI.

output --out:
  sel.npz         indices (budget,) int64, weights (budget,) float64, representatives (k,)
                  int64, cluster_weights (k,) float64, metadata (a JSON string: n_samples,
                  n_features, budget, n_distinct, n_clusters, inertia, total_weight, lam,
                  n_queries, params, and estimate/stderr/ci with --loss-file); with --loss-file
                  also losses, representative_losses, estimate, stderr, ci (2,);
                  probabilities (n_samples,) with --save-probabilities, labels (n_samples,)
                  with --save-labels.
  sel.parquet     one row per sampled draw: index int64, weight float64, probability float64
                  (p of that row), is_representative bool, and loss float64 with --loss-file;
                  the schema metadata key "coresample" holds the JSON above plus the
                  representatives.

stdout gets one summary line (or a JSON object with --json); progress goes to stderr, one line
format for everything, "[coresample  ELAPSEDs] what": the phases (load, cluster + sample, write),
the library's steps inside them (k-means++ centers, lloyd iterations, assign, sample; each step's
first report at once, then at most twice a second, rewriting one line on a terminal) and notes.
exit codes: 0 ok, 1 input/data error, 2 bad arguments, 130 interrupted.
"""


def _lam(value: str) -> Any:
    if value == "auto":
        return "auto"
    try:
        lam = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number >= 0 or 'auto', got {value!r}"
        ) from None
    if not lam >= 0 or lam == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0 or 'auto', got {value!r}")
    return lam


def _points_per_center(value: str) -> Any:
    if value in ("auto", "all"):
        return "auto" if value == "auto" else None
    try:
        return _positive_int(value)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, 'auto' or 'all', got {value!r}"
        ) from None


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return n


@contextmanager
def _copy_notes(progress: Any) -> Iterator[None]:
    """Show the library's CopyWarnings (a copy or temporary file it had to make) as notes on
    stderr, when they happen."""
    from .._base.validation import CopyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("always", CopyWarning)
        shown = warnings.showwarning

        def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
            if issubclass(category, CopyWarning):
                progress.message(f"note: {message}")
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield


def _select_defaults() -> Dict[str, Any]:
    """select's defaults, read from its one signature (the CLI restates none of them)."""
    import inspect

    from .._algorithm import options

    params = inspect.signature(options.select).parameters.values()
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def _build_parser() -> argparse.ArgumentParser:
    default = _select_defaults()
    parser = argparse.ArgumentParser(
        prog="coresample", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # argparse prints it and exits 0 as soon as it sees the flag, before the subcommand is required.
    parser.add_argument(
        "--version", action="version", version=f"coresample {__version__}",
        help="print the version and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{select,info,demo}")

    sel = sub.add_parser(
        "select",
        help="select a weighted subset of an embedding file",
        description=SELECT_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sel.add_argument("emb", metavar="EMB", help=".npy, .npz, .parquet or a folder of .npy shards")
    sel.add_argument("--budget", "-b", type=_positive_int, required=True, help="sampled rows s")
    sel.add_argument(
        "--clusters", "-k", type=_positive_int, required=True, help="number of clusters k"
    )
    sel.add_argument("--out", "-o", required=True, help="output file: .npz or .parquet")
    sel.add_argument("--loss-file", metavar="L", help=".npy of per-row losses (the oracle)")
    sel.add_argument("--key", help="array name inside a .npz input")
    sel.add_argument("--column", help="embedding column of a parquet input")
    sel.add_argument(
        "--z", type=float, default=default["z"],
        help="cost exponent (2 k-means, 1 k-median; default %(default)s)",
    )
    sel.add_argument(
        "--lam",
        type=_lam,
        default=default["lam"],
        help="Hoelder constant >= 0, or 'auto' (needs --loss-file; default %(default)s)",
    )
    sel.add_argument(
        "--replace",
        action=argparse.BooleanOptionalAction,
        default=default["replace"],
        help="i.i.d. draws (--replace) or distinct rows (--no-replace); default %(default)s",
    )
    sel.add_argument(
        "--design",
        choices=["auto", "stratified", "sensitivity"],
        default=default["design"],
        help="sampling design (auto: stratified; sensitivity: Algorithm 1; default %(default)s)",
    )
    sel.add_argument(
        "--method",
        choices=["lightweight", "coreset"],
        default=default["method"],
        help="distribution without an oracle (default %(default)s)",
    )
    sel.add_argument(
        "--defensive",
        type=float,
        default=default["defensive"],
        metavar="A",
        help="uniform share a in [0, 1] mixed into p, so every row keeps p > 0 (default "
        "%(default)s; 0: the paper's distribution)",
    )
    sel.add_argument(
        "--estimator",
        choices=["auto", "plain", "difference"],
        default=default["estimator"],
        help="estimator with --loss-file (difference: design sensitivity only; default "
        "%(default)s)",
    )
    sel.add_argument(
        "--points-per-center",
        type=_points_per_center,
        default=default["max_points_per_center"],
        metavar="N|auto|all",
        help="fit the centers on N rows per center (a uniform subsample), 'all' rows, or 'auto' "
        "(48 on large problems, else all; default). A subsample fit reads shards and float16 "
        "input in blocks; an all-rows fit copies them once into a temporary file first",
    )
    sel.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sel.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="threads (default: all cores, the OpenMP default)",
    )
    sel.add_argument(
        "--save-probabilities",
        action="store_true",
        help="also store p for every row in a .npz output (n_samples floats)",
    )
    sel.add_argument(
        "--save-labels",
        action="store_true",
        help="also store every row's cluster label in a .npz output",
    )
    sel.add_argument("--json", action="store_true", help="print the summary as JSON")
    sel.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    sel.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sel.set_defaults(subparser=sel)

    info = sub.add_parser(
        "info",
        help="version, SIMD kernel, threads and OpenMP runtime",
        description="Print the version, SIMD kernel in use, threads and OpenMP runtime.",
    )
    info.add_argument("--json", action="store_true", help="print a JSON object")

    demo = sub.add_parser(
        "demo", help="select from a built-in synthetic dataset and check the estimate"
    )
    demo.add_argument("--n", type=int, default=20000, help="rows (default 20000)")
    demo.add_argument("--d", type=int, default=32, help="features (default 32)")
    demo.add_argument("--clusters", type=int, default=50, help="k (default 50)")
    demo.add_argument("--budget", type=int, default=300, help="sampled rows (default 300)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument(
        "--repeats", type=int, default=20, help="seeds in the comparison (default 20)"
    )
    return parser


def _error(message: str) -> int:
    print(f"coresample: error: {message}", file=sys.stderr, flush=True)
    return 1


def info_dict() -> Dict[str, Any]:
    """What `coresample info` reports."""
    import numpy as np

    import coresample
    from coresample import _core

    from .io import openmp_runtimes

    def has(mod: str) -> Optional[str]:
        try:
            m = __import__(mod)
        except ImportError:
            return None
        return str(getattr(m, "__version__", "installed"))

    runtimes = openmp_runtimes()
    return {
        "version": coresample.__version__,
        "simd_level": coresample.simd_level(),
        "available_simd_levels": list(_core.available_simd_levels()),
        "CORESAMPLE_SIMD": os.environ.get("CORESAMPLE_SIMD"),
        "openmp": bool(_core.has_openmp()),
        "openmp_runtime": [os.path.basename(r) for r in runtimes],
        "openmp_runtime_paths": runtimes,
        "threads": int(_core.max_threads()),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pyarrow": has("pyarrow"),
        "tqdm": has("tqdm"),
    }


def _run_info(args: argparse.Namespace) -> int:
    info = info_dict()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    runtime = ", ".join(info["openmp_runtime_paths"]) or (
        "not found in /proc/self/maps" if info["openmp"] else "-"
    )
    lines = [
        ("coresample", info["version"]),
        (
            "SIMD kernel",
            info["simd_level"]
            + (f" (CORESAMPLE_SIMD={info['CORESAMPLE_SIMD']})" if info["CORESAMPLE_SIMD"] else ""),
        ),
        ("SIMD available", ", ".join(info["available_simd_levels"])),
        ("OpenMP", "yes" if info["openmp"] else "no (single-threaded build)"),
        ("OpenMP runtime", runtime),
        (
            "threads",
            (
                f"{info['threads']} (OMP_NUM_THREADS={info['OMP_NUM_THREADS'] or 'unset'}, "
                f"{info['cpu_count']} CPUs)"
            ),
        ),
        ("numpy", info["numpy"]),
        ("python", f"{info['python']} on {info['platform']}"),
        ("pyarrow", info["pyarrow"] or "not installed (parquet input/output unavailable)"),
        ("tqdm", info["tqdm"] or "not installed (progress=True in Python writes lines)"),
    ]
    for name, value in lines:
        print(f"{name + ':':16s}{value}")
    return 0


def _summary(meta: Dict[str, Any], out: str) -> str:
    text = (
        f"selected {meta['budget']} rows ({meta['n_distinct']} distinct) of "
        f"{meta['n_samples']} x {meta['n_features']} with k={meta['n_clusters']} -> {out}"
    )
    if meta.get("estimate") is not None:
        text += f"; mean loss {meta['estimate']:.6g}"
        if meta.get("stderr") is not None:
            text += f" +- {meta['stderr']:.3g}"
        if meta.get("ci") is not None:
            text += f" (95% CI {meta['ci'][0]:.6g} .. {meta['ci'][1]:.6g})"
        text += f", {meta['n_queries']} queries"
    return text


def _run_select(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    out_ext = os.path.splitext(args.out)[1].lower()
    if out_ext not in (".npz", ".parquet", ".pq"):
        parser.error(f"--out must end in .npz or .parquet, got {args.out!r}")
    if args.loss_file is None and args.lam == "auto":
        parser.error("--lam auto needs --loss-file")
    if args.loss_file is None and args.estimator == "difference":
        parser.error("--estimator difference needs --loss-file")
    if (args.save_probabilities or args.save_labels) and out_ext != ".npz":
        parser.error("--save-probabilities and --save-labels need a .npz output")

    import numpy as np

    import coresample

    from .._base.progress import LineReporter
    from .io import (
        InputError,
        load_embeddings,
        load_losses,
        selection_metadata,
        write_npz,
        write_parquet,
    )

    # One line format on stderr for the command's phases, the library's reports (k-means++,
    # lloyd, assign, ...) and notes; the first report of each phase shows at once (issue 13).
    progress = LineReporter(quiet=args.quiet)
    try:
        if out_ext in (".parquet", ".pq"):
            from .io import _need_pyarrow

            _need_pyarrow("writing parquet")  # fail before the long phases, not after them
        out_dir = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(out_dir):
            raise InputError(f"{args.out}: output folder {out_dir} does not exist")

        with progress.phase("load", args.emb) as ph:
            X = load_embeddings(args.emb, key=args.key, column=args.column, progress=progress)
            ph["done"] = f"{X.shape[0]} x {X.shape[1]} {X.dtype}"
        loss_fn = None
        if args.loss_file is not None:
            losses = load_losses(args.loss_file, X.shape[0])

            def loss_fn(rows: np.ndarray) -> np.ndarray:
                return np.asarray(losses[rows], dtype=np.float64)

        # select's keyword arguments from the command line, named once for the call and the file.
        options = dict(
            n_clusters=args.clusters, z=args.z, lam=args.lam, replace=args.replace,
            design=args.design, method=args.method, defensive=args.defensive,
            estimator=args.estimator,
            random_state=args.seed,
            n_threads=args.threads, max_points_per_center=args.points_per_center,
        )
        detail = (
            f"k={args.clusters}, budget={args.budget}, z={args.z}, threads={args.threads or 'all'}"
        )
        with progress.phase("cluster + sample", detail), _copy_notes(progress):
            sel = coresample.select(
                X, args.budget, loss_fn=loss_fn, progress=None if progress.quiet else progress,
                **options,
            )
        # The metadata records the arguments select ran with, under select's own names.
        params = dict(
            input=args.emb, key=args.key, column=args.column, loss_file=args.loss_file,
            budget=args.budget, **options, version=coresample.__version__,
        )
        meta = selection_metadata(sel, X.shape[0], X.shape[1], params)
        # Written under a temporary name and renamed, so that an error or Ctrl-C never leaves a
        # truncated file under the requested name.
        partial = f"{args.out}.partial"
        try:
            with progress.phase("write", args.out):
                if out_ext == ".npz":
                    write_npz(
                        partial,
                        sel,
                        meta,
                        probabilities=args.save_probabilities,
                        labels=args.save_labels,
                    )
                else:
                    write_parquet(partial, sel, meta)
                os.replace(partial, args.out)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    except InputError as exc:
        if args.debug:
            traceback.print_exc()
        return _error(str(exc))
    except (ValueError, TypeError) as exc:
        # coresample's own checks: messages name the argument ("X contains NaN ... (first at
        # row 3)", "n_clusters=300 must be <= n_samples=200").
        if args.debug:
            traceback.print_exc()
        message = str(exc)
        if message.startswith("X "):  # the library's name for the embeddings
            message = f"{args.emb}: array {message[2:]}"
        return _error(message)
    except OSError as exc:
        if args.debug:
            traceback.print_exc()
        name = exc.filename if exc.filename else args.out
        return _error(f"{name}: {exc.strerror or exc}")

    if args.json:
        print(json.dumps(dict(meta, out=args.out)))
    else:
        print(_summary(meta, args.out))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Run the `coresample` command; returns the exit code (argparse exits 2 on bad arguments)."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "select":
            return _run_select(args, args.subparser)
        if args.command == "info":
            return _run_info(args)

        from .demo import run_demo

        run_demo(
            n=args.n,
            d=args.d,
            n_clusters=args.clusters,
            budget=args.budget,
            seed=args.seed,
            repeats=args.repeats,
        )
        return 0
    except KeyboardInterrupt:
        print("coresample: interrupted", file=sys.stderr, flush=True)
        return 130
    except BrokenPipeError:
        # stdout closed early (`coresample info | head -1`): no traceback; point stdout at
        # devnull so the interpreter's final flush does not raise again (Python docs, "signal").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
