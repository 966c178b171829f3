"""Train on a fresh sensitivity sample every epoch with a weighted loss (coresample.integrations.torch).

    python examples/torch_weighted_loss.py [--quick]

1. Select once: cluster the embeddings, keep the sampling distribution p.
2. Each epoch, SelectionSampler redraws `budget` rows from p with a seed derived from
   (seed, epoch), and yields (row, weight) pairs; WeightedDataset returns (item, weight).
3. The loss is sum(w * loss) / sum(w): an estimate of the mean loss over all rows, so the model
   is fitted to the full data although it sees only the sample.
The sampler's state_dict (seed, epoch, position) is saved with the model, so a run resumes
exactly. In a distributed run the same code shards each epoch's draw over the ranks.
"""
import argparse

import coresample
import numpy as np
import torch
from coresample.integrations.torch import SelectionSampler, WeightedDataset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a small run (used by the tests)")
    args = parser.parse_args()
    n, d, budget, epochs = (2000, 8, 200, 3) if args.quick else (100_000, 16, 2000, 10)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)).astype(np.float32)
    true_w = rng.normal(size=d).astype(np.float32)
    y = X @ true_w + 0.1 * rng.normal(size=n).astype(np.float32)

    sel = coresample.select(X, budget, n_clusters=20, random_state=0)
    sampler = SelectionSampler(sel.probabilities, budget, seed=0, yield_weights=True)
    data = WeightedDataset(torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)))
    loader = torch.utils.data.DataLoader(data, batch_size=64, sampler=sampler)

    torch.manual_seed(0)
    model = torch.nn.Linear(d, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a fresh draw each epoch, the same one on resume
        for (xb, yb), wb in loader:
            per_row = (model(xb).squeeze(1) - yb) ** 2
            w = wb.to(per_row.dtype)
            loss = (w * per_row).sum() / w.sum()  # weighted mean: estimates the full-data loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        checkpoint = {"model": model.state_dict(), "sampler": sampler.state_dict()}
        with torch.no_grad():
            pred = model(torch.from_numpy(X)).squeeze(1)
            full = float(((pred - torch.from_numpy(y)) ** 2).mean())
        print(f"epoch {epoch}: full-data MSE {full:.4f} (checkpoint at epoch "
              f"{checkpoint['sampler']['epoch']}, position {checkpoint['sampler']['position']})")


if __name__ == "__main__":
    main()
