// (watch), (watch "dir") and (unwatch): the watcher as Oxur builtins, defined by the host.

import Foundation
import Treebeard

public enum WatchBuiltins {
  /// Defines `watch` and `unwatch` in `interpreter`'s `user` module; returns their watcher.
  @discardableResult
  public static func install(in interpreter: Interpreter, options: WatchOptions = WatchOptions()) -> Watcher {
    let watcher = Watcher(interpreter: interpreter, options: options)
    interpreter.define(
      name: "watch",
      value: .builtin(
        Builtin("watch", arity: 0...1) { [weak interpreter] _, arguments in
          if arguments.count == 1 {
            guard case .string(let directory) = arguments[0] else {
              throw OxurError("type", "watch: expected a directory name (a string), got \(arguments[0].printed)")
            }
            // The system would stop at a NUL and watch another directory than the one named.
            if directory.value.utf8.contains(0) {
              throw OxurError("io", "watch: a path cannot contain a NUL character")
            }
            try watcher.watch(directory: directory.value)
          } else {
            try watcher.watchLoadedModules()
          }
          let count = watcher.directories.count
          interpreter?.runtime.output.write(
            "👁 Watching \(count) director\(count == 1 ? "y" : "ies") (\(watcher.options.backend.rawValue)); (unwatch) stops\n"
          )
          return .nil
        }))
    interpreter.define(
      name: "unwatch",
      value: .builtin(
        Builtin("unwatch", arity: 0...0) { _, _ in
          watcher.stop()
          return .nil
        }))
    return watcher
  }
}
