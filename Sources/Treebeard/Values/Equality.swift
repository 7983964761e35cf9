// Structural equality and a process-stable hash, so maps iterate in the same order every run.

extension Value: Hashable {
  /// `=`: structural; Int and Float never equal; lists and vectors with equal elements are equal.
  /// Floats compare as numbers (`0.0` = `-0.0`), except that NaN equals NaN: `=` is value
  /// identity for sets and map keys, and a value that is not equal to itself could never be found
  /// in one (and would pile up in a single hash bucket).
  public static func == (a: Value, b: Value) -> Bool {
    switch (a, b) {
    case (.nil, .nil): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.float(let x), .float(let y)): return x == y || (x.isNaN && y.isNaN)
    case (.char(let x), .char(let y)): return x == y
    case (.string(let x), .string(let y)): return x === y || TextIdentity.equal(x.value, y.value)
    case (.keyword(let x), .keyword(let y)): return x === y
    case (.symbol(let x), .symbol(let y)): return x === y
    case (.vector(let x), .vector(let y)) where x === y: return true
    case (.list(let x), .list(let y)) where x === y: return true
    case (.list, .list), (.list, .vector), (.vector, .list), (.vector, .vector):
      return compareNested(a, b) { sequentialEqual(a, b) }
    case (.map(let x), .map(let y)): return x === y || compareNested(a, b) { x.storage == y.storage }
    case (.set(let x), .set(let y)): return x === y || compareNested(a, b) { x.storage == y.storage }
    case (.closure(let x), .closure(let y)): return x === y
    case (.builtin(let x), .builtin(let y)): return x === y
    case (.functionReference(let x), .functionReference(let y)): return x.isSameDefinition(as: y)
    case (.structInstance(let x), .structInstance(let y)):
      return x === y || (x.type.isSameType(as: y.type) && compareNested(a, b) { x.values == y.values })
    case (.variant(let x), .variant(let y)):
      return x === y || (x.variant.sameCase(as: y.variant) && compareNested(a, b) { x.payload == y.payload })
    case (.atom(let x), .atom(let y)): return x === y
    case (.opaque(let x), .opaque(let y)): return x === y || (x.payload != nil && x.payload === y.payload)
    default: return false
    }
  }

  /// The heap object behind a container value, for remembering comparisons already made.
  var containerIdentity: ObjectIdentifier? {
    switch self {
    case .list(let node?): return ObjectIdentifier(node)
    case .vector(let x): return ObjectIdentifier(x)
    case .map(let x): return ObjectIdentifier(x)
    case .set(let x): return ObjectIdentifier(x)
    case .structInstance(let x): return ObjectIdentifier(x)
    case .variant(let x): return ObjectIdentifier(x)
    default: return nil
    }
  }

  /// Compares two containers' contents, recursing on the host stack. Inside `checkedEqual` it
  /// also gives up when the stack runs low or the evaluation is interrupted (the caller turns
  /// that into an Oxur error), and, once a comparison has taken many steps, remembers which
  /// pairs of objects were already found equal: values that share substructure (`[s s]` nested
  /// 60 times is 2^60 elements but 60 objects) then compare in time linear in their objects.
  private static func compareNested(_ a: Value, _ b: Value, _ contents: () -> Bool) -> Bool {
    let state = HostThreadState.current
    // Outside `checkedEqual` (a hash tree comparing keys) the comparison runs the same way, with
    // the memory of pairs found equal (keys sharing structure compared in 2^n steps: a lookup
    // of `[v v]` nested 26 deep took 22 s), and no machine to interrupt; a comparison too deep
    // for the stack is false.
    guard state.equalityDepth > 0 else {
      if StackGuard.isLow() { return false }
      let (equal, stop) = comparing(in: state, machine: nil) { compareNested(a, b, contents) }
      return equal && stop == nil
    }
    if state.equalityStop != nil { return false }
    if StackGuard.isLow() {
      state.equalityStop = OxurError("stack-overflow", "stack overflow: values nested too deeply to compare")
      return false
    }
    state.equalitySteps &+= 1
    if state.equalitySteps & 0x3FF == 0, let machine = state.equalityMachine {
      do { try machine.checkInterrupt() } catch {
        state.equalityStop = error
        return false
      }
    }
    guard state.equalitySteps > 4096, let x = a.containerIdentity, let y = b.containerIdentity else {
      return contents()
    }
    let pair = IdentityPair(x, y)
    if state.equalKnown.contains(pair) { return true }
    let equal = contents()
    if equal && state.equalityStop == nil { state.equalKnown.insert(pair) }
    return equal
  }

  /// Oxur's `=`: `==`, except that values nested too deeply to compare are an error, not
  /// `false`. With `machine`, a long comparison also stops when the evaluation is interrupted.
  static func checkedEqual(_ a: Value, _ b: Value, machine: Machine? = nil) throws -> Bool {
    guard Reclaimer.mayNest(a) && Reclaimer.mayNest(b) else { return a == b }
    let (equal, stop) = comparing(in: HostThreadState.current, machine: machine) { a == b }
    if let stop { throw stop }
    return equal
  }

  /// Runs `compare` as one comparison of this thread: the outermost sets up the step count, the
  /// machine to interrupt and the memory of equal pairs, and clears them after; nested calls (a
  /// comparison inside a builtin inside a comparison) reuse the outer state. Returns the result
  /// and why the comparison gave up, if it did.
  private static func comparing(
    in state: HostThreadState, machine: Machine?, _ compare: () -> Bool
  ) -> (Bool, Error?) {
    if state.equalityDepth == 0 {
      state.equalityStop = nil
      state.equalitySteps = 0
      state.equalityMachine = machine
    }
    state.equalityDepth += 1
    let equal = compare()
    state.equalityDepth -= 1
    let stop = state.equalityStop
    if state.equalityDepth == 0 {
      state.equalityStop = nil
      state.equalityMachine = nil
      if !state.equalKnown.isEmpty { state.equalKnown = [] }
    }
    return (equal, stop)
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

  public var stableHash: Int { stableHash(budget: Value.hashBudget) }

  /// How many nested containers one hash may look into. A container passes what is left of
  /// its budget to its child containers in equal shares, so the share depends only on the value
  /// and equal values hash alike. A container with a share of 0 still hashes its scalar elements
  /// but not its containers, so the cost stays near the size of the outer levels however a
  /// value nests or shares structure. A chain of single-element containers is hashed 128 levels
  /// deep; values that differ only deeper than that hash alike.
  static let hashBudget = 128

  /// A child container's share of `budget` among `count` child containers; -1: not looked
  /// into. Scalars are hashed whatever the budget, so only containers divide it: a record of
  /// 130 numbers and one small vector hashes that vector in full (divided among all 131
  /// elements, each got nothing, and 4,000 such records differing only there collided in one
  /// bucket: a set of them took 31 s).
  @inline(__always) static func share(_ budget: Int, _ count: Int) -> Int {
    budget == 0 ? -1 : (budget - 1) / max(1, count)
  }

  /// Whether hashing this value spends budget (`share`): containers that may hold more.
  @inline(__always) var usesHashBudget: Bool {
    switch self {
    // `()` equals `[]`: an empty list and an empty vector must count alike.
    case .list(let node): return node != nil
    case .vector(let vector): return vector.count > 0
    case .map, .set, .structInstance, .variant: return true
    default: return false
    }
  }

  func stableHash(budget: Int) -> Int {
    switch self {
    case .nil: return 0x1234_5678
    case .bool(let b): return b ? 0x2345 : 0x3456
    case .int(let i): return mixHash(i)
    case .float(let d):
      // Equal floats hash alike: -0.0 as 0.0, and every NaN as one canonical NaN.
      let canonical = d == 0 ? 0.0 : (d.isNaN ? Double.nan : d)
      return mixHash(Int(bitPattern: UInt(canonical.bitPattern))) &+ 7
    case .char(let c): return mixHash(Int(c.value)) &+ 11
    case .string(let s): return stableStringHash(s.value)
    case .keyword(let k): return k.stableHash
    case .symbol(let s): return s.stableHash
    case .list(let node):
      var hash = 0x9e37
      guard budget >= 0, let node else { return hash }
      var containers = 0
      var counting: ListNode? = node
      while let current = counting {
        if current.first.usesHashBudget { containers += 1 }
        counting = current.rest
      }
      let share = Value.share(budget, containers)
      var cursor: ListNode? = node
      while let current = cursor {
        hash = hash &* 31 &+ current.first.stableHash(budget: share)
        cursor = current.rest
      }
      return hash
    case .vector(let v):
      var hash = 0x9e37
      guard budget >= 0, v.count > 0 else { return hash }
      var containers = 0
      v.forEachElement { if $0.usesHashBudget { containers += 1 } }
      let share = Value.share(budget, containers)
      v.forEachElement { hash = hash &* 31 &+ $0.stableHash(budget: share) }
      return hash
    case .map(let m):
      var hash = 0x4d41
      guard budget >= 0, m.count > 0 else { return hash }
      var containers = 0
      m.storage.forEachEntry { key, value in
        if key.usesHashBudget { containers += 1 }
        if value.usesHashBudget { containers += 1 }
      }
      let share = Value.share(budget, containers)
      for (key, value) in m.storage {
        hash = hash &+ (key.stableHash(budget: share) ^ mixHash(value.stableHash(budget: share)))
      }
      return hash
    case .set(let s):
      var hash = 0x5345
      guard budget >= 0, s.count > 0 else { return hash }
      var containers = 0
      s.storage.forEachElement { if $0.usesHashBudget { containers += 1 } }
      let share = Value.share(budget, containers)
      for element in s.storage { hash = hash &+ element.stableHash(budget: share) }
      return hash
    case .structInstance(let s):
      var hash = stableStringHash(s.type.name)
      guard budget >= 0, !s.values.isEmpty else { return hash }
      let share = Value.share(budget, s.values.reduce(0) { $0 + ($1.usesHashBudget ? 1 : 0) })
      for value in s.values { hash = hash &* 31 &+ value.stableHash(budget: share) }
      return hash
    case .variant(let v):
      var hash = stableStringHash(v.variant.name)
      guard budget >= 0, !v.payload.isEmpty else { return hash }
      let share = Value.share(budget, v.payload.reduce(0) { $0 + ($1.usesHashBudget ? 1 : 0) })
      for value in v.payload { hash = hash &* 31 &+ value.stableHash(budget: share) }
      return hash
    case .functionReference(let f): return stableStringHash(f.displayName)
    case .closure(let object as AnyObject), .builtin(let object as AnyObject), .atom(let object as AnyObject):
      return mixHash(ObjectIdentifier(object).hashValue)
    case .opaque(let box):
      // Boxes of one host object (every pid of a process) are equal, so they hash alike.
      return mixHash(ObjectIdentifier(box.payload ?? box).hashValue)
    case .recurSignal, .tailCallSignal: return 0
    }
  }
}
