#!/usr/bin/env python3
"""PyTorch (CPU) on recs-bench's workloads; prints recs-bench's JSON schema.

    Benchmarks/peers/.venv/bin/python Benchmarks/peers/torch_bench.py --json torch.json

Seed MLP Dense(128, relu) → Dense(64, relu) → Dense(1, sigmoid) on 64 features, Adam
(Keras' defaults: lr 1e-3, eps 1e-7), binary cross-entropy on logits (as DeepCore fuses
sigmoid + BCE), accuracy counted per batch; a plain training loop over shuffled batches
gathered by index (as DeepCore). fit samples/s per epoch of 32,768 samples at each batch
size and thread count; predict samples/s at batch 1024 (inference_mode); torch.matmul
GFLOP/s (one thread, into a preallocated output).

NeuMF (He et al. 2017; GMF 8 + MLP [64, 32, 16, 8], ReLU, one output unit over both
branches, as recs-bench's NeuralBench): nn.Embedding with dense gradients (N(0, 0.01²)),
xavier-uniform Linear layers, BCEWithLogitsLoss, Adam(lr=1e-3, eps=1e-7), eager; the epoch
of pre-sampled samples (common.neumf_data, the same samples as recs-bench; case neumf:
943 × 1,682, 495,285 samples; case neumf1m: 6,040 × 3,706, 1,000,000 samples) in
shuffled batches of 256 gathered by index, samples/s per epoch at each thread count;
scoring 100,000 pairs in batches of 1024 (inference_mode, sigmoid) on one thread.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def worker(args, threads):
    common.pin(threads)
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)
    results = []

    if "gemm" in args.cases and threads == 1:
        for (m, n, k) in args.gemm_shapes:
            for ta, tb, tname in common.GEMM_CASES:
                a, b, ref = common.gemm_operands(m, n, k, ta, tb)
                ta_, tb_ = torch.from_numpy(a), torch.from_numpy(b)
                opa, opb = (ta_.t() if ta else ta_), (tb_.t() if tb else tb_)
                c = torch.empty(m, n)
                torch.matmul(opa, opb, out=c)
                err = common.normwise_error(c.numpy(), ref)
                assert err <= common.GEMM_TOLERANCE, f"torch.matmul {m}×{n}×{k} {tname}: error {err}"
                flops = 2.0 * m * n * k
                body = lambda: torch.matmul(opa, opb, out=c)  # noqa: E731
                rates = (common.measure(args.repeats, flops / 1e9, body) if flops >= 1e8
                         else common.measure_calibrated(args.repeats, flops / 1e9, body))
                results.append(common.result("gemm", "torch", f"{m}×{n}×{k} {tname}", "GFLOP/s", rates))

    if "seed" in args.cases:
        import numpy as np
        x_np, y_np = common.seed_data()
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
        n = x.shape[0]

        def make_model():
            torch.manual_seed(1)
            return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                       torch.nn.Linear(128, 64), torch.nn.ReLU(),
                                       torch.nn.Linear(64, 1))

        def make_epoch(model, batch):
            opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
            loss_fn = torch.nn.BCEWithLogitsLoss()

            def epoch():
                model.train()
                perm = torch.randperm(n)
                correct = torch.zeros((), dtype=torch.int64)
                for i in range(0, n, batch):
                    idx = perm[i:i + batch]
                    xb, yb = x[idx], y[idx]
                    logits = model(xb)
                    loss = loss_fn(logits, yb)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    with torch.no_grad():
                        correct += ((logits > 0) == (yb > 0.5)).sum()
                return int(correct) / n
            return epoch

        def predict(model):
            model.eval()
            out = torch.empty(n, 1)
            with torch.inference_mode():
                for i in range(0, n, 1024):
                    out[i:i + 1024] = torch.sigmoid(model(x[i:i + 1024]))
            return out

        if threads in args.threads:
            for batch in args.batch_sizes:
                model = make_model()
                epoch = make_epoch(model, batch)
                # Check before timing: one epoch must learn the problem.
                epoch()
                acc = float(((predict(model) > 0.5) == (y > 0.5)).float().mean())
                assert acc > 0.9, f"torch seed model did not learn (accuracy {acc}) at batch {batch}"
                rates = common.measure(args.repeats, float(n), epoch)
                results += common.with_flops(
                    common.result("seed-fit", "torch", f"batch {batch}", "samples/s", rates, threads),
                    common.FLOPS_PER_SAMPLE)
        if threads == 1:
            model = make_model()
            make_epoch(model, 256)()
            acc = float(((predict(model) > 0.5) == (y > 0.5)).float().mean())
            assert acc > 0.9, f"torch predict disagrees with the labels ({acc})"
            rates = common.measure(args.repeats, float(n), lambda: predict(model))
            results += common.with_flops(
                common.result("seed-predict", "torch", "batch 1024", "samples/s", rates),
                common.PREDICT_FLOPS_PER_SAMPLE)
    for shape in common.NEUMF_SHAPES:
        if shape.name in args.cases:
            results += neumf(args, threads, torch, shape)
    import json
    print(json.dumps(results))


def neumf(args, threads, torch, shape):
    nn = torch.nn
    users_np, items_np, labels_np, pu_np, pi_np, checksum = common.neumf_data(shape)
    print(f"{shape.name} data: {len(labels_np)} samples, {shape.users} users × {shape.items} items, "
          f"checksum {checksum}", file=sys.stderr)
    users, items = torch.from_numpy(users_np), torch.from_numpy(items_np)
    labels = torch.from_numpy(labels_np)
    pu, pi = torch.from_numpy(pu_np), torch.from_numpy(pi_np)
    n = len(labels_np)

    class NeuMF(nn.Module):
        def __init__(self):
            super().__init__()
            half = common.NEUMF_MLP[0] // 2
            self.user_gmf = nn.Embedding(shape.users, common.NEUMF_GMF)
            self.item_gmf = nn.Embedding(shape.items, common.NEUMF_GMF)
            self.user_mlp = nn.Embedding(shape.users, half)
            self.item_mlp = nn.Embedding(shape.items, half)
            layers = []
            for a, b in zip(common.NEUMF_MLP, common.NEUMF_MLP[1:]):
                layers += [nn.Linear(a, b), nn.ReLU()]
            self.mlp = nn.Sequential(*layers)
            self.out = nn.Linear(common.NEUMF_GMF + common.NEUMF_MLP[-1], 1)
            for e in (self.user_gmf, self.item_gmf, self.user_mlp, self.item_mlp):
                nn.init.normal_(e.weight, std=0.01)
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)
                    nn.init.zeros_(m.bias)

        def forward(self, u, i):
            gmf = self.user_gmf(u) * self.item_gmf(i)
            mlp = self.mlp(torch.cat([self.user_mlp(u), self.item_mlp(i)], dim=1))
            return self.out(torch.cat([gmf, mlp], dim=1)).squeeze(1)  # logits

    torch.manual_seed(42)
    model = NeuMF()
    count = sum(p.numel() for p in model.parameters())
    assert count == shape.parameters, f"torch NeuMF has {count} parameters, expected {shape.parameters}"
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.BCEWithLogitsLoss()
    batch = common.NEUMF_BATCH

    def epoch():
        model.train()
        perm = torch.randperm(n)
        total = torch.zeros((), dtype=torch.float64)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            loss = loss_fn(model(users[idx], items[idx]), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                total += loss.detach() * len(idx)
        return float(total) / n

    def predict(u, i):
        model.eval()
        out = torch.empty(len(u))
        with torch.inference_mode():
            for s in range(0, len(u), common.NEUMF_PREDICT_BATCH):
                e = s + common.NEUMF_PREDICT_BATCH
                out[s:e] = torch.sigmoid(model(u[s:e], i[s:e]))
        return out

    results = []
    if threads in args.threads:
        # Check before timing (also the warm-up epoch).
        loss = epoch()
        print(f"torch {shape.name}: loss after the warm-up epoch {loss:.4f}", file=sys.stderr)
        assert loss < common.NEUMF_MAX_LOSS, f"torch NeuMF did not learn in one epoch (loss {loss})"
        rates = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            epoch()
            rates.append(n / (time.perf_counter() - t))
        results.append(common.result("neumf-fit", "torch", shape.fit_shape, "samples/s",
                                     sorted(rates), threads))
    if threads == 1:
        if threads not in args.threads:
            epoch()
        common.neumf_check_ranking(predict(users, items).numpy(), labels_np, "torch", shape.name)
        p = predict(pu, pi)
        assert p.shape == (common.NEUMF_PREDICT_PAIRS,) and bool(((p > 0) & (p < 1)).all())
        rates = common.measure(args.repeats, float(common.NEUMF_PREDICT_PAIRS), lambda: predict(pu, pi))
        results.append(common.result("neumf-predict", "torch", shape.predict_shape, "samples/s", rates))
    return results


if __name__ == "__main__":
    args = common.parse_args("PyTorch peer of recs-bench")
    if args.worker_threads is not None:
        worker(args, args.worker_threads)
    else:
        common.drive(args, os.path.abspath(__file__))
