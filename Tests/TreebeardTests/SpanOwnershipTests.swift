// Spans name their file by number; whatever must quote a file's lines later keeps the file.

import Dispatch
import Foundation
import OxurSyntax
import Testing

@testable import Treebeard

@Suite struct SpanOwnershipTests {
  @Test func aSpanIsPlainData() {
    // The point of the design: copying a span (syntax, nodes, tail calls) is no retain.
    #expect(_isPOD(Span.self))
    let file = SourceFile(name: "a.oxur", text: "(+ 1 2)\n")
    let span = Span(file: file, line: 1, column: 1)
    #expect(span.file === file)
    #expect(span.isIn(file))
    #expect(span == Span(file: file, line: 1, column: 1))
    #expect(span != Span(file: SourceFile(name: "a.oxur", text: "(+ 1 2)\n"), line: 1, column: 1))
    #expect(Span.unknown.file == nil && !Span.unknown.isKnown)
  }

  @Test func aFunctionKeepsTheTextItWasReadFrom() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    // The eval's source file is owned by nothing but what was analyzed from it.
    try interpreter.eval("(defn ratio [x]\n  (/ 100 x))", file: "defs.oxur")
    let text = try #require(renderedFailure(interpreter, "(ratio 0)"))
    #expect(text.contains("defs.oxur:2:3"), "\(text)")
    #expect(text.contains("(/ 100 x)"), "\(text)")
  }

  @Test func aFunctionNoDefinitionNamesKeepsItsTextToo() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.eval("(def box (atom nil))")
    // No def, so no documentation: the function alone owns this text.
    try interpreter.eval("(reset! box (fn [x]\n  (/ 100 x)))", file: "anonymous.oxur")
    let text = try #require(renderedFailure(interpreter, "((deref box) 0)"))
    #expect(text.contains("anonymous.oxur:2:3"), "\(text)")
    #expect(text.contains("(/ 100 x)"), "\(text)")
  }

  @Test func anErrorKeepsTheTextItPointsInto() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    var kept: OxurError?
    do { try interpreter.eval("(+ 1 2)\n(/ 1 0)", file: "gone.oxur") } catch let error as OxurError { kept = error }
    // The source file's reader and forms are gone; only the error still points into it.
    let error = try #require(kept)
    let text = ErrorRenderer.render(error)
    #expect(text.contains("gone.oxur:2:1"), "\(text)")
    #expect(text.contains("(/ 1 0)"), "\(text)")
    #expect(Printer.readable(error.asValue).contains("gone.oxur"))
  }

  @Test func aReadErrorKeepsItsText() throws {
    let error: ReadError
    do {
      _ = try Reader.readAll(SourceFile(name: "broken.oxur", text: "(+ 1\n  )]"))
      Issue.record("no error")
      return
    } catch let caught { error = caught }
    let text = ErrorRenderer.render(OxurError.read(error))
    #expect(text.contains("broken.oxur:2:4"), "\(text)")
    #expect(text.contains(")]"), "\(text)")
  }

  @Test func sourceAndDocumentationOutliveTheEval() throws {
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.eval("(def limit \"the most\" 42)", file: "limits.oxur")
    try interpreter.eval("(source limit)")
    let printed = output.take()
    #expect(printed.contains("(def limit \"the most\" 42)"), "\(printed)")
  }

  @Test func filesComeAndGoOnManyThreadsAtOnce() {
    // Files are made and freed on every thread (the watcher reads, nREPL sessions evaluate)
    // while others look spans up: a span of a live file finds it, one of a freed file finds
    // nothing, and nothing else happens (ThreadSanitizer runs this in CI).
    let wrongAnswers = Counter()
    DispatchQueue.concurrentPerform(iterations: 8) { thread in
      var previous: Span? = nil
      for round in 0..<2_000 {
        let file = SourceFile(name: "t\(thread)-\(round).oxur", text: "(+ \(round) 1)\n")
        let span = Span(file: file, line: 1, column: 1)
        if span.file !== file { wrongAnswers.increment() }
        // The previous round's file is gone (nothing owns it): its span finds nothing.
        if let previous, previous.file != nil { wrongAnswers.increment() }
        previous = span
      }
    }
    #expect(wrongAnswers.value == 0)
  }

  @Test func filesNothingOwnsAreFreed() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.eval("(defn f [] 0)")
    let before = SourceFiles.liveCount
    for round in 0..<300 {
      try interpreter.eval("(+ 1 \(round))")
      // Each redefinition lets go of the previous function, and with it the previous text.
      try interpreter.eval("(defn f [] \(round))")
    }
    #expect(try interpreter.eval("(f)") == .int(299))
    // Other tests run alongside and register files of their own: the bound is loose, but 600
    // kept files would break it.
    #expect(SourceFiles.liveCount - before < 100, "\(SourceFiles.liveCount - before) files kept")
  }
}

/// The rendered report of the error `expression` fails with; nil when it does not fail.
private func renderedFailure(_ interpreter: Interpreter, _ expression: String) -> String? {
  do {
    _ = try interpreter.eval(expression)
    return nil
  } catch let error as OxurError {
    return ErrorRenderer.render(error)
  } catch {
    return "\(error)"
  }
}
