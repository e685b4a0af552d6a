#!/usr/bin/env python3
"""Keras 3 on TensorFlow (CPU) on recs-bench's workloads; prints recs-bench's JSON schema.

    Benchmarks/peers/.venv/bin/python Benchmarks/peers/keras_bench.py --json keras.json

Seed MLP Dense(128, relu) → Dense(64, relu) → Dense(1, sigmoid) on 64 features, Adam
(defaults), binary cross-entropy, accuracy metric; `model.fit(x, y, batch_size=b,
epochs=1, shuffle=True)` samples/s at each batch size and thread count (TensorFlow's
intra- and inter-op pools set to that count, process pinned to that many CPUs);
`model.predict(x, batch_size=1024)` samples/s; eager `tf.matmul` GFLOP/s on one thread
(small shapes are dominated by the per-op dispatch cost of eager TensorFlow).

NeuMF (He et al. 2017; GMF 8 + MLP [64, 32, 16, 8], ReLU, Dense(1, sigmoid) over both
branches, as recs-bench's NeuralBench and the authors' Keras code): functional Model with
two int inputs, Embedding (N(0, 0.01²)) + Flatten, Multiply, Concatenate; Adam(1e-3),
binary cross-entropy; `model.fit([users, items], labels, batch_size=256, epochs=1,
shuffle=True)` samples/s over the pre-sampled samples (common.neumf_data, the same as
recs-bench; case neumf: 943 × 1,682, 495,285 samples; case neumf1m: 6,040 × 3,706,
1,000,000 samples) at each thread count; `model.predict` of 100,000 pairs at batch 1024.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def worker(args, threads):
    common.pin(threads)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, {threads} threads", file=sys.stderr)
    results = []

    if "gemm" in args.cases and threads == 1:
        for (m, n, k) in args.gemm_shapes:
            for ta, tb, tname in common.GEMM_CASES:
                a_np, b_np, ref = common.gemm_operands(m, n, k, ta, tb)
                a, b = tf.constant(a_np), tf.constant(b_np)
                c = tf.matmul(a, b, transpose_a=ta, transpose_b=tb)
                err = common.normwise_error(c.numpy(), ref)
                assert err <= common.GEMM_TOLERANCE, f"tf.matmul {m}×{n}×{k} {tname}: error {err}"
                flops = 2.0 * m * n * k
                body = lambda: tf.matmul(a, b, transpose_a=ta, transpose_b=tb)  # noqa: E731
                rates = (common.measure(args.repeats, flops / 1e9, body) if flops >= 1e8
                         else common.measure_calibrated(args.repeats, flops / 1e9, body))
                results.append(common.result("gemm", "tensorflow", f"{m}×{n}×{k} {tname}", "GFLOP/s", rates))

    if "seed" in args.cases:
        import numpy as np
        x, y = common.seed_data()
        n = x.shape[0]

        def make_model():
            keras.utils.set_random_seed(1)
            model = keras.Sequential([
                keras.Input(shape=(64,)),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ])
            model.compile(optimizer=keras.optimizers.Adam(), loss="binary_crossentropy", metrics=["accuracy"])
            return model

        def accuracy(model):
            p = model.predict(x, batch_size=1024, verbose=0)
            return float(np.mean((p > 0.5) == (y > 0.5)))

        if threads in args.threads:
            for batch in args.batch_sizes:
                model = make_model()
                fit = lambda: model.fit(x, y, batch_size=batch, epochs=1, shuffle=True, verbose=0)  # noqa: E731
                # Check before timing: one epoch must learn the problem (also the warm-up).
                fit()
                acc = accuracy(model)
                assert acc > 0.9, f"keras seed model did not learn (accuracy {acc}) at batch {batch}"
                rates = common.measure(args.repeats, float(n), fit)
                results += common.with_flops(
                    common.result("seed-fit", "keras", f"batch {batch}", "samples/s", rates, threads),
                    common.FLOPS_PER_SAMPLE)
        if threads == 1:
            model = make_model()
            model.fit(x, y, batch_size=256, epochs=1, verbose=0)
            acc = accuracy(model)
            assert acc > 0.9, f"keras predict disagrees with the labels ({acc})"
            rates = common.measure(args.repeats, float(n),
                                   lambda: model.predict(x, batch_size=1024, verbose=0))
            results += common.with_flops(
                common.result("seed-predict", "keras", "batch 1024", "samples/s", rates),
                common.PREDICT_FLOPS_PER_SAMPLE)
    for shape in common.NEUMF_SHAPES:
        if shape.name in args.cases:
            results += neumf(args, threads, keras, shape)
    import json
    print(json.dumps(results))


def neumf(args, threads, keras, shape):
    import numpy as np
    from keras import layers
    users, items, labels, pu, pi, checksum = common.neumf_data(shape)
    print(f"{shape.name} data: {len(labels)} samples, {shape.users} users × {shape.items} items, "
          f"checksum {checksum}", file=sys.stderr)
    users, items = users.astype(np.int32).reshape(-1, 1), items.astype(np.int32).reshape(-1, 1)
    pu, pi = pu.astype(np.int32).reshape(-1, 1), pi.astype(np.int32).reshape(-1, 1)
    y = labels.reshape(-1, 1)
    n = len(labels)

    keras.utils.set_random_seed(42)
    user = keras.Input(shape=(1,), dtype="int32", name="user")
    item = keras.Input(shape=(1,), dtype="int32", name="item")

    def embed(count, width, ids):
        e = layers.Embedding(count, width, embeddings_initializer=keras.initializers.RandomNormal(stddev=0.01))
        return layers.Flatten()(e(ids))

    gmf = layers.Multiply()([embed(shape.users, common.NEUMF_GMF, user),
                             embed(shape.items, common.NEUMF_GMF, item)])
    half = common.NEUMF_MLP[0] // 2
    x = layers.Concatenate()([embed(shape.users, half, user), embed(shape.items, half, item)])
    for width in common.NEUMF_MLP[1:]:
        x = layers.Dense(width, activation="relu")(x)
    out = layers.Dense(1, activation="sigmoid")(layers.Concatenate()([gmf, x]))
    model = keras.Model(inputs=[user, item], outputs=out, name="neumf")
    assert model.count_params() == shape.parameters, \
        f"keras NeuMF has {model.count_params()} parameters, expected {shape.parameters}"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy")

    def fit():
        h = model.fit([users, items], y, batch_size=common.NEUMF_BATCH, epochs=1, shuffle=True, verbose=0)
        return h.history["loss"][-1]

    def predict(u, i):
        return model.predict([u, i], batch_size=common.NEUMF_PREDICT_BATCH, verbose=0)

    results = []
    if threads in args.threads:
        # Check before timing (also the warm-up epoch).
        loss = fit()
        print(f"keras {shape.name}: loss after the warm-up epoch {loss:.4f}", file=sys.stderr)
        assert loss < common.NEUMF_MAX_LOSS, f"keras NeuMF did not learn in one epoch (loss {loss})"
        rates = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            fit()
            rates.append(n / (time.perf_counter() - t))
        results.append(common.result("neumf-fit", "keras", shape.fit_shape, "samples/s",
                                     sorted(rates), threads))
    if threads == 1:
        if threads not in args.threads:
            fit()
        common.neumf_check_ranking(predict(users, items), labels, "keras", shape.name)
        p = predict(pu, pi)
        assert p.shape == (common.NEUMF_PREDICT_PAIRS, 1) and bool(((p > 0) & (p < 1)).all())
        rates = common.measure(args.repeats, float(common.NEUMF_PREDICT_PAIRS), lambda: predict(pu, pi))
        results.append(common.result("neumf-predict", "keras", shape.predict_shape, "samples/s", rates))
    return results


if __name__ == "__main__":
    args = common.parse_args("Keras (TensorFlow CPU) peer of recs-bench")
    if args.worker_threads is not None:
        worker(args, args.worker_threads)
    else:
        common.drive(args, os.path.abspath(__file__))
