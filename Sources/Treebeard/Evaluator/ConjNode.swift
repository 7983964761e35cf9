// `(conj collection item)`: the prelude's `conj` of one item, without a builtin call around it.

import OxurSyntax

/// `(conj coll item)` with the prelude's `conj` (a module's own `conj` resolves elsewhere and
/// never gets here). The builtin call pushed both operands onto the value stack, called the
/// builtin's closure and popped them again, about half of each element's cost when a loop
/// builds a vector; here the operands stay in locals and `Collections.conj(into:)` grows a
/// vector nobody else holds in place, as the builtin did. Errors and their stack trace read as
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
    var result = try collection.eval(m, fp)
    let added = try item.eval(m, fp)
    // The vector moves out of `result` so this holds its only reference when the caller gave
    // it one (a loop's accumulator moved out of its slot), and the item moves into it.
    if case .vector = result, case .vector(var vector) = exchange(&result, with: .nil) {
      if isKnownUniquelyReferenced(&vector) {
        vector.appendInPlace(consume added)
        return .vector(consume vector)
      }
      return .vector(vector.conj(added))
    }
    do {
      try Collections.conj(into: &result, added)
    } catch let error as OxurError {
      throw m.builtinFailed(error, "conj", span)
    }
    return result
  }
}
