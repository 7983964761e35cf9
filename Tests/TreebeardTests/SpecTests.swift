// The spec corpus as one parameterised test: one case per spec file.

import Testing

@Suite struct SpecTests {
  @Test("spec corpus", arguments: SpecRunner.files())
  func specFile(_ path: String) {
    let result = SpecRunner.run(path)
    #expect(result.failures.isEmpty, "\(result.failures.joined(separator: "\n"))")
  }

  @Test func corpusIsLargeEnough() {
    let files = SpecRunner.files()
    let assertions = files.map { SpecRunner.countAssertions($0) }.reduce(0, +)
    #expect(files.count >= 150)
    #expect(assertions >= 600)
  }
}
