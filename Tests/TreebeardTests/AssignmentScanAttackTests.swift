// Hostile module files against the set! scan and its skip: every way a set! reaches a local must box it.

import Foundation
import OxurSyntax
import Testing

@testable import Treebeard

@Suite struct AssignmentScanAttackTests {
  private static let incrementMacro = ["mac.oxur": "(module mac)\n(defmacro incr! [v] `(set! ~v (+ ~v 1)))\n"]

  /// The scan expands user macros to find their `set!`s, and the analysis then ran each macro
  /// again: a macro's side effects happened twice per use (here, a count of expansions). The
  /// analysis now takes the scan's expansion; a `set!` a macro writes still boxes its local.
  @Test func aMacroUseIsExpandedOnceThoughTheScanLooksInsideIt() throws {
    let counter = ["cnt.oxur": "(module cnt)\n(defonce n (atom 0))\n(defmacro noisy [x] (swap! n inc) x)\n"]
    let value = try loadModuleAndEvaluate(
      "(module m)\n(import cnt)\n(defn f [] [(cnt:noisy :a) (cnt:noisy :b)])\n", others: counter,
      "[(m:f) @cnt:n]")
    #expect(value.printed == "[[:a :b] 2]")
    // Threaded in: the scan expands the `->` to see the call it builds; the analysis expanded
    // the `->` again into new calls, and ran the macro once more for each (4, not 2).
    let threaded = try loadModuleAndEvaluate(
      "(module m)\n(import cnt)\n(defn f [] [(-> :a cnt:noisy) (->> :b (cnt:noisy))])\n", others: counter,
      "[(m:f) @cnt:n]")
    #expect(threaded.printed == "[[:a :b] 2]")
    let boxed = try loadModuleAndEvaluate(
      "(module m)\n(import mac)\n(defn count-up [] (let [n 0 g (fn [] (mac:incr! n))] (g) (g) n))\n",
      others: Self.incrementMacro, "(m:count-up)")
    #expect(boxed == .int(2))
  }

  /// The scan's expansions were found by the call's element storage, which a call inside a
  /// `->` the scan built and dropped gave up to the next such call: `(-> 20 (m 2))` took the
  /// expansion of `(-> 10 (m 1))`, and `(-> n incr!)` that of a macro that assigns nothing.
  @Test func callsThreadedIntoAMacroEachGetTheirOwnExpansion() throws {
    let macros = [
      "mac.oxur":
        "(module mac)\n(defmacro m [x y] `(+ ~x ~y))\n(defmacro noop [v] v)\n(defmacro incr! [v] `(set! ~v (+ ~v 1)))\n"
    ]
    let value = try loadModuleAndEvaluate(
      """
      (module t)
      (import mac)
      (defn sums [] [(-> 10 (mac:m 1)) (-> 20 (mac:m 2)) (->> 30 (mac:m 3))])
      (defn bumps [] (let [n 0 g (fn [] (-> n mac:noop) (-> n mac:incr!))] (g) n))

      """, others: macros, "[(t:sums) (t:bumps)]")
    #expect(value.printed == "[[11 22 33] 1]")
  }

  /// `#` is not a reader delimiter, so `k#:incr!` is module `k#`'s macro: the text check took the
  /// `#` for one and skipped the scan, and the closure never saw its own `set!` (0, not 3).
  @Test func aMacroQualifiedByAnAliasEndingInHashIsSeen() throws {
    let value = try loadModuleAndEvaluate(
      "(module m)\n(import mac :as k#)\n(defn count-up [] (let [n 0 g (fn [] (k#:incr! n))] (g) (g) (g) n))\n",
      others: Self.incrementMacro, "(m:count-up)")
    #expect(value == .int(3))
  }

  /// Every qualified symbol the reader reads, whatever byte ends its module name, makes the text
  /// check ask for the scan: the check and the reader agree on what ends a token.
  @Test func theTextCheckSeesEveryQualifiedSymbolTheReaderReads() throws {
    var qualified = 0
    for byte in UInt8(0x21)...UInt8(0x7E) where byte != UInt8(ascii: ":") {
      let token = "a" + String(UnicodeScalar(byte)) + ":f"
      let text = "(x \(token) 1)"
      guard let forms = try? Reader.readAll(SourceFile(name: "t", text: text)), forms.count == 1,
        let items = forms[0].listElements, items.count == 3, case .symbol(let module?, _) = items[1].kind
      else { continue }
      qualified += 1
      #expect(
        AssignmentScan.mayFindAssignments(inSource: text, 0..<text.utf8.count),
        "\(token) reads as a symbol of module \(module)")
    }
    #expect(qualified > 50, "most printable bytes can end a module name")
  }

  /// `->` and `->>` build the user macro call `(incr! n)` the source never spells as a list:
  /// the scan did not expand core macros, so the set! it makes went unboxed (0, not 2).
  @Test func aThreadingMacroThatBuildsAMacroCallIsSeen() throws {
    let text = """
      (module m)
      (defmacro incr! [v] `(set! ~v (+ ~v 1)))
      (defmacro thread-incr! [v] (list '-> v 'incr!))
      (defn first-bare [] (let [n 0 g (fn [] (-> n incr!))] (g) (g) n))
      (defn first-listed [] (let [n 0 g (fn [] (-> n (incr!)))] (g) (g) n))
      (defn last-bare [] (let [n 0 g (fn [] (->> n incr!))] (g) (g) n))
      (defn through-a-macro [] (let [n 0 g (fn [] (thread-incr! n))] (g) (g) n))

      """
    let directory = ModuleDirectory()
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: directory.write("m.oxur", text))
    for name in ["first-bare", "first-listed", "last-bare", "through-a-macro"] {
      #expect(try interpreter.eval("(m:\(name))") == .int(2), "\(name)")
    }
  }

  /// The same through another module's macro, qualified and referred.
  @Test func aThreadingMacroThatBuildsAnotherModulesMacroCallIsSeen() throws {
    let qualified = try loadModuleAndEvaluate(
      "(module m)\n(import mac)\n(defn count-up [] (let [n 0 g (fn [] (-> n mac:incr!))] (g) (g) (g) n))\n",
      others: Self.incrementMacro, "(m:count-up)")
    #expect(qualified == .int(3))
    let referred = try loadModuleAndEvaluate(
      "(module m)\n(import mac :refer [incr!])\n(defn count-up [] (let [n 0 g (fn [] (->> n incr!))] (g) n))\n",
      others: Self.incrementMacro, "(m:count-up)")
    #expect(referred == .int(1))
  }

  /// A macro that writes `set!` without spelling it, defined in the same top-level `do` as its
  /// user: the form's text gives nothing away, the module's macros must.
  @Test func aMacroDefinedEarlierInTheSameTopLevelDoIsSeen() throws {
    let value = try loadModuleAndEvaluate(
      """
      (module m)
      (do (defmacro incr! [v] (list (symbol (str "se" "t" "!")) v (list '+ v 1)))
          (defn count-up [] (let [n 0 g (fn [] (incr! n))] (g) (g) n)))

      """, "(m:count-up)")
    #expect(value == .int(2))
  }

  /// A reload that starts calling the `#`-aliased macro in a definition that did not before.
  @Test func aReloadIntoAHashAliasedMacroCallIsSeen() throws {
    let directory = ModuleDirectory()
    directory.write("mac.oxur", Self.incrementMacro["mac.oxur"] ?? "")
    let (interpreter, _, _) = bufferedInterpreter()
    let path = directory.write(
      "m.oxur", "(module m)\n(import mac :as k#)\n(defn count-up [] (let [n 0 g (fn [] n)] (g) n))\n")
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(m:count-up)") == .int(0))
    directory.write(
      "m.oxur", "(module m)\n(import mac :as k#)\n(defn count-up [] (let [n 0 g (fn [] (k#:incr! n))] (g) (g) n))\n")
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(m:count-up)") == .int(2))
  }
}
