// The read-eval-print loop: multi-line input, results, *1 *2 *3 *e, commands, Ctrl-C.

import Foundation
import OxurSyntax
import Treebeard

/// An interactive (or piped) session over one interpreter.
public final class REPL {
  let interpreter: Interpreter
  let editor = LineEditor()
  /// Every entry's evaluation: Ctrl-C interrupts it (and a watcher's reload running then).
  let evaluation: EvaluationHandle
  private var entryNumber = 0
  public private(set) var exitCode: Int32 = 0
  /// Prompt and results in colour (Colors.swift): a terminal, unless NO_COLOR or --color=never.
  let colors = Colors.enabled(descriptor: STDOUT_FILENO)

  public static let prompt = "treebeard> "
  public static let continuationPrompt = "      ...> "

  /// `treebeard> ` in module user, `treebeard:calc> ` after `(in-module calc)`.
  public static func prompt(module: String) -> String {
    module == "user" ? prompt : "treebeard:\(module)> "
  }

  public init(interpreter: Interpreter) {
    self.interpreter = interpreter
    self.evaluation = EvaluationHandle(interpreter: interpreter)
    evaluation.startSession()
  }

  static let help = """
    Treebeard REPL — enter Oxur forms; an unbalanced form continues on the next line.
      (load "f.oxur")  (reload "f.oxur")  (reload-all)  (modules)   hot code loading
      (in-module m)    switch the namespace REPL input compiles into (default: user)
      (doc name)       arglists, docstring and origin; (source name) its code as loaded
      (apropos "txt")  names containing txt; (dir m) what module m exports
      *1 *2 *3         the last three results; *e the last error
      (def *print-length* 20), (def *print-level* 4): how much of a result to show
      :help            this text
      :doc name        the same as (doc name)
      :quit            leave (Ctrl-D also works); Ctrl-C interrupts a running evaluation
    """

  static let commands = [":help", ":doc", ":quit"]

  /// Runs until end of input or `(exit n)`; returns the exit code.
  public func run() -> Int32 {
    installInterruptHandler()
    if editor.isInteractive {
      interpreter.runtime.output.write("Treebeard — Oxur with hot code loading. :help for help, :quit to leave.\n")
    }
    var buffer = ""
    CompletionTarget.completer = Completer(interpreter: interpreter)
    readLoop: while true {
      var prompt = buffer.isEmpty ? REPL.prompt(module: interpreter.currentModule) : REPL.continuationPrompt
      if colors { prompt = Colors.prompt(prompt, forLibedit: editor.hasLineEditing) }
      interpreter.runtime.output.flush()
      let line: String
      let input = interpreter.runtime.input
      switch editor.readLine(prompt: prompt, input: input, interrupted: { evaluation.consumeInterrupt() }) {
      case .line(let text): line = text
      case .interrupted:
        // Ctrl-C at a prompt (also a continuation prompt) discards the entry, not the session.
        buffer = ""
        interpreter.runtime.output.write("\n")
        continue
      case .end:
        break readLoop
      }
      if buffer.isEmpty {
        let command = line.trimmingCharacters(in: .whitespaces)
        if command == ":quit" || command == ":q" || command == ":exit" { break }
        // A keyword alone is a value (`:a` prints :a), a form remembered once as forms are; an
        // unknown :word followed by more is a typo.
        let isCommand =
          command == ":help" || command == ":h" || command == ":doc" || command.hasPrefix(":doc ")
          || command.hasPrefix(":help ") || command.hasPrefix(":h ")
          || (command.hasPrefix(":") && (command.contains(" ") || REPL.looksLikeCommand(command)))
        if isCommand {
          // Commands are entries too, recalled with the arrow keys like forms (`:quit` is not,
          // so that a recalled entry never ends the session by surprise).
          editor.remember(command)
          // `:help map` is `:doc map`; `:q now` is refused rather than ending the session (both
          // were reported as unknown commands, though each is listed).
          let word = command.split(separator: " ").first.map(String.init) ?? command
          let argument = command.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
          if word == ":help" || word == ":h" {
            if argument.isEmpty {
              interpreter.runtime.output.write(REPL.help + "\n")
            } else {
              _ = evaluate("(doc \(argument))")
            }
          } else if word == ":quit" || word == ":q" || word == ":exit" {
            interpreter.runtime.reportProblem("✗ \(word) takes nothing; type \(word) alone to leave\n")
          } else if command == ":doc" {
            interpreter.runtime.output.write(":doc name shows the documentation of name, as (doc name) does\n")
          } else if command.hasPrefix(":doc ") {
            _ = evaluate("(doc \(argument))")
          } else {
            interpreter.runtime.reportProblem(
              "✗ unknown command \(command.split(separator: " ").first ?? ""); commands: "
                + REPL.commands.joined(separator: " ") + " (and any Oxur form)\n")
          }
          continue
        }
        if command.isEmpty { continue }
      }
      buffer += buffer.isEmpty ? line : "\n" + line
      switch completeness(of: buffer) {
      case .incomplete:
        continue
      case .complete, .invalid:
        let source = buffer
        buffer = ""
        editor.remember(source)
        if !evaluate(source) { return exitCode }
      }
    }
    if !buffer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { _ = evaluate(buffer) }
    if editor.isInteractive { interpreter.runtime.output.write("\n") }
    interpreter.runtime.output.flush()
    return exitCode
  }

  /// `:quti`-like input: close to a command name. Other keywords are ordinary values.
  static func looksLikeCommand(_ input: String) -> Bool {
    let aliases = [":h", ":q", ":exit", ":d"]
    guard !aliases.contains(input) else { return false }
    return input.count >= 3 && Suggestions.closest(to: input, among: commands) != nil
  }

  enum Completeness { case complete, incomplete, invalid }

  func completeness(of source: String) -> Completeness {
    do {
      _ = try Reader.readAll(SourceFile(name: "<repl>", text: source))
      return .complete
    } catch {
      return error.isIncomplete ? .incomplete : .invalid
    }
  }

  /// Evaluates every form in `source`, printing each result. False when the session must end.
  func evaluate(_ source: String) -> Bool {
    entryNumber += 1
    let file = SourceFile(name: "<repl:\(entryNumber)>", text: source)
    // Kept to the end of the entry: its forms' spans only name it, and errors quote its lines.
    defer { withExtendedLifetime(file) {} }
    var reader = Reader(file)
    // A Ctrl-C at the prompt (one that stopped a watcher's reload, say) does not stop this entry;
    // one from here on does, even while the entry waits for the evaluator. The previous entry's
    // value is shown inside its evaluation, so no wait of the REPL's own comes between.
    evaluation.reset()
    let interruptionsBefore = evaluation.interruptions
    var interruptReported = false
    while true {
      let form: Syntax?
      do { form = try reader.next() } catch {
        report(OxurError.read(error))
        return true
      }
      guard let form else { return true }
      // A Ctrl-C during one form (even in a builtin that never reached a safe point) stops
      // the rest of the entry, as it would stop the rest of one form. With no form left, there
      // is nothing to stop: a form that answered (its wait for the evaluator is what Ctrl-C
      // ended, by stopping another thread's load) shows its value, not also an error.
      if evaluation.interruptions != interruptionsBefore {
        if !interruptReported { report(OxurError("interrupted", "interrupted")) }
        return true
      }
      do {
        let shown = try interpreter.eval(form: form, handle: evaluation) { [self] value, presentation in
          value.isVoid ? nil : (value: value, text: try display(value, presentation))
        }
        if let shown {
          interpreter.runtime.output.write(shown.text + "\n")
          evaluation.remember(result: shown.value)
        }
        interpreter.runtime.output.flush()
      } catch let exit as ExitRequest {
        exitCode = exit.code
        interpreter.runtime.output.flush()
        return false
      } catch let error as OxurError {
        report(error)
        if error.kind == "interrupted" { interruptReported = true }
      } catch {
        report(OxurError("internal", "\(error)"))
      }
    }
  }

  /// A result as the REPL shows it, within `*print-length*` elements per collection and
  /// `*print-level*` levels of nesting when the user has defined them. Ctrl-C stops it.
  func display(_ value: Value, _ presentation: Interpreter.Presentation) throws -> String {
    func setting(_ name: String) -> Int? {
      guard case .int(let limit)? = presentation.global(name) else { return nil }
      return limit
    }
    let text = try presentation.summary(
      value, elementLimit: setting("*print-length*") ?? Printer.replElementLimit,
      levelLimit: setting("*print-level*") ?? .max)
    return colors ? Colors.highlight(text) : text
  }

  private func report(_ error: OxurError) {
    interpreter.runtime.output.flush()
    evaluation.remember(error: error.asValue)
    interpreter.runtime.reportProblem(ErrorRenderer.render(error) + "\n")
  }

  /// A plain SIGINT handler (an atomic store, async-signal-safe). libedit saves and restores
  /// the handler around each line it reads, so it stays ours while code runs.
  private func installInterruptHandler() {
    InterruptTarget.evaluation = Unmanaged.passUnretained(evaluation)
    InterruptTarget.sessionReloads = Unmanaged.passUnretained(interpreter.sessionReloads)
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in
      InterruptTarget.evaluation?.takeUnretainedValue().interrupt()
      InterruptTarget.sessionReloads?.takeUnretainedValue().interrupt()
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = SA_RESTART
    sigaction(SIGINT, &action, nil)
    ProcessSignals.unblock([SIGINT])
  }
}

/// Where the SIGINT handler delivers Ctrl-C (a C function pointer cannot capture context).
enum InterruptTarget {
  nonisolated(unsafe) static var evaluation: Unmanaged<EvaluationHandle>?
  /// A watcher's reload running for the session (`Interpreter.sessionReloads`).
  nonisolated(unsafe) static var sessionReloads: Unmanaged<EvaluationHandle>?
}
