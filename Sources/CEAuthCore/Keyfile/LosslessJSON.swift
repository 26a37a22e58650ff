/// JSON that keeps what it read, for files ceauth rewrites but does not own all of: members in
/// their order, numbers and strings as their source text (so `18446744073709551615`, `-0` and
/// `"e\u0301"` come back as they were), keys compared by their exact code units (never merged
/// by Unicode normalisation), and a key twice in one object refused instead of one copy
/// silently dropped. Strict RFC 8259; pure.
public enum LosslessJSON: Equatable, Sendable {
    indirect case object([Member])
    indirect case array([LosslessJSON])
    case string(JSONString)
    /// The number as written in the source.
    case number(String)
    /// `true`, `false` or `null`.
    case literal(String)

    public struct Member: Equatable, Sendable {
        public var key: JSONString
        public var value: LosslessJSON

        public init(_ key: String, _ value: LosslessJSON) {
            self.key = JSONString(key)
            self.value = value
        }

        init(key: JSONString, value: LosslessJSON) {
            self.key = key
            self.value = value
        }
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Nesting past this is refused rather than risking the stack on a hostile file.
    public static let maxDepth = 256

    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> LosslessJSON {
        try Parser.whole(Array(bytes)) { parser throws(ParseError) in try parser.value(depth: 0) }
    }

    public subscript(key: String) -> LosslessJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key.is(key) }?.value
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s.value }
        return nil
    }

    /// The number as a 64-bit integer, when it is one as written (no fraction or exponent).
    public var integerValue: Int64? {
        if case .number(let text) = self { return Int64(text) }
        return nil
    }

    /// JSON text: compact, or indented by two spaces. Strings and numbers that were read are
    /// written back exactly as they were read.
    public func encoded(pretty: Bool = false) -> String {
        String(decoding: encodedBytes(pretty: pretty), as: UTF8.self)
    }

    /// The same text as bytes, written straight from the text read (no string is rebuilt).
    public func encodedBytes(pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, depth: pretty ? 0 : nil)
        return out
    }

    /// `depth`: how deep the value is when indenting (nil: compact).
    private func write(into out: inout [UInt8], depth: Int?) {
        func newline(_ level: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(0x20, count: 2 * level))
        }
        let inner = depth.map { $0 + 1 }
        switch self {
        case .object(let members) where members.isEmpty: out += [UInt8(ascii: "{"), UInt8(ascii: "}")]
        case .array(let items) where items.isEmpty: out += [UInt8(ascii: "["), UInt8(ascii: "]")]
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (offset, member) in members.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                if let inner { newline(inner) }
                out.append(UInt8(ascii: "\""))
                member.key.appendText(to: &out)
                out += [UInt8(ascii: "\""), UInt8(ascii: ":")]
                if depth != nil { out.append(0x20) }
                member.value.write(into: &out, depth: inner)
            }
            if let depth { newline(depth) }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (offset, item) in items.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                if let inner { newline(inner) }
                item.write(into: &out, depth: inner)
            }
            if let depth { newline(depth) }
            out.append(UInt8(ascii: "]"))
        case .string(let string):
            out.append(UInt8(ascii: "\""))
            string.appendText(to: &out)
            out.append(UInt8(ascii: "\""))
        case .number(let text), .literal(let text): out += text.utf8
        }
    }
}

/// A JSON string: its text between the quotes (escapes as read, or as ceauth wrote them) and
/// its value as UTF-16 code units, so even a lone surrogate (`"\ud800"`) is kept and compared exactly.
public struct JSONString: Equatable, Sendable {
    /// The bytes between the quotes, in the buffer of the text read (shared by all its strings:
    /// reading a string costs no copy) or of its own when ceauth wrote it.
    private let buffer: JSONBytes
    private let range: Range<Int>
    /// The code units of a string with an escape, decoded once when read; nil for the rest,
    /// whose value is their text itself.
    private let escaped: [UInt16]?

    /// A string ceauth writes: escaped so that the text is safe to show on a terminal as well.
    public init(_ value: String) {
        let text = Array(Self.escape(value).utf8)
        buffer = JSONBytes(text)
        range = 0..<text.count
        escaped = text.contains(UInt8(ascii: "\\")) ? Array(value.utf16) : nil
    }

    init(buffer: JSONBytes, range: Range<Int>, escaped: [UInt16]?) {
        self.buffer = buffer
        self.range = range
        self.escaped = escaped
    }

    private var text: ArraySlice<UInt8> { buffer.bytes[range] }

    /// Appends the text between the quotes, as read.
    func appendText(to out: inout [UInt8]) { out.append(contentsOf: text) }

    /// The text between the quotes, escapes as read (or as ceauth wrote them).
    public var raw: String { String(decoding: text, as: UTF8.self) }

    /// The value as UTF-16 code units, so even a lone surrogate (`"\ud800"`) is kept and compared exactly.
    public var units: [UInt16] { escaped ?? Array(raw.utf16) }

    /// Text without an escape is its own value: nothing to decode.
    public var value: String { escaped.map { String(decoding: $0, as: UTF16.self) } ?? raw }

    /// True when the value is `key`, code unit for code unit (never by Unicode equivalence).
    public func `is`(_ key: String) -> Bool {
        // Without escapes the text is valid UTF-8 of the value: equal bytes, equal code units.
        if let escaped { return escaped.elementsEqual(key.utf16) }
        return text.count == key.utf8.count && text.elementsEqual(key.utf8)
    }

    /// True when both values are the same code units.
    public func sameValue(as other: JSONString) -> Bool {
        if escaped == nil && other.escaped == nil { return text.elementsEqual(other.text) }
        return units == other.units
    }

    public static func == (lhs: JSONString, rhs: JSONString) -> Bool {
        lhs.text.elementsEqual(rhs.text) && lhs.sameValue(as: rhs)
    }

    /// Escapes what JSON requires (quote, backslash, C0 controls) and what a terminal must not
    /// see raw (DEL, C1 controls, line and paragraph separators, bidirectional overrides): the
    /// value is unchanged for a JSON reader, and `cat` of the text cannot drive the terminal.
    public static func escape(_ value: String) -> String {
        // Printable ASCII without a quote or backslash is its own text (most values: no copy).
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) { return value }
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if TerminalText.isUnsafe(scalar) {
                    out += "\\u" + hexDigits(scalar.value, 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

extension LosslessJSON {
    /// A value of ceauth's own, from the template-side tree (object members sorted by key).
    public init(_ value: JSONValue) {
        switch value {
        case .object(let members):
            self = .object(members.sorted { $0.key < $1.key }.map { Member($0.key, LosslessJSON($0.value)) })
        case .array(let items): self = .array(items.map(LosslessJSON.init))
        case .string(let s): self = .string(JSONString(s))
        case .integer(let i): self = .number(String(i))
        case .double(let d): self = .number(d.isFinite ? "\(d)" : "null")
        case .bool(let b): self = .literal(b ? "true" : "false")
        case .null: self = .literal("null")
        }
    }

    /// The template-side tree, for readers that only look (numbers past Int64 become Double).
    public var jsonValue: JSONValue {
        switch self {
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for member in members { out[member.key.value] = member.value.jsonValue }
            return .object(out)
        case .array(let items): return .array(items.map(\.jsonValue))
        case .string(let s): return .string(s.value)
        case .number(let text): return Int64(text).map(JSONValue.integer) ?? .double(Double(text) ?? 0)
        case .literal(let text): return text == "null" ? .null : .bool(text == "true")
        }
    }
}

/// The bytes of a text read, shared by every string read from it.
final class JSONBytes: Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// A string as read (a key or a value): where its text lies in the parser's bytes, and its code
/// units when it has an escape. Compared where it lies: reading past a value copies and retains nothing.
struct StringSpan: Sendable {
    let range: Range<Int>
    let escaped: [UInt16]?
    /// Every byte of the text is ASCII (and so, without an escape, of the value).
    var ascii = false

    /// The value (a string without an escape is its own text).
    func value(in bytes: [UInt8]) -> String {
        escaped.map { String(decoding: $0, as: UTF16.self) } ?? String(decoding: bytes[range], as: UTF8.self)
    }

    /// True when the value is `word`, code unit for code unit.
    func `is`(_ word: some Collection<UInt8>, in bytes: [UInt8]) -> Bool {
        if let escaped { return escaped.elementsEqual(String(decoding: word, as: UTF8.self).utf16) }
        guard range.count == word.count else { return false }
        // Without escapes the text is valid UTF-8 of the value: equal bytes, equal code units.
        return bytes.withUnsafeBufferPointer { all in
            var at = range.lowerBound
            for byte in word {
                guard all[at] == byte else { return false }
                at += 1
            }
            return true
        }
    }
}

/// The keys of one object so far, compared by code units: a short list for the few keys of
/// most objects (its storage kept from one object to the next of the same depth), a set past 16.
private struct SeenKeys {
    var few: [StringSpan] = []
    var many: Set<[UInt16]>?

    mutating func insert(_ key: StringSpan, in parser: Parser) -> Bool {
        if many != nil { return many!.insert(parser.units(of: key)).inserted }
        if few.contains(where: { parser.same($0, key) }) { return false }
        few.append(key)
        if few.count > 16 { many = Set(few.map { parser.units(of: $0) }) }
        return true
    }
}

struct Parser {
    let bytes: [UInt8]
    let buffer: JSONBytes
    var index = 0
    private var seenByDepth: [SeenKeys] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
        buffer = JSONBytes(bytes)
    }

    /// Reads a whole text: the one value `read` reads, between optional spaces, and nothing after.
    static func whole<Value>(_ bytes: [UInt8], _ read: (inout Parser) throws(LosslessJSON.ParseError) -> Value) throws(LosslessJSON.ParseError) -> Value {
        var parser = Parser(bytes: bytes)
        // A UTF-8 byte order mark is tolerated on reading (editors on Windows add one).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipSpace()
        let value = try read(&parser)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw parser.error("text after the JSON value") }
        return value
    }

    func error(_ reason: String) -> LosslessJSON.ParseError {
        LosslessJSON.ParseError(offset: index, reason: reason)
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpace() {
        index = bytes.withUnsafeBufferPointer { all in
            var at = index
            while at < all.count, all[at] == 0x20 || all[at] == 0x0A || all[at] == 0x0D || all[at] == 0x09 { at += 1 }
            return at
        }
    }

    mutating func value(depth: Int) throws(LosslessJSON.ParseError) -> LosslessJSON {
        switch try kind(depth: depth) {
        case UInt8(ascii: "{"):
            var read: [LosslessJSON.Member] = []
            try members(depth: depth) { parser, key throws(LosslessJSON.ParseError) in
                read.append(.init(key: parser.string(key), value: try parser.value(depth: depth + 1)))
            }
            return .object(read)
        case UInt8(ascii: "["):
            var read: [LosslessJSON] = []
            try items(depth: depth) { parser throws(LosslessJSON.ParseError) in read.append(try parser.value(depth: depth + 1)) }
            return .array(read)
        case UInt8(ascii: "\""): return .string(string(try string()))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(String(decoding: bytes[try number()], as: UTF8.self))
        default: return .literal(try literal())
        }
    }

    /// Reads past one value, checked exactly as `value` checks it (the same errors at the same
    /// bytes), building nothing: how a keyfile's lookup passes what it does not need.
    mutating func skip(depth: Int) throws(LosslessJSON.ParseError) {
        switch try kind(depth: depth) {
        case UInt8(ascii: "{"): try members(depth: depth) { parser, _ throws(LosslessJSON.ParseError) in try parser.skip(depth: depth + 1) }
        case UInt8(ascii: "["): try items(depth: depth) { parser throws(LosslessJSON.ParseError) in try parser.skip(depth: depth + 1) }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number()
        default: _ = try literal()
        }
    }

    /// The first byte of the value here, once the depth is allowed and the byte can start one.
    private func kind(depth: Int) throws(LosslessJSON.ParseError) -> UInt8 {
        guard depth < LosslessJSON.maxDepth else { throw error("nested deeper than \(LosslessJSON.maxDepth)") }
        guard let byte = current else { throw error("the text ends where a value should be") }
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"),
             UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return byte
        default: throw error("unexpected character")
        }
    }

    /// An object from its `{` to past its `}`: each key read and checked to be there once, then
    /// `member` reads its value (the parser at the value's first byte).
    mutating func members(depth: Int, _ member: (inout Parser, StringSpan) throws(LosslessJSON.ParseError) -> Void) throws(LosslessJSON.ParseError) {
        index += 1
        // The list of an earlier object at this depth, emptied: no new storage per object.
        if seenByDepth.count <= depth { seenByDepth.append(contentsOf: repeatElement(SeenKeys(), count: depth + 1 - seenByDepth.count)) }
        var seen = SeenKeys()
        swap(&seen, &seenByDepth[depth])
        seen.few.removeAll(keepingCapacity: true)
        seen.many = nil
        defer { swap(&seen, &seenByDepth[depth]) }
        skipSpace()
        if current == UInt8(ascii: "}") { index += 1; return }
        while true {
            guard current == UInt8(ascii: "\"") else { throw error("expected a key") }
            let keyStart = index
            let key = try string()
            guard seen.insert(key, in: self) else {
                index = keyStart
                let value = value(of: key)
                let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
                throw error("the key \"\(shown)\" appears twice in one object")
            }
            skipSpace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipSpace()
            try member(&self, key)
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1; skipSpace()
            case UInt8(ascii: "}"): index += 1; return
            default: throw error("expected ',' or '}'")
            }
        }
    }

    /// An array from its `[` to past its `]`; `item` reads each value.
    mutating func items(depth: Int, _ item: (inout Parser) throws(LosslessJSON.ParseError) -> Void) throws(LosslessJSON.ParseError) {
        index += 1
        skipSpace()
        if current == UInt8(ascii: "]") { index += 1; return }
        while true {
            try item(&self)
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1; skipSpace()
            case UInt8(ascii: "]"): index += 1; return
            default: throw error("expected ',' or ']'")
            }
        }
    }

    /// `true`, `false` or `null`.
    mutating func literal() throws(LosslessJSON.ParseError) -> String {
        let word = current == UInt8(ascii: "t") ? "true" : current == UInt8(ascii: "f") ? "false" : "null"
        guard bytes[index...].starts(with: word.utf8) else { throw error("unexpected character") }
        index += word.utf8.count
        return word
    }

    /// Where the number's text lies.
    mutating func number() throws(LosslessJSON.ParseError) -> Range<Int> {
        let start = index
        func digits() -> Int {
            let from = index
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            return index - from
        }
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw error("a number needs digits")
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw error("a fraction needs digits") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw error("an exponent needs digits") }
        }
        return start..<index
    }

    /// The string read, as a value that shares the text's buffer.
    func string(_ key: StringSpan) -> JSONString { JSONString(buffer: buffer, range: key.range, escaped: key.escaped) }

    /// True when the string read is `word`, code unit for code unit.
    func `is`(_ key: StringSpan, _ word: StaticString) -> Bool {
        key.is(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount), in: bytes)
    }

    func same(_ one: StringSpan, _ other: StringSpan) -> Bool {
        if one.escaped == nil && other.escaped == nil {
            return one.range.count == other.range.count && bytes[one.range].elementsEqual(bytes[other.range])
        }
        return units(of: one) == units(of: other)
    }

    func value(of key: StringSpan) -> String { key.value(in: bytes) }

    func units(of key: StringSpan) -> [UInt16] { key.escaped ?? Array(String(decoding: bytes[key.range], as: UTF8.self).utf16) }

    /// From the opening quote to past the closing one: where the text lies, and its code units
    /// when it has an escape.
    mutating func string() throws(LosslessJSON.ParseError) -> StringSpan {
        index += 1
        let start = index
        // One pass over the bytes, unchecked (the loop keeps within them): where the string
        // ends, and whether it has an escape or a byte past ASCII.
        var hasEscape = false, ascii = true
        var stop: UInt8 = 0
        index = bytes.withUnsafeBufferPointer { all -> Int in
            var at = start
            while at < all.count {
                let byte = all[at]
                if byte == UInt8(ascii: "\"") || byte < 0x20 { stop = byte; return at }
                if byte == UInt8(ascii: "\\") { hasEscape = true; at += 2; continue }
                if byte >= 0x80 { ascii = false }
                at += 1
            }
            return at
        }
        guard index < bytes.count else { throw error("a string is not closed") }
        guard stop == UInt8(ascii: "\"") else { throw error("a control character inside a string") }
        let range = start..<index
        index += 1
        // Most strings of a keyfile are plain ASCII: nothing to check or decode, nothing copied.
        guard hasEscape || !ascii else { return StringSpan(range: range, escaped: nil, ascii: true) }
        guard let raw = String(validating: bytes[range], as: UTF8.self) else {
            index -= 1  // at the closing quote, as before
            throw error("a string that is not valid UTF-8")
        }
        guard hasEscape else { return StringSpan(range: range, escaped: nil) }
        var units: [UInt16] = []
        var scalars = raw.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\" else { units += scalar.utf16; continue }
            switch scalars.next() {
            case "\""?: units.append(0x22)
            case "\\"?: units.append(0x5C)
            case "/"?: units.append(0x2F)
            case "b"?: units.append(0x08)
            case "f"?: units.append(0x0C)
            case "n"?: units.append(0x0A)
            case "r"?: units.append(0x0D)
            case "t"?: units.append(0x09)
            case "u"?:
                var hex = ""
                for _ in 0..<4 { if let digit = scalars.next() { hex.unicodeScalars.append(digit) } }
                guard hex.count == 4, hex.unicodeScalars.allSatisfy(\.properties.isASCIIHexDigit),
                      let unit = UInt16(hex, radix: 16) else { throw error("a bad \\u escape") }
                units.append(unit)
            default:
                throw error("a bad escape")
            }
        }
        return StringSpan(range: range, escaped: units, ascii: ascii)
    }
}
