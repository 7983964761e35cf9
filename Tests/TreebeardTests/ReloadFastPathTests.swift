// The cheaper paths a full reload takes (issue 12 item 3): each gives the answers the slower code gave.

import Foundation
import Testing

@testable import OxurSyntax
@testable import Treebeard

@Suite struct ReloadFastPathTests {
  /// Interning finds the module separator and hashes in one pass: only the first `:` splits, and
  /// only between a module and a name, exactly as the separate search did.
  @Test func internSplitsOnlyAtTheFirstInnerColon() {
    #expect(Symbol.intern("calc:add") === Symbol.intern("add", module: "calc"))
    #expect(Symbol.intern("calc:add").module == "calc")
    #expect(Symbol.intern("calc:add").name == "add")
    // A leading colon is the first colon: no split, even with a later one.
    #expect(Symbol.intern(":a:b").module == nil)
    #expect(Symbol.intern(":a:b").name == ":a:b")
    // A trailing colon does not split.
    #expect(Symbol.intern("tail:").module == nil)
    // The first inner colon splits; the rest belongs to the name.
    #expect(Symbol.intern("m::n").module == "m")
    #expect(Symbol.intern("m::n").name == ":n")
    #expect(Symbol.intern("a:b:c").module == "a")
    #expect(Symbol.intern("a:b:c").name == "b:c")
    #expect(Symbol.intern("ünï:cödé").module == "ünï")
    #expect(Symbol.intern("").name == "")
    #expect(Symbol.intern("plain") === Symbol.intern("plain"))
    #expect(Symbol.intern("plain") !== Symbol.intern("plain2"))
    #expect(Keyword.intern("k") === Keyword.intern("k"))
    #expect(Keyword.intern("k") !== Keyword.intern("k2"))
  }

  /// Map iteration order depends on these hashes: they stay the FNV-1a of the qualified name.
  @Test func internedHashesAreTheStableHashesOfTheirNames() {
    for name in ["x", "calc:add", "a-much-longer-name-than-fifteen-bytes", "ünï:cödé"] {
      let symbol = Symbol.intern(name)
      #expect(symbol.stableHash == stableStringHash(symbol.qualifiedName) &+ 0x5bd1_e995, "\(name)")
    }
    #expect(Keyword.intern("key").stableHash == stableStringHash("key") &+ 0x27d4_eb2d)
  }

  /// The analyzer's symbol cache answers what the intern table does, through evictions (more
  /// names than slots), for names that differ only in trailing NULs, long names and qualified ones.
  @Test func theSymbolCacheAnswersAsTheInternTable() {
    var cache = SymbolCache()
    let names =
      (0..<300).map { "name\($0)" } + ["a", "a\u{0}", "a\u{0}\u{0}", "", "a-name-longer-than-fifteen", "calc:add", "é"]
    for _ in 0..<2 {
      for name in names { #expect(cache.symbol(name) === Symbol.intern(name), "\(name)") }
    }
    #expect(cache.symbol("calc:add").module == "calc")
  }

  @Test func nameTablesAnswerLikeTheDictionariesTheyCopy() {
    for name in SpecialForms.table.keys { #expect(SpecialForms.lookup[name] != nil, "\(name)") }
    for name in CoreMacros.table.keys { #expect(CoreMacros.lookup[name] != nil, "\(name)") }
    for name in ["", "defn ", "DEF", "fn?", "ifx", "lett", "x", "+"] {
      #expect((SpecialForms.lookup[name] != nil) == (SpecialForms.table[name] != nil), "\(name)")
      #expect((CoreMacros.lookup[name] != nil) == (CoreMacros.table[name] != nil), "\(name)")
    }
    // Names of every length, short (filtered by length and last byte first) and long, ASCII or not.
    let words = (1...20).map { String("abcdefghijklmnopqrstu".prefix($0)) } + ["é", "héllo", "ü+", "∑"]
    let table = Dictionary(uniqueKeysWithValues: words.enumerated().filter { $0.offset % 3 == 0 }.map { ($1, $0) })
    let lookup = NameTable(table)
    for name in words + words.map({ $0 + "x" }) + words.map({ "x" + $0 }) + [""] {
      #expect(lookup[name] == table[name], "\(name)")
    }
    var names: NameSet = []
    #expect(!names.contains("a"))
    let first = names.insert("a")
    let second = names.insert("a")
    #expect(first)
    #expect(!second)
    #expect(names.contains("a"))
    #expect(!names.contains("b"))
    #expect(!names.contains(""))
    #expect(names.count == 1)
  }

  @Test func gensymsAreRecognisedByTheirShapeOnly() {
    for name in ["x__12__auto__", "G__7", "__1", "value__3__auto__"] {
      #expect(SyntaxHash.isGensym(name), "\(name)")
    }
    for name in ["f123", "x_1", "__auto__", "x__auto__", "a__", "", "1", "x__12__auto_", "__"] {
      #expect(!SyntaxHash.isGensym(name), "\(name)")
    }
    // Small strings are decided from their words, longer ones from their bytes: every length.
    for length in 0...20 {
      let stem = String(repeating: "q", count: max(0, length - 3))
      for suffix in ["__7", "ab_", "abc", "a_1", "__x"].map({ String($0.suffix(min(length, 3))) }) {
        let name = stem + suffix
        let fromBytes = Array(name.utf8).withUnsafeBufferPointer { SyntaxHash.isGensym(bytes: $0) }
        #expect(SyntaxHash.isGensym(name) == fromBytes, "\(name)")
        #expect(SyntaxHash.isGensym(name, layoutVerified: false) == fromBytes, "\(name)")
      }
    }
  }

  /// A symbol is looked up by its name, from the hash it keeps when it is unqualified.
  @Test func nameSetsFindSymbolsByTheirNames() {
    var names: NameSet = ["add", "a-long-name-of-thirty-bytes-x", "é", "calc:add"]
    names.insert("x")
    for (text, expected) in [
      ("add", true), ("x", true), ("é", true), ("a-long-name-of-thirty-bytes-x", true), ("y", false),
    ] {
      #expect(names.contains(Symbol.intern(text)) == expected, "\(text)")
      #expect(names.contains(Symbol.intern(text)) == names.contains(text), "\(text)")
    }
    // A qualified symbol asks for its name part, as `contains(symbol.name)` did.
    #expect(names.contains(Symbol.intern("add", module: "calc")))
    #expect(!names.contains(Symbol.intern("sub", module: "calc")))
  }

  /// The names a definition asked about as macros are kept as bits: never a false "not asked".
  @Test func macroNameBitsNeverForgetANameAsked() {
    var bits = MacroNameBits()
    #expect(bits.isEmpty)
    let names = (0..<40).map { "name\($0)" } + ["+", "defn", "a-rather-long-function-name", "é"]
    for name in names { bits.insert(name) }
    #expect(!bits.isEmpty)
    for name in names { #expect(bits.mayContain(name), "\(name)") }
    #expect(!MacroNameBits().mayContain("+"))
  }

  /// A definition as read is fingerprinted from the reader's hash, without a walk; a walk of
  /// the same form (a macro's output, a form read again) gives the same fingerprint, so a diff
  /// never depends on which way a version came.
  @Test func fingerprintsFromTheReadersHashEqualTheWalks() throws {
    let text = """
      (defn f [x] (+ x 1))
      (defn g "doc" [x] -> Int x)
      (defn h "doc" {:added 2} ([x] x) ([x y] y))
      (def k (fn [x] x))
      (def n "doc" (fn ([x] x)))
      (def v [1 2 3])
      (defonce o {:a "b"})
      (defn gensym [x__1__auto__] x__1__auto__)
      """
    let forms = try Reader.readTopLevel(SourceFile(name: "t.oxur", text: text))
    #expect(forms.count == 8)
    for place in forms {
      let form = try #require(place.form)
      let walked = try #require(DefinitionFingerprint.of(form))
      let read = try #require(DefinitionFingerprint.of(form, read: place.hash))
      #expect(walked.hash == read.hash, "\(form.kind)")
      #expect(walked.name === read.name)
    }
    // The gensym is numbered, so its spelling is not part of the fingerprint.
    let renamed = try #require(
      Reader.readAll(SourceFile(name: "u.oxur", text: "(defn gensym [x__9__auto__] x__9__auto__)")).first)
    #expect(DefinitionFingerprint.of(renamed)?.hash == DefinitionFingerprint.of(try #require(forms[7].form))?.hash)
  }

  /// Only macro output nests deeper than the hasher walks (`FingerprintHasher.maximumDepth`):
  /// such a definition counts as changed at every load, so an edit below that depth is never
  /// missed (it used to hash as if empty there, and the edit went unreported).
  @Test func definitionsTooDeepToHashAlwaysCountAsChanged() throws {
    let span = Span.unknown
    func nested(_ depth: Int, leaf: Int) -> Syntax {
      var form = Syntax(.int(leaf), span)
      for _ in 0..<depth { form = .list([form], span) }
      return form
    }
    func definition(_ body: Syntax) -> Syntax {
      .list([.symbol("def", span), .symbol("x", span), .list([.symbol("quote", span), body], span)], span)
    }
    let deep = FingerprintHasher.maximumDepth + 100
    let one = try #require(DefinitionFingerprint.of(definition(nested(deep, leaf: 1))))
    let two = try #require(DefinitionFingerprint.of(definition(nested(deep, leaf: 2))))
    let oneAgain = try #require(DefinitionFingerprint.of(definition(nested(deep, leaf: 1))))
    #expect(one.hash != two.hash && one.hash != oneAgain.hash)
    // The same depth inside a macro's expansion.
    let plain = definition(Syntax(.int(0), span))
    let expandedOne = try #require(DefinitionFingerprint.of(plain, expansions: [nested(deep, leaf: 1)]))
    let expandedOneAgain = try #require(DefinitionFingerprint.of(plain, expansions: [nested(deep, leaf: 1)]))
    #expect(expandedOne.hash != expandedOneAgain.hash)
    // Within the depth, equal forms are one fingerprint and a deep edit is another.
    let shallow = FingerprintHasher.maximumDepth - 10
    let a = try #require(DefinitionFingerprint.of(definition(nested(shallow, leaf: 1))))
    let b = try #require(DefinitionFingerprint.of(definition(nested(shallow, leaf: 1))))
    let c = try #require(DefinitionFingerprint.of(definition(nested(shallow, leaf: 2))))
    #expect(a.hash == b.hash && a.hash != c.hash)
  }

  /// `defn`, its `def`+`fn` spelling and an attribute map are one fingerprint; a change is another.
  @Test func defnAndItsExpansionShareAFingerprint() throws {
    func fingerprint(_ text: String) throws -> UInt64? {
      let place = try #require(Reader.readTopLevel(SourceFile(name: "t.oxur", text: text)).first)
      return DefinitionFingerprint.of(try #require(place.form), read: place.hash)?.hash
    }
    let plain = try fingerprint("(defn f [x] x)")
    #expect(plain != nil)
    #expect(try fingerprint("(def f (fn [x] x))") == plain)
    #expect(try fingerprint("(defn f {:private true} [x] x)") == plain)
    #expect(try fingerprint("(defn f [x] y)") != plain)
    #expect(try fingerprint("(def f (fn self [x] x))") != plain)
    #expect(try fingerprint("(defonce f (fn [x] x))") != plain)
    let documented = try fingerprint("(defn f \"doc\" [x] x)")
    #expect(documented != plain)
    #expect(try fingerprint("(def f \"doc\" (fn [x] x))") == documented)
    #expect(try fingerprint("(defn f \"doc\" {:a 1} [x] x)") == documented)
    // A map that is the last element is the body, not an attribute map.
    #expect(try fingerprint("(defn f [x] {:a 1})") != fingerprint("(defn f [x])"))
  }

  /// Phase times are summed per module before they are filed: a module loaded in the middle of
  /// another's staging (an import) keeps its own times, and so does the importer.
  @Test func nestedLoadsKeepTheirOwnPhaseTimes() throws {
    let directory = ModuleDirectory()
    directory.write("inner.oxur", "(module inner)\n(defn twice [x] (* 2 x))\n")
    let outer = directory.write(
      "outer.oxur", "(module outer)\n(defn before [x] x)\n(import inner)\n(defn after [x] (inner:twice x))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: outer)
    #expect(try interpreter.eval("(outer:after 4)").printed == "8")
    for module in ["inner", "outer"] {
      let phases = try interpreter.eval("(sort (keys (:phases (reload-stats '\(module)))))").printed
      #expect(phases == "[:analyze :commit :evaluate :expand :read]", "\(module): \(phases)")
    }
  }

  /// `defn` is expanded without intermediate arrays: docstrings, attribute maps, arity clauses
  /// and the error for a missing parameter vector are as before.
  @Test func defnExpandsEveryShapeAsBefore() throws {
    let (interpreter, output, _) = bufferedInterpreter()
    _ = try interpreter.eval("(defn documented \"Adds one.\" [x] (+ x 1))")
    #expect(try interpreter.eval("(documented 1)").printed == "2")
    _ = try interpreter.eval("(defn attributed \"Doc.\" {:since 1} [x] (* x 3))")
    #expect(try interpreter.eval("(attributed 2)").printed == "6")
    _ = output.take()
    try interpreter.eval("(doc documented) (doc attributed)")
    let docs = output.take()
    #expect(docs.contains("Adds one."), "\(docs)")
    #expect(docs.contains("Doc."), "\(docs)")
    _ = try interpreter.eval("(defn mapped {:since 1} [x] (* x 5))")
    #expect(try interpreter.eval("(mapped 2)").printed == "10")
    _ = try interpreter.eval("(defn clauses ([] 0) ([x] x) ([x y] (+ x y)))")
    #expect(try interpreter.eval("[(clauses) (clauses 4) (clauses 4 5)]").printed == "[0 4 9]")
    _ = try interpreter.eval("(defn returns-string [x] \"text\")")
    #expect(try interpreter.eval("(returns-string 1)").printed == "\"text\"")
    #expect(throws: OxurError.self) { try interpreter.eval("(defn broken \"only a docstring\")") }
    #expect(throws: OxurError.self) { try interpreter.eval("(defn broken \"doc\" {:a 1})") }
  }

  /// A head that is a local is not a macro call, whatever macros are defined later: the local
  /// wins in the analysis. The `set!` scan used to ask about it as a macro (and recorded that),
  /// so a later macro of that name made the definition analyzed again for nothing; a definition
  /// whose text spells no `set!` now skips the scan, and its code is reused, giving the same answer.
  @Test func aLocalHeadThatLaterNamesAMacroKeepsItsCode() throws {
    let directory = ModuleDirectory()
    let body = "(defn use-local [x] (let [bump (fn [v] (+ v 1))] (bump x)))\n"
    let path = directory.write("locals.oxur", "(module locals)\n\n" + body)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(locals:use-local 1)").printed == "2")
    directory.write("locals.oxur", "(module locals)\n(defmacro bump [v] v)\n" + body)
    try interpreter.reload(path: path)
    let reused = interpreter.runtime.lock.withLock {
      interpreter.runtime.registry.existingEntry("locals")?.current?.reusedDefinitions
    }
    #expect(reused == 1)
    // The local still wins.
    #expect(try interpreter.eval("(locals:use-local 1)").printed == "2")
  }
}

extension ReloadFastPathTests {
  /// In a module without macros of its own the `set!` scan still expands qualified macro heads:
  /// a local that another module's macro assigns is boxed, so a closure sees the new value.
  @Test func aQualifiedMacroThatAssignsALocalIsStillSeenByTheScan() throws {
    let directory = ModuleDirectory()
    directory.write("bumps.oxur", "(module bumps)\n(defmacro bump! [v] (list 'set! v (list '+ v 1)))\n")
    let path = directory.write(
      "boxes.oxur", "(module boxes)\n(import bumps)\n(defn f [] (let [x 1 g (fn [] x)] (bumps:bump! x) (g)))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(boxes:f)").printed == "2")
  }
}

extension ReloadFastPathTests {
  /// Questions are deduplicated as they are noted; past 32 a set takes over. A question asked
  /// after the 32nd still decides reuse: shadowing a builtin the definition calls last makes
  /// it analyzed again.
  @Test func questionsPastTheThirtySecondStillDecideReuse() throws {
    let directory = ModuleDirectory()
    let calls = (0..<40).map { "(h\($0)) (h\($0))" }.joined(separator: " ")
    let helpers = (0..<40).map { "(defn h\($0) [] \($0))" }.joined(separator: "\n")
    let source = "(module wide)\n(defn big [] [\(calls) (inc 1)])\n\(helpers)\n"
    let path = directory.write("wide.oxur", source)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("[(count (wide:big)) (last (wide:big))]").printed == "[81 2]")
    try interpreter.reload(path: path)
    let version = {
      interpreter.runtime.lock.withLock { interpreter.runtime.registry.existingEntry("wide")?.current }
    }
    #expect(version()?.reusedDefinitions == 41)
    directory.write("wide.oxur", source + "(defn inc [x] 100)\n")
    try interpreter.reload(path: path)
    #expect(version()?.reusedDefinitions == 40)
    #expect(try interpreter.eval("(last (wide:big))").printed == "100")
  }
}

extension ReloadFastPathTests {
  /// Locals are a list searched from the end, and dictionaries per block past 32: shadowing,
  /// blocks that close, and captures made while inner blocks are open resolve the same way in
  /// both (the program is run with few locals and with many).
  @Test func scopesResolveAlikeWithFewAndManyLocals() throws {
    for count in [3, 31, 32, 33, 80] {
      let bindings = (0..<count).map { "v\($0) \($0)" }.joined(separator: " ")
      let program = """
        (defn probe []
          (let [\(bindings) x 1]
            (let [x 2 inner (fn [] [x v0])]
              (let [x 3]
                [x (inner) (let [x 4] x) x ((fn [] (+ x v\(count - 1))))]))))
        """
      let (interpreter, _, _) = bufferedInterpreter()
      _ = try interpreter.eval(program)
      #expect(try interpreter.eval("(probe)").printed == "[3 [2 0] 4 3 \(3 + count - 1)]", "\(count) locals")
      // After the inner lets close, the outer x is 1 again; a capture of it still works.
      _ = try interpreter.eval(
        "(defn after [] (let [\(bindings) x 1] (let [x 2] x) (let [y (let [x 5] x)] [x y ((fn [] x)) v\(count - 1)])))")
      #expect(try interpreter.eval("(after)").printed == "[1 5 1 \(count - 1)]", "\(count) locals")
    }
  }
}

extension ReloadFastPathTests {
  /// A reload bumps the own version of exactly the definitions it changed (compared by
  /// fingerprint at commit), and carries the others' numbers.
  /// A definition written by a top-level user macro is fingerprinted from its expansion, not
  /// from the reader's hash of the call: changing the macro changes the definition.
  @Test func aDefinitionAHeadMacroWritesChangesWithTheMacro() throws {
    let directory = ModuleDirectory()
    let source = { (body: String) in "(module hm)\n(defmacro defmy [n v] \(body))\n(defmy f 1)\n(defn g [] 2)\n" }
    let path = directory.write("hm.oxur", source("(list 'def n v)"))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("hm.oxur", source("(list 'def n (list 'inc v))"))
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.changes.changed.contains("f"), "\(outcome.changes.changed)")
    #expect(!outcome.changes.changed.contains("g"), "\(outcome.changes.changed)")
    #expect(try interpreter.eval("hm:f") == .int(2))
  }

  /// Function contexts are reused between functions: nothing of one (captures, locals, blocks,
  /// `recur` target, slots) reaches the next, nor survives an analysis that failed halfway.
  @Test func reusedFunctionContextsStartEmpty() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    _ = try interpreter.eval("(defn capturing [x] (fn [] x))")
    _ = try interpreter.eval("(defn plain [y] y)")
    #expect(try interpreter.eval("((capturing 5))") == .int(5))
    #expect(try interpreter.eval("(plain 3)") == .int(3))
    // Only the second clause captures.
    _ = try interpreter.eval("(defn later [x] (fn ([] 1) ([y] (+ x y))))")
    #expect(try interpreter.eval("((later 10) 5)") == .int(15))
    #expect(try interpreter.eval("((later 10))") == .int(1))
    // A failure inside a nested function's `let` and `loop`, then functions that use those shapes.
    #expect(throws: (any Error).self) {
      try interpreter.eval("(defn broken [a] (fn [b] (loop [i 0] (let [c] (recur (+ i a))))))")
    }
    _ = try interpreter.eval("(defn countdown [n] (loop [i n acc 0] (if (< i 1) acc (recur (- i 1) (+ acc i)))))")
    #expect(try interpreter.eval("(countdown 4)") == .int(10))
    _ = try interpreter.eval("(defn adder [k] (fn [m] (let [s (+ k m)] s)))")
    #expect(try interpreter.eval("((adder 2) 3)") == .int(5))
    #expect(try interpreter.eval("(plain 7)") == .int(7))
  }

  @Test func aReloadBumpsOnlyTheChangedDefinitionsVersions() throws {
    let directory = ModuleDirectory()
    let source = { (f: Int, g: Int) in "(module bumped)\n(defn f [] \(f))\n(defn g [] \(g))\n(def h 3)\n" }
    let path = directory.write("bumped.oxur", source(1, 1))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    let versions = {
      interpreter.runtime.lock.withLock {
        let current = interpreter.runtime.registry.existingEntry("bumped")?.current
        return ["f", "g", "h"].map { current?.bindings[Symbol.intern($0)]?.version ?? 0 }
      }
    }
    #expect(versions() == [1, 1, 1])
    directory.write("bumped.oxur", source(2, 1))
    try interpreter.reload(path: path)
    #expect(versions() == [2, 1, 1])
    try interpreter.reload(path: path)
    #expect(versions() == [2, 1, 1])
    directory.write("bumped.oxur", source(2, 5))
    try interpreter.reload(path: path)
    #expect(versions() == [2, 2, 1])
  }
}
