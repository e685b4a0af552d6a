import DeepCore

/// Side features of items (genres, tags, title words) as a vocabulary and, per dense item
/// index, the feature indices it has: what feature-aware models (``TwoTower``,
/// ``MLPReranker``) read, and what lets them score items nobody has interacted with yet.
///
/// ```swift
/// let features = ItemFeatures(itemCount: data.itemCount) { data.items[$0].genres }
/// let titles = ItemFeatures.titleWords(of: data.items.map(\.name))
/// ```
public struct ItemFeatures: Sendable, Equatable {
    /// Feature names; an item's features index into it.
    public let vocabulary: [String]
    public let itemCount: Int
    /// CSR rows: item `i`'s features are `features[rowStart[i]..<rowStart[i + 1]]`.
    public let rowStart: [Int]
    public let features: [Int32]

    /// Features from `tokens(item)` for items `0..<itemCount`. Keeps the `maximumVocabulary`
    /// most frequent tokens seen on at least `minimumCount` items (ties by name, so the
    /// result is deterministic); rarer tokens are dropped.
    public init(itemCount: Int, maximumVocabulary: Int = 512, minimumCount: Int = 2,
                tokens: (Int) -> [String]) {
        var perItem: [[String]] = []
        var counts: [String: Int] = [:]
        for i in 0..<itemCount {
            let t = Array(Set(tokens(i)))
            perItem.append(t)
            for token in t { counts[token, default: 0] += 1 }
        }
        let kept = counts.filter { $0.value >= minimumCount }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(max(0, maximumVocabulary)).map(\.key)
        let index = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, Int32($0)) })
        var start = [0], all: [Int32] = []
        for t in perItem {
            all.append(contentsOf: t.compactMap { index[$0] }.sorted())
            start.append(all.count)
        }
        self.init(vocabulary: kept, itemCount: itemCount, rowStart: start, features: all)
    }

    /// Features given directly (validated by the caller).
    init(vocabulary: [String], itemCount: Int, rowStart: [Int], features: [Int32]) {
        self.vocabulary = vocabulary
        self.itemCount = itemCount
        self.rowStart = rowStart
        self.features = features
    }

    /// Lower-cased words of each title (letters and digits), e.g. game titles.
    public static func titleWords(of titles: [String], maximumVocabulary: Int = 512) -> ItemFeatures {
        ItemFeatures(itemCount: titles.count, maximumVocabulary: maximumVocabulary) { i in
            titles[i].lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { $0.count > 1 }
        }
    }

    /// Number of features.
    public var width: Int { vocabulary.count }

    /// The feature indices of item `i`.
    public func features(ofItem i: Int) -> ArraySlice<Int32> { features[rowStart[i]..<rowStart[i + 1]] }

    /// Writes item `i`'s features as a vector of `width` values, each present feature
    /// 1/√n (n features), so items with many tags do not dominate.
    public func writeVector(ofItem i: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: width)
        let f = features(ofItem: i)
        guard !f.isEmpty else { return }
        let v = 1 / Float(f.count).squareRoot()
        for j in f { out[Int(j)] = v }
    }

    /// All items' vectors, `itemCount × width`.
    public func matrix() -> Tensor {
        var t = Tensor(zeros: [itemCount, max(width, 1)])
        if width > 0 {
            t.withUnsafeMutableBufferPointer { p in for i in 0..<itemCount { writeVector(ofItem: i, into: p.baseAddress! + i * width) } }
        }
        return t
    }
}
