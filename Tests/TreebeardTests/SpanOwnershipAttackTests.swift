// Attacks on span ownership: errors raised after the only owner of their file was let go.

import OxurSyntax
import Testing

@testable import Treebeard

@Suite struct SpanOwnershipAttackTests {
  /// Evaluates `source` expecting an error and returns its rendering.
  private func failure(_ interpreter: Interpreter, _ source: String) throws -> String {
    do {
      _ = try interpreter.eval(source)
    } catch let error as OxurError {
      return ErrorRenderer.render(error)
    }
    Issue.record("no error from \(source)")
    return ""
  }

  @Test func aRolledBackVersionKeepsTheTextItsUsesPointInto() throws {
    let directory = ModuleDirectory()
    let (interpreter, _, _) = bufferedInterpreter()
    interpreter.runtime.registry.historyLimit = 1
    let lib = directory.write("lib.oxur", "(module lib)\n(defn f [x] x)\n")
    // No definitions: nothing but the module version owns the text of each load of app.
    let app = directory.write("app.oxur", "(module app)\n(import lib :refer [f])\n(f 1)\n")
    try interpreter.load(path: app)
    directory.write("app.oxur", "(module app)\n(import lib :refer [f])\n(f 2)\n")
    try interpreter.reload(path: app)
    // Version 1's code is committed again; version 1 itself leaves the one-version history.
    try interpreter.rollback(module: "app", to: 1)
    directory.write("lib.oxur", "(module lib)\n(defn g [x] x)\n")
    let outcome = try interpreter.reload(path: lib)
    let warnings = outcome.breakageWarnings.joined(separator: "\n")
    #expect(warnings.contains("app.oxur:2"), "\(warnings)")
  }

  @Test func switchingBetweenDefOfFnAndDefnIsNoChange() throws {
    let directory = ModuleDirectory()
    let (interpreter, _, _) = bufferedInterpreter()
    let path = directory.write(
      "m.oxur", "(module m)\n(def f (fn [x] x))\n(def g \"doc\" (fn ([x] x) ([x y] y)))\n(defn h [x] x)\n")
    try interpreter.load(path: path)
    // The same code as defn's expansion, and an attribute map (which the expansion drops).
    directory.write(
      "m.oxur", "(module m)\n(defn f [x] x)\n(defn g \"doc\" {:added 2} ([x] x) ([x y] y))\n(def h (fn [x] x))\n")
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.changes.changed.isEmpty, "\(outcome.changes.changed)")
    // A real edit still shows.
    directory.write("m.oxur", "(module m)\n(defn f [x] x)\n(defn g \"doc\" ([x] x) ([x y] x))\n(def h (fn [x] x))\n")
    #expect(try interpreter.reload(path: path).changes.changed == ["g"])
  }

  @Test func aFunctionOfAVersionThatLeftTheHistoryQuotesThatVersionsText() throws {
    let directory = ModuleDirectory()
    let (interpreter, _, _) = bufferedInterpreter()
    interpreter.runtime.registry.historyLimit = 1
    let path = directory.write("w.oxur", "(module w)\n(defn make []\n  (fn [x]\n    (/ 10 x)))\n")
    try interpreter.load(path: path)
    try interpreter.eval("(def kept (w:make))")
    for round in 2...4 {
      directory.write("w.oxur", "(module w)\n;; round \(round)\n(defn make []\n  (fn [x] (* \(round) x)))\n")
      try interpreter.reload(path: path)
    }
    // Version 1 and its text are gone from the module; the closure made from it still quotes it.
    let text = try failure(interpreter, "(kept 0)")
    #expect(text.contains("w.oxur:4:5"), "\(text)")
    #expect(text.contains("(/ 10 x)"), "\(text)")
  }
}
