// One client connection: bytes in → bencoded requests; responses (and streamed output) out.

import Foundation
import NIOCore
import Synchronization
import Treebeard

/// The sending side of a connection, used from the event loop and from session threads.
final class NREPLConnection: Sendable {
  let channel: Channel
  /// Output is being dropped because the client stopped reading.
  private let dropping = Atomic<Bool>(false)

  init(channel: Channel) { self.channel = channel }

  var id: ObjectIdentifier { ObjectIdentifier(self) }

  /// Sends one response: the request's `id` and the `session` are added to `fields`.
  func reply(
    to request: [String: Bencode], session: String?, _ fields: [String: Bencode],
    giveUp: (() -> Bool)? = nil
  ) {
    var message = fields
    if let id = request["id"] { message["id"] = id }
    if let session { message["session"] = .string(session) }
    send(message, giveUp: giveUp)
  }

  /// Sends one message. A client that stops reading while code prints must neither make the
  /// server buffer without bound nor stall the program (the printing thread holds the
  /// evaluator lock): the printer waits up to a second for the client to catch up, then drops
  /// output until the client reads again (`giveUp`: at once, when the evaluation was
  /// interrupted). Other messages (values, status) are always sent. The event loop never waits.
  func send(_ message: [String: Bencode], giveUp: (() -> Bool)? = nil) {
    guard channel.isActive else { return }
    if let giveUp, !channel.eventLoop.inEventLoop {
      if dropping.load(ordering: .relaxed) && !channel.isWritable { return }
      let deadline = Date().addingTimeInterval(1)
      while !channel.isWritable && channel.isActive {
        if giveUp() || Date() > deadline {
          dropping.store(true, ordering: .relaxed)
          return
        }
        Thread.sleep(forTimeInterval: 0.002)
      }
      dropping.store(false, ordering: .relaxed)
    }
    let bytes = Bencode.dictionary(message).encoded()
    var buffer = channel.allocator.buffer(capacity: bytes.count)
    buffer.writeBytes(bytes)
    channel.writeAndFlush(buffer, promise: nil)
  }

  func close() { channel.close(promise: nil) }
}

/// Decodes requests from the byte stream. Input that is not bencode, or a message over the
/// limit, closes this connection and no other.
final class NREPLChannelHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer

  private let server: NREPLServer
  private var connection: NREPLConnection?
  private var pending: [UInt8] = []
  /// Where the next message starts in `pending` (the bytes before it were handled).
  private var start = 0
  /// Bytes needed before the buffered prefix can possibly be a whole message.
  private var needing = 1
  /// The size of the buffer at the last parse that found it incomplete, and whether a parse
  /// is scheduled: a large message arriving in many small reads is parsed again only as it
  /// grows by an eighth (or 5 ms after the last read), not on every read, which would cost
  /// time quadratic in its size and stall every connection on the loop.
  private var lastAttempt = 0
  private var isParseScheduled = false
  static let smallMessage = 1 << 16

  init(server: NREPLServer) { self.server = server }

  func channelActive(context: ChannelHandlerContext) {
    let connection = NREPLConnection(channel: context.channel)
    self.connection = connection
    server.connectionOpened(connection)
    context.fireChannelActive()
  }

  func channelInactive(context: ChannelHandlerContext) {
    if let connection { server.connectionClosed(connection) }
    connection = nil
    context.fireChannelInactive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    var buffer = unwrapInboundIn(data)
    if let bytes = buffer.readBytes(length: buffer.readableBytes) { pending.append(contentsOf: bytes) }
    let waiting = pending.count - start
    if waiting > Self.smallMessage && waiting < lastAttempt + lastAttempt / 8 {
      guard !isParseScheduled else { return }
      isParseScheduled = true
      context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(5)) { [self] in
        isParseScheduled = false
        lastAttempt = 0
        parse(context: context)
      }
      return
    }
    parse(context: context)
  }

  private func parse(context: ChannelHandlerContext) {
    guard let connection else { return }
    defer {
      // Handled bytes go once they are most of the buffer: copying the rest after every
      // message would cost time quadratic in a burst of small messages.
      if start == pending.count {
        pending.removeAll(keepingCapacity: pending.capacity <= Self.smallMessage)
        start = 0
      } else if start > pending.count / 2 {
        pending.removeFirst(start)
        start = 0
      }
    }
    while pending.count - start >= needing {
      do {
        switch try server.decoder.attempt(pending, from: start) {
        case .incomplete(let needed):
          needing = needed
          lastAttempt = pending.count - start
          return
        case .complete(let value, let length):
          start += length
          needing = 1
          lastAttempt = 0
          guard let request = value.dictionary else {
            connection.send([
              "status": .list([.string("error"), .string("done")]), "err": .string("not a dictionary\n"),
            ])
            continue
          }
          server.handle(request, from: connection)
        }
      } catch {
        pending = []
        start = 0
        context.close(promise: nil)
        return
      }
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: Error) {
    context.close(promise: nil)
  }
}
