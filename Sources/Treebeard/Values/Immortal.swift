// Objects that live as long as the process, made immortal so their reference counting writes nothing.

/// Interned symbols and keywords (held by their intern tables for ever) and the prelude's
/// builtins (one table for the process): every node, binding and syntax walk retains them,
/// and a retain or release of an immortal object is a load and a compare instead of an
/// atomic read-modify-write (a quarter of a reload's atomic reference-count operations).
///
/// Limits: only for objects nothing ever frees, made immortal right after they are created
/// and before another thread can see them. A `weak` reference to an immortal object would
/// read as nil; none is ever taken to these.
enum Immortal {
  static func make(_ object: AnyObject) { swiftStdlibImmortalize(object) }
}

/// The Swift runtime's own entry point (exported, used by the standard library for its
/// singletons): were a later runtime to drop it, linking would fail, not the program.
@_silgen_name("_swift_stdlib_immortalize")
private func swiftStdlibImmortalize(_ object: AnyObject)
