// `(rollback)`, `(rollback m)`, `(rollback m n)` and the lines they print.

import Foundation

enum RollbackBuiltins {
  static func register(_ t: inout PreludeTable) {
    // `(rollback calculator 2)`: the `rollback` core macro quotes the bare module name.
    t.define("rollback", 0...2) { m, a in
      let module: String? =
        switch a.count {
        case 0: nil
        default: try Check.moduleName(a[0], "rollback")
        }
      let version = a.count == 2 ? try Check.int(a[1], "rollback") : nil
      do {
        for outcome in try m.runtime.rollback(module: module, to: version, machine: m) {
          // Instances the restored code may not read all of: it silently failed on them later.
          let kept = outcome.migrations.filter(\.keptOldLayout).map(\.summary)
          let keptText = kept.isEmpty ? "" : " (instances keep their layout: \(kept.joined(separator: ", ")))"
          if outcome.stayedLoaded {
            m.output.write(
              "  ↳ \(outcome.module) stays loaded (version \(outcome.version): that commit loaded it first; "
                + "(unload \(outcome.module)) removes it)\n")
          } else if let because = outcome.dependentBecause {
            m.output.write("  ↳ \(outcome.module) (version \(outcome.version), \(because))\(keptText)\n")
          } else if outcome.reexpandedWith.isEmpty {
            m.output.write(
              "✓ Rolled back \(outcome.module) to version \(outcome.restored) (now version \(outcome.version))\(keptText)\n"
            )
          } else {
            let providers = outcome.reexpandedWith.joined(separator: ", ")
            m.output.write(
              "✓ Rolled back \(outcome.module) to version \(outcome.restored) (now version \(outcome.version); "
                + "its text expanded again: the macros of \(providers) it uses are not the ones it was expanded with)"
                + keptText + "\n")
          }
        }
      } catch let failure as LoadFailure {
        if var exit = failure.exit {
          exit.consequences.append(keptLine(failure))
          throw exit
        }
        if m.runtime.transaction != nil { throw failure.error }
        _ = failure.error.located(m.reportSite)
        // A Ctrl-C that stopped the rollback stops the code that asked for it, as for a load:
        // reported once, by whoever reports the interrupt, with what was kept.
        if failure.error.kind == "interrupted" {
          failure.error.consequences.append(keptLine(failure))
          throw failure.error
        }
        let excerpt = failure.error.span.excerpt().map { $0 + "\n" } ?? ""
        m.reportProblem("✗ " + ErrorRenderer.summary(failure.error) + "\n" + excerpt + keptLine(failure) + "\n")
      }
      return .void
    }
  }

  private static func keptLine(_ failure: LoadFailure) -> String {
    let list = failure.kept.map { "\($0.module) v\($0.version)" }.joined(separator: ", ")
    return list.isEmpty ? "✗ Nothing rolled back" : "✗ Nothing rolled back (keeping \(list))"
  }

}
