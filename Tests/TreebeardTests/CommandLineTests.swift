// End to end: `treebeard run`, `eval`, `check` and the piped REPL, through the real executable.

import Foundation
import Testing

@Suite struct CommandLineTests {
  /// With SIGPIPE ignored (systemd starts services so), a program printing in a loop to a pipe
  /// whose reader left went on for ever, its output discarded. It now stops with an `io` error.
  @Test func printingToAPipeWhoseReaderLeftStopsTheProgram() throws {
    let directory = ModuleDirectory()
    let program = directory.write("out.oxur", "(defn main [] (loop [i 0] (println i) (recur (inc i))))\n")
    let result = try Executable.run(
      [
        "-c", "trap '' PIPE; /usr/bin/timeout 20 \"$0\" run \"$1\" | head -1; echo \"status ${PIPESTATUS[0]}\"",
        Executable.url.path, program,
      ], program: "/bin/bash")
    #expect(result.stdout == "0\nstatus 1\n", "\(result)")
    #expect(result.stderr.contains("output cannot be written: Broken pipe"), "\(result)")
  }

  /// `help bogus` showed the general help and exited 0; an error message in a terminal showed
  /// the raw escape bytes the source held (`invalid number 2J<ESC>`), which recolour it.
  @Test func helpForAnUnknownCommandAndEscapesInMessagesAreRefusedAndShownSafely() throws {
    let help = try Executable.run(["help", "bogus"])
    #expect(help.status == 64, "\(help)")
    #expect(help.stderr.contains("no command 'bogus'"), "\(help)")
    #expect(try Executable.run(["help", "run"]).status == 0)
    let directory = ModuleDirectory()
    let path = directory.write("esc.oxur", "(+ 1 2J\u{1b}[31m)\n")
    let checked = try Executable.run(["check", path])
    #expect(!checked.stderr.contains("\u{1b}"), "\(checked)")
    #expect(checked.stderr.contains("invalid number 2J\\u{1b}\n"), "\(checked)")
    let thrown = try Executable.run(["eval", "(throw (str \"bad\" (char 27) \"[2J\"))"])
    #expect(!thrown.stderr.contains("\u{1b}"), "\(thrown)")
  }

  /// Started with standard input (or output) closed, the process gave descriptor 0 (or 1) to its
  /// own signal pipe: `(read-line)` read that pipe and waited for ever. Closed standard
  /// descriptors are now opened on /dev/null first.
  @Test func closedStandardDescriptorsReadAsEndOfInput() throws {
    func shell(_ script: String) throws -> ProcessResult {
      try Executable.run(["-c", "exec /usr/bin/timeout 20 \"$0\" " + script, Executable.url.path], program: "/bin/sh")
    }
    let noInput = try shell("eval '(read-line)' <&-")
    #expect(noInput.status == 0, "\(noInput)")
    #expect(noInput.stdout == "nil\n", "\(noInput)")
    let noOutput = try shell("eval '(do (println :lost) (read-line))' </dev/null >&-")
    #expect(noOutput.status == 0, "\(noOutput)")
    #expect(noOutput.stderr == "", "\(noOutput)")
  }

  @Test func runCallsMainWithArguments() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "hello.oxur",
      """
      (defn greet [name] (str "hello, " name))
      (defn main [& names]
        (doseq [n names] (println (greet n)))
        (println (count (args))))
      """)
    let result = try Executable.run(["run", path, "ada", "grace"])
    #expect(result.status == 0)
    #expect(result.stdout == "hello, ada\nhello, grace\n2\n")
  }

  /// Found this stop: `(doc f)` in a script, at its top level or in `main`, looked `f` up in the
  /// REPL's module (`user`), not the script's, and failed with "unknown name". The help forms
  /// now look where the running code's own names resolve.
  @Test func helpFormsAtAScriptsTopLevelSeeItsDefinitions() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "notes.oxur",
      """
      (defn add "Adds." [a b] (+ a b))
      (doc add)
      (source add)
      (defmacro defconst [n v] `(def ~n ~v))
      (defconst answer 42)
      (dir notes)
      (defn main [] (doc answer))
      """)
    let result = try Executable.run(["run", path])
    #expect(result.status == 0)
    #expect(
      result.stdout == """
        notes:add [a b]
          Adds.
          defined at \(path):1, module notes
        (defn add "Adds." [a b] (+ a b))
        add
        answer
        defconst
        notes:answer
          (no docstring)
          defined at \(path):5, notes version 1

        """)
  }

  @Test func uncaughtErrorsExitOneWithLocationAndTrace() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "boom.oxur",
      """
      (defn inner [x] (/ x 0))
      (defn outer [x] (+ 1 (inner x)))
      (defn main [] (outer 5))
      """)
    let result = try Executable.run(["run", path], in: directory.url)
    #expect(result.status == 1)
    #expect(result.stderr.contains("boom.oxur:1:17: division by zero"))
    #expect(result.stderr.contains("(defn inner [x] (/ x 0))"))
    // A file without a module header is the module of its base name (hot-reload.md §1); main is
    // called by the host, so its frame shows where it is defined (language.md, error reports).
    #expect(
      result.stderr == """
        ✗ Error at boom.oxur:1:17: division by zero
         1 | (defn inner [x] (/ x 0))
           |                 ^
        Stack trace (innermost first):
          in boom:inner called at boom.oxur:2:22
          in boom:outer called at boom.oxur:3:15
          in boom:main called at boom.oxur:3:1

        """)
  }

  @Test func runtimeFailuresAreCleanErrors() throws {
    let cases: [(String, String)] = [
      ("(+ 9223372036854775807 1)", "integer overflow"),
      ("(quot 1 0)", "division by zero"),
      ("(nth [1 2 3] 5)", "out of range"),
      ("((fn [a b] a) 1)", "wrong number of arguments"),
      ("(no-such-function 1)", "unknown name: no-such-function"),
      ("(match 42 (1 :one))", "no match"),
      ("(defn deep [n] (if (= n 0) 0 (+ 1 (deep (- n 1))))) (deep 1000000)", "stack overflow"),
    ]
    for (source, message) in cases {
      let result = try Executable.run(["eval", source])
      #expect(result.status == 1, "\(source)")
      #expect(result.stderr.contains(message), "\(source): \(result.stderr)")
    }
  }

  @Test func tailRecursionOfTenMillionRunsInConstantStack() throws {
    let result = try Executable.run([
      "eval", "(defn count-down [n] (if (= n 0) :done (count-down (- n 1)))) (count-down 10000000)",
    ])
    #expect(result.status == 0)
    #expect(result.stdout == ":done\n")
  }

  @Test func evalPrintsTheLastValue() throws {
    let result = try Executable.run(["eval", "(def x 20) (+ x 22)"])
    #expect(result.stdout == "42\n")
    #expect(result.status == 0)
    // `--` ends the options; it was evaluated as the name `--`.
    #expect(try Executable.run(["eval", "--", "(+ 1 2)"]).stdout == "3\n")
  }

  @Test func checkFindsProblemsWithoutRunning() throws {
    let directory = ModuleDirectory()
    let good = directory.write("good.oxur", "(defn f [x] (g x))\n(defn g [x] (println \"ran\") x)\n(f 1)\n")
    let bad = directory.write("bad.oxur", "(defn f [x] (undefined-thing x))\n")
    let unbalanced = directory.write("unbalanced.oxur", "(defn f [x]\n  (+ x 1)\n")
    let ok = try Executable.run(["check", good])
    #expect(ok.status == 0)
    #expect(!ok.stdout.contains("ran"))
    let missing = try Executable.run(["check", bad])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("unknown name: undefined-thing"))
    let open = try Executable.run(["check", unbalanced])
    #expect(open.status == 1)
    #expect(open.stderr.contains("unclosed"))
  }

  /// An import cycle that `run` refuses passed `check` as "no problems found": the check rolled
  /// its transaction back without the cycle test a load makes before it commits.
  @Test func checkFindsAnImportCycle() throws {
    let directory = ModuleDirectory()
    let first = directory.write("ia.oxur", "(module ia)\n(import ib)\n(defn f [] 1)\n")
    directory.write("ib.oxur", "(module ib)\n(import ic)\n")
    directory.write("ic.oxur", "(module ic)\n(import ia)\n")
    let alone = directory.write("self.oxur", "(module self)\n(import self)\n")
    let cycle = try Executable.run(["check", first], in: directory.url)
    #expect(cycle.status == 1, "\(cycle)")
    #expect(cycle.stderr.contains("ia.oxur:2:1: import cycle: ia → ib → ic → ia"), "\(cycle)")
    let itself = try Executable.run(["check", alone], in: directory.url)
    #expect(itself.stderr.contains("import cycle: self → self"), "\(itself)")
    directory.write("ic.oxur", "(module ic)\n")
    #expect(try Executable.run(["check", first], in: directory.url).status == 0)
  }

  @Test func pipedReplContinuesAfterErrorsAndHandlesMultiLineForms() throws {
    let script = """
      (def x 1)
      (/ x 0)
      (defn add
        [a b]
        (+ a b))
      (add x 41)
      *1
      (:kind *e)
      """
    let result = try Executable.run([], stdin: script)
    #expect(result.status == 0)
    #expect(result.stdout == "x\nadd\n42\n42\n:division-by-zero\n")
    #expect(result.stderr.contains("division by zero"))
    #expect(!result.stdout.contains("treebeard>"))
  }

  @Test func replExitCode() throws {
    let result = try Executable.run([], stdin: "(println :before)\n(exit 3)\n(println :after)\n")
    #expect(result.status == 3)
    #expect(result.stdout == ":before\nnil\n")
    // The system keeps 8 bits of a status: (exit 256) ended with 0, success. Refused instead.
    for code in ["256", "-1", "9223372036854775807"] {
      let refused = try Executable.run(["eval", "(exit \(code))"])
      #expect(refused.status == 1, "\(code): \(refused)")
      #expect(refused.stderr.contains("<eval>:1:1: exit status must be between 0 and 255, got \(code)"), "\(refused)")
    }
    #expect(try Executable.run(["eval", "(exit 255)"]).status == 255)
  }

  @Test func replCommandsAndRefusedLoads() throws {
    let directory = ModuleDirectory()
    directory.write("one.oxur", "(module shared)\n(defn f [] 1)\n")
    directory.write("two.oxur", "(module shared)\n(defn f [] 2)\n")
    let script = """
      :help
      (load "one.oxur")
      (load "two.oxur")
      (shared:f)
      (load "missing.oxur")
      (load ".")
      :quit
      (println :never)
      """
    let result = try Executable.run([], stdin: script, in: directory.url)
    #expect(result.status == 0)
    #expect(result.stdout.contains("Treebeard REPL"))
    #expect(result.stdout.contains("✓ Loaded module: shared (version 1)\n1\n"))
    #expect(
      result.stderr.contains(
        "✗ Error at two.oxur:1:1: module shared is already loaded from one.oxur; two.oxur also claims it"),
      "placed at the header: \(result.stderr)")
    #expect(result.stderr.contains("file not found"))
    #expect(result.stderr.contains("is a directory"))
    #expect(!result.stdout.contains(":never"))
  }
}

@Suite struct LoadPathTests {
  @Test func importLooksBesideTheFileThenOnThePath() throws {
    let app = ModuleDirectory()
    let library = ModuleDirectory()
    library.write("shapes.oxur", "(module shapes)\n(export area)\n(defn area [w h] (* w h))\n")
    app.write("util.oxur", "(module util)\n(defn twice [x] (* 2 x))\n")
    let main = app.write(
      "main.oxur",
      """
      (import util :refer [twice])
      (import shapes :as s)
      (defn main [] (println (twice (s:area 3 4))))
      """)
    let missing = try Executable.run(["run", main])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("cannot import shapes"))
    let found = try Executable.run(["run", "--path", library.url.path, main])
    #expect(found.stderr == "")
    #expect(found.stdout == "24\n")
    #expect(found.status == 0)
  }

  /// Output that could not be written (`> /dev/full`) was lost and the run exited 0.
  @Test func outputThatCannotBeWrittenFailsTheRun() throws {
    guard FileManager.default.fileExists(atPath: "/dev/full") else {
      if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("CI has no /dev/full: untested") }
      return
    }
    let directory = ModuleDirectory()
    let program = directory.write("hi.oxur", "(defn main [] (println \"hi\"))\n")
    for (arguments, input) in [(["eval", "(println 1)"], ""), (["run", program], ""), ([], "(+ 1 2)\n")] {
      let process = Process()
      process.executableURL = Executable.url
      process.arguments = arguments
      let stdin = Pipe()
      let stderr = Pipe()
      process.standardInput = stdin
      process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
      process.standardError = stderr
      try process.run()
      stdin.fileHandleForWriting.write(Data(input.utf8))
      try stdin.fileHandleForWriting.close()
      let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(process.terminationStatus == 1, "\(arguments)")
      #expect(errors.contains("output cannot be written: No space left on device"), "\(arguments): \(errors)")
    }
  }
}
