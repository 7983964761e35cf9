// A module load skips the `set!` scan only where the source text shows it would find nothing.

import Foundation
import Testing

@testable import Treebeard

@Suite struct AssignmentScanSkipTests {

  @Test func theTextCheckFindsSetAndQualifiedNamesOnly() {
    func may(_ text: String) -> Bool { AssignmentScan.mayFindAssignments(inSource: text, 0..<text.utf8.count) }
    #expect(may("(defn f [] (let [n 0] (set! n 1)))"))
    #expect(may("(set! n 1)"))
    #expect(may("(defn f [] (m:incr! n))"))
    #expect(may("(defn f [] (reset! a 1))"), "reset! spells set!: the scan runs (only a cost)")
    #expect(!may("(defn f [x] (+ x 1 5))"))
    #expect(!may("(defn f [x] {:a x :b [x :c]})"), "keywords are not qualified names")
    #expect(!may("(defn f [x] (swap! a inc) #{:k} '(:q))"))
    // Only the form's own bytes count.
    let text = "(set! n 1)\n(defn f [x] x)"
    let second = text.utf8.count - "(defn f [x] x)".utf8.count
    #expect(!AssignmentScan.mayFindAssignments(inSource: text, second..<text.utf8.count))
    #expect(AssignmentScan.mayFindAssignments(inSource: text, 0..<second))
    // A range outside the text asks for the scan rather than trapping.
    #expect(AssignmentScan.mayFindAssignments(inSource: "abc", 2..<10))
  }

  /// The local a closure assigns is boxed, so the function that made the closure sees the change.
  @Test func aDirectSetOnACapturedLocalIsStillSeen() throws {
    let value = try loadModuleAndEvaluate(
      "(module m)\n(defn count-up [] (let [n 0 f (fn [] (set! n (+ n 1)))] (f) (f) n))\n", "(m:count-up)")
    #expect(value == .int(2))
  }

  /// No `set!` in the definition's text, but an own macro writes one: the scan must run.
  @Test func anOwnMacroWritingSetIsStillSeen() throws {
    let value = try loadModuleAndEvaluate(
      "(module m)\n(defmacro incr! [v] `(set! ~v (+ ~v 1)))\n(defn count-up [] (let [n 0 g (fn [] (incr! n))] (g) (g) n))\n",
      "(m:count-up)")
    #expect(value == .int(2))
  }

  /// Another module's macro, called qualified or referred, writes the `set!`.
  @Test func anotherModulesMacroWritingSetIsStillSeen() throws {
    let macros = ["mac.oxur": "(module mac)\n(defmacro incr! [v] `(set! ~v (+ ~v 1)))\n"]
    let qualified = try loadModuleAndEvaluate(
      "(module m)\n(import mac)\n(defn count-up [] (let [n 0 g (fn [] (mac:incr! n))] (g) (g) (g) n))\n",
      others: macros, "(m:count-up)")
    #expect(qualified == .int(3))
    let referred = try loadModuleAndEvaluate(
      "(module m)\n(import mac :refer [incr!])\n(defn count-up [] (let [n 0 g (fn [] (incr! n))] (g) n))\n",
      others: macros, "(m:count-up)")
    #expect(referred == .int(1))
  }

  /// A reload analyzes the changed definition again under the same rule.
  @Test func aReloadKeepsAssignmentsSeen() throws {
    let directory = ModuleDirectory()
    let (interpreter, _, _) = bufferedInterpreter()
    let path = directory.write("m.oxur", "(module m)\n(defn count-up [] 0)\n")
    try interpreter.load(path: path)
    directory.write("m.oxur", "(module m)\n(defn count-up [] (let [n 5 f (fn [] (set! n (* n 2)))] (f) n))\n")
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(m:count-up)") == .int(10))
  }
}
