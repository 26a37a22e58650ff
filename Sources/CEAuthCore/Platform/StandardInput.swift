/// Lines from standard input with a bound: a line longer than anything ceauth reads there (a
/// code, a redirect address, an answer) is refused without holding more of it in memory.
public enum StandardInput {
    /// 16 KiB: more than any redirect address a browser shows (Google's codes are ~100 bytes).
    public static let lineLimit = 16 * 1024

    public enum Line: Equatable, Sendable {
        case line(String)
        case end
        /// Longer than `limit` bytes; what came after those was not read.
        case tooLong(limit: Int)
    }

    /// The next line without its line ending (LF, or CR LF). Read a byte at a time so that
    /// nothing after the line is taken from the stream (the next paste stays there).
    public static func readLine(limit: Int = lineLimit, fd: Int32 = 0) -> Line {
        var bytes: [UInt8] = []
        while true {
            guard let chunk = OS.readSome(fd, max: 1), let byte = chunk.first else {
                return bytes.isEmpty ? .end : .line(text(bytes))
            }
            if byte == 0x0A { return .line(text(bytes)) }
            bytes.append(byte)
            if bytes.count > limit { return .tooLong(limit: limit) }
        }
    }

    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.last == 0x0D ? bytes.dropLast() : bytes[...], as: UTF8.self)
    }

    /// What to say of a line over the limit.
    public static func tooLongReason(_ limit: Int) -> String {
        "the line is longer than \(limit / 1024) KiB, more than any authorization code or address can be; nothing more of it was read"
    }
}
