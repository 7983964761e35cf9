// The runtime value: small scalars inline, heap kinds as final classes (9 bytes, stride 16).

/// Every value an Oxur program can hold. Collections are immutable; only atoms change.
public enum Value: @unchecked Sendable {
  case `nil`
  case bool(Bool)
  case int(Int)
  case float(Double)
  case char(Unicode.Scalar)
  case string(OxurString)
  case keyword(Keyword)
  case symbol(Symbol)
  /// A linked list; `nil` payload is the empty list `()`.
  case list(ListNode?)
  case vector(PersistentVector)
  case map(PersistentMap)
  case set(PersistentSet)
  case closure(Closure)
  case builtin(Builtin)
  /// A named global function, resolved at each call so it follows reloads.
  case functionReference(FunctionReference)
  case structInstance(StructInstance)
  case variant(EnumValue)
  case atom(Atom)
  case opaque(OpaqueBox)
  /// Internal: returned by `recur` to the loop or function that owns it; never escapes.
  case recurSignal
  /// Internal: returned by a call in tail position to the trampoline of the running function.
  case tailCallSignal

  @inline(__always) public var isTruthy: Bool {
    switch self {
    case .nil, .bool(false): return false
    default: return true
    }
  }

  public static func string(_ text: String) -> Value { .string(OxurString(text)) }
  public static func keyword(_ name: String) -> Value { .keyword(Keyword.intern(name)) }
  public static func symbol(_ name: String) -> Value { .symbol(Symbol.intern(name)) }
  public static let emptyList = Value.list(nil)

  public var isCallable: Bool {
    switch self {
    case .closure, .builtin, .functionReference, .keyword, .map, .set, .vector: return true
    case .variant(let value): return value.variant.arity > 0 && value.payload.isEmpty && value.isConstructor
    default: return false
    }
  }

  /// The keyword `type-of` answers.
  public var typeName: String {
    switch self {
    case .nil: return "nil"
    case .bool: return "bool"
    case .int: return "int"
    case .float: return "float"
    case .char: return "char"
    case .string: return "string"
    case .keyword: return "keyword"
    case .symbol: return "symbol"
    case .list: return "list"
    case .vector: return "vector"
    case .map: return "map"
    case .set: return "set"
    case .closure, .builtin, .functionReference: return "fn"
    case .structInstance: return "struct"
    case .variant(let value): return value.isConstructor ? "fn" : "enum"
    case .atom: return "atom"
    case .opaque(let box): return box.typeName
    case .recurSignal, .tailCallSignal: return "internal"
    }
  }
}

/// An immutable string on the heap, so `Value` stays one word of payload.
public final class OxurString: @unchecked Sendable {
  public let value: String
  public init(_ value: String) { self.value = value }
}

/// A mutable reference cell: the one mutable value kind.
public final class Atom: @unchecked Sendable {
  @exclusivity(unchecked) public var value: Value {
    didSet { changes &+= 1 }
  }
  /// Counts writes, so `swap!` can tell that another thread wrote while its function ran.
  @exclusivity(unchecked) private(set) var changes: UInt = 0
  public init(_ value: Value) { self.value = value }
  deinit { if Reclaimer.mayNest(value) { Reclaimer.release(&value, empty: .nil) } }
}

/// Host objects the prelude hands out (process ids, servers): equal only to themselves.
public final class OpaqueBox: @unchecked Sendable {
  public let typeName: String
  public let payload: AnyObject?
  /// Printed after the type name: `#<http-server 127.0.0.1:8080>`.
  public let label: String?
  public init(typeName: String, payload: AnyObject?, label: String? = nil) {
    self.typeName = typeName
    self.payload = payload
    self.label = label
  }
}

/// A cons cell of a list. Freed iteratively so a million-element list cannot overflow the stack.
public final class ListNode: @unchecked Sendable {
  /// Set only by `deinit` (see `Reclaimer`). Unchecked: a checked access would stay open across
  /// the nested frees it starts, and every nested access would scan the open ones.
  @exclusivity(unchecked) public private(set) var first: Value
  @exclusivity(unchecked) public private(set) var rest: ListNode?
  public let count: Int

  public init(_ first: Value, _ rest: ListNode?) {
    self.first = first
    self.rest = rest
    self.count = (rest?.count ?? 0) + 1
  }

  deinit {
    if Reclaimer.mayNest(first) { Reclaimer.release(&first, empty: .nil) }
    var next = rest
    rest = nil
    while var node = next {
      next = nil
      guard isKnownUniquelyReferenced(&node) else { break }
      next = node.rest
      node.rest = nil
    }
  }

  public static func from<C: BidirectionalCollection>(_ items: C) -> ListNode? where C.Element == Value {
    var list: ListNode? = nil
    for item in items.reversed() { list = ListNode(item, list) }
    return list
  }

  public var elements: [Value] {
    var result: [Value] = []
    result.reserveCapacity(count)
    var node: ListNode? = self
    while let current = node {
      result.append(current.first)
      node = current.rest
    }
    return result
  }
}
