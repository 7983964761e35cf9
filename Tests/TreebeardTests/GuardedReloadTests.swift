// Guarded reload (issue 9 item 4): a module's --check-- runs against the staged code before the commit.

import Foundation
import Testing

@testable import Treebeard

@Suite struct GuardedReloadTests {
  private func pricing(_ rate: String, check: String) -> String {
    "(module pricing)\n(defn rate [] \(rate))\n(defn price [n] (* n (rate)))\n(defn --check-- [] \(check))\n"
  }

  /// A module loaded by another's `--check--` joined the transaction after the checks had passed
  /// it by: its own `--check--` (here false) never ran and it was committed. A check may not load.
  @Test func aCheckCannotLoadModules() throws {
    let directory = ModuleDirectory()
    let other = directory.write("n.oxur", "(module n)\n(defn --check-- [] false)\n")
    let path = directory.write(
      "geo.oxur", "(module geo)\n(defn mk [] 1)\n(defn --check-- [] (load \(Printer.readable(.string(other)))) true)\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.eval("(load \"\(path)\")")
    let refusal = errors.take()
    #expect(refusal.contains("geo.oxur:3:20: --check-- of geo failed: --check-- of geo cannot load"), "\(refusal)")
    #expect(refusal.contains("✗ Module not loaded: geo"), "\(refusal)")
    #expect(!interpreter.modules().contains { $0.name == "n" || $0.name == "geo" })
    // Caught by the check, the refusal still fails the load: the check passed and committed.
    directory.write(
      "geo.oxur",
      "(module geo)\n(defn mk [] 1)\n(defn --check-- [] (try (load \(Printer.readable(.string(other)))) (catch e nil)) true)\n"
    )
    try interpreter.eval("(load \"\(path)\")")
    let caught = errors.take()
    #expect(caught.contains("geo.oxur:3:25: --check-- of geo cannot load or reload modules"), "\(caught)")
    #expect(caught.contains("✗ Module not loaded: geo"), "\(caught)")
    #expect(!interpreter.modules().contains { $0.name == "n" || $0.name == "geo" })
  }

  @Test func aPassingCheckCommitsAndIsReported() throws {
    let directory = ModuleDirectory()
    let path = directory.write("pricing.oxur", pricing("2", check: "(= (price 10) 20)"))
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.eval("(load \"\(path)\")")
    #expect(output.take() == "✓ Loaded module: pricing (version 1) (--check-- passed)\n")
    directory.write("pricing.oxur", pricing("3", check: "(= (price 10) 30)"))
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.checked)
    #expect(outcome.version == 2)
    #expect(try interpreter.eval("(pricing:price 10)").printed == "30")
  }

  /// The check sees the staged code (its calls are late-bound to the staged version); false,
  /// nil or a throw abort the whole transaction with the check's message.
  @Test func aFailingCheckAbortsTheReload() throws {
    let directory = ModuleDirectory()
    let path = directory.write("pricing.oxur", pricing("2", check: "(= (price 10) 20)"))
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    for (check, message) in [
      ("(= (price 10) 20)", "--check-- of pricing returned false"),
      ("nil", "--check-- of pricing returned nil"),
      ("(throw {:reason :negative})", "--check-- of pricing failed:"),
      ("(assert (> (rate) 0) \"rates are positive\")", "--check-- of pricing failed: assertion failed"),
    ] {
      directory.write("pricing.oxur", pricing("-1", check: check))
      _ = output.take()
      try interpreter.eval("(reload \"\(path)\")")
      let report = errors.take()
      #expect(report.contains(message), "\(report)")
      #expect(report.hasSuffix("✗ Module not reloaded (keeping version 1)\n"), "\(report)")
      #expect(output.take() == "")
      #expect(try interpreter.eval("(pricing:price 10)").printed == "20")
      #expect(interpreter.modules().first { $0.name == "pricing" }?.version == 1)
    }
  }

  /// A reload-all with a failing check in one module commits none of them.
  @Test func aFailingCheckAbortsEveryModuleOfTheTransaction() throws {
    let directory = ModuleDirectory()
    let a = directory.write("a.oxur", "(module a)\n(defn f [] 1)\n")
    let b = directory.write("b.oxur", "(module b)\n(defn g [] 1)\n(defn --check-- [] (= (g) 1))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: a)
    try interpreter.load(path: b)
    directory.write("a.oxur", "(module a)\n(defn f [] 2)\n")
    directory.write("b.oxur", "(module b)\n(defn g [] 2)\n(defn --check-- [] (= (g) 1))\n")
    #expect(throws: LoadFailure.self) { try interpreter.reloadAll() }
    #expect(try interpreter.eval("[(a:f) (b:g)]").printed == "[1 1]")
  }
}
