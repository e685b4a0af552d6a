#!/usr/bin/env python3
"""Side-by-side table of recs-bench and its peers, with ratios ours / peer.

    python3 Benchmarks/peers/compare.py ours.json keras.json torch.json [--markdown]

The first file is recs-bench's --json output; the others are peers (same schema). Rows are
matched on (name, shape, threads); seed rows are compared in samples/s (their GFLOP/s rows
carry the same ratio). For GEMM, "ours" is the `auto` variant (what DeepCore calls), with
our best single ISA and OpenBLAS from the same run beside it; the keras column's GEMM
rows are eager tf.matmul. NeuMF training has two rows of ours ("neumf-fit lazy" and
"neumf-fit dense", DeepCore's embedding updates), each against the peers' one row (dense
embedding gradients + Adam). The NeuMF shapes (case neumf: "batch 256 495285"; case
neumf1m: "batch 256 1000000", scoring "batch 1024 100000 6040×3706") are told apart by the
shape string. No third-party packages.
"""
import argparse
import json


def load(path):
    with open(path) as f:
        return json.load(f)


def fmt(x):
    if x is None:
        return "—"
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ours")
    p.add_argument("peers", nargs="+")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = p.parse_args()

    ours = load(args.ours)
    peers = []  # (label, {key: row})
    for path in args.peers:
        rows = load(path)
        label = rows[0]["variant"] if rows else path
        peers.append((label, {}))
        for r in rows:
            if r["name"] == "gemm" or r["unit"] == "samples/s":
                peers[-1][1][(r["name"], r["shape"], r["threads"])] = r
        # GEMM rows are named after the library (tensorflow), seed rows after the API (keras):
        # the column is named after the seed rows.
        seed = [r["variant"] for r in rows if r["name"] != "gemm"]
        peers[-1] = (seed[0] if seed else label, peers[-1][1])

    # rows: (label, key); key = (name, shape, threads) matches the peers' rows. NeuMF training
    # has two rows of ours (lazy and dense embedding updates) against one row per peer.
    rows_, mine, blas, best = [], {}, {}, {}
    for r in ours:
        key = (r["name"], r["shape"], r["threads"])
        label = r["name"]
        if r["name"] == "gemm":
            if r["variant"] == "auto":
                mine[(label, key)] = r
            elif r["variant"] == "openblas":
                blas[key] = r
            elif r["variant"] != "scalar":
                if key not in best or r["median"] > best[key]["median"]:
                    best[key] = r
        elif r["name"] in ("seed-fit", "seed-predict", "neumf-predict") and r["unit"] == "samples/s":
            mine[(label, key)] = r
        elif r["name"] == "neumf-fit" and r["unit"] == "samples/s":
            label = f"neumf-fit {r['variant']}"
            mine[(label, key)] = r
        else:
            continue
        if (label, key) not in rows_:
            rows_.append((label, key))
    # Peer rows we do not have (e.g. 2-thread training) still get a line.
    for _, rows in peers:
        for key in rows:
            if all(k != key for _, k in rows_):
                rows_.append((key[0], key))

    header = ["case", "shape", "thr", "unit", "ours", "ours best ISA", "openblas"]
    header += [label for label, _ in peers] + [f"ours/{label}" for label, _ in peers]
    header += ["ours/openblas"]
    lines = []
    for label, key in rows_:
        name, shape, threads = key
        m = mine.get((label, key))
        unit = (m or next((rows[key] for _, rows in peers if key in rows), {})).get("unit", "")
        b = blas.get(key)
        bi = best.get(key)
        row = [label, shape, str(threads), unit, fmt(m["median"]) if m else "—",
               f"{fmt(bi['median'])} ({bi['variant']})" if bi else "", fmt(b["median"]) if b else ""]
        ratios = []
        for _, rows in peers:
            pr = rows.get(key)
            row.append(fmt(pr["median"]) if pr else "—")
            ratios.append(f"{m['median'] / pr['median']:.2f}×" if (m and pr) else "—")
        row += ratios
        row.append(f"{m['median'] / b['median']:.2f}×" if (m and b) else "")
        lines.append(row)

    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" if i < 4 else "--:" for i in range(len(header))) + "|")
        for row in lines:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(h), *(len(r[i]) for r in lines)) for i, h in enumerate(header)]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
        for row in lines:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    print("\nours = recs-bench `auto` kernels (GEMM) / DeepCore (seed, neumf); medians; "
          "ratio > 1 means ours is faster; — = not measured.")


if __name__ == "__main__":
    main()
