// `(conj collection item)`: the prelude's `conj` of one item, without a builtin call around it.

import OxurSyntax

/// `(conj coll item)` with the prelude's `conj` (a module's own `conj` resolves elsewhere and
/// never gets here). The builtin call pushed both operands onto the value stack, called the
/// builtin's closure and popped them again, about half of each element's cost when a loop
/// builds a vector; here the operands go straight to `Collections.conj(moving:_:)`, the
/// builtin's own two-argument path. Errors and their stack trace read as
/// the builtin's (`Machine.builtinFailed`).
final class ConjNode: Node {
  let collection: InlineOperand
  let item: InlineOperand

  init(collection: Node, item: Node, span: Span) {
    self.collection = InlineOperand(collection)
    self.item = InlineOperand(item)
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    do {
      return try Collections.conj(moving: try collection.eval(m, fp), try item.eval(m, fp))
    } catch let error as OxurError {
      throw m.builtinFailed(error, "conj", span)
    }
  }
}
