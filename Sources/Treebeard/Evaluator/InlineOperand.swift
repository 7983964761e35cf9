// Operands a node evaluates without a node call: a local, an Int constant, a local plus or minus an Int constant.

/// The commonest argument shapes of calls and branches — `n`, `(- n 1)`, `(+ i 1)` — read or
/// computed in place by the node that holds them; anything else (and any case that is not two
/// Ints without overflow) is its node's own `eval`, so errors and spans are the node's.
struct InlineOperand {
  enum Shape {
    case node, local, integer, addConstant, subtractConstant
  }
  let node: Node
  let shape: Shape
  let slot: Int
  let constant: Int

  init(_ node: Node) {
    self.node = node
    if let slot = node.localSlot {
      (shape, self.slot, constant) = (.local, slot, 0)
    } else if case .int(let value)? = node.constantValue {
      (shape, slot, constant) = (.integer, 0, value)
    } else if let arithmetic = node as? ArithmeticLocalConstantNode, arithmetic.operation != .multiply {
      (shape, slot, constant) = (
        arithmetic.operation == .add ? .addConstant : .subtractConstant, arithmetic.slot, arithmetic.constant
      )
    } else {
      (shape, slot, constant) = (.node, 0, 0)
    }
  }

  @inline(__always) func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    switch shape {
    case .local:
      // An Int is copied inline; any other value through the out-of-line copy of a `Value`.
      if case .int(let x) = fp[slot] { return .int(x) }
      return fp[slot]
    case .integer:
      return .int(constant)
    case .addConstant:
      if case .int(let x) = fp[slot] {
        let (result, overflow) = x.addingReportingOverflow(constant)
        if !overflow { return .int(result) }
      }
    case .subtractConstant:
      if case .int(let x) = fp[slot] {
        let (result, overflow) = x.subtractingReportingOverflow(constant)
        if !overflow { return .int(result) }
      }
    case .node:
      break
    }
    return try node.eval(m, fp)
  }
}
