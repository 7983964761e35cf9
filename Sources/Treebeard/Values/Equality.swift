// Structural equality and a process-stable hash, so maps iterate in the same order every run.

extension Value: Hashable {
  /// `=`: structural; Int and Float never equal; lists and vectors with equal elements are equal.
  public static func == (a: Value, b: Value) -> Bool {
    switch (a, b) {
    case (.nil, .nil): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.float(let x), .float(let y)): return x == y
    case (.char(let x), .char(let y)): return x == y
    case (.string(let x), .string(let y)): return x === y || x.value == y.value
    case (.keyword(let x), .keyword(let y)): return x === y
    case (.symbol(let x), .symbol(let y)): return x === y
    case (.vector(let x), .vector(let y)) where x === y: return true
    case (.list, .list), (.list, .vector), (.vector, .list), (.vector, .vector):
      return !stackIsLow() && sequentialEqual(a, b)
    case (.map(let x), .map(let y)): return x === y || (!stackIsLow() && x.storage == y.storage)
    case (.set(let x), .set(let y)): return x === y || (!stackIsLow() && x.storage == y.storage)
    case (.closure(let x), .closure(let y)): return x === y
    case (.builtin(let x), .builtin(let y)): return x === y
    case (.functionReference(let x), .functionReference(let y)): return x.isSameDefinition(as: y)
    case (.structInstance(let x), .structInstance(let y)):
      return x === y || (x.type.isSameType(as: y.type) && !stackIsLow() && x.values == y.values)
    case (.variant(let x), .variant(let y)):
      return x === y || (x.variant.sameCase(as: y.variant) && !stackIsLow() && x.payload == y.payload)
    case (.atom(let x), .atom(let y)): return x === y
    case (.opaque(let x), .opaque(let y)): return x === y
    default: return false
    }
  }

  /// Comparing nested values recurses on the host stack: when it runs low the comparison gives
  /// up (unequal) and flags it, and `checkedEqual` turns the flag into an Oxur error.
  @inline(__always) private static func stackIsLow() -> Bool {
    guard StackGuard.isLow() else { return false }
    HostThreadState.current.equalityOverflow = true
    return true
  }

  /// Oxur's `=`: `==`, except that values nested too deeply to compare are an error, not `false`.
  static func checkedEqual(_ a: Value, _ b: Value) throws -> Bool {
    guard Reclaimer.mayNest(a) && Reclaimer.mayNest(b) else { return a == b }
    let state = HostThreadState.current
    state.equalityOverflow = false
    let equal = a == b
    if state.equalityOverflow {
      state.equalityOverflow = false
      throw OxurError("stack-overflow", "stack overflow: values nested too deeply to compare")
    }
    return equal
  }

  private static func sequentialEqual(_ a: Value, _ b: Value) -> Bool {
    guard let x = a.sequenceElements, let y = b.sequenceElements else { return false }
    return x == y
  }

  /// The elements of a list or vector.
  public var sequenceElements: [Value]? {
    switch self {
    case .list(let node): return node?.elements ?? []
    case .vector(let vector): return vector.elements
    default: return nil
    }
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(stableHash)
  }

  /// Hash trees call this; ignoring the per-process seed keeps iteration order reproducible.
  public func _rawHashValue(seed: Int) -> Int { stableHash }

  public var stableHash: Int { stableHash(depth: 0) }

  /// Hashing looks this many levels into nested values: equal values still hash alike, and
  /// hashing a deeply nested value costs neither deep recursion nor time proportional to depth.
  static let hashDepth = 16

  func stableHash(depth: Int) -> Int {
    let inner = depth + 1
    let deeper = depth < Value.hashDepth
    switch self {
    case .nil: return 0x1234_5678
    case .bool(let b): return b ? 0x2345 : 0x3456
    case .int(let i): return mixHash(i)
    case .float(let d): return mixHash(Int(bitPattern: UInt(d.bitPattern))) &+ 7
    case .char(let c): return mixHash(Int(c.value)) &+ 11
    case .string(let s): return stableStringHash(s.value)
    case .keyword(let k): return k.stableHash
    case .symbol(let s): return s.stableHash
    case .list, .vector:
      var hash = 0x9e37
      guard deeper else { return hash }
      for element in sequenceElements ?? [] { hash = hash &* 31 &+ element.stableHash(depth: inner) }
      return hash
    case .map(let m):
      var hash = 0x4d41
      guard deeper else { return hash }
      for (key, value) in m.storage {
        hash = hash &+ (key.stableHash(depth: inner) ^ mixHash(value.stableHash(depth: inner)))
      }
      return hash
    case .set(let s):
      var hash = 0x5345
      guard deeper else { return hash }
      for element in s.storage { hash = hash &+ element.stableHash(depth: inner) }
      return hash
    case .structInstance(let s):
      var hash = stableStringHash(s.type.name)
      guard deeper else { return hash }
      for value in s.values { hash = hash &* 31 &+ value.stableHash(depth: inner) }
      return hash
    case .variant(let v):
      var hash = stableStringHash(v.variant.name)
      guard deeper else { return hash }
      for value in v.payload { hash = hash &* 31 &+ value.stableHash(depth: inner) }
      return hash
    case .functionReference(let f): return stableStringHash(f.displayName)
    case .closure(let object as AnyObject), .builtin(let object as AnyObject), .atom(let object as AnyObject),
      .opaque(let object as AnyObject):
      return mixHash(ObjectIdentifier(object).hashValue)
    case .recurSignal, .tailCallSignal: return 0
    }
  }
}
