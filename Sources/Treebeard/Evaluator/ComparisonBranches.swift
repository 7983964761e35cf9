// Branches and loops whose test is an Int comparison of locals, answered inline (DESIGN.md §11).

import OxurSyntax

/// A comparison of a local with an Int constant or with another local, answered inline when
/// both are Ints; anything else goes to the comparison node itself.
struct InlineComparison {
  let node: Node
  let operation: ComparisonOperator
  let left: Int
  /// A slot, or the constant when `rightIsConstant`.
  let right: Int
  let rightIsConstant: Bool

  init?(_ node: Node) {
    switch node {
    case let comparison as ComparisonLocalConstantNode:
      (operation, left, right, rightIsConstant) = (comparison.operation, comparison.slot, comparison.constant, true)
    case let comparison as ComparisonLocalLocalNode:
      (operation, left, right, rightIsConstant) = (comparison.operation, comparison.left, comparison.right, false)
    default:
      return nil
    }
    self.node = node
  }

  @inline(__always) func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[left] {
      if rightIsConstant { return operation.onInts(x, right) }
      if case .int(let y) = fp[right] { return operation.onInts(x, y) }
    }
    return try node.test(m, fp)
  }
}

/// `(if (< n 2) …)`, `(if (< a b) …)`: the comparison inline.
final class IfComparisonNode: Node {
  let comparison: InlineComparison
  let then: InlineOperand
  let otherwise: InlineOperand
  init(_ comparison: InlineComparison, _ then: Node, _ otherwise: Node, span: Span) {
    self.comparison = comparison
    self.then = InlineOperand(then)
    self.otherwise = InlineOperand(otherwise)
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if try comparison.test(m, fp) { return try then.eval(m, fp) }
    return try otherwise.eval(m, fp)
  }
}

/// `(loop […] (if test (recur …) exit))` (or the branches the other way round): see `LoopNode.make`.
final class ConditionalLoopNode: Node {
  let bindings: [Node]
  let condition: Node
  let comparison: InlineComparison?
  /// The test's answer that takes the `recur` branch.
  let recursWhen: Bool
  let recur: RecurNode
  /// The other branch: its value ends the loop unless it recurs itself (a nested `if`).
  let exit: Node
  init(bindings: [Node], condition: Node, recursWhen: Bool, recur: RecurNode, exit: Node, span: Span) {
    self.bindings = bindings
    self.condition = condition
    self.comparison = InlineComparison(condition)
    self.recursWhen = recursWhen
    self.recur = recur
    self.exit = exit
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    for binding in bindings { _ = try binding.eval(m, fp) }
    while true {
      let answer = try comparison?.test(m, fp) ?? condition.test(m, fp)
      if answer == recursWhen {
        try recur.assign(m, fp)
      } else {
        let result = try exit.eval(m, fp)
        guard case .recurSignal = result else { return result }
      }
      if m.attention.raised.load(ordering: .relaxed) { try m.safePoint(at: span) }
    }
  }
}
