// One client connection: bytes in → bencoded requests; responses (and streamed output) out.

import Foundation
import NIOCore
import Treebeard

/// The sending side of a connection, used from the event loop and from session threads.
final class NREPLConnection: Sendable {
  let channel: Channel

  init(channel: Channel) { self.channel = channel }

  var id: ObjectIdentifier { ObjectIdentifier(self) }

  /// Sends one response: the request's `id` and the `session` are added to `fields`.
  func reply(to request: [String: Bencode], session: String?, _ fields: [String: Bencode]) {
    var message = fields
    if let id = request["id"] { message["id"] = id }
    if let session { message["session"] = .string(session) }
    send(message)
  }

  func send(_ message: [String: Bencode]) {
    guard channel.isActive else { return }
    // A client that stops reading while a program prints must not make the server buffer
    // without bound: the printing thread waits (as it would on a full pipe). The event loop
    // never waits: it must keep reading, or nothing would drain.
    if !channel.eventLoop.inEventLoop {
      while !channel.isWritable && channel.isActive { Thread.sleep(forTimeInterval: 0.002) }
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
  /// Bytes needed before the buffered prefix can possibly be a whole message.
  private var needing = 1

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
    guard let connection else { return }
    while pending.count >= needing {
      do {
        switch try server.decoder.attempt(pending) {
        case .incomplete(let needed):
          needing = needed
        case .complete(let value, let length):
          pending.removeFirst(length)
          needing = 1
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
        context.close(promise: nil)
        return
      }
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: Error) {
    context.close(promise: nil)
  }
}
