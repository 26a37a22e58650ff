/// The request line and headers of an HTTP/1.x request, parsed from raw bytes.
/// A value type with no I/O, so it is tested and fuzzed without sockets.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    /// The request target as sent, e.g. `/callback?code=...&state=...`.
    public var target: String
    public var version: String
    /// Header fields in order; names as sent.
    public var headers: [(name: String, value: String)]

    public static func == (a: HTTPRequestHead, b: HTTPRequestHead) -> Bool {
        a.method == b.method && a.target == b.target && a.version == b.version
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// Path part of the target (before `?`).
    public var path: Substring {
        target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    /// Query part of the target (after `?`), or nil.
    public var query: Substring? {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count > 1 ? parts[1] : nil
    }
}

public enum HTTPRequestHeadError: Error, Equatable {
    /// Bytes that are not an HTTP/1.x request head (answer 400).
    case malformed(String)
    /// The head is larger than the limit (answer 431).
    case tooLarge
    /// The request line alone is larger than the limit (answer 414).
    case requestLineTooLong
}

/// Finds and parses a request head in a growing buffer.
public enum HTTPRequestHeadParser {
    /// Request line plus headers at most, in bytes.
    public static let defaultLimit = 8 * 1024

    /// Returns nil while the head is incomplete (keep reading), the head once `\r\n\r\n` arrived,
    /// or throws when the bytes can never become a valid head.
    public static func parse(_ buffer: [UInt8], limit: Int = defaultLimit) throws(HTTPRequestHeadError) -> HTTPRequestHead? {
        guard let end = headEnd(buffer) else {
            if buffer.count > limit { throw oversized(buffer, limit: limit) }
            // Fail early on bytes that can never become a head, instead of holding the
            // connection open until its deadline waiting for more.
            if let first = buffer.first, !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) {
                throw .malformed("the request does not start with a method")
            }
            if let reason = neverValid(buffer) { throw .malformed(reason) }
            return nil
        }
        guard end <= limit else { throw oversized(buffer, limit: limit) }
        guard let text = String(validating: buffer[..<end], as: UTF8.self) else {
            throw .malformed("the request head is not UTF-8")
        }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines.removeFirst()
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .malformed("the request line is not 'METHOD TARGET VERSION'")
        }
        guard parts[0].allSatisfy({ $0.isASCII && ($0.isUppercase || $0 == "-" || $0 == "_") }) else {
            throw .malformed("the method is not a token")
        }
        guard parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else {
            throw .malformed("the version is not HTTP/1.0 or HTTP/1.1")
        }
        guard parts[1].allSatisfy({ $0.isASCII && !$0.isWhitespace && $0.asciiValue! >= 0x21 && $0.asciiValue! < 0x7F }) else {
            throw .malformed("the request target has characters that are not allowed")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("a header line has no colon") }
            let name = line[..<colon]
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\u{7F}" && $0.asciiValue! > 0x20 }) else {
                throw .malformed("a header name is not a token")
            }
            let value = line[line.index(after: colon)...].trimmingSpaces
            guard !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else {
                throw .malformed("a header value has control characters")
            }
            headers.append((String(name), String(value)))
        }
        return HTTPRequestHead(method: String(parts[0]), target: String(parts[1]), version: String(parts[2]), headers: headers)
    }

    /// 414 when no line break comes within the limit (the target is the long part), else 431.
    static func oversized(_ buffer: [UInt8], limit: Int) -> HTTPRequestHeadError {
        buffer.prefix(limit).contains(10) ? .tooLarge : .requestLineTooLong
    }

    /// Why a partial head can never become valid, or nil: a method that is not a token, a
    /// request line with spaces or bytes outside printable ASCII, control bytes in headers.
    static func neverValid(_ buffer: [UInt8]) -> String? {
        var spaces = 0
        var inRequestLine = true
        for byte in buffer {
            if inRequestLine {
                switch byte {
                case 13, 10: inRequestLine = false
                case 32:
                    spaces += 1
                    if spaces > 2 { return "the request line is not 'METHOD TARGET VERSION'" }
                case 0x21..<0x7F:
                    if spaces == 0, !(byte == 0x2D || byte == 0x5F || (0x41...0x5A).contains(byte)) {
                        return "the method is not a token"
                    }
                default: return "the request line has characters that are not allowed"
                }
            } else if byte < 0x20 && byte != 9 && byte != 10 && byte != 13 || byte == 0x7F {
                return "a header has control characters"
            }
        }
        return nil
    }

    /// Index just past the `\r\n` that ends the header lines (the body starts 2 bytes later), or nil.
    public static func headEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i + 2
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return s
    }
}
