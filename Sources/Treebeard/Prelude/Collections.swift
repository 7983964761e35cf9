// Operations shared by collection builtins: element access, conj/assoc by kind, lookups.

enum Collections {
  /// The elements of anything sequential: nil, lists, vectors, sets, maps (as [k v]), strings (chars).
  /// Each is one block of every element, refused up front when it would not fit
  /// (`MemoryGuard`): twice over, as callers mostly copy it again (into a vector, arguments).
  static func elements(_ value: Value, _ context: String) throws -> [Value] {
    func reserve(_ count: Int, copies: Int = 2) throws {
      try MemoryGuard.reserve(values: count, copies: copies, for: "\(context)'s elements")
    }
    switch value {
    case .nil: return []
    case .list(let node):
      try reserve(node?.count ?? 0)
      return node?.elements ?? []
    case .vector(let vector):
      try reserve(vector.count)
      return vector.elements
    case .set(let set):
      try reserve(set.count)
      return Array(set.storage)
    case .map(let map):
      // Each entry becomes a two-element vector: a node of its own besides its slot.
      try reserve(map.count, copies: 8)
      return map.storage.map { .vector(PersistentVector.from([$0.key, $0.value])) }
    case .string(let s):
      // At most one char per byte: counting the scalars first would walk the text twice.
      try reserve(s.value.utf8.count)
      return s.value.unicodeScalars.map { .char($0) }
    default: throw Failure.type("a collection", value, in: context)
    }
  }

  /// The first `n` elements (all when there are fewer): `take` of a few elements of a huge
  /// vector copied every element first. Vectors and lists are walked no further than `n`;
  /// sets, maps and strings are still copied whole by `forEach`.
  /// With `interruptible`, a safe point every 65,536 elements (a prefix of 100,000,000).
  static func prefix(_ value: Value, _ n: Int, _ context: String, interruptible machine: Machine? = nil) throws
    -> [Value]
  {
    var result: [Value] = []
    result.reserveCapacity(min(n, try count(value, context)))
    guard n > 0 else { return result }
    do {
      try forEach(value, context) { element in
        if result.count & 0xFFFF == 0xFFFF, let machine { try machine.checkInterrupt() }
        result.append(element)
        if result.count == n { throw Enough() }
      }
    } catch is Enough {}
    return result
  }

  /// Ends a `forEach` early.
  private struct Enough: Error {}

  /// Calls `body` on each element without building an array for vectors and lists.
  static func forEach(_ value: Value, _ context: String, _ body: (Value) throws -> Void) throws {
    switch value {
    case .vector(let vector): try vector.forEachElement(body)
    case .list(let node):
      var cursor = node
      while let current = cursor {
        try body(current.first)
        cursor = current.rest
      }
    default:
      for element in try elements(value, context) { try body(element) }
    }
  }

  static func count(_ value: Value, _ context: String = "count") throws -> Int {
    switch value {
    case .nil: return 0
    case .list(let node): return node?.count ?? 0
    case .vector(let vector): return vector.count
    case .set(let set): return set.count
    case .map(let map): return map.count
    case .string(let s): return scalarCount(s.value)
    default: throw Failure.type("a collection", value, in: context)
    }
  }

  /// Unicode scalars in `text`: UTF-8 bytes that do not continue a scalar. Counting bytes of
  /// contiguous storage is a tight loop; the scalar view walks and decodes each scalar.
  static func scalarCount(_ text: String) -> Int {
    let counted = text.utf8.withContiguousStorageIfAvailable { bytes in
      var count = 0
      for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
      return count
    }
    return counted ?? text.unicodeScalars.count
  }

  /// `get` semantics: maps by key, vectors and strings by index, sets by membership, structs by field.
  static func lookup(_ collection: Value, _ key: Value, default fallback: Value) -> Value {
    switch collection {
    case .map(let map): return map.get(key) ?? fallback
    case .vector(let vector):
      if case .int(let index) = key, let element = vector.at(index) { return element }
      return fallback
    case .set(let set): return set.contains(key) ? key : fallback
    case .structInstance(let instance):
      if case .keyword(let keyword) = key, let value = instance.field(keyword) { return value }
      return fallback
    case .string(let s):
      if case .int(let index) = key, index >= 0, index < s.value.unicodeScalars.count {
        let scalars = s.value.unicodeScalars
        return .char(scalars[scalars.index(scalars.startIndex, offsetBy: index)])
      }
      return fallback
    default: return fallback
    }
  }

  static func conj(_ collection: Value, _ item: Value) throws -> Value {
    switch collection {
    case .nil: return .list(ListNode(item, nil))
    case .vector(let vector): return .vector(vector.conj(item))
    case .list(let node): return .list(ListNode(item, node))
    case .set(let set): return .set(set.conj(item))
    case .map(let map):
      guard let pair = item.sequenceElements, pair.count == 2 else {
        throw Failure.type("a [key value] pair", item, in: "conj onto a map")
      }
      return .map(map.assoc(pair[0], pair[1]))
    default: throw Failure.type("a collection", collection, in: "conj")
    }
  }

  static func assoc(_ collection: Value, _ key: Value, _ value: Value) throws -> Value {
    switch collection {
    case .nil: return .map(PersistentMap.empty.assoc(key, value))
    case .map(let map): return .map(map.assoc(key, value))
    case .vector(let vector):
      guard case .int(let index) = key else { throw Failure.type("an integer index", key, in: "assoc") }
      guard let updated = vector.assoc(index, value) else { throw Failure.index(index, vector.count, "vector") }
      return .vector(updated)
    case .structInstance(let instance):
      guard case .keyword(let field) = key, let index = instance.type.fieldIndex[field], index < instance.values.count
      else {
        throw OxurError("unknown-field", "unknown field \(Printer.readable(key)) in struct \(instance.type.name)")
      }
      var values = instance.values
      values[index] = value
      return .structInstance(StructInstance(type: instance.type, values: values))
    default: throw Failure.type("a map, vector or struct", collection, in: "assoc")
    }
  }

  static func vector(_ items: [Value]) -> Value { .vector(PersistentVector.from(items)) }

  /// For `assoc-in`/`update-in`: the value found at each prefix of `path` (`parents[i]` is the
  /// collection `path[i]` is looked up in).
  static func parents(_ root: Value, _ path: [Value]) -> [Value] {
    var parents: [Value] = []
    parents.reserveCapacity(path.count)
    var current = root
    for key in path {
      parents.append(current)
      current = lookup(current, key, default: .nil)
    }
    return parents
  }

  /// Rebuilds the collections along `path` from the innermost out, with `value` at the end.
  static func assocPath(_ path: [Value], _ parents: [Value], _ value: Value) throws -> Value {
    var result = value
    var index = path.count - 1
    while index >= 0 {
      result = try assoc(parents[index], path[index], result)
      index -= 1
    }
    return result
  }

  /// `assoc` that updates a uniquely referenced map in place. Nobody else can see such a map
  /// (the caller moved it out of its last variable), so this is invisible to the program.
  static func assoc(into collection: inout Value, _ key: Value, _ value: Value) throws {
    guard var map = take(&collection, as: { if case .map(let map) = $0 { return map } else { return nil } }) else {
      collection = try assoc(collection, key, value)
      return
    }
    if isKnownUniquelyReferenced(&map) {
      map.storage[key] = value
      collection = .map(map)
    } else {
      collection = .map(map.assoc(key, value))
    }
  }

  /// `(conj collection item)`, both moved in: a vector nobody else holds (a loop's accumulator,
  /// moved out of its slot) grows in place and the item moves into it, with no retain and
  /// release of either. The builtin's two-argument case and `ConjNode` both come here.
  @inline(__always) static func conj(moving collection: consuming Value, _ item: consuming Value) throws -> Value {
    if case .vector = collection, case .vector(var vector) = exchange(&collection, with: .nil) {
      if isKnownUniquelyReferenced(&vector) {
        vector.appendInPlace(item)
        return .vector(consume vector)
      }
      return .vector(vector.conj(item))
    }
    try conj(into: &collection, item)
    return collection
  }

  /// `conj` that updates a uniquely referenced vector, map or set in place (see `assoc(into:)`).
  static func conj(into collection: inout Value, _ item: Value) throws {
    if var vector = take(&collection, as: { if case .vector(let vector) = $0 { return vector } else { return nil } }) {
      if isKnownUniquelyReferenced(&vector) {
        vector.appendInPlace(item)
        collection = .vector(vector)
      } else {
        collection = .vector(vector.conj(item))
      }
      return
    }
    if var set = take(&collection, as: { if case .set(let set) = $0 { return set } else { return nil } }) {
      if isKnownUniquelyReferenced(&set) {
        set.storage.insert(item)
        collection = .set(set)
      } else {
        collection = .set(set.conj(item))
      }
      return
    }
    if case .map = collection {
      guard let pair = item.sequenceElements, pair.count == 2 else {
        throw Failure.type("a [key value] pair", item, in: "conj onto a map")
      }
      try assoc(into: &collection, pair[0], pair[1])
      return
    }
    collection = try conj(collection, item)
  }

  /// Moves a payload out of `collection` (leaving nil) so the caller holds the only reference
  /// the value had; nil, and `collection` untouched, when the kind does not match.
  @inline(__always) private static func take<T: AnyObject>(_ collection: inout Value, as extract: (Value) -> T?) -> T? {
    guard let payload = extract(collection) else { return nil }
    collection = .nil
    return payload
  }
}
