// `(deps m)`, `(unload m)` and `(reload-all :quiet)`: the module graph and leaving it.

import Foundation
import Testing

import Treebeard

@Suite struct DependencyTests {
  @Test func depsPrintsBothDirections() throws {
    let directory = ModuleDirectory()
    directory.write("macs.oxur", "(module macs)\n(defmacro twice [x] `(* 2 ~x))\n")
    directory.write("mathx.oxur", "(module mathx)\n(defn sq [x] (* x x))\n")
    let app = directory.write(
      "app.oxur", "(module app)\n(import mathx)\n(import macs)\n(defn f [x] (macs:twice (mathx:sq x)))\n")
    let output = BufferedOutput()
    let interpreter = Interpreter(output: output, errorOutput: BufferedOutput())
    try interpreter.load(path: app)
    _ = output.take()
    try interpreter.eval("(deps app) (deps macs)")
    #expect(
      output.take() == """
        app (version 1)
          imports:         macs, mathx
          imported by:     -
          uses macros of:  macs
          macros used by:  -
        macs (version 1)
          imports:         -
          imported by:     app
          uses macros of:  -
          macros used by:  app

        """)
    #expect(throws: OxurError.self) { try interpreter.eval("(deps nosuch)") }
  }

  /// Struct layouts are compile-time edges like macros: `(deps)` shows them, and a reload of
  /// the struct's module re-analyzes the constructors' modules (both `:refer`-free qualified use
  /// from two modules) in the same transaction.
  @Test func structLayoutsAreDependencyEdges() throws {
    let directory = ModuleDirectory()
    let geo = directory.write("geo.oxur", "(module geo)\n(defstruct Point x y)\n")
    let a = directory.write("a.oxur", "(module a)\n(import geo)\n(defn mk [] (struct geo:Point :x 1 :y 2))\n")
    let b = directory.write("b.oxur", "(module b)\n(import geo :as g)\n(defn mk [] (struct g:Point :x 3 :y 4))\n")
    let output = BufferedOutput()
    let interpreter = Interpreter(output: output, errorOutput: BufferedOutput())
    try interpreter.load(path: a)
    try interpreter.load(path: b)
    _ = output.take()
    try interpreter.eval("(deps geo)")
    #expect(
      output.take() == """
        geo (version 1)
          imports:         -
          imported by:     a, b
          uses macros of:  -
          macros used by:  -
          uses structs of: -
          structs used by: a, b

        """)
    directory.write("geo.oxur", "(module geo)\n(defstruct Point x y)\n(defn extra [] 1)\n")
    try interpreter.eval("(reload \"\(geo)\")")
    let report = output.take()
    #expect(report.contains("  ↳ a (version 2, re-analyzed: it constructs structs of geo)"), "\(report)")
    #expect(report.contains("  ↳ b (version 2, re-analyzed: it constructs structs of geo)"), "\(report)")
  }

  /// A macro change reaches a user that names it qualified and one that took it with `:refer`,
  /// in the same transaction as the macro's module.
  @Test func macroChangeReachesQualifiedAndReferUsers() throws {
    let directory = ModuleDirectory()
    let macs = directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n")
    let qualified = directory.write("q.oxur", "(module q)\n(import macs)\n(defn f [] (macs:tag 1))\n")
    let referred = directory.write("r.oxur", "(module r)\n(import macs :refer [tag])\n(defn f [] (tag 2))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: qualified)
    try interpreter.load(path: referred)
    directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v2 ~x])\n")
    let outcome = try interpreter.reload(path: macs)
    #expect(Set(outcome.dependents.map(\.module)) == ["q", "r"])
    #expect(outcome.dependents.allSatisfy { $0.reason == .usesChangedMacros })
    #expect(try interpreter.eval("[(q:f) (r:f)]").printed == "[[:v2 1] [:v2 2]]")
  }

  /// A module nothing imports can be unloaded (a renamed module stops warning); one that is
  /// imported is refused, naming the importers.
  @Test func unloadRemovesAModuleNothingImports() throws {
    let directory = ModuleDirectory()
    directory.write("mathx.oxur", "(module mathx)\n(defn sq [x] (* x x))\n")
    let app = directory.write("app.oxur", "(module app)\n(import mathx)\n(defn f [x] (mathx:sq x))\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: app)
    do {
      try interpreter.eval("(unload mathx)")
      Issue.record("an imported module was unloaded")
    } catch let error as OxurError {
      #expect(error.message == "cannot unload mathx: app imports it")
    }
    _ = output.take()
    try interpreter.eval("(unload app)")
    #expect(output.take() == "✓ Unloaded module: app (was version 1)\n")
    #expect(interpreter.modules().map(\.name) == ["mathx", "user"])
    do {
      _ = try interpreter.eval("(app:f 2)")
      Issue.record("an unloaded module answered")
    } catch let error as OxurError {
      #expect(error.message.contains("module app is not loaded"))
    }
    // The file's header renamed: after unloading the old module, reload-all no longer warns.
    directory.write("app.oxur", "(module app2)\n(defn f [] 1)\n")
    try interpreter.eval("(reload-all)")
    #expect(errors.take() == "")
    #expect(throws: OxurError.self) { try interpreter.eval("(unload user)") }
  }

  @Test func reloadAllQuietReturnsWhatItCommitted() throws {
    let directory = ModuleDirectory()
    let a = directory.write("a.oxur", "(module a)\n(defn f [] 1)\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: a)
    _ = output.take()
    #expect(try interpreter.eval("(reload-all :quiet)").printed == "[]")
    directory.write("a.oxur", "(module a)\n(defn f [] 2)\n")
    #expect(try interpreter.eval("(reload-all :quiet)").printed == "[\"a\"]")
    #expect(output.take() == "")
    directory.write("a.oxur", "(module a)\n(defn f [] (\n")
    #expect(try interpreter.eval("(reload-all :quiet)") == .nil)
  }
}
