/// How repeated (user, item) pairs combine when a matrix is built.
public enum DuplicatePolicy: Sendable {
    /// Add the weights (play counts, hours).
    case sum
    /// Keep the largest weight.
    case max
    /// Keep the last weight given (a re-rating replaces the old rating).
    case last
}

/// A sparse `users × items` matrix of non-negative weights in compressed rows (CSR):
/// user `u`'s items are `items[rowStart[u]..<rowStart[u+1]]`, ascending, without
/// duplicates. Models sweep it, samplers draw against it, evaluation masks with it.
public struct InteractionMatrix: Sendable, Equatable {
    /// Number of rows (users).
    public let userCount: Int
    /// Number of columns (items).
    public let itemCount: Int
    /// Row offsets, `userCount + 1` entries.
    public let rowStart: [Int]
    /// Column indices, ascending within each row.
    public let items: [Int32]
    /// Weights aligned with `items`.
    public let weights: [Float]

    /// Number of stored interactions.
    public var count: Int { items.count }

    /// Builds from triples of dense indices; duplicates combine by `duplicates`.
    /// - Throws: ``RecommenderError/invalidWeight(context:value:)`` for NaN, infinite or
    ///   negative weights; ``RecommenderError/invalidArgument(_:)`` for an index out of range.
    public init(userCount: Int, itemCount: Int, users: [Int32], items: [Int32], weights: [Float],
                duplicates: DuplicatePolicy = .sum) throws {
        precondition(users.count == items.count && items.count == weights.count)
        for (i, w) in weights.enumerated() where !w.isFinite || w < 0 {
            throw RecommenderError.invalidWeight(context: "interaction \(i) (user index \(users[i]), item index \(items[i]))", value: Double(w))
        }
        var counts = [Int](repeating: 0, count: userCount + 1)
        for (i, u) in users.enumerated() {
            guard u >= 0, Int(u) < userCount, items[i] >= 0, Int(items[i]) < itemCount else {
                throw RecommenderError.invalidArgument("interaction \(i): (\(u), \(items[i])) outside \(userCount) × \(itemCount)")
            }
            counts[Int(u) + 1] += 1
        }
        for u in 0..<userCount { counts[u + 1] += counts[u] }
        // Stable counting sort by user keeps input order within a user, so `.last` works.
        var order = [Int](repeating: 0, count: users.count)
        var next = counts
        for (i, u) in users.enumerated() { order[next[Int(u)]] = i; next[Int(u)] += 1 }
        var rowStart = [0]
        var outItems: [Int32] = [], outWeights: [Float] = []
        outItems.reserveCapacity(users.count)
        outWeights.reserveCapacity(users.count)
        for u in 0..<userCount {
            let slice = order[counts[u]..<counts[u + 1]]
            // Sort the row by item, keeping input order among equal items.
            let sorted = slice.enumerated().sorted { a, b in
                items[a.element] != items[b.element] ? items[a.element] < items[b.element] : a.offset < b.offset
            }.map(\.element)
            var last: Int32 = -1
            for i in sorted {
                if items[i] == last {
                    let j = outWeights.count - 1
                    switch duplicates {
                    case .sum:
                        outWeights[j] += weights[i]
                        guard outWeights[j].isFinite else {
                            throw RecommenderError.invalidWeight(
                                context: "repeated interactions of user index \(u), item index \(items[i]) sum past Float's range", value: .infinity)
                        }
                    case .max: outWeights[j] = Swift.max(outWeights[j], weights[i])
                    case .last: outWeights[j] = weights[i]
                    }
                } else {
                    outItems.append(items[i])
                    outWeights.append(weights[i])
                    last = items[i]
                }
            }
            rowStart.append(outItems.count)
        }
        self.init(userCount: userCount, itemCount: itemCount, rowStart: rowStart, items: outItems, weights: outWeights)
    }

    /// Wraps already-valid CSR arrays.
    init(userCount: Int, itemCount: Int, rowStart: [Int], items: [Int32], weights: [Float]) {
        self.userCount = userCount
        self.itemCount = itemCount
        self.rowStart = rowStart
        self.items = items
        self.weights = weights
    }

    /// User `u`'s item indices.
    public func items(ofUser u: Int) -> ArraySlice<Int32> { items[rowStart[u]..<rowStart[u + 1]] }
    /// User `u`'s weights, aligned with `items(ofUser:)`.
    public func weights(ofUser u: Int) -> ArraySlice<Float> { weights[rowStart[u]..<rowStart[u + 1]] }

    /// Whether user `u` has item `i` (binary search).
    public func contains(user u: Int, item i: Int32) -> Bool {
        var lo = rowStart[u], hi = rowStart[u + 1]
        while lo < hi {
            let mid = (lo + hi) / 2
            if items[mid] == i { return true }
            if items[mid] < i { lo = mid + 1 } else { hi = mid }
        }
        return false
    }

    /// The same interactions by item (CSC as CSR of the transpose): `items × users`.
    public func transposed() -> InteractionMatrix {
        var counts = [Int](repeating: 0, count: itemCount + 1)
        for i in items { counts[Int(i) + 1] += 1 }
        for i in 0..<itemCount { counts[i + 1] += counts[i] }
        var next = counts
        var users = [Int32](repeating: 0, count: items.count)
        var w = [Float](repeating: 0, count: items.count)
        for u in 0..<userCount {
            for p in rowStart[u]..<rowStart[u + 1] {
                let i = Int(items[p])
                users[next[i]] = Int32(u)
                w[next[i]] = weights[p]
                next[i] += 1
            }
        }
        return InteractionMatrix(userCount: itemCount, itemCount: userCount, rowStart: counts, items: users, weights: w)
    }

    /// The matrix with every weight replaced by `transform(weight)`.
    public func mapWeights(_ transform: (Float) -> Float) -> InteractionMatrix {
        InteractionMatrix(userCount: userCount, itemCount: itemCount, rowStart: rowStart, items: items,
                          weights: weights.map(transform))
    }

    /// Interactions per item.
    public func itemCounts() -> [Int] {
        var c = [Int](repeating: 0, count: itemCount)
        for i in items { c[Int(i)] += 1 }
        return c
    }
}
