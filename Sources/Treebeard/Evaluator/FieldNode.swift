// `(.field value)`: reading a struct field (or a map key) by name.

import OxurSyntax

/// `(.field value)`: a struct field (or a map key).
final class FieldNode: Node {
  let field: Keyword
  let target: Node
  init(field: Keyword, target: Node, span: Span) {
    self.field = field
    self.target = target
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let value = try target.eval(m, fp)
    switch value {
    case .structInstance(let instance):
      if let found = instance.field(field) { return found }
      throw OxurError("unknown-field", "struct \(instance.type.name) has no field \(field.name)", span: span)
    case .map(let map):
      return map.get(.keyword(field)) ?? .nil
    default:
      throw Failure.type("a struct", value, in: ".\(field.name)").located(span)
    }
  }
}
