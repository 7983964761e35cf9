// Arithmetic and comparison nodes: Int fast paths with operands read inline (DESIGN.md §11).

import OxurSyntax

/// `+ - *` on two operands.
enum ArithmeticOperator {
  case add, subtract, multiply

  var name: String {
    switch self {
    case .add: return "+"
    case .subtract: return "-"
    case .multiply: return "*"
    }
  }

  /// The Int result and whether it overflowed.
  @inline(__always) func onInts(_ x: Int, _ y: Int) -> (Int, Bool) {
    switch self {
    case .add: return x.addingReportingOverflow(y)
    case .subtract: return x.subtractingReportingOverflow(y)
    case .multiply: return x.multipliedReportingOverflow(by: y)
    }
  }

  /// `apply` as a call: keeps the slow path (and the registers it needs) out of the fast path
  /// of a node whose Int case is inline.
  @inline(never) func applyOutOfLine(_ a: Value, _ b: Value, _ span: Span) throws -> Value {
    try apply(a, b, span)
  }

  /// Ints inline; floats, mixed operands and errors through Arithmetic.
  @inline(__always) func apply(_ a: Value, _ b: Value, _ span: Span) throws -> Value {
    if case .int(let x) = a, case .int(let y) = b {
      let (result, overflow) = onInts(x, y)
      if !overflow { return .int(result) }
    }
    do {
      switch self {
      case .add: return try Arithmetic.add(a, b)
      case .subtract: return try Arithmetic.subtract(a, b)
      case .multiply: return try Arithmetic.multiply(a, b)
      }
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(+ a b)`, `(- a b)`, `(* a b)` with any operands: checked Int arithmetic, else Arithmetic.
final class ArithmeticNode: Node {
  let operation: ArithmeticOperator
  let left: Node
  let right: Node

  init(_ operation: ArithmeticOperator, _ left: Node, _ right: Node, span: Span) {
    self.operation = operation
    self.left = left
    self.right = right
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if case .int(let x) = a, case .int(let y) = b {
      let (result, overflow) = operation.onInts(x, y)
      if !overflow { return .int(result) }
    }
    return try operation.applyOutOfLine(a, b, span)
  }
}

/// `(+ i 1)`, `(inc i)`: a local and an Int constant, the loop-counter shape, read inline.
final class ArithmeticLocalConstantNode: Node {
  let operation: ArithmeticOperator
  let slot: Int
  let constant: Int

  init(_ operation: ArithmeticOperator, slot: Int, constant: Int, span: Span) {
    self.operation = operation
    self.slot = slot
    self.constant = constant
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if case .int(let x) = fp[slot] {
      let (result, overflow) = operation.onInts(x, constant)
      if !overflow { return .int(result) }
    }
    return try operation.applyOutOfLine(fp[slot], .int(constant), span)
  }
}

/// `(+ a b)` on two locals, read inline.
final class ArithmeticLocalLocalNode: Node {
  let operation: ArithmeticOperator
  let left: Int
  let right: Int

  init(_ operation: ArithmeticOperator, left: Int, right: Int, span: Span) {
    self.operation = operation
    self.left = left
    self.right = right
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if case .int(let x) = fp[left], case .int(let y) = fp[right] {
      let (result, overflow) = operation.onInts(x, y)
      if !overflow { return .int(result) }
    }
    return try operation.applyOutOfLine(fp[left], fp[right], span)
  }
}

/// `< > <= >=` on two operands, and their negations (`(not (< a b))` is one node; on NaN a
/// negated comparison is true, as `not` of a false comparison is).
enum ComparisonOperator {
  case less, greater, lessEqual, greaterEqual
  case notLess, notGreater, notLessEqual, notGreaterEqual

  var name: String {
    switch self {
    case .less, .notLess: return "<"
    case .greater, .notGreater: return ">"
    case .lessEqual, .notLessEqual: return "<="
    case .greaterEqual, .notGreaterEqual: return ">="
    }
  }

  var negated: ComparisonOperator {
    switch self {
    case .less: return .notLess
    case .greater: return .notGreater
    case .lessEqual: return .notLessEqual
    case .greaterEqual: return .notGreaterEqual
    case .notLess: return .less
    case .notGreater: return .greater
    case .notLessEqual: return .lessEqual
    case .notGreaterEqual: return .greaterEqual
    }
  }

  /// Ints are totally ordered, so a negation is the opposite comparison.
  @inline(__always) func onInts(_ x: Int, _ y: Int) -> Bool {
    switch self {
    case .less, .notGreaterEqual: return x < y
    case .greater, .notLessEqual: return x > y
    case .lessEqual, .notGreater: return x <= y
    case .greaterEqual, .notLess: return x >= y
    }
  }

  /// Ints inline; everything else through `Arithmetic.compare`, out of line.
  @inline(__always) func apply(_ a: Value, _ b: Value, _ span: Span) throws -> Bool {
    if case .int(let x) = a, case .int(let y) = b { return onInts(x, y) }
    return try compareOutOfLine(a, b, span)
  }

  @inline(never) func compareOutOfLine(_ a: Value, _ b: Value, _ span: Span) throws -> Bool {
    do { return accepts(try Arithmetic.compare(a, b, name)) } catch let error as OxurError { throw error.located(span) }
  }

  /// From `Arithmetic.compare`'s order (-1, 0, 1, or 2 for unordered NaN: false unless negated).
  func accepts(_ order: Int) -> Bool {
    switch self {
    case .less: return order == -1
    case .greater: return order == 1
    case .lessEqual: return order == -1 || order == 0
    case .greaterEqual: return order == 0 || order == 1
    case .notLess, .notGreater, .notLessEqual, .notGreaterEqual: return !negated.accepts(order)
    }
  }
}

/// A comparison; as a condition it answers a Swift Bool without boxing.
final class ComparisonNode: Node {
  let operation: ComparisonOperator
  let left: Node
  let right: Node

  init(_ operation: ComparisonOperator, _ left: Node, _ right: Node, span: Span) {
    self.operation = operation
    self.left = left
    self.right = right
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value { .bool(try test(m, fp)) }

  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    try operation.apply(try left.eval(m, fp), try right.eval(m, fp), span)
  }

  override func negatedComparison() -> Node? { ComparisonNode(operation.negated, left, right, span: span) }
}

/// `(< i 10)`: a local against an Int constant.
final class ComparisonLocalConstantNode: Node {
  let operation: ComparisonOperator
  let slot: Int
  let constant: Int

  init(_ operation: ComparisonOperator, slot: Int, constant: Int, span: Span) {
    self.operation = operation
    self.slot = slot
    self.constant = constant
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value { .bool(try test(m, fp)) }

  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[slot] { return operation.onInts(x, constant) }
    return try operation.compareOutOfLine(fp[slot], .int(constant), span)
  }

  override func negatedComparison() -> Node? {
    ComparisonLocalConstantNode(operation.negated, slot: slot, constant: constant, span: span)
  }
}

/// `(< i n)`: two locals.
final class ComparisonLocalLocalNode: Node {
  let operation: ComparisonOperator
  let left: Int
  let right: Int

  init(_ operation: ComparisonOperator, left: Int, right: Int, span: Span) {
    self.operation = operation
    self.left = left
    self.right = right
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value { .bool(try test(m, fp)) }

  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    try operation.apply(fp[left], fp[right], span)
  }

  override func negatedComparison() -> Node? {
    ComparisonLocalLocalNode(operation.negated, left: left, right: right, span: span)
  }
}

/// `(= a b)`: structural equality.
final class EqualNode: Node {
  let left: InlineOperand
  let right: InlineOperand
  init(_ left: Node, _ right: Node, span: Span) {
    self.left = InlineOperand(left)
    self.right = InlineOperand(right)
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if case .int(let x) = a, case .int(let y) = b { return x == y }
    do { return try Value.checkedEqual(a, b) } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(not x)`.
final class NotNode: Node {
  let operand: Node
  init(_ operand: Node, span: Span) {
    self.operand = operand
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(!(try operand.test(m, fp)))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    !(try operand.test(m, fp))
  }
}

/// A pure two-argument builtin called directly, without pushing arguments (rem, get, nth …).
final class DirectBinaryNode: Node {
  typealias Function = @Sendable (Value, Value) throws -> Value
  /// What the analyzer picks by name: the builtin's function, and for the integer division
  /// family the Int case to run inline.
  struct Operation: Sendable {
    let function: Function
    let inline: IntegerDivision?
  }
  enum IntegerDivision: Sendable {
    case remainder, modulo

    /// nil where the function must answer (division by zero, Int.min / -1).
    @inline(__always) func onInts(_ x: Int, _ y: Int) -> Int? {
      guard y != 0, y != -1 else { return y == -1 ? 0 : nil }
      let remainder = x % y
      switch self {
      case .remainder: return remainder
      case .modulo: return remainder != 0 && (remainder < 0) != (y < 0) ? remainder + y : remainder
      }
    }
  }

  let left: InlineOperand
  let right: InlineOperand
  let function: Function
  let inline: IntegerDivision?

  init(_ left: Node, _ right: Node, operation: Operation, span: Span) {
    self.left = InlineOperand(left)
    self.right = InlineOperand(right)
    self.function = operation.function
    self.inline = operation.inline
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if let inline, case .int(let x) = a, case .int(let y) = b, let result = inline.onInts(x, y) { return .int(result) }
    do { return try function(a, b) } catch let error as OxurError { throw error.located(span) }
  }

  /// The builtins that may be called this way: no machine access, no argument moves.
  static let operations: [String: Operation] = [
    "rem": Operation(function: { try Arithmetic.remainder($0, $1) }, inline: .remainder),
    "mod": Operation(function: { try Arithmetic.modulo($0, $1) }, inline: .modulo),
    "quot": Operation(
      function: { a, b in
        if case .int(let x) = a, case .int(let y) = b { return .int(try Arithmetic.quotient(x, y, "quot")) }
        let y = try Arithmetic.double(b, "quot")
        return .float((try Arithmetic.double(a, "quot") / y).rounded(.towardZero))
      }, inline: nil),
    "/": Operation(function: { try Arithmetic.divide($0, $1) }, inline: nil),
    "get": Operation(function: { Collections.lookup($0, $1, default: .nil) }, inline: nil),
  ]
}
