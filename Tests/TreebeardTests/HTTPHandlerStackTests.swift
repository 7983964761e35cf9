// Deep and runaway recursion in an HTTP handler: the handler threads' large stacks.

import Foundation
import Testing

/// Deep recursion in a handler. Not in the ThreadSanitizer run (.ci/run; its filter also matches file names): its instrumented
/// frames are several times larger, and 50,000 nested calls overflow even the large stack.
@Suite("HTTP handler stacks") struct HTTPHandlerStackTests {
  @Test func handlersRunOnLargeStacksAndRunawayRecursionIsA500() throws {
    let fixture = try ServerFixture()
    defer { fixture.stop() }
    #expect(fixture.get("/deep")?.body == "50000")
    #expect(fixture.get("/runaway")?.status == 500)
    #expect(fixture.errors.take().contains("✗ HTTP 500 for GET /runaway: the handler failed"))
    #expect(fixture.get("/echo")?.status == 200)
  }
}
