#!/usr/bin/env python3
"""How much of the oracle's AUC the propensity features carry at all (issue #11).

    BENCH_WASM=0 BENCH_SETS_OUT=/tmp/sets npm run bench -- propensity
    python3 -m venv /tmp/ceil && /tmp/ceil/bin/pip install scikit-learn numpy
    /tmp/ceil/bin/python bench/feature-ceiling.py /tmp/sets [feature,to,leave,out,...]

Reads the sets the propensity bench wrote (every catalog feature, the same time-based split: train on
the earlier cut-offs, validation and test on the latest ones) and fits gradient-boosted trees
(scikit-learn's HistGradientBoostingClassifier, the usual strongest learner on tabular data) with the
rows' weights, choosing its settings on validation only. Its test AUC, next to the MLP's and the
oracle's on the same rows, says whether the gap to 0.97 x oracle is the model's or the features'.
An analysis tool, not part of the product: nothing in StorePulse depends on Python.
"""
import csv
import itertools
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss, roc_auc_score


def load(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        data = np.array([[float(v) for v in row] for row in r], dtype=np.float64)
    return header, data


def ece(y, p, bins=10):
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() / len(p) * abs(p[m].mean() - y[m].mean())
    return total


def main(folder):
    t0 = time.time()
    header, train = load(f"{folder}/train.csv")
    _, val = load(f"{folder}/validation.csv")
    test_header, test = load(f"{folder}/test.csv")
    d = header.index("y")
    names = header[:d]
    # DROP: features to leave out (comma-separated), e.g. the ones the bench's stationarity filter left
    # out (its "features" row), to compare on the MLP's own inputs
    drop = {f for f in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if f.strip()}
    keep = [i for i, n in enumerate(names) if n.strip() not in {x.strip() for x in drop}]
    col = {n: i for i, n in enumerate(test_header)}
    # A feature without a value (no order yet: days since the last order) is NaN in the sets; the
    # trees get it as a value below every real one (all features are counts, amounts or durations
    # >= 0), which they can split off (scikit-learn 1.9's own NaN handling fails on these columns).
    def filled(a):
        return np.nan_to_num(a, nan=-1.0)

    xt, yt, wt = filled(train[:, keep]), train[:, d], train[:, d + 1]
    xv, yv = filled(val[:, keep]), val[:, d]
    xs, ys = filled(test[:, keep]), test[:, d]
    print(
        f"[ceiling] {len(keep)} of {len(names)} features; train {len(yt)} rows, validation {len(yv)}, "
        f"test {len(ys)} ({ys.mean() * 100:.1f} % positive); loaded in {time.time() - t0:.0f} s",
        flush=True,
    )
    best = None
    grid = list(itertools.product([0.05], [15, 31, 63], [20, 100]))
    for i, (lr, leaves, min_leaf) in enumerate(grid, 1):
        m = HistGradientBoostingClassifier(
            learning_rate=lr,
            max_leaf_nodes=leaves,
            min_samples_leaf=min_leaf,
            l2_regularization=1.0,
            max_iter=2000,
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=30,
            random_state=7,
        )
        m.fit(xt, yt, sample_weight=wt)
        auc_v = roc_auc_score(yv, m.predict_proba(xv)[:, 1])
        print(
            f"[ceiling] {i}/{len(grid)} lr {lr} leaves {leaves} min_leaf {min_leaf}: "
            f"{m.n_iter_} trees, validation AUC {auc_v:.4f}",
            flush=True,
        )
        if best is None or auc_v > best[0]:
            best = (auc_v, m, (lr, leaves, min_leaf))
    auc_v, model, params = best
    p = model.predict_proba(xs)[:, 1]
    rows = [
        ("command", "python3 bench/feature-ceiling.py " + " ".join(sys.argv[1:])),
        ("features / rows", f"{len(keep)} of {len(names)}; train {len(yt)}, validation {len(yv)}, test {len(ys)}"),
        ("GBDT settings (chosen on validation)", f"lr {params[0]}, leaves {params[1]}, min leaf {params[2]}, {model.n_iter_} trees, validation AUC {auc_v:.4f}"),
    ]
    oracle_auc = roc_auc_score(ys, test[:, col["oracle"]])
    for name, q in [("GBDT, these features", p), ("MLP (the bench's)", test[:, col["mlp"]]), ("logistic (the bench's)", test[:, col["logistic"]]), ("oracle", test[:, col["oracle"]])]:
        q = np.clip(q, 1e-7, 1 - 1e-7)
        auc = roc_auc_score(ys, q)
        rows.append((f"{name} (test)", f"AUC {auc:.4f} ({auc / oracle_auc:.4f} x oracle), log loss {log_loss(ys, q):.4f}, ECE {ece(ys, q):.4f}"))
    rows.append(("0.97 x oracle AUC", f"{0.97 * oracle_auc:.4f}"))
    rows.append(("wall time", f"{time.time() - t0:.0f} s"))
    w = max(len(k) for k, _ in rows)
    v = max(len(x) for _, x in rows)
    line = f"+{'-' * (w + 2)}+{'-' * (v + 2)}+"
    print(f"\nfeature ceiling (bench/feature-ceiling.py)\n{line}")
    for k, x in rows:
        print(f"| {k.ljust(w)} | {x.ljust(v)} |")
    print(line)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/sets")  # [folder] [drop,list]
