// Immutable hash maps and sets: Oxur's map and set objects over hash tries (ValueHashMap).

/// An immutable hash map; `assoc`/`dissoc` share structure with the original.
public final class PersistentMap: @unchecked Sendable {
  /// Mutated only through `Collections.assoc(into:)` when the map is uniquely referenced.
  @exclusivity(unchecked) public internal(set) var storage: ValueHashMap
  public init(_ storage: ValueHashMap) { self.storage = storage }
  deinit {
    if storage.isEmpty || BackgroundRelease.take(&storage) { return }
    Reclaimer.release(&storage, empty: ValueHashMap())
  }
  public static let empty = PersistentMap(ValueHashMap())

  public var count: Int { storage.count }
  public func get(_ key: Value) -> Value? { storage[key] }

  public func assoc(_ key: Value, _ value: Value) -> PersistentMap {
    var copy = storage
    copy[key] = value
    return PersistentMap(copy)
  }

  public func dissoc(_ key: Value) -> PersistentMap {
    var copy = storage
    copy[key] = nil
    return PersistentMap(copy)
  }
}

/// An immutable hash set.
public final class PersistentSet: @unchecked Sendable {
  /// Mutated only through `Collections.conj(into:)` when the set is uniquely referenced.
  @exclusivity(unchecked) public internal(set) var storage: ValueHashSet
  public init(_ storage: ValueHashSet) { self.storage = storage }
  deinit {
    if storage.isEmpty || BackgroundRelease.take(&storage) { return }
    Reclaimer.release(&storage, empty: ValueHashSet())
  }
  public static let empty = PersistentSet(ValueHashSet())

  public var count: Int { storage.count }
  public func contains(_ value: Value) -> Bool { storage.contains(value) }

  public func conj(_ value: Value) -> PersistentSet {
    var copy = storage
    copy.insert(value)
    return PersistentSet(copy)
  }

  public func disj(_ value: Value) -> PersistentSet {
    var copy = storage
    copy.remove(value)
    return PersistentSet(copy)
  }
}
