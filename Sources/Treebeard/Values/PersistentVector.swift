// Immutable vectors with cheap updates: a 32-way trie plus a shared, append-only tail buffer.

/// A trie node: branches hold child nodes, leaves hold up to 32 values.
final class VectorNode: @unchecked Sendable {
  @exclusivity(unchecked) var children: [VectorNode]
  @exclusivity(unchecked) var values: [Value]

  init(children: [VectorNode] = [], values: [Value] = []) {
    self.children = children
    self.values = values
  }

  deinit { Reclaimer.release(&values, empty: []) }
}

/// The tail's storage. Vectors that share it each see only their own prefix (`tailCount`), so
/// `conj` onto the newest vector appends in place (amortised O(1)) and older vectors are unaffected.
/// Mutation happens only under the evaluator lock (DESIGN.md §9).
final class TailBuffer: @unchecked Sendable {
  @exclusivity(unchecked) var items: [Value]
  init(_ items: [Value]) {
    self.items = items
    self.items.reserveCapacity(32)
  }

  /// A tail holding only `first`, with room for 32: one array allocation, not a literal's
  /// one-element array and then its regrowth.
  init(first: Value) {
    var items: [Value] = []
    items.reserveCapacity(32)
    items.append(first)
    self.items = items
  }

  deinit { Reclaimer.release(&items, empty: []) }
}

/// Clojure's persistent vector: `conj`, `assoc` and `nth` are O(log32 n), no full copies.
/// `dropping` (`rest`, `next`, `drop`, `[x & more]`) is O(1): the result shares the trie and
/// tail and starts further in (`start`), as Clojure's `subvec` does, so walking a vector with
/// `rest` is linear, not quadratic. Such a vector keeps the dropped elements alive with it.
public final class PersistentVector: @unchecked Sendable {
  // Mutable only for `appendInPlace`, which callers use on a uniquely referenced vector.
  /// Elements in the trie and tail, including the `start` dropped ones: what the trie's
  /// shape follows.
  @exclusivity(unchecked) private var storedCount: Int
  @exclusivity(unchecked) private var shift: Int
  @exclusivity(unchecked) private var root: VectorNode
  @exclusivity(unchecked) private var tail: TailBuffer
  @exclusivity(unchecked) private var tailCount: Int
  /// Stored elements before this vector's first (dropped by `dropping`); 0 for most vectors.
  /// Appending compacts a vector whose dropped elements outnumber its own (and a leaf's
  /// worth), so a sliding window (`(conj (rest q) x)` in a loop) keeps only what it holds.
  @exclusivity(unchecked) private var start: Int

  /// The number of elements.
  public var count: Int { storedCount &- start }

  /// Elements kept in storage, dropped ones included (for tests of compaction).
  var keptCount: Int { storedCount }

  private static let emptyRoot = VectorNode()
  public static let empty = PersistentVector(count: 0, shift: 5, root: emptyRoot, tail: TailBuffer([]), tailCount: 0)

  private init(count: Int, shift: Int, root: VectorNode, tail: TailBuffer, tailCount: Int, start: Int = 0) {
    self.storedCount = count
    self.shift = shift
    self.root = root
    self.tail = tail
    self.tailCount = tailCount
    self.start = start
  }

  /// This vector without its first `n` elements, sharing all of its storage: O(1).
  public func dropping(_ n: Int) -> PersistentVector {
    if n <= 0 { return self }
    if n >= count { return PersistentVector.empty }
    return PersistentVector(
      count: storedCount, shift: shift, root: root, tail: tail, tailCount: tailCount, start: start + n)
  }

  /// A large vector of plain data is freed on the background thread (see `BackgroundRelease`):
  /// dropping a million strings would otherwise stall the evaluator on a million cache misses.
  /// Only the nodes no other vector shares are looked at, and counted: a vector made by `conj`
  /// or `assoc` from another shares nearly all of it, and scanning all of it at every such
  /// drop made building a vector step by step quadratic (found by the fuzzer: `reduce conj`).
  deinit {
    guard freesEnoughPlainDataToHandOff else { return }
    var parts: (VectorNode, TailBuffer)? = (root, tail)
    root = PersistentVector.emptyRoot
    tail = PersistentVector.emptyTail
    // Refused (too many in flight): `parts` is freed here, at the end of this scope.
    _ = BackgroundRelease.hand(&parts, replacingWith: nil)
  }

  /// True when dropping this vector now would free at least `BackgroundRelease.threshold`
  /// elements, all plain data, and its tail holds only plain data. Called from `deinit` (and by
  /// tests on a live vector: it changes nothing they can see).
  var freesEnoughPlainDataToHandOff: Bool {
    guard count >= BackgroundRelease.threshold, isKnownUniquelyReferenced(&root), tail.items.allSatisfy(\.isPlainData),
      let freed = PersistentVector.plainElementsFreed(with: root, level: shift)
    else { return false }
    return freed >= BackgroundRelease.threshold
  }

  /// The elements freeing `node` would free with it (those in nodes only it holds), or nil when
  /// one of them is not plain data. `node` is about to be freed and no one else holds it, so its
  /// children array may be made unique here to ask each child whether it is shared.
  private static func plainElementsFreed(with node: VectorNode, level: Int) -> Int? {
    if level == 0 { return node.values.allSatisfy(\.isPlainData) ? node.values.count : nil }
    var total: Int? = 0
    node.children.withUnsafeMutableBufferPointer { children in
      for index in children.indices where isKnownUniquelyReferenced(&children[index]) {
        guard let sum = total, let freed = plainElementsFreed(with: children[index], level: level - 5) else {
          total = nil
          return
        }
        total = sum + freed
      }
    }
    return total
  }

  /// Stands in for a dying vector's tail once its own has been handed off; never appended to.
  private static let emptyTail = TailBuffer([])

  /// True when every element is plain data (`Value.isPlainData`), read in place.
  var holdsOnlyPlainData: Bool {
    var plain = true
    forEachChunk { chunk in
      guard plain else { return }
      for index in chunk.indices where !chunk[index].isPlainData {
        plain = false
        return
      }
    }
    return plain
  }

  public static func from<S: Sequence>(_ items: S) -> PersistentVector where S.Element == Value {
    build(Array(items))
  }

  /// Builds a vector in O(n) without intermediate vectors: full leaves of 32, then the trie
  /// bottom-up, the remainder (1–32 elements) as the tail.
  public static func build(_ items: [Value]) -> PersistentVector {
    var builder = VectorBuilder()
    builder.reserve(items.count)
    for item in items { builder.append(item) }
    return builder.finish()
  }

  /// The vector of `leaves` (each exactly 32 values) followed by `tail` (1–32 values; empty
  /// only when there are no leaves).
  static func assemble(leaves: [VectorNode], tail: [Value]) -> PersistentVector {
    let trieCount = leaves.count << 5
    let count = trieCount + tail.count
    if count == 0 { return PersistentVector(count: 0, shift: 5, root: emptyRoot, tail: TailBuffer([]), tailCount: 0) }
    let tailCount = tail.count
    let tailBuffer = TailBuffer(tail)
    if trieCount == 0 {
      return PersistentVector(count: count, shift: 5, root: emptyRoot, tail: tailBuffer, tailCount: tailCount)
    }
    var level = leaves
    var shift = 5
    // A root of one level holds up to 32 leaves; each level above multiplies by 32.
    while level.count > 32 {
      var parents: [VectorNode] = []
      parents.reserveCapacity((level.count + 31) / 32)
      var index = 0
      while index < level.count {
        parents.append(VectorNode(children: Array(level[index..<min(index + 32, level.count)])))
        index += 32
      }
      level = parents
      shift += 5
    }
    return PersistentVector(
      count: count, shift: shift, root: VectorNode(children: level), tail: tailBuffer, tailCount: tailCount)
  }

  /// The stored index of the tail's first element.
  private var tailOffset: Int { storedCount - tailCount }

  /// The element at `index`, or nil when out of range.
  @inline(__always) public func at(_ index: Int) -> Value? {
    guard index >= 0 && index < count else { return nil }
    let index = index &+ start
    let offset = tailOffset
    if index >= offset { return tail.items[index - offset] }
    var node = root
    var level = shift
    while level > 0 {
      node = node.children[(index >> level) & 31]
      level -= 5
    }
    return node.values[index & 31]
  }

  /// `conj` on a vector nobody else references (see `Collections.conj(into:)`): no new object.
  /// `value` is consumed: the caller's copy moves into the tail, no retain and release of it.
  /// Inlined, so the common case (room in a tail this vector alone extends) is a few loads and
  /// stores in the caller; the rest is out of line in `appendGrowing`.
  @inline(__always) func appendInPlace(_ value: consuming Value) {
    // Held in an optional so the closure below can move it out (a closure only borrows what it
    // captures, and appending a borrowed value copies it).
    var pending: Value? = consume value
    // Read before the closure, which then captures no `self` (a capture cost a retain and a
    // release of the vector per `conj`).
    let tailCount = self.tailCount
    if tailCount < 32 && storedCount > 0 {
      // The tail is read through an unretained reference: this vector holds it throughout.
      let appended = Unmanaged.passUnretained(tail)._withUnsafeGuaranteedRef { buffer -> Bool in
        guard buffer.items.count == tailCount, let item = pending.take() else { return false }
        buffer.items.append(item)
        return true
      }
      if appended {
        storedCount += 1
        self.tailCount = tailCount + 1
        return
      }
    }
    guard let value = pending.take() else { return }
    appendGrowing(value)
  }

  /// True when more dropped elements than live ones (and at least a leaf's worth) are kept.
  private var holdsMostlyDropped: Bool { start >= 32 && start >= count }

  /// A vector of the same elements with nothing dropped kept.
  private func compacted() -> PersistentVector { PersistentVector.build(elements) }

  /// `appendInPlace` when the tail is full, shared or the vector is empty.
  @inline(never) private func appendGrowing(_ value: consuming Value) {
    if holdsMostlyDropped {
      let fresh = compacted()
      (storedCount, shift, root, tail, tailCount, start) =
        (fresh.storedCount, fresh.shift, fresh.root, fresh.tail, fresh.tailCount, 0)
      appendInPlace(value)
      return
    }
    if tailCount == 32 && tail.items.count == 32 && isKnownUniquelyReferenced(&tail) {
      // The full tail becomes a leaf without copying its elements.
      let leaf = VectorNode(values: tail.items)
      if (storedCount >> 5) <= (1 << shift) && isKnownUniquelyReferenced(&root) {
        pushTailInPlace(level: shift, node: root, leaf: leaf)
      } else {
        (root, shift) = rootAdding(leaf: leaf)
      }
      tail = TailBuffer(first: value)
      tailCount = 1
      storedCount += 1
      return
    }
    let grown = conj(value)
    storedCount = grown.storedCount
    shift = grown.shift
    root = grown.root
    tail = grown.tail
    tailCount = grown.tailCount
  }

  public func conj(_ value: Value) -> PersistentVector {
    // Checked when the tail is full: a vector keeps at most a leaf more than it would.
    if tailCount == 32 && holdsMostlyDropped { return compacted().conj(value) }
    if tailCount < 32 {
      // The empty vector is shared by every interpreter: never append into its buffer.
      if tail.items.count == tailCount && storedCount > 0 {
        tail.items.append(value)
        return PersistentVector(
          count: storedCount + 1, shift: shift, root: root, tail: tail, tailCount: tailCount + 1, start: start)
      }
      // Room for 32 from the start: an exact copy grew on the append and again in `TailBuffer`,
      // three array allocations for what one does (a vector literal conjes onto the empty one).
      if tailCount == 0 {
        return PersistentVector(
          count: storedCount + 1, shift: shift, root: root, tail: TailBuffer(first: value), tailCount: 1, start: start)
      }
      var copied: [Value] = []
      copied.reserveCapacity(32)
      copied.append(contentsOf: tail.items[0..<tailCount])
      copied.append(value)
      return PersistentVector(
        count: storedCount + 1, shift: shift, root: root, tail: TailBuffer(copied), tailCount: tailCount + 1,
        start: start)
    }
    let (newRoot, newShift) = rootAdding(leaf: VectorNode(values: Array(tail.items[0..<tailCount])))
    return PersistentVector(
      count: storedCount + 1, shift: newShift, root: newRoot, tail: TailBuffer(first: value), tailCount: 1, start: start
    )
  }

  /// The root (and shift) after the full tail moves into the trie as `leaf`.
  private func rootAdding(leaf: VectorNode) -> (VectorNode, Int) {
    if (storedCount >> 5) > (1 << shift) {
      return (VectorNode(children: [root, newPath(level: shift, node: leaf)]), shift + 5)
    }
    return (pushTail(level: shift, parent: root, leaf: leaf), shift)
  }

  /// `pushTail` for a vector that alone holds `node`: nodes on the path that nobody else holds
  /// are changed in place instead of copied (a loop of `conj` copied a 32-slot node per leaf).
  /// A shared node on the way is copied as `pushTail` does, so other vectors never see a change.
  private func pushTailInPlace(level: Int, node: VectorNode, leaf: VectorNode) {
    let subindex = ((storedCount - 1) >> level) & 31
    if level == 5 {
      if subindex < node.children.count { node.children[subindex] = leaf } else { node.children.append(leaf) }
      return
    }
    guard subindex < node.children.count else {
      node.children.append(newPath(level: level - 5, node: leaf))
      return
    }
    // Moved out of its slot so that the slot's reference does not count against uniqueness.
    var child = node.children[subindex]
    node.children[subindex] = PersistentVector.emptyRoot
    if isKnownUniquelyReferenced(&child) {
      pushTailInPlace(level: level - 5, node: child, leaf: leaf)
    } else {
      child = pushTail(level: level - 5, parent: child, leaf: leaf)
    }
    node.children[subindex] = child
  }

  private func newPath(level: Int, node: VectorNode) -> VectorNode {
    if level == 0 { return node }
    return VectorNode(children: [newPath(level: level - 5, node: node)])
  }

  private func pushTail(level: Int, parent: VectorNode, leaf: VectorNode) -> VectorNode {
    let subindex = ((storedCount - 1) >> level) & 31
    let copy = VectorNode(children: parent.children)
    let inserted: VectorNode
    if level == 5 {
      inserted = leaf
    } else if subindex < parent.children.count {
      inserted = pushTail(level: level - 5, parent: parent.children[subindex], leaf: leaf)
    } else {
      inserted = newPath(level: level - 5, node: leaf)
    }
    if subindex < copy.children.count {
      copy.children[subindex] = inserted
    } else {
      copy.children.append(inserted)
    }
    return copy
  }

  /// A copy with `index` replaced; `index == count` appends. Nil when out of range.
  public func assoc(_ index: Int, _ value: Value) -> PersistentVector? {
    if index == count { return conj(value) }
    guard index >= 0 && index < count else { return nil }
    let index = index &+ start
    let offset = tailOffset
    if index >= offset {
      var copied = Array(tail.items[0..<tailCount])
      copied[index - offset] = value
      return PersistentVector(
        count: storedCount, shift: shift, root: root, tail: TailBuffer(copied), tailCount: tailCount, start: start)
    }
    return PersistentVector(
      count: storedCount, shift: shift, root: assocPath(level: shift, node: root, index: index, value: value),
      tail: tail, tailCount: tailCount, start: start)
  }

  private func assocPath(level: Int, node: VectorNode, index: Int, value: Value) -> VectorNode {
    if level == 0 {
      var values = node.values
      values[index & 31] = value
      return VectorNode(values: values)
    }
    let copy = VectorNode(children: node.children)
    let subindex = (index >> level) & 31
    copy.children[subindex] = assocPath(level: level - 5, node: node.children[subindex], index: index, value: value)
    return copy
  }

  /// Calls `body` on each element in order, leaf by leaf.
  @inline(__always) public func forEachElement(_ body: (Value) throws -> Void) rethrows {
    try forEachChunk { chunk in
      for value in chunk { try body(value) }
    }
  }

  /// Calls `body` with each leaf's elements and then the tail's, in order: one call per 32
  /// elements, and the elements read in place (no copy, no retain of each).
  @inline(__always) func forEachChunk(_ body: (UnsafeBufferPointer<Value>) throws -> Void) rethrows {
    let offset = tailOffset
    // A vector made by `dropping` starts inside a leaf, or inside the tail.
    var skip = start
    var index = (start >> 5) << 5
    skip -= index
    while index < offset {
      var node = root
      var level = shift
      while level > 0 {
        node = node.children[(index >> level) & 31]
        level -= 5
      }
      let first = skip
      try node.values.withUnsafeBufferPointer { values in
        try body(UnsafeBufferPointer(rebasing: values[min(first, values.count)...]))
      }
      skip = 0
      index += 32
    }
    let count = tailCount
    let tailSkip = max(0, start - offset)
    try tail.items.withUnsafeBufferPointer { items in
      let end = min(count, items.count)
      try body(UnsafeBufferPointer(rebasing: items[min(tailSkip, end)..<end]))
    }
  }

  public var elements: [Value] {
    var result: [Value] = []
    result.reserveCapacity(count)
    forEachElement { result.append($0) }
    return result
  }
}

/// Collects values into a new vector leaf by leaf: no intermediate array of all the elements,
/// no copy of them at the end (`map`, `filter`, `range` build their results this way).
struct VectorBuilder {
  private var leaves: [VectorNode] = []
  private var current: [Value] = []

  init() { current.reserveCapacity(32) }

  /// Room for about `count` elements, when the caller knows it.
  mutating func reserve(_ count: Int) { leaves.reserveCapacity(count >> 5) }

  @inline(__always) mutating func append(_ value: Value) {
    if current.count == 32 {
      leaves.append(VectorNode(values: current))
      current = []
      current.reserveCapacity(32)
    }
    current.append(value)
  }

  /// The vector; the builder is spent. The last group of values (1–32) becomes the tail.
  consuming func finish() -> PersistentVector { PersistentVector.assemble(leaves: leaves, tail: current) }
}
