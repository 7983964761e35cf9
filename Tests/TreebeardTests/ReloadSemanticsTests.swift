// Regression tests for paths that once missed a reload or committed half of one (issues 6 and 7).

import Foundation
import OxurSyntax
import Testing

@testable import Treebeard

@Suite struct ReloadSemanticsTests {
  // MARK: late binding at the moment of the call

  /// The arguments reload the callee's module: the call runs the version committed by then,
  /// for every shape of global call node (1 argument, 2–3 fixed, more, and in tail position).
  @Test func theCalleeIsLookedUpAfterItsArguments() throws {
    let directory = ModuleDirectory()
    let path = directory.path("m.oxur")
    directory.write(
      "m.oxur", "(module m)\n(defn f [x] [:v1 x])\n(defn g [a b] [:v1 a b])\n(defn h [a b c d] [:v1 a b c d])\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write(
      "m.oxur", "(module m)\n(defn f [x] [:v2 x])\n(defn g [a b] [:v2 a b])\n(defn h [a b c d] [:v2 a b c d])\n")
    let reload = "(do (reload \"\(path)\") 1)"
    #expect(try interpreter.eval("(m:f \(reload))").printed == "[:v2 1]")
    directory.write(
      "m.oxur", "(module m)\n(defn f [x] [:v3 x])\n(defn g [a b] [:v3 a b])\n(defn h [a b c d] [:v3 a b c d])\n")
    #expect(try interpreter.eval("(m:g 0 \(reload))").printed == "[:v3 0 1]")
    directory.write(
      "m.oxur", "(module m)\n(defn f [x] [:v4 x])\n(defn g [a b] [:v4 a b])\n(defn h [a b c d] [:v4 a b c d])\n")
    #expect(try interpreter.eval("(m:h 0 0 0 \(reload))").printed == "[:v4 0 0 0 1]")
    directory.write("m.oxur", "(module m)\n(defn f [x y] [:v5 x y])\n")
    #expect(try interpreter.eval("((fn [] (m:f \(reload) 2)))").printed == "[:v5 1 2]")
    #expect(!errors.take().contains("✗"))
  }

  /// A function reference stored in data resolves at the call too.
  @Test func aReferenceIsResolvedAfterItsArguments() throws {
    let directory = ModuleDirectory()
    let path = directory.write("m.oxur", "(module m)\n(defn f [x] [:v1 x])\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def r m:f)")
    directory.write("m.oxur", "(module m)\n(defn f [x] [:v2 x])\n")
    #expect(try interpreter.eval("(r (do (reload \"\(path)\") 1))").printed == "[:v2 1]")
  }

  /// `set!` of a global evaluates the value first: a reload inside it must not send the write
  /// into the replaced version's cell.
  @Test func setOfAGlobalWritesTheCellCurrentAfterItsValue() throws {
    let directory = ModuleDirectory()
    let source = "(module m)\n(defonce counter 0)\n(defn bump! [f] (set! counter (f counter)))\n"
    let path = directory.write("m.oxur", source)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(m:bump! inc)")
    directory.write("m.oxur", source + "(defn extra [] 1)\n")
    let result = try interpreter.eval("(m:bump! (fn [c] (reload \"\(path)\") (+ c 100)))")
    #expect(result.printed == "101")
    #expect(try interpreter.eval("m:counter").printed == "101")
    #expect(try interpreter.eval("(m:extra)").printed == "1")
  }

  // MARK: what changes resolution

  /// An `export` added in place makes sites that already reached an unexported name fail.
  @Test func anExportChangeInvalidatesCallSites() throws {
    let directory = ModuleDirectory()
    let path = directory.write("mathx.oxur", "(module mathx)\n(defn square [x] (* x x))\n(defn secret [] 42)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(defn peek [] (mathx:secret))")
    #expect(try interpreter.eval("(peek)").printed == "42")
    try interpreter.eval("(in-module mathx) (export square) (in-module user)")
    do {
      _ = try interpreter.eval("(peek)")
      Issue.record("a call site kept reaching an unexported name")
    } catch let error as OxurError {
      #expect(error.message == "secret is not exported by module mathx")
    }
    #expect(try interpreter.eval("(mathx:square 3)").printed == "9")
  }

  /// A typo in a qualified name or a `:refer` of a loaded module fails the load itself.
  @Test func loadsCheckQualifiedAndReferredNames() throws {
    let directory = ModuleDirectory()
    directory.write("mathx.oxur", "(module mathx)\n(export square)\n(defn square [x] (* x x))\n(defn hidden [] 0)\n")
    let referTypo = directory.write("a.oxur", "(module a)\n(import mathx :refer [sqare])\n(defn f [] 1)\n")
    let qualifiedTypo = directory.write("b.oxur", "(module b)\n(import mathx)\n(defn f [] (mathx:nonexistent 2))\n")
    let unexported = directory.write("c.oxur", "(module c)\n(import mathx)\n(defn f [] (mathx:hidden))\n")
    let fine = directory.write("d.oxur", "(module d)\n(import mathx :refer [square])\n(defn f [] (square 3))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    for (path, message, line) in [
      (referTypo, "unknown name: mathx:sqare (module mathx defines no sqare; did you mean mathx:square?)", 2),
      (qualifiedTypo, "unknown name: mathx:nonexistent (module mathx defines no nonexistent)", 3),
      (unexported, "hidden is not exported by module mathx", 3),
    ] {
      do {
        try interpreter.load(path: path)
        Issue.record("\(path) loaded")
      } catch let failure as LoadFailure {
        #expect(failure.error.message == message)
        #expect(failure.error.span.line == line)
      }
    }
    // mathx was imported by those loads, so it went with them.
    #expect(interpreter.modules().map(\.name).sorted() == ["user"])
    try interpreter.load(path: fine)
    #expect(try interpreter.eval("(d:f)").printed == "9")
  }

  // MARK: nested loads and failed loads

  /// A nested reload that fails fails the outer one: neither commits, and the nested one does
  /// not announce a version of its own.
  @Test func aFailingNestedLoadFailsTheOuterLoad() throws {
    let directory = ModuleDirectory()
    let b = directory.write("b.oxur", "(module b)\n(defn g [] :b1)\n")
    let a = directory.write("a.oxur", "(module a)\n(defn f [] :a1)\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: b)
    try interpreter.load(path: a)
    directory.write("b.oxur", "(module b)\n(defn g [] :b2\n")
    for body in ["(reload \"\(b)\")", "(try (reload \"\(b)\") (catch e nil))"] {
      directory.write("a.oxur", "(module a)\n\(body)\n(defn f [] :a2)\n")
      _ = output.take()
      _ = errors.take()
      try interpreter.eval("(reload \"\(a)\")")
      let printed = errors.take()
      #expect(printed.contains("b.oxur:2"), "\(printed)")
      #expect(printed.contains("✗ Module not reloaded (keeping version 1)"), "\(printed)")
      #expect(!output.take().contains("✓"))
      #expect(try interpreter.eval("[(a:f) (b:g)]").printed == "[:a1 :b1]")
      #expect(interpreter.modules().map(\.version) == [1, 1, 1])
    }
    // A nested load that works commits with the outer one and is reported under it.
    directory.write("b.oxur", "(module b)\n(defn g [] :b2)\n")
    directory.write("a.oxur", "(module a)\n(reload \"\(b)\")\n(defn f [] :a2)\n")
    _ = output.take()
    try interpreter.eval("(reload \"\(a)\")")
    #expect(
      output.take().maskingTimings == "✓ Reloaded module: a (version 2, _ ms) ~f\n  ↳ b (version 2, loaded by a) ~g\n")
    #expect(try interpreter.eval("[(a:f) (b:g)]").printed == "[:a2 :b2]")
  }

  /// A failed load that ran `(in-module …)` leaves the REPL in the module it was in.
  @Test func aFailedLoadRestoresTheCurrentModule() throws {
    let directory = ModuleDirectory()
    let path = directory.write("im.oxur", "(module im)\n(in-module zzz)\n(def x 1)\n(/ 1 0)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.eval("(load \"\(path)\")")
    try interpreter.eval("(defn after [] :here)")
    #expect(try interpreter.eval("(user:after)").printed == ":here")
    #expect(interpreter.runtime.currentModule == "user")
    #expect(interpreter.modules().map(\.name) == ["user"])
  }

  /// `(exit n)` at a loaded module's top level ends the program with n, through the REPL and run.
  @Test func exitInALoadedModuleEndsTheProgram() throws {
    let directory = ModuleDirectory()
    let quitter = directory.write("quitter.oxur", "(module quitter)\n(println \"bye\")\n(exit 7)\n")
    let main = directory.write(
      "app.oxur", "(module app)\n(load \"\(quitter)\")\n(defn main [] (println \"not here\"))\n")
    let piped = try Executable.run([], stdin: "(load \"\(quitter)\")\n(println \"after\")\n")
    #expect(piped.status == 7)
    #expect(piped.stdout == "bye\n")
    #expect(!piped.stderr.contains("Error"))
    let run = try Executable.run(["run", main])
    #expect(run.status == 7)
    #expect(run.stdout == "bye\n")
  }

  /// Re-expanding a macro user re-reads its file like any load: a file that now declares
  /// another module is not read into the old one. The module is expanded again from the text
  /// its version was loaded from: kept with the old expansions, it could call what the new
  /// macros no longer define.
  @Test func aRenamedMacroUserIsNotReadIntoItsOldModule() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro twice [x] `(* 2 ~x))\n")
    let client = directory.write("client.oxur", "(module client)\n(import macs)\n(defn f [x] (macs:twice x))\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: client)
    directory.write("client.oxur", "(module renamed)\n(import macs)\n(defn f [x] (macs:twice (+ x 1)))\n")
    directory.write("macs.oxur", "(module macs)\n(defmacro twice [x] `(* 3 ~x))\n")
    _ = output.take()
    try interpreter.eval("(reload \"\(macros)\")")
    #expect(output.take().maskingTimings.hasPrefix("✓ Reloaded module: macs (version 2, _ ms) ~twice\n"))
    #expect(
      errors.take()
        == "⚠ \(client) now declares module renamed; client is expanded again from the text version 1 was loaded from\n"
    )
    #expect(interpreter.modules().first { $0.name == "client" }?.version == 2)
    #expect(try interpreter.eval("(client:f 5)").printed == "15")
    #expect(interpreter.modules().contains { $0.name == "renamed" } == false)
  }

  /// A macro user whose file was deleted kept its expansions of the old macros, which called a
  /// helper the reload removed: the next call failed. It is expanded again from its loaded text.
  @Test func aMacroUserWhoseFileWasDeletedIsExpandedWithTheNewMacros() throws {
    let directory = ModuleDirectory()
    let macros = directory.write(
      "macs.oxur", "(module macs)\n(defn helper [x] [:old x])\n(defmacro tag [x] `(macs:helper ~x))\n")
    let client = directory.write("client.oxur", "(module client)\n(import macs)\n(defn f [] (macs:tag 1))\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: client)
    #expect(try interpreter.eval("(client:f)").printed == "[:old 1]")
    try FileManager.default.removeItem(atPath: client)
    directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:new ~x])\n")
    try interpreter.eval("(reload \"\(macros)\")")
    #expect(errors.take().contains("was deleted; client is expanded again from the text version 1 was loaded from"))
    #expect(try interpreter.eval("(client:f)").printed == "[:new 1]")
  }

  // MARK: memory

  /// A call site that is never called again keeps no replaced version alive once that version
  /// has left the bounded history.
  @Test func aSiteDoesNotKeepAnOldVersionAlive() throws {
    let directory = ModuleDirectory()
    let path = directory.write("m.oxur", "(module m)\n(defn f [] 1)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    interpreter.runtime.registry.historyLimit = 1
    try interpreter.load(path: path)
    try interpreter.eval("(defn caller [] (m:f))")
    #expect(try interpreter.eval("(caller)").printed == "1")
    weak let first = interpreter.runtime.registry.existingEntry("m")?.current
    #expect(first != nil)
    for version in 2...4 {
      directory.write("m.oxur", "(module m)\n(defn f [] \(version))\n")
      try interpreter.reload(path: path)
    }
    // Versions leaving the history are freed just after their reload (`RetiredVersions`).
    RetiredVersions.waitForPendingReleases()
    #expect(first == nil, "version 1 outlived the history limit")
    #expect(try interpreter.eval("(caller)").printed == "4")
  }

  /// A version's source text goes with the version: 20,000 reloads must not keep 20,000 copies.
  @Test func sourceTextLeavesWithItsVersion() throws {
    let directory = ModuleDirectory()
    let path = directory.write("m.oxur", "(module m)\n(defn f [] 0)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    interpreter.runtime.registry.historyLimit = 2
    try interpreter.load(path: path)
    weak let firstSource = sourceOfF(interpreter)
    #expect(firstSource != nil)
    for version in 1...5 {
      directory.write("m.oxur", "(module m)\n(defn f [] \(version))\n")
      try interpreter.reload(path: path)
    }
    RetiredVersions.waitForPendingReleases()
    #expect(firstSource == nil, "the first version's source text outlived its version")
    // An error still quotes the current source line.
    directory.write("m.oxur", "(module m)\n(defn f [] (/ 1 0))\n")
    try interpreter.reload(path: path)
    do {
      _ = try interpreter.call(module: "m", function: "f")
      Issue.record("expected division by zero")
    } catch let error as OxurError {
      #expect(error.span.excerpt()?.contains("(defn f [] (/ 1 0))") == true)
    }
  }

  private func sourceOfF(_ interpreter: Interpreter) -> SourceFile? {
    interpreter.runtime.lock.withLock {
      guard
        case .closure(let closure)? = interpreter.runtime.registry.existingEntry("m")?.current?.bindings[
          Symbol.intern("f")]?.value
      else { return nil }
      return closure.lambda.span.file
    }
  }

  /// A loaded module's file that became a directory is treated like a deleted file: it does
  /// not block `reload-all` of the other modules.
  @Test func aModuleFileThatBecameADirectoryDoesNotBlockReloadAll() throws {
    let directory = ModuleDirectory()
    let gone = directory.write("gone.oxur", "(module gone)\n(defn f [] :kept)\n")
    let other = directory.write("other.oxur", "(module other)\n(defn g [] 1)\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: gone)
    try interpreter.load(path: other)
    try FileManager.default.removeItem(atPath: gone)
    try FileManager.default.createDirectory(atPath: gone, withIntermediateDirectories: false)
    directory.write("other.oxur", "(module other)\n(defn g [] 2)\n")
    _ = output.take()
    try interpreter.eval("(reload-all)")
    #expect(errors.take() == "⚠ \(gone) was deleted; keeping gone version 1\n")
    #expect(output.take() == "✓ Reloaded 1 module(s): other v2\n")
    #expect(try interpreter.eval("[(gone:f) (other:g)]").printed == "[:kept 2]")
  }

  /// A file watcher reads and parses on its own thread: `prepare` takes no lock, so it finishes
  /// even while another thread's load transaction holds the evaluator.
  @Test func preparingAModuleTakesNoLock() throws {
    let directory = ModuleDirectory()
    let path = directory.write("m.oxur", "(module m)\n(defn f [] 1)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    let inside = DispatchSemaphore(value: 0)
    let prepared = DispatchSemaphore(value: 0)
    interpreter.define(
      name: "hold",
      value: .builtin(
        Builtin("hold", arity: 0...0) { _, _ in
          inside.signal()
          _ = prepared.wait(timeout: .now() + 30)
          return .nil
        }))
    let holder = directory.write("holder.oxur", "(module holder)\n(user:hold)\n(defn g [] 2)\n")
    let loading = Background<LoadOutcome> { try interpreter.load(path: holder) }
    #expect(inside.wait(timeout: .now() + 30) == .success)
    directory.write("m.oxur", "(module m)\n(defn f [] 2)\n")
    let preparing = Background<PreparedModule> { try interpreter.prepare(path: path) }
    let ready = try preparing.wait("prepare while a transaction is open", timeout: 20)?.get()
    prepared.signal()
    #expect(try loading.wait("the holding load")?.get().module == "holder")
    let outcome = try interpreter.reload(prepared: try #require(ready))
    #expect(outcome.version == 2)
    #expect(try interpreter.call(module: "m", function: "f") == .int(2))
    // A prepared file with a read error fails its reload like any other, keeping the version.
    directory.write("m.oxur", "(module m)\n(defn f [] 3\n")
    let broken = try interpreter.prepare(path: path)
    do {
      try interpreter.reload(prepared: broken)
      Issue.record("a broken prepared file reloaded")
    } catch let failure as LoadFailure {
      #expect(failure.report.hasSuffix("✗ Module not reloaded (keeping version 2)"))
      #expect(failure.error.kind == "read")
    }
  }

  /// A watcher printed its reload's line after giving the evaluator back, so a REPL entry that
  /// had waited for the reload could answer first. The report now runs while the evaluator is
  /// still held, for a commit and for a failure alike, and a failure still reaches the caller.
  @Test func aReloadReportRunsBeforeTheEvaluatorIsGivenBack() throws {
    let interpreter = Interpreter()
    let directory = ModuleDirectory()
    let path = directory.write("m.oxur", "(module m)\n(defn f [] 1)\n")
    try interpreter.load(path: path)
    directory.write("m.oxur", "(module m)\n(defn f [] 2)\n")
    var seen: [(held: Bool, versions: [Int]?)] = []
    let report: Interpreter.ReloadReport = { result in
      seen.append((interpreter.runtime.lock.isHeldByCurrentThread, try? result.get().map(\.version)))
    }
    try interpreter.reload(prepared: try interpreter.prepare(path: path), report: report)
    directory.write("m.oxur", "(module m)\n(defn f [] (nope))\n")
    #expect(throws: LoadFailure.self) {
      try interpreter.reloadAll(prepared: [try interpreter.prepare(path: path)], report: report)
    }
    #expect(seen.map(\.held) == [true, true])
    #expect(seen.map(\.versions) == [[2], nil])
    #expect(try interpreter.call(module: "m", function: "f") == .int(2))
  }

  /// A reload-all of a and c where a's new text imports b (new) and b uses what c's new text
  /// adds: b was loaded against c's old version (a staged before c), and the reload failed
  /// with "module c defines no h2".
  @Test func aModuleNewToAReloadSeesTheNewVersionOfOneItReloads() throws {
    let directory = ModuleDirectory()
    let a = directory.write("a.oxur", "(module a)\n(defn f [] 1)\n")
    let c = directory.write("c.oxur", "(module c)\n(defn h [] 1)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: a)
    try interpreter.load(path: c)
    directory.write("b.oxur", "(module b)\n(import c)\n(defn g [] (c:h2))\n(def x (c:h2))\n")
    directory.write("c.oxur", "(module c)\n(defn h [] 1)\n(defn h2 [] 42)\n")
    directory.write("a.oxur", "(module a)\n(import b)\n(defn f [] (b:g))\n")
    let outcomes = try interpreter.reloadAll()
    #expect(Set(outcomes.map { "\($0.module) v\($0.version)" }) == ["a v2", "b v1", "c v2"])
    #expect(try interpreter.eval("(a:f)").printed == "42")
    #expect(try interpreter.eval("b:x").printed == "42")
  }

  /// `(reload-all :quiet)` inside a load answered [] although it staged modules that commit
  /// with that load: a script polling with it could not tell what it loaded.
  @Test func aQuietReloadAllInsideALoadAnswersWhatItStaged() throws {
    let modules = ModuleDirectory()
    modules.write("p.oxur", "(module p)\n(defn f [] 1)\n")
    modules.write("q.oxur", "(module q)\n(defn f [] 2)\n")
    let scripts = ModuleDirectory()
    let script = scripts.write(
      "script.oxur",
      "(module script)\n(def staged (reload-all \"\(modules.url.path)\" :quiet))\n(def again (reload-all :quiet))\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: script)
    #expect(try interpreter.eval("script:staged").printed == "[\"p\" \"q\"]")
    // Nothing changed since: the second finds nothing new to stage.
    #expect(try interpreter.eval("script:again").printed == "[]")
    #expect(!output.take().contains("Reloaded"))
    // At the top level it answers what it committed.
    modules.write("q.oxur", "(module q)\n(defn f [] 3)\n")
    #expect(try interpreter.eval("(reload-all :quiet)").printed == "[\"q\"]")
  }

  /// The nesting limit counted the modules a transaction had staged, not how deep loads
  /// nested: a script whose top level reload-alls a directory of 1,200 modules was refused as
  /// "nested more than 1000 deep". A chain of loads deeper than the limit is still refused,
  /// and loads nothing.
  @Test func theNestingLimitCountsDepthNotModules() throws {
    let modules = ModuleDirectory()
    for index in 0..<1_200 { modules.write("m\(index).oxur", "(module m\(index))\n(defn f [] \(index))\n") }
    let scripts = ModuleDirectory()
    let script = scripts.write("script.oxur", "(module script)\n(reload-all \"\(modules.url.path)\" :quiet)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: script)
    #expect(try interpreter.eval("(+ (m0:f) (m1199:f))").printed == "1199")

    let chain = ModuleDirectory()
    let depth = LoadTransaction.maximumNesting + 5
    for index in 0..<depth {
      let next = index + 1 < depth ? "(load \"\(chain.path("c\(index + 1).oxur"))\")\n" : ""
      chain.write("c\(index).oxur", "(module c\(index))\n\(next)(defn f [] \(index))\n")
    }
    let (deep, _, _) = bufferedInterpreter()
    do {
      try deep.load(path: chain.path("c0.oxur"))
      Issue.record("a chain of \(depth) loads was loaded")
    } catch let failure as LoadFailure {
      #expect(failure.error.message.contains("loads nested more than \(LoadTransaction.maximumNesting) deep"))
    }
    #expect(deep.modules().filter { $0.name.hasPrefix("c") }.isEmpty)
  }
}
