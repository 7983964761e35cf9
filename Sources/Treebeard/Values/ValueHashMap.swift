// The hash map and hash set value types over `TrieNode`: the storage of Oxur maps and sets.

/// A persistent hash map from Value to Value. Copies share their tries; a change copies only
/// the nodes on the path to the changed key, and changes in place where nothing is shared.
/// Iterates in an order fixed by the keys' stable hashes, the same in every run.
public struct ValueHashMap: Sequence, Equatable, @unchecked Sendable {
  /// nil for the empty map, so an empty map allocates nothing.
  private var root: TrieNode?
  public private(set) var count: Int
  /// True while every key and value ever filed in this map (or the maps it was copied from) is
  /// plain data (`Value.isPlainData`); removals leave it as it is, so it errs only towards false.
  /// `BackgroundRelease` reads it instead of walking the trie.
  private(set) var holdsOnlyPlainData = true

  public init() {
    root = nil
    count = 0
  }

  public init<S: Sequence>(uniqueKeysWithValues pairs: S) where S.Element == (Value, Value) {
    self.init()
    for (key, value) in pairs { self[key] = value }
  }

  public var isEmpty: Bool { count == 0 }

  public subscript(key: Value) -> Value? {
    get {
      guard let root else { return nil }
      return TrieNode.find(root, key, trieHash(key))
    }
    set {
      if let newValue { insert(key, newValue) } else { remove(key) }
    }
  }

  private mutating func insert(_ key: Value, _ value: Value) {
    if holdsOnlyPlainData && !(key.isPlainData && value.isPlainData) { holdsOnlyPlainData = false }
    let hash = trieHash(key)
    guard var node = root.take() else {
      root = TrieNode.single(key, value, hash)
      count = 1
      return
    }
    if TrieNode.insert(&node, key, value, hash, 0) { count += 1 }
    root = node
  }

  private mutating func remove(_ key: Value) {
    guard let existing = root else { return }
    let hash = trieHash(key)
    guard TrieNode.find(existing, key, hash) != nil, var node = root.take() else { return }
    if count == 1 {
      count = 0
      return
    }
    TrieNode.remove(&node, key, hash, 0)
    count -= 1
    root = node
  }

  /// Calls `body` on every key and value, in iteration order, without an iterator.
  public func forEachEntry(_ body: (Value, Value) throws -> Void) rethrows {
    try root?.forEachItem(body)
  }

  public var keys: [Value] {
    var result: [Value] = []
    result.reserveCapacity(count)
    forEachEntry { key, _ in result.append(key) }
    return result
  }

  public var values: [Value] {
    var result: [Value] = []
    result.reserveCapacity(count)
    forEachEntry { _, value in result.append(value) }
    return result
  }

  public var underestimatedCount: Int { count }

  public static func == (left: ValueHashMap, right: ValueHashMap) -> Bool {
    guard left.count == right.count else { return false }
    guard let leftRoot = left.root, let rightRoot = right.root else { return true }
    return TrieNode.isEqual(leftRoot, rightRoot)
  }

  public func makeIterator() -> Iterator { Iterator(root) }

  /// Walks the trie depth first with an explicit stack (a trie is at most 13 levels deep).
  public struct Iterator: IteratorProtocol {
    private var path: [(node: TrieNode, next: Int)] = []

    init(_ root: TrieNode?) {
      if let root { path.append((root, 0)) }
    }

    public mutating func next() -> (key: Value, value: Value)? {
      while let last = path.last {
        let (node, index) = last
        guard index < node.info.slotCount else {
          path.removeLast()
          continue
        }
        path[path.count - 1].next = index + 1
        switch node.slot(at: index) {
        case .item(let key, let value): return (key, value)
        case .child(let child, _, _): path.append((child, 0))
        }
      }
      return nil
    }
  }
}

/// A persistent hash set: a `ValueHashMap` whose values are all nil.
public struct ValueHashSet: Sequence, Equatable, @unchecked Sendable {
  /// The elements as keys (see `BackgroundRelease`, which takes them).
  var members: ValueHashMap

  public init() { members = ValueHashMap() }

  public init<S: Sequence>(_ elements: S) where S.Element == Value {
    members = ValueHashMap()
    for element in elements { members[element] = .nil }
  }

  public var count: Int { members.count }
  public var isEmpty: Bool { members.isEmpty }
  public var underestimatedCount: Int { members.count }

  public func contains(_ element: Value) -> Bool { members[element] != nil }

  /// Adds `element` unless an equal one is present (which then stays).
  public mutating func insert(_ element: Value) { members[element] = .nil }

  public mutating func remove(_ element: Value) { members[element] = nil }

  public func forEachElement(_ body: (Value) throws -> Void) rethrows {
    try members.forEachEntry { element, _ in try body(element) }
  }

  public func makeIterator() -> Iterator { Iterator(inner: members.makeIterator()) }

  public struct Iterator: IteratorProtocol {
    var inner: ValueHashMap.Iterator
    public mutating func next() -> Value? { inner.next()?.key }
  }
}
