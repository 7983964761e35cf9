// The executable tree: every node evaluates against the machine and the current frame.

import OxurSyntax

/// Base of all nodes. Subclasses are final and override `eval` (and `test` when they can answer
/// a condition without boxing a Bool).
class Node {
  let span: Span
  init(span: Span) { self.span = span }

  func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    throw OxurError("internal", "node without an evaluator", span: span)
  }

  /// The value as a condition.
  func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    try eval(m, fp).isTruthy
  }

  /// A constant's value, used by the analyzer to specialise operands.
  var constantValue: Value? { nil }
  /// A plain local slot, used by the analyzer to specialise operands.
  var localSlot: Int? { nil }
  /// The slot of a local read, moves included, for operands of arithmetic and comparisons:
  /// a number has nothing to hand over, so reading it in place is the same as moving it.
  var numericOperandSlot: Int? { localSlot }
  /// For comparisons: the same comparison negated, so `(not (< a b))` is one node.
  func negatedComparison() -> Node? { nil }
}

final class ConstantNode: Node {
  let value: Value
  init(_ value: Value, span: Span) {
    self.value = value
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value { value }
  override var constantValue: Value? { value }

  /// Fills the operand fields a fixed-arity node does not use (never evaluated): one shared
  /// node instead of one allocated with every call site at every reload. Shared across threads
  /// safely: a constant node holding nil has only immutable fields.
  nonisolated(unsafe) static let unused = ConstantNode(.nil, span: .unknown)
}

final class LocalNode: Node {
  let slot: Int
  init(slot: Int, span: Span) {
    self.slot = slot
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value { fp[slot] }
  override var localSlot: Int? { slot }
}

/// A local that a closure captured and someone assigns with `set!`: the slot holds a box.
final class BoxedLocalNode: Node {
  let slot: Int
  init(slot: Int, span: Span) {
    self.slot = slot
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if case .atom(let box) = fp[slot] { return box.value }
    return fp[slot]
  }
}

final class GlobalNode: Node {
  let site: GlobalSite
  init(site: GlobalSite, span: Span) {
    self.site = site
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    do { return try site.valueForReference() } catch let error as OxurError { throw error.located(span) }
  }
}

final class IfNode: Node {
  let condition: Node
  let then: Node
  let otherwise: Node
  init(_ condition: Node, _ then: Node, _ otherwise: Node, span: Span) {
    self.condition = condition
    self.then = then
    self.otherwise = otherwise
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    try condition.test(m, fp) ? then.eval(m, fp) : otherwise.eval(m, fp)
  }

  /// An `if`, with the Int comparison of a local inline when the condition is one (the
  /// base case of most recursions): one node call fewer per test.
  static func make(_ condition: Node, _ then: Node, _ otherwise: Node, span: Span) -> Node {
    if let comparison = InlineComparison(condition) {
      return IfComparisonNode(comparison, then, otherwise, span: span)
    }
    return IfNode(condition, then, otherwise, span: span)
  }
}

final class DoNode: Node {
  let body: [Node]
  let last: Node
  init(_ body: [Node], last: Node, span: Span) {
    self.body = body
    self.last = last
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    for node in body { _ = try node.eval(m, fp) }
    return try last.eval(m, fp)
  }
}

/// Stores a value into a frame slot (a `let` binding without destructuring).
final class SetLocalNode: Node {
  let slot: Int
  let value: Node
  let boxed: Bool
  init(slot: Int, value: Node, boxed: Bool, span: Span) {
    self.slot = slot
    self.value = value
    self.boxed = boxed
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let result = try value.eval(m, fp)
    Machine.store(boxed ? .atom(Atom(result)) : result, into: fp + slot)
    return .nil
  }
}

/// `set!` on a local: through its box when captured, else straight into the slot.
final class AssignLocalNode: Node {
  let slot: Int
  let value: Node
  let boxed: Bool
  init(slot: Int, value: Node, boxed: Bool, span: Span) {
    self.slot = slot
    self.value = value
    self.boxed = boxed
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let result = try value.eval(m, fp)
    if boxed, case .atom(let box) = fp[slot] { box.value = result } else { fp[slot] = result }
    return result
  }
}

final class AssignGlobalNode: Node {
  let site: GlobalSite
  let value: Node
  init(site: GlobalSite, value: Node, span: Span) {
    self.site = site
    self.value = value
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    // The value first: evaluating it may reload the module, and the write belongs in the cell
    // that is current afterwards, not in the replaced version's.
    let result = try value.eval(m, fp)
    let binding: Binding
    do { binding = try site.resolve() } catch let error as OxurError { throw error.located(span) }
    binding.value = result
    binding.isFunction = false
    return result
  }
}

/// Runs bindings then a body.
final class LetNode: Node {
  let bindings: [Node]
  let body: Node
  init(bindings: [Node], body: Node, span: Span) {
    self.bindings = bindings
    self.body = body
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    for binding in bindings { _ = try binding.eval(m, fp) }
    return try body.eval(m, fp)
  }
}

/// `loop`: initial bindings, then the body again for every `recur` it returns.
final class LoopNode: Node {
  let bindings: [Node]
  let body: Node
  init(bindings: [Node], body: Node, span: Span) {
    self.bindings = bindings
    self.body = body
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    for binding in bindings { _ = try binding.eval(m, fp) }
    while true {
      let result = try body.eval(m, fp)
      guard case .recurSignal = result else { return result }
      if m.attention.raised.load(ordering: .relaxed) { try m.safePoint(at: span) }
    }
  }

  /// A loop; `(loop […] (if test (recur …) done))` — the counted-loop shape, either branch
  /// recurring — runs its test and `recur` from the loop itself, without the round trip of the
  /// recur signal through the `if`.
  static func make(bindings: [Node], body: Node, span: Span) -> Node {
    let branches: (condition: Node, then: Node, otherwise: Node)?
    switch body {
    case let node as IfNode: branches = (node.condition, node.then, node.otherwise)
    case let node as IfComparisonNode: branches = (node.comparison.node, node.then.node, node.otherwise.node)
    default: branches = nil
    }
    if let branches {
      if let recur = branches.then as? RecurNode {
        return ConditionalLoopNode(
          bindings: bindings, condition: branches.condition, recursWhen: true, recur: recur, exit: branches.otherwise,
          span: span)
      }
      if let recur = branches.otherwise as? RecurNode {
        return ConditionalLoopNode(
          bindings: bindings, condition: branches.condition, recursWhen: false, recur: recur, exit: branches.then,
          span: span)
      }
    }
    return LoopNode(bindings: bindings, body: body, span: span)
  }
}

/// `recur`: new values into the loop's (or function's) slots, all evaluated before any is stored.
/// One and two values (the usual loop shapes) are kept in fields: reading a node out of an
/// array costs a retain and a release per iteration.
final class RecurNode: Node {
  let slots: [Int]
  let values: [Node]
  // Non-optional so reading them needs no retain; `count` says which are real.
  private let first: Node
  private let second: Node
  private let count: Int
  private let firstSlot: Int
  private let secondSlot: Int

  init(slots: [Int], values: [Node], span: Span) {
    self.slots = slots
    self.values = values
    first = values.first ?? ConstantNode.unused
    second = values.count > 1 ? values[1] : ConstantNode.unused
    count = values.count
    firstSlot = slots.first ?? 0
    secondSlot = slots.count > 1 ? slots[1] : 0
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    try assign(m, fp)
    return .recurSignal
  }

  /// Stores the new values; the loop that owns the slots goes round again.
  @inline(__always) func assign(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws {
    if count == 2 {
      let value = try first.eval(m, fp)
      Machine.store(try second.eval(m, fp), into: fp + secondSlot)
      Machine.store(value, into: fp + firstSlot)
      return
    }
    if count == 1 {
      Machine.store(try first.eval(m, fp), into: fp + firstSlot)
      return
    }
    if values.isEmpty { return }
    try m.reserve(values.count)
    let base = m.sp
    for value in values { m.push(try value.eval(m, fp)) }
    for (index, slot) in slots.enumerated() { fp[slot] = base[index] }
    m.pop(to: base)
  }
}

/// `(fn …)`: copies the captured slots into a new closure.
final class LambdaNode: Node {
  let lambda: Lambda
  init(lambda: Lambda, span: Span) {
    self.lambda = lambda
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    // Every top-level `defn` (each one again at every reload) captures nothing.
    if lambda.captureSources.isEmpty { return .closure(Closure(lambda: lambda, captures: [])) }
    var captures = ContiguousArray<Value>()
    captures.reserveCapacity(lambda.captureSources.count)
    for source in lambda.captureSources { captures.append(fp[source.slot]) }
    return .closure(Closure(lambda: lambda, captures: captures))
  }
}

final class ThrowNode: Node {
  let value: Node
  init(value: Node, span: Span) {
    self.value = value
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let thrown = try value.eval(m, fp)
    throw OxurError("thrown", "uncaught throw: \(Printer.readable(thrown, limit: 200))", span: span, thrown: thrown)
  }
}

/// `try` with optional `catch` (a pattern-free binding slot) and `finally`.
final class TryNode: Node {
  let body: Node
  let catchSlot: Int?
  let handler: Node?
  let finally: Node?
  init(body: Node, catchSlot: Int?, handler: Node?, finally: Node?, span: Span) {
    self.body = body
    self.catchSlot = catchSlot
    self.handler = handler
    self.finally = finally
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let savedSp = m.sp
    let savedDepth = m.depth
    let result: Value
    do {
      result = try body.eval(m, fp)
    } catch let error as OxurError {
      m.pop(to: savedSp)
      m.depth = savedDepth
      guard let handler, let catchSlot, error.kind != "interrupted" else {
        if let finally { _ = try finally.eval(m, fp) }
        throw error
      }
      let handled: Value
      do {
        fp[catchSlot] = error.catchValue
        handled = try handler.eval(m, fp)
      } catch {
        if let finally { _ = try finally.eval(m, fp) }
        throw error
      }
      if let finally { _ = try finally.eval(m, fp) }
      return handled
    }
    if let finally { _ = try finally.eval(m, fp) }
    return result
  }
}

/// `[a b c]`, `{k v}`, `#{…}` with non-constant parts.
final class VectorLiteralNode: Node {
  let items: [Node]
  init(items: [Node], span: Span) {
    self.items = items
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    var vector = PersistentVector.empty
    for item in items { vector = vector.conj(try item.eval(m, fp)) }
    return .vector(vector)
  }
}

final class MapLiteralNode: Node {
  let items: [Node]
  init(items: [Node], span: Span) {
    self.items = items
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    var storage = PersistentMap.empty.storage
    var index = 0
    while index + 1 < items.count {
      storage[try items[index].eval(m, fp)] = try items[index + 1].eval(m, fp)
      index += 2
    }
    return .map(PersistentMap(storage))
  }
}

final class SetLiteralNode: Node {
  let items: [Node]
  init(items: [Node], span: Span) {
    self.items = items
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    var storage = PersistentSet.empty.storage
    for item in items { storage.insert(try item.eval(m, fp)) }
    return .set(PersistentSet(storage))
  }
}
