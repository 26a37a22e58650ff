/// Characters that must never reach a terminal as they are: they can move the cursor, rewrite
/// the screen or the window title (C0, DEL, C1 and escape sequences built from them), start a
/// new line, or reorder what is shown (bidirectional overrides such as U+202E).
public enum TerminalText {
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// Each unsafe character shown as a visible escape (`\x1b`, `\u202e`, `\r`); line feeds and
    /// tabs kept when `keepLayout` (ceauth's own messages have several lines, listings columns):
    /// neither can move the cursor anywhere but forward.
    public static func sanitize(_ text: String, keepLayout: Bool = true) -> String {
        // Line feeds and tabs that are kept make no copy: a listing of thousands of lines has them.
        let kept = { (scalar: Unicode.Scalar) in keepLayout && (scalar == "\n" || scalar == "\t") }
        // Printable ASCII (with the layout kept) is decided on the bytes: nothing to escape.
        if isPrintableASCII(text, keepLayout: keepLayout) { return text }
        guard text.unicodeScalars.contains(where: { isUnsafe($0) && !kept($0) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar), !(keepLayout && (scalar == "\n" || scalar == "\t")) else {
                out.append(scalar)
                continue
            }
            let escaped: String
            switch scalar {
            case "\n": escaped = "\\n"
            case "\r": escaped = "\\r"
            case "\t": escaped = "\\t"
            default:
                escaped = scalar.value < 0x100 ? "\\x" + hexDigits(scalar.value, 2) : "\\u" + hexDigits(scalar.value, 4)
            }
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }

    /// Every byte is printable ASCII, or a line feed or tab kept.
    static func isPrintableASCII(_ text: String, keepLayout: Bool) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var at = 0
            // Eight bytes at once (exact per byte: no carry crosses a byte), the rest one by one.
            while bytes.count - at >= 8 {
                let word = SWAR.word(bytes.baseAddress! + at)
                var bad = SWAR.below(word, 0x20) | SWAR.equal(word, 0x7F) | word & SWAR.highs
                if keepLayout { bad &= ~(SWAR.equal(word, 0x09) | SWAR.equal(word, 0x0A)) }
                guard bad == 0 else { return false }
                at += 8
            }
            for byte in bytes[at...] where byte < 0x20 || byte >= 0x7F {
                guard keepLayout, byte == 0x0A || byte == 0x09 else { return false }
            }
            return true
        }
    }
}

/// Tests on eight bytes at once, exact for each byte: the high bit of each byte of the result
/// is set where the byte passes, every other bit is clear.
enum SWAR {
    static let highs: UInt64 = 0x8080_8080_8080_8080
    private static let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// The eight bytes at `pointer`, the first in the lowest byte (any alignment).
    @inline(__always)
    static func word(_ pointer: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
    }

    /// The byte is `value`.
    static func equal(_ word: UInt64, _ value: UInt8) -> UInt64 {
        let zero = word ^ (0x0101_0101_0101_0101 &* UInt64(value))
        return ~((zero & lows) &+ lows | zero | lows)
    }

    /// The byte is below `value` (at most 0x80).
    static func below(_ word: UInt64, _ value: UInt8) -> UInt64 {
        // (byte & 0x7F) + (0x80 - value) has its high bit set when the low seven bits reach value.
        let reach = ((word & lows) &+ 0x0101_0101_0101_0101 &* UInt64(0x80 - value)) & highs
        return ~reach & ~word & highs
    }
}

/// The one filter between text and the person: every terminal line, every value on a result
/// page and every text value ceauth prints as JSON passes it. The order matters: unsafe
/// characters are escaped, then secrets replaced, and only then is anything shortened, so a
/// cut can never leave part of a secret behind.
public struct SafeText: Sendable {
    public var redactor: Redactor
    /// Longest line (in characters) shown; a longer one is cut with "…".
    public var maxLineLength: Int

    public init(redactor: Redactor, maxLineLength: Int = 1200) {
        self.redactor = redactor
        self.maxLineLength = maxLineLength
    }

    /// A message for the terminal: several lines, each escaped, redacted, then shortened.
    public func lines(_ text: String) -> String {
        let safe = redactor.redact(TerminalText.sanitize(text))
        // No line has more bytes than the limit, so none has more characters: nothing to cut
        // (a listing of thousands of lines is not split and joined again).
        var copy = safe
        let longest = copy.withUTF8 { bytes in
            var longest = 0, start = 0, at = 0
            while at < bytes.count {
                // Eight bytes at once while none is a line feed.
                if bytes.count - at >= 8 {
                    if SWAR.equal(SWAR.word(bytes.baseAddress! + at), 0x0A) == 0 { at += 8; continue }
                }
                if bytes[at] == 0x0A {
                    longest = max(longest, at - start)
                    start = at + 1
                }
                at += 1
            }
            return max(longest, bytes.count - start)
        }
        guard longest > maxLineLength else { return safe }
        return safe.split(separator: "\n", omittingEmptySubsequences: false)
            .map { Self.shorten(String($0), to: maxLineLength) }
            .joined(separator: "\n")
    }

    /// One value (a page field, a name): on one line, redacted, then shortened to `limit`.
    public func value(_ text: String, limit: Int = 1000) -> String {
        Self.shorten(redactor.redact(TerminalText.sanitize(text, keepLayout: false)), to: limit)
    }

    /// Secrets replaced, nothing else changed: for values that go on as data (JSON on stdout),
    /// where the JSON writer escapes what a terminal must not see.
    public func redacted(_ text: String) -> String {
        redactor.redact(text)
    }

    static func shorten(_ text: String, to limit: Int) -> String {
        text.utf8.count > limit && text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}

/// The value of one hex digit (either case): a percent escape's, a `\u` escape's.
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// `value` in lower-case hex, padded with zeros to `width` digits.
func hexDigits(_ value: UInt32, _ width: Int, uppercase: Bool = false) -> String {
    let digits = String(value, radix: 16, uppercase: uppercase)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
