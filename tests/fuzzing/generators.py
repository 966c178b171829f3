"""Case generation: the table of entry points and `build_case`, which turns one integer case seed
into a `Case` (entry point = seed % len(ENTRIES), arguments drawn by a Generator keyed by the
seed). The generators themselves live in gen_public, gen_extras and gen_core.

The table's order and repetitions fix which seed tests which entry point (select, KMeans and
`_core` appear more than once to get more cases): changing it changes every replayed seed.
Entry 18, once a third `_core` slot, is the designs' entry (gen_designs: select with design /
strata / proxy / allocation / estimator / defensive, evaluate, Plan, LocalEngine), so that every
other seed still replays its case (no seed of the recorded findings fell in slot 18)."""
from __future__ import annotations

from typing import Callable, List, Tuple

from .cases import Case
from .gen_core import g_core
from .gen_designs import g_designs
from .gen_extras import g_k_center, g_regression, g_uncertainty, g_uniform
from .gen_public import (g_assign, g_estimate, g_estimate_lam, g_kmeans, g_kmeans_plusplus,
                         g_sample, g_sample_size, g_select, g_select_adaptive, g_sensitivities,
                         g_shards, g_snap)
from .inputs import Ctx

ENTRIES: List[Tuple[str, Callable[[Ctx], Case]]] = [
    ("select", g_select), ("select", g_select), ("select_adaptive", g_select_adaptive),
    ("KMeans", g_kmeans), ("KMeans", g_kmeans), ("kmeans_plusplus", g_kmeans_plusplus),
    ("assign", g_assign), ("snap_to_rows", g_snap), ("sensitivities", g_sensitivities),
    ("sample", g_sample), ("estimate", g_estimate), ("sample_size", g_sample_size),
    ("estimate_lam", g_estimate_lam), ("Shards", g_shards), ("baselines.uniform", g_uniform),
    ("baselines.k_center_greedy", g_k_center), ("baselines.uncertainty", g_uncertainty),
    ("regression", g_regression), ("designs", g_designs), ("_core", g_core), ("_core", g_core),
]


def entry_name(seed: int) -> str:
    """The entry point a case seed tests (without building the case; "designs" for the entry
    whose generator picks among several)."""
    return ENTRIES[seed % len(ENTRIES)][0]


def build_case(seed: int, tmpdir: str) -> Case:
    """The case of one seed; files it needs (memmaps, shards) go to tmpdir."""
    gen = ENTRIES[seed % len(ENTRIES)][1]
    ctx = Ctx(seed, tmpdir)
    case = gen(ctx)
    case.inputs = ctx.inputs
    case.guards = ctx.guards
    case.raises = ctx.raises
    case.tmpdir = tmpdir
    case.nodet = any(v in ("None", "RandomState(MT19937)") or v.startswith("RandomState")
                     for k, v in ctx.desc.items() if k == "random_state")
    return case
