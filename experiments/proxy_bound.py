"""How far can a design built on experiment e's Fashion-MNIST proxy and labels go? (issue 14)

For the estimate of the mean loss, a stratified design with proportional allocation has, for
large samples, the variance of uniform sampling times (within-stratum variance / total variance);
a linear control (the regression estimator) removes the part of the within-stratum variance that
the proxy explains linearly. This prints that SD ratio for several ways of using the data of
experiments/evaluation.py's fashion(): the embedding's 50 clusters, the labels, proxy quantiles,
and the clusters x labels with the proxy as a control. No finite sample does better than these
large-sample figures by more than the finite-population term.

    python3 experiments/proxy_bound.py      # about a minute (fits the two logistic models)

2026-12-04: r(proxy, loss) 0.662; clusters 0.932, clusters x labels 0.708, proxy deciles 0.779,
proxy percentiles 0.745, labels x proxy deciles 0.760, labels x proxy percentiles 0.674, clusters
x proxy deciles 0.723, clusters x labels + linear proxy 0.623.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coresample  # noqa: E402
import evaluation  # noqa: E402


def sd_ratio(y, *codes, control=None):
    """sqrt(within-cell variance / total variance), the control regressed out within cells."""
    _, cell = np.unique(np.column_stack(codes), axis=0, return_inverse=True)
    cell = cell.ravel()

    def centred(v):
        return v - (np.bincount(cell, v) / np.bincount(cell))[cell]

    r = centred(y)
    if control is not None:
        g = centred(control)
        r = r - (r @ g) / (g @ g) * g
    return float(np.sqrt((r**2).mean() / y.var()))


def quantile_codes(v, q):
    return np.searchsorted(np.quantile(v, np.linspace(0, 1, q + 1)[1:-1]), v)


def main():
    d = evaluation.fashion()
    y, proxy, labels = d["loss"], d["proxy"], d["strata"]
    clusters = coresample.select(d["X"], 1000, n_clusters=evaluation.K, random_state=0).labels
    dec, pct = quantile_codes(proxy, 10), quantile_codes(proxy, 100)
    print(f"r(proxy, loss) {np.corrcoef(proxy, y)[0, 1]:.3f}")
    for name, codes, control in [
        ("clusters", [clusters], None), ("clusters x labels", [clusters, labels], None),
        ("proxy deciles", [dec], None), ("proxy percentiles", [pct], None),
        ("labels x proxy deciles", [labels, dec], None),
        ("labels x proxy percentiles", [labels, pct], None),
        ("clusters x proxy deciles", [clusters, dec], None),
        ("clusters x labels + linear proxy", [clusters, labels], proxy),
    ]:
        print(f"{name:34s} {sd_ratio(y, *codes, control=control):.3f}")


if __name__ == "__main__":
    main()
