// The command line's front door (issue 13 item 6): --version, running a file directly, eval of
// negative numbers, unknown commands and bad --path directories.

import Foundation
import Testing

import Treebeard

@Suite struct CommandLineEntryTests {
  @Test func versionIsPrinted() throws {
    let result = try Executable.run(["--version"])
    #expect(result.stdout == "treebeard \(TreebeardVersion.string)\n")
    #expect(result.status == 0)
  }

  @Test func aFileRunsLikePython() throws {
    let directory = ModuleDirectory()
    let path = directory.write("hello.oxur", "(module hello)\n(defn main [& xs] (println \"hi\" xs))\n")
    let result = try Executable.run([path, "a", "b"])
    #expect(result.stdout == "hi (\"a\" \"b\")\n")
    #expect(result.stderr == "")
    #expect(result.status == 0)
  }

  @Test func evalTakesNegativeNumbersAndSeveralWords() throws {
    #expect(try Executable.run(["eval", "-5"]).stdout == "-5\n")
    #expect(try Executable.run(["eval", "(-", "3", "5)"]).stdout == "-2\n")
    let missing = try Executable.run(["eval"])
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("eval needs the source to evaluate"))
  }

  @Test func anUnknownCommandShowsTheTopLevelUsage() throws {
    let result = try Executable.run(["frobnicate"])
    #expect(result.status == 64)
    #expect(result.stderr.hasPrefix("Error: unknown command 'frobnicate' (and no file of that name)\n"))
    #expect(result.stderr.contains("SUBCOMMANDS:"))
    #expect(result.stderr.contains("treebeard FILE.oxur [ARGS…]"))
  }

  @Test func aPathThatIsNotADirectoryIsAnError() throws {
    let directory = ModuleDirectory()
    let file = directory.write("plain.txt", "")
    for path in [file, directory.path("missing")] {
      let result = try Executable.run(["eval", "--path", path, "1"])
      #expect(result.status != 0)
      #expect(result.stderr.contains("--path \(path) is not a directory"), "\(result.stderr)")
    }
  }

  /// A load that `eval` or a program asked for failed: reported, and the exit code says so.
  @Test func aFailedLoadMakesTheExitCodeNonZero() throws {
    let directory = ModuleDirectory()
    let broken = directory.write("broken.oxur", "(module broken)\n(defn f [] (\n")
    let evaluated = try Executable.run(["eval", "(load \"\(broken)\") :after"])
    #expect(evaluated.stdout == ":after\n")
    #expect(evaluated.stderr.contains("✗ Module not loaded: broken"))
    #expect(evaluated.status == 1)
    let app = directory.write("app.oxur", "(module app)\n(defn main [] (load \"\(broken)\") (println :done))\n")
    let ran = try Executable.run(["run", app])
    #expect(ran.stdout == ":done\n")
    #expect(ran.status == 1)
  }

  /// A program without `main` that defines functions is most likely a typo: it says so.
  @Test func aMissingMainIsNamed() throws {
    let directory = ModuleDirectory()
    let app = directory.write("app.oxur", "(module app)\n(defn mian [] (println :hi))\n(defn helper [] 1)\n")
    let result = try Executable.run(["run", app])
    #expect(result.stderr == "⚠ no main function in \(app) (defined: helper, mian)\n")
    #expect(result.stdout == "")
    let script = directory.write("script.oxur", "(module script)\n(println :top-level)\n")
    let quiet = try Executable.run(["run", script])
    #expect(quiet.stdout == ":top-level\n")
    #expect(quiet.stderr == "")
    #expect(quiet.status == 0)
  }
}
