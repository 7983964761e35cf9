// Specialised nodes for arithmetic and comparison: Int fast paths, operands read inline.

import OxurSyntax

/// `(+ a b)` with any operands.
final class AddNode: Node {
  let left: Node
  let right: Node
  init(_ left: Node, _ right: Node, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if case .int(let x) = a, case .int(let y) = b {
      let (result, overflow) = x.addingReportingOverflow(y)
      if !overflow { return .int(result) }
    }
    do { return try Arithmetic.add(a, b) } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(+ local constant)`: the loop counter shape.
final class AddLocalConstantNode: Node {
  let slot: Int
  let constant: Int
  init(slot: Int, constant: Int, span: Span) {
    self.slot = slot
    self.constant = constant
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if case .int(let x) = fp[slot] {
      let (result, overflow) = x.addingReportingOverflow(constant)
      if !overflow { return .int(result) }
    }
    do { return try Arithmetic.add(fp[slot], .int(constant)) } catch let error as OxurError {
      throw error.located(span)
    }
  }
}

/// `(+ local local)`.
final class AddLocalLocalNode: Node {
  let left: Int
  let right: Int
  init(left: Int, right: Int, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if case .int(let x) = fp[left], case .int(let y) = fp[right] {
      let (result, overflow) = x.addingReportingOverflow(y)
      if !overflow { return .int(result) }
    }
    do { return try Arithmetic.add(fp[left], fp[right]) } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(- a b)` with any operands.
final class SubtractNode: Node {
  let left: Node
  let right: Node
  init(_ left: Node, _ right: Node, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if case .int(let x) = a, case .int(let y) = b {
      let (result, overflow) = x.subtractingReportingOverflow(y)
      if !overflow { return .int(result) }
    }
    do { return try Arithmetic.subtract(a, b) } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(- local constant)`: the loop counter shape.
final class SubtractLocalConstantNode: Node {
  let slot: Int
  let constant: Int
  init(slot: Int, constant: Int, span: Span) {
    self.slot = slot
    self.constant = constant
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if case .int(let x) = fp[slot] {
      let (result, overflow) = x.subtractingReportingOverflow(constant)
      if !overflow { return .int(result) }
    }
    do { return try Arithmetic.subtract(fp[slot], .int(constant)) } catch let error as OxurError {
      throw error.located(span)
    }
  }
}

/// `(- local local)`.
final class SubtractLocalLocalNode: Node {
  let left: Int
  let right: Int
  init(left: Int, right: Int, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if case .int(let x) = fp[left], case .int(let y) = fp[right] {
      let (result, overflow) = x.subtractingReportingOverflow(y)
      if !overflow { return .int(result) }
    }
    do { return try Arithmetic.subtract(fp[left], fp[right]) } catch let error as OxurError {
      throw error.located(span)
    }
  }
}

/// `(* a b)` with any operands.
final class MultiplyNode: Node {
  let left: Node
  let right: Node
  init(_ left: Node, _ right: Node, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if case .int(let x) = a, case .int(let y) = b {
      let (result, overflow) = x.multipliedReportingOverflow(by: y)
      if !overflow { return .int(result) }
    }
    do { return try Arithmetic.multiply(a, b) } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(* local constant)`: the loop counter shape.
final class MultiplyLocalConstantNode: Node {
  let slot: Int
  let constant: Int
  init(slot: Int, constant: Int, span: Span) {
    self.slot = slot
    self.constant = constant
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if case .int(let x) = fp[slot] {
      let (result, overflow) = x.multipliedReportingOverflow(by: constant)
      if !overflow { return .int(result) }
    }
    do { return try Arithmetic.multiply(fp[slot], .int(constant)) } catch let error as OxurError {
      throw error.located(span)
    }
  }
}

/// `(* local local)`.
final class MultiplyLocalLocalNode: Node {
  let left: Int
  let right: Int
  init(left: Int, right: Int, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if case .int(let x) = fp[left], case .int(let y) = fp[right] {
      let (result, overflow) = x.multipliedReportingOverflow(by: y)
      if !overflow { return .int(result) }
    }
    do { return try Arithmetic.multiply(fp[left], fp[right]) } catch let error as OxurError {
      throw error.located(span)
    }
  }
}

/// `(< a b)`; as a condition it answers a Swift Bool without boxing.
final class LessNode: Node {
  let left: Node
  let right: Node
  init(_ left: Node, _ right: Node, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if case .int(let x) = a, case .int(let y) = b { return x < y }
    do {
      let order = try Arithmetic.compare(a, b, "<")
      return order < 0
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(< local constant)`.
final class LessLocalConstantNode: Node {
  let slot: Int
  let constant: Int
  init(slot: Int, constant: Int, span: Span) {
    self.slot = slot
    self.constant = constant
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[slot] {
      let y = constant
      return x < y
    }
    do {
      let order = try Arithmetic.compare(fp[slot], .int(constant), "<")
      return order < 0
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(> a b)`; as a condition it answers a Swift Bool without boxing.
final class GreaterNode: Node {
  let left: Node
  let right: Node
  init(_ left: Node, _ right: Node, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if case .int(let x) = a, case .int(let y) = b { return x > y }
    do {
      let order = try Arithmetic.compare(a, b, ">")
      return order == 1
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(> local constant)`.
final class GreaterLocalConstantNode: Node {
  let slot: Int
  let constant: Int
  init(slot: Int, constant: Int, span: Span) {
    self.slot = slot
    self.constant = constant
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[slot] {
      let y = constant
      return x > y
    }
    do {
      let order = try Arithmetic.compare(fp[slot], .int(constant), ">")
      return order == 1
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(<= a b)`; as a condition it answers a Swift Bool without boxing.
final class LessEqualNode: Node {
  let left: Node
  let right: Node
  init(_ left: Node, _ right: Node, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if case .int(let x) = a, case .int(let y) = b { return x <= y }
    do {
      let order = try Arithmetic.compare(a, b, "<=")
      return order <= 0
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(<= local constant)`.
final class LessEqualLocalConstantNode: Node {
  let slot: Int
  let constant: Int
  init(slot: Int, constant: Int, span: Span) {
    self.slot = slot
    self.constant = constant
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[slot] {
      let y = constant
      return x <= y
    }
    do {
      let order = try Arithmetic.compare(fp[slot], .int(constant), "<=")
      return order <= 0
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(>= a b)`; as a condition it answers a Swift Bool without boxing.
final class GreaterEqualNode: Node {
  let left: Node
  let right: Node
  init(_ left: Node, _ right: Node, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    if case .int(let x) = a, case .int(let y) = b { return x >= y }
    do {
      let order = try Arithmetic.compare(a, b, ">=")
      return order == 0 || order == 1
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(>= local constant)`.
final class GreaterEqualLocalConstantNode: Node {
  let slot: Int
  let constant: Int
  init(slot: Int, constant: Int, span: Span) {
    self.slot = slot
    self.constant = constant
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[slot] {
      let y = constant
      return x >= y
    }
    do {
      let order = try Arithmetic.compare(fp[slot], .int(constant), ">=")
      return order == 0 || order == 1
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(= a b)`: structural equality.
final class EqualNode: Node {
  let left: Node
  let right: Node
  init(_ left: Node, _ right: Node, span: Span) {
    self.left = left
    self.right = right
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

/// `(< local local)`.
final class LessLocalLocalNode: Node {
  let left: Int
  let right: Int
  init(left: Int, right: Int, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[left], case .int(let y) = fp[right] { return x < y }
    do {
      let order = try Arithmetic.compare(fp[left], fp[right], "<")
      return order < 0
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(> local local)`.
final class GreaterLocalLocalNode: Node {
  let left: Int
  let right: Int
  init(left: Int, right: Int, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[left], case .int(let y) = fp[right] { return x > y }
    do {
      let order = try Arithmetic.compare(fp[left], fp[right], ">")
      return order == 1
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(<= local local)`.
final class LessEqualLocalLocalNode: Node {
  let left: Int
  let right: Int
  init(left: Int, right: Int, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[left], case .int(let y) = fp[right] { return x <= y }
    do {
      let order = try Arithmetic.compare(fp[left], fp[right], "<=")
      return order <= 0
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// `(>= local local)`.
final class GreaterEqualLocalLocalNode: Node {
  let left: Int
  let right: Int
  init(left: Int, right: Int, span: Span) {
    self.left = left
    self.right = right
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    .bool(try test(m, fp))
  }
  override func test(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Bool {
    if case .int(let x) = fp[left], case .int(let y) = fp[right] { return x >= y }
    do {
      let order = try Arithmetic.compare(fp[left], fp[right], ">=")
      return order == 0 || order == 1
    } catch let error as OxurError { throw error.located(span) }
  }
}

/// A pure two-argument builtin called directly, without pushing arguments (rem, get, nth …).
final class DirectBinaryNode: Node {
  typealias Operation = @Sendable (Value, Value) throws -> Value
  let left: Node
  let right: Node
  let operation: Operation

  init(_ left: Node, _ right: Node, operation: @escaping Operation, span: Span) {
    self.left = left
    self.right = right
    self.operation = operation
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let a = try left.eval(m, fp)
    let b = try right.eval(m, fp)
    do { return try operation(a, b) } catch let error as OxurError { throw error.located(span) }
  }

  /// The builtins that may be called this way: no machine access, no argument moves.
  static let operations: [String: Operation] = [
    "rem": { try Arithmetic.remainder($0, $1) },
    "mod": { try Arithmetic.modulo($0, $1) },
    "quot": { a, b in
      if case .int(let x) = a, case .int(let y) = b { return .int(try Arithmetic.quotient(x, y, "quot")) }
      let y = try Arithmetic.double(b, "quot")
      return .float((try Arithmetic.double(a, "quot") / y).rounded(.towardZero))
    },
    "/": { try Arithmetic.divide($0, $1) },
    "get": { Collections.lookup($0, $1, default: .nil) },
  ]
}
